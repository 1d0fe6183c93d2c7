//! Callback reminders: an agent's own, scheduled with a call's disposition and announced
//! when due. One implementation for both backends (`store/shared/reminders.rs`).

use agentdesk_protocol::Reminder;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{StoreResult, StoredEvent, Viewer, from_ms};

/// A callback to schedule.
#[derive(Debug, Clone)]
pub struct NewReminder {
    pub user_id: i64,
    pub contact_id: i64,
    /// The call it follows up: one reminder per (user, call), so scheduling again for the
    /// same call moves it instead of adding a second.
    pub call_guid: Option<String>,
    pub due_at: DateTime<Utc>,
    pub note: String,
}

/// The callback a disposition asks for (the call gives the agent, contact and guid).
#[derive(Debug, Clone)]
pub struct Callback {
    pub due_at: DateTime<Utc>,
    pub note: String,
}

#[async_trait]
pub trait ReminderStore: Send + Sync {
    /// Schedule (or move) a reminder; its `reminders` event for the user.
    async fn schedule_reminder(&self, r: &NewReminder) -> StoreResult<(i64, Vec<StoredEvent>)>;
    /// The viewer's reminders not done yet, soonest first, whose contact they still see;
    /// `due` for those whose time (on `now`) has come.
    async fn reminders(&self, viewer: &Viewer, now: DateTime<Utc>) -> StoreResult<Vec<Reminder>>;
    /// Mark one of the viewer's reminders done. `None`: no such open reminder of theirs.
    async fn finish_reminder(
        &self,
        viewer: &Viewer,
        id: i64,
    ) -> StoreResult<Option<Vec<StoredEvent>>>;
    /// Claim the reminders due at `now` not yet announced (each instance claims its
    /// own), and a `reminders` event per user that has any.
    async fn fire_due_reminders(&self, now: DateTime<Utc>) -> StoreResult<Vec<StoredEvent>>;
}

/// A reminder's row, by name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReminderRow {
    id: i64,
    contact_id: i64,
    contact_name: String,
    call_guid: Option<String>,
    due_at: i64,
    note: String,
}

impl ReminderRow {
    pub(crate) fn into_reminder(self, now_ms: i64) -> Reminder {
        Reminder {
            id: self.id,
            contact_id: self.contact_id,
            contact_name: self.contact_name,
            call_guid: self.call_guid,
            due_at: from_ms(self.due_at),
            note: self.note,
            due: self.due_at <= now_ms,
        }
    }
}
