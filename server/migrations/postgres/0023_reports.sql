-- Roll-ups of queue_log for the reports (docs/reports.md), per quarter hour (UTC),
-- maintained on every write of queue_log and rebuilt by `rebuild-reports`. Counters
-- are sums; times in seconds (`_s`) or milliseconds (`_ms`).
CREATE TABLE report_queue (
    team_id          BIGINT NOT NULL,
    bucket           BIGINT NOT NULL,
    campaign         TEXT COLLATE "C" NOT NULL,
    offered          BIGINT NOT NULL DEFAULT 0,
    answered         BIGINT NOT NULL DEFAULT 0,
    answered_wait_s  BIGINT NOT NULL DEFAULT 0,
    abandoned        BIGINT NOT NULL DEFAULT 0,
    abandoned_wait_s BIGINT NOT NULL DEFAULT 0,
    exit_empty       BIGINT NOT NULL DEFAULT 0,
    exit_key         BIGINT NOT NULL DEFAULT 0,
    exit_timeout     BIGINT NOT NULL DEFAULT 0,
    exit_wait_s      BIGINT NOT NULL DEFAULT 0,
    completed        BIGINT NOT NULL DEFAULT 0,
    talk_s           BIGINT NOT NULL DEFAULT 0,
    agent_hangups    BIGINT NOT NULL DEFAULT 0,
    caller_hangups   BIGINT NOT NULL DEFAULT 0,
    transfers        BIGINT NOT NULL DEFAULT 0,
    ring_no_answer   BIGINT NOT NULL DEFAULT 0,
    outbound         BIGINT NOT NULL DEFAULT 0,
    outbound_s       BIGINT NOT NULL DEFAULT 0,
    out_answer       BIGINT NOT NULL DEFAULT 0,
    out_busy         BIGINT NOT NULL DEFAULT 0,
    out_noanswer     BIGINT NOT NULL DEFAULT 0,
    out_other        BIGINT NOT NULL DEFAULT 0,
    holds            BIGINT NOT NULL DEFAULT 0,
    hold_ms          BIGINT NOT NULL DEFAULT 0,
    wrapups          BIGINT NOT NULL DEFAULT 0,
    wrapup_s         BIGINT NOT NULL DEFAULT 0,
    unknown          BIGINT NOT NULL DEFAULT 0,
    malformed        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, campaign)
);

CREATE TABLE report_agent (
    team_id        BIGINT NOT NULL,
    bucket         BIGINT NOT NULL,
    agent          TEXT COLLATE "C" NOT NULL,
    login_ms       BIGINT NOT NULL DEFAULT 0,
    break_ms       BIGINT NOT NULL DEFAULT 0,
    breaks         BIGINT NOT NULL DEFAULT 0,
    answered       BIGINT NOT NULL DEFAULT 0,
    handled        BIGINT NOT NULL DEFAULT 0,
    talk_s         BIGINT NOT NULL DEFAULT 0,
    hold_ms        BIGINT NOT NULL DEFAULT 0,
    wrapups        BIGINT NOT NULL DEFAULT 0,
    wrapup_s       BIGINT NOT NULL DEFAULT 0,
    ring_no_answer BIGINT NOT NULL DEFAULT 0,
    outbound       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, agent)
);

CREATE TABLE report_break (
    team_id  BIGINT NOT NULL,
    bucket   BIGINT NOT NULL,
    agent    TEXT COLLATE "C" NOT NULL,
    reason   TEXT COLLATE "C" NOT NULL,
    break_ms BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, agent, reason)
);

-- Answered calls by their wait (whole seconds): percentiles and service levels for any
-- threshold.
CREATE TABLE report_wait (
    team_id  BIGINT NOT NULL,
    bucket   BIGINT NOT NULL,
    campaign TEXT COLLATE "C" NOT NULL,
    wait_s   BIGINT NOT NULL,
    calls    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, bucket, campaign, wait_s)
);

-- Each call's hold contribution as last counted, so that a later row of the call
-- (an UNHOLD, its end) replaces it instead of adding to it.
CREATE TABLE report_hold (
    team_id  BIGINT NOT NULL,
    callid   TEXT NOT NULL,
    bucket   BIGINT NOT NULL,
    campaign TEXT COLLATE "C" NOT NULL,
    agent    TEXT COLLATE "C" NOT NULL,
    holds    BIGINT NOT NULL,
    hold_ms  BIGINT NOT NULL,
    PRIMARY KEY (team_id, callid)
);

-- A call's rows for its hold time.
CREATE INDEX queue_log_team_call ON queue_log(team_id, callid);
