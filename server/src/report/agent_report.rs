//! The agent report (docs/reports.md, "Agent report"): uContact's counters, breaks by
//! reason and our own time per status, per agent and interval, with each agent's totals
//! over the range. Its interval rows come in pages (a month by quarter hour of 200 agents
//! is ~400,000 rows: more than a screen shows or a browser holds); the totals always
//! cover the whole range and every agent.

use std::collections::BTreeMap;

use agentdesk_protocol::report::{AgentReport, AgentRow};
use chrono::{DateTime, FixedOffset};

use super::fold::{self, AgentCounts, a};
use super::{Scope, percent, round2, span};
use crate::store::reports::Span;
use crate::store::{DynStore, StoreResult};

/// Which page of interval rows to answer: `number` from 1, about `size` rows each (whole
/// intervals: `size` divided by the range's agents, at least one interval).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

/// An agent row's sums.
#[derive(Debug, Clone, Default)]
struct AgentAcc {
    counts: Option<AgentCounts>,
    breaks: BTreeMap<String, i64>,
    /// Our own presence: ms per status.
    statuses: BTreeMap<String, i64>,
}

impl AgentAcc {
    fn add_counts(&mut self, c: &AgentCounts) {
        let mine = self.counts.get_or_insert([0; fold::AGENT_COLUMNS.len()]);
        for (m, v) in mine.iter_mut().zip(c) {
            *m += v;
        }
    }

    fn row(&self, start: DateTime<FixedOffset>, agent: &str) -> AgentRow {
        let c = self.counts.unwrap_or([0; fold::AGENT_COLUMNS.len()]);
        let n = |i: usize| c[i].max(0) as u64;
        let secs = |ms: i64| round2(ms as f64 / 1000.0);
        // Whole milliseconds, so that the average and occupancy are exact.
        let busy_ms = (c[a::TALK] + c[a::WRAPUP]) * 1000 + c[a::HOLD_MS];
        let available_ms = c[a::LOGIN_MS] - c[a::BREAK_MS];
        AgentRow {
            start,
            agent: agent.to_owned(),
            login: secs(c[a::LOGIN_MS]),
            on_break: secs(c[a::BREAK_MS]),
            break_reasons: self
                .breaks
                .iter()
                .map(|(r, ms)| (r.clone(), secs(*ms)))
                .collect(),
            breaks: n(a::BREAKS),
            answered: n(a::ANSWERED),
            handled: n(a::HANDLED),
            talk: c[a::TALK] as f64,
            hold: secs(c[a::HOLD_MS]),
            wrap_up: c[a::WRAPUP] as f64,
            avg_handle: (c[a::HANDLED] > 0)
                .then(|| round2(busy_ms as f64 / 1000.0 / c[a::HANDLED] as f64)),
            ring_no_answer: n(a::RING_NO_ANSWER),
            outbound: n(a::OUTBOUND),
            occupancy: percent(busy_ms, available_ms),
            connected: secs(self.statuses.values().sum()),
            statuses: self
                .statuses
                .iter()
                .map(|(v, ms)| (v.clone(), secs(*ms)))
                .collect(),
        }
    }
}

/// Counters, breaks and statuses of `scope`'s team (its `agent`, or every one) in `span`,
/// summed by interval `key`, grouped by (interval start, agent).
async fn read(
    store: &DynStore,
    scope: &Scope,
    span: &Span,
    key: &str,
    now: i64,
) -> StoreResult<BTreeMap<(i64, String), AgentAcc>> {
    let agent = scope.agent.as_deref();
    // Independent reads, run side by side (each on a connection of its own).
    let (stats, breaks, statuses) = tokio::try_join!(
        store.agent_stats(scope.team, span, key, agent),
        store.break_stats(scope.team, span, key, agent),
        store.status_stats(scope.team, span, key, agent, now),
    )?;
    let mut groups: BTreeMap<(i64, String), AgentAcc> = BTreeMap::new();
    for s in &stats {
        groups
            .entry((s.bucket, s.agent.clone()))
            .or_default()
            .add_counts(&s.counts);
    }
    for b in &breaks {
        *groups
            .entry((b.bucket, b.agent.clone()))
            .or_default()
            .breaks
            .entry(b.reason.clone())
            .or_insert(0) += b.break_ms;
    }
    for st in &statuses {
        *groups
            .entry((st.k, st.agent.clone()))
            .or_default()
            .statuses
            .entry(st.status.clone())
            .or_insert(0) += st.ms;
    }
    Ok(groups)
}

/// The agent report of `scope` (its `agent`, or every one): the interval rows of `page`
/// (`None`: all of them, as the CSV and the command print) and every agent's totals.
pub async fn agents(
    store: &DynStore,
    scope: &Scope,
    page: Option<Page>,
) -> StoreResult<AgentReport> {
    let bounds = scope.bounds();
    let (from, to) = scope.range();
    let now = crate::clock::now().timestamp_millis();
    // The totals first: their agents say how many intervals a page holds.
    let totals = read(
        store,
        scope,
        &span::span(&[from, to]),
        "CAST(0 AS BIGINT)",
        now,
    )
    .await?;
    let intervals = bounds.len() - 1;
    let (number, pages, first, last) = match page {
        None => (1, 1, 0, intervals),
        Some(p) => {
            let per = (p.size as usize / totals.len().max(1)).max(1);
            let pages = intervals.div_ceil(per).max(1);
            let first = ((p.number.max(1) - 1) as usize)
                .saturating_mul(per)
                .min(intervals);
            (p.number, pages as u32, first, (first + per).min(intervals))
        }
    };
    let groups = if first < last {
        read(
            store,
            scope,
            &span::span(&bounds[first..=last]),
            &scope.key_sql(),
            now,
        )
        .await?
    } else {
        BTreeMap::new()
    };
    let start = scope.local(from);
    Ok(AgentReport {
        team: scope.team,
        from: scope.from,
        to: scope.to,
        interval: scope.interval,
        time_zone: scope.tz.name().to_owned(),
        rows: groups
            .iter()
            .map(|((k, who), acc)| acc.row(scope.local(scope.start_of(*k)), who))
            .collect(),
        totals: totals
            .iter()
            .map(|((_, w), acc)| acc.row(start, w))
            .collect(),
        page: number,
        pages,
    })
}
