//! Reports from uContact's queue_log (docs/reports.md): every metric computed by hand
//! from a small sequence covering each event of the seed's table, odd ones included
//! (an ABANDON whose ENTERQUEUE is the day before, a hold the caller hung up on, a
//! session across midnight, an unknown event, an unreadable number), the same file
//! imported for a second team, and roll-ups kept row by row equal to rebuilt ones.

use agentdesk_protocol::report::{AgentReport, QueueReport, QueueRow};
use agentdesk_server::ingest::ccrepo::{self, Options, Table};
use agentdesk_server::report::cli::{Format, ReportArgs, ReportCommand};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, expect_error};

const HEADER: &str = "origid,datetime,callid,queuename,agent,event,data1,data2,data3,data4,data5\n";

/// The hand-checked day, 2026-03-02 (UTC), campaign Ventas unless said.
pub(crate) const DAY: &str = "\
1,2026-03-01 23:59:00,c0,Ventas,NONE,ENTERQUEUE,,099000001,,,
2,2026-03-02 00:00:40,c0,Ventas,NONE,ABANDON,3,1,50,,
3,2026-03-02 08:00:00,,NONE,ana,AGENTLOGIN,,,,,
4,2026-03-02 10:00:00,c1,Ventas,NONE,ENTERQUEUE,,099000002,,,
5,2026-03-02 10:00:10,c1,Ventas,ana,CONNECT,10,b1,3,,
6,2026-03-02 10:01:00,c1,Ventas,ana,HOLD,SIP/1,,,,
7,2026-03-02 10:01:30,c1,Ventas,ana,UNHOLD,SIP/1,,,,
8,2026-03-02 10:05:10,c1,Ventas,ana,COMPLETEAGENT,10,300,1,,
9,2026-03-02 10:05:40,c1,Ventas,ana,FINISHWRAPUP,10,40,c1,,
10,2026-03-02 10:02:00,c2,Ventas,NONE,ENTERQUEUE,,099000003,,,
11,2026-03-02 10:02:30,c2,Ventas,beto,CONNECT,30,b2,2,,
12,2026-03-02 10:03:00,c2,Ventas,beto,HOLD,SIP/2,,,,
13,2026-03-02 10:04:00,c2,Ventas,beto,COMPLETECALLER,30,60,2,,
14,2026-03-02 10:06:00,c3,Ventas,NONE,ENTERQUEUE,,099000004,,,
15,2026-03-02 10:06:45,c3,Ventas,NONE,ABANDON,2,1,45,,
16,2026-03-02 10:07:00,c4,Ventas,NONE,ENTERQUEUE,,099000005,,,
17,2026-03-02 10:07:05,c4,Ventas,NONE,EXITEMPTY,1,1,5,,
18,2026-03-02 10:08:00,c5,Ventas,NONE,ENTERQUEUE,,099000006,,,
19,2026-03-02 10:08:20,c5,Ventas,NONE,EXITWITHKEY,5,1,1,20,
20,2026-03-02 10:09:00,c6,Ventas,NONE,ENTERQUEUE,,099000007,,,
21,2026-03-02 10:11:00,c6,Ventas,NONE,EXITWITHTIMEOUT,1,1,120,,
22,2026-03-02 10:20:00,c7,Ventas,NONE,ENTERQUEUE,,099000008,,,
23,2026-03-02 10:20:15,c7,Ventas,ana,RINGNOANSWER,15000,,,,
24,2026-03-02 10:20:25,c7,Ventas,beto,CONNECT,25,b7,10,,
25,2026-03-02 10:22:25,c7,Ventas,beto,BLINDTRANSFER,200,from-internal,25,120,1
26,2026-03-02 10:30:00,o1,Ventas,ana,OUTCALL,ANSWER,90,95,099111111,o1
27,2026-03-02 10:31:00,o2,Ventas,ana,OUTCALL,BUSY,0,5,099111112,o2
28,2026-03-02 10:32:00,o3,Ventas,beto,OUTCALL,CHANUNAVAIL,0,0,099111113,o3
29,2026-03-02 10:33:00,c9,Ventas,NONE,FOOBAR,,,,,
30,2026-03-02 10:40:00,c8,Soporte,NONE,ENTERQUEUE,,099000009,,,
31,2026-03-02 10:40:05,c8,Soporte,carla,CONNECT,abc,b8,1,,
32,2026-03-02 11:00:00,,NONE,ana,BREAK,LUNCH,,,,
33,2026-03-02 11:30:00,,NONE,ana,UNBREAK,LUNCH,,1800,,
34,2026-03-02 12:00:00,,NONE,ana,AGENTLOGOFF,14400,,,,
35,2026-03-02 12:00:00,,NONE,ana,PAUSE,,,,,
36,2026-03-03 01:00:00,,NONE,dora,AGENTLOGOFF,7200,,,,
";

/// Import queue_log rows (CSV lines after the header) for `team`.
pub(crate) async fn import_rows(
    store: &agentdesk_server::store::DynStore,
    team: i64,
    body: &str,
) -> ccrepo::Summary {
    ccrepo::import_reader(
        store,
        std::io::Cursor::new(format!("{HEADER}{body}").into_bytes()),
        None,
        &Options {
            table: Table::QueueLog,
            team_id: team,
            time_zone: chrono_tz::Tz::UTC,
            phone_region: "UY",
            encoding: ccrepo::Encoding::Utf8,
            progress: false,
        },
    )
    .await
    .expect("import")
}

async fn import(app: &TestApp, team: i64, body: &str) -> ccrepo::Summary {
    import_rows(&app.store, team, body).await
}

fn total<'a>(r: &'a QueueReport, campaign: &str) -> &'a QueueRow {
    r.totals
        .iter()
        .find(|t| t.campaign == campaign)
        .unwrap_or_else(|| panic!("no {campaign} in {:?}", r.totals))
}

#[tokio::test]
async fn every_queue_metric_matches_the_hand_count() {
    let app = TestApp::spawn().await;
    let s = import(&app, app.team_a, DAY).await;
    assert_eq!((s.imported, s.rejected), (36, 0), "{s}");
    let sup = app.token("super_a").await;
    let path = |extra: &str| {
        format!(
            "/api/v1/reports/queue?team={}&from=2026-03-02&to=2026-03-02&time_zone=UTC{extra}",
            app.team_a
        )
    };
    let r: QueueReport = app.get_as(&path(""), &sup).await;
    assert_eq!(r.campaigns, ["Soporte", "Ventas"]);
    let v = total(&r, "Ventas");
    // c1..c7 entered the queue that day; c0 the day before.
    assert_eq!(v.offered, 7);
    assert_eq!((v.answered, v.abandoned), (3, 2));
    assert_eq!(
        (v.exit_empty, v.exit_with_key, v.exit_with_timeout),
        (1, 1, 1)
    );
    // 5 lost of 8 that left the queue.
    assert_eq!(v.abandon_rate, Some(62.5));
    // Waits 10, 30, 25: mean 21.67, nearest-rank p90 30.
    assert_eq!(v.avg_answer_wait, Some(21.67));
    assert_eq!(v.p90_answer_wait, Some(30));
    // 50, 45, 5, 20 (EXITWITHKEY's fourth field), 120.
    assert_eq!(v.avg_abandon_wait, Some(48.0));
    // Within 20 s: c1 only, of 8.
    assert_eq!((v.service_level, v.service_level_secs), (Some(12.5), 20));
    // COMPLETEAGENT 300, COMPLETECALLER 60, BLINDTRANSFER 120 (its fourth field).
    assert_eq!((v.completed, v.avg_talk), (3, Some(160.0)));
    assert_eq!((v.agent_hung_up, v.caller_hung_up, v.transfers), (1, 1, 1));
    assert_eq!(v.ring_no_answer, 1);
    assert_eq!(
        (
            v.outbound,
            v.outbound_answered,
            v.outbound_busy,
            v.outbound_no_answer,
            v.outbound_other
        ),
        (3, 1, 1, 0, 1)
    );
    assert_eq!(v.avg_outbound_duration, Some(30.0));
    // c1: HOLD→UNHOLD 30 s; c2: no UNHOLD, the caller hung up 60 s later.
    assert_eq!((v.holds, v.avg_hold), (2, Some(45.0)));
    // 40 s of wrap-up with 10 left.
    assert_eq!((v.wrap_ups, v.avg_wrap_up), (1, Some(30.0)));
    assert_eq!((v.unknown_events, v.unreadable_values), (1, 0));
    // Soporte: one answer whose wait could not be read (counted as 0, and reported).
    let s = total(&r, "Soporte");
    assert_eq!((s.offered, s.answered, s.unreadable_values), (1, 1, 1));
    assert_eq!((s.service_level, s.p90_answer_wait), (Some(100.0), Some(0)));
    // Everything: 2 of 9 within their campaign's 20 s.
    assert_eq!((r.total.offered, r.total.answered), (8, 4));
    assert_eq!(r.total.service_level, Some(22.22));

    // A threshold of 30 s for Ventas: c1, c2, c7 are within it.
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Ventas",
            Some(&admin),
            Some(&json!({ "name": "Ventas", "service_level_secs": 30 })),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let r: QueueReport = app.get_as(&path(""), &sup).await;
    let v = total(&r, "Ventas");
    assert_eq!((v.service_level, v.service_level_secs), (Some(37.5), 30));
    // Campaigns with different thresholds: the grand total says so with 0.
    assert_eq!(r.total.service_level_secs, 0);
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Ventas",
            Some(&admin),
            Some(&json!({ "name": "Ventas", "service_level_secs": 0 })),
        )
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.error.field.as_deref(), Some("service_level_secs"));

    // By hour: c0's abandon alone at 00:00, the rest at 10:00.
    let r: QueueReport = app
        .get_as(&path("&interval=hour&campaign=Ventas"), &sup)
        .await;
    let hours: Vec<(String, u64, u64)> = r
        .rows
        .iter()
        .map(|x| (x.start.to_rfc3339(), x.offered, x.abandoned))
        .collect();
    assert_eq!(
        hours,
        [
            ("2026-03-02T00:00:00+00:00".to_string(), 0, 1),
            ("2026-03-02T10:00:00+00:00".to_string(), 7, 1)
        ]
    );
    assert!(r.totals.iter().all(|t| t.campaign == "Ventas"));
    // The day before holds c0's ENTERQUEUE only.
    let r: QueueReport = app
        .get_as(
            &format!(
                "/api/v1/reports/queue?team={}&from=2026-03-01&to=2026-03-01&time_zone=UTC",
                app.team_a
            ),
            &sup,
        )
        .await;
    assert_eq!(
        (r.total.offered, r.total.abandoned, r.total.abandon_rate),
        (1, 0, None)
    );
}

#[tokio::test]
async fn every_agent_metric_matches_the_hand_count() {
    let app = TestApp::spawn().await;
    import(&app, app.team_a, DAY).await;
    let sup = app.token("super_a").await;
    let r: AgentReport = app
        .get_as(
            &format!(
                "/api/v1/reports/agents?team={}&from=2026-03-02&to=2026-03-03&time_zone=UTC",
                app.team_a
            ),
            &sup,
        )
        .await;
    let row = |agent: &str, day: &str| {
        r.rows
            .iter()
            .find(|x| x.agent == agent && x.start.date_naive().to_string() == day)
            .unwrap_or_else(|| panic!("no {agent} {day} in {:?}", r.rows))
    };
    let ana = row("ana", "2026-03-02");
    assert_eq!((ana.login, ana.on_break, ana.breaks), (14400.0, 1800.0, 1));
    assert_eq!(ana.break_reasons.get("LUNCH"), Some(&1800.0));
    assert_eq!(
        (ana.answered, ana.handled, ana.ring_no_answer, ana.outbound),
        (1, 1, 1, 2)
    );
    assert_eq!((ana.talk, ana.hold, ana.wrap_up), (300.0, 30.0, 30.0));
    assert_eq!(ana.avg_handle, Some(360.0));
    // 360 s busy of 12,600 s logged in and not on break.
    assert_eq!(ana.occupancy, Some(2.86));
    let beto = row("beto", "2026-03-02");
    assert_eq!((beto.answered, beto.handled, beto.outbound), (2, 2, 1));
    assert_eq!((beto.talk, beto.hold), (180.0, 60.0));
    assert_eq!((beto.avg_handle, beto.occupancy), (Some(120.0), None));
    assert_eq!(row("carla", "2026-03-02").answered, 1);
    // A session across midnight: an hour on each day.
    assert_eq!(row("dora", "2026-03-02").login, 3600.0);
    assert_eq!(row("dora", "2026-03-03").login, 3600.0);
    assert!(
        r.rows
            .iter()
            .all(|x| x.agent != "NONE" && !x.agent.is_empty())
    );
    // By hour: ana's four logged-in hours, half of the last on break.
    let r: AgentReport = app
        .get_as(
            &format!(
                "/api/v1/reports/agents?team={}&from=2026-03-02&to=2026-03-02&time_zone=UTC&interval=hour&agent=ana",
                app.team_a
            ),
            &sup,
        )
        .await;
    let hours: Vec<(u32, f64, f64)> = r
        .rows
        .iter()
        .map(|x| (chrono::Timelike::hour(&x.start), x.login, x.on_break))
        .collect();
    assert_eq!(
        hours,
        [
            (8, 3600.0, 0.0),
            (9, 3600.0, 0.0),
            (10, 3600.0, 0.0),
            (11, 3600.0, 1800.0)
        ]
    );
}

#[tokio::test]
async fn days_and_hours_follow_the_zone_across_dst_changes() {
    let app = TestApp::spawn().await;
    // Madrid: 2026-03-29 02:00 → 03:00; 2026-10-25 03:00 → 02:00.
    let rows = "\
1,2026-03-28 22:30:00,d1,Ventas,NONE,ENTERQUEUE,,,,,
2,2026-03-28 23:30:00,d2,Ventas,NONE,ENTERQUEUE,,,,,
3,2026-03-29 00:30:00,d3,Ventas,NONE,ENTERQUEUE,,,,,
4,2026-03-29 01:30:00,d4,Ventas,NONE,ENTERQUEUE,,,,,
5,2026-10-25 00:30:00,d5,Ventas,NONE,ENTERQUEUE,,,,,
6,2026-10-25 01:30:00,d6,Ventas,NONE,ENTERQUEUE,,,,,
";
    import(&app, app.team_a, rows).await;
    let sup = app.token("super_a").await;
    let get = |from: &'static str, to: &'static str, interval: &'static str| {
        let path = format!(
            "/api/v1/reports/queue?team={}&from={from}&to={to}&interval={interval}&time_zone=Europe/Madrid",
            app.team_a
        );
        let (app, sup) = (&app, &sup);
        async move {
            let r: QueueReport = app.get_as(&path, sup).await;
            r.rows
                .iter()
                .map(|x| (x.start.to_rfc3339(), x.offered))
                .collect::<Vec<_>>()
        }
    };
    // 23:30 UTC on the 28th is the 29th in Madrid.
    assert_eq!(
        get("2026-03-28", "2026-03-29", "day").await,
        [
            ("2026-03-28T00:00:00+01:00".to_string(), 1),
            ("2026-03-29T00:00:00+01:00".to_string(), 3)
        ]
    );
    // The 29th's hours: 00, 01, then 03 in summer time (02:00 does not exist).
    assert_eq!(
        get("2026-03-29", "2026-03-29", "hour").await,
        [
            ("2026-03-29T00:00:00+01:00".to_string(), 1),
            ("2026-03-29T01:00:00+01:00".to_string(), 1),
            ("2026-03-29T03:00:00+02:00".to_string(), 1)
        ]
    );
    // 02:30 happens twice on 25 October: two hours, each with its own offset.
    assert_eq!(
        get("2026-10-25", "2026-10-25", "hour").await,
        [
            ("2026-10-25T02:00:00+02:00".to_string(), 1),
            ("2026-10-25T02:00:00+01:00".to_string(), 1)
        ]
    );
    // Kathmandu (+05:45): 22:30 UTC on the 28th is already the 29th there.
    let path = format!(
        "/api/v1/reports/queue?team={}&from=2026-03-28&to=2026-03-29&time_zone=Asia/Kathmandu",
        app.team_a
    );
    let r: QueueReport = app.get_as(&path, &sup).await;
    let days: Vec<(String, u64)> = r
        .rows
        .iter()
        .map(|x| (x.start.to_rfc3339(), x.offered))
        .collect();
    assert_eq!(days, [("2026-03-29T00:00:00+05:45".to_string(), 4)]);
    // The week of Monday 23 March holds all four March rows.
    assert_eq!(
        get("2026-03-23", "2026-03-29", "week").await,
        [("2026-03-23T00:00:00+01:00".to_string(), 4)]
    );
    // Quarter hours over a month are allowed; over two, refused.
    let res = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/reports/queue?team={}&from=2026-01-01&to=2026-03-01&interval=15min",
                app.team_a
            ),
            Some(&sup),
            None::<&()>,
        )
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.error.field.as_deref(), Some("to"));
}

#[tokio::test]
async fn each_team_reports_its_own_rows_and_bad_asks_are_named() {
    let app = TestApp::spawn().await;
    import(&app, app.team_a, DAY).await;
    // Team B imports the first half of the same export: its own copy, its own report.
    let half: String = DAY.lines().take(12).map(|l| format!("{l}\n")).collect();
    let s = import(&app, app.team_b, &half).await;
    assert_eq!(s.imported, 12);
    let admin = app.token("admin").await;
    let q = |team: i64| {
        format!("/api/v1/reports/queue?team={team}&from=2026-03-02&to=2026-03-02&time_zone=UTC")
    };
    let a: QueueReport = app.get_as(&q(app.team_a), &admin).await;
    let b: QueueReport = app.get_as(&q(app.team_b), &admin).await;
    assert_eq!((a.total.offered, b.total.offered), (8, 2));
    assert_eq!((a.total.holds, b.total.holds), (2, 2));
    // B's c2 has no end in B's rows: its hold is open, so counted without a length.
    assert_eq!(b.total.avg_hold, Some(15.0));
    // Team A's supervisor: A's report, no B's (404 as for a team that does not exist).
    let sup = app.token("super_a").await;
    let mine: QueueReport = app.get_as(&q(app.team_a), &sup).await;
    assert_eq!(mine, a);
    for team in [app.team_b, 999_999] {
        let res = app
            .call(Method::GET, &q(team), Some(&sup), None::<&()>)
            .await;
        expect_error(res, StatusCode::NOT_FOUND).await;
    }
    // One team: the team may be left out.
    let no_team: QueueReport = app
        .get_as(
            "/api/v1/reports/queue?from=2026-03-02&to=2026-03-02&time_zone=UTC",
            &sup,
        )
        .await;
    assert_eq!(no_team, a);
    // An admin of several teams must choose.
    let res = app
        .call(
            Method::GET,
            "/api/v1/reports/queue",
            Some(&admin),
            None::<&()>,
        )
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.error.field.as_deref(), Some("team"));
    // Agents read no reports.
    let agent = app.token("agent_a").await;
    let res = app
        .call(Method::GET, &q(app.team_a), Some(&agent), None::<&()>)
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
    // Hostile asks: each a 422 naming its field, never a 500.
    for (extra, field) in [
        ("&time_zone=Mars/Olympus", "time_zone"),
        ("&interval=minute", "interval"),
        ("&from=2026-13-01", "from"),
        ("&from=2026-03-05&to=2026-03-01", "from"),
        ("&format=xml", "format"),
        ("&campaign=%00", "campaign"),
    ] {
        let path = format!("/api/v1/reports/queue?team={}{extra}", app.team_a);
        let res = app.call(Method::GET, &path, Some(&sup), None::<&()>).await;
        let status = res.status();
        let e = expect_error(res, status).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{extra}: {status}"
        );
        assert!(
            e.error.field.as_deref() == Some(field) || e.error.message.contains(field),
            "{extra}: {e:?}"
        );
    }
}

#[tokio::test]
async fn csv_api_and_command_print_the_same_numbers() {
    let app = TestApp::spawn().await;
    import(&app, app.team_a, DAY).await;
    let sup = app.token("super_a").await;
    for (kind, cmd) in [("queue", true), ("agents", false)] {
        let path = format!(
            "/api/v1/reports/{kind}?team={}&from=2026-03-02&to=2026-03-02&time_zone=UTC&interval=hour",
            app.team_a
        );
        let res = app
            .call(
                Method::GET,
                &format!("{path}&format=csv"),
                Some(&sup),
                None::<&()>,
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let by_param = res.text().await.unwrap();
        let res = app
            .http
            .get(app.url(&path))
            .bearer_auth(&sup)
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert_eq!(res.text().await.unwrap(), by_param);
        let args = ReportArgs {
            team: "Team A".into(),
            from: "2026-03-02".parse().ok(),
            to: "2026-03-02".parse().ok(),
            interval: agentdesk_protocol::report::Interval::Hour,
            time_zone: "UTC".into(),
            campaign: None,
            agent: None,
            group_by: None,
            channel: None,
            direction: None,
            filter: Vec::new(),
            format: Format::Csv,
        };
        let printed = agentdesk_server::report::cli::report(
            &app.store,
            if cmd {
                ReportCommand::Queue(args.clone())
            } else {
                ReportCommand::Agents(args.clone())
            },
        )
        .await
        .unwrap();
        assert_eq!(printed, by_param, "{kind}");
        assert!(by_param.lines().count() > 3, "{by_param}");
        // JSON: the command's and the API's are the same report.
        let json = agentdesk_server::report::cli::report(
            &app.store,
            if cmd {
                ReportCommand::Queue(ReportArgs {
                    format: Format::Json,
                    team: app.team_a.to_string(),
                    ..args
                })
            } else {
                ReportCommand::Agents(ReportArgs {
                    format: Format::Json,
                    team: app.team_a.to_string(),
                    ..args
                })
            },
        )
        .await
        .unwrap();
        let api: serde_json::Value = app.get_as(&path, &sup).await;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            api
        );
    }
}
