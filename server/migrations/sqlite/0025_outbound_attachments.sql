-- Files attached to an outbound e-mail (docs/email.md), kept until the message is
-- deleted: a draft's files are added and removed while it is written, and the sender
-- reads them at each attempt. The timeline lists them from `incoming_emails.attachments`
-- (name, type, size), which follows this table.
CREATE TABLE outbound_attachments (
    id            INTEGER PRIMARY KEY,
    activity_id   INTEGER NOT NULL REFERENCES outbound_emails(activity_id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    data          BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX outbound_attachments_email ON outbound_attachments(activity_id, id);
