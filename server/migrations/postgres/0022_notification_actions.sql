-- A notification's card may carry buttons that call one of its follow-up's actions with
-- the record's values: those values are kept with it, and the action its user took
-- (label, when, state `running`/`done`/`failed`, why it failed).
ALTER TABLE notifications ADD COLUMN record_values TEXT;
ALTER TABLE notifications ADD COLUMN action_label TEXT;
ALTER TABLE notifications ADD COLUMN action_at BIGINT;
ALTER TABLE notifications ADD COLUMN action_state TEXT;
ALTER TABLE notifications ADD COLUMN action_message TEXT;
