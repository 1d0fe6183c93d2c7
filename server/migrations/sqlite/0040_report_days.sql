-- The reports' roll-ups summed by UTC day beside the quarter-hour ones (report/span.rs):
-- a report reads a day's row for every UTC day that lies inside one of its intervals
-- (the range's totals, weeks, days in UTC) and quarter hours only for the rest, so a
-- month's totals sum ~30 rows per agent, not ~3,000. Kept by the same writes as the
-- quarter-hour tables (store/shared/rollups.rs, status_rollup.rs), rebuilt by
-- `rebuild-reports`; `bucket` is the UTC day's start (ms).

CREATE TABLE report_queue_day (
    team_id          INTEGER NOT NULL,
    bucket           INTEGER NOT NULL,
    campaign         TEXT NOT NULL,
    offered          INTEGER NOT NULL DEFAULT 0,
    answered         INTEGER NOT NULL DEFAULT 0,
    answered_wait_s  INTEGER NOT NULL DEFAULT 0,
    abandoned        INTEGER NOT NULL DEFAULT 0,
    abandoned_wait_s INTEGER NOT NULL DEFAULT 0,
    exit_empty       INTEGER NOT NULL DEFAULT 0,
    exit_key         INTEGER NOT NULL DEFAULT 0,
    exit_timeout     INTEGER NOT NULL DEFAULT 0,
    exit_wait_s      INTEGER NOT NULL DEFAULT 0,
    completed        INTEGER NOT NULL DEFAULT 0,
    talk_s           INTEGER NOT NULL DEFAULT 0,
    agent_hangups    INTEGER NOT NULL DEFAULT 0,
    caller_hangups   INTEGER NOT NULL DEFAULT 0,
    transfers        INTEGER NOT NULL DEFAULT 0,
    ring_no_answer   INTEGER NOT NULL DEFAULT 0,
    outbound         INTEGER NOT NULL DEFAULT 0,
    outbound_s       INTEGER NOT NULL DEFAULT 0,
    out_answer       INTEGER NOT NULL DEFAULT 0,
    out_busy         INTEGER NOT NULL DEFAULT 0,
    out_noanswer     INTEGER NOT NULL DEFAULT 0,
    out_other        INTEGER NOT NULL DEFAULT 0,
    holds            INTEGER NOT NULL DEFAULT 0,
    hold_ms          INTEGER NOT NULL DEFAULT 0,
    wrapups          INTEGER NOT NULL DEFAULT 0,
    wrapup_s         INTEGER NOT NULL DEFAULT 0,
    unknown          INTEGER NOT NULL DEFAULT 0,
    malformed        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, campaign)
) WITHOUT ROWID;

CREATE TABLE report_agent_day (
    team_id        INTEGER NOT NULL,
    bucket         INTEGER NOT NULL,
    agent          TEXT NOT NULL,
    login_ms       INTEGER NOT NULL DEFAULT 0,
    break_ms       INTEGER NOT NULL DEFAULT 0,
    breaks         INTEGER NOT NULL DEFAULT 0,
    answered       INTEGER NOT NULL DEFAULT 0,
    handled        INTEGER NOT NULL DEFAULT 0,
    talk_s         INTEGER NOT NULL DEFAULT 0,
    hold_ms        INTEGER NOT NULL DEFAULT 0,
    wrapups        INTEGER NOT NULL DEFAULT 0,
    wrapup_s       INTEGER NOT NULL DEFAULT 0,
    ring_no_answer INTEGER NOT NULL DEFAULT 0,
    outbound       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, agent)
) WITHOUT ROWID;

CREATE TABLE report_break_day (
    team_id  INTEGER NOT NULL,
    bucket   INTEGER NOT NULL,
    agent    TEXT NOT NULL,
    reason   TEXT NOT NULL,
    break_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, agent, reason)
) WITHOUT ROWID;

CREATE TABLE report_wait_day (
    team_id  INTEGER NOT NULL,
    bucket   INTEGER NOT NULL,
    campaign TEXT NOT NULL,
    wait_s   INTEGER NOT NULL,
    calls    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, campaign, wait_s)
) WITHOUT ROWID;

CREATE TABLE report_status_day (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    bucket  INTEGER NOT NULL,
    status  TEXT NOT NULL,
    ms      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, bucket, status)
) WITHOUT ROWID;

-- What is already there: an agent's quarter hour whose counters a moved hold time left
-- all 0 is no row of the report (the write path now deletes such rows); then the
-- quarter hours summed by day.
DELETE FROM report_agent WHERE login_ms = 0 AND break_ms = 0 AND breaks = 0
    AND answered = 0 AND handled = 0 AND talk_s = 0 AND hold_ms = 0 AND wrapups = 0
    AND wrapup_s = 0 AND ring_no_answer = 0 AND outbound = 0;
INSERT INTO report_queue_day (team_id, bucket, campaign, offered, answered, answered_wait_s, abandoned, abandoned_wait_s, exit_empty, exit_key, exit_timeout, exit_wait_s, completed, talk_s, agent_hangups, caller_hangups, transfers, ring_no_answer, outbound, outbound_s, out_answer, out_busy, out_noanswer, out_other, holds, hold_ms, wrapups, wrapup_s, unknown, malformed)
SELECT team_id, bucket - (bucket % 86400000 + 86400000) % 86400000, campaign, SUM(offered), SUM(answered), SUM(answered_wait_s), SUM(abandoned), SUM(abandoned_wait_s), SUM(exit_empty), SUM(exit_key), SUM(exit_timeout), SUM(exit_wait_s), SUM(completed), SUM(talk_s), SUM(agent_hangups), SUM(caller_hangups), SUM(transfers), SUM(ring_no_answer), SUM(outbound), SUM(outbound_s), SUM(out_answer), SUM(out_busy), SUM(out_noanswer), SUM(out_other), SUM(holds), SUM(hold_ms), SUM(wrapups), SUM(wrapup_s), SUM(unknown), SUM(malformed)
FROM report_queue GROUP BY 1, 2, 3;
INSERT INTO report_agent_day (team_id, bucket, agent, login_ms, break_ms, breaks, answered, handled, talk_s, hold_ms, wrapups, wrapup_s, ring_no_answer, outbound)
SELECT team_id, bucket - (bucket % 86400000 + 86400000) % 86400000, agent, SUM(login_ms), SUM(break_ms), SUM(breaks), SUM(answered), SUM(handled), SUM(talk_s), SUM(hold_ms), SUM(wrapups), SUM(wrapup_s), SUM(ring_no_answer), SUM(outbound)
FROM report_agent GROUP BY 1, 2, 3;
INSERT INTO report_break_day (team_id, bucket, agent, reason, break_ms)
SELECT team_id, bucket - (bucket % 86400000 + 86400000) % 86400000, agent, reason, SUM(break_ms)
FROM report_break GROUP BY 1, 2, 3, 4;
INSERT INTO report_wait_day (team_id, bucket, campaign, wait_s, calls)
SELECT team_id, bucket - (bucket % 86400000 + 86400000) % 86400000, campaign, wait_s, SUM(calls)
FROM report_wait GROUP BY 1, 2, 3, 4;
INSERT INTO report_status_day (user_id, bucket, status, ms)
SELECT user_id, bucket - (bucket % 86400000 + 86400000) % 86400000, status, SUM(ms)
FROM report_status GROUP BY 1, 2, 3;
