-- A user's e-mail address: where follow-ups' e-mail channel writes to them, and a second
-- name a follow-up's record may give for them. One user per address, without case.
ALTER TABLE users ADD COLUMN email TEXT;
CREATE UNIQUE INDEX users_email ON users(lower(email)) WHERE email IS NOT NULL;
