-- The attachments of a stored e-mail (name, type, size; not their content), as JSON,
-- listed on its timeline item for users who may read e-mail. NULL: none.
ALTER TABLE incoming_emails ADD COLUMN attachments TEXT;
