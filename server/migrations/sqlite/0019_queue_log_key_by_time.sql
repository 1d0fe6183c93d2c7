-- An imported queue_log row's duplicate key is found through (team, time, digest)
-- instead of (team, digest). Digests are random, so every insert landed on a random
-- page of an index that outgrew the cache as the table grew (a million-row import ran
-- at half the speed of a hundred-thousand-row one); exports are in time order, so with
-- the time first the index grows at its end. A row's digest covers its time as written
-- in the file, so two rows with one digest have one time: the same rows are duplicates
-- as before, for a file imported again with the same time zone.
DROP INDEX queue_log_row_key;
CREATE UNIQUE INDEX queue_log_row_key ON queue_log(team_id, datetime, row_key)
    WHERE row_key IS NOT NULL;
