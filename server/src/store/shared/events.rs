//! The one implementation of [`EventStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`); where the event ids' sequence stands
//! ([`LAST_EVENT_ID`]: SQLite's `sqlite_sequence`, PostgreSQL's identity sequence) and a
//! ticket's redemption (one statement on PostgreSQL) are the backend's own.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{Backend, LAST_EVENT_ID, corrupt, ms, scoped, write_one};
use crate::store::events::{EVENT_BOUNDS, EventStore};
use crate::store::{StoreResult, StoredEvent, Viewer};

#[async_trait]
impl EventStore for Backend {
    async fn events_since(
        &self,
        viewer: &Viewer,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<StoredEvent>> {
        let sql = format!(
            "SELECT id, team_id, payload FROM events e \
             WHERE e.id > $3 AND (e.team_id IS NULL OR {}) ORDER BY e.id LIMIT $4",
            scoped("e.team_id")
        );
        let rows: Vec<(i64, Option<i64>, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        // An event this release cannot read (written by a newer one sharing the
        // database during an upgrade) is skipped, not a failure of every stream's
        // catch-up: events carry ids only, and a client refetches what it shows.
        Ok(rows
            .into_iter()
            .filter_map(
                |(id, team_id, payload)| match serde_json::from_str(&payload) {
                    Ok(event) => Some(StoredEvent { id, team_id, event }),
                    Err(e) => {
                        tracing::warn!(id, error = %corrupt("event", e), "event skipped");
                        None
                    }
                },
            )
            .collect())
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let r = write_one(
            self,
            sqlx::query("DELETE FROM events WHERE at < $1").bind(ms(before)),
        )
        .await?;
        write_one(
            self,
            sqlx::query("DELETE FROM stream_tickets WHERE expires_at < $1")
                .bind(ms(crate::clock::now())),
        )
        .await?;
        write_one(
            self,
            sqlx::query("DELETE FROM webhook_receipts WHERE received_at < $1").bind(ms(before)),
        )
        .await?;
        Ok(r.rows_affected())
    }

    async fn viewer_teams(&self, viewer: &Viewer) -> StoreResult<Option<Vec<i64>>> {
        if viewer.all_teams() {
            return Ok(None);
        }
        Ok(Some(
            sqlx::query_scalar(
                "SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id",
            )
            .bind(viewer.user_id)
            .fetch_all(&self.pool)
            .await?,
        ))
    }

    async fn create_stream_ticket(
        &self,
        ticket_hash: &str,
        session_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        write_one(self, sqlx::query(
            "INSERT INTO stream_tickets (ticket_hash, user_id, session_hash, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(ticket_hash)
        .bind(user_id)
        .bind(session_hash)
        .bind(ms(expires_at)))
        .await?;
        Ok(())
    }

    async fn event_bounds(&self) -> StoreResult<(i64, i64)> {
        let (max, min): (i64, i64) = sqlx::query_as(EVENT_BOUNDS).fetch_one(&self.pool).await?;
        // With an empty log, the next id continues the sequence (ids are never reused,
        // so a client's Last-Event-ID stays meaningful after a prune).
        if max == 0 {
            let seq: Option<Option<i64>> = sqlx::query_scalar(LAST_EVENT_ID)
                .fetch_optional(&self.pool)
                .await?;
            let seq = seq.flatten().unwrap_or(0);
            return Ok((seq, seq + 1));
        }
        Ok((max, min))
    }
}
