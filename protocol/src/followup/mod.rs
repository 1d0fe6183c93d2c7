//! Automated follow-ups: an admin's rule that polls an external system on a schedule,
//! loops over the records its answer holds, reconciles each record across polls by an
//! id, and notifies recipients about it a number of times at a frequency until the
//! record is no longer returned. The wire types, the limits and the rules both apps
//! share: which paths and placeholders are valid, how a record's values are read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Polling and notification frequencies, in minutes: 10 minutes to 5 days.
pub const MIN_MINUTES: u32 = 10;
pub const MAX_MINUTES: u32 = 7_200;
/// Notifications about one record: 1 to 10.
pub const MIN_ATTEMPTS: u32 = 1;
pub const MAX_ATTEMPTS: u32 = 10;
/// Integration calls per follow-up.
pub const MAX_CALLS: usize = 5;
/// Actions a card's buttons may call, per follow-up.
pub const MAX_ACTIONS: usize = 5;
/// Attributes set per follow-up.
pub const MAX_ATTRIBUTES: usize = 50;
pub const MAX_NAME: usize = 100;
pub const MAX_MESSAGE: usize = 2_000;
/// The only record type there is.
pub const RECORD_TYPE_JSON: &str = "json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Get,
    Post,
}

/// A header of an integration call. A secret one (a bearer token, an API key) is
/// write-only: answers and exports carry `value: null`; sending it back with `null`
/// keeps the stored value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Header {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub secret: bool,
}

/// One HTTP call to the external system. Calls run in order; a later call's URL,
/// header values and body may use `{{call_name./json/pointer}}` placeholders read from
/// an earlier call's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationCall {
    pub name: String,
    #[serde(default)]
    pub method: HttpMethod,
    pub url: String,
    #[serde(default)]
    pub headers: Vec<Header>,
    /// A JSON body (POST only).
    #[serde(default)]
    pub body: Option<Value>,
}

/// A value of each record, by a path inside the record (see [`parse_path`]), given a
/// name the message, the recipients and the contact link use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attribute {
    pub name: String,
    pub path: String,
}

/// Who is notified: the attribute holding a user (username or e-mail) and/or the one
/// holding a group (a team's name), and/or a further call that finds them. At least
/// one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recipients {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<RecipientLookup>,
}

/// A further integration call that fetches a record's recipients: made for each record
/// about to be notified, with the record's attributes as `{{attribute}}` placeholders
/// (the same request for several records is made once per poll); the user and/or the
/// group are read from its answer by path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipientLookup {
    pub call: IntegrationCall,
    /// Path in the answer to a user (username or e-mail).
    #[serde(default)]
    pub user: Option<String>,
    /// Path in the answer to a group (a team's name).
    #[serde(default)]
    pub team: Option<String>,
}

/// How a record finds its contact (through the one linking rule: external id, then
/// phone, then e-mail), in a team: attribute names. Optional; a notification about a
/// linked record is written on that contact's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactLink {
    pub team_id: i64,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// A card's button: it opens a URL, or calls one of the follow-up's configured actions
/// with the record's values (one or the other).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardButton {
    pub label: String,
    /// Opened by the button; placeholders allowed. Empty for an action button.
    #[serde(default)]
    pub url: String,
    /// The action (`FollowUpSpec::actions`, by name) the button calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Card {
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub buttons: Vec<CardButton>,
}

/// The message: text with `{{attribute}}` placeholders, and optionally a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub text: String,
    #[serde(default)]
    pub card: Option<Card>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The desktop's notification centre, live.
    InApp,
    /// A JSON POST to an incoming-webhook URL (chat tools' style).
    Webhook,
    /// E-mail over SMTP.
    Email,
    /// In-app when the recipient has a desktop open, else e-mail.
    LastUsed,
}

/// How a notification went out (on a contact's timeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    InApp,
    Webhook,
    Email,
    Sms,
    Chat,
}

impl Channel {
    /// How this channel delivers when it does not depend on the recipient.
    pub fn delivery(self) -> Delivery {
        match self {
            Channel::InApp | Channel::LastUsed => Delivery::InApp,
            Channel::Webhook => Delivery::Webhook,
            Channel::Email => Delivery::Email,
        }
    }
}

/// A follow-up as an admin writes it (the wizard's order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUpSpec {
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
    pub poll_minutes: u32,
    pub calls: Vec<IntegrationCall>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// Path to the array of records in the last call's answer.
    pub looping: String,
    /// Path inside a record to the id that reconciles it across polls.
    pub record_id: String,
    /// Calls a card's buttons may make, by name, with the record's attributes as
    /// `{{attribute}}` placeholders (approve a ticket, assign an opportunity).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<IntegrationCall>,
    #[serde(default = "json_type")]
    pub record_type: String,
    pub recipients: Recipients,
    #[serde(default)]
    pub contact: Option<ContactLink>,
    pub message: Message,
    pub channel: Channel,
    /// The webhook channel's URL: a secret (write-only, as a secret header).
    #[serde(default)]
    pub webhook_url: Option<String>,
    pub notify_minutes: u32,
    pub attempts: u32,
}

fn yes() -> bool {
    true
}

fn json_type() -> String {
    RECORD_TYPE_JSON.into()
}

/// A stored follow-up: its spec (secrets blanked) and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUp {
    pub id: i64,
    #[serde(flatten)]
    pub spec: FollowUpSpec,
    /// Secrets that must be entered before it may be activated (after an import).
    pub needs_secrets: bool,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub last_run: Option<FollowUpRun>,
}

/// One poll of a follow-up, as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUpRun {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Records the external system returned.
    pub found: u32,
    /// Records seen for the first time (or again after they were resolved).
    pub new: u32,
    /// Notifications sent (one per record and attempt).
    pub notified: u32,
    /// Records no longer returned: their follow-up closed.
    pub resolved: u32,
    /// What went wrong, each worded for the admin (an unreachable system, a record
    /// without its id, an unknown recipient).
    pub errors: Vec<String>,
}

/// What a run would send, without sending (a dry run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedNotification {
    pub record: String,
    pub attempt: u32,
    pub recipients: Vec<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DryRun {
    pub found: u32,
    pub resolved: u32,
    pub would_send: Vec<PlannedNotification>,
    pub errors: Vec<String>,
}

/// A notification in a user's notification centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    /// The follow-up's name.
    pub title: String,
    pub text: String,
    pub card: Option<Card>,
    pub record: String,
    pub attempt: u32,
    pub contact_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
    /// The card action this user took from it, if any.
    #[serde(default)]
    pub action: Option<ActionTaken>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    /// Called; no answer yet.
    Running,
    /// The external system accepted it (2xx).
    Done,
    /// It failed (`message` says why); the button may be pressed again.
    Failed,
}

/// A card action taken from a notification (`POST /notifications/{id}/actions/{button}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionTaken {
    /// The button's label.
    pub label: String,
    pub at: DateTime<Utc>,
    pub state: ActionState,
    /// Why it failed (never a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /notifications/read`: these of the user's notifications, or all (`ids` left
/// out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReadNotifications {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notifications {
    pub unread: u32,
    pub items: Vec<Notification>,
}

/// The format tag of an exported follow-up.
pub const FOLLOWUP_FORMAT: &str = "agentdesk-followup/1";

/// One file of an export archive: a follow-up without its secrets, and the fields of
/// the secrets to enter again after importing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportedFollowUp {
    pub format: String,
    pub spec: FollowUpSpec,
    #[serde(default)]
    pub secrets_needed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUpName {
    pub id: i64,
    pub name: String,
}

/// What an import created (inactive) and which names were taken already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub created: Vec<FollowUpName>,
    pub conflicts: Vec<String>,
}

mod rules;
mod secrets;
#[cfg(test)]
mod tests;

pub use rules::*;
