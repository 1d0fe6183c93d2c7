-- Outbound e-mail (docs/email.md). A team's sender identities: the From address and,
-- optionally, an SMTP server of its own (a write-only secret: its URL holds the
-- credentials; without one the server-wide relay sends).
CREATE TABLE mail_identities (
    id            INTEGER PRIMARY KEY,
    team_id       INTEGER NOT NULL REFERENCES teams(id),
    address       TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    smtp_url      TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (team_id, address)
);

-- One row per outbound message, beside its timeline activity (an e-mail activity whose
-- detail carries the status; subject and body live in `incoming_emails` like every
-- e-mail's). `status`: draft, queued, sent, failed. A queued message is due at
-- `next_attempt_at`; an instance sending it holds it until `lease_until`.
CREATE TABLE outbound_emails (
    activity_id      INTEGER PRIMARY KEY REFERENCES activities(id) ON DELETE CASCADE,
    team_id          INTEGER NOT NULL REFERENCES teams(id),
    contact_id       INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    author_id        INTEGER REFERENCES users(id) ON DELETE SET NULL,
    identity_id      INTEGER REFERENCES mail_identities(id) ON DELETE SET NULL,
    to_address       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    reply_to         INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    in_reply_to      TEXT,
    message_id       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('draft', 'queued', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  INTEGER,
    lease_owner      TEXT,
    lease_until      INTEGER,
    sent_at          INTEGER,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX outbound_emails_due ON outbound_emails(next_attempt_at) WHERE status = 'queued';
CREATE INDEX outbound_emails_message ON outbound_emails(team_id, message_id);
