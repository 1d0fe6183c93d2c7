//! The conversations report: a team's interactions grouped by a conversation attribute,
//! their channel or direction, filtered by attribute values, with measures summed and
//! averaged — computed by hand from calls and tickets two teams ingest with the same ids
//! (a later replay overriding a value, an invalid measure, a conversation without
//! attributes, a deletion); hostile parameters; the busiest groups and `other`; the CSV
//! and the command print the same numbers; the rebuild and the migration's backfill equal
//! what the writes kept.

use std::collections::BTreeMap;

use agentdesk_protocol::IngestResult;
use agentdesk_protocol::report::{ConversationReport, ConversationRow, MAX_GROUPS};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::linking::integration;
use crate::support::{TestApp, expect_error, rerun_backfill};

async fn ingest(app: &TestApp, token: &str, path: &str, body: Value) -> IngestResult {
    let res = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

fn call(id: &str, direction: &str, at: &str, campaign: &str, attributes: Value) -> Value {
    json!({"id": id, "direction": direction, "number": "+59899123456", "at": at,
        "duration_secs": 60, "campaign": campaign, "attributes": attributes})
}

async fn report(app: &TestApp, token: &str, query: &str) -> ConversationReport {
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/reports/conversations?{query}"),
            Some(token),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    res.json().await.unwrap()
}

/// Group value → (conversations, inbound, outbound) over the range.
fn totals(r: &ConversationReport) -> BTreeMap<Option<String>, (u64, u64, u64)> {
    r.totals
        .iter()
        .map(|t| (t.value.clone(), (t.conversations, t.inbound, t.outbound)))
        .collect()
}

fn group<'a>(r: &'a ConversationReport, value: Option<&str>) -> &'a ConversationRow {
    r.totals
        .iter()
        .find(|t| t.value.as_deref() == value)
        .unwrap_or_else(|| panic!("no group {value:?} in {:?}", r.totals))
}

fn some(v: &str) -> Option<String> {
    Some(v.to_owned())
}

/// Team A's calls and a ticket, and team B's calls with the same ids (other values):
/// what the tests below count by hand. Returns team A's activity ids by call id.
async fn seed(app: &TestApp) -> BTreeMap<&'static str, i64> {
    let a = integration(app, "flex-a", app.team_a).await;
    let b = integration(app, "flex-b", app.team_b).await;
    let mut ids = BTreeMap::new();
    let calls = [
        (
            "c1",
            "inbound",
            "2026-03-02T10:00:00Z",
            "Ventas",
            json!({"abandoned": "No", "conversation_measure_1": 10, "hold_time": 5}),
        ),
        (
            "c2",
            "inbound",
            "2026-03-02T23:30:00Z",
            "Ventas",
            json!({"abandoned": "Yes", "conversation_measure_1": "20"}),
        ),
        // An invalid measure is not kept (the rest is).
        (
            "c3",
            "outbound",
            "2026-03-03T10:00:00Z",
            "Soporte",
            json!({"conversation_measure_1": "abc", "conversation_label_1": "VIP"}),
        ),
        // No campaign, no attributes.
        ("c4", "inbound", "2026-03-03T12:00:00Z", "", json!({})),
        // Deleted below: counted nowhere.
        (
            "c5",
            "inbound",
            "2026-03-03T13:00:00Z",
            "Ventas",
            json!({"abandoned": "No"}),
        ),
        // Outside the range (the day after).
        ("c6", "inbound", "2026-03-04T00:00:00Z", "Ventas", json!({})),
    ];
    for (id, dir, at, campaign, attrs) in calls {
        let r = ingest(
            app,
            &a,
            "/api/v1/ingest/call",
            call(id, dir, at, campaign, attrs),
        )
        .await;
        ids.insert(id, r.activity_id);
        // Team B: the same ids, its own values.
        ingest(
            app,
            &b,
            "/api/v1/ingest/call",
            call(
                id,
                dir,
                at,
                "Ventas",
                json!({"abandoned": "Yes", "conversation_measure_1": 1000}),
            ),
        )
        .await;
    }
    // A later replay of c1 overrides one measure and adds a label (a later value wins).
    ingest(
        app,
        &a,
        "/api/v1/ingest/call",
        call(
            "c1",
            "inbound",
            "2026-03-02T10:00:00Z",
            "Ventas",
            json!({"conversation_measure_1": 15, "conversation_label_1": "VIP"}),
        ),
    )
    .await;
    // A ticket of campaign Ventas (tickets are inbound).
    let t = ingest(
        app,
        &a,
        "/api/v1/ingest/ticket",
        json!({"ticket_id": "T-1", "event": "created", "subject": "Baja", "status": "open",
            "at": "2026-03-03T09:00:00Z", "customer": {"phone": "099 000 111"},
            "attributes": {"campaign": "Ventas", "abandoned": "No", "conversation_measure_1": 2.5}}),
    )
    .await;
    ids.insert("t1", t.activity_id);
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/activities/{}", ids["c5"]),
            Some(&admin),
            None::<&()>,
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    ids
}

const RANGE: &str = "from=2026-03-02&to=2026-03-03&time_zone=UTC";

#[tokio::test]
async fn conversations_are_grouped_filtered_and_measured_as_counted_by_hand() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let sup = app.token("super_a").await;

    let r = report(&app, &sup, &format!("{RANGE}&group_by=campaign")).await;
    assert_eq!(r.group_by, "campaign");
    assert_eq!(
        totals(&r),
        BTreeMap::from([
            (some("Ventas"), (3, 3, 0)),
            (some("Soporte"), (1, 0, 1)),
            (None, (1, 1, 0)),
        ])
    );
    // Busiest first.
    assert_eq!(r.totals[0].value.as_deref(), Some("Ventas"));
    let ventas = group(&r, Some("Ventas"));
    let m1 = &ventas.measures["conversation_measure_1"];
    // c1's 15 (its replay's), c2's 20, the ticket's 2.5; team B's 1000 nowhere.
    assert_eq!((m1.count, m1.sum, m1.avg), (3, 37.5, Some(12.5)));
    assert_eq!(ventas.measures["hold_time"].sum, 5.0);
    assert!(
        !group(&r, Some("Soporte"))
            .measures
            .contains_key("conversation_measure_1")
    );
    assert_eq!(
        (r.total.conversations, r.total.inbound, r.total.outbound),
        (5, 4, 1)
    );
    assert_eq!(r.total.measures["conversation_measure_1"].count, 3);
    // By day: 2 March has c1 and c2 (Ventas); 3 March the ticket, c3 and c4.
    let days: Vec<(String, Option<String>, u64)> = r
        .rows
        .iter()
        .map(|row| {
            (
                row.start.date_naive().to_string(),
                row.value.clone(),
                row.conversations,
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-03-02".into(), some("Ventas"), 2),
            ("2026-03-03".into(), some("Ventas"), 1),
            ("2026-03-03".into(), some("Soporte"), 1),
            ("2026-03-03".into(), None, 1),
        ]
    );
    assert!(
        r.attributes
            .iter()
            .any(|d| d.name == "conversation_measure_10" && d.kind == "number")
    );
    assert!(
        !r.attributes.iter().any(|d| d.name == "plan"),
        "customer attributes are not"
    );

    // In Montevideo (UTC−3) c2 (23:30 UTC) is on 2 March still and the ticket (09:00 UTC)
    // on 3 March; by week everything is one row per group.
    let r = report(
        &app,
        &sup,
        "from=2026-03-02&to=2026-03-03&time_zone=America/Montevideo&group_by=campaign&interval=week",
    )
    .await;
    assert!(
        r.rows
            .iter()
            .all(|row| row.start.date_naive().to_string() == "2026-03-02")
    );
    assert_eq!(r.rows.len(), 3);

    // Filters: one value, "without it", two at once, with a channel and a direction.
    let q = |extra: &str| format!("{RANGE}&group_by=campaign&{extra}");
    let r = report(&app, &sup, &q("filter=abandoned:No")).await;
    assert_eq!(totals(&r), BTreeMap::from([(some("Ventas"), (2, 2, 0))]));
    let r = report(&app, &sup, &q("filter=abandoned:")).await;
    assert_eq!(
        totals(&r),
        BTreeMap::from([(some("Soporte"), (1, 0, 1)), (None, (1, 1, 0))])
    );
    let r = report(
        &app,
        &sup,
        &q("filter=abandoned:No&filter=conversation_label_1:VIP"),
    )
    .await;
    assert_eq!(totals(&r), BTreeMap::from([(some("Ventas"), (1, 1, 0))]));
    assert_eq!(r.total.measures["conversation_measure_1"].sum, 15.0);
    let r = report(&app, &sup, &q("channel=ticket")).await;
    assert_eq!(totals(&r), BTreeMap::from([(some("Ventas"), (1, 1, 0))]));
    let r = report(&app, &sup, &q("direction=outbound")).await;
    assert_eq!(totals(&r), BTreeMap::from([(some("Soporte"), (1, 0, 1))]));
    // Grouped by channel and by direction, filtered by campaign.
    let r = report(
        &app,
        &sup,
        &format!("{RANGE}&group_by=channel&filter=campaign:Ventas"),
    )
    .await;
    assert_eq!(
        totals(&r),
        BTreeMap::from([(some("call"), (2, 2, 0)), (some("ticket"), (1, 1, 0))])
    );
    let r = report(&app, &sup, &format!("{RANGE}&group_by=direction")).await;
    assert_eq!(
        totals(&r),
        BTreeMap::from([(some("inbound"), (4, 4, 0)), (some("outbound"), (1, 0, 1))])
    );
    // A value nobody has: nothing, not an error.
    let r = report(&app, &sup, &q("filter=campaign:Nadie")).await;
    assert!(r.rows.is_empty() && r.totals.is_empty() && r.total.conversations == 0);

    // Team B sees its own: five calls in range (c5 not deleted there), all "Yes".
    let admin = app.token("admin").await;
    let r = report(
        &app,
        &admin,
        &format!("{RANGE}&team={}&group_by=abandoned", app.team_b),
    )
    .await;
    assert_eq!(totals(&r), BTreeMap::from([(some("Yes"), (5, 4, 1))]));
    assert_eq!(r.total.measures["conversation_measure_1"].sum, 5000.0);
}

#[tokio::test]
async fn the_csv_and_the_command_print_the_api_s_numbers() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let sup = app.token("super_a").await;
    let query = format!("{RANGE}&group_by=campaign&filter=abandoned:No");
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/reports/conversations?{query}&format=csv"),
            Some(&sup),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "scope,start,campaign,other,conversations,inbound,outbound,\
         conversation_measure_1_count,conversation_measure_1_sum,conversation_measure_1_avg,\
         hold_time_count,hold_time_sum,hold_time_avg"
    );
    assert!(
        lines.contains(&"total,2026-03-02T00:00:00+00:00,Ventas,false,2,2,0,2,17.5,8.75,1,5,5"),
        "{csv}"
    );
    assert!(
        lines.contains(&"all,2026-03-02T00:00:00+00:00,,false,2,2,0,2,17.5,8.75,1,5,5"),
        "{csv}"
    );

    let out = agentdesk_server::report::cli::report(
        &app.store,
        agentdesk_server::report::cli::ReportCommand::Conversations(
            agentdesk_server::report::cli::ReportArgs {
                team: "Team A".into(),
                from: "2026-03-02".parse().ok(),
                to: "2026-03-03".parse().ok(),
                interval: agentdesk_protocol::report::Interval::Day,
                time_zone: "UTC".into(),
                campaign: None,
                agent: None,
                group_by: Some("campaign".into()),
                channel: None,
                direction: None,
                filter: vec!["abandoned:No".into()],
                format: agentdesk_server::report::cli::Format::Csv,
            },
        ),
    )
    .await
    .unwrap();
    assert_eq!(out, csv);
}

#[tokio::test]
async fn hostile_parameters_are_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let sup = app.token("super_a").await;
    let long = "x".repeat(3000);
    let six: String = (1..=6)
        .map(|n| format!("&filter=conversation_attribute_{n}:v"))
        .collect();
    for (query, field) in [
        ("group_by=nope".to_owned(), "group_by"),
        ("group_by=plan".to_owned(), "group_by"),
        ("group_by=%3Cscript%3E".to_owned(), "group_by"),
        ("group_by=campaign%00".to_owned(), "group_by"),
        ("filter=campaign".to_owned(), "filter"),
        ("filter=:Ventas".to_owned(), "filter"),
        ("filter=nope:x".to_owned(), "filter"),
        ("filter=city:Montevideo".to_owned(), "filter"),
        ("filter=campaign:a%00b".to_owned(), "filter"),
        (format!("filter=campaign:{long}"), "filter"),
        ("filter=campaign:a&filter=campaign:b".to_owned(), "filter"),
        (six, "filter"),
        ("channel=note".to_owned(), "channel"),
        ("channel=fax".to_owned(), "channel"),
        ("direction=sideways".to_owned(), "direction"),
        ("from=2026-03-05&to=2026-03-01".to_owned(), "from"),
        ("format=xml".to_owned(), "format"),
    ] {
        let res = app
            .call(
                Method::GET,
                &format!("/api/v1/reports/conversations?{query}"),
                Some(&sup),
                None::<&()>,
            )
            .await;
        let status = res.status();
        let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            body.error.field.as_deref(),
            Some(field),
            "{query}: {status}"
        );
    }
    // Agents may not; another team's report is no report.
    let agent = app.token("agent_a").await;
    let res = app
        .call(
            Method::GET,
            "/api/v1/reports/conversations",
            Some(&agent),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/reports/conversations?team={}", app.team_b),
            Some(&sup),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    // Blank values are not asked.
    let r = report(&app, &sup, "group_by=&channel=&direction=&filter=").await;
    assert_eq!(r.group_by, "channel");
    assert!(r.filters.is_empty());
}

#[tokio::test]
async fn the_busiest_groups_are_listed_and_the_rest_summed_as_other() {
    let app = TestApp::spawn().await;
    let a = integration(&app, "flex", app.team_a).await;
    // MAX_GROUPS + 5 cases: case-0 has three calls, case-1 two, the others one each.
    let mut n = 0;
    for case in 0..MAX_GROUPS + 5 {
        let calls = match case {
            0 => 3,
            1 => 2,
            _ => 1,
        };
        for _ in 0..calls {
            n += 1;
            ingest(
                &app,
                &a,
                "/api/v1/ingest/call",
                call(
                    &format!("k{n}"),
                    "inbound",
                    "2026-03-02T10:00:00Z",
                    "",
                    json!({"case": format!("case-{case:03}"), "conversation_measure_2": 1}),
                ),
            )
            .await;
        }
    }
    let sup = app.token("super_a").await;
    let r = report(&app, &sup, &format!("{RANGE}&group_by=case")).await;
    assert_eq!(r.totals.len(), MAX_GROUPS + 1);
    assert_eq!(r.totals[0].value.as_deref(), Some("case-000"));
    assert_eq!(r.totals[0].conversations, 3);
    assert_eq!(r.totals[1].value.as_deref(), Some("case-001"));
    // Ties by value: the last listed is case-099, the other five are summed.
    assert_eq!(r.totals[MAX_GROUPS - 1].value.as_deref(), Some("case-099"));
    let other = r.totals.last().unwrap();
    assert!(other.other && other.value.is_none());
    assert_eq!(other.conversations, 5);
    assert_eq!(other.measures["conversation_measure_2"].sum, 5.0);
    assert_eq!(r.other_groups, 5);
    assert_eq!(r.total.conversations, n as u64);
    // The day's rows: the same groups, the other row last.
    assert_eq!(r.rows.len(), MAX_GROUPS + 1);
    assert!(r.rows.last().unwrap().other);
}

/// Every activity's attribute rows and the report's table's rows, as text in a fixed
/// order.
async fn attribute_rows(db_url: &str) -> Vec<String> {
    use sqlx::Connection;
    const ROWS: &str = "SELECT CAST(activity_id AS BIGINT), name, value, number \
        FROM conversation_attributes ORDER BY activity_id, name";
    type Row = (i64, String, String, Option<f64>);
    let rows: Vec<Row> = if db_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db_url).await.unwrap();
        sqlx::query_as(ROWS).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(db_url).await.unwrap();
        sqlx::query_as(ROWS).fetch_all(&mut c).await.unwrap()
    };
    rows.into_iter()
        .map(|r| format!("{r:?}"))
        .chain(crate::reports_conversation_table::fact_rows(db_url).await)
        .collect()
}

#[tokio::test]
async fn the_rebuild_and_the_migrations_backfill_equal_what_the_writes_kept() {
    let app = TestApp::spawn().await;
    let ids = seed(&app).await;
    // Segments of one conversation (a transfer): one activity, the later segment's value
    // winning, the first's kept where the later says nothing.
    let a = integration(&app, "segments", app.team_a).await;
    let first = ingest(
        &app,
        &a,
        "/api/v1/ingest/call",
        json!({"id": "s1", "direction": "inbound", "number": "+59899000222",
            "at": "2026-03-02T15:00:00Z", "conversation_id": "conv-1",
            "attributes": {"outcome": "Transferred", "queue": "Q1", "ivr_time": 12}}),
    )
    .await;
    let second = ingest(
        &app,
        &a,
        "/api/v1/ingest/call",
        json!({"id": "s2", "direction": "inbound", "number": "+59899000222",
            "at": "2026-03-02T15:05:00Z", "conversation_id": "conv-1",
            "attributes": {"outcome": "Sold", "conversation_measure_3": 7}}),
    )
    .await;
    assert_eq!(first.activity_id, second.activity_id);
    // An empty value says nothing (c2 stays abandoned); odd numbers: a value, no number.
    ingest(
        &app,
        &a,
        "/api/v1/ingest/call",
        call(
            "s3",
            "inbound",
            "2026-03-02T16:00:00Z",
            "",
            json!({"abandoned": "", "conversation_measure_2": "+5", "conversation_measure_3": ".5",
                "conversation_measure_4": "01", "amount": "1e-400", "hold_time": "1.5e3"}),
        ),
    )
    .await;
    let again = ingest(
        &app,
        &a,
        "/api/v1/ingest/call",
        call(
            "c2",
            "inbound",
            "2026-03-02T23:30:00Z",
            "Ventas",
            json!({"abandoned": " "}),
        ),
    )
    .await;
    assert!(again.duplicate);
    let sup = app.token("super_a").await;
    let r = report(&app, &sup, &format!("{RANGE}&group_by=outcome")).await;
    assert_eq!(group(&r, Some("Sold")).conversations, 1);
    assert!(
        !r.totals
            .iter()
            .any(|t| t.value.as_deref() == Some("Transferred"))
    );
    let agent = app.token("agent_a").await;
    let v: agentdesk_protocol::ActivityView = app
        .get_as(&format!("/api/v1/activities/{}", first.activity_id), &agent)
        .await;
    assert_eq!(v.conversation_attributes["outcome"], "Sold");
    assert_eq!(v.conversation_attributes["queue"], "Q1");
    let v: agentdesk_protocol::ActivityView = app
        .get_as(&format!("/api/v1/activities/{}", ids["c1"]), &agent)
        .await;
    assert_eq!(v.conversation_attributes["conversation_measure_1"], "15");
    assert_eq!(v.conversation_attributes["campaign"], "Ventas");

    let v: agentdesk_protocol::ActivityView = app
        .get_as(&format!("/api/v1/activities/{}", ids["c2"]), &agent)
        .await;
    assert_eq!(v.conversation_attributes["abandoned"], "Yes");
    let kept = attribute_rows(&app.db_url).await;
    assert!(kept.len() > 20, "{kept:?}");
    assert!(
        kept.iter()
            .any(|r| r.contains("\"conversation_measure_2\", \"+5\", None")),
        "{kept:?}"
    );
    assert!(
        kept.iter()
            .any(|r| r.contains("\"hold_time\", \"1.5e3\", Some(1500.0)")),
        "{kept:?}"
    );
    assert!(
        kept.iter()
            .any(|r| r.contains("\"conversation_measure_1\", \"15\", Some(15.0)")),
        "{kept:?}"
    );
    app.store.rebuild_reports(None).await.unwrap();
    assert_eq!(attribute_rows(&app.db_url).await, kept);
    app.store.rebuild_reports(Some(app.team_b)).await.unwrap();
    assert_eq!(attribute_rows(&app.db_url).await, kept);

    rerun_backfill(
        &app.db_url,
        &["conversation_attributes"],
        "0037_conversation_attributes.sql",
        "0038_conversation_attributes.sql",
    )
    .await;
    rerun_backfill(
        &app.db_url,
        &["conversation_facts"],
        "0041_conversation_facts.sql",
        "0042_conversation_facts.sql",
    )
    .await;
    assert_eq!(attribute_rows(&app.db_url).await, kept);
}
