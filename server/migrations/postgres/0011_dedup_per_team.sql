-- Idempotency keys are per team. The same e-mail delivered to two teams' mailboxes, the
-- same cdr file imported for two teams, a guid two teams both use: each team gets its
-- own copy, and a duplicate answer never names another team's rows. Existing data is
-- kept as it is.

-- Live queue_log rows belong to their call's team; imported ones to the team they were
-- imported for (unknown before this step, so kept without one unless there is only one
-- team). Done first, while a guid still names one call.
ALTER TABLE queue_log ADD COLUMN team_id BIGINT REFERENCES teams(id);
UPDATE queue_log q SET team_id = c.team_id FROM calls c
    WHERE c.guid = q.callid AND q.row_key IS NULL;
UPDATE queue_log SET team_id = (SELECT MIN(id) FROM teams)
    WHERE team_id IS NULL AND (SELECT COUNT(*) FROM teams) = 1;
DROP INDEX queue_log_row_key;
CREATE UNIQUE INDEX queue_log_row_key ON queue_log(team_id, row_key) WHERE row_key IS NOT NULL;
CREATE INDEX queue_log_team ON queue_log(team_id, datetime);
-- An agent's rows, for their log (`GET /agents/{id}/queue-log`).
CREATE INDEX queue_log_agent ON queue_log(agent, datetime);

ALTER TABLE interactions DROP CONSTRAINT interactions_source_source_key_key;
ALTER TABLE interactions ADD CONSTRAINT interactions_team_source_key
    UNIQUE (team_id, source, source_key);
-- A uContact webhook knows no team: it finds a key in any team.
CREATE INDEX interactions_key ON interactions(source, source_key);

ALTER TABLE calls DROP CONSTRAINT calls_guid_key;
ALTER TABLE calls ADD CONSTRAINT calls_team_guid UNIQUE (team_id, guid);
CREATE INDEX calls_guid ON calls(guid);

ALTER TABLE incoming_emails ADD COLUMN team_id BIGINT REFERENCES teams(id);
UPDATE incoming_emails e SET team_id = (SELECT a.team_id FROM activities a
    WHERE a.email_id = e.id ORDER BY a.id LIMIT 1);
ALTER TABLE incoming_emails DROP CONSTRAINT incoming_emails_message_id_key;
CREATE UNIQUE INDEX incoming_emails_message ON incoming_emails(team_id, message_id)
    WHERE message_id IS NOT NULL;
