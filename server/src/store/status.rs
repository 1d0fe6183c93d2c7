//! Storage of agent status: status values, presence rows, open streams and the
//! connection-event log. Transitions follow [`agentdesk_protocol::presence::transition`].

use agentdesk_protocol::presence::Presence;
use agentdesk_protocol::{AgentStatus, StatusDef, UpsertStatus};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{StoreResult, StoredEvent, Viewer};
use agentdesk_protocol::presence::Change;

/// The result of a change: the status now, whether the choice was queued, and the
/// events to publish.
pub type Changed = (AgentStatus, bool, Vec<StoredEvent>);

/// An agent's presence row, by name (both backends' reads select these columns).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PresenceRow {
    session_id: Option<String>,
    connected: bool,
    status: String,
    since: i64,
    pending: Option<String>,
    in_call: bool,
    pre_call: Option<String>,
    disconnected_at: Option<i64>,
    before_disconnect: Option<String>,
}

impl From<PresenceRow> for Presence {
    fn from(r: PresenceRow) -> Self {
        Presence {
            session_id: r.session_id,
            connected: r.connected,
            status: r.status,
            since: r.since,
            pending: r.pending,
            in_call: r.in_call,
            pre_call: r.pre_call,
            disconnected_at: r.disconnected_at,
            before_disconnect: r.before_disconnect,
        }
    }
}

#[async_trait]
pub trait StatusStore: Send + Sync {
    /// Every status value, system ones included, in picker order.
    async fn status_defs(&self) -> StoreResult<Vec<StatusDef>>;
    /// Add or change a custom value. `false`: it is a system value, left alone.
    async fn upsert_status_def(&self, value: &str, def: &UpsertStatus) -> StoreResult<bool>;
    /// Give the custom values these positions, in this order (1, 2, …); system values
    /// keep theirs.
    async fn order_statuses(&self, values: &[String]) -> StoreResult<()>;

    async fn agent_status(&self, user_id: i64) -> StoreResult<AgentStatus>;
    /// Apply one change under the agent's presence row (see [`agentdesk_protocol::presence`]).
    async fn change_status(
        &self,
        user_id: i64,
        change: Change,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Changed>;

    /// Register an open stream; the user's first one connects them.
    async fn open_stream(
        &self,
        stream_id: &str,
        user_id: i64,
        session_hash: &str,
        fresh_session: String,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Redeem a stream ticket and register the stream it opens, in one transaction: the
    /// ticket's user and session, or `None` (and nothing registered) when the ticket is
    /// unknown, used or expired or its session has ended. Single use: the ticket is gone
    /// afterwards whatever the outcome, so one seen in a log or a proxy's history opens
    /// nothing.
    async fn open_stream_with_ticket(
        &self,
        ticket_hash: &str,
        stream_id: &str,
        fresh_session: String,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Option<(Viewer, String, Vec<StoredEvent>)>>;
    /// Refresh a stream; `false` when its row is gone (its session ended or it was swept).
    async fn touch_stream(&self, stream_id: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Remove a stream; the user's last one disconnects them (reason `network`).
    async fn close_stream(
        &self,
        stream_id: &str,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Record a delivery of a webhook that has no id of its own, by `key`; `false` when
    /// that key was recorded before (a re-delivery).
    async fn first_delivery(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Forget a delivery whose effect failed, so that uContact's retry applies it.
    async fn forget_delivery(&self, key: &str) -> StoreResult<()>;
    /// Sign-out: remove the session's streams and disconnect the user (reason `logout`)
    /// unless another session of theirs is still open.
    async fn end_session_presence(
        &self,
        session_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Remove streams not refreshed since `stale_before` (their instance died) and
    /// disconnect users left without one (reason `timeout`).
    async fn sweep_streams(
        &self,
        stale_before: DateTime<Utc>,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Vec<StoredEvent>>;
}
