//! The reports' roll-ups kept on the write path, compiled into each backend (its module
//! there is this file): [`fold_rows`], what every write of queue_log calls in its own
//! transaction (a call's hold time re-read from its rows when one of them arrives), and
//! [`write_rollup`], which the rebuild uses too.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sqlx::{AssertSqlSafe, Row as _};

use super::{NUMBERED_PARAMS, Tx, lock_keys};
use crate::report::fold::{
    AGENT_COLUMNS, CALL_END_EVENTS, Hold, HoldEvent, QUEUE_COLUMNS, Rollup, hold_of, is_hold_event,
};
use crate::store::StoreResult;
use crate::store::reports::LoggedRow;

/// Rows per multi-row statement (at most ~34 values each: far below either limit).
pub(crate) const CHUNK: usize = 200;

/// `n` placeholders from `$first` on (`?` on SQLite, see `NUMBERED_PARAMS`).
pub(crate) fn params(first: usize, n: usize) -> String {
    (0..n)
        .map(|i| {
            if NUMBERED_PARAMS {
                format!("${}", first + i)
            } else {
                "?".to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `INSERT … ON CONFLICT (keys) DO UPDATE SET c = c + excluded.c` for `rows` rows.
fn upsert_sql(table: &str, keys: &[&str], counters: &[&str], rows: usize) -> String {
    let width = keys.len() + counters.len();
    let values = (0..rows)
        .map(|r| format!("({})", params(r * width + 1, width)))
        .collect::<Vec<_>>()
        .join(",");
    let sets = counters
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {table} ({}, {}) VALUES {values} ON CONFLICT ({}) DO UPDATE SET {sets}",
        keys.join(", "),
        counters.join(", "),
        keys.join(", ")
    )
}

/// Add `rollup` to the roll-up tables: the quarter hours and their UTC days.
pub(crate) async fn write_rollup(tx: &mut Tx<'_>, rollup: &Rollup) -> StoreResult<()> {
    write_tables(tx, rollup, "").await?;
    write_tables(tx, &rollup.by_day(), "_day").await
}

/// Add `rollup` to the tables named `report_…{suffix}`.
async fn write_tables(tx: &mut Tx<'_>, rollup: &Rollup, suffix: &str) -> StoreResult<()> {
    let queue: Vec<_> = rollup.queue.iter().collect();
    for chunk in queue.chunks(CHUNK) {
        let sql = upsert_sql(
            &format!("report_queue{suffix}"),
            &["team_id", "bucket", "campaign"],
            &QUEUE_COLUMNS,
            chunk.len(),
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for ((team, bucket, campaign), c) in chunk {
            q = q.bind(team).bind(bucket).bind(campaign);
            for v in c.iter() {
                q = q.bind(v);
            }
        }
        q.execute(&mut **tx).await?;
    }
    let agent: Vec<_> = rollup.agent.iter().collect();
    for chunk in agent.chunks(CHUNK) {
        let sql = upsert_sql(
            &format!("report_agent{suffix}"),
            &["team_id", "bucket", "agent"],
            &AGENT_COLUMNS,
            chunk.len(),
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for ((team, bucket, who), c) in chunk {
            q = q.bind(team).bind(bucket).bind(who);
            for v in c.iter() {
                q = q.bind(v);
            }
        }
        q.execute(&mut **tx).await?;
    }
    // A call's hold time moved to another quarter hour (the only subtraction) may leave
    // an agent's row all 0: no row of the report, so none kept (the agent report's pages
    // count rows, and the rebuild writes none).
    let zero = AGENT_COLUMNS
        .iter()
        .map(|c| format!(" AND {c} = 0"))
        .collect::<String>();
    for ((team, bucket, who), _) in agent.iter().filter(|(_, c)| c.iter().any(|v| *v < 0)) {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM report_agent{suffix} WHERE team_id = {} AND bucket = {} AND agent = {}{zero}",
            params(1, 1),
            params(2, 1),
            params(3, 1)
        )))
        .bind(team)
        .bind(bucket)
        .bind(who)
        .execute(&mut **tx)
        .await?;
    }
    let breaks: Vec<_> = rollup.breaks.iter().collect();
    for chunk in breaks.chunks(CHUNK) {
        let sql = upsert_sql(
            &format!("report_break{suffix}"),
            &["team_id", "bucket", "agent", "reason"],
            &["break_ms"],
            chunk.len(),
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for ((team, bucket, who, reason), ms) in chunk {
            q = q.bind(team).bind(bucket).bind(who).bind(reason).bind(ms);
        }
        q.execute(&mut **tx).await?;
    }
    let waits: Vec<_> = rollup.waits.iter().collect();
    for chunk in waits.chunks(CHUNK) {
        let sql = upsert_sql(
            &format!("report_wait{suffix}"),
            &["team_id", "bucket", "campaign", "wait_s"],
            &["calls"],
            chunk.len(),
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for ((team, bucket, campaign, wait), n) in chunk {
            q = q.bind(team).bind(bucket).bind(campaign).bind(wait).bind(n);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The hold-related rows of a team's calls.
async fn hold_events(
    tx: &mut Tx<'_>,
    team: i64,
    calls: &[&str],
) -> StoreResult<HashMap<String, Vec<HoldEvent>>> {
    let events = std::iter::once("HOLD")
        .chain(std::iter::once("UNHOLD"))
        .chain(CALL_END_EVENTS)
        .map(|e| format!("'{e}'"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT callid, datetime, id, event, queuename, agent FROM queue_log \
         WHERE team_id = {} AND callid IN ({}) AND event IN ({events})",
        params(1, 1),
        params(2, calls.len())
    );
    // Planned at each run, not once: during a large import the table grows from empty
    // and a plan made on the first batches (a full scan) is wrong for the rest.
    let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false).bind(team);
    for c in calls {
        q = q.bind(*c);
    }
    let mut out: HashMap<String, Vec<HoldEvent>> = HashMap::new();
    for r in q.fetch_all(&mut **tx).await? {
        out.entry(r.try_get("callid")?)
            .or_default()
            .push(HoldEvent {
                at_ms: r.try_get("datetime")?,
                id: r.try_get("id")?,
                event: r.try_get("event")?,
                queue: r
                    .try_get::<Option<String>, _>("queuename")?
                    .unwrap_or_default(),
                agent: r.try_get::<Option<String>, _>("agent")?.unwrap_or_default(),
            });
    }
    Ok(out)
}

/// What `report_hold` holds for a team's calls.
async fn stored_holds(
    tx: &mut Tx<'_>,
    team: i64,
    calls: &[&str],
) -> StoreResult<HashMap<String, Hold>> {
    let sql = format!(
        "SELECT callid, bucket, campaign, agent, holds, hold_ms FROM report_hold \
         WHERE team_id = {} AND callid IN ({})",
        params(1, 1),
        params(2, calls.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false).bind(team);
    for c in calls {
        q = q.bind(*c);
    }
    let mut out = HashMap::new();
    for r in q.fetch_all(&mut **tx).await? {
        out.insert(
            r.try_get("callid")?,
            Hold {
                bucket: r.try_get("bucket")?,
                campaign: r.try_get("campaign")?,
                agent: r.try_get("agent")?,
                holds: r.try_get("holds")?,
                hold_ms: r.try_get("hold_ms")?,
            },
        );
    }
    Ok(out)
}

/// Record calls' hold contributions (`None`: the call has none), a statement per chunk.
pub(crate) async fn put_holds(
    tx: &mut Tx<'_>,
    team: i64,
    holds: &[(&str, Option<&Hold>)],
) -> StoreResult<()> {
    let gone: Vec<&str> = holds
        .iter()
        .filter(|(_, h)| h.is_none())
        .map(|(c, _)| *c)
        .collect();
    for chunk in gone.chunks(CHUNK) {
        let sql = format!(
            "DELETE FROM report_hold WHERE team_id = {} AND callid IN ({})",
            params(1, 1),
            params(2, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(team);
        for c in chunk {
            q = q.bind(*c);
        }
        q.execute(&mut **tx).await?;
    }
    let kept: Vec<(&str, &Hold)> = holds
        .iter()
        .filter_map(|(c, h)| h.map(|h| (*c, h)))
        .collect();
    for chunk in kept.chunks(CHUNK) {
        let values = (0..chunk.len())
            .map(|r| format!("({})", params(r * 7 + 1, 7)))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "INSERT INTO report_hold (team_id, callid, bucket, campaign, agent, holds, hold_ms) \
             VALUES {values} ON CONFLICT (team_id, callid) DO UPDATE SET \
             bucket = excluded.bucket, campaign = excluded.campaign, agent = excluded.agent, \
             holds = excluded.holds, hold_ms = excluded.hold_ms"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (call, h) in chunk {
            q = q
                .bind(team)
                .bind(*call)
                .bind(h.bucket)
                .bind(&h.campaign)
                .bind(&h.agent)
                .bind(h.holds)
                .bind(h.hold_ms);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Recount the hold time of `calls` from their rows, moving what changed in `rollup`.
async fn refold_holds(
    tx: &mut Tx<'_>,
    calls: BTreeSet<(i64, String)>,
    held: &BTreeSet<(i64, String)>,
    rollup: &mut Rollup,
) -> StoreResult<()> {
    // Two writers of one call's rows (PostgreSQL: imports run side by side) must not
    // both replace its contribution from what each alone sees.
    lock_keys(
        tx,
        calls.iter().map(|(t, c)| format!("report hold {t} {c}")),
    )
    .await?;
    let mut by_team: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (t, c) in &calls {
        by_team.entry(*t).or_default().push(c);
    }
    for (team, ids) in by_team {
        for chunk in ids.chunks(CHUNK) {
            let old = stored_holds(tx, team, chunk).await?;
            // A call's hold time can change only if a HOLD or UNHOLD of it arrived, or
            // it has one already (a HOLD stored earlier is in `report_hold`): a call
            // that merely ended, never held, is not read again.
            let need: Vec<&str> = chunk
                .iter()
                .copied()
                .filter(|c| old.contains_key(*c) || held.contains(&(team, (*c).to_owned())))
                .collect();
            if need.is_empty() {
                continue;
            }
            let mut events = hold_events(tx, team, &need).await?;
            let mut changed = Vec::new();
            for call in need {
                let new = events.get_mut(call).and_then(|e| hold_of(e));
                let before = old.get(call);
                if before == new.as_ref() {
                    continue;
                }
                if let Some(b) = before {
                    rollup.add_hold(team, b, -1);
                }
                if let Some(n) = &new {
                    rollup.add_hold(team, n, 1);
                }
                changed.push((call, new));
            }
            let changed: Vec<(&str, Option<&Hold>)> =
                changed.iter().map(|(c, h)| (*c, h.as_ref())).collect();
            put_holds(tx, team, &changed).await?;
        }
    }
    Ok(())
}

/// Keep the roll-ups for queue_log rows just written in `tx`.
pub(crate) async fn fold_rows(tx: &mut Tx<'_>, rows: &[LoggedRow]) -> StoreResult<()> {
    let mut rollup = Rollup::default();
    let (mut calls, mut held) = (BTreeSet::new(), BTreeSet::new());
    for r in rows.iter().filter_map(LoggedRow::as_row) {
        rollup.add(&r);
        if is_hold_event(r.event) && !r.callid.is_empty() {
            let call = (r.team_id, r.callid.to_owned());
            if r.event == "HOLD" || r.event == "UNHOLD" {
                held.insert(call.clone());
            }
            calls.insert(call);
        }
    }
    if !calls.is_empty() {
        refold_holds(tx, calls, &held, &mut rollup).await?;
    }
    rollup.prune();
    write_rollup(tx, &rollup).await
}
