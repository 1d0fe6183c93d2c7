//! Time per status of our own presence, per user and quarter hour (`report_status`), for
//! the agent report (docs/reports.md, "Agent report"); compiled into each backend (its
//! module there is this file). One rule, written once in SQL and used by the write path,
//! the rebuild, the read and (copied) the migration's backfill: a connection event's
//! value holds from its time until the user's next event's, split at quarter hours, and
//! counts unless the user is **signed out** — their last `connected`/`reconnected`/
//! `disconnected` event is `disconnected` (a break uContact reports for an agent who
//! signed out changes their status, not their time on the desktop; a status set through
//! the API before any console session counts).

use agentdesk_protocol::{CONNECTED, DISCONNECTED, RECONNECTED};
use sqlx::AssertSqlSafe;

use super::presence::lock_presences;
use super::report_sql::span_rows;
use super::{Backend, Tx, begin_write};
use crate::report::fold::BUCKET_MS;
use crate::report::span::DAY_MS;
use crate::store::StoreResult;
use crate::store::reports::{Span, StatusStat};

/// `value IN (the events that say whether a user is online)`.
fn marker(value: &str) -> String {
    format!("{value} IN ('{CONNECTED}', '{RECONNECTED}', '{DISCONNECTED}')")
}

/// Whether user `user` is online — now, or just before `before` (ms) when given: their
/// last marker event (before then) is not `disconnected` (no marker at all: online). The
/// one SQL form of "signed out", used by the roll-up and by the board's status-time chart.
pub(crate) fn online(user: &str, before: Option<&str>) -> String {
    let before = before.map_or(String::new(), |t| format!(" AND o.at < {t}"));
    format!(
        "COALESCE((SELECT o.value FROM connection_events o WHERE o.user_id = {user}{before} \
          AND {} ORDER BY o.at DESC, o.id DESC LIMIT 1), '{CONNECTED}') <> '{DISCONNECTED}'",
        marker("o.value")
    )
}

/// The recursive CTE `piece` that splits the spans of a CTE `spans(user_id, start, stop,
/// value)` at quarter hours, leaving out empty spans and `disconnected`.
fn pieces() -> String {
    format!(
        "piece(user_id, bucket, start, stop, value) AS (\
           SELECT user_id, start - start % {BUCKET_MS}, start, stop, value FROM spans \
           WHERE stop > start AND value <> '{DISCONNECTED}' \
           UNION ALL SELECT user_id, bucket + {BUCKET_MS}, bucket + {BUCKET_MS}, stop, value \
           FROM piece WHERE bucket + {BUCKET_MS} < stop)"
    )
}

/// A piece's milliseconds: from its start to its stop or its quarter hour's end.
fn piece_ms() -> String {
    format!(
        "(CASE WHEN stop < bucket + {BUCKET_MS} THEN stop ELSE bucket + {BUCKET_MS} END - start)"
    )
}

/// Add to the roll-up the span a change of `user_id` at `now` (ms) closes: the user's
/// last connection event's value, from its time to `now`, if they are online. Called by
/// the presence write (the user's presence row locked) before it appends the change's
/// events; a clock that stepped back adds nothing.
pub(crate) async fn close_span(tx: &mut Tx<'_>, user_id: i64, now: i64) -> StoreResult<()> {
    // The quarter hours, then their UTC days (the same pieces, summed by day).
    for (table, bucket) in [
        ("report_status", "bucket".to_owned()),
        ("report_status_day", day_of("bucket")),
    ] {
        let sql = format!(
            "WITH RECURSIVE spans AS (SELECT user_id, at AS start, CAST($2 AS BIGINT) AS stop, \
               value FROM connection_events WHERE user_id = $1 AND {} \
               ORDER BY at DESC, id DESC LIMIT 1), \
             {} \
             INSERT INTO {table} (user_id, bucket, status, ms) \
             SELECT user_id, {bucket}, value, SUM({}) FROM piece WHERE true \
             GROUP BY user_id, {bucket}, value \
             ON CONFLICT (user_id, bucket, status) DO UPDATE SET ms = {table}.ms + excluded.ms",
            online("$1", None),
            pieces(),
            piece_ms(),
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(user_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The start of the UTC day of SQL expression `bucket` (a positive or negative ms).
fn day_of(bucket: &str) -> String {
    format!("({bucket} - ({bucket} % {DAY_MS} + {DAY_MS}) % {DAY_MS})")
}

/// The users a rebuild covers: every one, or the members of team `$1`.
const USERS: &str =
    "($1 IS NULL OR user_id IN (SELECT user_id FROM team_members WHERE team_id = $1))";

/// Recompute the roll-up from the connection log: every user's, or those of `team`'s
/// members (each from all their events: presence is the user's, not a team's). In a
/// transaction of its own that first locks those users' presence rows, in the order
/// every writer locks them, so a change of theirs waits for it (short: the log is a few
/// events per agent and hour) instead of adding to rows it is rewriting.
pub(crate) async fn rebuild(s: &Backend, team: Option<i64>) -> StoreResult<()> {
    let mut tx = begin_write(s).await?;
    let users: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT user_id FROM agent_presence WHERE {USERS} ORDER BY user_id"
    )))
    .bind(team)
    .fetch_all(&mut *tx)
    .await?;
    lock_presences(&mut tx, &users).await?;
    let day = day_of("bucket");
    for sql in [
        format!("DELETE FROM report_status WHERE {USERS}"),
        format!("DELETE FROM report_status_day WHERE {USERS}"),
        backfill_sql(USERS),
        format!(
            "INSERT INTO report_status_day (user_id, bucket, status, ms) \
             SELECT user_id, {day}, status, SUM(ms) FROM report_status WHERE {USERS} \
             GROUP BY user_id, {day}, status"
        ),
    ] {
        sqlx::query(AssertSqlSafe(sql))
            .bind(team)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The rebuild's insert of the users `users` selects (the migration's backfill is this
/// with every user): each event's span to the next, online unless the last marker at or
/// before it (`grp` counts markers; a group's first row is its marker) is
/// `disconnected`.
pub(crate) fn backfill_sql(users: &str) -> String {
    format!(
        "WITH RECURSIVE ev AS (SELECT user_id, at, id, value, \
           LEAD(at) OVER (PARTITION BY user_id ORDER BY at, id) AS stop, \
           SUM(CASE WHEN {} THEN 1 ELSE 0 END) OVER (PARTITION BY user_id ORDER BY at, id \
             ROWS UNBOUNDED PRECEDING) AS grp \
           FROM connection_events WHERE {users}), \
         spans AS (SELECT user_id, at AS start, stop, value FROM (SELECT user_id, at, stop, \
           value, grp, FIRST_VALUE(value) OVER (PARTITION BY user_id, grp ORDER BY at, id) \
           AS since FROM ev) x WHERE grp = 0 OR since <> '{DISCONNECTED}'), \
         {} \
         INSERT INTO report_status (user_id, bucket, status, ms) \
         SELECT user_id, bucket, value, SUM({}) FROM piece GROUP BY user_id, bucket, value",
        marker("value"),
        pieces(),
        piece_ms()
    )
}

/// Time per status of `team`'s members (or the one whose agent name is `agent`) in
/// `[from, to)`, summed by interval `key` (`report::Scope::key_sql`), agent and status:
/// the roll-up's closed spans plus each member's open one (their last event's value,
/// up to `now`, if they are online). A member's agent name is their uContact agent, or their username.
pub(crate) async fn read(
    s: &Backend,
    team: i64,
    span: &Span,
    key: &str,
    agent: Option<&str>,
    now: i64,
) -> StoreResult<Vec<StatusStat>> {
    let (from, to) = span.range;
    let closed = span_rows(
        "report_status",
        ("user_id, status", &["ms"]),
        "user_id IN (SELECT id FROM m)",
        span,
    );
    let only = if agent.is_some() {
        " AND COALESCE(u.ucontact_agent, u.username) = $5"
    } else {
        ""
    };
    let sql = format!(
        "WITH RECURSIVE m AS (SELECT u.id, COALESCE(u.ucontact_agent, u.username) AS agent \
           FROM team_members t JOIN users u ON u.id = t.user_id WHERE t.team_id = $1{only}), \
         spans AS (SELECT e.user_id, \
           CASE WHEN e.at > CAST($2 AS BIGINT) THEN e.at ELSE CAST($2 AS BIGINT) END AS start, \
           CASE WHEN CAST($4 AS BIGINT) < CAST($3 AS BIGINT) THEN CAST($4 AS BIGINT) \
             ELSE CAST($3 AS BIGINT) END AS stop, e.value \
           FROM m JOIN connection_events e ON e.id = (SELECT id FROM connection_events \
             WHERE user_id = m.id ORDER BY at DESC, id DESC LIMIT 1) WHERE {}), \
         {}, \
         r AS (SELECT user_id, bucket, status, ms FROM {closed} \
           UNION ALL SELECT user_id, bucket, value, {} FROM piece) \
         SELECT {key} AS k, m.agent, r.status, CAST(SUM(r.ms) AS BIGINT) AS ms \
         FROM r JOIN m ON m.id = r.user_id GROUP BY 1, m.agent, r.status \
         HAVING SUM(r.ms) > 0 ORDER BY 1, m.agent, r.status",
        online("m.id", None),
        pieces(),
        piece_ms()
    );
    let mut q = sqlx::query_as(AssertSqlSafe(sql))
        .bind(team)
        .bind(from)
        .bind(to)
        .bind(now);
    if let Some(a) = agent {
        q = q.bind(a);
    }
    Ok(q.fetch_all(&s.pool).await?)
}
