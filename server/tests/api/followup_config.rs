//! Follow-ups' configuration through the API: limits at their edges, malformed paths and
//! placeholders, unknown recipients, secrets that never come back, private addresses,
//! admins only — each refusal a 4xx naming its field, with nothing half-created.

use agentdesk_protocol::ErrorBody;
use agentdesk_protocol::followup::{DryRun, FollowUp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::followups::{TOKEN, app, create, spec, stand_in, ticket};
use crate::support::{TestApp, expect_error};

async fn post(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.call(Method::POST, "/api/v1/followups", Some(token), Some(body))
        .await
}

async fn count(app: &TestApp, admin: &str) -> usize {
    app.get_as::<Vec<FollowUp>>("/api/v1/followups", admin)
        .await
        .len()
}

#[tokio::test]
async fn limits_paths_and_recipients_are_checked_field_by_field() {
    let app = app().await;
    let admin = app.token("admin").await;
    let base = "http://127.0.0.1:9";
    let good = spec(base, app.team_a);
    let with = |path: &[&str], v: Value| {
        let mut s = good.clone();
        let mut at = &mut s;
        for p in &path[..path.len() - 1] {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        at[path[path.len() - 1]] = v;
        s
    };
    let refused: Vec<(Value, &str)> = vec![
        (with(&["poll_minutes"], json!(9)), "poll_minutes"),
        (with(&["poll_minutes"], json!(7201)), "poll_minutes"),
        (with(&["notify_minutes"], json!(9)), "notify_minutes"),
        (with(&["notify_minutes"], json!(7201)), "notify_minutes"),
        (with(&["attempts"], json!(0)), "attempts"),
        (with(&["attempts"], json!(11)), "attempts"),
        (with(&["looping"], json!("$.data.items[*]")), "looping"),
        (with(&["looping"], json!("data.items")), "looping"),
        (with(&["record_id"], json!("/a/~9")), "record_id"),
        (
            with(&["attributes", "1", "path"], json!("$..login")),
            "attributes[1].path",
        ),
        (with(&["recipients"], json!({})), "recipients"),
        (
            with(&["recipients", "user"], json!("manager")),
            "recipients.user",
        ),
        (
            with(&["message", "text"], json!("{{ticket.number")),
            "message.text",
        ),
        (
            with(&["message", "text"], json!("{{ticket.owner}}")),
            "message.text",
        ),
        (with(&["message", "text"], json!("   ")), "message.text"),
        (with(&["record_type"], json!("xml")), "record_type"),
        (
            with(&["calls", "0", "url"], json!("file:///etc/passwd")),
            "calls[0].url",
        ),
        (with(&["channel"], json!("email")), "channel"),
        (with(&["name"], json!("")), "name"),
        (
            with(&["calls", "0", "headers", "0", "value"], Value::Null),
            "calls[0].headers[0].value",
        ),
    ];
    for (body, field) in refused {
        let e: ErrorBody = expect_error(
            post(&app, &admin, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some(field), "{}", e.error.message);
    }
    // Not JSON, or the wrong shape: refused before any rule.
    for bad in [
        json!([]),
        json!({ "name": "x" }),
        json!({ "poll_minutes": "ten" }),
    ] {
        expect_error(
            post(&app, &admin, &bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    assert_eq!(count(&app, &admin).await, 0, "nothing half-created");

    // The edges themselves are fine.
    for (n, (poll, attempts)) in [(10, 1), (7200, 10)].into_iter().enumerate() {
        let mut s = with(&["poll_minutes"], json!(poll));
        s["notify_minutes"] = json!(poll);
        s["attempts"] = json!(attempts);
        s["name"] = json!(format!("edge {n}"));
        create(&app, &admin, &s).await;
    }
    // A name is taken without case.
    let mut dup = good.clone();
    dup["name"] = json!("EDGE 0");
    expect_error(post(&app, &admin, &dup).await, StatusCode::CONFLICT).await;
    assert_eq!(count(&app, &admin).await, 2);

    // Admins only, every route.
    let agent = app.token("super_a").await;
    expect_error(post(&app, &agent, &good).await, StatusCode::FORBIDDEN).await;
    for path in [
        "/api/v1/followups",
        "/api/v1/followups/1",
        "/api/v1/followups/1/runs",
    ] {
        let res = app.call(Method::GET, path, Some(&agent), None::<&()>).await;
        expect_error(res, StatusCode::FORBIDDEN).await;
    }
    let res = app
        .call(Method::GET, "/api/v1/followups", None, None::<&()>)
        .await;
    expect_error(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn secrets_are_write_only_and_private_addresses_need_the_servers_consent() {
    // This server may not call private addresses (the default).
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let s = spec("http://127.0.0.1:9", app.team_a);
    let e = expect_error(
        post(&app, &admin, &s).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("calls[0].url"));
    assert!(
        e.error.message.contains("private address"),
        "{}",
        e.error.message
    );
    for url in [
        "http://10.0.0.5/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest",
    ] {
        let mut s = s.clone();
        s["calls"][0]["url"] = json!(url);
        expect_error(
            post(&app, &admin, &s).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }

    let app = crate::followups::app().await;
    let admin = app.token("admin").await;
    let (system, base) = stand_in().await;
    let f = create(&app, &admin, &spec(&base, app.team_a)).await;
    let body = app
        .call(Method::GET, "/api/v1/followups", Some(&admin), None::<&()>)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !body.contains("s3cret"),
        "the token never comes back: {body}"
    );
    assert!(!f.needs_secrets);
    // Sent back as shown (value null): the stored token is kept and still works.
    let mut back = serde_json::to_value(&f.spec).unwrap();
    back["name"] = json!("Renamed");
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/followups/{}", f.id),
            Some(&admin),
            Some(&back),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    system.tickets(json!([ticket("T-1", "agent_a")]));
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/followups/dry-run?id={}", f.id),
            Some(&admin),
            Some(&back),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let dry: DryRun = res.json().await.unwrap();
    assert!(dry.errors.is_empty(), "{:?}", dry.errors);
    assert_eq!(dry.would_send.len(), 1);
    assert_eq!(dry.would_send[0].recipients, vec!["agent_a".to_string()]);
    // A dry run sends and stores nothing.
    let inbox: agentdesk_protocol::followup::Notifications = app
        .get_as("/api/v1/notifications", &app.token("agent_a").await)
        .await;
    assert_eq!(inbox.unread, 0);
    assert!(TOKEN.contains("s3cret"));
}
