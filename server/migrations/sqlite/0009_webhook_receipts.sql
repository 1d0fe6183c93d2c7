-- uContact webhooks that carry no id of their own (AgentRingNoAnswer): the key of each
-- one applied (event, agent, guid or date), so that a re-delivery changes nothing and
-- says `duplicate: true`. Pruned with the event log's retention.
CREATE TABLE webhook_receipts (
    key          TEXT PRIMARY KEY,
    received_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX webhook_receipts_age ON webhook_receipts(received_at);
