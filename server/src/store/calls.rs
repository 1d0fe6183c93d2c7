//! Storage of telephony: CRM settings, campaigns, calls and their uContact-shaped events.

use agentdesk_protocol::bridge::CallDisposition;
use agentdesk_protocol::{CallInfo, Campaign, CrmSettings, Direction};
use async_trait::async_trait;

use super::{StoreResult, StoredEvent, Viewer};

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

/// A campaign from its stored columns (both backends keep the same four).
pub(crate) fn campaign_from(
    name: String,
    require_disposition: bool,
    tree: &str,
    options: &str,
) -> StoreResult<Campaign> {
    Ok(Campaign {
        name,
        require_disposition,
        dispositions: serde_json::from_str(tree).map_err(|e| super::corrupt("dispositions", e))?,
        options: serde_json::from_str(options)
            .map_err(|e| super::corrupt("campaign options", e))?,
    })
}

/// A campaign's tree and options as stored (JSON text).
pub(crate) fn campaign_columns(c: &Campaign) -> StoreResult<(String, String)> {
    let text = |e: serde_json::Error| super::StoreError::Other(e.to_string());
    Ok((
        serde_json::to_string(&c.dispositions).map_err(text)?,
        serde_json::to_string(&c.options).map_err(text)?,
    ))
}

#[async_trait]
pub trait CallStore: Send + Sync {
    async fn crm_settings(&self) -> StoreResult<CrmSettings>;
    /// Store the settings and log `settings.changed` (every instance's policy follows).
    async fn set_crm_settings(&self, settings: &CrmSettings) -> StoreResult<Vec<StoredEvent>>;
    async fn campaigns(&self) -> StoreResult<Vec<Campaign>>;
    async fn upsert_campaign(&self, campaign: &Campaign) -> StoreResult<()>;

    /// Screen pop: the contact visible to the viewer with this external id (the CRM's
    /// customer id, uContact's `clientId`), else with this E.164 phone, else a new one in
    /// the viewer's first team carrying both (named after the number, or the id).
    /// `teams`, when not empty, narrows all of it to those teams (a campaign's).
    /// `(contact, team, created)`; `None`: the viewer has no such team, or neither key is
    /// given.
    async fn contact_for(
        &self,
        viewer: &Viewer,
        external_id: Option<&str>,
        phone: Option<&str>,
        teams: &[i64],
    ) -> StoreResult<Option<(i64, i64, bool)>>;

    /// [`CallStore::contact_for`] by phone alone.
    async fn contact_for_phone(
        &self,
        viewer: &Viewer,
        phone: &str,
        teams: &[i64],
    ) -> StoreResult<Option<(i64, i64, bool)>> {
        self.contact_for(viewer, None, Some(phone), teams).await
    }

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
    async fn dispose_call(
        &self,
        user_id: i64,
        agent: &str,
        disposition: &CallDisposition,
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
