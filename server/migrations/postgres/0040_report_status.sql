-- Time per status of our own presence, per user and quarter hour (UTC), for the agent
-- report (docs/reports.md, "Agent report"): kept by every presence change (the span
-- the change closes), rebuilt by `rebuild-reports` (store/shared/status_rollup.rs).
-- A user's time, not a team's: a report of a team sums its members'.
CREATE TABLE report_status (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    bucket  BIGINT NOT NULL,
    status  TEXT NOT NULL,
    ms      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, bucket, status)
);

-- What is already there: each event's value until the user's next event, split at
-- quarter hours, counted unless the user is signed out (their last connected /
-- reconnected / disconnected event at or before it is disconnected), `disconnected` left
-- out (the rebuild's statement, for every user).
WITH RECURSIVE ev AS (SELECT user_id, at, id, value,
    LEAD(at) OVER (PARTITION BY user_id ORDER BY at, id) AS stop,
    SUM(CASE WHEN value IN ('connected', 'reconnected', 'disconnected') THEN 1 ELSE 0 END)
      OVER (PARTITION BY user_id ORDER BY at, id ROWS UNBOUNDED PRECEDING) AS grp
    FROM connection_events),
spans AS (SELECT user_id, at AS start, stop, value FROM (SELECT user_id, at, stop,
    value, grp, FIRST_VALUE(value) OVER (PARTITION BY user_id, grp ORDER BY at, id)
    AS since FROM ev) x WHERE grp = 0 OR since <> 'disconnected'),
piece(user_id, bucket, start, stop, value) AS (
    SELECT user_id, start - start % 900000, start, stop, value FROM spans
    WHERE stop > start AND value <> 'disconnected'
    UNION ALL SELECT user_id, bucket + 900000, bucket + 900000, stop, value
    FROM piece WHERE bucket + 900000 < stop)
INSERT INTO report_status (user_id, bucket, status, ms)
SELECT user_id, bucket, value,
    SUM(CASE WHEN stop < bucket + 900000 THEN stop ELSE bucket + 900000 END - start)
FROM piece GROUP BY user_id, bucket, value;
