//! The agent report's time per status of our own presence (docs/reports.md, "Agent
//! report"): counted by hand from presence changes written through the store's own write
//! path at chosen times (a span across the viewer's midnight, a quarter hour's part, a
//! DST day of 23 hours, a status still in force, time signed out, a choice that waits
//! for the end of a call), merged with uContact's queue_log rows of
//! the same agent, for two teams sharing a user; the roll-up kept change by change equals
//! the rebuilt one and the migration's backfill.

use agentdesk_protocol::presence::Change;
use agentdesk_protocol::report::{AgentReport, AgentRow};
use agentdesk_protocol::status::DisconnectReason;
use chrono::{DateTime, Utc};

use crate::reports::{DAY, import_rows};
use crate::support::{DAY_TABLES, TestApp, exec_sql, rerun_backfill};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Apply `changes` to `user` at their times, through the store's write path. The user
/// gets a stream row that never goes stale first, so that the server's sweeper (which
/// disconnects users marked connected without a stream, at the real time) leaves the
/// chosen times alone.
pub(crate) async fn changes(app: &TestApp, user: &str, changes: Vec<(&str, Change)>) {
    let id = app.users[user];
    exec_sql(
        &app.db_url,
        &[&format!(
            "INSERT INTO presence_streams (id, user_id, session_hash, opened_at, seen_at) \
             VALUES ('held-{id}', {id}, 'x', 0, 9000000000000000) ON CONFLICT (id) DO NOTHING"
        )],
    )
    .await;
    for (t, change) in changes {
        app.store
            .change_status(id, change, at(t), 60_000)
            .await
            .unwrap_or_else(|e| panic!("{user} at {t}: {e}"));
    }
}

pub(crate) fn connect() -> Change {
    Change::Connect {
        fresh_session: "s".into(),
    }
}

pub(crate) fn choose(v: &str) -> Change {
    Change::Choose { value: v.into() }
}

pub(crate) fn off(reason: DisconnectReason) -> Change {
    Change::Disconnect { reason }
}

async fn report(app: &TestApp, query: &str) -> AgentReport {
    let admin = app.token("admin").await;
    app.get_as(&format!("/api/v1/reports/agents?{query}"), &admin)
        .await
}

fn row<'a>(r: &'a AgentReport, agent: &str, day: &str) -> &'a AgentRow {
    r.rows
        .iter()
        .find(|x| x.agent == agent && x.start.date_naive().to_string() == day)
        .unwrap_or_else(|| panic!("no {agent} {day} in {:?}", r.rows))
}

fn statuses(r: &AgentRow) -> Vec<(&str, f64)> {
    r.statuses.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

/// The roll-up's rows, in key order.
async fn rollup_rows(db_url: &str) -> Vec<(i64, i64, String, i64)> {
    let quarters = status_rows(db_url, "report_status").await;
    // The day roll-up holds the same time, summed by UTC day.
    let mut by_day: std::collections::BTreeMap<(i64, i64, String), i64> = Default::default();
    for (user, bucket, status, ms) in &quarters {
        *by_day
            .entry((*user, bucket.div_euclid(DAY_MS) * DAY_MS, status.clone()))
            .or_default() += ms;
    }
    let by_day: Vec<_> = by_day
        .into_iter()
        .map(|((u, b, s), ms)| (u, b, s, ms))
        .collect();
    assert_eq!(status_rows(db_url, "report_status_day").await, by_day);
    quarters
}

const DAY_MS: i64 = 86_400_000;

async fn status_rows(db_url: &str, table: &str) -> Vec<(i64, i64, String, i64)> {
    use sqlx::Connection;
    let rows = format!(
        "SELECT CAST(user_id AS BIGINT), CAST(bucket AS BIGINT), status, \
         CAST(ms AS BIGINT) FROM {table} ORDER BY user_id, bucket, status"
    );
    if db_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db_url).await.unwrap();
        sqlx::query_as(sqlx::AssertSqlSafe(rows))
            .fetch_all(&mut c)
            .await
            .unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(db_url).await.unwrap();
        sqlx::query_as(sqlx::AssertSqlSafe(rows))
            .fetch_all(&mut c)
            .await
            .unwrap()
    }
}

/// agent_a is uContact's "ana" and a member of both teams; agent_b only of team B.
async fn day_of_changes(app: &TestApp) {
    exec_sql(
        &app.db_url,
        &[
            &format!(
                "UPDATE users SET ucontact_agent = 'ana' WHERE id = {}",
                app.users["agent_a"]
            ),
            &format!(
                "INSERT INTO team_members (team_id, user_id) VALUES ({}, {})",
                app.team_b, app.users["agent_a"]
            ),
        ],
    )
    .await;
    changes(
        app,
        "agent_a",
        vec![
            // connected (no time) then available, from 08:07 (05:07 in Montevideo)
            ("2026-03-02T08:07:00Z", connect()),
            ("2026-03-02T09:00:00Z", choose("lunch")),
            // A call during lunch, its after-call work, back to lunch.
            ("2026-03-02T09:40:30Z", Change::CallStarted),
            ("2026-03-02T09:50:00Z", Change::CallEnded { wrap_up: true }),
            ("2026-03-02T09:51:15Z", Change::WrapUpDone),
            // The network goes; half an hour later a new session (no restore).
            ("2026-03-02T10:00:00Z", off(DisconnectReason::Network)),
            ("2026-03-02T10:30:00Z", connect()),
            // 23:30 in Montevideo: an hour of overtime across its midnight.
            ("2026-03-03T02:30:00Z", choose("overtime")),
            ("2026-03-03T03:30:00Z", off(DisconnectReason::Logout)),
        ],
    )
    .await;
    // Connected at 01:00 in Montevideo and never again changed: counted up to the range's
    // end (the clock is past it).
    changes(app, "agent_b", vec![("2026-03-03T04:00:00Z", connect())]).await;
}

#[tokio::test]
async fn our_statuses_are_counted_by_hand_per_day_and_quarter_for_two_teams() {
    let app = TestApp::spawn().await;
    // uContact's rows of the same agent (ana) for team A only.
    import_rows(&app.store, app.team_a, DAY).await;
    day_of_changes(&app).await;
    let range = "from=2026-03-02&to=2026-03-03&time_zone=America/Montevideo";
    let a = report(&app, &format!("team={}&{range}", app.team_a)).await;
    let ana = row(&a, "ana", "2026-03-02");
    // available 08:07–09:00 and 10:30–02:30 (53 min + 16 h); lunch 09:00–09:40:30 and
    // 09:51:15–10:00; in call 9.5 min; after-call work 75 s; overtime until midnight.
    assert_eq!(
        statuses(ana),
        [
            ("available", 3180.0 + 57600.0),
            ("in-call", 570.0),
            ("lunch", 2430.0 + 525.0),
            ("overtime", 1800.0),
            ("wrap-up", 75.0)
        ]
    );
    assert_eq!(ana.connected, 66180.0);
    // uContact's numbers of the same agent on the same row: its session 08:00–12:00 UTC.
    assert_eq!(
        (ana.login, ana.on_break, ana.answered),
        (14400.0, 1800.0, 1)
    );
    assert_eq!(
        statuses(row(&a, "ana", "2026-03-03")),
        [("overtime", 1800.0)]
    );
    assert_eq!(row(&a, "ana", "2026-03-03").connected, 1800.0);
    // Agents of uContact's rows only have no time of ours; agent_b is not team A's.
    assert_eq!(row(&a, "beto", "2026-03-02").connected, 0.0);
    assert!(a.rows.iter().all(|r| r.agent != "agent_b"), "{:?}", a.rows);
    let total = a.totals.iter().find(|t| t.agent == "ana").unwrap();
    assert_eq!(total.connected, 67980.0);
    assert_eq!(total.statuses["overtime"], 3600.0);

    // Team B: the same user's time (presence is the user's), none of team A's queue_log,
    // and agent_b's status in force from 01:00 to the range's end (23 h).
    let b = report(&app, &format!("team={}&{range}", app.team_b)).await;
    let ana_b = row(&b, "ana", "2026-03-02");
    assert_eq!(ana_b.statuses, ana.statuses);
    assert_eq!((ana_b.login, ana_b.answered), (0.0, 0));
    assert_eq!(
        statuses(row(&b, "agent_b", "2026-03-03")),
        [("available", 82800.0)]
    );
    assert!(b.rows.iter().all(|r| r.agent != "beto"));
    // One agent asked for, by username when no uContact agent is set.
    let only = report(&app, &format!("team={}&{range}&agent=agent_b", app.team_b)).await;
    assert!(
        only.rows.iter().all(|r| r.agent == "agent_b"),
        "{:?}",
        only.rows
    );
    assert_eq!(only.totals.len(), 1);

    // By quarter hour in UTC: 08:07 leaves 8 minutes in the 08:00 quarter.
    let q = report(
        &app,
        &format!(
            "team={}&from=2026-03-02&to=2026-03-02&time_zone=UTC&interval=15min&agent=ana",
            app.team_a
        ),
    )
    .await;
    let quarter = |hm: &str| {
        q.rows
            .iter()
            .find(|r| r.start.format("%H:%M").to_string() == hm)
            .unwrap_or_else(|| panic!("no {hm} in {:?}", q.rows))
    };
    assert_eq!(statuses(quarter("08:00")), [("available", 480.0)]);
    assert_eq!(statuses(quarter("08:15")), [("available", 900.0)]);
    assert_eq!(
        statuses(quarter("09:45")),
        [("in-call", 300.0), ("lunch", 525.0), ("wrap-up", 75.0)]
    );
    assert!(q.rows.iter().all(|r| r.connected <= 900.0), "{:?}", q.rows);
    // Disconnected 10:00–10:30: uContact's row of that quarter, none of our time.
    assert_eq!(quarter("10:15").ring_no_answer, 1);
    assert!(quarter("10:15").statuses.is_empty());
    assert_eq!(quarter("10:15").connected, 0.0);

    // The CSV carries the same numbers.
    let admin = app.token("admin").await;
    let csv = app
        .http
        .get(app.url(&format!(
            "/api/v1/reports/agents?team={}&{range}&format=csv",
            app.team_b
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",connected,statuses"));
    assert!(
        csv.contains(",66180,available=60780;in-call=570;lunch=2955;overtime=1800;wrap-up=75\r\n"),
        "{csv}"
    );
}

/// agent_b: a shift, a sign-out, a break and an ACD value uContact reports while signed
/// out, a new session, a status chosen during a call (it waits: no event then), and
/// that status still in force.
async fn offline_and_queued(app: &TestApp) {
    changes(
        app,
        "agent_b",
        vec![
            ("2026-03-05T12:00:00Z", connect()),
            ("2026-03-05T13:00:00Z", off(DisconnectReason::Logout)),
            ("2026-03-05T14:00:00Z", choose("lunch")),
            (
                "2026-03-05T15:00:00Z",
                Change::Acd {
                    value: "timeout".into(),
                },
            ),
            ("2026-03-05T16:00:00Z", connect()),
            ("2026-03-05T16:30:00Z", Change::CallStarted),
            ("2026-03-05T16:40:00Z", choose("meeting")),
            ("2026-03-05T16:50:00Z", Change::CallEnded { wrap_up: false }),
        ],
    )
    .await;
}

#[tokio::test]
async fn time_signed_out_is_not_counted_and_the_status_in_force_is() {
    let app = TestApp::spawn().await;
    offline_and_queued(&app).await;
    let day = |d: &str| format!("team={}&from={d}&to={d}&time_zone=UTC", app.team_b);
    let r = report(&app, &day("2026-03-05")).await;
    let b = row(&r, "agent_b", "2026-03-05");
    // available 12:00–13:00 and 16:00–16:30; the call 16:30–16:50 (the choice made
    // during it waited); then the meeting chosen, still in force at midnight. Lunch and
    // the ACD's timeout came while signed out: no time.
    assert_eq!(
        statuses(b),
        [
            ("available", 5400.0),
            ("in-call", 1200.0),
            ("meeting", 25800.0)
        ]
    );
    assert_eq!(b.connected, 32400.0);
    // The agent's status-time chart follows the same rule.
    let admin = app.token("admin").await;
    let chart: agentdesk_protocol::StatusTime = app
        .get_as(
            &format!(
                "/api/v1/agents/{}/status-time?from=2026-03-05&to=2026-03-05",
                app.users["agent_b"]
            ),
            &admin,
        )
        .await;
    let mut seconds: Vec<(String, u64)> = chart.days[0].seconds.clone();
    seconds.sort();
    assert_eq!(
        seconds,
        b.statuses
            .iter()
            .map(|(k, v)| (k.clone(), *v as u64))
            .collect::<Vec<_>>()
    );
    // A status set through the API before any console session counts (not signed out).
    changes(
        &app,
        "agent_a",
        vec![
            ("2026-03-05T10:00:00Z", choose("training")),
            ("2026-03-05T11:30:00Z", connect()),
        ],
    )
    .await;
    let a = report(
        &app,
        &format!(
            "team={}&from=2026-03-05&to=2026-03-05&time_zone=UTC",
            app.team_a
        ),
    )
    .await;
    assert_eq!(
        statuses(row(&a, "agent_a", "2026-03-05")),
        [("available", 45000.0), ("training", 5400.0)]
    );
    // A range that starts in the middle of it: the whole day.
    let r = report(&app, &day("2026-03-06")).await;
    assert_eq!(
        statuses(row(&r, "agent_b", "2026-03-06")),
        [("meeting", 86400.0)]
    );

    // A status in force now counts up to now (two hours ago, on the server's clock).
    let now = agentdesk_server::clock::now();
    let two_hours_ago = (now - chrono::Duration::hours(2)).to_rfc3339();
    changes(&app, "mailer_a", vec![(two_hours_ago.as_str(), connect())]).await;
    let r = report(
        &app,
        &format!(
            "team={}&from={}&to={}&time_zone=UTC&agent=mailer_a",
            app.team_a,
            (now - chrono::Duration::hours(2)).date_naive(),
            now.date_naive()
        ),
    )
    .await;
    let total = r.totals[0].connected;
    assert!((7200.0..7260.0).contains(&total), "{total}");
}

#[tokio::test]
async fn a_dst_day_has_twenty_three_hours_of_status() {
    let app = TestApp::spawn().await;
    // Madrid moves from +01 to +02 at 02:00 on 2026-03-29.
    changes(
        &app,
        "mailer_a",
        vec![
            ("2026-03-28T22:00:00Z", connect()),
            ("2026-03-29T23:30:00Z", off(DisconnectReason::Logout)),
        ],
    )
    .await;
    let r = report(
        &app,
        &format!(
            "team={}&from=2026-03-28&to=2026-03-30&time_zone=Europe/Madrid",
            app.team_a
        ),
    )
    .await;
    let day = |d: &str| row(&r, "mailer_a", d).connected;
    assert_eq!(
        (day("2026-03-28"), day("2026-03-29"), day("2026-03-30")),
        (3600.0, 82800.0, 5400.0)
    );
    // By hour the short day has 23 rows of a full hour.
    let h = report(
        &app,
        &format!(
            "team={}&from=2026-03-29&to=2026-03-29&time_zone=Europe/Madrid&interval=hour",
            app.team_a
        ),
    )
    .await;
    let hours: Vec<f64> = h.rows.iter().map(|r| r.connected).collect();
    assert_eq!(hours, vec![3600.0; 23]);
}

#[tokio::test]
async fn the_rebuild_and_the_migrations_backfill_equal_what_the_changes_kept() {
    let app = TestApp::spawn().await;
    day_of_changes(&app).await;
    offline_and_queued(&app).await;
    // Many short changes, some within one millisecond of each other.
    let mut more = Vec::new();
    let times: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "2026-03-04T10:{:02}:{:02}.{:03}Z",
                i / 3,
                (i * 7) % 60,
                i % 2
            )
        })
        .collect();
    for (i, t) in times.iter().enumerate() {
        let c = match i % 4 {
            0 => connect(),
            1 => choose(["lunch", "training", "available"][i % 3]),
            2 => Change::Acd {
                value: "occupying".into(),
            },
            _ => off(DisconnectReason::Timeout),
        };
        more.push((t.as_str(), c));
    }
    more.sort_by_key(|(t, _)| at(t));
    changes(&app, "mailer_a", more).await;
    let kept = rollup_rows(&app.db_url).await;
    assert!(kept.len() > 10, "{kept:?}");
    assert!(kept.iter().all(|r| r.3 > 0 && r.3 <= 900_000), "{kept:?}");
    assert!(kept.iter().all(|r| r.2 != "disconnected"));

    app.store.rebuild_reports(None).await.unwrap();
    assert_eq!(rollup_rows(&app.db_url).await, kept);
    app.store.rebuild_reports(Some(app.team_b)).await.unwrap();
    assert_eq!(rollup_rows(&app.db_url).await, kept);

    rerun_backfill(
        &app.db_url,
        &["report_status"],
        "0039_report_status.sql",
        "0040_report_status.sql",
    )
    .await;
    assert_eq!(rollup_rows(&app.db_url).await, kept);
    rerun_backfill(
        &app.db_url,
        &DAY_TABLES,
        "0040_report_days.sql",
        "0041_report_days.sql",
    )
    .await;
    assert_eq!(rollup_rows(&app.db_url).await, kept);

    // A clock that steps back adds nothing (no negative time) and loses nothing kept:
    // agent_b has been in a meeting since 2026-03-05.
    let before = rollup_rows(&app.db_url).await;
    changes(
        &app,
        "agent_b",
        vec![("2026-03-03T03:00:00Z", choose("training"))],
    )
    .await;
    let after = rollup_rows(&app.db_url).await;
    assert!(after.iter().all(|r| r.3 > 0));
    assert_eq!(after, before);
}
