-- A user an admin deactivated (docs/architecture.md, "Users"): since when. They cannot
-- sign in, and their sessions were ended when it was set; NULL: active.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
