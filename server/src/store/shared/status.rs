//! The one implementation of [`StatusStore`], compiled into each backend against its
//! seam: the presence row's lock and the change's write (`presence::lock_presence`,
//! `presence::apply`, `presence::peek_presence`, `presence::lock_presences`) are the
//! backend's; what a change means is `agentdesk_protocol::presence::transition`, and
//! every query here is the same SQL on both. Streams are counted only after the
//! presence row is locked, so a stream opening meanwhile is either seen or connects the
//! agent again after the disconnect.

use agentdesk_protocol::presence::{Change, transition};
use agentdesk_protocol::{AgentStatus, DisconnectReason, StatusDef, UcBreak, UpsertStatus};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::presence::{lock_presence, lock_presences, peek_presence, write_change};
use super::{Backend, Tx, begin_write, ms, write_one};
use crate::store::status::{Changed, StatusStore};
use crate::store::{StoreResult, StoredEvent, Viewer};

/// Apply `change` inside `tx`: lock the agent's presence row, run the rules, and write
/// what moved (the backend's [`write_change`]); nothing is written when nothing moved.
async fn apply(
    tx: &mut Tx<'_>,
    user_id: i64,
    change: Change,
    now: i64,
    restore_ms: i64,
) -> StoreResult<Changed> {
    let before = lock_presence(tx, user_id, now).await?;
    let out = transition(&before, change, now, restore_ms);
    let events = if out.presence == before {
        Vec::new()
    } else {
        write_change(tx, user_id, &out, now).await?
    };
    Ok((out.presence.to_status(user_id), out.queued, events))
}

/// Register an open stream inside `tx`; the user's first one connects them (`Connect`
/// does nothing when the user is already connected: another tab).
async fn register_stream(
    tx: &mut Tx<'_>,
    stream_id: &str,
    user_id: i64,
    session_hash: &str,
    fresh_session: String,
    now: i64,
    restore_ms: i64,
) -> StoreResult<Vec<StoredEvent>> {
    sqlx::query(
        "INSERT INTO presence_streams (id, user_id, session_hash, opened_at, seen_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(stream_id)
    .bind(user_id)
    .bind(session_hash)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let (_, _, events) = apply(
        tx,
        user_id,
        Change::Connect { fresh_session },
        now,
        restore_ms,
    )
    .await?;
    Ok(events)
}

/// After a user's streams changed: disconnect them if none is left.
async fn disconnect_if_no_stream(
    tx: &mut Tx<'_>,
    user_id: i64,
    reason: DisconnectReason,
    now: i64,
    restore_ms: i64,
) -> StoreResult<Vec<StoredEvent>> {
    // The presence row first: a stream opened by a transaction that holds it is
    // committed (and counted) by the time this one gets it.
    lock_presence(tx, user_id, now).await?;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM presence_streams WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?;
    if left > 0 {
        return Ok(Vec::new());
    }
    Ok(
        apply(tx, user_id, Change::Disconnect { reason }, now, restore_ms)
            .await?
            .2,
    )
}

#[async_trait]
impl StatusStore for Backend {
    async fn status_defs(&self) -> StoreResult<Vec<StatusDef>> {
        type Row = (String, String, String, String, bool, Option<String>, bool);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT value, label_es, label_en, color, system, motive, retired_at IS NOT NULL \
             FROM status_values ORDER BY position, value",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(value, label_es, label_en, color, system, motive, retired)| StatusDef {
                    value,
                    label_es,
                    label_en,
                    color,
                    system,
                    // An unknown stored reason (written by hand) is still a break.
                    motive: motive.map(|m| {
                        UcBreak::parse(&m)
                            .unwrap_or(UcBreak::Other)
                            .as_str()
                            .to_owned()
                    }),
                    retired,
                },
            )
            .collect())
    }

    async fn upsert_status_def(&self, value: &str, def: &UpsertStatus) -> StoreResult<bool> {
        // A new status goes last; absent settings keep what the status had.
        let motive = def.motive.map(|m| m.map(UcBreak::as_str));
        let r = write_one(
            self,
            sqlx::query(
                "INSERT INTO status_values \
                 (value, label_es, label_en, color, system, position, motive, retired_at) \
                 VALUES ($1, $2, $3, $4, FALSE, \
                 (SELECT COALESCE(MAX(position), 0) + 1 FROM status_values), \
                 CASE WHEN $5 THEN $6 ELSE 'OTHER' END, CASE WHEN $7 THEN $8 ELSE NULL END) \
                 ON CONFLICT (value) DO UPDATE SET label_es = $2, label_en = $3, color = $4, \
                 motive = CASE WHEN $5 THEN $6 ELSE status_values.motive END, \
                 retired_at = CASE WHEN $9 THEN status_values.retired_at WHEN $7 \
                 THEN COALESCE(status_values.retired_at, $8) ELSE NULL END \
                 WHERE NOT status_values.system",
            )
            .bind(value)
            .bind(&def.label_es)
            .bind(&def.label_en)
            .bind(&def.color)
            .bind(motive.is_some())
            .bind(motive.flatten())
            .bind(def.retired == Some(true))
            .bind(ms(crate::clock::now()))
            .bind(def.retired.is_none()),
        )
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn order_statuses(&self, values: &[String]) -> StoreResult<()> {
        let mut tx = begin_write(self).await?;
        for (i, value) in values.iter().enumerate() {
            sqlx::query("UPDATE status_values SET position = $1 WHERE value = $2 AND NOT system")
                .bind(i64::try_from(i).unwrap_or(i64::MAX) + 1)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn agent_status(&self, user_id: i64) -> StoreResult<AgentStatus> {
        let p = peek_presence(self, user_id, ms(crate::clock::now())).await?;
        Ok(p.to_status(user_id))
    }

    async fn change_status(
        &self,
        user_id: i64,
        change: Change,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Changed> {
        let mut tx = begin_write(self).await?;
        let out = apply(&mut tx, user_id, change, ms(now), restore_ms).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn open_stream(
        &self,
        stream_id: &str,
        user_id: i64,
        session_hash: &str,
        fresh_session: String,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        let now = ms(now);
        let mut tx = begin_write(self).await?;
        let events = register_stream(
            &mut tx,
            stream_id,
            user_id,
            session_hash,
            fresh_session,
            now,
            restore_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(events)
    }

    async fn open_stream_with_ticket(
        &self,
        ticket_hash: &str,
        stream_id: &str,
        fresh_session: String,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Option<(Viewer, String, Vec<StoredEvent>)>> {
        let now = ms(now);
        // One write transaction for what took two (the ticket's redemption, then the
        // stream's registration): a contact switch reopens the stream.
        let mut tx = begin_write(self).await?;
        let taken: Option<(i64, String)> = sqlx::query_as(
            "DELETE FROM stream_tickets WHERE ticket_hash = $1 AND expires_at > $2 \
             RETURNING user_id, session_hash",
        )
        .bind(ticket_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let user = match taken {
            Some((user_id, session_hash)) => sqlx::query_as::<_, (i64, String, bool)>(
                "SELECT u.id, u.role, u.can_email FROM users u \
                     JOIN sessions s ON s.token_hash = $2 AND s.user_id = u.id \
                     AND s.expires_at > $3 WHERE u.id = $1",
            )
            .bind(user_id)
            .bind(&session_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .map(|(id, role, can_email)| (id, role, can_email, session_hash)),
            None => None,
        };
        let Some(user) = user else {
            // The ticket, if it existed, is spent all the same.
            tx.commit().await?;
            return Ok(None);
        };
        let (viewer, session_hash) = crate::store::events::ticket_viewer(user)?;
        let events = register_stream(
            &mut tx,
            stream_id,
            viewer.user_id,
            &session_hash,
            fresh_session,
            now,
            restore_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(Some((viewer, session_hash, events)))
    }

    async fn touch_stream(&self, stream_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        // The stream lives while its row does and its session is still valid.
        let r = write_one(
            self,
            sqlx::query(
                "UPDATE presence_streams SET seen_at = $1 WHERE id = $2 AND EXISTS \
             (SELECT 1 FROM sessions s WHERE s.token_hash = presence_streams.session_hash \
              AND s.expires_at > $1)",
            )
            .bind(ms(now))
            .bind(stream_id),
        )
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn close_stream(
        &self,
        stream_id: &str,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        let mut tx = begin_write(self).await?;
        let user: Option<i64> =
            sqlx::query_scalar("DELETE FROM presence_streams WHERE id = $1 RETURNING user_id")
                .bind(stream_id)
                .fetch_optional(&mut *tx)
                .await?;
        let events = match user {
            Some(u) => {
                disconnect_if_no_stream(&mut tx, u, DisconnectReason::Network, ms(now), restore_ms)
                    .await?
            }
            None => Vec::new(), // already removed by a sign-out or the sweeper
        };
        tx.commit().await?;
        Ok(events)
    }

    async fn first_delivery(&self, key: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let r = write_one(
            self,
            sqlx::query(
                "INSERT INTO webhook_receipts (key, received_at) VALUES ($1, $2) \
             ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(ms(now)),
        )
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn forget_delivery(&self, key: &str) -> StoreResult<()> {
        write_one(
            self,
            sqlx::query("DELETE FROM webhook_receipts WHERE key = $1").bind(key),
        )
        .await?;
        Ok(())
    }

    async fn end_session_presence(
        &self,
        session_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        let mut tx = begin_write(self).await?;
        sqlx::query("DELETE FROM presence_streams WHERE session_hash = $1")
            .bind(session_hash)
            .execute(&mut *tx)
            .await?;
        let events = disconnect_if_no_stream(
            &mut tx,
            user_id,
            DisconnectReason::Logout,
            ms(now),
            restore_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(events)
    }

    async fn sweep_streams(
        &self,
        stale_before: DateTime<Utc>,
        now: DateTime<Utc>,
        restore_ms: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        let mut tx = begin_write(self).await?;
        let mut users: Vec<i64> =
            sqlx::query_scalar("DELETE FROM presence_streams WHERE seen_at < $1 RETURNING user_id")
                .bind(ms(stale_before))
                .fetch_all(&mut *tx)
                .await?;
        // Also users marked connected with no stream at all (an instance died between
        // its writes, or before this table existed).
        let orphans: Vec<i64> = sqlx::query_scalar(
            "SELECT user_id FROM agent_presence p WHERE connected AND NOT EXISTS \
             (SELECT 1 FROM presence_streams s WHERE s.user_id = p.user_id)",
        )
        .fetch_all(&mut *tx)
        .await?;
        users.extend(orphans);
        users.sort_unstable();
        users.dedup();
        // All their presence rows now, in user-id order, before any write (no deadlock
        // among several sweepers and status changes).
        lock_presences(&mut tx, &users).await?;
        let mut events = Vec::new();
        for u in users {
            events.extend(
                disconnect_if_no_stream(&mut tx, u, DisconnectReason::Timeout, ms(now), restore_ms)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(events)
    }
}
