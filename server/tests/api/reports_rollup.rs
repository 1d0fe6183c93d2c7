//! The reports' roll-ups on random queue_log data of two teams: the same rows imported
//! in any order and batching, with repeats, and the desktop's own call rows, give the
//! roll-ups `rebuild-reports` computes from the raw rows.

use agentdesk_server::store::DynStore;
use agentdesk_server::store::reports::Span;

use crate::support::TestApp;

/// The random tests' seed: `AGENTDESK_REPORT_SEED`, else the clock's (the tests print it).
pub(crate) fn seed() -> u64 {
    std::env::var("AGENTDESK_REPORT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        })
}

/// A small deterministic generator (the test prints its seed).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(crate) fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const EVENTS: [&str; 20] = [
    "ENTERQUEUE",
    "CONNECT",
    "ABANDON",
    "EXITEMPTY",
    "EXITWITHKEY",
    "EXITWITHTIMEOUT",
    "COMPLETEAGENT",
    "COMPLETECALLER",
    "TRANSFER",
    "ATTENDEDTRANSFER",
    "RINGNOANSWER",
    "OUTCALL",
    "HOLD",
    "UNHOLD",
    "FINISHWRAPUP",
    "AGENTLOGOFF",
    "BREAK",
    "UNBREAK",
    "PAUSEALL",
    "WHATEVER",
];

/// `n` random rows around the end of 2026 (a year's edge inside), as CSV lines.
fn rows(rng: &mut Rng, n: usize) -> Vec<String> {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 31)
        .unwrap()
        .and_hms_opt(20, 0, 0)
        .unwrap();
    rows_between(rng, n, start, 8)
}

/// `n` random rows (every event, unreadable numbers among them) in the `hours` hours
/// from `start` (UTC), as CSV lines.
pub(crate) fn rows_between(
    rng: &mut Rng,
    n: usize,
    start: chrono::NaiveDateTime,
    hours: u64,
) -> Vec<String> {
    (0..n)
        .map(|i| {
            let at = start + chrono::Duration::seconds(rng.below(hours * 3600) as i64);
            let event = rng.pick(&EVENTS);
            let num = |rng: &mut Rng| match rng.below(12) {
                0 => "x".to_string(),
                1 => String::new(),
                2 => "-5".into(),
                _ => rng.below(400).to_string(),
            };
            let data: Vec<String> = match event {
                "OUTCALL" => vec![
                    rng.pick(&["ANSWER", "BUSY", "NOANSWER", "CANCEL"]).into(),
                    num(rng),
                    num(rng),
                    "099".into(),
                    String::new(),
                ],
                "UNBREAK" | "BREAK" => vec![
                    rng.pick(&["LUNCH", "bathroom", "OTHER"]).into(),
                    String::new(),
                    num(rng),
                    String::new(),
                    String::new(),
                ],
                _ => (0..5).map(|_| num(rng)).collect(),
            };
            format!(
                "{i},{},call{},{},{},{event},{}",
                at.format("%Y-%m-%d %H:%M:%S"),
                rng.below(40),
                rng.pick(&["Ventas", "Soporte", "NONE"]),
                rng.pick(&["ana", "beto", "NONE"]),
                data.join(",")
            )
        })
        .collect()
}

pub(crate) async fn import(store: &DynStore, team: i64, lines: &[String]) -> u64 {
    crate::reports::import_rows(store, team, &format!("{}\n", lines.join("\n")))
        .await
        .imported
}

/// Every roll-up of a team, as the reports read them; checks that the day roll-ups hold
/// the quarter hours' sums by UTC day.
async fn snapshot(store: &DynStore, team: i64) -> String {
    let range = (0, i64::MAX / 2);
    let quarters = Span::quarters(range);
    let days = Span {
        range,
        days: vec![range],
        ..Span::default()
    };
    let by_day = grain(store, team, &quarters, "(bucket - bucket % 86400000)").await;
    assert_eq!(grain(store, team, &days, "bucket").await, by_day);
    // The waits as the queue report's intervals read them, quarter hours and days.
    format!(
        "{}\n{:?}\n{:?}",
        grain(store, team, &quarters, "bucket").await,
        store.wait_lists(team, &quarters, None).await.unwrap(),
        store.wait_lists(team, &days, None).await.unwrap(),
    )
}

/// Agent roll-up rows (quarter hours and days) whose counters are all 0.
async fn zero_agent_rows(db_url: &str) -> i64 {
    use sqlx::Connection;
    let zero = agentdesk_server::report::fold::AGENT_COLUMNS
        .iter()
        .map(|c| format!("{c} = 0"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let sql = format!(
        "SELECT CAST((SELECT COUNT(*) FROM report_agent WHERE {zero}) \
         + (SELECT COUNT(*) FROM report_agent_day WHERE {zero}) AS BIGINT)"
    );
    if db_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db_url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut c)
            .await
            .unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(db_url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut c)
            .await
            .unwrap()
    }
}

async fn grain(store: &DynStore, team: i64, span: &Span, key: &str) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        store.queue_stats(team, span, key, None).await.unwrap(),
        store.wait_stats(team, span, key, None).await.unwrap(),
        store.agent_stats(team, span, key, None).await.unwrap(),
        store.break_stats(team, span, key, None).await.unwrap(),
    )
}

#[tokio::test]
async fn rollups_kept_row_by_row_equal_rebuilt_ones_in_any_order() {
    let seed = seed();
    println!("AGENTDESK_REPORT_SEED={seed}");
    let mut rng = Rng(seed);
    let app = TestApp::spawn().await;
    let lines = rows(&mut rng, 900);
    // Team A: in order, in three files, the middle one imported twice.
    let mut stored = 0;
    for part in lines.chunks(300) {
        stored += import(&app.store, app.team_a, part).await;
    }
    stored += import(&app.store, app.team_a, &lines[300..600]).await;
    assert_eq!(stored, 900, "seed {seed}");
    // Team B: the same rows backwards, a row at a time in places (an UNHOLD before its
    // HOLD, an end before both).
    let mut backwards = lines.clone();
    backwards.reverse();
    for part in backwards.chunks(1 + rng.below(120) as usize) {
        import(&app.store, app.team_b, part).await;
    }
    let a = snapshot(&app.store, app.team_a).await;
    let b = snapshot(&app.store, app.team_b).await;
    // Hold time moved between quarter hours leaves no all-0 agent row behind.
    assert_eq!(zero_agent_rows(&app.db_url).await, 0, "seed {seed}");
    assert!(a.len() > 1000, "{a}");
    assert_eq!(
        a, b,
        "the order of the rows changed the roll-ups (seed {seed})"
    );

    // The desktop's own call rows of team A count too.
    let agent = app.token("agent_a").await;
    crate::status::start_call_for(&app, &agent, app.contact_a).await;
    let res = app
        .call(
            reqwest::Method::POST,
            "/api/v1/calls/hangup",
            Some(&agent),
            Some(&serde_json::json!({})),
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let kept = snapshot(&app.store, app.team_a).await;
    assert_ne!(kept, a, "the live OUTCALL is in the roll-ups");

    // Rebuilding one team changes nothing of it, nor of the other.
    app.store.rebuild_reports(Some(app.team_b)).await.unwrap();
    assert_eq!(snapshot(&app.store, app.team_b).await, b, "seed {seed}");
    assert_eq!(snapshot(&app.store, app.team_a).await, kept);
    // Rebuilding everything: the same.
    let (read, _) = app.store.rebuild_reports(None).await.unwrap();
    assert!(read >= 1800, "{read}");
    assert_eq!(snapshot(&app.store, app.team_a).await, kept, "seed {seed}");
    assert_eq!(snapshot(&app.store, app.team_b).await, b, "seed {seed}");
    // The migration's backfill of the day roll-ups: the same (`snapshot` checks them).
    crate::support::rerun_backfill(
        &app.db_url,
        &crate::support::DAY_TABLES,
        "0040_report_days.sql",
        "0041_report_days.sql",
    )
    .await;
    assert_eq!(snapshot(&app.store, app.team_a).await, kept, "seed {seed}");
    assert_eq!(snapshot(&app.store, app.team_b).await, b, "seed {seed}");
}

#[tokio::test]
async fn a_hold_moved_to_another_quarter_hour_leaves_no_empty_agent_row() {
    let app = TestApp::spawn().await;
    // A hold of one minute at 10:20, counted in ana's 10:15 quarter hour (her only row
    // there) …
    let first = [
        "1,2026-03-02 10:20:00,h1,Ventas,ana,HOLD,SIP/1,,,,".to_owned(),
        "2,2026-03-02 10:21:00,h1,Ventas,ana,UNHOLD,SIP/1,,,,".to_owned(),
    ];
    import(&app.store, app.team_a, &first).await;
    assert_eq!(zero_agent_rows(&app.db_url).await, 0);
    // … moves to 10:00 when the call's earlier HOLD arrives: 10:15 holds nothing now.
    let earlier = ["3,2026-03-02 10:05:00,h1,Ventas,ana,HOLD,SIP/1,,,,".to_owned()];
    import(&app.store, app.team_a, &earlier).await;
    assert_eq!(zero_agent_rows(&app.db_url).await, 0);
    let quarters = Span::quarters((0, i64::MAX / 2));
    let rows = app
        .store
        .agent_stats(app.team_a, &quarters, "bucket", None)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    // And the count that cuts the agent report's pages sees that one row only.
    let counts = app
        .store
        .agent_quarter_counts(app.team_a, (0, i64::MAX / 2), None)
        .await
        .unwrap();
    assert_eq!(counts.len(), 1, "{counts:?}");
}
