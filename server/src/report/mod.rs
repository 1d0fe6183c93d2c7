//! Reports (docs/reports.md): the queue/campaign report and the agent report, built from
//! the quarter-hour roll-ups (`fold`) grouped into the asked interval in the asked time
//! zone; a contact's and a team's communication analytics (`contact`, `team`). The API,
//! the back office and the `report` command all call [`queue`], [`agents`] and
//! [`team::team`] and print with `csv`, so they show the same numbers.

mod agent_report;
pub mod cli;
pub mod contact;
pub mod conversations;
pub mod csv;
pub mod demo;
pub mod fold;
pub(crate) mod span;
pub mod team;

pub use agent_report::{Page, agents};

use std::collections::BTreeMap;

use agentdesk_protocol::report::{DEFAULT_SERVICE_LEVEL_SECS, Interval, QueueReport, QueueRow};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::calendar;
use crate::store::{DynStore, StoreResult};
use fold::{QueueCounts, q};

/// [`Scope::key_sql`] by quarter hour: the roll-ups' own `bucket` column, so a read by
/// quarter hour may take each row as its interval's without grouping.
pub const QUARTER_KEY: &str = "bucket";

/// What a report covers, checked.
#[derive(Debug, Clone)]
pub struct Scope {
    pub team: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    pub tz: Tz,
    pub campaign: Option<String>,
    pub agent: Option<String>,
}

/// Why a scope cannot be reported: (field, message).
pub type ScopeProblem = (&'static str, String);

impl Scope {
    /// Complete and check the asked range: `to` defaults to today (in `tz`, on the
    /// server's clock), `from` to six days before `to`.
    pub fn new(
        team: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        interval: Option<Interval>,
        tz: Tz,
    ) -> Result<Scope, ScopeProblem> {
        let interval = interval.unwrap_or_default();
        let to = to.unwrap_or_else(|| calendar::today(&tz, crate::clock::now()));
        let from = from.unwrap_or_else(|| to - Duration::days(6));
        if from > to {
            return Err(("from", "must not be after `to`".into()));
        }
        // The interval keys are computed on positive times.
        if from.year() < 1971 {
            return Err(("from", "from 1971 on".into()));
        }
        let days = (to - from).num_days() + 1;
        if days > i64::from(interval.max_days()) {
            return Err((
                "to",
                format!(
                    "at most {} days by {}",
                    interval.max_days(),
                    interval.as_str()
                ),
            ));
        }
        Ok(Scope {
            team,
            from,
            to,
            interval,
            tz,
            campaign: None,
            agent: None,
        })
    }

    /// `[from, to)` in ms.
    pub(crate) fn range(&self) -> (i64, i64) {
        let (a, b) = calendar::range(&self.tz, self.from, self.to);
        (a.timestamp_millis(), b.timestamp_millis())
    }

    /// The SQL expression of a roll-up row's `bucket` that names its interval: the
    /// interval's start (ms) for quarter hours and hours, the local day number (days
    /// since 1970-01-01, local) of the day or of the week's Monday for days and weeks
    /// ([`Scope::start_of`] turns it into the start). The zone's offset is written in
    /// for each stretch of the range it holds (a DST change splits the range), so the
    /// database sums each interval's rows itself and answers a row per interval. Only
    /// integers computed here go into the text.
    pub fn key_sql(&self) -> String {
        let (from, to) = self.range();
        let offset = |ms: i64| self.offset_ms(ms);
        // (first quarter hour of a stretch, its offset)
        let mut stretches = vec![(from, offset(from))];
        let mut t = fold::bucket(from) + fold::BUCKET_MS;
        while t < to {
            let o = offset(t);
            if o != stretches.last().map_or(o, |s| s.1) {
                stretches.push((t, o));
            }
            t += fold::BUCKET_MS;
        }
        let local = match stretches.as_slice() {
            [(_, o)] => format!("(bucket + {o})"),
            _ => {
                let mut case = String::from("(bucket + CASE");
                for w in stretches.windows(2) {
                    case.push_str(&format!(" WHEN bucket < {} THEN {}", w[1].0, w[0].1));
                }
                let last = stretches.last().map_or(0, |s| s.1);
                case.push_str(&format!(" ELSE {last} END)"));
                case
            }
        };
        match self.interval {
            Interval::Quarter => QUARTER_KEY.to_owned(),
            Interval::Hour => format!("(bucket - {local} % 3600000)"),
            Interval::Day => format!("({local} / 86400000)"),
            Interval::Week => format!("({local} / 86400000 - ({local} / 86400000 + 3) % 7)"),
        }
    }

    /// The start (ms) of the interval a [`Scope::key_sql`] value names.
    pub fn start_of(&self, key: i64) -> i64 {
        match self.interval {
            Interval::Quarter | Interval::Hour => key,
            Interval::Day | Interval::Week => {
                let day =
                    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + Duration::days(key);
                calendar::day_start(&self.tz, day).timestamp_millis()
            }
        }
    }

    pub(crate) fn local(&self, ms: i64) -> DateTime<FixedOffset> {
        let t = Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
        t.with_timezone(&self.tz).fixed_offset()
    }
}

/// Two decimals: what the API, the CSV and the screens all show.
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| round2(num as f64 / den as f64))
}

fn percent(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| round2(100.0 * num as f64 / den as f64))
}

/// A queue row's sums: counters, answered calls by wait, and how many of them were
/// answered within their campaign's threshold.
#[derive(Debug, Clone, Default)]
struct QueueAcc {
    counts: Option<QueueCounts>,
    waits: BTreeMap<i64, i64>,
    within: i64,
}

impl QueueAcc {
    fn add_counts(&mut self, c: &QueueCounts) {
        let mine = self.counts.get_or_insert([0; fold::QUEUE_COLUMNS.len()]);
        for (m, v) in mine.iter_mut().zip(c) {
            *m += v;
        }
    }

    fn add_wait(&mut self, wait: i64, calls: i64, threshold: u32) {
        *self.waits.entry(wait).or_insert(0) += calls;
        if wait <= i64::from(threshold) {
            self.within += calls;
        }
    }

    /// 90th percentile by nearest rank: the smallest wait at least 90 % of the answered
    /// calls did not exceed.
    fn p90(&self) -> Option<u64> {
        let n: i64 = self.waits.values().sum();
        if n <= 0 {
            return None;
        }
        let rank = ((n as u64 * 9).div_ceil(10)) as i64;
        let mut seen = 0;
        for (w, c) in &self.waits {
            seen += c;
            if seen >= rank {
                return Some(*w as u64);
            }
        }
        None
    }

    fn row(&self, start: DateTime<FixedOffset>, campaign: &str, threshold: u32) -> QueueRow {
        let c = self.counts.unwrap_or([0; fold::QUEUE_COLUMNS.len()]);
        let n = |i: usize| c[i].max(0) as u64;
        let exits = c[q::EXIT_EMPTY] + c[q::EXIT_KEY] + c[q::EXIT_TIMEOUT];
        let lost = c[q::ABANDONED] + exits;
        let left = c[q::ANSWERED] + lost;
        QueueRow {
            start,
            campaign: campaign.to_owned(),
            offered: n(q::OFFERED),
            answered: n(q::ANSWERED),
            abandoned: n(q::ABANDONED),
            exit_empty: n(q::EXIT_EMPTY),
            exit_with_key: n(q::EXIT_KEY),
            exit_with_timeout: n(q::EXIT_TIMEOUT),
            abandon_rate: percent(lost, left),
            avg_answer_wait: ratio(c[q::ANSWERED_WAIT], c[q::ANSWERED]),
            p90_answer_wait: self.p90(),
            avg_abandon_wait: ratio(c[q::ABANDONED_WAIT] + c[q::EXIT_WAIT], lost),
            service_level: percent(self.within, left),
            service_level_secs: threshold,
            completed: n(q::COMPLETED),
            avg_talk: ratio(c[q::TALK], c[q::COMPLETED]),
            agent_hung_up: n(q::AGENT_HANGUPS),
            caller_hung_up: n(q::CALLER_HANGUPS),
            transfers: n(q::TRANSFERS),
            ring_no_answer: n(q::RING_NO_ANSWER),
            outbound: n(q::OUTBOUND),
            outbound_answered: n(q::OUT_ANSWER),
            outbound_busy: n(q::OUT_BUSY),
            outbound_no_answer: n(q::OUT_NOANSWER),
            outbound_other: n(q::OUT_OTHER),
            avg_outbound_duration: ratio(c[q::OUTBOUND_SECS], c[q::OUTBOUND]),
            holds: n(q::HOLDS),
            avg_hold: (c[q::HOLDS] > 0)
                .then(|| round2(c[q::HOLD_MS] as f64 / 1000.0 / c[q::HOLDS] as f64)),
            wrap_ups: n(q::WRAPUPS),
            avg_wrap_up: ratio(c[q::WRAPUP], c[q::WRAPUPS]),
            unknown_events: n(q::UNKNOWN),
            unreadable_values: n(q::MALFORMED),
        }
    }
}

/// The queue report of `scope` (its `campaign`, or every one).
pub async fn queue(store: &DynStore, scope: &Scope) -> StoreResult<QueueReport> {
    let range = scope.range();
    let campaign = scope.campaign.as_deref();
    let key = scope.key_sql();
    // The intervals' rows, and the range's (its whole UTC days as day rows: `span`).
    let (rows_span, range_span) = (span::span(&scope.bounds()), span::span(&[range.0, range.1]));
    let levels = store.service_levels().await?;
    let threshold = |c: &str| levels.get(c).copied().unwrap_or(DEFAULT_SERVICE_LEVEL_SECS);
    // Independent reads, run side by side (each on a connection of its own); the last
    // is the range's own histogram, for the totals' percentiles.
    let (stats, lists, histogram, campaigns) = tokio::try_join!(
        store.queue_stats(scope.team, &rows_span, &key, campaign),
        store.wait_lists(scope.team, &rows_span, campaign),
        store.wait_stats(scope.team, &range_span, "CAST(0 AS BIGINT)", campaign),
        store.report_campaigns(scope.team, range),
    )?;
    let mut groups: BTreeMap<(i64, String), QueueAcc> = BTreeMap::new();
    let mut per_campaign: BTreeMap<String, QueueAcc> = BTreeMap::new();
    let mut all = QueueAcc::default();
    for s in &stats {
        groups
            .entry((scope.start_of(s.bucket), s.campaign.clone()))
            .or_default()
            .add_counts(&s.counts);
        per_campaign
            .entry(s.campaign.clone())
            .or_default()
            .add_counts(&s.counts);
        all.add_counts(&s.counts);
    }
    // Each row's waits into its interval's (a day row lies wholly in one: `span`).
    for l in lists {
        let t = threshold(&l.campaign);
        let acc = groups
            .entry((scope.start_of(scope.key_of(l.bucket)), l.campaign))
            .or_default();
        for (wait, calls) in l.waits {
            acc.add_wait(wait, calls, t);
        }
    }
    // A day read for one interval less its hours outside it adds waits that cancel: no
    // row where nothing is left.
    groups.retain(|_, acc| acc.counts.is_some() || acc.waits.values().any(|c| *c != 0));
    for w in &histogram {
        let t = threshold(&w.campaign);
        per_campaign
            .entry(w.campaign.clone())
            .or_default()
            .add_wait(w.wait_s, w.calls, t);
        all.add_wait(w.wait_s, w.calls, t);
    }
    let start = scope.local(range.0);
    let rows = groups
        .iter()
        .map(|((at, c), acc)| acc.row(scope.local(*at), c, threshold(c)))
        .collect();
    let totals = per_campaign
        .iter()
        .map(|(c, acc)| acc.row(start, c, threshold(c)))
        .collect();
    // The grand total's threshold: the campaigns', when they share one (0: they differ).
    let mut shown: Vec<u32> = per_campaign.keys().map(|c| threshold(c)).collect();
    shown.dedup();
    let total_threshold = match shown.as_slice() {
        [one] => *one,
        [] => campaign.map_or(DEFAULT_SERVICE_LEVEL_SECS, threshold),
        _ => 0,
    };
    Ok(QueueReport {
        team: scope.team,
        from: scope.from,
        to: scope.to,
        interval: scope.interval,
        time_zone: scope.tz.name().to_owned(),
        rows,
        totals,
        total: all.row(start, "", total_threshold),
        campaigns,
    })
}

#[cfg(test)]
mod tests;
