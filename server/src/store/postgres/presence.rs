//! PostgreSQL's part of the status store ([`super::status`] is the rest): locking an
//! agent's presence row and writing a change.
//!
//! Changes append `agent.status` events, so they need the write lock that keeps event
//! ids committing in order — but only for that: an agent's changes are serialised by
//! the `FOR UPDATE` lock on their presence row. So a status transaction locks its
//! presence rows first (with their users' rows in key-share mode, the lock the
//! connection log's foreign-key check takes) and takes the write lock last, in the one statement that writes
//! the change and appends its events ([`super::APPEND_EVENTS`]), and holds it for that
//! round trip and the commit, like every other writer ([`super::commit_events`]).
//! No deadlock: a transaction holding the write lock waits for no other lock.
//! Among status transactions, each locks presence rows before the write lock, and the
//! one that locks several (the sweeper) locks them all up front, in user-id order.
//! Streams are counted only after the
//! presence row is locked, so a stream opening meanwhile is either seen or connects
//! the agent again after the disconnect.

use agentdesk_protocol::ServerEvent;
use agentdesk_protocol::presence::{Outcome, Presence};

use super::{EVENTS_CHANNEL, PostgresStore, Tx, WRITE_LOCK};
use crate::store::status::PresenceRow;
use crate::store::{StoreError, StoreResult, StoredEvent};

/// Lock and read the agent's presence row (created on first use): `FOR UPDATE` holds
/// the row until the transaction ends.
pub(crate) async fn lock_presence(
    tx: &mut Tx<'_>,
    user_id: i64,
    now: i64,
) -> StoreResult<Presence> {
    read_presence(tx, user_id, now, true).await
}

/// Read the agent's presence row (created on first use), locking it with `lock`. A
/// plain read does not wait for a status change that holds the row.
async fn read_presence(
    tx: &mut Tx<'_>,
    user_id: i64,
    now: i64,
    lock: bool,
) -> StoreResult<Presence> {
    const PLAIN: &str = "SELECT p.session_id, p.connected, p.status, p.since, p.pending, \
         p.in_call, p.pre_call, p.disconnected_at, p.before_disconnect FROM agent_presence p \
         JOIN users u ON u.id = p.user_id WHERE p.user_id = $1";
    // The user's row in key-share mode too: the connection-log entries' foreign-key
    // check wants that lock, and it runs in the statement that holds the event-log lock
    // ([`apply`]), which must wait for nothing.
    const LOCKED: &str = "SELECT p.session_id, p.connected, p.status, p.since, p.pending, \
         p.in_call, p.pre_call, p.disconnected_at, p.before_disconnect FROM agent_presence p \
         JOIN users u ON u.id = p.user_id WHERE p.user_id = $1 \
         FOR UPDATE OF p FOR KEY SHARE OF u";
    let select = if lock { LOCKED } else { PLAIN };
    // The row exists but for an agent's very first change: read it first, create it only
    // when missing (one round trip instead of two on the usual path).
    let r: PresenceRow = match sqlx::query_as(select)
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?
    {
        Some(r) => r,
        None => {
            sqlx::query(
                "INSERT INTO agent_presence (user_id, since) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            sqlx::query_as(select)
                .bind(user_id)
                .fetch_one(&mut **tx)
                .await?
        }
    };
    Ok(r.into())
}

/// Write a change `out` that moved the agent's presence row: the row, its
/// connection-log entries, and one `agent.status` event per team of the user.
pub(crate) async fn write_change(
    tx: &mut Tx<'_>,
    user_id: i64,
    out: &Outcome,
    now: i64,
) -> StoreResult<Vec<StoredEvent>> {
    let p = &out.presence;
    if !out.entries.is_empty() {
        super::status_rollup::close_span(tx, user_id, now).await?;
    }
    // The row, its connection-log entries (in order: ids follow the array order) and
    // one `agent.status` event per team of the user, in one statement: the event-log
    // lock is taken inside it ([`super::APPEND_EVENTS`]), so it is held for this
    // round trip and the commit. The statement waits for no lock (PostgreSQL may run
    // the writes after the append): the presence row and the user's row (the
    // entries' foreign key) are locked already.
    let event = ServerEvent::AgentStatus { user_id };
    let payload = serde_json::to_string(&event).map_err(|e| StoreError::Other(e.to_string()))?;
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "WITH p AS (UPDATE agent_presence SET session_id = $1, connected = $2, status = $3, \
           since = $4, pending = $5, in_call = $6, pre_call = $7, disconnected_at = $8, \
           before_disconnect = $9 WHERE user_id = $10), \
         c AS (INSERT INTO connection_events (user_id, at, type, value, reason, session_id) \
           SELECT $10, $11, t, v, r, s FROM UNNEST($12::text[], $13::text[], $14::text[], \
           $15::text[]) WITH ORDINALITY AS x(t, v, r, s, n) ORDER BY n), \
         t AS (SELECT COALESCE(array_agg(team_id ORDER BY team_id), '{}') AS ids \
           FROM team_members WHERE user_id = $10) \
         SELECT e.id, t.ids[e.n] FROM t, append_events($16, $17, t.ids, \
           array_fill($18::text, ARRAY[cardinality(t.ids)]), \
           array_fill($19::text, ARRAY[cardinality(t.ids)]), $11) WITH ORDINALITY AS e(id, n) \
         ORDER BY e.id",
    )
    .bind(&p.session_id)
    .bind(p.connected)
    .bind(&p.status)
    .bind(p.since)
    .bind(&p.pending)
    .bind(p.in_call)
    .bind(&p.pre_call)
    .bind(p.disconnected_at)
    .bind(&p.before_disconnect)
    .bind(user_id)
    .bind(now)
    .bind(
        out.entries
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(out.entries.iter().map(|e| &e.value).collect::<Vec<_>>())
    .bind(
        out.entries
            .iter()
            .map(|e| e.reason.map(|r| r.as_str()))
            .collect::<Vec<_>>(),
    )
    .bind(
        out.entries
            .iter()
            .map(|e| &e.session_id)
            .collect::<Vec<_>>(),
    )
    .bind(WRITE_LOCK)
    .bind(EVENTS_CHANNEL)
    .bind(event.name())
    .bind(payload)
    .fetch_all(&mut **tx)
    .await?;
    let events = rows
        .into_iter()
        .map(|(id, team_id)| StoredEvent {
            id,
            team_id: Some(team_id),
            event: event.clone(),
        })
        .collect();
    Ok(events)
}

/// The agent's presence row as it is now, without waiting for a change that holds it.
pub(crate) async fn peek_presence(
    s: &PostgresStore,
    user_id: i64,
    now: i64,
) -> StoreResult<Presence> {
    let mut tx = s.pool.begin().await?;
    let p = read_presence(&mut tx, user_id, now, false).await?;
    tx.commit().await?;
    Ok(p)
}

/// Lock the presence rows of `users` (sorted) up front, in user-id order, with their
/// users' rows in key-share mode as [`lock_presence`] takes them: before any write lock
/// (see the module's note on deadlocks).
pub(crate) async fn lock_presences(tx: &mut Tx<'_>, users: &[i64]) -> StoreResult<()> {
    sqlx::query(
        "SELECT p.user_id FROM agent_presence p JOIN users u ON u.id = p.user_id \
         WHERE p.user_id = ANY($1) ORDER BY p.user_id FOR UPDATE OF p FOR KEY SHARE OF u",
    )
    .bind(users)
    .fetch_all(&mut **tx)
    .await?;
    Ok(())
}
