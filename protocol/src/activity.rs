//! Activities: one interaction linked to one contact, as the timeline shows it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::UserRef;

/// The channel or kind of interaction an activity records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Email,
    Chat,
    Ticket,
    Call,
    Sms,
    /// A note an agent wrote on the contact.
    Note,
    /// A notification sent by an automated follow-up rule.
    FollowUp,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 7] = [
        ActivityKind::Email,
        ActivityKind::Chat,
        ActivityKind::Ticket,
        ActivityKind::Call,
        ActivityKind::Sms,
        ActivityKind::Note,
        ActivityKind::FollowUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Email => "email",
            ActivityKind::Chat => "chat",
            ActivityKind::Ticket => "ticket",
            ActivityKind::Call => "call",
            ActivityKind::Sms => "sms",
            ActivityKind::Note => "note",
            ActivityKind::FollowUp => "follow_up",
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Delivery status of an outbound email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    Sent,
    Failed,
    Queued,
    Draft,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Pending,
    Solved,
    Closed,
}

/// A call's disposition, uContact's three-level tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disposition {
    pub l1: String,
    #[serde(default)]
    pub l2: String,
    #[serde(default)]
    pub l3: String,
    /// The agent's comment, when there is one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// Its delivery to uContact's REST API, when the server sends dispositions there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<RemoteSync>,
}

/// A record's delivery to another system (uContact's `DispositionCall`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteSync {
    pub state: SyncState,
    /// Why it failed, or why the last attempt did (words from the other system).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Attempts made so far.
    #[serde(default)]
    pub attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Being sent (retrying after a temporary failure).
    Pending,
    Sent,
    Failed,
}

/// How a call went, when its source says so: the desktop's own call state, uContact's
/// cdr `disposition` column. Absent on older records: the timeline then reads a call of
/// 0 seconds as not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Not ended yet: the timeline shows it with a running duration.
    InProgress,
    Answered,
    NoAnswer,
    Busy,
    Failed,
}

impl CallOutcome {
    /// Asterisk's cdr `disposition` (`ANSWERED`, `NO ANSWER`, `BUSY`, `FAILED`,
    /// `CONGESTION`), in any case and spacing; `None` for anything else.
    pub fn from_cdr(disposition: &str) -> Option<CallOutcome> {
        let d: String = disposition
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match d.as_str() {
            "ANSWERED" => Some(CallOutcome::Answered),
            "NOANSWER" => Some(CallOutcome::NoAnswer),
            "BUSY" => Some(CallOutcome::Busy),
            "FAILED" | "CONGESTION" => Some(CallOutcome::Failed),
            _ => None,
        }
    }
}

/// What the timeline renders for each kind. Email content lives apart (the
/// `incoming_emails` table) and is only filled in for users with the email permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<CallOutcome>,
    },
    Sms {
        direction: Direction,
        text: String,
    },
    Note {
        text: String,
    },
    /// Automated: a follow-up notified its recipients about a record linked to this
    /// contact. Not an interaction (left out of the contact's counts).
    FollowUp {
        /// The follow-up rule that sent it.
        rule: String,
        channel: crate::followup::Delivery,
        message: String,
        #[serde(default)]
        recipients: Vec<String>,
        #[serde(default)]
        attempt: u32,
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
            ActivityDetail::Note { .. } => ActivityKind::Note,
            ActivityDetail::FollowUp { .. } => ActivityKind::FollowUp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailContent {
    pub subject: String,
    pub sender: String,
    pub snippet: String,
    /// The message's attachments (their content is not kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// An e-mail attachment as the timeline lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub name: String,
    /// `type/subtype`, as the message declares it.
    pub content_type: String,
    /// Bytes, decoded.
    pub size: u64,
}

/// One entry of a contact's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Activities per timeline page.
pub const TIMELINE_PAGE_SIZE: u32 = 10;

/// `GET /api/v1/contacts/{id}/activities/position?date=&kinds=`: the timeline page on
/// which that calendar day (in the viewer's time zone) begins, for the same kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelinePositionQuery {
    pub date: chrono::NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelinePosition {
    /// 1-based; past the oldest activity it is the last page.
    pub page: u32,
}

/// A search shows at most this many matches, the newest (100 pages). Counting every
/// match of a common word in a history of hundreds of thousands costs milliseconds per
/// request and helps no one: past this an agent narrows the search instead. The
/// timeline without a search has no such limit.
pub const SEARCH_MATCH_LIMIT: u64 = 1_000;

/// Query of `GET /api/v1/contacts/{id}/activities`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityQuery {
    /// 1-based; absent means 1. A page past the last answers the last page (see
    /// [`ActivityPage::page`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Comma-separated kinds (`email,call`); absent or empty means every kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<String>,
    /// Words to search for in the history (every word must match; prefixes match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// An [`ActivityPage::anchor`] from an earlier answer for the same kinds and query:
    /// the server then walks from that page instead of from either end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
}

impl ActivityQuery {
    /// The kinds the `kinds` parameter names; empty means all. Unknown names are errors.
    pub fn parse_kinds(&self) -> Result<Vec<ActivityKind>, String> {
        let mut kinds = Vec::new();
        for part in self.kinds.as_deref().unwrap_or("").split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let k: ActivityKind = part.parse()?;
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        kinds.sort();
        Ok(kinds)
    }
}

/// `GET /api/v1/contacts/{id}/activities`: one page of the timeline, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityPage {
    pub items: Vec<Activity>,
    /// Activities matching the kinds and query that the caller may see; for a search at
    /// most [`SEARCH_MATCH_LIMIT`] (see `capped`).
    pub total: u64,
    /// The search matches more than [`SEARCH_MATCH_LIMIT`] activities: `total` is the
    /// limit and the pages hold the newest that many.
    #[serde(default)]
    pub capped: bool,
    /// The page answered (the last page when a page past the end was asked for).
    pub page: u32,
    /// At least 1, also for an empty timeline.
    pub pages: u32,
    pub page_size: u32,
    /// Per kind, how many activities of the whole history (kinds and query not
    /// applied) the caller may see: the numbers on the filter chips.
    pub kind_counts: Vec<KindCount>,
    /// Opaque; pass back as [`ActivityQuery::anchor`] to reach nearby pages cheaply.
    pub anchor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindCount {
    pub kind: ActivityKind,
    pub count: u64,
}

/// `POST /api/v1/contacts/{id}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

/// `GET /api/v1/activities/{id}`: one activity with its full content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityView {
    pub activity: Activity,
    /// The full text of an email, for users with the email permission.
    pub email_body: Option<String>,
    /// The conversation attributes its source interaction brought (as kept: see the
    /// attribute rules), by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub conversation_attributes: std::collections::BTreeMap<String, String>,
    /// The contact's customer attributes, by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub customer_attributes: std::collections::BTreeMap<String, String>,
    /// The recording to play: the conversation's `segment_link`, when it is on one of
    /// the recording origins (`CrmSettings::recording`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
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
