-- The signature a user's outbound e-mail ends with (docs/email.md).
ALTER TABLE users ADD COLUMN signature TEXT;
