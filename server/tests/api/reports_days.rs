//! The reports read a UTC day's one roll-up row for the interval holding more than half
//! of it, less its quarter hours outside that interval, and quarter hours for the rest
//! (report/span.rs). On random queue_log rows over a month for two teams, and our own
//! statuses, in zones whole, half and three-quarter hours from UTC and across DST
//! changes: every day and week row equals the quarter hours it holds, the totals equal
//! all of them, the agent report's pages put together are the same rows whatever the
//! page size, the queue report's answered calls and waits are the ones counted by hand
//! from the rows, and a whole year by day gives the same sums.

use std::collections::BTreeMap;

use agentdesk_protocol::report::{AgentReport, AgentRow, QueueReport};
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone};
use reqwest::StatusCode;

use crate::reports_rollup::{Rng, import, rows_between, seed};
use crate::reports_status::{changes, choose, connect, off};
use crate::support::{TestApp, exec_sql, expect_error};

/// UTC, whole hours behind, half and three-quarter hours ahead, DST ending in the range
/// (Madrid on 25 October, New York on 1 November), and Chatham's +13:45.
const ZONES: [&str; 7] = [
    "UTC",
    "America/Montevideo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Europe/Madrid",
    "America/New_York",
    "Pacific/Chatham",
];
const FROM: &str = "2026-10-20";
const TO: &str = "2026-11-19";

/// What rows of an agent add up to: counters, and seconds by field (rounded to 1/100 s
/// per row, so compared within half a hundredth per row).
#[derive(Debug, Default)]
struct Sums {
    counts: [u64; 5],
    secs: BTreeMap<String, f64>,
    rows: usize,
}

impl Sums {
    fn add(&mut self, r: &AgentRow) {
        let counts = [
            r.answered,
            r.handled,
            r.breaks,
            r.ring_no_answer,
            r.outbound,
        ];
        for (m, v) in self.counts.iter_mut().zip(counts) {
            *m += v;
        }
        let mut put = |k: String, v: f64| *self.secs.entry(k).or_default() += v;
        for (k, v) in [
            ("login", r.login),
            ("on_break", r.on_break),
            ("hold", r.hold),
            ("talk", r.talk),
            ("wrap_up", r.wrap_up),
            ("connected", r.connected),
        ] {
            put(k.to_owned(), v);
        }
        for (k, v) in &r.statuses {
            put(format!("status {k}"), *v);
        }
        for (k, v) in &r.break_reasons {
            put(format!("break {k}"), *v);
        }
        self.rows += 1;
    }

    fn assert_same(&self, other: &Sums, what: &str) {
        assert_eq!(self.counts, other.counts, "{what}");
        let keys: std::collections::BTreeSet<&String> =
            self.secs.keys().chain(other.secs.keys()).collect();
        let slack = 0.005 * (self.rows + other.rows) as f64 + 1e-6;
        for k in keys {
            let (a, b) = (
                self.secs.get(k).copied().unwrap_or(0.0),
                other.secs.get(k).copied().unwrap_or(0.0),
            );
            assert!((a - b).abs() <= slack, "{what}: {k} {a} against {b}");
        }
    }
}

/// Every page of an agent report: its rows in order, its totals (the same on every
/// page) and how many pages there were.
async fn all_pages(
    app: &TestApp,
    token: &str,
    query: &str,
    size: u32,
) -> (Vec<AgentRow>, Vec<AgentRow>, u32) {
    let mut rows = Vec::new();
    let mut totals = None;
    let mut page = 1;
    loop {
        let r: AgentReport = app
            .get_as(
                &format!("/api/v1/reports/agents?{query}&page={page}&page_size={size}"),
                token,
            )
            .await;
        assert_eq!(r.page, page);
        // A page always holds rows (intervals without counters join a page that has some).
        assert!(
            !r.rows.is_empty() || r.totals.is_empty(),
            "{query}: page {page} empty"
        );
        match &totals {
            None => totals = Some(r.totals.clone()),
            Some(t) => assert_eq!(t, &r.totals, "every page's totals"),
        }
        rows.extend(r.rows);
        if page >= r.pages {
            return (rows, totals.unwrap_or_default(), r.pages);
        }
        page += 1;
    }
}

/// A week's Monday (a week row starting mid-week at the range's start counts from it).
fn monday(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// (local day, campaign, wait) of the CONNECT rows in `[from, to)`: answered calls.
fn waits(
    lines: &[String],
    tz: chrono_tz::Tz,
    (from, to): (i64, i64),
) -> Vec<(NaiveDate, String, i64)> {
    let mut out = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f[5] != "CONNECT" {
            continue;
        }
        let at = NaiveDateTime::parse_from_str(f[1], "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc();
        let ms = at.timestamp_millis();
        if ms < from || ms >= to {
            continue;
        }
        let wait = f[6].parse::<i64>().unwrap_or(0).max(0);
        out.push((
            at.with_timezone(&tz).date_naive(),
            agentdesk_server::report::fold::campaign(f[3]).to_owned(),
            wait,
        ));
    }
    out
}

/// The nearest-rank 90th percentile.
fn p90(mut w: Vec<i64>) -> Option<u64> {
    w.sort_unstable();
    let n = w.len();
    (n > 0).then(|| w[(n * 9).div_ceil(10) - 1] as u64)
}

#[tokio::test]
async fn day_rows_and_quarter_hours_agree_in_every_zone_and_pages_hold_every_row() {
    let seed = seed();
    println!("AGENTDESK_REPORT_SEED={seed}");
    let mut rng = Rng(seed);
    let app = TestApp::spawn().await;
    let start = NaiveDate::from_ymd_opt(2026, 10, 18)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    // A month and a half around the range, for team A; other rows for team B.
    let a_rows = rows_between(&mut rng, 2500, start, 36 * 24);
    let b_rows = rows_between(&mut rng, 800, start, 36 * 24);
    for part in a_rows.chunks(500) {
        import(&app.store, app.team_a, part).await;
    }
    import(&app.store, app.team_b, &b_rows).await;
    // agent_a is uContact's "ana" (its statuses and queue_log share a row); it changes
    // status every few hours, signing out at times.
    exec_sql(
        &app.db_url,
        &[&format!(
            "UPDATE users SET ucontact_agent = 'ana' WHERE id = {}",
            app.users["agent_a"]
        )],
    )
    .await;
    let mut times: Vec<String> = (0..120)
        .map(|_| {
            let t = start.and_utc() + chrono::Duration::seconds(rng.below(35 * 86_400) as i64);
            t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
        })
        .collect();
    times.sort();
    let moves: Vec<(&str, _)> = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let c = match rng.below(5) {
                0 => connect(),
                1 => off(agentdesk_protocol::status::DisconnectReason::Timeout),
                _ => choose(["lunch", "available", "training"][i % 3]),
            };
            (t.as_str(), c)
        })
        .collect();
    changes(&app, "agent_a", moves).await;

    let admin = app.token("admin").await;
    for zone in ZONES {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let what = |s: &str| format!("{zone}, {s} (seed {seed})");
        let base = format!("team={}&from={FROM}&to={TO}&time_zone={zone}", app.team_a);
        // Quarter hours: pages of two sizes give the same rows.
        let q = format!("{base}&interval=15min");
        let (quarters, q_totals, pages) = all_pages(&app, &admin, &q, 10_000).await;
        let (small, small_totals, small_pages) = all_pages(&app, &admin, &q, 150).await;
        assert_eq!(small, quarters, "{}", what("pages"));
        assert_eq!(small_totals, q_totals);
        assert!(small_pages > pages, "{}", what("pages"));
        assert!(quarters.len() > 1000, "{}", what("rows"));

        // Days and weeks: each row is its quarter hours' sum.
        for (interval, key) in [
            ("day", (|d| d) as fn(NaiveDate) -> NaiveDate),
            ("week", monday as fn(NaiveDate) -> NaiveDate),
        ] {
            let (rows, totals, _) =
                all_pages(&app, &admin, &format!("{base}&interval={interval}"), 10_000).await;
            assert_eq!(totals, q_totals, "{}", what(interval));
            let mut want: BTreeMap<(NaiveDate, String), Sums> = BTreeMap::new();
            for r in &quarters {
                want.entry((key(r.start.date_naive()), r.agent.clone()))
                    .or_default()
                    .add(r);
            }
            let mut got: BTreeMap<(NaiveDate, String), Sums> = BTreeMap::new();
            for r in &rows {
                got.entry((key(r.start.date_naive()), r.agent.clone()))
                    .or_default()
                    .add(r);
            }
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                want.keys().collect::<Vec<_>>(),
                "{}",
                what(interval)
            );
            for (k, w) in &want {
                got[k].assert_same(w, &what(&format!("{interval} {k:?}")));
            }
        }
        // The totals (whole UTC days read as days) are every quarter hour's sum.
        let mut all: BTreeMap<String, Sums> = BTreeMap::new();
        for r in &quarters {
            all.entry(r.agent.clone()).or_default().add(r);
        }
        for t in &q_totals {
            let mut one = Sums::default();
            one.add(t);
            one.assert_same(&all[&t.agent], &what(&format!("totals of {}", t.agent)));
        }

        // The queue report: the month's and each week's answered calls and waits.
        let local = |d: &str| {
            let d: NaiveDate = d.parse().unwrap();
            tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
                .earliest()
                .unwrap()
                .timestamp_millis()
        };
        let to_end = local("2026-11-20");
        let hand = waits(&a_rows, tz, (local(FROM), to_end));
        let queue = async |interval: &str| -> QueueReport {
            let path = format!("/api/v1/reports/queue?{base}&interval={interval}");
            app.get_as(&path, &admin).await
        };
        let r = queue("week").await;
        let every: Vec<i64> = hand.iter().map(|w| w.2).collect();
        assert_eq!(r.total.answered, every.len() as u64, "{}", what("answered"));
        assert_eq!(
            r.total.p90_answer_wait,
            p90(every.clone()),
            "{}",
            what("p90")
        );
        // Answered within the default 20 s, of every call that left the queue.
        let within = every.iter().filter(|w| **w <= 20).count() as f64;
        let t = &r.total;
        let left = t.answered + t.abandoned + t.exit_empty + t.exit_with_key + t.exit_with_timeout;
        assert_eq!(
            t.service_level,
            Some((10_000.0 * within / left as f64).round() / 100.0),
            "{}",
            what("service level")
        );
        for row in &r.rows {
            let mine: Vec<i64> = hand
                .iter()
                .filter(|w| monday(w.0) == monday(row.start.date_naive()) && w.1 == row.campaign)
                .map(|w| w.2)
                .collect();
            assert_eq!(row.answered, mine.len() as u64, "{}", what("week answered"));
            assert_eq!(row.p90_answer_wait, p90(mine), "{}", what("week p90"));
        }
        // Each local day's (its UTC days moved to it, less their hours outside it).
        let r = queue("day").await;
        // The same (day, campaign) rows as the quarter hours': none left where a day's
        // waits and the hours subtracted from it cancel.
        let by_quarter = queue("15min").await;
        let keys = |rows: &[agentdesk_protocol::report::QueueRow]| {
            rows.iter()
                .map(|row| (row.start.date_naive(), row.campaign.clone()))
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(
            keys(&r.rows),
            keys(&by_quarter.rows),
            "{}",
            what("day rows")
        );
        let answered: u64 = r.rows.iter().map(|row| row.answered).sum();
        assert_eq!(answered, every.len() as u64, "{}", what("days answered"));
        for row in &r.rows {
            let mine: Vec<i64> = hand
                .iter()
                .filter(|w| w.0 == row.start.date_naive() && w.1 == row.campaign)
                .map(|w| w.2)
                .collect();
            assert_eq!(row.answered, mine.len() as u64, "{}", what("day answered"));
            let within = mine.iter().filter(|w| **w <= 20).count() as f64;
            let left = row.answered
                + row.abandoned
                + row.exit_empty
                + row.exit_with_key
                + row.exit_with_timeout;
            if left > 0 {
                assert_eq!(
                    row.service_level,
                    Some((10_000.0 * within / left as f64).round() / 100.0),
                    "{}",
                    what("day service level")
                );
            }
            assert_eq!(row.p90_answer_wait, p90(mine), "{}", what("day p90"));
        }

        // A whole year by day (the longest range a day report takes): one statement of
        // a bounded number of ranges, the same sums as the month's.
        let year = format!(
            "team={}&from=2026-01-01&to=2026-12-31&time_zone={zone}&interval=day",
            app.team_a
        );
        let r: QueueReport = app
            .get_as(&format!("/api/v1/reports/queue?{year}"), &admin)
            .await;
        let all = waits(&a_rows, tz, (local("2026-01-01"), local("2027-01-01")));
        assert_eq!(
            r.total.answered,
            all.len() as u64,
            "{}",
            what("year answered")
        );
        let answered: u64 = r.rows.iter().map(|row| row.answered).sum();
        assert_eq!(answered, all.len() as u64, "{}", what("year days answered"));
        let (rows, totals, _) = all_pages(&app, &admin, &year, 10_000).await;
        for t in &totals {
            let mut by_day = Sums::default();
            for r in rows.iter().filter(|r| r.agent == t.agent) {
                by_day.add(r);
            }
            let mut one = Sums::default();
            one.add(t);
            by_day.assert_same(&one, &what(&format!("year of {}", t.agent)));
        }
    }

    // One status in force for a month, never closed: team B's agent_b trains from
    // 21 October 10:00 UTC on. Its open span crosses whole UTC days: the totals, each
    // week and each day hold exactly the time up to the range's end (20 November, 00:00
    // in Montevideo, 03:00 UTC).
    changes(
        &app,
        "agent_b",
        vec![
            ("2026-10-21T10:00:00.000Z", connect()),
            ("2026-10-21T10:00:00.000Z", choose("training")),
        ],
    )
    .await;
    let held = (29 * 86_400 + 17 * 3_600) as f64;
    for interval in ["15min", "day", "week"] {
        let q = format!(
            "team={}&from={FROM}&to={TO}&time_zone=America/Montevideo&interval={interval}",
            app.team_b
        );
        let (rows, totals, _) = all_pages(&app, &admin, &q, 10_000).await;
        let total = totals
            .iter()
            .find(|t| t.agent == "agent_b")
            .expect("agent_b");
        assert_eq!(
            (total.connected, total.statuses["training"]),
            (held, held),
            "{interval}"
        );
        let sum: f64 = rows
            .iter()
            .filter(|r| r.agent == "agent_b")
            .map(|r| r.statuses["training"])
            .sum();
        assert!(
            (sum - held).abs() < 0.01 * rows.len() as f64,
            "{interval}: {sum}"
        );
    }

    // A page past the last answers the last; no page asked for: every row, as before.
    let base = format!("team={}&from={FROM}&to={TO}&interval=day", app.team_a);
    let (rows, totals, pages) = all_pages(&app, &admin, &base, 40).await;
    assert!(pages > 1);
    let past: AgentReport = app
        .get_as(
            &format!(
                "/api/v1/reports/agents?{base}&page={}&page_size=40",
                pages + 5
            ),
            &admin,
        )
        .await;
    let last: AgentReport = app
        .get_as(
            &format!("/api/v1/reports/agents?{base}&page={pages}&page_size=40"),
            &admin,
        )
        .await;
    assert_eq!((past.page, past.pages), (pages, pages));
    assert_eq!((&past.rows, &past.totals), (&last.rows, &totals));
    let whole: AgentReport = app
        .get_as(&format!("/api/v1/reports/agents?{base}"), &admin)
        .await;
    assert_eq!((whole.page, whole.pages), (1, 1));
    assert_eq!(whole.rows, rows);
    // Bad pages: a 400/422 naming the field, never a 500.
    for (bad, field) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=x", "page"),
        ("page=99999999999", "page"),
        ("page_size=0", "page_size"),
        ("page_size=10001", "page_size"),
        ("page_size=1e3", "page_size"),
    ] {
        let res = app
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/reports/agents?{base}&{bad}"),
                Some(&admin),
                None::<&()>,
            )
            .await;
        let status = res.status();
        let e = expect_error(res, status).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{bad}: {status}"
        );
        assert!(
            e.error.field.as_deref() == Some(field) || e.error.message.contains(field),
            "{bad}: {e:?}"
        );
    }
}
