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
/// intervals, at least one with rows: [`cut`]).
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
    // The totals, and how many agents have counters in each quarter hour: the pages
    // are cut by those.
    let whole = span::span(&[from, to]);
    let totals = read(store, scope, &whole, "CAST(0 AS BIGINT)", now);
    let (totals, pages) = match page {
        None => (totals.await?, vec![(0, bounds.len() - 1)]),
        Some(p) => {
            let counts = store.agent_quarter_counts(scope.team, (from, to), scope.agent.as_deref());
            let (totals, counts) = tokio::try_join!(totals, counts)?;
            let pages = cut(&bounds, &counts, totals.len(), p.size as usize);
            (totals, pages)
        }
    };
    // A page past the last answers the last (as every paged list here does).
    let number = page.map_or(1, |p| p.number).clamp(1, pages.len() as u32);
    let groups = match pages.get(number as usize - 1) {
        Some(&(first, last)) => {
            read(
                store,
                scope,
                &span::span(&bounds[first..=last]),
                &scope.key_sql(),
                now,
            )
            .await?
        }
        None => BTreeMap::new(),
    };
    let pages = pages.len() as u32;
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

/// The pages of the intervals `bounds` cut (each a range `[first, last)` of interval
/// indexes): consecutive, together every interval, each closed before the interval that
/// would take it past `size` rows — an interval's rows counted as its quarter hours'
/// agents (`counts`, by quarter-hour start), at most `agents`. So a page always holds
/// rows when the report has any, and the night's empty quarter hours make no pages.
/// Intervals without rows stay on the page being filled (those before the first with
/// rows go to the first page). A page is about `size` rows: an agent with rows in only
/// one of the two sources, or only in the status in force now, may make it larger.
fn cut(bounds: &[i64], counts: &[(i64, i64)], agents: usize, size: usize) -> Vec<(usize, usize)> {
    let intervals = bounds.len().saturating_sub(1);
    let mut rows = vec![0usize; intervals];
    for (bucket, n) in counts {
        let i = bounds.partition_point(|b| b <= bucket).saturating_sub(1);
        if let Some(r) = rows.get_mut(i) {
            *r += (*n).max(0) as usize;
        }
    }
    let mut out = Vec::new();
    let (mut first, mut held) = (0, 0);
    for (i, r) in rows.iter().map(|r| (*r).min(agents.max(1))).enumerate() {
        if r > 0 && held > 0 && held + r > size {
            out.push((first, i));
            (first, held) = (i, 0);
        }
        held += r;
    }
    out.push((first, intervals));
    out
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn pages_hold_whole_intervals_with_rows_and_cover_the_range() {
        // Six intervals (bounds 0, 10, …, 60); quarter hours at 0, 5 (interval 0), 30
        // (3), 40 and 45 (4); intervals 1, 2 and 5 have no counters.
        let bounds = [0, 10, 20, 30, 40, 50, 60];
        let counts = [(0, 3), (5, 2), (30, 4), (40, 1), (45, 9)];
        // Ten agents: interval 0 holds 5 rows, 3 holds 4, 4 holds 10.
        assert_eq!(cut(&bounds, &counts, 10, 6), vec![(0, 3), (3, 4), (4, 6)]);
        assert_eq!(cut(&bounds, &counts, 10, 9), vec![(0, 4), (4, 6)]);
        assert_eq!(cut(&bounds, &counts, 10, 100), vec![(0, 6)]);
        // At most `agents` rows an interval: four agents make interval 4 hold 4.
        assert_eq!(cut(&bounds, &counts, 4, 8), vec![(0, 4), (4, 6)]);
        // No counters at all: one page of everything.
        assert_eq!(cut(&bounds, &[], 0, 5), vec![(0, 6)]);
        // An interval larger than a page is a page of its own.
        assert_eq!(cut(&bounds, &counts, 10, 1), vec![(0, 3), (3, 4), (4, 6)]);
    }
}
