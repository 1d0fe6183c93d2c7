//! A card's buttons that call a follow-up's configured actions, and the recipients'
//! further call, against a stand-in ticketing/CRM system started here (a real HTTP
//! server on loopback) that records what it is sent. Two teams share the server: a
//! notification is pressed only by its own user.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use agentdesk_protocol::followup::{ActionState, ActionTaken, Notifications};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxStatus};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::followups::{TOKEN, app, create, engine, poll, ticket};
use crate::support::{TestApp, expect_error};

const ACTION_TOKEN: &str = "Bearer approve-s3cret";
const CRM_KEY: &str = "crm-k3y";

/// One request the stand-in received: path, authorization, body.
type Seen = (String, Option<String>, Value);

#[derive(Clone, Default)]
struct Crm {
    tickets: Arc<Mutex<Value>>,
    /// The status the approve endpoint answers next.
    approve_status: Arc<Mutex<u16>>,
    approve_delay_ms: Arc<Mutex<u64>>,
    approvals: Arc<Mutex<Vec<Seen>>>,
    owner_asks: Arc<Mutex<Vec<String>>>,
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn tickets(State(c): State<Crm>, h: HeaderMap) -> (AxStatus, String) {
    if header(&h, "authorization").as_deref() != Some(TOKEN) {
        return (AxStatus::UNAUTHORIZED, "{}".into());
    }
    let items = c.tickets.lock().unwrap().clone();
    (
        AxStatus::OK,
        json!({ "data": { "items": items } }).to_string(),
    )
}

async fn approve(
    State(c): State<Crm>,
    Path(n): Path<String>,
    h: HeaderMap,
    body: axum::Json<Value>,
) -> (AxStatus, &'static str) {
    let delay = *c.approve_delay_ms.lock().unwrap();
    tokio::time::sleep(StdDuration::from_millis(delay)).await;
    c.approvals
        .lock()
        .unwrap()
        .push((n, header(&h, "authorization"), body.0));
    // Not JSON, as many systems answer an action: the status is what counts.
    let status = AxStatus::from_u16(*c.approve_status.lock().unwrap()).unwrap();
    (status, "<html>ok</html>")
}

/// Who owns a ticket, by the approver key the ticket carries.
async fn owner(State(c): State<Crm>, Path(key): Path<String>, h: HeaderMap) -> (AxStatus, String) {
    c.owner_asks.lock().unwrap().push(key.clone());
    if header(&h, "x-key").as_deref() != Some(CRM_KEY) {
        return (AxStatus::UNAUTHORIZED, "{}".into());
    }
    match key.as_str() {
        "k-ana" => (AxStatus::OK, json!({ "login": "agent_a" }).to_string()),
        "k-sup" => (AxStatus::OK, json!({ "group": "Team A" }).to_string()),
        "k-nobody" => (AxStatus::OK, json!({ "login": null }).to_string()),
        _ => (AxStatus::NOT_FOUND, "{}".into()),
    }
}

async fn crm() -> (Crm, String) {
    let c = Crm::default();
    *c.approve_status.lock().unwrap() = 200;
    *c.tickets.lock().unwrap() = json!([]);
    let app = axum::Router::new()
        .route("/tickets", axum::routing::get(tickets))
        .route("/tickets/{n}/approve", axum::routing::post(approve))
        .route("/owners/{key}", axum::routing::get(owner))
        .with_state(c.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (c, base)
}

/// Pending approval, with a card: "Open" (a link) and "Approve" (the action).
fn with_action(base: &str) -> Value {
    json!({
        "name": "Approve from the desk",
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
        "message": { "text": "Ticket {{ticket.number}} waits for your approval",
            "card": { "title": "Ticket {{ticket.number}}", "buttons": [
                { "label": "Open", "url": format!("{base}/t/{{{{ticket.number}}}}") },
                { "label": "Approve", "action": "approve" }
            ] } },
        "actions": [{ "name": "approve", "method": "POST",
            "url": format!("{base}/tickets/{{{{ticket.number}}}}/approve"),
            "headers": [{ "name": "Authorization", "value": ACTION_TOKEN, "secret": true },
                { "name": "X-Phone", "value": "{{phone}}" }],
            "body": { "by": "{{approver}}", "ticket": "{{ticket.number}}" } }],
        "channel": "in_app",
        "notify_minutes": 60,
        "attempts": 2
    })
}

async fn press(app: &TestApp, token: &str, id: i64, button: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        &format!("/api/v1/notifications/{id}/actions/{button}"),
        Some(token),
        None::<&()>,
    )
    .await
}

async fn inbox(app: &TestApp, token: &str) -> Notifications {
    app.get_as("/api/v1/notifications", token).await
}

#[tokio::test]
async fn a_card_button_calls_its_action_once_with_the_records_values() {
    let app = app().await;
    let (crm, base) = crm().await;
    let admin = app.token("admin").await;
    let f = create(&app, &admin, &with_action(&base)).await;
    // Write-only: the action's secret is not in the answer.
    assert!(
        !serde_json::to_string(&f)
            .unwrap()
            .contains("approve-s3cret")
    );
    // A ticket number that needs encoding in a URL path.
    *crm.tickets.lock().unwrap() = json!([ticket("T 1/2", "agent_a"), ticket("T-2", "super_a")]);
    let e = engine(&app, 1 << 20);
    let run = poll(&e, f.id, Utc::now()).await.expect("polled");
    assert_eq!(run.notified, 2, "{:?}", run.errors);

    let ana = app.token("agent_a").await;
    let mine = inbox(&app, &ana).await.items.remove(0);
    let card = mine.card.clone().expect("card");
    assert_eq!(card.buttons[1].action.as_deref(), Some("approve"));
    assert!(card.buttons[1].url.is_empty());
    assert_eq!(mine.action, None);

    // Bad presses: the link button, a button that is not there, not a number, another
    // user's notification (same team, other team), one that does not exist.
    let body = expect_error(
        press(&app, &ana, mine.id, "0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("button"));
    expect_error(
        press(&app, &ana, mine.id, "7").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_error(
        press(&app, &ana, mine.id, "x").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    expect_error(
        press(&app, &ana, mine.id, "-1").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    for other in ["super_a", "agent_b"] {
        let t = app.token(other).await;
        expect_error(press(&app, &t, mine.id, "1").await, StatusCode::NOT_FOUND).await;
    }
    expect_error(press(&app, &ana, 999_999, "1").await, StatusCode::NOT_FOUND).await;
    assert!(crm.approvals.lock().unwrap().is_empty(), "nothing called");

    // The system fails first: recorded, pressable again.
    *crm.approve_status.lock().unwrap() = 503;
    let res = press(&app, &ana, mine.id, "1").await;
    assert_eq!(res.status(), StatusCode::OK);
    let taken: ActionTaken = res.json().await.unwrap();
    assert_eq!(taken.state, ActionState::Failed);
    let why = taken.message.clone().unwrap();
    assert!(why.contains("503"), "{why}");
    assert!(!why.contains("s3cret"));
    let shown = inbox(&app, &ana).await.items.remove(0);
    assert_eq!(shown.action.map(|a| a.state), Some(ActionState::Failed));

    *crm.approve_status.lock().unwrap() = 200;
    let taken: ActionTaken = press(&app, &ana, mine.id, "1").await.json().await.unwrap();
    assert_eq!(
        (taken.state, taken.label.as_str()),
        (ActionState::Done, "Approve")
    );
    let shown = inbox(&app, &ana).await.items.remove(0);
    let done = shown.action.expect("action");
    assert_eq!(
        (done.state, done.label.as_str()),
        (ActionState::Done, "Approve")
    );
    assert!(shown.read, "acting on it reads it");
    // Done: a third press calls nothing.
    let body = expect_error(press(&app, &ana, mine.id, "1").await, StatusCode::CONFLICT).await;
    assert_eq!(body.error.field.as_deref(), Some("button"));

    let seen = crm.approvals.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "the failed call and the one that worked");
    let (path, auth, body) = &seen[1];
    assert_eq!(path, "T 1/2", "the record's value, encoded in the path");
    assert_eq!(auth.as_deref(), Some(ACTION_TOKEN));
    assert_eq!(body, &json!({ "by": "agent_a", "ticket": "T 1/2" }));

    // Two presses at once (two tabs): one call.
    *crm.approve_delay_ms.lock().unwrap() = 300;
    let sup = app.token("super_a").await;
    let theirs = inbox(&app, &sup).await.items.remove(0);
    let (a, b) = tokio::join!(
        press(&app, &sup, theirs.id, "1"),
        press(&app, &sup, theirs.id, "1")
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    assert_eq!(crm.approvals.lock().unwrap().len(), 3);

    // A record without a value the action uses (no phone): not called with a blank.
    *crm.approve_delay_ms.lock().unwrap() = 0;
    *crm.tickets.lock().unwrap() = json!([{ "number": "T-3", "approver": { "login": "agent_a" } }]);
    poll(&e, f.id, Utc::now() + Duration::minutes(10))
        .await
        .expect("polled");
    let newest = inbox(&app, &ana).await.items.remove(0);
    assert_eq!(newest.record, "T-3");
    let body = expect_error(
        press(&app, &ana, newest.id, "1").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        body.error.message.contains("{{phone}}"),
        "{}",
        body.error.message
    );
    assert_eq!(crm.approvals.lock().unwrap().len(), 3, "nothing called");

    // The admin removes the action: a notification already sent cannot call it.
    let mut spec = with_action(&base);
    spec["actions"] = json!([]);
    spec["message"]["card"]["buttons"] = json!([{ "label": "Open", "url": "https://x.example" }]);
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/followups/{}", f.id),
            Some(&admin),
            Some(&spec),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = expect_error(
        press(&app, &ana, newest.id, "1").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        body.error.message.contains("approve"),
        "{}",
        body.error.message
    );
    assert_eq!(crm.approvals.lock().unwrap().len(), 3, "nothing called");
}

#[tokio::test]
async fn calls_to_private_addresses_are_refused_unless_allowed() {
    // The app's default: outbound calls to loopback refused (SSRF), each call named.
    let app = TestApp::spawn_with(agentdesk_server::config::ServeConfig {
        followup_check_secs: 0,
        ..Default::default()
    })
    .await;
    let admin = app.token("admin").await;
    let mut spec = with_action("https://itsm.example.com");
    spec["actions"][0]["url"] = json!("http://127.0.0.1:9/approve/{{ticket.number}}");
    let res = app
        .call(Method::POST, "/api/v1/followups", Some(&admin), Some(&spec))
        .await;
    let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body.error.field.as_deref(), Some("actions[0].url"));
    let mut spec = with_action("https://itsm.example.com");
    spec["recipients"] = json!({ "lookup": {
        "call": { "name": "owner", "url": "http://[::1]/owners/{{approver}}" }, "user": "/login" } });
    let res = app
        .call(Method::POST, "/api/v1/followups", Some(&admin), Some(&spec))
        .await;
    let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        body.error.field.as_deref(),
        Some("recipients.lookup.call.url")
    );
    let followups: Vec<Value> = app.get_as("/api/v1/followups", &admin).await;
    assert!(followups.is_empty(), "nothing half-created");
}

#[tokio::test]
async fn a_recipients_call_finds_who_to_notify_once_per_distinct_request() {
    let app = app().await;
    let (crm, base) = crm().await;
    let admin = app.token("admin").await;
    let mut spec = with_action(&base);
    spec["name"] = json!("Owners from the CRM");
    spec["recipients"] = json!({ "lookup": {
        "call": { "name": "owner", "url": format!("{base}/owners/{{{{approver}}}}"),
            "headers": [{ "name": "X-Key", "value": CRM_KEY, "secret": true }] },
        "user": "/login", "team": "$.group" } });
    let f = create(&app, &admin, &spec).await;
    // Two tickets of one owner, one of a group, one the CRM does not know, one whose
    // answer names nobody.
    *crm.tickets.lock().unwrap() = json!([
        ticket("T-1", "k-ana"),
        ticket("T-2", "k-ana"),
        ticket("T-3", "k-sup"),
        ticket("T-4", "k-ghost"),
        ticket("T-5", "k-nobody"),
    ]);
    let e = engine(&app, 1 << 20);
    let t0 = Utc::now();
    let run = poll(&e, f.id, t0).await.expect("polled");
    assert_eq!(run.notified, 3, "{:?}", run.errors);
    let mut asked = crm.owner_asks.lock().unwrap().clone();
    asked.sort();
    assert_eq!(
        asked,
        ["k-ana", "k-ghost", "k-nobody", "k-sup"],
        "one request per owner"
    );
    let errors = run.errors.join(" | ");
    assert!(errors.contains("T-4") && errors.contains("404"), "{errors}");
    assert!(
        errors.contains("T-5") && errors.contains("without a user"),
        "{errors}"
    );
    assert!(!errors.contains(CRM_KEY));

    let records = |n: Notifications| {
        let mut r: Vec<String> = n.items.into_iter().map(|i| i.record).collect();
        r.sort();
        r
    };
    let ana = inbox(&app, &app.token("agent_a").await).await;
    assert_eq!(records(ana), ["T-1", "T-2", "T-3"], "hers, and her team's");
    let sup = inbox(&app, &app.token("super_a").await).await;
    assert_eq!(records(sup), ["T-3"]);
    assert!(
        inbox(&app, &app.token("agent_b").await)
            .await
            .items
            .is_empty(),
        "team B"
    );

    // The unknown owner was not notified, so its attempt was not spent: once the CRM
    // answers for it, the next poll notifies it (attempt 1), and nobody twice.
    *crm.tickets.lock().unwrap() = json!([ticket("T-4", "k-ana")]);
    let run = poll(&e, f.id, t0 + Duration::minutes(10))
        .await
        .expect("polled");
    assert_eq!(run.notified, 1, "{:?}", run.errors);
    let ana = inbox(&app, &app.token("agent_a").await).await;
    let t4 = ana.items.iter().find(|n| n.record == "T-4").expect("T-4");
    assert_eq!(t4.attempt, 1);
}
