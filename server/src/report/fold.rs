//! What each queue_log row adds to the reports' roll-ups: one pure function of the row
//! ([`Rollup::add`]) and one of a call's hold events ([`hold_of`]). Every write path
//! (a desktop call's own rows, an import) and the rebuild command go through these, so
//! roll-ups maintained row by row equal roll-ups rebuilt from the raw rows.
//!
//! Roll-ups are per quarter hour (UTC): every time zone in use is a whole number of
//! quarter hours from UTC, so a quarter hour falls inside one local hour, day and week.

use std::collections::BTreeMap;

/// Length of a roll-up bucket, ms.
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// A bucket's start.
pub fn bucket(at_ms: i64) -> i64 {
    at_ms.div_euclid(BUCKET_MS) * BUCKET_MS
}

/// Counters of `report_queue`, per (team, bucket, campaign), in column order.
pub const QUEUE_COLUMNS: [&str; 27] = [
    "offered",
    "answered",
    "answered_wait_s",
    "abandoned",
    "abandoned_wait_s",
    "exit_empty",
    "exit_key",
    "exit_timeout",
    "exit_wait_s",
    "completed",
    "talk_s",
    "agent_hangups",
    "caller_hangups",
    "transfers",
    "ring_no_answer",
    "outbound",
    "outbound_s",
    "out_answer",
    "out_busy",
    "out_noanswer",
    "out_other",
    "holds",
    "hold_ms",
    "wrapups",
    "wrapup_s",
    "unknown",
    "malformed",
];

/// Indexes into a queue counter array.
pub mod q {
    pub const OFFERED: usize = 0;
    pub const ANSWERED: usize = 1;
    pub const ANSWERED_WAIT: usize = 2;
    pub const ABANDONED: usize = 3;
    pub const ABANDONED_WAIT: usize = 4;
    pub const EXIT_EMPTY: usize = 5;
    pub const EXIT_KEY: usize = 6;
    pub const EXIT_TIMEOUT: usize = 7;
    pub const EXIT_WAIT: usize = 8;
    pub const COMPLETED: usize = 9;
    pub const TALK: usize = 10;
    pub const AGENT_HANGUPS: usize = 11;
    pub const CALLER_HANGUPS: usize = 12;
    pub const TRANSFERS: usize = 13;
    pub const RING_NO_ANSWER: usize = 14;
    pub const OUTBOUND: usize = 15;
    pub const OUTBOUND_SECS: usize = 16;
    pub const OUT_ANSWER: usize = 17;
    pub const OUT_BUSY: usize = 18;
    pub const OUT_NOANSWER: usize = 19;
    pub const OUT_OTHER: usize = 20;
    pub const HOLDS: usize = 21;
    pub const HOLD_MS: usize = 22;
    pub const WRAPUPS: usize = 23;
    pub const WRAPUP: usize = 24;
    pub const UNKNOWN: usize = 25;
    pub const MALFORMED: usize = 26;
}

/// Counters of `report_agent`, per (team, bucket, agent), in column order.
pub const AGENT_COLUMNS: [&str; 11] = [
    "login_ms",
    "break_ms",
    "breaks",
    "answered",
    "handled",
    "talk_s",
    "hold_ms",
    "wrapups",
    "wrapup_s",
    "ring_no_answer",
    "outbound",
];

/// Indexes into an agent counter array.
pub mod a {
    pub const LOGIN_MS: usize = 0;
    pub const BREAK_MS: usize = 1;
    pub const BREAKS: usize = 2;
    pub const ANSWERED: usize = 3;
    pub const HANDLED: usize = 4;
    pub const TALK: usize = 5;
    pub const HOLD_MS: usize = 6;
    pub const WRAPUPS: usize = 7;
    pub const WRAPUP: usize = 8;
    pub const RING_NO_ANSWER: usize = 9;
    pub const OUTBOUND: usize = 10;
}

pub type QueueCounts = [i64; QUEUE_COLUMNS.len()];
pub type AgentCounts = [i64; AGENT_COLUMNS.len()];

/// The longest duration a row may report (a week, in seconds): a larger number is a
/// broken row, kept at this bound so that no sum overflows.
const MAX_SECS: i64 = 7 * 24 * 3600;

/// Events that end a call's hold (with UNHOLD): the call is over.
pub const CALL_END_EVENTS: [&str; 5] = [
    "COMPLETEAGENT",
    "COMPLETECALLER",
    "TRANSFER",
    "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
];

/// Events whose rows decide a call's hold time ([`hold_of`]).
pub fn is_hold_event(event: &str) -> bool {
    event == "HOLD" || event == "UNHOLD" || CALL_END_EVENTS.contains(&event)
}

/// Events the seed lists that no report counts (telephony pauses, queue membership, the
/// desktop's own call markers…): neither counted nor "unknown".
const IGNORED_EVENTS: [&str; 27] = [
    "AGENTLOGIN",
    "PAUSE",
    "UNPAUSE",
    "PAUSEALL",
    "UNPAUSEALL",
    "REALPAUSE",
    "REALUNPAUSE",
    "ADDMEMBER",
    "REMOVEMEMBER",
    "REMOVEDMEMBER",
    "AGENTDUMP",
    "CREATEDQUEUE",
    "QUEUESTART",
    "CONFIGRELOAD",
    "STARTCALL",
    "PHONECALLAGENT",
    "PHONECOMPLETEAGENT",
    "PHONECOMPLETECALLER",
    "PHONESTARHOLDIN",
    "PHONESTARHOLDOUT",
    "PHONEENDHOLDIN",
    "PHONEENDHOLDOUT",
    "REENTERQUEUE",
    "TRANSFERRED",
    "ATTENDED",
    "AGENTCALLED",
    "DID",
];

/// One queue_log row as the fold reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub team_id: i64,
    pub at_ms: i64,
    pub callid: &'a str,
    pub queue: &'a str,
    pub agent: &'a str,
    pub event: &'a str,
    pub data: [&'a str; 5],
}

/// The campaign a queue name stands for: uContact writes `NONE` for rows of no queue.
pub fn campaign(queue: &str) -> &str {
    let q = queue.trim();
    if q.eq_ignore_ascii_case("none") {
        ""
    } else {
        q
    }
}

/// The agent a row names (`NONE`: nobody).
pub fn agent(agent: &str) -> &str {
    campaign(agent)
}

/// Changes to the roll-ups, keyed as their tables are. Values are added on write (they
/// may be negative: a call's hold time moves when a later row arrives).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub queue: BTreeMap<(i64, i64, String), QueueCounts>,
    pub agent: BTreeMap<(i64, i64, String), AgentCounts>,
    /// (team, bucket, agent, reason) → (break ms).
    pub breaks: BTreeMap<(i64, i64, String, String), i64>,
    /// (team, bucket, campaign, wait seconds) → answered calls.
    pub waits: BTreeMap<(i64, i64, String, i64), i64>,
}

/// A number of seconds from a row's data field: blank is 0; anything else unreadable is
/// 0 and reported (`Err`). Negative is 0; more than a week is a week.
fn secs(v: &str) -> Result<i64, i64> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(0);
    }
    // uContact writes whole seconds; tolerate a fraction.
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok((x.round() as i64).clamp(0, MAX_SECS)),
        _ => Err(0),
    }
}

impl Rollup {
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
            && self.agent.is_empty()
            && self.breaks.is_empty()
            && self.waits.is_empty()
    }

    fn q(&mut self, r: &Row<'_>) -> &mut QueueCounts {
        self.queue
            .entry((r.team_id, bucket(r.at_ms), campaign(r.queue).to_owned()))
            .or_insert([0; QUEUE_COLUMNS.len()])
    }

    fn a(&mut self, team: i64, at_ms: i64, agent: &str) -> &mut AgentCounts {
        self.agent
            .entry((team, bucket(at_ms), agent.to_owned()))
            .or_insert([0; AGENT_COLUMNS.len()])
    }

    /// Add what `r` counts (hold time apart: [`hold_of`]).
    pub fn add(&mut self, r: &Row<'_>) {
        let mut bad = 0;
        let mut num = |i: usize| {
            secs(r.data[i]).unwrap_or_else(|e| {
                bad += 1;
                e
            })
        };
        let who = agent(r.agent).to_owned();
        match r.event {
            "ENTERQUEUE" => self.q(r)[q::OFFERED] += 1,
            "CONNECT" => {
                let wait = num(0);
                let c = self.q(r);
                c[q::ANSWERED] += 1;
                c[q::ANSWERED_WAIT] += wait;
                *self
                    .waits
                    .entry((
                        r.team_id,
                        bucket(r.at_ms),
                        campaign(r.queue).to_owned(),
                        wait,
                    ))
                    .or_insert(0) += 1;
                if !who.is_empty() {
                    self.a(r.team_id, r.at_ms, &who)[a::ANSWERED] += 1;
                }
            }
            "ABANDON" => {
                let wait = num(2);
                let c = self.q(r);
                c[q::ABANDONED] += 1;
                c[q::ABANDONED_WAIT] += wait;
            }
            "EXITEMPTY" | "EXITWITHTIMEOUT" | "EXITWITHKEY" => {
                // EXITWITHKEY: key, position, origposition, waittime.
                let wait = num(if r.event == "EXITWITHKEY" { 3 } else { 2 });
                let column = match r.event {
                    "EXITEMPTY" => q::EXIT_EMPTY,
                    "EXITWITHKEY" => q::EXIT_KEY,
                    _ => q::EXIT_TIMEOUT,
                };
                let c = self.q(r);
                c[column] += 1;
                c[q::EXIT_WAIT] += wait;
            }
            "COMPLETEAGENT" | "COMPLETECALLER" | "TRANSFER" | "BLINDTRANSFER"
            | "ATTENDEDTRANSFER" => {
                // Completions: holdtime, calltime, origposition; transfers: extension,
                // context, holdtime, calltime, origposition.
                let complete = r.event.starts_with("COMPLETE");
                let talk = num(if complete { 1 } else { 3 });
                let c = self.q(r);
                c[q::COMPLETED] += 1;
                c[q::TALK] += talk;
                match r.event {
                    "COMPLETEAGENT" => c[q::AGENT_HANGUPS] += 1,
                    "COMPLETECALLER" => c[q::CALLER_HANGUPS] += 1,
                    _ => c[q::TRANSFERS] += 1,
                }
                if !who.is_empty() {
                    let g = self.a(r.team_id, r.at_ms, &who);
                    g[a::HANDLED] += 1;
                    g[a::TALK] += talk;
                }
            }
            "RINGNOANSWER" => {
                self.q(r)[q::RING_NO_ANSWER] += 1;
                if !who.is_empty() {
                    self.a(r.team_id, r.at_ms, &who)[a::RING_NO_ANSWER] += 1;
                }
            }
            "OUTCALL" => {
                let duration = num(1);
                let column = match r.data[0].trim().to_ascii_uppercase().as_str() {
                    "ANSWER" | "ANSWERED" => q::OUT_ANSWER,
                    "BUSY" => q::OUT_BUSY,
                    "NOANSWER" | "NO ANSWER" => q::OUT_NOANSWER,
                    _ => q::OUT_OTHER,
                };
                let c = self.q(r);
                c[q::OUTBOUND] += 1;
                c[q::OUTBOUND_SECS] += duration;
                c[column] += 1;
                if !who.is_empty() {
                    self.a(r.team_id, r.at_ms, &who)[a::OUTBOUND] += 1;
                }
            }
            "FINISHWRAPUP" => {
                // timeleft, totalwrapup: the time used is the difference.
                let used = (num(1) - num(0)).max(0);
                let c = self.q(r);
                c[q::WRAPUPS] += 1;
                c[q::WRAPUP] += used;
                if !who.is_empty() {
                    let g = self.a(r.team_id, r.at_ms, &who);
                    g[a::WRAPUPS] += 1;
                    g[a::WRAPUP] += used;
                }
            }
            "AGENTLOGOFF" => {
                let session = num(0) * 1000;
                if !who.is_empty() {
                    self.spread(r.team_id, &who, r.at_ms - session, r.at_ms, |g, ms| {
                        g[a::LOGIN_MS] += ms
                    });
                }
            }
            "BREAK" => {
                if !who.is_empty() {
                    self.a(r.team_id, r.at_ms, &who)[a::BREAKS] += 1;
                }
            }
            "UNBREAK" => {
                let length = num(2) * 1000;
                if !who.is_empty() {
                    let reason = r.data[0].trim().to_uppercase();
                    let mut parts = Vec::new();
                    self.spread(r.team_id, &who, r.at_ms - length, r.at_ms, |g, ms| {
                        g[a::BREAK_MS] += ms;
                    });
                    split(r.at_ms - length, r.at_ms, |b, ms| parts.push((b, ms)));
                    for (b, ms) in parts {
                        *self
                            .breaks
                            .entry((r.team_id, b, who.clone(), reason.clone()))
                            .or_insert(0) += ms;
                    }
                }
            }
            // Hold time needs the call's other rows: `hold_of`.
            "HOLD" | "UNHOLD" => {}
            e if IGNORED_EVENTS.contains(&e) => {}
            _ => self.q(r)[q::UNKNOWN] += 1,
        }
        if bad > 0 {
            self.q(r)[q::MALFORMED] += 1;
        }
    }

    /// Add `f` of each bucket's share of `[from, to)` to the agent's counters there.
    fn spread(
        &mut self,
        team: i64,
        who: &str,
        from: i64,
        to: i64,
        f: impl Fn(&mut AgentCounts, i64),
    ) {
        split(from, to, |b, ms| f(self.a(team, b, who), ms));
    }

    /// Add (`sign` 1) or take back (-1) a call's hold contribution.
    pub fn add_hold(&mut self, team: i64, h: &Hold, sign: i64) {
        let c = self
            .queue
            .entry((team, h.bucket, h.campaign.clone()))
            .or_insert([0; QUEUE_COLUMNS.len()]);
        c[q::HOLDS] += sign * h.holds;
        c[q::HOLD_MS] += sign * h.hold_ms;
        if !h.agent.is_empty() {
            self.a(team, h.bucket, &h.agent)[a::HOLD_MS] += sign * h.hold_ms;
        }
    }

    /// Drop entries that add nothing (a hold moved back and forth, a zero wait…).
    pub fn prune(&mut self) {
        self.queue.retain(|_, c| c.iter().any(|v| *v != 0));
        self.agent.retain(|_, c| c.iter().any(|v| *v != 0));
        self.breaks.retain(|_, v| *v != 0);
        self.waits.retain(|_, v| *v != 0);
    }
}

/// Call `f(bucket, ms)` for each bucket's share of `[from, to)`.
pub fn split(from: i64, to: i64, mut f: impl FnMut(i64, i64)) {
    let mut t = from;
    while t < to {
        let b = bucket(t);
        let end = (b + BUCKET_MS).min(to);
        f(b, end - t);
        t = end;
    }
}

/// One hold-related row of a call: (time, id, event, queue, agent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldEvent {
    pub at_ms: i64,
    pub id: i64,
    pub event: String,
    pub queue: String,
    pub agent: String,
}

/// A call's hold contribution, counted where its first HOLD is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub bucket: i64,
    pub campaign: String,
    pub agent: String,
    pub holds: i64,
    pub hold_ms: i64,
}

/// The hold periods of a call from its hold-related rows in any order: a HOLD opens one
/// (a HOLD while on hold changes nothing), UNHOLD or the call's end closes it; one left
/// open at the end of the rows has no length yet (uContact may write no UNHOLD when the
/// call is hung up on hold — the end then closes it). `None`: the call was never on hold.
pub fn hold_of(events: &mut [HoldEvent]) -> Option<Hold> {
    events.sort_by_key(|e| (e.at_ms, e.id));
    let first = events.iter().find(|e| e.event == "HOLD")?;
    let mut h = Hold {
        bucket: bucket(first.at_ms),
        campaign: campaign(&first.queue).to_owned(),
        agent: agent(&first.agent).to_owned(),
        holds: 0,
        hold_ms: 0,
    };
    let mut open: Option<i64> = None;
    for e in events.iter() {
        match e.event.as_str() {
            "HOLD" => {
                if open.is_none() {
                    open = Some(e.at_ms);
                    h.holds += 1;
                }
            }
            _ => {
                if let Some(since) = open.take() {
                    h.hold_ms += (e.at_ms - since).max(0);
                }
            }
        }
    }
    Some(h)
}
