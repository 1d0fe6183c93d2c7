//! Users' notification centres: what follow-ups (and later other automations) tell a
//! user, read or not. One implementation for both backends
//! (`store/shared/notifications.rs`); follow-ups write them in their runs' transactions.

use agentdesk_protocol::followup::Notifications;
use async_trait::async_trait;

use super::{StoreResult, StoredEvent};

#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// A user's latest notifications and their unread count.
    async fn notifications(&self, user_id: i64, limit: u32) -> StoreResult<Notifications>;
    /// Mark a user's notifications read: those ids, or all (`None`). Its event, when
    /// any changed.
    async fn read_notifications(
        &self,
        user_id: i64,
        ids: Option<&[i64]>,
    ) -> StoreResult<Vec<StoredEvent>>;
}
