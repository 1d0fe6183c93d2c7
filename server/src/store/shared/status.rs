//! The one implementation of [`StatusStore`], compiled into each backend against its
//! seam: the presence row's lock and the change's write (`presence::lock_presence`,
//! `presence::apply`, `presence::peek_presence`, `presence::lock_presences`) are the
//! backend's; what a change means is `agentdesk_protocol::presence::transition`, and
//! every query here is the same SQL on both. Streams are counted only after the
//! presence row is locked, so a stream opening meanwhile is either seen or connects the
//! agent again after the disconnect.

use agentdesk_protocol::presence::{Change, Presence, transition};
use agentdesk_protocol::{
    AgentStatus, Board, BoardCall, BoardRow, CONNECTION_EVENTS_PAGE_SIZE, ConnectionEvent,
    ConnectionEventPage, ConnectionEventType, DisconnectReason, StatusDef, TeamRef, UpsertStatus,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::presence::{lock_presence, lock_presences, peek_presence, write_change};
use super::{Backend, DbRow, Tx, begin_write, corrupt, from_ms, in_opt_ids, ms, opt_ids_param};
use crate::store::status::{Changed, StatusStore};
use crate::store::{StoreResult, StoredEvent, Viewer};

/// An agent's presence row read as `session_id, connected, status, since, pending,
/// in_call, pre_call, disconnected_at, before_disconnect` (both backends' reads).
pub(crate) fn presence_from_row(r: &DbRow) -> Presence {
    Presence {
        session_id: r.get(0),
        connected: r.get(1),
        status: r.get(2),
        since: r.get(3),
        pending: r.get(4),
        in_call: r.get(5),
        pre_call: r.get(6),
        disconnected_at: r.get(7),
        before_disconnect: r.get(8),
    }
}

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

fn event_from_row(r: &DbRow) -> StoreResult<ConnectionEvent> {
    let kind: &str = r.get(3);
    let reason: Option<&str> = r.get(5);
    Ok(ConnectionEvent {
        id: r.get(0),
        user_id: r.get(1),
        at: from_ms(r.get(2)),
        kind: ConnectionEventType::parse(kind).ok_or_else(|| corrupt("event type", kind))?,
        value: r.get(4),
        reason: reason
            .map(|s| DisconnectReason::parse(s).ok_or_else(|| corrupt("reason", s)))
            .transpose()?,
        session_id: r.get(6),
    })
}

const EVENT_SELECT: &str =
    "SELECT id, user_id, at, type, value, reason, session_id FROM connection_events";

#[async_trait]
impl StatusStore for Backend {
    async fn status_defs(&self) -> StoreResult<Vec<StatusDef>> {
        let rows = sqlx::query(
            "SELECT value, label_es, label_en, color, system FROM status_values \
             ORDER BY position, value",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| StatusDef {
                value: r.get(0),
                label_es: r.get(1),
                label_en: r.get(2),
                color: r.get(3),
                system: r.get(4),
            })
            .collect())
    }

    async fn upsert_status_def(&self, value: &str, def: &UpsertStatus) -> StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO status_values (value, label_es, label_en, color, system, position) \
             VALUES ($1, $2, $3, $4, FALSE, 100) \
             ON CONFLICT (value) DO UPDATE SET label_es = $2, label_en = $3, color = $4 \
             WHERE NOT status_values.system",
        )
        .bind(value)
        .bind(&def.label_es)
        .bind(&def.label_en)
        .bind(&def.color)
        .execute(self.write_pool())
        .await?;
        Ok(r.rows_affected() > 0)
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
        sqlx::query(
            "INSERT INTO presence_streams (id, user_id, session_hash, opened_at, seen_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(stream_id)
        .bind(user_id)
        .bind(session_hash)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // `Connect` does nothing when the user is already connected (another tab).
        let (_, _, events) = apply(
            &mut tx,
            user_id,
            Change::Connect { fresh_session },
            now,
            restore_ms,
        )
        .await?;
        tx.commit().await?;
        Ok(events)
    }

    async fn touch_stream(&self, stream_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        // The stream lives while its row does and its session is still valid.
        let r = sqlx::query(
            "UPDATE presence_streams SET seen_at = $1 WHERE id = $2 AND EXISTS \
             (SELECT 1 FROM sessions s WHERE s.token_hash = presence_streams.session_hash \
              AND s.expires_at > $1)",
        )
        .bind(ms(now))
        .bind(stream_id)
        .execute(self.write_pool())
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
        let r = sqlx::query(
            "INSERT INTO webhook_receipts (key, received_at) VALUES ($1, $2) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(ms(now))
        .execute(self.write_pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn forget_delivery(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM webhook_receipts WHERE key = $1")
            .bind(key)
            .execute(self.write_pool())
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

    async fn can_watch(&self, viewer: &Viewer, user_id: i64) -> StoreResult<bool> {
        if viewer.user_id == user_id {
            return Ok(true);
        }
        if viewer.role == agentdesk_protocol::Role::Agent {
            return Ok(false);
        }
        let ok: bool = sqlx::query_scalar(
            // A supervisor watches the agents and supervisors of their teams; an
            // admin's log is for admins only, whatever teams the admin is in.
            "SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = $3 AND ($1 OR (u.role != 'admin' AND EXISTS \
             (SELECT 1 FROM team_members a JOIN team_members b ON a.team_id = b.team_id \
              WHERE a.user_id = $2 AND b.user_id = $3))))",
        )
        .bind(viewer.all_teams())
        .bind(viewer.user_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(ok)
    }

    async fn queue_log_page(
        &self,
        agent: &str,
        teams: Option<&[i64]>,
        from: i64,
        to: i64,
        page: u32,
    ) -> StoreResult<(Vec<agentdesk_protocol::QueueLogEntry>, u64)> {
        let where_sql = format!(
            "agent = $1 AND {} AND datetime >= $3 AND datetime < $4",
            in_opt_ids("team_id", 2)
        );
        let teams = opt_ids_param(teams);
        let mut conn = self.pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM queue_log WHERE {where_sql}"
        )))
        .bind(agent)
        .bind(&teams)
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        let size = i64::from(agentdesk_protocol::CONNECTION_EVENTS_PAGE_SIZE);
        // Past the last page: the last page (as the connection log answers).
        let pages = u32::try_from((total.max(1) + size - 1) / size).unwrap_or(u32::MAX);
        let page = page.clamp(1, pages);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT datetime, COALESCE(callid, ''), COALESCE(queuename, ''), event, \
               COALESCE(data1, ''), COALESCE(data2, ''), COALESCE(data3, ''), \
               COALESCE(data4, ''), COALESCE(data5, '') \
             FROM queue_log WHERE {where_sql} ORDER BY datetime DESC, id DESC \
             LIMIT {size} OFFSET $5"
        )))
        .bind(agent)
        .bind(&teams)
        .bind(from)
        .bind(to)
        .bind(i64::from(page - 1) * size)
        .fetch_all(&mut *conn)
        .await?;
        let items = rows
            .iter()
            .map(|r| agentdesk_protocol::QueueLogEntry {
                at: from_ms(r.get(0)),
                callid: r.get(1),
                queue: r.get(2),
                event: r.get(3),
                data: [r.get(4), r.get(5), r.get(6), r.get(7), r.get(8)],
            })
            .collect();
        Ok((items, u64::try_from(total).unwrap_or(0)))
    }

    async fn connection_events(
        &self,
        user_id: i64,
        from: Option<i64>,
        to: Option<i64>,
        page: u32,
    ) -> StoreResult<ConnectionEventPage> {
        let from = from.unwrap_or(i64::MIN);
        let to = to.unwrap_or(i64::MAX);
        let mut conn = self.pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connection_events WHERE user_id = $1 AND at >= $2 AND at < $3",
        )
        .bind(user_id)
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        let size = u64::from(CONNECTION_EVENTS_PAGE_SIZE);
        let total = u64::try_from(total).unwrap_or(0);
        let pages = u32::try_from(total.div_ceil(size).max(1)).unwrap_or(u32::MAX);
        let page = page.clamp(1, pages);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{EVENT_SELECT} WHERE user_id = $1 AND at >= $2 AND at < $3 \
             ORDER BY at DESC, id DESC LIMIT {CONNECTION_EVENTS_PAGE_SIZE} OFFSET $4"
        )))
        .bind(user_id)
        .bind(from)
        .bind(to)
        .bind(i64::from(page - 1) * i64::from(CONNECTION_EVENTS_PAGE_SIZE))
        .fetch_all(&mut *conn)
        .await?;
        Ok(ConnectionEventPage {
            items: rows
                .iter()
                .map(event_from_row)
                .collect::<StoreResult<_>>()?,
            total,
            page,
            pages,
            // The route fills in the date range it asked for.
            from: Default::default(),
            to: Default::default(),
        })
    }

    async fn connection_events_range(
        &self,
        user_id: i64,
        from: i64,
        to: i64,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<ConnectionEvent>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{EVENT_SELECT} WHERE user_id = $1 AND at >= $2 AND at < $3 AND id > $4 \
             ORDER BY id LIMIT $5"
        )))
        .bind(user_id)
        .bind(from)
        .bind(to)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn status_at(&self, user_id: i64, t: i64) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT value FROM connection_events WHERE user_id = $1 AND at < $2 \
             ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(user_id)
        .bind(t)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn board(&self, viewer: &Viewer) -> StoreResult<Board> {
        let mut conn = self.pool.acquire().await?;
        // Members of the viewer's teams, their presence and their active call — only a
        // call of one of the viewer's teams: an agent in two teams may be on the other
        // team's call, whose number and customer are not the viewer's to see. One query,
        // plus one for the team names of all of them.
        let rows = sqlx::query(
            "SELECT u.id, u.display_name, u.username, p.session_id, COALESCE(p.connected, FALSE), \
             COALESCE(p.status, 'disconnected'), COALESCE(p.since, u.created_at), p.pending, \
             c.guid, c.destination, c.campaign, c.contact_id, k.name, c.ring_at \
             FROM users u \
             LEFT JOIN agent_presence p ON p.user_id = u.id \
             LEFT JOIN calls c ON c.id = (SELECT id FROM calls WHERE user_id = u.id AND end_at IS NULL \
                 AND ($1 OR team_id IN (SELECT team_id FROM team_members WHERE user_id = $2)) \
                 ORDER BY ring_at DESC LIMIT 1) \
             LEFT JOIN contacts k ON k.id = c.contact_id \
             WHERE u.role != 'admin' AND ($1 OR u.id IN (SELECT b.user_id FROM team_members a \
                 JOIN team_members b ON a.team_id = b.team_id WHERE a.user_id = $2)) \
             ORDER BY u.display_name, u.id",
        )
        .bind(viewer.all_teams())
        .bind(viewer.user_id)
        .fetch_all(&mut *conn)
        .await?;
        let memberships = sqlx::query(
            "SELECT m.user_id, t.id, t.name FROM team_members m JOIN teams t ON t.id = m.team_id \
             WHERE $1 OR m.team_id IN (SELECT team_id FROM team_members WHERE user_id = $2) \
             ORDER BY t.name",
        )
        .bind(viewer.all_teams())
        .bind(viewer.user_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut teams: std::collections::HashMap<i64, Vec<TeamRef>> = Default::default();
        for m in &memberships {
            teams.entry(m.get(0)).or_default().push(TeamRef {
                id: m.get(1),
                name: m.get(2),
            });
        }
        let agents = rows
            .iter()
            .map(|r| {
                let user_id: i64 = r.get(0);
                let call = r.get::<Option<String>, _>(8).map(|guid| BoardCall {
                    guid,
                    number: r.get(9),
                    campaign: r.get(10),
                    contact_id: r.get(11),
                    contact_name: r.get::<Option<String>, _>(12).unwrap_or_default(),
                    started_at: from_ms(r.get(13)),
                });
                BoardRow {
                    user_id,
                    display_name: r.get(1),
                    username: r.get(2),
                    teams: teams.remove(&user_id).unwrap_or_default(),
                    status: AgentStatus {
                        user_id,
                        value: r.get(5),
                        since: from_ms(r.get(6)),
                        pending: r.get(7),
                        connected: r.get(4),
                        session_id: r.get(3),
                    },
                    call,
                }
            })
            .collect();
        Ok(Board { agents })
    }
}
