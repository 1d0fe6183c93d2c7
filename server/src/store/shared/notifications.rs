//! The one implementation of [`NotificationStore`], compiled into each backend against
//! its seam (see `store/shared/calls.rs`).

use agentdesk_protocol::ServerEvent;
use agentdesk_protocol::followup::{ActionState, ActionTaken, Notification, Notifications};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{Backend, begin_write, commit_events, from_ms, in_opt_ids, ms, opt_ids_param};
use crate::store::notifications::{ActionSource, NotificationStore};
use crate::store::{StoreResult, StoredEvent};

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    title: String,
    text: String,
    card: Option<String>,
    record_key: String,
    attempt: i64,
    contact_id: Option<i64>,
    created_at: i64,
    read_at: Option<i64>,
    action_label: Option<String>,
    action_at: Option<i64>,
    action_state: Option<String>,
    action_message: Option<String>,
}

fn state_name(s: ActionState) -> &'static str {
    match s {
        ActionState::Running => "running",
        ActionState::Done => "done",
        ActionState::Failed => "failed",
    }
}

impl NotificationRow {
    fn action(&self) -> Option<ActionTaken> {
        let state = match self.action_state.as_deref()? {
            "running" => ActionState::Running,
            "done" => ActionState::Done,
            _ => ActionState::Failed,
        };
        Some(ActionTaken {
            label: self.action_label.clone().unwrap_or_default(),
            at: from_ms(self.action_at?),
            state,
            message: self.action_message.clone(),
        })
    }
}

/// A user's `notifications` event: for that user only (see `ServerEvent::private_to`).
pub(crate) fn notifications_changed(user_id: i64) -> (Option<i64>, ServerEvent) {
    (None, ServerEvent::Notifications { user_id })
}

#[async_trait]
impl NotificationStore for Backend {
    async fn notifications(&self, user_id: i64, limit: u32) -> StoreResult<Notifications> {
        let rows: Vec<NotificationRow> = sqlx::query_as(
            "SELECT id, title, text, card, record_key, attempt, contact_id, created_at, read_at, \
               action_label, action_at, action_state, action_message \
             FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let unread: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(Notifications {
            unread: u32::try_from(unread).unwrap_or(u32::MAX),
            items: rows
                .into_iter()
                .map(|r| Notification {
                    action: r.action(),
                    id: r.id,
                    title: r.title,
                    text: r.text,
                    card: r.card.and_then(|c| serde_json::from_str(&c).ok()),
                    record: r.record_key,
                    attempt: u32::try_from(r.attempt).unwrap_or(0),
                    contact_id: r.contact_id,
                    created_at: from_ms(r.created_at),
                    read: r.read_at.is_some(),
                })
                .collect(),
        })
    }

    async fn read_notifications(
        &self,
        user_id: i64,
        ids: Option<&[i64]>,
    ) -> StoreResult<Vec<StoredEvent>> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let sql = format!(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL \
             AND {}",
            in_opt_ids("id", 3)
        );
        let n = sqlx::query(AssertSqlSafe(sql))
            .bind(now)
            .bind(user_id)
            .bind(opt_ids_param(ids))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let pending = if n > 0 {
            vec![notifications_changed(user_id)]
        } else {
            Vec::new()
        };
        commit_events(tx, pending, now).await
    }

    async fn action_source(&self, user_id: i64, id: i64) -> StoreResult<Option<ActionSource>> {
        let row: Option<(Option<i64>, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT followup_id, card, record_values FROM notifications \
             WHERE id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(followup_id, card, values)| ActionSource {
            followup_id,
            card: card.and_then(|c| serde_json::from_str(&c).ok()),
            values: values
                .and_then(|v| serde_json::from_str(&v).ok())
                .unwrap_or_default(),
        }))
    }

    async fn start_action(
        &self,
        user_id: i64,
        id: i64,
        label: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = begin_write(self).await?;
        // Conditional, so two presses (two tabs) call the system once.
        let n = sqlx::query(
            "UPDATE notifications SET action_label = $1, action_at = $2, \
               action_state = 'running', action_message = NULL \
             WHERE id = $3 AND user_id = $4 AND (action_state IS NULL \
               OR action_state = 'failed' OR (action_state = 'running' AND action_at < $5))",
        )
        .bind(label)
        .bind(ms(now))
        .bind(id)
        .bind(user_id)
        .bind(ms(stale_before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn finish_action(
        &self,
        user_id: i64,
        id: i64,
        state: ActionState,
        message: Option<&str>,
    ) -> StoreResult<Vec<StoredEvent>> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        // Reading the result is reading the notification.
        sqlx::query(
            "UPDATE notifications SET action_state = $1, action_message = $2, \
               read_at = COALESCE(read_at, $3) \
             WHERE id = $4 AND user_id = $5 AND action_state = 'running'",
        )
        .bind(state_name(state))
        .bind(message)
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        commit_events(tx, vec![notifications_changed(user_id)], now).await
    }
}
