//! Agent status rules: one pure function from a presence row and what happened to the
//! next row and the connection events to log.
//!
//! Every source of a status change — the desktop's real-time stream opening and
//! closing, the picker, calls, sign-out, uContact webhooks — becomes a [`Change`]. The
//! server's store applies it inside one transaction around the agent's presence row by
//! calling [`transition`], so the rules live here once for every backend and every
//! instance, and storage depends on nothing above it.

use chrono::DateTime;

use crate::{
    AVAILABLE, AgentStatus, ConnectionEventType, DISCONNECTED, DisconnectReason, END_CALL, IN_CALL,
    WRAP_UP,
};

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
                    set(&mut next, StatusChanged, crate::RECONNECTED, None);
                    let kind = if crate::is_system(&prev) {
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
                    set(&mut next, StatusChanged, crate::CONNECTED, None);
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

#[cfg(test)]
mod tests;
