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
    /// The stream missed events older than the server keeps (resume too late): the
    /// client should refetch what it shows.
    Resync,
}

impl ServerEvent {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            ServerEvent::ActivityCreated { .. } => "activity.created",
            ServerEvent::ActivityDeleted { .. } => "activity.deleted",
            ServerEvent::ActivityUpdated { .. } => "activity.updated",
            ServerEvent::AgentStatus { .. } => "agent.status",
            ServerEvent::Resync => "resync",
        }
    }

    /// Every event name a client may subscribe to.
    pub const NAMES: &'static [&'static str] = &[
        "activity.created",
        "activity.deleted",
        "activity.updated",
        "agent.status",
        "resync",
    ];
}

/// `POST /api/v1/stream-tickets`: the browser's `EventSource` cannot send an
/// `Authorization` header, so it opens `/api/v1/events?ticket=…` with this short-lived
/// ticket instead of the session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamTicket {
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}
