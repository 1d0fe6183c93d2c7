//! A team's analytics on the calendar's edges, with a second team writing at the same
//! instants: the days and hours of a time zone whose clocks move (Madrid's 23- and
//! 25-hour days, its missing and repeated hour), and the turn of the year in a zone
//! behind UTC (the last minutes of 31 December are 1 January in UTC), by day and by
//! week — each interaction counted once, in the local interval it happened in.

use agentdesk_protocol::report::TeamAnalytics;
use chrono::{DateTime, TimeZone, Utc};

use crate::reports_team::{act, fresh_contact, team_report};
use crate::support::TestApp;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// (local start, inbound) of each row.
fn rows(r: &TeamAnalytics) -> Vec<(String, u64)> {
    r.rows
        .iter()
        .map(|row| (row.start.to_rfc3339(), row.inbound))
        .collect()
}

/// Team A's SMS at each instant, and team B's at the same instants (never counted in
/// team A's report).
async fn both_teams_at(app: &TestApp, instants: &[DateTime<Utc>]) {
    let (a, b) = (app.team_a, app.team_b);
    let (ca, cb) = (fresh_contact(app, a).await, fresh_contact(app, b).await);
    let (ua, ub) = (app.users["agent_a"], app.users["agent_b"]);
    let mut acts = Vec::new();
    for t in instants {
        acts.push(act(a, ca, ua, *t, "sms-in"));
        acts.push(act(b, cb, ub, *t, "sms-in"));
    }
    app.store.insert_activities(&acts, false).await.unwrap();
}

#[tokio::test]
async fn madrids_short_and_long_days_and_their_missing_and_repeated_hours() {
    let app = TestApp::spawn().await;
    both_teams_at(
        &app,
        &[
            // 28 March 23:30 CET; 29 March 00:30 and 01:59 CET, 03:00 and 23:59 CEST
            // (02:00–03:00 never happens); 30 March 00:00 CEST.
            utc(2026, 3, 28, 22, 30),
            utc(2026, 3, 28, 23, 30),
            utc(2026, 3, 29, 0, 59),
            utc(2026, 3, 29, 1, 0),
            utc(2026, 3, 29, 21, 59),
            utc(2026, 3, 29, 22, 0),
            // 25 October: 02:30 CEST, then 02:30 CET an hour later; 23:30 CET.
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1, 30),
            utc(2026, 10, 25, 22, 30),
        ],
    )
    .await;
    let sup = app.token("super_a").await;
    let a = app.team_a;
    let q = |from: &str, to: &str, interval: &str| {
        format!("from={from}&to={to}&interval={interval}&time_zone=Europe/Madrid")
    };

    let spring = team_report(&app, &sup, a, &q("2026-03-28", "2026-03-30", "day")).await;
    assert_eq!(spring.total, 6, "team B's are not team A's");
    assert_eq!(
        rows(&spring),
        [
            ("2026-03-28T00:00:00+01:00".into(), 1),
            ("2026-03-29T00:00:00+01:00".into(), 4),
            ("2026-03-30T00:00:00+02:00".into(), 1),
        ]
    );
    let hours = team_report(&app, &sup, a, &q("2026-03-29", "2026-03-29", "hour")).await;
    assert_eq!(
        rows(&hours),
        [
            ("2026-03-29T00:00:00+01:00".into(), 1),
            ("2026-03-29T01:00:00+01:00".into(), 1),
            ("2026-03-29T03:00:00+02:00".into(), 1),
            ("2026-03-29T23:00:00+02:00".into(), 1),
        ]
    );

    let autumn = team_report(&app, &sup, a, &q("2026-10-25", "2026-10-25", "day")).await;
    assert_eq!(rows(&autumn), [("2026-10-25T00:00:00+02:00".into(), 3)]);
    let hours = team_report(&app, &sup, a, &q("2026-10-25", "2026-10-25", "hour")).await;
    assert_eq!(
        rows(&hours),
        [
            ("2026-10-25T02:00:00+02:00".into(), 1),
            ("2026-10-25T02:00:00+01:00".into(), 1),
            ("2026-10-25T23:00:00+01:00".into(), 1),
        ],
        "the repeated hour is two rows"
    );
    // March to December by week: every interaction once (the app's own data is in
    // January).
    let year = team_report(&app, &sup, a, &q("2026-03-01", "2026-12-31", "week")).await;
    assert_eq!(year.total, 9);
    assert_eq!(year.rows.iter().map(|r| r.inbound).sum::<u64>(), 9);
}

#[tokio::test]
async fn the_last_minutes_of_the_year_stay_in_it_in_a_zone_behind_utc() {
    let app = TestApp::spawn().await;
    both_teams_at(
        &app,
        &[
            // Montevideo (UTC−3): 31 December 23:59 is 1 January 02:59 UTC; then
            // 1 January 00:00 local; and 3 January 23:59 local, a Sunday.
            utc(2027, 1, 1, 2, 59),
            utc(2027, 1, 1, 3, 0),
            utc(2027, 1, 4, 2, 59),
        ],
    )
    .await;
    let sup = app.token("super_a").await;
    let q = |from: &str, to: &str, interval: &str| {
        format!("from={from}&to={to}&interval={interval}&time_zone=America/Montevideo")
    };
    let december = team_report(
        &app,
        &sup,
        app.team_a,
        &q("2026-12-01", "2026-12-31", "day"),
    )
    .await;
    assert_eq!(rows(&december), [("2026-12-31T00:00:00-03:00".into(), 1)]);
    let january = team_report(
        &app,
        &sup,
        app.team_a,
        &q("2027-01-01", "2027-01-31", "day"),
    )
    .await;
    assert_eq!(
        rows(&january),
        [
            ("2027-01-01T00:00:00-03:00".into(), 1),
            ("2027-01-03T00:00:00-03:00".into(), 1),
        ]
    );
    // Weeks start on Monday: 28 December's week holds all three, across the new year.
    let weeks = team_report(
        &app,
        &sup,
        app.team_a,
        &q("2026-12-28", "2027-01-10", "week"),
    )
    .await;
    assert_eq!(rows(&weeks), [("2026-12-28T00:00:00-03:00".into(), 3)]);
    // In UTC the first one is already the new year.
    let utc_days = team_report(
        &app,
        &sup,
        app.team_a,
        "from=2026-12-31&to=2027-01-01&interval=day&time_zone=UTC",
    )
    .await;
    assert_eq!(rows(&utc_days), [("2027-01-01T00:00:00+00:00".into(), 2)]);
}
