-- What an admin sets on a status (docs/architecture.md, "Agent status and presence"):
-- uContact's break reason (NULL: not a break) and since when it is retired (NULL:
-- offered in the picker; a retired one is still named in history and on the board).
ALTER TABLE status_values ADD COLUMN motive TEXT;
ALTER TABLE status_values ADD COLUMN retired_at INTEGER;
-- What the desktop relayed before this was configurable: the five mapped statuses their
-- reason, any other custom status OTHER, system values no break.
UPDATE status_values SET motive = CASE value
    WHEN 'bath' THEN 'BATHROOM'
    WHEN 'meal' THEN 'LUNCH'
    WHEN 'training' THEN 'TRAINING'
    WHEN 'break' THEN 'PERSONAL'
    ELSE 'OTHER' END
WHERE NOT system;
