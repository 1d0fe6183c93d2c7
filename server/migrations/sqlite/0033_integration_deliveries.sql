-- An integration's recent deliveries for its admins (docs/ingest.md, "Credentials"):
-- accepted, duplicate or rejected with the reason, the last 100 kept per integration.
-- Written in batches, about once a second, never on the ingest's own transaction.
CREATE TABLE integration_deliveries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id INTEGER NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    at             INTEGER NOT NULL,
    channel        TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    status         INTEGER NOT NULL,
    reason         TEXT
);
CREATE INDEX integration_deliveries_recent ON integration_deliveries (integration_id, id);

-- Its latest delivery that got past authentication (ms; NULL: never used).
ALTER TABLE integrations ADD COLUMN last_used_at INTEGER;
