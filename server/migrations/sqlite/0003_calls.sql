-- Telephony: CRM settings, campaigns with their disposition trees, calls, and call
-- events in the shape of uContact's queue_log_repo.

CREATE TABLE crm_settings (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    url_template     TEXT NOT NULL DEFAULT '',
    crm_origins      TEXT NOT NULL DEFAULT '[]',   -- JSON array of origins
    ucontact_origin  TEXT NOT NULL DEFAULT '',
    updated_at       INTEGER NOT NULL
);

CREATE TABLE campaigns (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,      -- verbatim, suffix included ('Ventas->')
    require_disposition  INTEGER NOT NULL DEFAULT 0,
    dispositions         TEXT NOT NULL DEFAULT '[]' -- JSON tree of protocol::DispositionNode
);

CREATE TABLE calls (
    id           INTEGER PRIMARY KEY,
    guid         TEXT NOT NULL UNIQUE,
    team_id      INTEGER NOT NULL REFERENCES teams(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    activity_id  INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    campaign     TEXT NOT NULL,
    did          TEXT NOT NULL DEFAULT '',
    destination  TEXT NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    ring_at      INTEGER NOT NULL,
    answer_at    INTEGER,
    end_at       INTEGER,
    hung_up_by   TEXT CHECK (hung_up_by IN ('agent', 'customer')),
    l1 TEXT, l2 TEXT, l3 TEXT, d1 TEXT, d2 TEXT, comment TEXT,
    disposed_at  INTEGER
);
-- An agent's active call (end_at NULL) and latest calls.
CREATE INDEX calls_user ON calls(user_id, ring_at DESC);

-- Call events with uContact's queue_log_repo columns and event names.
CREATE TABLE queue_log (
    id         INTEGER PRIMARY KEY,
    origid     TEXT,
    datetime   INTEGER NOT NULL,
    callid     TEXT,
    queuename  TEXT,
    agent      TEXT,
    event      TEXT NOT NULL,
    data1 TEXT, data2 TEXT, data3 TEXT, data4 TEXT, data5 TEXT
);
CREATE INDEX queue_log_datetime ON queue_log(datetime);
CREATE INDEX queue_log_callid ON queue_log(callid);
