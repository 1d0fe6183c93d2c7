//! Storage side of the one write path: an interaction row, its contact (linked or
//! created), its timeline activity and its real-time event, in one transaction,
//! idempotent by (source, source key).

use std::collections::BTreeMap;

use agentdesk_protocol::{ActivityDetail, IngestResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{NewActivity, StoreResult, StoredEvent};

/// One way of finding the customer, tried in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKey {
    ExternalId(String),
    /// E.164.
    Phone(String),
    /// Compared without ASCII case (as SQLite's NOCASE: both backends alike).
    Email(String),
}

/// The contact to create when no key finds one.
#[derive(Debug, Clone, Default)]
pub struct ContactSeed {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewInteraction {
    /// `email`, `chat`, `ticket`, `sms`, `call`.
    pub source: &'static str,
    pub source_key: String,
    pub team_id: i64,
    pub link: Vec<LinkKey>,
    pub seed: ContactSeed,
    pub conversation_id: Option<String>,
    /// Already cleaned ([`crate::ingest::attributes`]).
    pub conversation_attributes: BTreeMap<String, String>,
    pub customer_attributes: BTreeMap<String, String>,
    /// `team_id` and `contact_id` are filled in by the store.
    pub activity: NewActivity,
}

/// How a later part (a chat message, a call's disposition) changes its interaction's
/// activity: given the detail and when it started, the new detail (`None`: unchanged).
pub type Merge<'a> =
    &'a (dyn Fn(&ActivityDetail, DateTime<Utc>) -> Option<ActivityDetail> + Send + Sync);

/// One uContact `queue_log_repo` row to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueLogRow {
    pub origid: Option<String>,
    pub datetime: DateTime<Utc>,
    pub callid: String,
    pub queuename: String,
    pub agent: String,
    pub event: String,
    pub data: [String; 5],
    /// Digest of the row's content: the same row imported twice for a team is stored
    /// once.
    pub row_key: String,
    /// The team the file was imported for.
    pub team_id: i64,
}

#[async_trait]
pub trait IngestStore: Send + Sync {
    /// Store interactions (one transaction). A known (source, key) is a duplicate and
    /// changes nothing; a known conversation id attaches to that conversation's activity.
    async fn ingest(
        &self,
        items: &[NewInteraction],
        publish: bool,
    ) -> StoreResult<(Vec<IngestResult>, Vec<StoredEvent>)>;

    /// Store a part of an earlier interaction (`parent_source`, `parent_key`), once per
    /// (`source`, `key`), merging it into the parent's activity. `None`: no such parent.
    #[allow(clippy::too_many_arguments)]
    async fn ingest_part(
        &self,
        team_id: Option<i64>,
        source: &'static str,
        key: &str,
        parent_source: &'static str,
        parent_key: &str,
        merge: Merge<'_>,
    ) -> StoreResult<Option<(IngestResult, Vec<StoredEvent>)>>;

    /// Import queue-log rows; returns (stored, duplicates).
    async fn import_queue_log(&self, rows: &[QueueLogRow]) -> StoreResult<(u64, u64)>;

    /// Attribute definitions: name → (kind, scope).
    async fn attribute_defs(&self) -> StoreResult<BTreeMap<String, (String, String)>>;

    async fn create_integration(
        &self,
        name: &str,
        team_id: i64,
        token_hash: &str,
        secret: &str,
    ) -> StoreResult<i64>;
    /// (integration id, team) of a token.
    async fn integration_by_token(&self, token_hash: &str) -> StoreResult<Option<(i64, i64)>>;
    /// (team, secret) of an integration, for checking signatures.
    async fn integration_secret(&self, id: i64) -> StoreResult<Option<(i64, String)>>;
    /// A polled mailbox's cursor: (UIDVALIDITY, last UID handled).
    async fn imap_cursor(&self, mailbox: &str) -> StoreResult<Option<(u32, u32)>>;
    async fn set_imap_cursor(
        &self,
        mailbox: &str,
        uid_validity: u32,
        last_uid: u32,
    ) -> StoreResult<()>;
    /// The user linked to a uContact agent name.
    async fn user_by_agent(&self, agent: &str) -> StoreResult<Option<(i64, Option<i64>)>>;
}

/// Segments of one conversation: merge a later segment into the first one's activity.
pub(crate) fn merge_segment(
    first: &ActivityDetail,
    next: &ActivityDetail,
) -> Option<ActivityDetail> {
    match (first, next) {
        (
            ActivityDetail::Call {
                direction,
                number,
                campaign,
                duration_secs,
                disposition,
                outcome,
            },
            ActivityDetail::Call {
                duration_secs: more,
                disposition: later,
                outcome: later_outcome,
                ..
            },
        ) => Some(ActivityDetail::Call {
            direction: *direction,
            number: number.clone(),
            campaign: campaign.clone(),
            duration_secs: duration_secs.saturating_add(*more),
            disposition: later.clone().or_else(|| disposition.clone()),
            outcome: later_outcome.or(*outcome),
        }),
        (
            ActivityDetail::Chat {
                session_id,
                first_message,
                duration_secs,
                message_count,
            },
            ActivityDetail::Chat {
                duration_secs: more,
                message_count: n,
                ..
            },
        ) => Some(ActivityDetail::Chat {
            session_id: session_id.clone(),
            first_message: first_message.clone(),
            duration_secs: duration_secs.saturating_add(*more),
            message_count: message_count.saturating_add(*n),
        }),
        _ => None,
    }
}
