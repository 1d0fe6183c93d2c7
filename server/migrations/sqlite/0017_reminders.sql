-- Callback reminders: an agent schedules a call back to a customer (a disposition marked
-- "schedule callback"); at `due_at` the desktop reminds them, until they mark it done.
-- One per (user, call): scheduling again for the same call moves it.
CREATE TABLE reminders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    call_guid   TEXT,
    due_at      INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    fired_at    INTEGER,
    done_at     INTEGER
);
CREATE UNIQUE INDEX reminders_call ON reminders(user_id, call_guid) WHERE call_guid IS NOT NULL;
-- The agent's open reminders, soonest first.
CREATE INDEX reminders_open ON reminders(user_id, due_at) WHERE done_at IS NULL;
-- What the scheduler looks for: due and not yet announced.
CREATE INDEX reminders_pending ON reminders(due_at) WHERE fired_at IS NULL AND done_at IS NULL;

-- A call by its activity (PostgreSQL has had this index since 0003): deleting an
-- activity looks its call up, to lock it first there and to clear its reference.
CREATE INDEX IF NOT EXISTS calls_activity ON calls(activity_id);
