//! Agent status and presence: the transition rules, in one pure function, and the
//! service that applies them and tells browsers.
//!
//! Every source of a status change — the desktop's real-time stream opening and
//! closing, the picker, calls, sign-out, uContact webhooks — becomes a [`Change`]. The
//! store applies it inside one transaction around the agent's presence row by calling
//! [`transition`], so the rules live here once for every backend and every instance, and
//! each change writes its connection events and the `agent.status` event together.

use std::time::Duration;

use agentdesk_protocol::{
    AVAILABLE, AgentStatus, ConnectionEventType, DISCONNECTED, DisconnectReason, END_CALL, IN_CALL,
    StatusDef, WRAP_UP,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::StoreResult;

/// An agent's presence row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub session_id: Option<String>,
    pub connected: bool,
    pub status: String,
    /// Milliseconds since the epoch.
    pub since: i64,
    pub pending: Option<String>,
    pub in_call: bool,
    /// The status a call returns the agent to.
    pub pre_call: Option<String>,
    pub disconnected_at: Option<i64>,
    /// The status a quick reconnect restores.
    pub before_disconnect: Option<String>,
}

impl Presence {
    /// An agent never seen before.
    pub fn new(now: i64) -> Self {
        Presence {
            session_id: None,
            connected: false,
            status: DISCONNECTED.into(),
            since: now,
            pending: None,
            in_call: false,
            pre_call: None,
            disconnected_at: None,
            before_disconnect: None,
        }
    }

    pub fn to_status(&self, user_id: i64) -> AgentStatus {
        AgentStatus {
            user_id,
            value: self.status.clone(),
            since: DateTime::from_timestamp_millis(self.since).unwrap_or_default(),
            pending: self.pending.clone(),
            connected: self.connected,
            session_id: self.session_id.clone(),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The agent's first real-time stream opened. `fresh_session` is the session id to
    /// use if this starts a new console session.
    Connect {
        fresh_session: String,
    },
    /// The agent's last stream went away (or they signed out).
    Disconnect {
        reason: DisconnectReason,
    },
    /// The agent chose a status (picker, or a break taken in uContact).
    Choose {
        value: String,
    },
    /// The agent dropped a change queued during a call.
    CancelPending,
    /// A call started / ended. `wrap_up`: its campaign wants a disposition first, so
    /// the agent goes to after-call work instead of back.
    CallStarted,
    CallEnded {
        wrap_up: bool,
    },
    /// The disposition was saved: after-call work is over (no-op outside it).
    WrapUpDone,
    /// The automatic call distributor set a value (`occupying`, `releasing`, `timeout`…).
    Acd {
        value: String,
    },
}

/// A connection event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: ConnectionEventType,
    pub value: String,
    pub reason: Option<DisconnectReason>,
    pub session_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub presence: Presence,
    pub entries: Vec<Entry>,
    /// The choice waits for the end of the call.
    pub queued: bool,
}

/// Apply `change` at `now` (ms). `restore_ms`: how soon a reconnect must come to get the
/// previous status back. Pure: the store calls it under its lock.
pub fn transition(p: &Presence, change: Change, now: i64, restore_ms: i64) -> Outcome {
    let mut next = p.clone();
    let mut entries = Vec::new();
    let mut queued = false;
    // Connection events always carry a session id; a change made while no console
    // session exists (an API call, a webhook) opens one.
    let session = |next: &mut Presence, fresh: Option<&str>| -> String {
        next.session_id
            .get_or_insert_with(|| {
                fresh
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("s{now:x}"))
            })
            .clone()
    };
    let mut set = |next: &mut Presence, kind, value: &str, reason| {
        let session_id = session(next, None);
        entries.push(Entry {
            kind,
            value: value.to_owned(),
            reason,
            session_id,
        });
        if next.status != value {
            next.status = value.to_owned();
            next.since = now;
        }
    };
    use ConnectionEventType::{Acd, StatusChanged, StatusChangedUser};
    match change {
        Change::Connect { fresh_session } => {
            if p.connected {
                return Outcome {
                    presence: next,
                    entries,
                    queued,
                };
            }
            next.connected = true;
            let restore = match (p.disconnected_at, &p.before_disconnect) {
                (Some(at), Some(prev)) if now - at <= restore_ms && p.session_id.is_some() => {
                    Some(prev.clone())
                }
                _ => None,
            };
            next.disconnected_at = None;
            next.before_disconnect = None;
            match restore {
                Some(prev) => {
                    set(&mut next, StatusChanged, "reconnected", None);
                    let kind = if agentdesk_protocol::is_system(&prev) {
                        StatusChanged
                    } else {
                        StatusChangedUser
                    };
                    set(&mut next, kind, &prev, None);
                }
                None => {
                    // A new console session: a call or a queued change of the old one
                    // does not carry over.
                    next.session_id = Some(fresh_session);
                    next.in_call = false;
                    next.pending = None;
                    next.pre_call = None;
                    set(&mut next, StatusChanged, "connected", None);
                    set(&mut next, StatusChanged, AVAILABLE, None);
                }
            }
        }
        Change::Disconnect { reason } => {
            if p.connected {
                next.connected = false;
                next.disconnected_at = Some(now);
                // Signing out ends the console session: nothing to restore.
                next.before_disconnect =
                    (reason != DisconnectReason::Logout).then(|| p.status.clone());
                set(&mut next, StatusChanged, DISCONNECTED, Some(reason));
                if reason == DisconnectReason::Logout {
                    next.session_id = None;
                }
            }
        }
        Change::Choose { value } => {
            // During a call and its after-call work a choice waits for the end.
            if p.in_call || p.status == WRAP_UP {
                next.pending = Some(value);
                queued = true;
            } else if p.status != value {
                next.pending = None;
                set(&mut next, StatusChangedUser, &value, None);
            }
        }
        Change::CancelPending => next.pending = None,
        Change::CallStarted => {
            if !p.in_call {
                next.in_call = true;
                // A call taken during after-call work returns where that would have.
                if p.status != WRAP_UP {
                    next.pre_call = Some(p.status.clone()).filter(|s| s != DISCONNECTED);
                }
                set(&mut next, StatusChanged, IN_CALL, None);
            }
        }
        Change::CallEnded { wrap_up } => {
            if p.in_call && !p.connected {
                // Ended while the desktop was away: a quick reconnect returns to where
                // the call would have (a new console session starts fresh anyway).
                next.in_call = false;
                if next.before_disconnect.is_some() {
                    next.before_disconnect = Some(if wrap_up {
                        WRAP_UP.to_owned()
                    } else {
                        back_from_call(&mut next)
                    });
                }
            } else if p.in_call {
                next.in_call = false;
                set(&mut next, StatusChanged, END_CALL, None);
                if wrap_up {
                    // The queued choice and the status before the call wait with it.
                    set(&mut next, StatusChanged, WRAP_UP, None);
                } else {
                    leave_call(&mut next, &mut set);
                }
            }
        }
        Change::WrapUpDone => {
            if p.status == WRAP_UP && !p.in_call {
                leave_call(&mut next, &mut set);
            } else if !p.connected && !p.in_call && p.before_disconnect.as_deref() == Some(WRAP_UP)
            {
                next.before_disconnect = Some(back_from_call(&mut next));
            }
        }
        Change::Acd { value } => set(&mut next, Acd, &value, None),
    }
    Outcome {
        presence: next,
        entries,
        queued,
    }
}

/// Back from a call (or its after-call work): to the status chosen meanwhile, else to
/// the one before the call, else available.
fn leave_call(
    next: &mut Presence,
    set: &mut impl FnMut(&mut Presence, ConnectionEventType, &str, Option<DisconnectReason>),
) {
    let chosen = next.pending.is_some();
    let back = back_from_call(next);
    let kind = if chosen {
        ConnectionEventType::StatusChangedUser
    } else {
        ConnectionEventType::StatusChanged
    };
    set(next, kind, &back, None);
}

/// Where the end of a call (or of its after-call work) leads; clears what led there.
fn back_from_call(next: &mut Presence) -> String {
    let back = next
        .pending
        .take()
        .or_else(|| next.pre_call.take())
        .unwrap_or_else(|| AVAILABLE.into());
    next.pre_call = None;
    back
}

/// Check a value an agent (or an integration) asks for: well formed (else 422), known,
/// and not one only the system sets.
pub fn check_choice(defs: &[StatusDef], value: &str) -> ApiResult<()> {
    if !agentdesk_protocol::valid_value(value) {
        return Err(ApiError::validation(
            "value",
            "must be lowercase words joined by hyphens, without accents",
        ));
    }
    match defs.iter().find(|d| d.value == value) {
        None => Err(ApiError::validation("value", "is not a known status")),
        Some(d) if !d.selectable() => Err(ApiError::validation(
            "value",
            "is set by the system and cannot be chosen",
        )),
        Some(_) => Ok(()),
    }
}

/// Apply a change for `user_id` now and tell the browsers.
pub async fn apply(
    state: &AppState,
    user_id: i64,
    change: Change,
) -> ApiResult<(AgentStatus, bool)> {
    let restore = restore_ms(state);
    let (status, queued, events) = state
        .store
        .change_status(user_id, change, crate::clock::now(), restore)
        .await?;
    state.events.publish(events);
    Ok((status, queued))
}

fn restore_ms(state: &AppState) -> i64 {
    i64::from(state.config.presence_restore_secs) * 1000
}

/// A fresh console session id: short, random, safe to show.
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_owned()
}

/// One open real-time stream of a user. Registering counts the desktop as connected;
/// dropping the guard (the browser went away) closes it after the grace period.
pub struct StreamGuard {
    state: AppState,
    pub id: String,
    user_id: i64,
    /// The session (hash of its token) the stream was opened with: its sign-out ends it.
    session_hash: String,
}

impl StreamGuard {
    pub async fn open(state: &AppState, user_id: i64, session_hash: &str) -> StoreResult<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let events = state
            .store
            .open_stream(
                &id,
                user_id,
                session_hash,
                new_session_id(),
                crate::clock::now(),
                restore_ms(state),
            )
            .await?;
        state.events.publish(events);
        Ok(StreamGuard {
            state: state.clone(),
            id,
            user_id,
            session_hash: session_hash.to_owned(),
        })
    }

    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }

    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// Keep the stream's row fresh; `false` when it is gone (signed out, swept).
    pub async fn touch(&self) -> bool {
        match self
            .state
            .store
            .touch_stream(&self.id, crate::clock::now())
            .await
        {
            Ok(alive) => alive,
            // The database being briefly away is no reason to drop the agent.
            Err(e) => {
                tracing::warn!(error = %e, "presence: heartbeat failed");
                true
            }
        }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let state = self.state.clone();
        let id = std::mem::take(&mut self.id);
        let user_id = self.user_id;
        rt.spawn(async move {
            // A reload or a brief network blip reconnects within the grace period; the
            // old stream's row is removed only then, so no disconnect is logged.
            tokio::time::sleep(Duration::from_millis(state.config.presence_grace_ms)).await;
            match state
                .store
                .close_stream(&id, crate::clock::now(), restore_ms(&state))
                .await
            {
                Ok(events) => state.events.publish(events),
                Err(e) => tracing::warn!(error = %e, user_id, "presence: closing a stream failed"),
            }
        });
    }
}

/// Sweep streams whose instance stopped refreshing them; runs for the server's life.
pub fn spawn_sweeper(state: AppState) {
    tokio::spawn(async move {
        let stale = chrono::Duration::seconds(i64::from(state.config.presence_stale_secs));
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            let now = crate::clock::now();
            match state
                .store
                .sweep_streams(now - stale, now, restore_ms(&state))
                .await
            {
                Ok(events) => state.events.publish(events),
                Err(e) => tracing::warn!(error = %e, "presence: sweeping streams failed"),
            }
        }
    });
}

/// How often a stream refreshes its row (well inside the stale limit).
pub const HEARTBEAT: Duration = Duration::from_secs(20);

/// Seconds per status per day, from a log in time order. `start` is the status in force
/// at `from` (from the last event before it); time in `disconnected` is not counted, and
/// nothing past `now` is.
pub fn status_time<Tz: TimeZone>(
    tz: &Tz,
    start: Option<String>,
    events: &[(i64, String)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<agentdesk_protocol::DayStatusTime> {
    use std::collections::BTreeMap;
    let end = to.min(now).timestamp_millis();
    let mut totals: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
    let mut add = |value: &str, a: i64, b: i64| {
        if value == DISCONNECTED || b <= a {
            return;
        }
        // Split the interval at the viewer's midnights.
        let mut t = a;
        while t < b {
            let Some(local) = DateTime::from_timestamp_millis(t).map(|d| d.with_timezone(tz))
            else {
                return;
            };
            let day = local.date_naive();
            // The next day's start, also where its midnight does not exist (DST).
            let next_midnight = day
                .succ_opt()
                .map(|d| crate::calendar::day_start(tz, d).timestamp_millis())
                .unwrap_or(b);
            let stop = next_midnight.min(b).max(t + 1);
            *totals
                .entry(day)
                .or_default()
                .entry(value.to_owned())
                .or_default() += stop - t;
            t = stop;
        }
    };
    let mut current = start;
    let mut at = from.timestamp_millis();
    for (t, v) in events {
        let t = (*t).clamp(at, end.max(at));
        if let Some(c) = &current {
            add(c, at, t);
        }
        current = Some(v.clone());
        at = t;
    }
    if let Some(c) = &current {
        add(c, at, end);
    }
    totals
        .into_iter()
        .map(|(day, m)| {
            let mut seconds: Vec<(String, u64)> = m
                .into_iter()
                .map(|(v, ms)| (v, u64::try_from(ms / 1000).unwrap_or(0)))
                .filter(|(_, s)| *s > 0)
                .collect();
            seconds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            agentdesk_protocol::DayStatusTime { day, seconds }
        })
        .filter(|d| !d.seconds.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn values(o: &Outcome) -> Vec<(&str, &str)> {
        o.entries
            .iter()
            .map(|e| (e.kind.as_str(), e.value.as_str()))
            .collect()
    }

    fn connected(now: i64) -> Presence {
        transition(
            &Presence::new(0),
            Change::Connect {
                fresh_session: "s1".into(),
            },
            now,
            MIN,
        )
        .presence
    }

    #[test]
    fn connecting_logs_connected_then_available_in_a_new_session() {
        let o = transition(
            &Presence::new(0),
            Change::Connect {
                fresh_session: "s1".into(),
            },
            1000,
            MIN,
        );
        assert_eq!(
            values(&o),
            [
                ("status-changed", "connected"),
                ("status-changed", "available")
            ]
        );
        assert_eq!(o.presence.status, "available");
        assert_eq!(o.presence.session_id.as_deref(), Some("s1"));
        assert!(o.entries.iter().all(|e| e.session_id == "s1"));
    }

    #[test]
    fn reconnect_within_the_window_restores_the_status_and_keeps_the_session() {
        let p = connected(0);
        let p = transition(
            &p,
            Change::Choose {
                value: "meal".into(),
            },
            10,
            MIN,
        )
        .presence;
        let gone = transition(
            &p,
            Change::Disconnect {
                reason: DisconnectReason::Network,
            },
            1000,
            MIN,
        );
        assert_eq!(gone.entries[0].reason, Some(DisconnectReason::Network));
        assert_eq!(gone.presence.status, "disconnected");
        let back = transition(
            &gone.presence,
            Change::Connect {
                fresh_session: "s2".into(),
            },
            1000 + 59_000,
            MIN,
        );
        assert_eq!(
            values(&back),
            [
                ("status-changed", "reconnected"),
                ("status-changed-user", "meal")
            ]
        );
        assert_eq!(back.presence.session_id.as_deref(), Some("s1"));
    }

    #[test]
    fn reconnect_after_the_window_starts_over_as_available() {
        let p = connected(0);
        let p = transition(
            &p,
            Change::Choose {
                value: "meal".into(),
            },
            10,
            MIN,
        )
        .presence;
        let gone = transition(
            &p,
            Change::Disconnect {
                reason: DisconnectReason::Network,
            },
            1000,
            MIN,
        )
        .presence;
        let back = transition(
            &gone,
            Change::Connect {
                fresh_session: "s2".into(),
            },
            1000 + 61_000,
            MIN,
        );
        assert_eq!(
            values(&back),
            [
                ("status-changed", "connected"),
                ("status-changed", "available")
            ]
        );
        assert_eq!(back.presence.session_id.as_deref(), Some("s2"));
    }

    #[test]
    fn logout_ends_the_session_so_nothing_is_restored() {
        let p = connected(0);
        let p = transition(
            &p,
            Change::Choose {
                value: "busy".into(),
            },
            10,
            MIN,
        )
        .presence;
        let out = transition(
            &p,
            Change::Disconnect {
                reason: DisconnectReason::Logout,
            },
            20,
            MIN,
        )
        .presence;
        assert_eq!(out.session_id, None);
        let back = transition(
            &out,
            Change::Connect {
                fresh_session: "s9".into(),
            },
            30,
            MIN,
        );
        assert_eq!(back.presence.status, "available");
        assert_eq!(back.presence.session_id.as_deref(), Some("s9"));
    }

    #[test]
    fn a_call_moves_to_in_call_and_back_to_the_previous_status() {
        let p = connected(0);
        let p = transition(&p, Change::CallStarted, 5, MIN);
        assert_eq!(values(&p), [("status-changed", "in-call")]);
        let p = transition(&p.presence, Change::CallEnded { wrap_up: false }, 9, MIN);
        assert_eq!(
            values(&p),
            [
                ("status-changed", "end-call"),
                ("status-changed", "available")
            ]
        );
        assert_eq!(p.presence.status, "available");
    }

    #[test]
    fn a_choice_during_a_call_is_queued_and_applied_when_it_ends() {
        let p = connected(0);
        let p = transition(&p, Change::CallStarted, 5, MIN).presence;
        let q = transition(
            &p,
            Change::Choose {
                value: "break".into(),
            },
            6,
            MIN,
        );
        assert!(q.queued);
        assert!(q.entries.is_empty());
        assert_eq!(q.presence.status, "in-call");
        assert_eq!(q.presence.pending.as_deref(), Some("break"));
        let end = transition(&q.presence, Change::CallEnded { wrap_up: false }, 9, MIN);
        assert_eq!(
            values(&end),
            [
                ("status-changed", "end-call"),
                ("status-changed-user", "break")
            ]
        );
        assert_eq!(end.presence.pending, None);
        assert_eq!(end.presence.status, "break");
    }

    #[test]
    fn a_call_owing_a_disposition_ends_in_wrap_up_until_it_is_saved() {
        let p = connected(0);
        let p = transition(
            &p,
            Change::Choose {
                value: "busy".into(),
            },
            1,
            MIN,
        )
        .presence;
        let p = transition(&p, Change::CallStarted, 5, MIN).presence;
        let w = transition(&p, Change::CallEnded { wrap_up: true }, 9, MIN);
        assert_eq!(
            values(&w),
            [
                ("status-changed", "end-call"),
                ("status-changed", "wrap-up")
            ]
        );
        assert_eq!(
            w.presence.since, 9,
            "the wrap-up timer starts at the hang-up"
        );
        // A choice during wrap-up waits; so does nothing else.
        let q = transition(
            &w.presence,
            Change::Choose {
                value: "break".into(),
            },
            12,
            MIN,
        );
        assert!(q.queued);
        assert_eq!(q.presence.status, "wrap-up");
        let done = transition(&q.presence, Change::WrapUpDone, 20, MIN);
        assert_eq!(values(&done), [("status-changed-user", "break")]);
        // Without a choice, back to the status before the call.
        let back = transition(&w.presence, Change::WrapUpDone, 20, MIN);
        assert_eq!(values(&back), [("status-changed", "busy")]);
        assert_eq!(back.presence.pre_call, None);
        // Saved again (a corrected disposition), or outside wrap-up: nothing happens.
        assert!(
            transition(&back.presence, Change::WrapUpDone, 21, MIN)
                .entries
                .is_empty()
        );
        assert!(
            transition(&p, Change::WrapUpDone, 21, MIN)
                .entries
                .is_empty()
        );
    }

    #[test]
    fn a_call_taken_during_wrap_up_returns_where_the_first_would_have() {
        let p = connected(0);
        let p = transition(
            &p,
            Change::Choose {
                value: "busy".into(),
            },
            1,
            MIN,
        )
        .presence;
        let p = transition(&p, Change::CallStarted, 2, MIN).presence;
        let p = transition(&p, Change::CallEnded { wrap_up: true }, 3, MIN).presence;
        let p = transition(&p, Change::CallStarted, 4, MIN).presence;
        assert_eq!(p.status, "in-call");
        let end = transition(&p, Change::CallEnded { wrap_up: false }, 5, MIN);
        assert_eq!(end.presence.status, "busy");
    }

    #[test]
    fn a_call_ended_and_disposed_while_disconnected_is_not_lost_on_a_quick_reconnect() {
        let lost = |p: &Presence, t| {
            transition(
                p,
                Change::Disconnect {
                    reason: DisconnectReason::Network,
                },
                t,
                MIN,
            )
            .presence
        };
        let back = |p: &Presence, t| {
            transition(
                p,
                Change::Connect {
                    fresh_session: "new".into(),
                },
                t,
                MIN,
            )
            .presence
        };
        let p = transition(
            &connected(0),
            Change::Choose {
                value: "busy".into(),
            },
            1,
            MIN,
        )
        .presence;
        let in_call = transition(&p, Change::CallStarted, 2, MIN).presence;
        // Hung up while away, no disposition owed: back to the status before the call.
        let away = lost(&in_call, 3);
        let ended = transition(&away, Change::CallEnded { wrap_up: false }, 4, MIN);
        assert!(ended.entries.is_empty(), "nothing is logged while away");
        assert_eq!(ended.presence.status, "disconnected");
        let r = back(&ended.presence, 5);
        assert_eq!((r.status.as_str(), r.in_call), ("busy", false));
        // Owing a disposition: wrap-up on reconnect; disposed while away: back too.
        let ended = transition(
            &lost(&in_call, 3),
            Change::CallEnded { wrap_up: true },
            4,
            MIN,
        );
        assert_eq!(back(&ended.presence, 5).status, "wrap-up");
        let done = transition(&ended.presence, Change::WrapUpDone, 5, MIN);
        assert!(done.entries.is_empty());
        assert_eq!(back(&done.presence, 6).status, "busy");
        // In wrap-up when the connection dropped, disposed meanwhile: not stuck.
        let wrap = transition(&in_call, Change::CallEnded { wrap_up: true }, 3, MIN).presence;
        let done = transition(&lost(&wrap, 4), Change::WrapUpDone, 5, MIN).presence;
        assert_eq!(back(&done, 6).status, "busy");
        // Too late to restore: a fresh session, available, no call.
        let late = back(&ended.presence, 4 + MIN + 1);
        assert_eq!((late.status.as_str(), late.in_call), ("available", false));
    }

    #[test]
    fn a_cancelled_pending_choice_is_not_applied() {
        let p = connected(0);
        let p = transition(&p, Change::CallStarted, 5, MIN).presence;
        let p = transition(
            &p,
            Change::Choose {
                value: "break".into(),
            },
            6,
            MIN,
        )
        .presence;
        let p = transition(&p, Change::CancelPending, 7, MIN).presence;
        let end = transition(&p, Change::CallEnded { wrap_up: false }, 9, MIN);
        assert_eq!(end.presence.status, "available");
    }

    #[test]
    fn repeated_changes_log_nothing() {
        let p = connected(0);
        assert!(
            transition(
                &p,
                Change::Choose {
                    value: "available".into()
                },
                5,
                MIN
            )
            .entries
            .is_empty()
        );
        assert!(
            transition(&p, Change::CallEnded { wrap_up: false }, 5, MIN)
                .entries
                .is_empty()
        );
        assert!(
            transition(
                &p,
                Change::Connect {
                    fresh_session: "x".into()
                },
                5,
                MIN
            )
            .entries
            .is_empty()
        );
    }

    #[test]
    fn time_per_status_splits_at_midnight_and_skips_disconnected() {
        let day = |d: u32, h: u32| {
            Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
                .unwrap()
                .timestamp_millis()
        };
        let events = vec![
            (day(20, 22), "available".to_string()),
            (day(21, 1), "meal".to_string()),
            (day(21, 2), "disconnected".to_string()),
        ];
        let from = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        let days = status_time(&Utc, None, &events, from, to, to);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].seconds, vec![("available".to_string(), 2 * 3600)]);
        assert_eq!(
            days[1].seconds,
            vec![("available".to_string(), 3600), ("meal".to_string(), 3600)]
        );
        // In Montevideo (UTC-3) all of it is on the 20th.
        let mvd: chrono_tz::Tz = "America/Montevideo".parse().unwrap();
        let days = status_time(&mvd, None, &events, from, to, to);
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].seconds[0], ("available".to_string(), 3 * 3600));
    }
}
