-- Where the IMAP connector is in each polled mailbox (keyed by URL without password).
CREATE TABLE imap_cursors (
    mailbox TEXT PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
