//! Real-time events, sent to browsers as server-sent events.
//!
//! Each SSE message carries an `id` (the event's position in the server's log, for
//! `Last-Event-ID` resume), an `event` name ([`ServerEvent::name`]) and the JSON of the
//! event as `data`. Events carry ids, not content: a client refetches what it shows, so
//! scoping and email redaction apply exactly as on every other read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ActivityKind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    ActivityCreated {
        contact_id: i64,
        activity_id: i64,
        kind: ActivityKind,
    },
    ActivityDeleted {
        contact_id: i64,
        activity_id: i64,
    },
    /// An activity changed (a call ended or got its disposition).
    ActivityUpdated {
        contact_id: i64,
        activity_id: i64,
    },
    /// An agent's status or presence changed (sent to the agent's teams).
    AgentStatus {
        user_id: i64,
    },
    /// An admin changed the CRM settings (template, origins, uContact's origin): every
    /// server instance rebuilds its Content-Security-Policy, desks may reload them.
    SettingsChanged,
    /// The user's callback reminders changed: one fell due, was scheduled or was done.
    /// Only that user's streams get it.
    Reminders {
        user_id: i64,
    },
    /// The user's notification centre changed: a follow-up notified them, or they read
    /// one. Only that user's streams get it.
    Notifications {
        user_id: i64,
    },
    /// The stream missed events older than the server keeps (resume too late): the
    /// client should refetch what it shows.
    Resync,
    /// The first message of every stream, repeated on the heartbeat when the stream has
    /// passed events it did not send. Its `id` is the stream's position: a client that
    /// reopens its stream (say, to watch other contacts) resumes from it and misses
    /// nothing, even when no other event has come yet. Never stored in the log.
    Ready,
}

impl ServerEvent {
    /// The contact an activity event is about; `None` for the others.
    pub fn contact_id(&self) -> Option<i64> {
        match self {
            ServerEvent::ActivityCreated { contact_id, .. }
            | ServerEvent::ActivityDeleted { contact_id, .. }
            | ServerEvent::ActivityUpdated { contact_id, .. } => Some(*contact_id),
            ServerEvent::AgentStatus { .. }
            | ServerEvent::Reminders { .. }
            | ServerEvent::Notifications { .. }
            | ServerEvent::SettingsChanged
            | ServerEvent::Resync
            | ServerEvent::Ready => None,
        }
    }

    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            ServerEvent::ActivityCreated { .. } => "activity.created",
            ServerEvent::ActivityDeleted { .. } => "activity.deleted",
            ServerEvent::ActivityUpdated { .. } => "activity.updated",
            ServerEvent::AgentStatus { .. } => "agent.status",
            ServerEvent::SettingsChanged => "settings.changed",
            ServerEvent::Reminders { .. } => "reminders",
            ServerEvent::Notifications { .. } => "notifications",
            ServerEvent::Resync => "resync",
            ServerEvent::Ready => "ready",
        }
    }

    /// The one user an event is for, whatever their role (their reminders, their
    /// notifications); `None` for events of a team or of everyone.
    pub fn private_to(&self) -> Option<i64> {
        match self {
            ServerEvent::Reminders { user_id } | ServerEvent::Notifications { user_id } => {
                Some(*user_id)
            }
            _ => None,
        }
    }

    /// Every event name a client may subscribe to.
    pub const NAMES: &'static [&'static str] = &[
        "activity.created",
        "activity.deleted",
        "activity.updated",
        "agent.status",
        "settings.changed",
        "reminders",
        "notifications",
        "resync",
        "ready",
    ];
}

/// At most this many contacts in one stream's `contacts` list.
pub const MAX_WATCHED_CONTACTS: usize = 50;

/// The contacts whose activity events a stream wants: `GET /events?contacts=1,2,3`.
///
/// A desktop shows one contact's timeline at a time, and an activity event is only of use
/// to a desktop showing that contact; without the list, every agent of a team would get
/// (and the server would write out) every activity event of the team. The browser sends
/// the contacts it has on screen (possibly none: `contacts=`) and reopens its stream when
/// they change; an API client that leaves the parameter out gets every activity event it
/// may see. Status events and `resync` are not affected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchedContacts(pub Vec<i64>);

impl WatchedContacts {
    /// Parse the query value: comma-separated contact ids, possibly empty.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut ids = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = part
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| format!("'{part}' is not a contact id"))?;
            if !ids.contains(&id) {
                if ids.len() == MAX_WATCHED_CONTACTS {
                    return Err(format!("at most {MAX_WATCHED_CONTACTS} contacts"));
                }
                ids.push(id);
            }
        }
        ids.sort_unstable();
        Ok(WatchedContacts(ids))
    }

    /// The query value (`1,2,3`).
    pub fn to_query(&self) -> String {
        self.0
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether `event` is for this stream as far as contacts go.
    pub fn wants(&self, event: &ServerEvent) -> bool {
        event
            .contact_id()
            .is_none_or(|c| self.0.binary_search(&c).is_ok())
    }
}

/// `POST /api/v1/stream-tickets`: the browser's `EventSource` cannot send an
/// `Authorization` header, so it opens `/api/v1/events?ticket=…` with this short-lived
/// ticket instead of the session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamTicket {
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_list_parses_sorted_without_duplicates_and_round_trips() {
        let w = WatchedContacts::parse(" 12, 3,12,,7 ").unwrap();
        assert_eq!(w.0, vec![3, 7, 12]);
        assert_eq!(WatchedContacts::parse(&w.to_query()).unwrap(), w);
        assert_eq!(WatchedContacts::parse("").unwrap().0, Vec::<i64>::new());
    }

    #[test]
    fn a_watch_list_rejects_what_is_not_a_contact_id_and_too_many() {
        assert!(WatchedContacts::parse("1,abc").is_err());
        assert!(WatchedContacts::parse("-4").is_err());
        assert!(WatchedContacts::parse("0").is_err());
        let many = (1..=MAX_WATCHED_CONTACTS as i64 + 1)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(WatchedContacts::parse(&many).is_err());
    }

    #[test]
    fn a_watch_list_filters_activity_events_only() {
        let w = WatchedContacts(vec![5]);
        let created = |contact_id| ServerEvent::ActivityCreated {
            contact_id,
            activity_id: 1,
            kind: ActivityKind::Sms,
        };
        assert!(w.wants(&created(5)));
        assert!(!w.wants(&created(6)));
        assert!(!WatchedContacts::default().wants(&created(5)));
        assert!(w.wants(&ServerEvent::AgentStatus { user_id: 9 }));
        assert!(WatchedContacts::default().wants(&ServerEvent::Resync));
    }
}
