//! Behaviours the README promises that no other test held to: session lifetime, the
//! `X-Forwarded-For` setting, configurable delete roles, event-log retention (a late
//! resume is told to resync), the stale-stream sweep's `timeout` disconnect, and the
//! uContact AgentLog webhook with its replay.

use std::time::Duration;

use agentdesk_protocol::{AuditRecord, ConnectionEventPage, Role, WebhookResult};
use agentdesk_server::config::{Secret, ServeConfig};
use agentdesk_server::{auth, clock};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{SseReader, TestApp, expect_error};

const NONE: Option<&()> = None;
const SECRET: &str = "webhook-secret-0123456789";

async fn note(app: &TestApp, token: &str, text: &str) -> StatusCode {
    app.call(
        Method::POST,
        &format!("/api/v1/contacts/{}/notes", app.contact_a),
        Some(token),
        Some(&json!({ "text": text })),
    )
    .await
    .status()
}

async fn log(app: &TestApp, token: &str, user: i64) -> Vec<(String, String, Option<String>)> {
    let page: ConnectionEventPage = app
        .get_as(&format!("/api/v1/agents/{user}/connection-events"), token)
        .await;
    crate::status::rows(&page)
}

#[tokio::test]
async fn a_session_lives_while_used_and_ends_when_left_alone() {
    let app = TestApp::spawn().await;
    let user = app.users["agent_a"];
    let (_, hash) = app.store.password_hash(user).await.unwrap().unwrap();
    let mk = || async {
        let token = auth::new_token();
        assert!(
            app.store
                .create_session(
                    &auth::token_hash(&token),
                    user,
                    &hash,
                    clock::now() + chrono::Duration::seconds(2),
                    None,
                )
                .await
                .unwrap()
        );
        token
    };
    let used = mk().await;
    let idle = mk().await;
    // Used with under half its life left: extended by the session lifetime.
    let res = app.call(Method::GET, "/api/v1/me", Some(&used), NONE).await;
    assert_eq!(res.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let res = app.call(Method::GET, "/api/v1/me", Some(&used), NONE).await;
    assert_eq!(res.status(), StatusCode::OK, "renewed by use");
    expect_error(
        app.call(Method::GET, "/api/v1/me", Some(&idle), NONE).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn login_ip(app: &TestApp) -> Option<String> {
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.9, 10.0.0.1")
        .json(&json!({ "username": "agent_a", "password": crate::support::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let admin = app.token("admin").await;
    let audit: Vec<AuditRecord> = app.get_as("/api/v1/audit", &admin).await;
    audit
        .iter()
        .find(|r| r.action == "login" && r.username.as_deref() == Some("agent_a"))
        .and_then(|r| r.ip.clone())
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_when_the_server_is_told_it_sits_behind_a_proxy() {
    let direct = TestApp::spawn().await;
    assert_eq!(login_ip(&direct).await.as_deref(), Some("127.0.0.1"));
    let proxied = TestApp::spawn_with(ServeConfig {
        trust_forwarded_for: true,
        ..Default::default()
    })
    .await;
    assert_eq!(login_ip(&proxied).await.as_deref(), Some("203.0.113.9"));
}

#[tokio::test]
async fn who_may_delete_follows_the_delete_roles_setting() {
    let app = TestApp::spawn_with(ServeConfig {
        delete_roles: vec![Role::Admin],
        ..Default::default()
    })
    .await;
    let page: agentdesk_protocol::ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities", app.contact_a),
            &app.token("admin").await,
        )
        .await;
    let id = page.items[0].id;
    let path = format!("/api/v1/activities/{id}");
    let sup = app.token("super_a").await;
    // The desktop is told, so it offers the action only to those the server allows.
    let me: agentdesk_protocol::Me = app.get_as("/api/v1/me", &sup).await;
    assert!(!me.can_delete);
    let me: agentdesk_protocol::Me = app.get_as("/api/v1/me", &app.token("admin").await).await;
    assert!(me.can_delete);
    expect_error(
        app.call(Method::DELETE, &path, Some(&sup), NONE).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let admin = app.token("admin").await;
    let res = app.call(Method::DELETE, &path, Some(&admin), NONE).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // Agents allowed: their own team's activities only.
    let app = TestApp::spawn_with(ServeConfig {
        delete_roles: vec![Role::Agent],
        ..Default::default()
    })
    .await;
    let admin = app.token("admin").await;
    let theirs: agentdesk_protocol::ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities", app.contact_b),
            &admin,
        )
        .await;
    let ours: agentdesk_protocol::ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities", app.contact_a),
            &admin,
        )
        .await;
    let agent = app.token("agent_a").await;
    if let Some(other) = theirs.items.first() {
        expect_error(
            app.call(
                Method::DELETE,
                &format!("/api/v1/activities/{}", other.id),
                Some(&agent),
                NONE,
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/activities/{}", ours.items[0].id),
            Some(&agent),
            NONE,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(
        app.call(
            Method::DELETE,
            &format!("/api/v1/activities/{}", ours.items[1].id),
            Some(&admin),
            NONE,
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn a_resume_from_before_the_retained_events_is_told_to_resync() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let mut stream = SseReader::new(
        app.call(Method::GET, "/api/v1/events", Some(&a), NONE)
            .await,
    );
    assert_eq!(note(&app, &a, "uno").await, StatusCode::CREATED);
    let (_, first, _) = stream.next(Duration::from_secs(5)).await.expect("event");
    assert_eq!(note(&app, &a, "dos").await, StatusCode::CREATED);
    stream.next(Duration::from_secs(5)).await.expect("event");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cut = clock::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(note(&app, &a, "tres").await, StatusCode::CREATED);
    stream.next(Duration::from_secs(5)).await.expect("event");
    drop(stream);
    // Retention drops what is older than the cut: the events after `first` are gone.
    assert!(app.store.prune_events(cut).await.unwrap() >= 2);
    let res = app
        .http
        .get(app.url("/api/v1/events"))
        .bearer_auth(&a)
        .header("Last-Event-ID", first.to_string())
        .send()
        .await
        .unwrap();
    let mut resumed = SseReader::new(res);
    let (name, _, _) = resumed
        .next(Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(name, "resync", "the client must refetch what it missed");
    // A resume within what is kept replays, as before.
    let (newest, _) = app.store.event_bounds().await.unwrap();
    let res = app
        .http
        .get(app.url("/api/v1/events"))
        .bearer_auth(&a)
        .header("Last-Event-ID", (newest - 1).to_string())
        .send()
        .await
        .unwrap();
    let mut resumed = SseReader::new(res);
    let (name, id, _) = resumed.next(Duration::from_secs(5)).await.expect("replay");
    assert_eq!((name.as_str(), id), ("activity.created", newest));
}

#[tokio::test]
async fn a_stream_whose_instance_stopped_refreshing_it_is_swept_as_a_timeout() {
    let app = TestApp::spawn_with(ServeConfig {
        presence_grace_ms: 50,
        ..Default::default()
    })
    .await;
    let a = app.token("agent_a").await;
    let _stream = SseReader::new(
        app.call(Method::GET, "/api/v1/events", Some(&a), NONE)
            .await,
    );
    let user = app.users["agent_a"];
    // What another instance's sweeper does when this one stopped refreshing its rows:
    // every stream seen before "now + 1 h" is stale.
    let now = clock::now();
    let events = app
        .store
        .sweep_streams(now + chrono::Duration::hours(1), now, 0)
        .await
        .unwrap();
    assert!(!events.is_empty(), "the disconnect is announced");
    let rows = log(&app, &a, user).await;
    assert_eq!(
        rows.last()
            .map(|(k, v, r)| (k.as_str(), v.as_str(), r.as_deref())),
        Some(("status-changed", "disconnected", Some("timeout"))),
        "{rows:?}"
    );
}

async fn hook(app: &TestApp, body: serde_json::Value) -> WebhookResult {
    let res = app
        .http
        .post(app.url("/api/v1/webhooks/ucontact"))
        .header("x-webhook-secret", SECRET)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_agentlog_webhook_connects_and_disconnects_once_however_often_it_is_sent() {
    let app = TestApp::spawn_with(ServeConfig {
        ucontact_webhook_secret: Some(Secret(SECRET.into())),
        ..Default::default()
    })
    .await;
    let a = app.token("agent_a").await;
    let user = app.users["agent_a"];
    let login = json!({ "event": "AgentLog", "date": "2026-03-02 09:00:00", "agent": "agent_a", "isLogin": true });
    let r = hook(&app, login.clone()).await;
    assert!(r.status.as_ref().unwrap().connected, "{r:?}");
    let again = hook(&app, login).await;
    assert!(again.status.as_ref().unwrap().connected);
    let connects = log(&app, &a, user).await;
    assert_eq!(
        connects.iter().filter(|(_, v, _)| v == "connected").count(),
        1,
        "a replayed login is not a second session: {connects:?}"
    );
    let logout = json!({ "event": "AgentLog", "date": "2026-03-02 17:00:00", "agent": "agent_a", "isLogin": false });
    let r = hook(&app, logout.clone()).await;
    assert!(!r.status.as_ref().unwrap().connected, "{r:?}");
    hook(&app, logout).await;
    let rows = log(&app, &a, user).await;
    let disconnects: Vec<_> = rows
        .iter()
        .filter(|(_, v, _)| v == "disconnected")
        .collect();
    assert_eq!(disconnects.len(), 1, "{rows:?}");
    assert_eq!(disconnects[0].2.as_deref(), Some("logout"));
}

#[tokio::test]
async fn a_stream_ticket_opens_one_stream_only() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let res = app
        .call(Method::POST, "/api/v1/stream-tickets", Some(&a), NONE)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ticket: agentdesk_protocol::StreamTicket = res.json().await.unwrap();
    let open = || {
        app.http
            .get(app.url(&format!("/api/v1/events?ticket={}", ticket.ticket)))
            .send()
    };
    let first = SseReader::new(open().await.unwrap());
    // Seen in a log or a proxy's history, the same ticket opens nothing.
    expect_error(open().await.unwrap(), StatusCode::UNAUTHORIZED).await;
    drop(first);
}

#[tokio::test]
async fn a_malformed_stream_request_spends_no_ticket_and_without_credentials_is_refused_first() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let ticket: agentdesk_protocol::StreamTicket = app
        .call(Method::POST, "/api/v1/stream-tickets", Some(&a), NONE)
        .await
        .json()
        .await
        .unwrap();
    let url = |extra: &str| app.url(&format!("/api/v1/events?ticket={}{extra}", ticket.ticket));
    // Refused before the ticket is redeemed (the stream is registered with it).
    expect_error(
        app.http.get(url("&contacts=x,,%00")).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_error(
        app.http
            .get(url(""))
            .header("last-event-id", "not-an-id")
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // So the ticket still opens its one stream.
    let stream = SseReader::new(app.http.get(url("")).send().await.unwrap());
    expect_error(
        app.http.get(url("")).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    drop(stream);
    // No credentials at all: 401 before the query is even read.
    expect_error(
        app.http
            .get(app.url("/api/v1/events?contacts=x,,%00"))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn failures_from_one_address_lock_that_address_out_not_the_user_and_back_off_grows() {
    assert_eq!(
        [4, 5, 6, 7, 40].map(auth::backoff_secs),
        [0, 30, 60, 120, 15 * 60]
    );
    let app = TestApp::spawn_with(ServeConfig {
        trust_forwarded_for: true,
        ..Default::default()
    })
    .await;
    let login = |ip: &'static str, password: &'static str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({ "username": "admin", "password": password }))
            .send()
    };
    for _ in 0..5 {
        let res = login("203.0.113.9", "not the password").await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // That address waits, even with the right password …
    let body = expect_error(
        login("203.0.113.9", crate::support::PASSWORD)
            .await
            .unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    let secs = body.error.retry_after_secs.unwrap();
    assert!((1..=30).contains(&secs), "{secs}");
    // … while the admin signs in from their own desk.
    let res = login("198.51.100.7", crate::support::PASSWORD)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Failures that go on double the wait (two more after the lock: 120 s).
    for _ in 0..2 {
        app.store
            .record_login_failure("admin", "203.0.113.9")
            .await
            .unwrap();
    }
    let body = expect_error(
        login("203.0.113.9", crate::support::PASSWORD)
            .await
            .unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    let secs = body.error.retry_after_secs.unwrap();
    assert!((61..=120).contains(&secs), "{secs}");
    // The lockout is in the audit log, once.
    let admin = app.token("admin").await;
    let audit: Vec<AuditRecord> = app.get_as("/api/v1/audit", &admin).await;
    let locks: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "login_locked")
        .collect();
    assert_eq!(locks.len(), 1, "{audit:?}");
    assert_eq!(locks[0].ip.as_deref(), Some("203.0.113.9"));
}
