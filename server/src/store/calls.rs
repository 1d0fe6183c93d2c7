//! Storage of telephony: calls and their uContact-shaped events (the CRM settings and
//! campaigns they follow: [`super::crm`]).

use agentdesk_protocol::bridge::CallDisposition;
use agentdesk_protocol::{CallInfo, Direction};
use async_trait::async_trait;

use super::{StoreResult, StoredEvent, from_ms};

/// The columns of a call as every read selects them (`CALL_SELECT` in
/// `store/shared/calls.rs`), by name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CallRow {
    guid: String,
    contact_id: i64,
    activity_id: Option<i64>,
    campaign: String,
    destination: String,
    did: String,
    direction: String,
    ring_at: i64,
    end_at: Option<i64>,
    hung_up_by: Option<String>,
    l1: Option<String>,
    l2: Option<String>,
    l3: Option<String>,
    d1: Option<String>,
    d2: Option<String>,
    comment: Option<String>,
    disposed_at: Option<i64>,
    require_disposition: bool,
    pub team_id: i64,
    ucontact_sync: Option<String>,
}

impl CallRow {
    pub(crate) fn into_call(self) -> CallInfo {
        let (ring, end) = (self.ring_at, self.end_at);
        let disposition = self.disposed_at.map(|_| CallDisposition {
            campaign: self.campaign.clone(),
            callerid: self.destination.clone(),
            guid: self.guid.clone(),
            l1: self.l1.unwrap_or_default(),
            l2: self.l2.unwrap_or_default(),
            l3: self.l3.unwrap_or_default(),
            d1: self.d1.unwrap_or_default(),
            d2: self.d2.unwrap_or_default(),
            comment: self.comment.unwrap_or_default(),
        });
        CallInfo {
            guid: self.guid,
            contact_id: self.contact_id,
            activity_id: self.activity_id,
            campaign: self.campaign,
            destination: self.destination,
            did: self.did,
            direction: if self.direction == "inbound" {
                Direction::Inbound
            } else {
                Direction::Outbound
            },
            started_at: from_ms(ring),
            ended_at: end.map(from_ms),
            duration_secs: end
                .map(|e| u32::try_from((e - ring).max(0) / 1000).unwrap_or(u32::MAX))
                .unwrap_or(0),
            hung_up_by: self.hung_up_by,
            disposition,
            requires_disposition: self.require_disposition,
            // An unreadable sync state (a hand-edited row) shows as none rather than
            // failing the call's every read.
            sync: self
                .ucontact_sync
                .and_then(|j| serde_json::from_str(&j).ok()),
        }
    }
}

/// A call to record: its contact is already resolved.
#[derive(Debug, Clone)]
pub struct NewCall {
    pub guid: String,
    pub team_id: i64,
    pub contact_id: i64,
    pub user_id: i64,
    /// The agent's uContact name (or username) for the queue log.
    pub agent: String,
    pub campaign: String,
    pub did: String,
    pub destination: String,
    pub direction: Direction,
}

/// Why a call could not change state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallRefusal {
    /// The agent already has a call in progress.
    InProgress(String),
    /// A call with this guid was already made.
    DuplicateGuid(String),
    /// The previous call's campaign wants a disposition first.
    DispositionRequired(String),
    /// No call to end or disposition.
    NoCall,
    /// The disposition is not a path of the campaign's tree.
    UnknownDisposition(String),
    /// A callback was asked for with a disposition not marked "schedule callback".
    NoCallback,
}

pub type CallResult<T> = StoreResult<Result<T, CallRefusal>>;

/// Whether a disposition says what the call already holds (a CRM retrying its
/// DISPOSITION_CALL): such a replay changes nothing and logs nothing.
pub(crate) fn same_disposition(
    stored: Option<&agentdesk_protocol::bridge::CallDisposition>,
    asked: &agentdesk_protocol::bridge::CallDisposition,
) -> bool {
    stored.is_some_and(|s| {
        (&s.l1, &s.l2, &s.l3, &s.d1, &s.d2, &s.comment)
            == (
                &asked.l1,
                &asked.l2,
                &asked.l3,
                &asked.d1,
                &asked.d2,
                &asked.comment,
            )
    })
}

#[async_trait]
pub trait CallStore: Send + Sync {
    /// Start a call: the call row, its timeline activity, a `STARTCALL` queue-log event
    /// and an `activity.created` event, in one transaction.
    async fn start_call(&self, call: NewCall) -> CallResult<(CallInfo, Vec<StoredEvent>)>;
    /// End the user's active call (or the one with `guid`): duration on the activity,
    /// `PHONECOMPLETEAGENT`/`PHONECOMPLETECALLER` and `OUTCALL` in the queue log.
    async fn end_call(
        &self,
        user_id: i64,
        agent: &str,
        guid: Option<&str>,
        hung_up_by: &str,
    ) -> CallResult<(CallInfo, Vec<StoredEvent>)>;
    /// Record a disposition on the call with the disposition's guid (or the user's
    /// latest call when it is empty), checked against the campaign's tree; updates the
    /// call's activity and logs `FINISHWRAPUP`.
    /// With `callback`, the disposition (marked "schedule callback" in the tree) also
    /// schedules a reminder for the call, in the same transaction; a retried disposition
    /// with a new time moves it.
    async fn dispose_call(
        &self,
        user_id: i64,
        agent: &str,
        disposition: &CallDisposition,
        callback: Option<&super::reminders::Callback>,
    ) -> CallResult<(CallInfo, Vec<StoredEvent>)>;
    /// The user's active call, and their latest ended call still owing a disposition.
    async fn current_calls(
        &self,
        user_id: i64,
    ) -> StoreResult<(Option<CallInfo>, Option<CallInfo>)>;
    /// Record how the call's disposition fares with uContact's REST API; the call's
    /// activity shows it (an `activity.updated` event). `None`: no such call of the user.
    async fn set_call_sync(
        &self,
        user_id: i64,
        guid: &str,
        sync: &agentdesk_protocol::RemoteSync,
    ) -> StoreResult<Option<Vec<StoredEvent>>>;
    /// Queue-log rows of a call, oldest first: (event, data1..data5).
    async fn queue_log(&self, guid: &str) -> StoreResult<Vec<(String, [String; 5])>>;
}
