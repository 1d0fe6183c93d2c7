//! The event log (what the real-time streams replay) and stream tickets. One
//! implementation for both backends (`store/shared/events.rs`); the newest/oldest ids
//! and a ticket's redemption are the backend's own.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{StoreResult, StoredEvent, Viewer};

/// The newest and oldest event ids (0 when none). One aggregate per subquery: SQLite
/// answers a lone `MAX(id)` or `MIN(id)` from the key's ends, but both in one `SELECT`
/// scan the whole log — which every stream open did, with a day of events in it.
pub(crate) const EVENT_BOUNDS: &str = "SELECT COALESCE((SELECT MAX(id) FROM events), 0), \
     COALESCE((SELECT MIN(id) FROM events), 0)";

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Events after `after` that the viewer may see, oldest first, at most `limit`.
    async fn events_since(
        &self,
        viewer: &Viewer,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// The id of the newest event (0 when none), and of the oldest still kept.
    async fn event_bounds(&self) -> StoreResult<(i64, i64)>;
    /// Forget events older than `before`.
    async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// The ids of the teams whose events the viewer receives (`None`: all teams).
    async fn viewer_teams(&self, viewer: &Viewer) -> StoreResult<Option<Vec<i64>>>;

    async fn create_stream_ticket(
        &self,
        ticket_hash: &str,
        session_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// A redeemed stream ticket's user and session, from `(user id, role, may read email,
/// session hash)`.
pub(crate) fn ticket_viewer(
    (user_id, role, can_email, session_hash): (i64, String, bool, String),
) -> StoreResult<(Viewer, String)> {
    Ok((
        Viewer {
            user_id,
            role: super::role(&role)?,
            can_email,
        },
        session_hash,
    ))
}
