//! The one implementation of [`ReportStore`], compiled into each backend (its module
//! there is this file), and [`fold_rows`]: what every write of queue_log calls in its
//! own transaction to keep the roll-ups.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row as _};

use super::{Backend, Db, NUMBERED_PARAMS, Tx, begin_bulk, lock_keys};
use crate::report::fold::{
    AGENT_COLUMNS, CALL_END_EVENTS, Hold, HoldEvent, QUEUE_COLUMNS, Rollup, hold_of, is_hold_event,
};
use crate::store::StoreResult;
use crate::store::reports::{
    AgentStat, BreakStat, LOGGED_COLUMNS, LoggedRow, QueueStat, ReportStore, WaitPoint, WaitStat,
};

/// Rows per multi-row statement (at most ~34 values each: far below either limit).
const CHUNK: usize = 200;

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

/// Add `rollup` to the roll-up tables.
async fn write_rollup(tx: &mut Tx<'_>, rollup: &Rollup) -> StoreResult<()> {
    let queue: Vec<_> = rollup.queue.iter().collect();
    for chunk in queue.chunks(CHUNK) {
        let sql = upsert_sql(
            "report_queue",
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
            "report_agent",
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
    let breaks: Vec<_> = rollup.breaks.iter().collect();
    for chunk in breaks.chunks(CHUNK) {
        let sql = upsert_sql(
            "report_break",
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
            "report_wait",
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
async fn put_holds(tx: &mut Tx<'_>, team: i64, holds: &[(&str, Option<&Hold>)]) -> StoreResult<()> {
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

/// `AND col = $n` when `value` is set (bound by the caller), else nothing.
fn and_eq(col: &str, value: Option<&str>) -> String {
    match value {
        Some(_) => format!(" AND {col} = $4"),
        None => String::new(),
    }
}

type DbRow = <Db as sqlx::Database>::Row;

fn read_counts<const N: usize>(r: &DbRow, names: &[&str; N]) -> StoreResult<[i64; N]> {
    let mut out = [0; N];
    for (i, name) in names.iter().enumerate() {
        out[i] = r.try_get::<i64, _>(*name)?;
    }
    Ok(out)
}

#[async_trait]
impl ReportStore for Backend {
    async fn queue_stats(
        &self,
        team: i64,
        (from, to): (i64, i64),
        key: &str,
        campaign: Option<&str>,
    ) -> StoreResult<Vec<QueueStat>> {
        let sums = QUEUE_COLUMNS
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {key} AS k, campaign, {sums} FROM report_queue \
             WHERE team_id = $1 AND bucket >= $2 AND bucket < $3{} GROUP BY k, campaign \
             ORDER BY k, campaign",
            and_eq("campaign", campaign)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(team)
            .bind(from)
            .bind(to);
        if let Some(c) = campaign {
            q = q.bind(c);
        }
        let mut out = Vec::new();
        for r in q.fetch_all(&self.pool).await? {
            let counts = read_counts(&r, &QUEUE_COLUMNS)?;
            if counts.iter().any(|v| *v != 0) {
                out.push(QueueStat {
                    bucket: r.try_get("k")?,
                    campaign: r.try_get("campaign")?,
                    counts,
                });
            }
        }
        Ok(out)
    }

    async fn wait_stats(
        &self,
        team: i64,
        (from, to): (i64, i64),
        key: &str,
        campaign: Option<&str>,
    ) -> StoreResult<Vec<WaitStat>> {
        let sql = format!(
            "SELECT {key} AS bucket, campaign, wait_s, CAST(SUM(calls) AS BIGINT) AS calls \
             FROM report_wait WHERE team_id = $1 AND bucket >= $2 AND bucket < $3{} \
             GROUP BY 1, campaign, wait_s HAVING SUM(calls) <> 0 ORDER BY 1, campaign, wait_s",
            and_eq("campaign", campaign)
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql))
            .bind(team)
            .bind(from)
            .bind(to);
        if let Some(c) = campaign {
            q = q.bind(c);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    async fn wait_points(
        &self,
        team: i64,
        (from, to): (i64, i64),
        key: &str,
        campaign: Option<&str>,
        thresholds: &BTreeMap<String, u32>,
        default_threshold: u32,
    ) -> StoreResult<Vec<WaitPoint>> {
        // The campaign's threshold, bound: CASE campaign WHEN $5 THEN $6 … ELSE $n END.
        let first = if campaign.is_some() { 5 } else { 4 };
        let mut case = String::from("CASE campaign");
        let mut n = first;
        for _ in thresholds {
            case.push_str(&format!(" WHEN ${n} THEN ${}", n + 1));
            n += 2;
        }
        let case = if thresholds.is_empty() {
            format!("${n}")
        } else {
            format!("{case} ELSE ${n} END")
        };
        let sql = format!(
            "WITH g AS (SELECT {key} AS k, campaign, wait_s, SUM(calls) AS n FROM report_wait \
               WHERE team_id = $1 AND bucket >= $2 AND bucket < $3{} GROUP BY 1, campaign, wait_s), \
             c AS (SELECT k, campaign, wait_s, n, \
               SUM(n) OVER (PARTITION BY k, campaign ORDER BY wait_s) AS cum, \
               SUM(n) OVER (PARTITION BY k, campaign) AS total FROM g WHERE n <> 0) \
             SELECT k, campaign, CAST(MAX(total) AS BIGINT) AS answered, \
               CAST(SUM(CASE WHEN wait_s <= {case} THEN n ELSE 0 END) AS BIGINT) AS within, \
               CAST(MIN(CASE WHEN cum * 10 >= total * 9 THEN wait_s END) AS BIGINT) AS p90 \
             FROM c GROUP BY k, campaign ORDER BY k, campaign",
            and_eq("campaign", campaign)
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql))
            .bind(team)
            .bind(from)
            .bind(to);
        if let Some(c) = campaign {
            q = q.bind(c);
        }
        for (name, secs) in thresholds {
            q = q.bind(name).bind(i64::from(*secs));
        }
        q = q.bind(i64::from(default_threshold));
        Ok(q.fetch_all(&self.pool).await?)
    }

    async fn agent_stats(
        &self,
        team: i64,
        (from, to): (i64, i64),
        key: &str,
        agent: Option<&str>,
    ) -> StoreResult<Vec<AgentStat>> {
        let sums = AGENT_COLUMNS
            .iter()
            .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {key} AS k, agent, {sums} FROM report_agent \
             WHERE team_id = $1 AND bucket >= $2 AND bucket < $3{} GROUP BY k, agent \
             ORDER BY k, agent",
            and_eq("agent", agent)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(team)
            .bind(from)
            .bind(to);
        if let Some(a) = agent {
            q = q.bind(a);
        }
        let mut out = Vec::new();
        for r in q.fetch_all(&self.pool).await? {
            let counts = read_counts(&r, &AGENT_COLUMNS)?;
            if counts.iter().any(|v| *v != 0) {
                out.push(AgentStat {
                    bucket: r.try_get("k")?,
                    agent: r.try_get("agent")?,
                    counts,
                });
            }
        }
        Ok(out)
    }

    async fn break_stats(
        &self,
        team: i64,
        (from, to): (i64, i64),
        key: &str,
        agent: Option<&str>,
    ) -> StoreResult<Vec<BreakStat>> {
        let sql = format!(
            "SELECT {key} AS bucket, agent, reason, CAST(SUM(break_ms) AS BIGINT) AS break_ms \
             FROM report_break WHERE team_id = $1 AND bucket >= $2 AND bucket < $3{} \
             GROUP BY 1, agent, reason HAVING SUM(break_ms) <> 0 ORDER BY 1, agent, reason",
            and_eq("agent", agent)
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql))
            .bind(team)
            .bind(from)
            .bind(to);
        if let Some(a) = agent {
            q = q.bind(a);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    async fn report_campaigns(
        &self,
        team: i64,
        (from, to): (i64, i64),
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT campaign FROM report_queue \
             WHERE team_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY campaign",
        )
        .bind(team)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn service_levels(&self) -> StoreResult<BTreeMap<String, u32>> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT name, options FROM campaigns")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, options)| {
                let o: agentdesk_protocol::dial::CampaignOptions =
                    serde_json::from_str(&options).ok()?;
                Some((name, o.service_level_secs?))
            })
            .collect())
    }

    async fn contact_activity_facts(
        &self,
        contact_id: i64,
        from: i64,
        to: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, String, String)>> {
        // The timeline's index (contact, occurred_at): the range alone is read.
        Ok(sqlx::query_as(
            "SELECT occurred_at, kind, detail FROM activities \
             WHERE contact_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
             ORDER BY occurred_at DESC LIMIT $4",
        )
        .bind(contact_id)
        .bind(from)
        .bind(to)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn rebuild_reports(&self, team: Option<i64>) -> StoreResult<u64> {
        let mut tx = begin_bulk(self).await?;
        for table in [
            "report_queue",
            "report_agent",
            "report_break",
            "report_wait",
            "report_hold",
        ] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE $1 IS NULL OR team_id = $1"
            )))
            .bind(team)
            .execute(&mut *tx)
            .await?;
        }
        let mut rollup = Rollup::default();
        let mut holds: HashMap<(i64, String), Vec<HoldEvent>> = HashMap::new();
        let (mut after, mut read) = (0i64, 0u64);
        loop {
            let batch: Vec<LoggedRow> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {LOGGED_COLUMNS} FROM queue_log WHERE id > $1 AND team_id IS NOT NULL \
                 AND ($2 IS NULL OR team_id = $2) ORDER BY id LIMIT 10000"
            )))
            .bind(after)
            .bind(team)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            read += batch.len() as u64;
            for row in &batch {
                let Some(r) = row.as_row() else { continue };
                rollup.add(&r);
                if is_hold_event(r.event) && !r.callid.is_empty() {
                    holds
                        .entry((r.team_id, r.callid.to_owned()))
                        .or_default()
                        .push(HoldEvent {
                            at_ms: r.at_ms,
                            id: row.id,
                            event: r.event.to_owned(),
                            queue: r.queue.to_owned(),
                            agent: r.agent.to_owned(),
                        });
                }
            }
        }
        let mut by_team: BTreeMap<i64, Vec<(String, Hold)>> = BTreeMap::new();
        for ((t, call), mut events) in holds {
            if let Some(h) = hold_of(&mut events) {
                rollup.add_hold(t, &h, 1);
                by_team.entry(t).or_default().push((call, h));
            }
        }
        for (t, calls) in &by_team {
            let rows: Vec<(&str, Option<&Hold>)> =
                calls.iter().map(|(c, h)| (c.as_str(), Some(h))).collect();
            put_holds(&mut tx, *t, &rows).await?;
        }
        rollup.prune();
        write_rollup(&mut tx, &rollup).await?;
        tx.commit().await?;
        Ok(read)
    }
}
