-- The timeline at depth: notes and follow-up notifications as kinds, covering indexes
-- for keyset pages, maintained counters for page counts, full-text search, and the
-- durable event log behind the real-time stream.

-- SQLite cannot alter a CHECK constraint: rebuild the table with the new kinds.
CREATE TABLE activities_new (
    id           INTEGER PRIMARY KEY,
    team_id      INTEGER NOT NULL REFERENCES teams(id),
    contact_id   INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('email', 'chat', 'ticket', 'call', 'sms', 'note', 'follow_up')),
    model_id     TEXT NOT NULL,
    email_id     INTEGER REFERENCES incoming_emails(id),
    detail       TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
INSERT INTO activities_new SELECT id, team_id, contact_id, user_id, kind, model_id, email_id, detail, occurred_at, created_at FROM activities;
DROP TABLE activities;
ALTER TABLE activities_new RENAME TO activities;

-- Newest first per contact, ties broken by id; kind and team ride along so that the
-- filters and the skip to a far page are answered from the index alone.
CREATE INDEX activities_timeline ON activities(contact_id, occurred_at DESC, id DESC, kind, team_id);
-- One kind of one contact (the kind filter chips).
CREATE INDEX activities_kind ON activities(contact_id, kind, occurred_at DESC, id DESC, team_id);
CREATE INDEX activities_team ON activities(team_id, occurred_at DESC);
CREATE INDEX activities_email ON activities(email_id) WHERE email_id IS NOT NULL;

-- How many activities a contact has per team and kind: the total and the page count of
-- any kind filter are a sum of at most (teams x kinds) rows, never a scan.
CREATE TABLE activity_counts (
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    team_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (contact_id, team_id, kind)
) WITHOUT ROWID;
INSERT INTO activity_counts (contact_id, team_id, kind, n)
    SELECT contact_id, team_id, kind, COUNT(*) FROM activities GROUP BY contact_id, team_id, kind;

-- Triggers keep the counters right whatever path writes (ingest, delete, cascade).
CREATE TRIGGER activities_counted AFTER INSERT ON activities BEGIN
    INSERT OR IGNORE INTO activity_counts (contact_id, team_id, kind, n)
        VALUES (NEW.contact_id, NEW.team_id, NEW.kind, 0);
    UPDATE activity_counts SET n = n + 1
        WHERE contact_id = NEW.contact_id AND team_id = NEW.team_id AND kind = NEW.kind;
END;
CREATE TRIGGER activities_uncounted AFTER DELETE ON activities BEGIN
    UPDATE activity_counts SET n = n - 1
        WHERE contact_id = OLD.contact_id AND team_id = OLD.team_id AND kind = OLD.kind;
END;

-- Full-text search over the timeline. Contentless (the text lives in `activities` and
-- `incoming_emails`); rowid = activity id. `contact` holds one token per contact so a
-- search is confined to one history inside the index; `body` is what every user may
-- search, `email` the content only users with the email permission may search.
CREATE VIRTUAL TABLE activity_search USING fts5(
    contact, body, email,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The durable, ordered log of real-time events: SSE clients resume from Last-Event-ID
-- here, and every server instance reads the same sequence.
CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id  INTEGER,            -- NULL: for every signed-in user
    kind     TEXT NOT NULL,
    payload  TEXT NOT NULL,      -- JSON of protocol::ServerEvent
    at       INTEGER NOT NULL
);
CREATE INDEX events_at ON events(at);

-- One-use tickets that let the browser's EventSource (which cannot send headers)
-- open the stream; only a hash is stored.
CREATE TABLE stream_tickets (
    ticket_hash  TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_hash TEXT NOT NULL,
    expires_at   INTEGER NOT NULL
);

-- Index what is already there (the same text the application writes for new rows).
INSERT INTO activity_search (rowid, contact, body, email)
    SELECT a.id, 'k' || a.contact_id,
           trim(COALESCE(json_extract(a.detail, '$.first_message'), '') || ' ' ||
                COALESCE(json_extract(a.detail, '$.ticket_id'), '') || ' ' ||
                COALESCE(json_extract(a.detail, '$.subject'), '') || ' ' ||
                COALESCE(json_extract(a.detail, '$.number'), '') || ' ' ||
                COALESCE(json_extract(a.detail, '$.campaign'), '') || ' ' ||
                COALESCE(json_extract(a.detail, '$.disposition.l1'), '') || ' ' ||
                COALESCE(json_extract(a.detail, '$.disposition.l2'), '') || ' ' ||
                COALESCE(json_extract(a.detail, '$.disposition.l3'), '') || ' ' ||
                COALESCE(json_extract(a.detail, '$.text'), '')),
           COALESCE(e.subject || ' ' || e.sender || ' ' || e.body, '')
    FROM activities a LEFT JOIN incoming_emails e ON e.id = a.email_id;
