-- IMAP mailboxes admins set in the console (docs/ingest.md, "Mailboxes in the console"),
-- beside the environment's. The password is kept to log in; no route returns it.
-- One row per folder of one account: two rows would poll the same mail twice.
-- One instance polls a mailbox at a time: the one holding its lease (`lease_owner`
-- until `lease_until`, renewed at each poll); how the polls go is kept here too, so
-- every instance shows the same.
CREATE TABLE mailboxes (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams(id),
    host        TEXT NOT NULL,
    port        INTEGER NOT NULL,
    tls         BOOLEAN NOT NULL,
    username    TEXT NOT NULL,
    password    TEXT NOT NULL,
    folder      TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    last_poll_at INTEGER,
    last_ok_at  INTEGER,
    last_error  TEXT,
    fetched     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (host, port, username, folder)
);
