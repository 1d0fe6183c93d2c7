//! Users' notification centres: what follow-ups (and later other automations) tell a
//! user, read or not. One implementation for both backends
//! (`store/shared/notifications.rs`); follow-ups write them in their runs' transactions.

use std::collections::BTreeMap;

use agentdesk_protocol::followup::{ActionState, Card, Notifications};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{StoreResult, StoredEvent};

/// What a card action taken from a notification needs.
#[derive(Debug, Clone)]
pub struct ActionSource {
    /// The follow-up it came from (gone: deleted since).
    pub followup_id: Option<i64>,
    pub card: Option<Card>,
    /// The record's values, as the poll read them.
    pub values: BTreeMap<String, String>,
}

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
    /// One of a user's notifications, for an action from its card (`None`: not theirs or
    /// not there).
    async fn action_source(&self, user_id: i64, id: i64) -> StoreResult<Option<ActionSource>>;
    /// Mark the user's action `label` from notification `id` as running, unless an
    /// action from it is done, or running and started after `stale_before` (an
    /// instance that stopped mid-call): `false` then.
    async fn start_action(
        &self,
        user_id: i64,
        id: i64,
        label: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// How the running action ended (`message`: why it failed); the user's event.
    async fn finish_action(
        &self,
        user_id: i64,
        id: i64,
        state: ActionState,
        message: Option<&str>,
    ) -> StoreResult<Vec<StoredEvent>>;
}
