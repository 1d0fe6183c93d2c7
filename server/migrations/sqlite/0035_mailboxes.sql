-- IMAP mailboxes admins set in the console (docs/email.md, "Mailboxes"), beside the ones
-- of the server's environment. The password is kept to log in; no route returns it.
-- One row per folder of one account: two rows would poll the same mail twice.
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
    UNIQUE (host, port, username, folder)
);
