-- Automated follow-ups: an admin's rule that polls an external system and notifies
-- users about each record it returns (see docs/followups.md).
CREATE TABLE followups (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    active        BOOLEAN NOT NULL,
    -- The whole spec as JSON, secrets included (never sent back: see the API).
    spec          TEXT NOT NULL,
    -- When the next poll is due; NULL while inactive.
    next_poll_at  INTEGER,
    -- The instance polling it now, until when (a crashed one's lease runs out).
    lease_owner   TEXT,
    lease_until   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX followups_due ON followups(next_poll_at) WHERE next_poll_at IS NOT NULL;

-- Each record a follow-up has seen, by its reconciliation id: open while the external
-- system returns it, with the attempts sent so far.
CREATE TABLE followup_records (
    followup_id   INTEGER NOT NULL REFERENCES followups(id) ON DELETE CASCADE,
    record_key    TEXT NOT NULL,
    open          BOOLEAN NOT NULL,
    attempts      INTEGER NOT NULL,
    last_sent_at  INTEGER,
    first_seen_at INTEGER NOT NULL,
    closed_at     INTEGER,
    PRIMARY KEY (followup_id, record_key)
);

CREATE TABLE followup_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    followup_id   INTEGER NOT NULL REFERENCES followups(id) ON DELETE CASCADE,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER NOT NULL,
    found         INTEGER NOT NULL,
    new           INTEGER NOT NULL,
    notified      INTEGER NOT NULL,
    resolved      INTEGER NOT NULL,
    -- A JSON array of texts.
    errors        TEXT NOT NULL
);
CREATE INDEX followup_runs_recent ON followup_runs(followup_id, id);

-- A user's notification centre.
CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    followup_id   INTEGER REFERENCES followups(id) ON DELETE SET NULL,
    title         TEXT NOT NULL,
    text          TEXT NOT NULL,
    -- The card as JSON, if any.
    card          TEXT,
    record_key    TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    contact_id    INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    read_at       INTEGER
);
CREATE INDEX notifications_recent ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;
