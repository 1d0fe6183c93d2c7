//! The audit log viewer's API (`GET /audit`, `GET /audit.csv`, admins only): filters by
//! actor, action prefix (`_` is no wildcard), target and local dates — a New York admin's
//! DST days (23 and 25 hours) and a year's edge —, paging by `before` without overlaps or
//! gaps, the CSV equal to the JSON with spreadsheet formulas defused, and every bad
//! parameter refused by name.

use agentdesk_protocol::AuditRecord;
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, exec_sql, expect_error};

fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("time")
        .with_timezone(&Utc)
        .timestamp_millis()
}

/// Records written straight to the log at chosen instants (`(action, target, at)`), by
/// user `user_id`.
async fn seed(app: &TestApp, user_id: i64, rows: &[(&str, &str, &str)]) {
    let sql: Vec<String> = rows
        .iter()
        .map(|(action, target, at)| {
            format!(
                "INSERT INTO audit_log (user_id, action, target, ip, at) \
                 VALUES ({user_id}, '{action}', '{}', '10.0.0.1', {})",
                target.replace('\'', "''"),
                ms(at)
            )
        })
        .collect();
    let sql: Vec<&str> = sql.iter().map(String::as_str).collect();
    exec_sql(&app.db_url, &sql).await;
}

async fn records(app: &TestApp, token: &str, query: &str) -> Vec<AuditRecord> {
    app.get_as(&format!("/api/v1/audit?{query}"), token).await
}

fn targets(rs: &[AuditRecord]) -> Vec<String> {
    rs.iter().filter_map(|r| r.target.clone()).collect()
}

#[tokio::test]
async fn local_days_hold_their_own_records_across_dst_and_the_year_edge() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&admin),
            Some(&json!({ "time_zone": "America/New_York" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let me = app.users["admin"];
    seed(
        &app,
        me,
        &[
            // 2026-03-08, New York: 23 hours (EST until 02:00, then EDT).
            ("probe", "mar7-last", "2026-03-08T04:59:59.999Z"),
            ("probe", "mar8-first", "2026-03-08T05:00:00Z"),
            ("probe", "mar8-last", "2026-03-09T03:59:59.999Z"),
            ("probe", "mar9-first", "2026-03-09T04:00:00Z"),
            // 2026-11-01: 25 hours (EDT until 02:00, then EST).
            ("probe", "oct31-last", "2026-11-01T03:59:59.999Z"),
            ("probe", "nov1-first", "2026-11-01T04:00:00Z"),
            ("probe", "nov1-last", "2026-11-02T04:59:59.999Z"),
            ("probe", "nov2-first", "2026-11-02T05:00:00Z"),
            // The year's edge in New York (05:00 UTC).
            ("probe", "dec31-last", "2027-01-01T04:59:59.999Z"),
            ("probe", "jan1-first", "2027-01-01T05:00:00Z"),
        ],
    )
    .await;
    let day = |d: &str| format!("action=probe&from={d}&to={d}");
    let mut got = targets(&records(&app, &admin, &day("2026-03-08")).await);
    got.sort();
    assert_eq!(got, ["mar8-first", "mar8-last"]);
    let mut got = targets(&records(&app, &admin, &day("2026-11-01")).await);
    got.sort();
    assert_eq!(got, ["nov1-first", "nov1-last"]);
    assert_eq!(
        targets(&records(&app, &admin, &day("2026-12-31")).await),
        ["dec31-last"]
    );
    assert_eq!(
        targets(&records(&app, &admin, "action=probe&from=2027-01-01").await),
        ["jan1-first"]
    );
    assert_eq!(
        targets(&records(&app, &admin, "action=probe&to=2026-03-07").await),
        ["mar7-last"]
    );
}

#[tokio::test]
async fn filters_paging_and_the_csv_agree() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (a, b) = (app.users["agent_a"], app.users["agent_b"]);
    seed(
        &app,
        a,
        &[
            ("user_created", "user:1", "2026-06-01T10:00:00Z"),
            ("userxcreated", "user:2", "2026-06-01T10:01:00Z"),
            (
                "user_updated",
                "=HYPERLINK(\"x\"),1",
                "2026-06-01T10:02:00Z",
            ),
        ],
    )
    .await;
    let many: Vec<(String, String)> = (0..45)
        .map(|i| (format!("team:{i}"), format!("2026-06-02T10:{i:02}:00Z")))
        .collect();
    let rows: Vec<(&str, &str, &str)> = many
        .iter()
        .map(|(t, at)| ("team_created", t.as_str(), at.as_str()))
        .collect();
    seed(&app, b, &rows).await;

    // Prefixes are text: `user_` is not `user` + any character.
    let got = records(&app, &admin, "action=user_").await;
    let mut actions: Vec<&str> = got.iter().map(|r| r.action.as_str()).collect();
    actions.sort();
    assert_eq!(actions, ["user_created", "user_updated"]);
    assert_eq!(records(&app, &admin, "action=user").await.len(), 3);
    // The actor's username comes with their records; the target filter is exact.
    let by_b = records(&app, &admin, &format!("user={b}")).await;
    assert_eq!(by_b.len(), 45);
    assert!(
        by_b.iter()
            .all(|r| r.username.as_deref() == Some("agent_b"))
    );
    assert_eq!(
        targets(&records(&app, &admin, "target=team:4").await),
        ["team:4"]
    );

    // Pages of 10 by `before`: newest first, no overlap, no gap.
    let mut seen = Vec::new();
    let mut before = None::<i64>;
    loop {
        let q = match before {
            Some(id) => format!("user={b}&limit=10&before={id}"),
            None => format!("user={b}&limit=10"),
        };
        let page = records(&app, &admin, &q).await;
        if page.is_empty() {
            break;
        }
        assert!(page.windows(2).all(|w| w[0].id > w[1].id), "newest first");
        before = page.last().map(|r| r.id);
        seen.extend(page.into_iter().map(|r| r.id));
    }
    let all: Vec<i64> = by_b.iter().map(|r| r.id).collect();
    assert_eq!(seen, all);

    // The CSV holds what the JSON does, a formula defused and quoted.
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/audit.csv?user={a}"),
            Some(&admin),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,at,user_id,username,action,target,ip");
    assert_eq!(lines.len(), 1 + 3);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"'=HYPERLINK(\"\"x\"\"),1\"")),
        "{text}"
    );
    assert!(lines[1].contains(",agent_a,user_updated,"), "{}", lines[1]);
}

#[tokio::test]
async fn only_admins_read_it_and_bad_parameters_are_named() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    for user in ["super_a", "agent_a", "agent_b"] {
        let token = app.token(user).await;
        for path in ["/api/v1/audit", "/api/v1/audit.csv"] {
            let res = app.call(Method::GET, path, Some(&token), None::<&()>).await;
            expect_error(res, StatusCode::FORBIDDEN).await;
        }
    }
    let long = "x".repeat(129);
    for (query, field) in [
        ("from=2026-06-02&to=2026-06-01", Some("from")),
        ("limit=0", Some("limit")),
        ("limit=1001", Some("limit")),
        (&*format!("action={long}"), Some("action")),
        (&*format!("target={long}"), Some("target")),
        ("from=2026-13-01", None),
        ("user=abc", None),
        ("colour=red", None),
    ] {
        let res = app
            .call(
                Method::GET,
                &format!("/api/v1/audit?{query}"),
                Some(&admin),
                None::<&()>,
            )
            .await;
        let status = res.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {status}"
        );
        let body = expect_error(res, status).await;
        if let Some(f) = field {
            assert_eq!(body.error.field.as_deref(), Some(f), "{query}");
        }
    }
    let res = app
        .call(
            Method::GET,
            "/api/v1/audit.csv?limit=5",
            Some(&admin),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
}
