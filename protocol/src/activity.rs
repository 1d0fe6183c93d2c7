//! Activities: one interaction linked to one contact, as the timeline shows it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::UserRef;

/// The channel or kind of interaction an activity records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Email,
    Chat,
    Ticket,
    Call,
    Sms,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] = [
        ActivityKind::Email,
        ActivityKind::Chat,
        ActivityKind::Ticket,
        ActivityKind::Call,
        ActivityKind::Sms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Email => "email",
            ActivityKind::Chat => "chat",
            ActivityKind::Ticket => "ticket",
            ActivityKind::Call => "call",
            ActivityKind::Sms => "sms",
        }
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActivityKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActivityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown activity kind `{s}`"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Delivery status of an outbound email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    Sent,
    Failed,
    Queued,
    Draft,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Pending,
    Solved,
    Closed,
}

/// A call's disposition, uContact's three-level tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disposition {
    pub l1: String,
    #[serde(default)]
    pub l2: String,
    #[serde(default)]
    pub l3: String,
}

/// What the timeline renders for each kind. Email content lives apart (the
/// `incoming_emails` table) and is only filled in for users with the email permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActivityDetail {
    Email {
        direction: Direction,
        /// Absent for outbound mail that has not been sent (draft, queued) or failed.
        status: Option<EmailStatus>,
        /// `None` with [`Activity::redacted`] set when the caller lacks the email permission.
        content: Option<EmailContent>,
    },
    Chat {
        session_id: String,
        first_message: String,
        duration_secs: u32,
        message_count: u32,
    },
    Ticket {
        ticket_id: String,
        subject: String,
        status: TicketStatus,
        /// The lifecycle step this activity records (`created`, `status_changed`, `closed`).
        event: String,
    },
    Call {
        direction: Direction,
        number: String,
        campaign: String,
        duration_secs: u32,
        disposition: Option<Disposition>,
    },
    Sms {
        direction: Direction,
        text: String,
    },
}

impl ActivityDetail {
    pub fn kind(&self) -> ActivityKind {
        match self {
            ActivityDetail::Email { .. } => ActivityKind::Email,
            ActivityDetail::Chat { .. } => ActivityKind::Chat,
            ActivityDetail::Ticket { .. } => ActivityKind::Ticket,
            ActivityDetail::Call { .. } => ActivityKind::Call,
            ActivityDetail::Sms { .. } => ActivityKind::Sms,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailContent {
    pub subject: String,
    pub sender: String,
    pub snippet: String,
}

/// One entry of a contact's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub id: i64,
    pub contact_id: i64,
    pub team_id: i64,
    pub kind: ActivityKind,
    /// The source interaction (chat session, ticket, email, call guid…).
    pub model_id: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// Who initiated it; `None` for system or customer-initiated interactions.
    pub user: Option<UserRef>,
    pub detail: ActivityDetail,
    /// True when content was withheld because the caller lacks the email permission.
    #[serde(default)]
    pub redacted: bool,
}

/// `GET /api/v1/contacts/{id}/activities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub items: Vec<Activity>,
    /// All activities on this contact's timeline that the caller may see.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_kind_round_trips_through_its_wire_name() {
        for kind in ActivityKind::ALL {
            assert_eq!(kind.as_str().parse::<ActivityKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert!("fax".parse::<ActivityKind>().is_err());
    }

    #[test]
    fn detail_is_tagged_by_kind_and_reports_its_kind() {
        let d = ActivityDetail::Sms {
            direction: Direction::Inbound,
            text: "hola".into(),
        };
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["kind"], "sms");
        assert_eq!(json["direction"], "inbound");
        assert_eq!(d.kind(), ActivityKind::Sms);
        let back: ActivityDetail = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
    }
}
