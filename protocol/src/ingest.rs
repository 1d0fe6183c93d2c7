//! Interactions coming in: the integrators' ingest API, uContact's webhooks, and the
//! answers. Every ingest is idempotent by its source key; the answer says whether it was
//! new (`201`) or a replay that changed nothing (`200`, `duplicate: true`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Direction, EmailStatus, TicketStatus};

/// What the integrator knows about the customer. Linking tries, in order: external id,
/// phone (E.164-normalised), email (case-insensitive), then the interaction's own
/// from/to, and only then creates a contact (named `name` when given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerRef {
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Attribute values as sent: strings, numbers or booleans. Unknown names are ignored;
/// text is cut to 128 characters; dates outside 1901–2049 are dropped.
pub type Attributes = BTreeMap<String, serde_json::Value>;

/// `POST /api/v1/ingest/email`: a raw RFC 5322 message, in exactly one of `raw` and
/// `raw_base64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IngestEmail {
    /// The whole message, headers and body, as received or sent, when it is text.
    #[serde(default)]
    pub raw: Option<String>,
    /// The message's bytes in base64, for messages a JSON string cannot carry (8-bit
    /// bodies in Latin-1 without a transfer encoding): they reach the MIME parser
    /// unchanged and each part is decoded by its own charset.
    #[serde(default)]
    pub raw_base64: Option<String>,
    #[serde(default = "inbound")]
    pub direction: Direction,
    /// Outbound only: `sent`, `failed`, `queued` or `draft` (default `sent`).
    #[serde(default)]
    pub status: Option<EmailStatus>,
    #[serde(default)]
    pub customer: CustomerRef,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, serde_json::Value>))]
    pub attributes: Attributes,
}

fn inbound() -> Direction {
    Direction::Inbound
}

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatParty {
    Customer,
    Agent,
}

/// `POST /api/v1/ingest/chat`: the widget's session lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum IngestChat {
    Start {
        session_id: String,
        at: DateTime<Utc>,
        #[serde(default)]
        customer: CustomerRef,
        #[serde(default)]
        conversation_id: Option<String>,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, serde_json::Value>))]
        attributes: Attributes,
    },
    Message {
        session_id: String,
        message_id: String,
        at: DateTime<Utc>,
        from: ChatParty,
        text: String,
        /// Used only when the session was never started (its start got lost).
        #[serde(default)]
        customer: CustomerRef,
    },
    End {
        session_id: String,
        at: DateTime<Utc>,
    },
}

/// Ticket lifecycle steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketEvent {
    Created,
    StatusChanged,
    Closed,
}

impl TicketEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketEvent::Created => "created",
            TicketEvent::StatusChanged => "status_changed",
            TicketEvent::Closed => "closed",
        }
    }
}

/// `POST /api/v1/ingest/ticket`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IngestTicket {
    pub ticket_id: String,
    pub event: TicketEvent,
    pub subject: String,
    pub status: TicketStatus,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub customer: CustomerRef,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, serde_json::Value>))]
    pub attributes: Attributes,
}

/// `POST /api/v1/ingest/call`: a call from a telephony platform other than uContact's
/// live events (which arrive by its webhook). `id` is the call's unique id (a uContact
/// `guid` names the same call as its webhook); the same id sent again with new
/// conversation attributes — a recording's `segment_link` once it exists — adds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IngestCall {
    pub id: String,
    #[serde(deserialize_with = "sms_direction")]
    pub direction: Direction,
    /// The customer's number.
    pub number: String,
    /// When the call started.
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub duration_secs: u32,
    #[serde(default)]
    pub campaign: String,
    #[serde(default)]
    pub customer: CustomerRef,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, serde_json::Value>))]
    pub attributes: Attributes,
}

/// `POST /api/v1/ingest/sms`. `direction` also accepts uContact's `I` / `O`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IngestSms {
    /// The message id (uContact's `idm`).
    pub id: String,
    #[serde(deserialize_with = "sms_direction")]
    pub direction: Direction,
    /// The customer's number.
    pub number: String,
    pub text: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub customer: CustomerRef,
    #[serde(default)]
    pub conversation_id: Option<String>,
}

fn sms_direction<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Direction, D::Error> {
    let s = String::deserialize(d)?;
    parse_direction(&s)
        .ok_or_else(|| serde::de::Error::custom("expected I, O, inbound or outbound"))
}

/// uContact's `I`/`O` or the desktop's names.
pub fn parse_direction(s: &str) -> Option<Direction> {
    match s.trim().to_ascii_lowercase().as_str() {
        "i" | "in" | "inbound" => Some(Direction::Inbound),
        "o" | "out" | "outbound" => Some(Direction::Outbound),
        _ => None,
    }
}

/// The answer to every ingest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestResult {
    pub activity_id: i64,
    pub contact_id: i64,
    /// A replay: nothing changed.
    pub duplicate: bool,
    pub contact_created: bool,
    /// Attached to an earlier segment of the same conversation.
    pub grouped: bool,
    /// The interaction named an external id the linked contact contradicts (it has
    /// another): nothing was learnt, and this says what (also in the audit log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_conflict: Option<String>,
    /// Attributes not kept as sent (absent: all were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_dropped: Option<AttributesDropped>,
}

/// How many of an interaction's attributes were not kept as sent: `unknown` names (not
/// defined: ignored), `invalid` values (a date outside 1901–2049, a number that is none,
/// a list or object), and text `cut` to 128 characters (kept, shortened).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributesDropped {
    pub unknown: u32,
    pub invalid: u32,
    pub cut: u32,
}

/// `POST /api/v1/integrations` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIntegration {
    pub name: String,
    pub team_id: i64,
}

/// An integration as admins list it (`GET /api/v1/integrations`): never its token or
/// secret, which are shown once (at creation and at each rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationSummary {
    pub id: i64,
    pub name: String,
    pub team: crate::TeamRef,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the credentials were last replaced (`None`: never).
    pub rotated_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Revoked: its token and signatures are refused for good.
    pub revoked: bool,
    /// Its latest delivery that got past authentication (to the minute).
    #[serde(default)]
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// Stored (201).
    Accepted,
    /// A replay of one already stored; nothing changed (200).
    Duplicate,
    /// Refused; `reason` says why.
    Rejected,
}

/// `GET /api/v1/integrations/{id}/deliveries`: one of an integration's recent deliveries
/// (the last 100 that got past authentication; unauthenticated requests name no
/// integration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationDelivery {
    pub at: chrono::DateTime<chrono::Utc>,
    /// `email`, `chat`, `ticket` or `sms`.
    pub channel: String,
    pub outcome: DeliveryOutcome,
    /// The HTTP status it was answered with.
    pub status: u16,
    /// For a rejection: the error's field and message, as the integration read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Shown once, at creation and at each rotation: the bearer token and the HMAC secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationCredentials {
    pub id: i64,
    pub name: String,
    pub team_id: i64,
    pub token: String,
    pub secret: String,
}

/// A webhook uContact posts (`{event, date, …}`), with the fields the desktop uses.
/// Numbers may come as strings and booleans as `"true"`/`1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event")]
pub enum UcWebhook {
    AgentRingNoAnswer {
        date: String,
        agent: String,
        #[serde(default)]
        guid: Option<String>,
    },
    AgentLog {
        date: String,
        agent: String,
        #[serde(rename = "isLogin", deserialize_with = "lenient_bool")]
        is_login: bool,
    },
    AgentBreak {
        date: String,
        agent: String,
        #[serde(default)]
        motive: Option<String>,
        #[serde(rename = "isBreak", deserialize_with = "lenient_bool")]
        is_break: bool,
    },
    FinishInteraction {
        date: String,
        guid: String,
        #[serde(default)]
        agent: Option<String>,
        #[serde(default)]
        campaign: String,
        #[serde(default)]
        channel: Option<String>,
        /// The customer's number or address.
        #[serde(default, alias = "callerid")]
        client: String,
        #[serde(default, deserialize_with = "lenient_u32")]
        duration: u32,
        #[serde(default)]
        direction: Option<String>,
    },
    InteractionDisposition {
        date: String,
        guid: String,
        #[serde(default)]
        agent: Option<String>,
        #[serde(default)]
        campaign: String,
        #[serde(default)]
        l1: String,
        #[serde(default)]
        l2: String,
        #[serde(default)]
        l3: String,
        #[serde(default)]
        comment: String,
    },
}

impl UcWebhook {
    pub fn name(&self) -> &'static str {
        match self {
            UcWebhook::AgentRingNoAnswer { .. } => "AgentRingNoAnswer",
            UcWebhook::AgentLog { .. } => "AgentLog",
            UcWebhook::AgentBreak { .. } => "AgentBreak",
            UcWebhook::FinishInteraction { .. } => "FinishInteraction",
            UcWebhook::InteractionDisposition { .. } => "InteractionDisposition",
        }
    }

    pub fn date(&self) -> &str {
        match self {
            UcWebhook::AgentRingNoAnswer { date, .. }
            | UcWebhook::AgentLog { date, .. }
            | UcWebhook::AgentBreak { date, .. }
            | UcWebhook::FinishInteraction { date, .. }
            | UcWebhook::InteractionDisposition { date, .. } => date,
        }
    }
}

fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::Number(n) => Ok(n.as_i64() == Some(1)),
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" | "" => Ok(false),
            _ => Err(serde::de::Error::custom("expected a boolean")),
        },
        _ => Err(serde::de::Error::custom("expected a boolean")),
    }
}

fn lenient_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| serde::de::Error::custom("expected seconds")),
        serde_json::Value::String(s) if s.trim().is_empty() => Ok(0),
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom("expected seconds")),
        serde_json::Value::Null => Ok(0),
        _ => Err(serde::de::Error::custom("expected seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_parse_with_ucontact_names_and_lenient_values() {
        let w: UcWebhook = serde_json::from_str(
            r#"{"event":"AgentBreak","date":"2026-03-02 10:00:00","agent":"apereira","motive":"LUNCH","isBreak":"true"}"#,
        )
        .unwrap();
        assert_eq!(
            w,
            UcWebhook::AgentBreak {
                date: "2026-03-02 10:00:00".into(),
                agent: "apereira".into(),
                motive: Some("LUNCH".into()),
                is_break: true
            }
        );
        let w: UcWebhook = serde_json::from_str(
            r#"{"event":"FinishInteraction","date":"x","guid":"g","callerid":"099","duration":"75"}"#,
        )
        .unwrap();
        assert!(
            matches!(w, UcWebhook::FinishInteraction { duration: 75, ref client, .. } if client == "099")
        );
        assert!(serde_json::from_str::<UcWebhook>(r#"{"event":"Nope","date":"x"}"#).is_err());
    }

    #[test]
    fn sms_direction_accepts_ucontact_letters() {
        assert_eq!(parse_direction("I"), Some(Direction::Inbound));
        assert_eq!(parse_direction("o"), Some(Direction::Outbound));
        assert_eq!(parse_direction("x"), None);
    }
}

/// The answer to a uContact webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookResult {
    pub event: String,
    /// A replay that changed nothing.
    pub duplicate: bool,
    /// The call activity created or updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<i64>,
    /// The agent's status after a status webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::AgentStatus>,
}
