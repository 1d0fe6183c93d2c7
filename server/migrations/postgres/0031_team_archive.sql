-- An admin archived the team (docs/architecture.md, "Teams"): since when. Its history
-- stays readable; nobody new joins it and its integrations' deliveries are refused.
-- NULL: in use.
ALTER TABLE teams ADD COLUMN archived_at BIGINT;
