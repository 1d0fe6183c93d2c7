-- Agent status and presence (uContact's connection events).

-- Every value a status can take: uContact's system values and the custom ones agents
-- pick; admins add more. Values are lowercase words joined by hyphens.
CREATE TABLE status_values (
    value     TEXT PRIMARY KEY,
    label_es  TEXT NOT NULL,
    label_en  TEXT NOT NULL,
    color     TEXT NOT NULL,
    system    INTEGER NOT NULL DEFAULT 0,
    position  INTEGER NOT NULL DEFAULT 100
);

INSERT INTO status_values (value, label_es, label_en, color, system, position) VALUES
    ('available',   'Disponible',            'Available',            '#1f9d55', 1, 0),
    ('busy',        'Ocupado',               'Busy',                 '#d97706', 0, 10),
    ('break',       'Descanso',              'Break',                '#7c3aed', 0, 11),
    ('bath',        'Baño',                  'Bathroom',             '#0891b2', 0, 12),
    ('meal',        'Comida',                'Meal',                 '#ca8a04', 0, 13),
    ('gathering',   'Reunión externa',       'Gathering',            '#db2777', 0, 14),
    ('training',    'Capacitación',          'Training',             '#4f46e5', 0, 15),
    ('connected',   'Conectado',             'Connected',            '#1f9d55', 1, 50),
    ('reconnected', 'Reconectado',           'Reconnected',          '#1f9d55', 1, 51),
    ('disconnected','Desconectado',          'Disconnected',         '#6b7280', 1, 52),
    ('occupying',   'Ocupado por ACD',       'Occupied by ACD',      '#b45309', 1, 53),
    ('releasing',   'Liberado por ACD',      'Released by ACD',      '#65a30d', 1, 54),
    ('timeout',     'Sin respuesta (ACD)',   'No answer (ACD)',      '#dc2626', 1, 55),
    ('in-call',     'En llamada',            'In call',              '#2563eb', 1, 56),
    ('end-call',    'Terminó la llamada',    'Call ended',           '#0d9488', 1, 57),
    ('dismiss',     'Rechazó una llamada',   'Dismissed a call',     '#b91c1c', 1, 58),
    ('meeting',     'En reunión agendada',   'In a meeting',         '#9333ea', 1, 59),
    ('meeting-end', 'Terminó la reunión',    'Meeting ended',        '#9333ea', 1, 60);

-- The status of each agent now. `before_disconnect` and `disconnected_at` let a quick
-- reconnect restore the status; `pre_call` is where a call returns the agent.
CREATE TABLE agent_presence (
    user_id            INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    session_id         TEXT,
    connected          INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'disconnected',
    since              INTEGER NOT NULL,
    pending            TEXT,
    in_call            INTEGER NOT NULL DEFAULT 0,
    pre_call           TEXT,
    disconnected_at    INTEGER,
    before_disconnect  TEXT
);

-- Open real-time streams: a desktop is connected while it has one. Rows live in the
-- database, not in a server's memory, so presence holds across several instances; a
-- stream refreshes `seen_at`, and rows of a crashed instance go stale and are swept.
CREATE TABLE presence_streams (
    id            TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_hash  TEXT NOT NULL,
    opened_at     INTEGER NOT NULL,
    seen_at       INTEGER NOT NULL
);
CREATE INDEX presence_streams_user ON presence_streams(user_id);
CREATE INDEX presence_streams_session ON presence_streams(session_hash);
CREATE INDEX presence_streams_seen ON presence_streams(seen_at);

-- uContact's connection-event log: date, type, value, disconnection reason, session id.
CREATE TABLE connection_events (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('status-changed', 'acd', 'status-changed-user')),
    value       TEXT NOT NULL,
    reason      TEXT CHECK (reason IN ('logout', 'timeout', 'network')),
    session_id  TEXT NOT NULL
);
CREATE INDEX connection_events_user_at ON connection_events(user_id, at, id);
