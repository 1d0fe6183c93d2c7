-- Ingestion: integrations, the interaction ledger (idempotency by source key),
-- attribute definitions, and idempotent imports of uContact's queue_log.

-- An integrator's credentials: a bearer token (stored hashed) and a signing secret
-- (stored as given: HMAC needs it). Everything an integration ingests lands in its team.
CREATE TABLE integrations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    team_id     INTEGER NOT NULL REFERENCES teams(id),
    token_hash  TEXT NOT NULL UNIQUE,
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Every interaction ever ingested, by source and source key (Message-ID, call guid, chat
-- session, ticket id + event, SMS id): replaying the same input finds its row here and
-- changes nothing. Segments of one conversation (transfers) share `conversation_id` and
-- point to the same timeline activity.
CREATE TABLE interactions (
    id               INTEGER PRIMARY KEY,
    source           TEXT NOT NULL,
    source_key       TEXT NOT NULL,
    team_id          INTEGER NOT NULL REFERENCES teams(id),
    contact_id       INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    activity_id      INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    conversation_id  TEXT,
    attributes       TEXT NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    UNIQUE (source, source_key)
);
CREATE INDEX interactions_conversation ON interactions(team_id, conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX interactions_activity ON interactions(activity_id);

-- The attributes the desktop keeps (others are ignored), as uContact Insights defines
-- them: text is cut to 128 characters, dates must fall in 1901–2049.
CREATE TABLE attribute_defs (
    name   TEXT PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date')),
    scope  TEXT NOT NULL CHECK (scope IN ('customer', 'conversation'))
);
INSERT INTO attribute_defs (name, kind, scope) VALUES
    ('plan', 'text', 'customer'),
    ('segment', 'text', 'customer'),
    ('city', 'text', 'customer'),
    ('document_id', 'text', 'customer'),
    ('birth_date', 'date', 'customer'),
    ('customer_since', 'date', 'customer'),
    ('lifetime_value', 'number', 'customer'),
    ('reason', 'text', 'conversation'),
    ('order_id', 'text', 'conversation'),
    ('promised_date', 'date', 'conversation'),
    ('amount', 'number', 'conversation');

-- Imported queue_log rows carry a digest of their content: a re-run skips them.
ALTER TABLE queue_log ADD COLUMN row_key TEXT;
CREATE UNIQUE INDEX queue_log_row_key ON queue_log(row_key) WHERE row_key IS NOT NULL;
