//! The one implementation of [`ReminderStore`], compiled into each backend (its module
//! there is this file).

use agentdesk_protocol::{Reminder, ServerEvent};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{Backend, Pending, Tx, begin_write, commit_events, ms, scoped};
use crate::store::reminders::{NewReminder, ReminderRow, ReminderStore};
use crate::store::{StoreResult, StoredEvent, Viewer};

/// A user's `reminders` event: for that user only (see `events::visible`).
fn changed(user_id: i64) -> (Option<i64>, ServerEvent) {
    (None, ServerEvent::Reminders { user_id })
}

/// Schedule `r` inside `tx` (one per agent and call: scheduling again for the call moves
/// it); its id, and its event to append. Moved to another time or note, it is open and
/// unannounced again; the same time and note again (a retried request) leave it as it
/// is, done or not.
pub(crate) async fn upsert_reminder(
    tx: &mut Tx<'_>,
    r: &NewReminder,
    now: i64,
) -> StoreResult<(i64, Pending)> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reminders (user_id, contact_id, call_guid, due_at, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (user_id, call_guid) WHERE call_guid IS NOT NULL DO UPDATE SET \
           fired_at = CASE WHEN reminders.due_at = excluded.due_at \
             AND reminders.note = excluded.note THEN reminders.fired_at END, \
           done_at = CASE WHEN reminders.due_at = excluded.due_at \
             AND reminders.note = excluded.note THEN reminders.done_at END, \
           contact_id = excluded.contact_id, due_at = excluded.due_at, note = excluded.note \
         RETURNING id",
    )
    .bind(r.user_id)
    .bind(r.contact_id)
    .bind(&r.call_guid)
    .bind(ms(r.due_at))
    .bind(&r.note)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, vec![changed(r.user_id)]))
}

#[async_trait]
impl ReminderStore for Backend {
    async fn schedule_reminder(&self, r: &NewReminder) -> StoreResult<(i64, Vec<StoredEvent>)> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let (id, pending) = upsert_reminder(&mut tx, r, now).await?;
        let events = commit_events(tx, pending, now).await?;
        Ok((id, events))
    }

    async fn reminders(&self, viewer: &Viewer, now: DateTime<Utc>) -> StoreResult<Vec<Reminder>> {
        let sql = format!(
            "SELECT r.id, r.contact_id, c.name AS contact_name, r.call_guid, r.due_at, r.note \
             FROM reminders r JOIN contacts c ON c.id = r.contact_id \
             WHERE r.user_id = $2 AND r.done_at IS NULL AND {} \
             ORDER BY r.due_at, r.id LIMIT 200",
            scoped("c.team_id")
        );
        let rows: Vec<ReminderRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .fetch_all(&self.pool)
            .await?;
        let now = ms(now);
        Ok(rows.into_iter().map(|r| r.into_reminder(now)).collect())
    }

    async fn finish_reminder(
        &self,
        viewer: &Viewer,
        id: i64,
    ) -> StoreResult<Option<Vec<StoredEvent>>> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        let done = sqlx::query(
            "UPDATE reminders SET done_at = $1 WHERE id = $2 AND user_id = $3 AND done_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(viewer.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(None);
        }
        Ok(Some(
            commit_events(tx, vec![changed(viewer.user_id)], now).await?,
        ))
    }

    async fn fire_due_reminders(&self, now: DateTime<Utc>) -> StoreResult<Vec<StoredEvent>> {
        let now = ms(now);
        let mut tx = begin_write(self).await?;
        // Claimed by the update itself: two instances never announce one reminder twice.
        let mut users: Vec<i64> = sqlx::query_scalar(
            "UPDATE reminders SET fired_at = $1 \
             WHERE fired_at IS NULL AND done_at IS NULL AND due_at <= $1 RETURNING user_id",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        users.sort_unstable();
        users.dedup();
        commit_events(tx, users.into_iter().map(changed).collect(), now).await
    }
}
