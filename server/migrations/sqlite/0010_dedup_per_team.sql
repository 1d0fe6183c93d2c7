-- Idempotency keys are per team. The same e-mail delivered to two teams' mailboxes, the
-- same cdr file imported for two teams, a guid two teams both use: each team gets its
-- own copy, and a duplicate answer never names another team's rows. Existing data is
-- kept as it is.

-- Live queue_log rows belong to their call's team; imported ones to the team they were
-- imported for (unknown before this step, so kept without one unless there is only one
-- team). Done first, while a guid still names one call.
ALTER TABLE queue_log ADD COLUMN team_id INTEGER REFERENCES teams(id);
UPDATE queue_log SET team_id = (SELECT c.team_id FROM calls c WHERE c.guid = queue_log.callid)
    WHERE row_key IS NULL;
UPDATE queue_log SET team_id = (SELECT MIN(id) FROM teams)
    WHERE team_id IS NULL AND (SELECT COUNT(*) FROM teams) = 1;
DROP INDEX queue_log_row_key;
CREATE UNIQUE INDEX queue_log_row_key ON queue_log(team_id, row_key) WHERE row_key IS NOT NULL;
CREATE INDEX queue_log_team ON queue_log(team_id, datetime);
-- An agent's rows, for their log (`GET /agents/{id}/queue-log`).
CREATE INDEX queue_log_agent ON queue_log(agent, datetime);

-- The ledger of ingested interactions: unique per (team, source, key). Nothing refers to
-- this table, so it is rebuilt with the new constraint.
CREATE TABLE interactions_new (
    id               INTEGER PRIMARY KEY,
    source           TEXT NOT NULL,
    source_key       TEXT NOT NULL,
    team_id          INTEGER NOT NULL REFERENCES teams(id),
    contact_id       INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    activity_id      INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    conversation_id  TEXT,
    attributes       TEXT NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    UNIQUE (team_id, source, source_key)
);
INSERT INTO interactions_new (id, source, source_key, team_id, contact_id, activity_id,
        conversation_id, attributes, created_at)
    SELECT id, source, source_key, team_id, contact_id, activity_id, conversation_id,
        attributes, created_at FROM interactions;
DROP TABLE interactions;
ALTER TABLE interactions_new RENAME TO interactions;
CREATE INDEX interactions_conversation ON interactions(team_id, conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX interactions_activity ON interactions(activity_id);
-- A uContact webhook knows no team: it finds a key in any team.
CREATE INDEX interactions_key ON interactions(source, source_key);

-- Calls: a guid is unique per team. Nothing refers to this table either.
CREATE TABLE calls_new (
    id           INTEGER PRIMARY KEY,
    guid         TEXT NOT NULL,
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
    disposed_at  INTEGER,
    UNIQUE (team_id, guid)
);
INSERT INTO calls_new SELECT id, guid, team_id, contact_id, user_id, activity_id, campaign,
    did, destination, direction, ring_at, answer_at, end_at, hung_up_by, l1, l2, l3, d1, d2,
    comment, disposed_at FROM calls;
DROP TABLE calls;
ALTER TABLE calls_new RENAME TO calls;
CREATE INDEX calls_user ON calls(user_id, ring_at DESC);
CREATE INDEX calls_guid ON calls(guid);

-- Stored e-mail: the Message-ID is unique per team. Activities refer to this table, so
-- it is not rebuilt: the old column (and the UNIQUE constraint written into it) stays,
-- emptied, as `legacy_message_id`; the key moves to a new column with the team.
ALTER TABLE incoming_emails RENAME COLUMN message_id TO legacy_message_id;
ALTER TABLE incoming_emails ADD COLUMN message_id TEXT;
ALTER TABLE incoming_emails ADD COLUMN team_id INTEGER REFERENCES teams(id);
UPDATE incoming_emails SET message_id = legacy_message_id, legacy_message_id = NULL,
    team_id = (SELECT a.team_id FROM activities a WHERE a.email_id = incoming_emails.id
               ORDER BY a.id LIMIT 1);
CREATE UNIQUE INDEX incoming_emails_message ON incoming_emails(team_id, message_id)
    WHERE message_id IS NOT NULL;
