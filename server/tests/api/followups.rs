//! Automated follow-ups against a stand-in ticketing system started here (a real HTTP
//! server on loopback) whose pending-approval tickets change between polls. Polls are
//! driven by the engine at chosen instants (a controllable clock: hours pass in a
//! second), except where the test goes through the server's own "run now". Two teams
//! share the server: recipients and contacts of one never reach the other.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use agentdesk_protocol::followup::{FollowUp, FollowUpRun, Notifications};
use agentdesk_protocol::{ActivityDetail, ActivityPage, Contact};
use agentdesk_server::config::ServeConfig;
use agentdesk_server::events::EventHub;
use agentdesk_server::followups::Engine;
use agentdesk_server::outbound::Outbound;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::status::open_stream;
use crate::support::{TestApp, expect_error};

pub(crate) const TOKEN: &str = "Bearer tickets-s3cret";

/// What the stand-in answers: a status and a body; and what its webhook received.
#[derive(Clone)]
pub(crate) struct System {
    pub answer: Arc<Mutex<(u16, String)>>,
    pub hooks: Arc<Mutex<Vec<Value>>>,
}

impl System {
    pub fn tickets(&self, tickets: Value) {
        *self.answer.lock().unwrap() = (200, json!({ "data": { "items": tickets } }).to_string());
    }

    pub fn raw(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_string());
    }
}

async fn tickets(State(s): State<System>, headers: HeaderMap) -> (AxStatus, String) {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(TOKEN) {
        return (AxStatus::UNAUTHORIZED, "{}".into());
    }
    let (status, body) = s.answer.lock().unwrap().clone();
    (AxStatus::from_u16(status).unwrap(), body)
}

async fn hook(State(s): State<System>, body: axum::Json<Value>) -> AxStatus {
    s.hooks.lock().unwrap().push(body.0);
    AxStatus::OK
}

/// The stand-in on 127.0.0.1:0 and its base URL.
pub(crate) async fn stand_in() -> (System, String) {
    let s = System {
        answer: Arc::new(Mutex::new((200, r#"{"data":{"items":[]}}"#.into()))),
        hooks: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/tickets", axum::routing::get(tickets))
        .route("/hook", axum::routing::post(hook))
        .with_state(s.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (s, base)
}

/// A server that may call loopback, whose own scheduler stays out of the way.
pub(crate) async fn app() -> TestApp {
    TestApp::spawn_with(ServeConfig {
        outbound_allow_private: true,
        followup_check_secs: 0,
        ..Default::default()
    })
    .await
}

/// Tickets pending approval: notify the approver (a user) hourly, 2 attempts; linked to
/// contacts of team A by phone.
pub(crate) fn spec(base: &str, team_a: i64) -> Value {
    json!({
        "name": "Pending approval",
        "poll_minutes": 10,
        "calls": [{ "name": "tickets", "url": format!("{base}/tickets"),
            "headers": [{ "name": "Authorization", "value": TOKEN, "secret": true }] }],
        "attributes": [
            { "name": "ticket.number", "path": "$.number" },
            { "name": "approver", "path": "/approver/login" },
            { "name": "phone", "path": "/customer/phone" }
        ],
        "looping": "$.data.items",
        "record_id": "/number",
        "recipients": { "user": "approver" },
        "contact": { "team_id": team_a, "phone": "phone" },
        "message": { "text": "Ticket {{ticket.number}} waits for your approval" },
        "channel": "in_app",
        "notify_minutes": 60,
        "attempts": 2
    })
}

pub(crate) fn ticket(n: &str, approver: &str) -> Value {
    json!({ "number": n, "approver": { "login": approver }, "customer": { "phone": "099 000 111" } })
}

pub(crate) async fn create(app: &TestApp, admin: &str, spec: &Value) -> FollowUp {
    let res = app
        .call(Method::POST, "/api/v1/followups", Some(admin), Some(spec))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

pub(crate) fn engine(app: &TestApp, max_answer: usize) -> Engine {
    let outbound = Outbound::new(true, StdDuration::from_secs(5)).unwrap();
    Engine::with(
        app.store.clone(),
        outbound,
        EventHub::default(),
        "UY".into(),
        max_answer,
    )
}

/// Poll what is due at `at`; the run of follow-up `id`, if it ran.
pub(crate) async fn poll(e: &Engine, id: i64, at: DateTime<Utc>) -> Option<FollowUpRun> {
    let runs = e.run_due(at).await.expect("run due");
    runs.into_iter().find(|(f, _)| *f == id).map(|(_, r)| r)
}

async fn inbox(app: &TestApp, token: &str) -> Notifications {
    app.get_as("/api/v1/notifications", token).await
}

#[tokio::test]
async fn records_are_notified_on_schedule_resolved_when_gone_and_restarted_when_back() {
    let app = app().await;
    let (system, base) = stand_in().await;
    let admin = app.token("admin").await;
    let f = create(&app, &admin, &spec(&base, app.team_a)).await;
    let e = engine(&app, 1 << 20);
    let t0 = Utc::now() + Duration::minutes(1);
    system.tickets(json!([ticket("T-1", "agent_a"), ticket("T-2", "super_a")]));

    let run = poll(&e, f.id, t0).await.expect("due at once");
    assert_eq!(
        (run.found, run.new, run.notified, run.resolved),
        (2, 2, 2, 0)
    );
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let a = inbox(&app, &app.token("agent_a").await).await;
    assert_eq!(a.unread, 1);
    assert_eq!(a.items[0].text, "Ticket T-1 waits for your approval");
    assert_eq!(a.items[0].title, "Pending approval");
    assert_eq!(inbox(&app, &app.token("super_a").await).await.unread, 1);
    assert_eq!(
        inbox(&app, &app.token("agent_b").await).await.unread,
        0,
        "other team"
    );

    // Not due before its poll interval; due again at 10 minutes but not yet to notify.
    assert!(poll(&e, f.id, t0 + Duration::minutes(9)).await.is_none());
    let run = poll(&e, f.id, t0 + Duration::minutes(10))
        .await
        .expect("poll 2");
    assert_eq!((run.new, run.notified), (0, 0));

    // T-2 approved (gone); an hour on, T-1's second and last attempt.
    system.tickets(json!([ticket("T-1", "agent_a")]));
    let run = poll(&e, f.id, t0 + Duration::minutes(60))
        .await
        .expect("poll 3");
    assert_eq!((run.found, run.notified, run.resolved), (1, 1, 1));
    let run = poll(&e, f.id, t0 + Duration::minutes(130))
        .await
        .expect("poll 4");
    assert_eq!(run.notified, 0, "2 attempts at most");
    assert_eq!(
        inbox(&app, &app.token("agent_a").await).await.items.len(),
        2
    );

    // T-2 back for approval: a new follow-up of it.
    system.tickets(json!([ticket("T-1", "agent_a"), ticket("T-2", "super_a")]));
    let run = poll(&e, f.id, t0 + Duration::minutes(140))
        .await
        .expect("poll 5");
    assert_eq!((run.new, run.notified), (1, 1));
    let sup = inbox(&app, &app.token("super_a").await).await;
    assert_eq!(
        sup.items.iter().map(|n| n.attempt).collect::<Vec<_>>(),
        vec![1, 1]
    );

    // The run history, newest first.
    let runs: Vec<FollowUpRun> = app
        .get_as(&format!("/api/v1/followups/{}/runs", f.id), &admin)
        .await;
    assert_eq!(runs.len(), 5);
    assert_eq!(runs[0].new, 1);

    // The automated activities on team A's contact (linked by phone), none on team B's
    // contact with the same phone; left out of the interaction count.
    let token = app.token("super_a").await;
    let page: ActivityPage = app
        .get_as(
            &format!(
                "/api/v1/contacts/{}/activities?kinds=follow_up",
                app.contact_a
            ),
            &token,
        )
        .await;
    let sent: Vec<(String, u32)> = page
        .items
        .iter()
        .filter_map(|a| match &a.detail {
            ActivityDetail::FollowUp {
                message,
                attempt,
                recipients,
                ..
            } => {
                assert_eq!(recipients.len(), 1);
                Some((message.clone(), *attempt))
            }
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 4, "{sent:?}");
    let contact: Contact = app
        .get_as(&format!("/api/v1/contacts/{}", app.contact_a), &token)
        .await;
    assert_eq!(
        contact.activity_count, 15,
        "the fixture's 15 interactions only"
    );
    let b: ActivityPage = app
        .get_as(
            &format!(
                "/api/v1/contacts/{}/activities?kinds=follow_up",
                app.contact_b
            ),
            &app.token("agent_b").await,
        )
        .await;
    assert!(b.items.is_empty());
}

#[tokio::test]
async fn failures_are_recorded_per_run_and_change_no_record() {
    let app = app().await;
    let (system, base) = stand_in().await;
    let admin = app.token("admin").await;
    let f = create(&app, &admin, &spec(&base, app.team_a)).await;
    let e = engine(&app, 4096);
    let mut at = Utc::now() + Duration::minutes(1);
    system.tickets(json!([ticket("T-1", "agent_a")]));
    assert_eq!(poll(&e, f.id, at).await.unwrap().notified, 1);

    let huge = json!({ "data": { "items": [{ "number": "x".repeat(5000) }] } }).to_string();
    let cases = [
        (503, "{}".to_string(), "HTTP 503"),
        (200, "<html>oops</html>".to_string(), "not JSON"),
        (200, json!({ "data": {} }).to_string(), "no looping element"),
        (
            200,
            json!({ "data": { "items": 7 } }).to_string(),
            "not an array",
        ),
        (200, huge, "larger than the limit"),
    ];
    for (status, body, why) in cases {
        system.raw(status, &body);
        at += Duration::minutes(10);
        let run = poll(&e, f.id, at).await.expect("polled");
        assert_eq!(run.errors.len(), 1, "{why}: {:?}", run.errors);
        assert!(run.errors[0].contains(why), "{why}: {:?}", run.errors);
        assert_eq!(
            (run.resolved, run.notified),
            (0, 0),
            "{why}: T-1 stays open"
        );
    }

    // Records without an id and unknown recipients are named; the rest go on.
    system.tickets(json!([
        ticket("T-1", "agent_a"),
        { "approver": { "login": "agent_a" } },
        ticket("T-9", "ghost"),
        ticket("T-3", "agent_a")
    ]));
    at += Duration::minutes(10);
    let run = poll(&e, f.id, at).await.expect("polled");
    assert_eq!(run.found, 4);
    assert_eq!(
        run.notified, 2,
        "T-1's second (an hour on) and T-3; T-9 nobody"
    );
    assert!(
        run.errors
            .iter()
            .any(|e| e.contains("record 2 has no usable id")),
        "{:?}",
        run.errors
    );
    assert!(
        run.errors.iter().any(|e| e.contains("no user `ghost`")),
        "{:?}",
        run.errors
    );
    // The unknown recipient's record is tried again at the next poll.
    at += Duration::minutes(10);
    let run = poll(&e, f.id, at).await.expect("polled");
    assert!(run.errors.iter().any(|e| e.contains("no user `ghost`")));

    // A wrong secret: the system refuses, and the run says so without the secret.
    let mut bad = spec(&base, app.team_a);
    bad["calls"][0]["headers"][0]["value"] = json!("Bearer wrong");
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/followups/{}", f.id),
            Some(&admin),
            Some(&bad),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let run: FollowUpRun = app
        .call(
            Method::POST,
            &format!("/api/v1/followups/{}/run", f.id),
            Some(&admin),
            None::<&()>,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(run.errors[0].contains("HTTP 401"), "{:?}", run.errors);
    assert!(!run.errors[0].contains("wrong"));
}

#[tokio::test]
async fn two_engines_polling_at_once_send_each_attempt_once() {
    let app = app().await;
    let (system, base) = stand_in().await;
    let admin = app.token("admin").await;
    let f = create(&app, &admin, &spec(&base, app.team_a)).await;
    let (one, two) = (engine(&app, 1 << 20), engine(&app, 1 << 20));
    let t0 = Utc::now() + Duration::minutes(1);
    let mut expected = 0;
    for round in 0..6_i64 {
        let batch: Vec<Value> = (0..5)
            .map(|i| ticket(&format!("R{round}-{i}"), "agent_a"))
            .collect();
        system.tickets(Value::Array(batch));
        let at = t0 + Duration::minutes(60 * round);
        let (a, b) = tokio::join!(one.run_due(at), two.run_due(at));
        let runs = a.unwrap().len() + b.unwrap().len();
        assert_eq!(runs, 1, "one engine polls it, round {round}");
        expected += 5;
        // The run now path may race the schedule too: never a second notification.
        let (a, b) = tokio::join!(one.run_now(f.id, at), two.run_now(f.id, at));
        let (a, b) = (a.unwrap(), b.unwrap());
        for run in [a, b].into_iter().flatten() {
            assert_eq!(run.notified, 0, "nothing due again at the same instant");
        }
    }
    let inbox = inbox(&app, &app.token("agent_a").await).await;
    assert_eq!(inbox.unread as usize, expected);
}

#[tokio::test]
async fn run_now_notifies_the_recipient_live_and_reading_clears_the_count() {
    let app = app().await;
    let (system, base) = stand_in().await;
    let admin = app.token("admin").await;
    let f = create(&app, &admin, &spec(&base, app.team_a)).await;
    system.tickets(json!([ticket("T-7", "agent_a")]));
    let (a, b) = (app.token("agent_a").await, app.token("agent_b").await);
    let mut mine = open_stream(&app, &a).await;
    let mut theirs = open_stream(&app, &b).await;

    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/followups/{}/run", f.id),
            Some(&admin),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let run: FollowUpRun = res.json().await.unwrap();
    assert_eq!(run.notified, 1);
    mine.next_named("notifications", StdDuration::from_secs(5))
        .await
        .expect("live to its recipient");
    assert!(
        theirs
            .next_named("notifications", StdDuration::from_millis(500))
            .await
            .is_none(),
        "not to another user"
    );
    let n = inbox(&app, &a).await;
    assert_eq!((n.unread, n.items[0].contact_id), (1, Some(app.contact_a)));
    let read = |token: String, body: Value| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/notifications/read",
                Some(&token),
                Some(&body),
            )
            .await
        }
    };
    // Another user's read of it changes nothing of it.
    let res = read(b.clone(), json!({ "ids": [n.items[0].id] })).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(inbox(&app, &a).await.unread, 1);
    let res = read(a.clone(), json!({ "ids": [n.items[0].id] })).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(inbox(&app, &a).await.unread, 0);
    for bad in [
        json!({ "ids": "all" }),
        json!({ "ids": [1], "extra": 1 }),
        json!([1]),
    ] {
        expect_error(read(a.clone(), bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

#[tokio::test]
async fn the_webhook_channel_posts_each_notification_and_keeps_its_url_secret() {
    let app = app().await;
    let (system, base) = stand_in().await;
    let admin = app.token("admin").await;
    let mut s = spec(&base, app.team_a);
    s["channel"] = json!("webhook");
    s["webhook_url"] = json!(format!("{base}/hook"));
    s["recipients"] = json!({ "team": "group" });
    s["attributes"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "group", "path": "/group" }));
    let f = create(&app, &admin, &s).await;
    assert_eq!(f.spec.webhook_url, None);
    let shown = app
        .call(
            Method::GET,
            &format!("/api/v1/followups/{}", f.id),
            Some(&admin),
            None::<&()>,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !shown.contains("/hook") && !shown.contains("s3cret"),
        "{shown}"
    );
    system.tickets(json!([{ "number": 5, "group": "team a", "customer": {} }]));
    let e = engine(&app, 1 << 20);
    let run = poll(&e, f.id, Utc::now() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(run.notified, 1, "{:?}", run.errors);
    let hooks = system.hooks.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["text"], "Ticket 5 waits for your approval");
    assert_eq!(hooks[0]["recipients"], json!(["team a"]));
    // Not in anyone's notification centre: it went to the webhook.
    assert_eq!(inbox(&app, &app.token("super_a").await).await.unread, 0);
}

#[tokio::test]
async fn two_server_instances_on_postgresql_poll_each_follow_up_once() {
    let app = TestApp::spawn_with(ServeConfig {
        outbound_allow_private: true,
        followup_check_secs: 1,
        ..Default::default()
    })
    .await;
    if app.db_url.starts_with("sqlite:") {
        crate::support::skipped(
            "two_server_instances_on_postgresql_poll_each_follow_up_once",
            "PostgreSQL only (several instances)",
        );
        return;
    }
    // The second instance: the server binary, its scheduler looking every second too.
    let (_other, _) = crate::fault::Server::start_anywhere_with(
        &app.db_url,
        app.dist.path(),
        &[
            ("AGENTDESK_FOLLOWUP_CHECK_SECS", "1"),
            ("AGENTDESK_OUTBOUND_ALLOW_PRIVATE", "true"),
        ],
    )
    .await;
    let (system, base) = stand_in().await;
    let admin = app.token("admin").await;
    let mut expected = 0;
    let mut s = spec(&base, app.team_a);
    let mut id = None;
    for round in 0..3 {
        let batch: Vec<Value> = (0..10)
            .map(|i| ticket(&format!("R{round}-{i}"), "agent_a"))
            .collect();
        system.tickets(Value::Array(batch));
        expected += 10;
        // Saving schedules a poll at once; both instances look every second.
        s["name"] = json!(format!("Pending approval {round}"));
        let f = match id {
            None => create(&app, &admin, &s).await,
            Some(id) => app
                .call(
                    Method::PUT,
                    &format!("/api/v1/followups/{id}"),
                    Some(&admin),
                    Some(&s),
                )
                .await
                .json()
                .await
                .unwrap(),
        };
        id = Some(f.id);
        let deadline = tokio::time::Instant::now() + StdDuration::from_secs(20);
        loop {
            let runs: Vec<FollowUpRun> = app
                .get_as(&format!("/api/v1/followups/{}/runs", f.id), &admin)
                .await;
            if runs.len() > round {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "no poll in 20 s");
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
        // A few more looks by both: nothing is due again for 10 minutes.
        tokio::time::sleep(StdDuration::from_secs(3)).await;
        let runs: Vec<FollowUpRun> = app
            .get_as(&format!("/api/v1/followups/{}/runs", f.id), &admin)
            .await;
        assert_eq!(runs.len(), round + 1, "one poll per save, by one instance");
        assert_eq!(runs[0].notified, 10);
    }
    let inbox = inbox(&app, &app.token("agent_a").await).await;
    assert_eq!(
        inbox.unread as usize, expected,
        "one notification per record and attempt"
    );
}
