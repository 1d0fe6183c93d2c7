-- Roll-ups of queue_log for the reports (docs/reports.md), per quarter hour (UTC),
-- maintained on every write of queue_log and rebuilt by `rebuild-reports`. Counters
-- are sums; times in seconds (`_s`) or milliseconds (`_ms`).
CREATE TABLE report_queue (
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

CREATE TABLE report_agent (
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

CREATE TABLE report_break (
    team_id  INTEGER NOT NULL,
    bucket   INTEGER NOT NULL,
    agent    TEXT NOT NULL,
    reason   TEXT NOT NULL,
    break_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, agent, reason)
) WITHOUT ROWID;

-- Answered calls by their wait (whole seconds): percentiles and service levels for any
-- threshold.
CREATE TABLE report_wait (
    team_id  INTEGER NOT NULL,
    bucket   INTEGER NOT NULL,
    campaign TEXT NOT NULL,
    wait_s   INTEGER NOT NULL,
    calls    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, campaign, wait_s)
) WITHOUT ROWID;

-- Each call's hold contribution as last counted, so that a later row of the call
-- (an UNHOLD, its end) replaces it instead of adding to it.
CREATE TABLE report_hold (
    team_id  INTEGER NOT NULL,
    callid   TEXT NOT NULL,
    bucket   INTEGER NOT NULL,
    campaign TEXT NOT NULL,
    agent    TEXT NOT NULL,
    holds    INTEGER NOT NULL,
    hold_ms  INTEGER NOT NULL,
    PRIMARY KEY (team_id, callid)
) WITHOUT ROWID;

-- A call's rows for its hold time.
CREATE INDEX queue_log_team_call ON queue_log(team_id, callid);
