-- An admin reset the user's password to a temporary one (docs/architecture.md,
-- "Users"): until they choose their own, the server answers only the password change,
-- their profile and sign-out.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
