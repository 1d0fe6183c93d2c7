//! Finding users on the server (`GET /users?q=&role=&team=&active=&offset=&limit=`):
//! each filter keeps what it names, pages add up to the whole list with its total in
//! `x-total-count`, a supervisor finds only their teams' users whatever they ask for, and
//! bad parameters are refused in the JSON error shape.

use agentdesk_protocol::UserSummary;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, expect_error};

/// (usernames, total) of `GET /users?{query}` as `token`.
async fn find(app: &TestApp, token: &str, query: &str) -> (Vec<String>, usize) {
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/users?{query}"),
            Some(token),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    let total = res.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let users: Vec<UserSummary> = res.json().await.unwrap();
    (users.into_iter().map(|u| u.username).collect(), total)
}

#[tokio::test]
async fn filters_keep_what_they_name_and_pages_add_up_to_the_whole_list() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (all, total) = find(&app, &admin, "").await;
    assert_eq!(total, all.len());
    assert_eq!(all.len(), 5);

    let (a, b) = (app.team_a, app.team_b);
    for (query, expected) in [
        ("q=AGENT", vec!["agent_a", "agent_b"]),
        ("q=%20mailer%20", vec!["mailer_a"]),
        ("q=User%20super", vec!["super_a"]),
        ("role=supervisor", vec!["super_a"]),
        ("role=admin", vec!["admin"]),
        (&format!("team={b}"), vec!["agent_b"]),
        (&format!("team={a}&role=agent"), vec!["agent_a", "mailer_a"]),
        ("team=999999", vec![]),
        ("active=false", vec![]),
        ("q=%C3%B1", vec![]),
    ] {
        let (mut got, total) = find(&app, &admin, query).await;
        got.sort();
        assert_eq!(got, expected, "{query}");
        assert_eq!(total, expected.len(), "{query}");
    }

    // Deactivated: found by state.
    let id = app.users["agent_b"];
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(&json!({"active": false})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(find(&app, &admin, "active=false").await.0, ["agent_b"]);
    assert_eq!(find(&app, &admin, "active=true").await.1, 4);

    // Pages of two: the whole list, in order, each once, the total on every page.
    let mut paged = Vec::new();
    for offset in (0..6).step_by(2) {
        let (page, total) = find(&app, &admin, &format!("offset={offset}&limit=2")).await;
        assert_eq!(total, 5);
        assert!(page.len() <= 2);
        paged.extend(page);
    }
    assert_eq!(paged, all);
    assert_eq!(find(&app, &admin, "offset=100&limit=5").await, (vec![], 5));
}

#[tokio::test]
async fn a_supervisor_finds_only_their_teams_users_whatever_they_ask() {
    let app = TestApp::spawn().await;
    let sup = app.token("super_a").await;
    let (mut mine, total) = find(&app, &sup, "").await;
    mine.sort();
    assert_eq!(mine, ["agent_a", "mailer_a", "super_a"]);
    assert_eq!(total, 3);
    for query in [
        format!("team={}", app.team_b),
        "q=agent_b".into(),
        "role=admin".into(),
    ] {
        assert_eq!(find(&app, &sup, &query).await, (vec![], 0), "{query}");
    }
    let agent = app.token("agent_a").await;
    let res = app
        .call(Method::GET, "/api/v1/users?q=a", Some(&agent), None::<&()>)
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn bad_parameters_are_refused_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let long = "x".repeat(129);
    for (query, field) in [
        ("limit=0", Some("limit")),
        ("limit=1001", Some("limit")),
        (&format!("q={long}") as &str, Some("q")),
        ("role=king", None),
        ("team=abc", None),
        ("active=maybe", None),
        ("offset=-1", None),
        ("limit=99999999999", None),
        ("surprise=1", None),
    ] {
        let res = app
            .call(
                Method::GET,
                &format!("/api/v1/users?{query}"),
                Some(&admin),
                None::<&()>,
            )
            .await;
        assert!(res.status().is_client_error(), "{query}: {}", res.status());
        let status = res.status();
        let e = expect_error(res, status).await;
        if let Some(f) = field {
            assert_eq!(e.error.field.as_deref(), Some(f), "{query}");
        }
    }
}
