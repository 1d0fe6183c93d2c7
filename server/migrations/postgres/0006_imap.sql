-- Where the IMAP connector is in each polled mailbox (keyed by URL without password).
CREATE TABLE imap_cursors (
    mailbox TEXT PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
