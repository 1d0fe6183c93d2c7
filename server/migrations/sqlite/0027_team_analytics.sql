-- Communication analytics (docs/reports.md, "A team's communication"): one row per
-- activity that is an interaction, kept on every write of an activity (insert, detail
-- change, delete) by the write path (`store/shared/interaction_facts.rs`, in the write's own
-- transaction: no foreign key, so that a deletion can still read what it removes), and
-- rebuilt by `rebuild-reports`.
--
-- `inbound` is 1 for an inbound interaction (chats and tickets count as inbound), 0 for
-- an outbound one. `answered_at`: for an inbound e-mail or SMS, the time of the next
-- outbound interaction of the same channel, contact and team at or after it (NULL: none
-- yet); NULL for everything else.
CREATE TABLE interaction_facts (
    activity_id  INTEGER PRIMARY KEY,
    team_id      INTEGER NOT NULL,
    contact_id   INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    inbound      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    answered_at  INTEGER
);
-- A team's range, covering what the reads of it need (top contacts, response times).
CREATE INDEX interaction_facts_team ON interaction_facts(team_id, at, contact_id, kind, inbound, answered_at);
-- One conversation thread (contact, team, channel) in time order: the replies' lookups
-- and updates, covered (so that no planner prefers the team's index, which would walk the
-- team's history), and a contact's analytics.
CREATE INDEX interaction_facts_thread ON interaction_facts(contact_id, team_id, kind, inbound, at, answered_at);

-- Volume per team, quarter hour (UTC, ms) and channel.
CREATE TABLE report_activity (
    team_id   INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    inbound   INTEGER NOT NULL DEFAULT 0,
    outbound  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, kind)
) WITHOUT ROWID;

-- What is already there. The rule is protocol::report::interaction_direction's (the
-- code's; `rebuild-reports` applies it): notes and follow-up notifications are not
-- interaction_facts, nor e-mails not (or not yet) sent; chats and tickets are inbound.
INSERT INTO interaction_facts (activity_id, team_id, contact_id, kind, inbound, at)
SELECT id, team_id, contact_id, kind,
       CASE WHEN kind IN ('chat', 'ticket') THEN 1
            WHEN json_extract(detail, '$.direction') = 'inbound' THEN 1 ELSE 0 END,
       occurred_at
FROM activities
WHERE kind IN ('email', 'chat', 'ticket', 'call', 'sms')
  AND COALESCE(json_extract(detail, '$.status'), '') NOT IN ('draft', 'failed')
  AND (kind IN ('chat', 'ticket') OR json_extract(detail, '$.direction') IN ('inbound', 'outbound'));

UPDATE interaction_facts SET answered_at = (
    SELECT MIN(o.at) FROM interaction_facts AS o
    WHERE o.contact_id = interaction_facts.contact_id AND o.team_id = interaction_facts.team_id
      AND o.kind = interaction_facts.kind AND o.inbound = 0 AND o.at >= interaction_facts.at)
WHERE inbound = 1 AND kind IN ('email', 'sms');

INSERT INTO report_activity (team_id, bucket, kind, inbound, outbound)
SELECT team_id, at - (at % 900000 + 900000) % 900000, kind, SUM(inbound), SUM(1 - inbound)
FROM interaction_facts GROUP BY team_id, at - (at % 900000 + 900000) % 900000, kind;
