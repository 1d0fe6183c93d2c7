//! The one implementation of [`NotificationStore`], compiled into each backend against
//! its seam (see `store/shared/calls.rs`).

use agentdesk_protocol::ServerEvent;
use agentdesk_protocol::followup::{Notification, Notifications};
use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::{Backend, begin_write, commit_events, from_ms, in_opt_ids, ms, opt_ids_param};
use crate::store::notifications::NotificationStore;
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
}

/// A user's `notifications` event: for that user only (see `ServerEvent::private_to`).
pub(crate) fn notifications_changed(user_id: i64) -> (Option<i64>, ServerEvent) {
    (None, ServerEvent::Notifications { user_id })
}

#[async_trait]
impl NotificationStore for Backend {
    async fn notifications(&self, user_id: i64, limit: u32) -> StoreResult<Notifications> {
        let rows: Vec<NotificationRow> = sqlx::query_as(
            "SELECT id, title, text, card, record_key, attempt, contact_id, created_at, read_at \
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
}
