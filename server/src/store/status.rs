//! Storage of agent status: status values, presence rows, open streams and the
//! connection-event log. Transitions follow [`agentdesk_protocol::presence::transition`].

use agentdesk_protocol::{
    AgentStatus, Board, ConnectionEvent, ConnectionEventPage, StatusDef, UpsertStatus,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{StoreResult, StoredEvent, Viewer};
use agentdesk_protocol::presence::Change;

/// The result of a change: the status now, whether the choice was queued, and the
/// events to publish.
pub type Changed = (AgentStatus, bool, Vec<StoredEvent>);

#[async_trait]
pub trait StatusStore: Send + Sync {
    /// Every status value, system ones included, in picker order.
    async fn status_defs(&self) -> StoreResult<Vec<StatusDef>>;
    /// Add or relabel a custom value. `false`: it is a system value, left alone.
    async fn upsert_status_def(&self, value: &str, def: &UpsertStatus) -> StoreResult<bool>;

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

    /// May the viewer read this user's status and log? Themselves, anyone sharing a
    /// team for supervisors, everyone for admins.
    async fn can_watch(&self, viewer: &Viewer, user_id: i64) -> StoreResult<bool>;
    /// Newest first, `[from, to)` in ms.
    async fn connection_events(
        &self,
        user_id: i64,
        from: Option<i64>,
        to: Option<i64>,
        page: u32,
    ) -> StoreResult<ConnectionEventPage>;
    /// Oldest first, `[from, to)`, at most `limit` rows after `after_id` (for exports).
    async fn connection_events_range(
        &self,
        user_id: i64,
        from: i64,
        to: i64,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<ConnectionEvent>>;
    /// The value of the user's last event before `t`.
    async fn status_at(&self, user_id: i64, t: i64) -> StoreResult<Option<String>>;
    /// A page of the queue_log rows of `agent` (uContact's agent name) in `[from, to)`
    /// (ms) of the teams `teams` (`None`: every team), newest first; the total with it.
    async fn queue_log_page(
        &self,
        agent: &str,
        teams: Option<&[i64]>,
        from: i64,
        to: i64,
        page: u32,
    ) -> StoreResult<(Vec<agentdesk_protocol::QueueLogEntry>, u64)>;
    /// The agents of the viewer's teams with their status and current call.
    async fn board(&self, viewer: &Viewer) -> StoreResult<Board>;
}
