-- A database that already had a custom `wrap-up` status kept it choosable after 0015
-- (DO NOTHING): the system value now owns the name.
UPDATE status_values SET system = 1 WHERE value = 'wrap-up';
