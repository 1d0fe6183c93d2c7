-- Foundation schema: teams, users, sessions, contacts, activities, email content, audit.
-- Times are INTEGER milliseconds since the Unix epoch (UTC): compact, index-friendly and
-- the same representation on every backend.

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    can_email       INTEGER NOT NULL DEFAULT 0,
    locale          TEXT NOT NULL DEFAULT 'es' CHECK (locale IN ('es', 'en')),
    time_zone       TEXT NOT NULL DEFAULT 'UTC',
    ucontact_agent  TEXT UNIQUE,
    created_at      INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, team_id)
);
CREATE INDEX team_members_team ON team_members(team_id);

-- Only a SHA-256 of the bearer token is stored: a leaked database yields no usable session.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ip          TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed logins, for rate limiting that holds across server instances.
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    username  TEXT NOT NULL COLLATE NOCASE,
    ip        TEXT NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX login_failures_username ON login_failures(username, at);
CREATE INDEX login_failures_ip ON login_failures(ip, at);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    team_id      INTEGER NOT NULL REFERENCES teams(id),
    name         TEXT NOT NULL,
    search_key   TEXT NOT NULL,    -- name and email, lower-cased, accents removed
    phone        TEXT,             -- E.164
    email        TEXT COLLATE NOCASE,
    external_id  TEXT,
    attributes   TEXT NOT NULL DEFAULT '{}',  -- JSON object of string values
    created_at   INTEGER NOT NULL,
    last_activity_at INTEGER
);
CREATE INDEX contacts_team_name ON contacts(team_id, name, id);
CREATE INDEX contacts_phone ON contacts(phone);
CREATE INDEX contacts_email ON contacts(email);
CREATE UNIQUE INDEX contacts_external_id ON contacts(team_id, external_id) WHERE external_id IS NOT NULL;

-- Email content lives apart so that it can be withheld from users without the permission.
CREATE TABLE incoming_emails (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT UNIQUE,
    subject     TEXT NOT NULL,
    sender      TEXT NOT NULL,
    snippet     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE activities (
    id           INTEGER PRIMARY KEY,
    team_id      INTEGER NOT NULL REFERENCES teams(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('email', 'chat', 'ticket', 'call', 'sms')),
    model_id     TEXT NOT NULL,
    email_id     INTEGER REFERENCES incoming_emails(id),
    detail       TEXT NOT NULL,    -- JSON of protocol::ActivityDetail (email content excluded)
    occurred_at  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
-- The timeline: newest first per contact, ties broken by id.
CREATE INDEX activities_timeline ON activities(contact_id, occurred_at DESC, id DESC);
CREATE INDEX activities_team ON activities(team_id, occurred_at DESC);

-- Who did what, when, from where (like uContact's `auditory`).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    username  TEXT,
    action    TEXT NOT NULL,
    target    TEXT,
    ip        TEXT,
    at        INTEGER NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
