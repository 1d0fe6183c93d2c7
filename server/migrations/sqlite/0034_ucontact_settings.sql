-- uContact's settings as admins set them in the console (docs/crm-integration.md,
-- "uContact settings"): each one, when set here, wins over the server's environment.
-- The secrets are kept to verify signatures and to sign in to uContact's API; no route
-- ever returns them (a rotated secret is shown once, in the rotation's answer).
CREATE TABLE ucontact_settings (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    webhook_secret      TEXT,
    webhook_rotated_at  INTEGER,
    launch_secret       TEXT,
    launch_rotated_at   INTEGER,
    api_url             TEXT,
    api_user            TEXT,
    api_password        TEXT,
    updated_at          INTEGER NOT NULL
);
