-- Admins rotate an integration's credentials (a new token and secret, the old ones
-- refused from then on) and revoke it for good (docs/ingest.md, "Credentials").
ALTER TABLE integrations ADD COLUMN rotated_at BIGINT;
ALTER TABLE integrations ADD COLUMN revoked_at BIGINT;
