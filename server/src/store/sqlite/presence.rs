//! SQLite's part of the status store ([`super::status`] is the rest): locking an
//! agent's presence row and writing a change. The one writer connection serialises
//! changes, so a lock is the write transaction itself.

use agentdesk_protocol::ServerEvent;
use agentdesk_protocol::presence::{Outcome, Presence};

use super::{SqliteStore, Tx, append_event, begin_write};
use crate::store::status::PresenceRow;
use crate::store::{StoreResult, StoredEvent};

/// Lock and read the agent's presence row (created on first use). The insert comes
/// first so the transaction holds SQLite's write lock before it reads.
pub(crate) async fn lock_presence(
    tx: &mut Tx<'_>,
    user_id: i64,
    now: i64,
) -> StoreResult<Presence> {
    sqlx::query(
        "INSERT INTO agent_presence (user_id, since) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let r: PresenceRow = sqlx::query_as(
        "SELECT session_id, connected, status, since, pending, in_call, pre_call, \
         disconnected_at, before_disconnect FROM agent_presence WHERE user_id = ?",
    )
    .bind(user_id)
    .fetch_one(&mut **tx)
    .await?;
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
    let mut events = Vec::new();
    sqlx::query(
        "UPDATE agent_presence SET session_id = ?, connected = ?, status = ?, since = ?, \
         pending = ?, in_call = ?, pre_call = ?, disconnected_at = ?, before_disconnect = ? \
         WHERE user_id = ?",
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
    .execute(&mut **tx)
    .await?;
    for e in &out.entries {
        sqlx::query(
            "INSERT INTO connection_events (user_id, at, type, value, reason, session_id) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(user_id)
        .bind(now)
        .bind(e.kind.as_str())
        .bind(&e.value)
        .bind(e.reason.map(|r| r.as_str()))
        .bind(&e.session_id)
        .execute(&mut **tx)
        .await?;
    }
    let teams: Vec<i64> = sqlx::query_scalar("SELECT team_id FROM team_members WHERE user_id = ?")
        .bind(user_id)
        .fetch_all(&mut **tx)
        .await?;
    for t in teams {
        events.push(append_event(tx, Some(t), ServerEvent::AgentStatus { user_id }, now).await?);
    }
    Ok(events)
}

/// The agent's presence row as it is now (created on first use, so on the writer).
pub(crate) async fn peek_presence(
    s: &SqliteStore,
    user_id: i64,
    now: i64,
) -> StoreResult<Presence> {
    let mut tx = begin_write(s).await?;
    let p = lock_presence(&mut tx, user_id, now).await?;
    tx.commit().await?;
    Ok(p)
}

/// Lock the presence rows of `users`: the write transaction already excludes every
/// other writer.
pub(crate) async fn lock_presences(_tx: &mut Tx<'_>, _users: &[i64]) -> StoreResult<()> {
    Ok(())
}
