//! Agent status: presence from the real-time stream, the picker's rules, calls, the
//! supervisor's board and the connection-event log with its export.

use std::time::Duration;

use agentdesk_protocol::{
    AgentStatus, Board, ConnectionEventPage, ErrorCode, SetStatusResult, StatusDef, StatusTime,
};
use agentdesk_server::config::ServeConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{SseReader, TestApp, expect_error};

const NONE: Option<&()> = None;

/// Presence settings short enough to test: closing a stream counts after 50 ms, and a
/// reconnect restores the status within 2 s.
pub(crate) async fn app() -> TestApp {
    TestApp::spawn_with(ServeConfig {
        presence_grace_ms: 50,
        presence_restore_secs: 2,
        ..Default::default()
    })
    .await
}

pub(crate) async fn open_stream(app: &TestApp, token: &str) -> SseReader {
    SseReader::new(
        app.call(Method::GET, "/api/v1/events", Some(token), NONE)
            .await,
    )
}

pub(crate) async fn status(app: &TestApp, token: &str) -> AgentStatus {
    app.get_as("/api/v1/status", token).await
}

async fn set(app: &TestApp, token: &str, value: &str) -> reqwest::Response {
    app.call(
        Method::PUT,
        "/api/v1/status",
        Some(token),
        Some(&json!({ "value": value })),
    )
    .await
}

async fn log(app: &TestApp, token: &str, user: i64) -> ConnectionEventPage {
    app.get_as(&format!("/api/v1/agents/{user}/connection-events"), token)
        .await
}

/// (type, value, reason) of a log, oldest first.
pub(crate) fn rows(page: &ConnectionEventPage) -> Vec<(String, String, Option<String>)> {
    page.items
        .iter()
        .rev()
        .map(|e| {
            (
                e.kind.as_str().to_string(),
                e.value.clone(),
                e.reason.map(|r| r.as_str().to_string()),
            )
        })
        .collect()
}

fn row(kind: &str, value: &str, reason: Option<&str>) -> (String, String, Option<String>) {
    (kind.into(), value.into(), reason.map(Into::into))
}

/// Wait until the agent's status satisfies `f` (presence changes land after a grace).
pub(crate) async fn wait_for(
    app: &TestApp,
    token: &str,
    f: impl Fn(&AgentStatus) -> bool,
) -> AgentStatus {
    for _ in 0..100 {
        let s = status(app, token).await;
        if f(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!(
        "status never reached the expected state: {:?}",
        status(app, token).await
    );
}

#[tokio::test]
async fn opening_the_stream_connects_the_agent_and_closing_it_disconnects_with_reason_network() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let id = app.users["agent_a"];
    assert!(!status(&app, &a).await.connected);
    let stream = open_stream(&app, &a).await;
    let s = status(&app, &a).await;
    assert!(s.connected);
    assert_eq!(s.value, "available");
    let session = s.session_id.clone().expect("a session id");
    // A second tab changes nothing.
    let second = open_stream(&app, &a).await;
    drop(second);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(status(&app, &a).await.connected);

    drop(stream);
    let s = wait_for(&app, &a, |s| !s.connected).await;
    assert_eq!(s.value, "disconnected");
    let page = log(&app, &a, id).await;
    assert_eq!(
        rows(&page),
        [
            row("status-changed", "connected", None),
            row("status-changed", "available", None),
            row("status-changed", "disconnected", Some("network")),
        ]
    );
    assert!(page.items.iter().all(|e| e.session_id == session));
}

#[tokio::test]
async fn a_reconnect_within_the_window_restores_the_status_and_one_after_it_does_not() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let id = app.users["agent_a"];
    let stream = open_stream(&app, &a).await;
    let session = status(&app, &a).await.session_id.unwrap();
    assert_eq!(set(&app, &a, "meal").await.status(), StatusCode::OK);
    drop(stream);
    wait_for(&app, &a, |s| !s.connected).await;

    // Back within 2 s: status and session restored.
    let stream = open_stream(&app, &a).await;
    let s = status(&app, &a).await;
    assert_eq!(s.value, "meal");
    assert_eq!(s.session_id.as_deref(), Some(session.as_str()));
    let tail: Vec<_> = rows(&log(&app, &a, id).await)
        .into_iter()
        .rev()
        .take(2)
        .collect();
    assert_eq!(
        tail,
        [
            row("status-changed-user", "meal", None),
            row("status-changed", "reconnected", None),
        ]
    );

    // Away longer than the window: a new session, available.
    drop(stream);
    wait_for(&app, &a, |s| !s.connected).await;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let _stream = open_stream(&app, &a).await;
    let s = status(&app, &a).await;
    assert_eq!(s.value, "available");
    assert_ne!(s.session_id.as_deref(), Some(session.as_str()));
    let page = log(&app, &a, id).await;
    assert_eq!(page.items[1].value, "connected");
}

#[tokio::test]
async fn signing_out_disconnects_with_reason_logout() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let _stream = open_stream(&app, &a).await;
    let res = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&a), NONE)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let sup = app.token("super_a").await;
    let page = log(&app, &sup, app.users["agent_a"]).await;
    assert_eq!(page.items[0].value, "disconnected");
    assert_eq!(page.items[0].reason.map(|r| r.as_str()), Some("logout"));
    let s: AgentStatus = app
        .get_as(
            &format!("/api/v1/agents/{}/status", app.users["agent_a"]),
            &sup,
        )
        .await;
    assert!(!s.connected);
}

#[tokio::test]
async fn signing_out_ends_that_sessions_streams_at_once_and_no_other() {
    let app = app().await;
    let first = app.token("agent_a").await;
    let second = app.token("agent_a").await;
    let mut gone = open_stream(&app, &first).await;
    // A browser's stream, opened with a ticket of the same session.
    let ticket: agentdesk_protocol::StreamTicket = {
        let res = app
            .call(Method::POST, "/api/v1/stream-tickets", Some(&first), NONE)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    };
    let mut gone_too = SseReader::new(
        app.call(
            Method::GET,
            &format!("/api/v1/events?ticket={}", ticket.ticket),
            None,
            NONE,
        )
        .await,
    );
    let mut stays = open_stream(&app, &second).await;
    let res = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&first), NONE)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        gone.closed_within(crate::support::SIGN_OUT_ENDS_STREAMS)
            .await
    );
    assert!(
        gone_too
            .closed_within(crate::support::SIGN_OUT_ENDS_STREAMS)
            .await
    );
    // The other session's stream is still open and hears the user's next change.
    assert_eq!(set(&app, &second, "break").await.status(), StatusCode::OK);
    assert!(
        stays
            .next_named("agent.status", Duration::from_secs(5))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn malformed_unknown_and_system_values_are_422_in_the_json_error_shape() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let _stream = open_stream(&app, &a).await;
    for bad in [
        "Busy",
        "baño",
        "in call",
        "in_call",
        "",
        "-busy",
        "in-call",
        "connected",
        "nap-time",
    ] {
        let body = expect_error(set(&app, &a, bad).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body.error.code, ErrorCode::Validation, "{bad}");
        assert_eq!(body.error.field.as_deref(), Some("value"), "{bad}");
    }
    let res = app
        .call(
            Method::PUT,
            "/api/v1/status",
            Some(&a),
            Some(&json!({ "value": 7 })),
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    // Nothing was logged for them, and the status did not move.
    assert_eq!(status(&app, &a).await.value, "available");
    assert_eq!(log(&app, &a, app.users["agent_a"]).await.total, 2);
    // Each custom value and `available` are accepted and logged as the user's choice.
    for v in [
        "busy",
        "break",
        "bath",
        "meal",
        "gathering",
        "training",
        "available",
    ] {
        let res = set(&app, &a, v).await;
        assert_eq!(res.status(), StatusCode::OK, "{v}");
        let r: SetStatusResult = res.json().await.unwrap();
        assert!(!r.queued);
        assert_eq!(r.status.value, v);
    }
    let page = log(&app, &a, app.users["agent_a"]).await;
    assert_eq!(page.total, 9);
    assert!(
        page.items[..7]
            .iter()
            .all(|e| e.kind.as_str() == "status-changed-user")
    );
}

#[tokio::test]
async fn admins_add_custom_statuses_that_agents_can_then_choose() {
    let app = app().await;
    let admin = app.token("admin").await;
    let a = app.token("agent_a").await;
    let def = json!({ "label_es": "Coaching", "label_en": "Coaching", "color": "#123ABC" });
    let res = app
        .call(
            Method::PUT,
            "/api/v1/statuses/coaching",
            Some(&a),
            Some(&def),
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
    expect_error(
        set(&app, &a, "coaching").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/statuses/coaching",
            Some(&admin),
            Some(&def),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for (path, code) in [
        (
            "/api/v1/statuses/Coaching",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/api/v1/statuses/in-call", StatusCode::CONFLICT),
    ] {
        let res = app.call(Method::PUT, path, Some(&admin), Some(&def)).await;
        expect_error(res, code).await;
    }
    let res = app
        .call(
            Method::PUT,
            "/api/v1/statuses/x",
            Some(&admin),
            Some(&json!({ "label_es": "X", "label_en": "X", "color": "red" })),
        )
        .await;
    let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body.error.field.as_deref(), Some("color"));
    let defs: Vec<StatusDef> = app.get_as("/api/v1/statuses", &a).await;
    let c = defs.iter().find(|d| d.value == "coaching").unwrap();
    assert_eq!(c.color, "#123abc");
    assert!(c.selectable());
    assert!(
        !defs
            .iter()
            .find(|d| d.value == "in-call")
            .unwrap()
            .selectable()
    );
    assert_eq!(set(&app, &a, "coaching").await.status(), StatusCode::OK);
}

/// A call for `contact` (team A's contact unless said), in campaign Soporte.
async fn start_call(app: &TestApp, token: &str) {
    start_call_for(app, token, app.contact_a).await
}

pub(crate) async fn start_call_for(app: &TestApp, token: &str, contact: i64) {
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Soporte",
            Some(&admin),
            Some(&json!({ "name": "Soporte", "require_disposition": false, "dispositions": [] })),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls",
            Some(token),
            Some(&json!({ "contact_id": contact,
                "call": { "destination": "099000111", "campaign": "Soporte" } })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

pub(crate) async fn hang_up(app: &TestApp, token: &str) -> agentdesk_protocol::CallInfo {
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/hangup",
            Some(token),
            Some(&json!({})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_call_moves_the_agent_to_in_call_and_back_to_their_status() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let _stream = open_stream(&app, &a).await;
    start_call(&app, &a).await;
    assert_eq!(status(&app, &a).await.value, "in-call");
    hang_up(&app, &a).await;
    assert_eq!(status(&app, &a).await.value, "available");
    let page = log(&app, &a, app.users["agent_a"]).await;
    let tail: Vec<_> = rows(&page).into_iter().skip(2).collect();
    assert_eq!(
        tail,
        [
            row("status-changed", "in-call", None),
            row("status-changed", "end-call", None),
            row("status-changed", "available", None),
        ]
    );
}

#[tokio::test]
async fn a_change_chosen_during_a_call_waits_as_pending_until_the_call_ends() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let _stream = open_stream(&app, &a).await;
    start_call(&app, &a).await;
    let res = set(&app, &a, "break").await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: SetStatusResult = res.json().await.unwrap();
    assert!(r.queued);
    assert_eq!(r.status.value, "in-call");
    assert_eq!(r.status.pending.as_deref(), Some("break"));
    // Cancelling and choosing again.
    let s: AgentStatus = app
        .call(Method::DELETE, "/api/v1/status/pending", Some(&a), NONE)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s.pending, None);
    let r: SetStatusResult = set(&app, &a, "meal").await.json().await.unwrap();
    assert_eq!(r.status.pending.as_deref(), Some("meal"));

    hang_up(&app, &a).await;
    let s = status(&app, &a).await;
    assert_eq!(s.value, "meal");
    assert_eq!(s.pending, None);
    let tail: Vec<_> = rows(&log(&app, &a, app.users["agent_a"]).await)
        .into_iter()
        .skip(2)
        .collect();
    assert_eq!(
        tail,
        [
            row("status-changed", "in-call", None),
            row("status-changed", "end-call", None),
            row("status-changed-user", "meal", None),
        ]
    );
}

#[tokio::test]
async fn the_board_and_the_logs_are_scoped_to_the_supervisors_teams() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let b = app.token("agent_b").await;
    let sup = app.token("super_a").await;
    let _sa = open_stream(&app, &a).await;
    let _sb = open_stream(&app, &b).await;
    start_call(&app, &a).await;

    let board: Board = app.get_as("/api/v1/board", &sup).await;
    let names: Vec<&str> = board.agents.iter().map(|r| r.username.as_str()).collect();
    assert!(
        names.contains(&"agent_a") && names.contains(&"mailer_a"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"agent_b") && !names.contains(&"admin"),
        "{names:?}"
    );
    let row = board
        .agents
        .iter()
        .find(|r| r.username == "agent_a")
        .unwrap();
    assert_eq!(row.status.value, "in-call");
    assert!(row.status.connected);
    let call = row.call.as_ref().expect("the current call");
    assert_eq!(call.contact_id, app.contact_a);
    assert_eq!(call.contact_name, "Ana Alpha");
    assert_eq!(row.teams[0].id, app.team_a);
    let idle = board
        .agents
        .iter()
        .find(|r| r.username == "mailer_a")
        .unwrap();
    assert!(!idle.status.connected && idle.call.is_none());

    // Agents have no board; nobody reads the log of an agent outside their teams.
    expect_error(
        app.call(Method::GET, "/api/v1/board", Some(&a), NONE).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let b_id = app.users["agent_b"];
    for path in [
        format!("/api/v1/agents/{b_id}/connection-events"),
        format!("/api/v1/agents/{b_id}/connection-events.csv"),
        format!("/api/v1/agents/{b_id}/status-time"),
        format!("/api/v1/agents/{b_id}/status"),
    ] {
        expect_error(
            app.call(Method::GET, &path, Some(&sup), NONE).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let mailer = app.users["mailer_a"];
    expect_error(
        app.call(
            Method::GET,
            &format!("/api/v1/agents/{mailer}/connection-events"),
            Some(&a),
            NONE,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Their own log, yes; the admin's board has everyone but admins.
    assert_eq!(log(&app, &b, b_id).await.total, 2);
    let admin = app.token("admin").await;
    let all: Board = app.get_as("/api/v1/board", &admin).await;
    assert_eq!(all.agents.len(), 4);
}

#[tokio::test]
async fn the_supervisors_stream_hears_an_agents_status_change_and_other_teams_do_not() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let sup = app.token("super_a").await;
    let b = app.token("agent_b").await;
    let _sa = open_stream(&app, &a).await;
    let mut watcher = open_stream(&app, &sup).await;
    let mut other = open_stream(&app, &b).await;
    assert_eq!(set(&app, &a, "training").await.status(), StatusCode::OK);
    let (_, data) = watcher
        .next_named("agent.status", Duration::from_secs(5))
        .await
        .expect("a status event");
    assert_eq!(data["user_id"], app.users["agent_a"]);
    assert!(
        other
            .next_named("agent.status", Duration::from_millis(400))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn the_log_filters_by_date_pages_and_exports_csv_with_ucontact_columns() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let sup = app.token("super_a").await;
    let id = app.users["agent_a"];
    let _stream = open_stream(&app, &a).await;
    for _ in 0..30 {
        set(&app, &a, "busy").await;
        set(&app, &a, "available").await;
    }
    let page = log(&app, &sup, id).await;
    assert_eq!(page.total, 62);
    assert_eq!((page.items.len(), page.pages), (50, 2));
    let second: ConnectionEventPage = app
        .get_as(
            &format!("/api/v1/agents/{id}/connection-events?page=2"),
            &sup,
        )
        .await;
    assert_eq!(second.items.len(), 12);
    assert_eq!(second.items.last().unwrap().value, "connected");
    let today = agentdesk_server::clock::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    // Without a range the server shows the last seven days up to today (the viewer's
    // zone, the server's clock) and says which, whatever the day of the month.
    assert_eq!(page.to, today, "{page:?}");
    assert_eq!((page.to - page.from).num_days(), 6, "{page:?}");
    let only_to: ConnectionEventPage = app
        .get_as(
            &format!("/api/v1/agents/{id}/connection-events?to={today}"),
            &sup,
        )
        .await;
    assert_eq!(
        (only_to.from, only_to.to, only_to.total),
        (page.from, today, 62)
    );
    let old: ConnectionEventPage = app
        .get_as(
            &format!("/api/v1/agents/{id}/connection-events?from={yesterday}&to={yesterday}"),
            &sup,
        )
        .await;
    assert_eq!(old.total, 0);
    let bad = app
        .call(
            Method::GET,
            &format!("/api/v1/agents/{id}/connection-events?from={today}&to={yesterday}"),
            Some(&sup),
            NONE,
        )
        .await;
    expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY).await;

    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/agents/{id}/connection-events.csv?from={today}&to={today}"),
            Some(&sup),
            NONE,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,type,value,reason,session_id");
    assert_eq!(lines.len(), 63);
    let session = status(&app, &a).await.session_id.unwrap();
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        &first[1..],
        ["status-changed", "connected", "", session.as_str()]
    );
    assert!(first[0].starts_with(&today.to_string()), "{}", first[0]);
    assert_eq!(lines[3].split(',').nth(1), Some("status-changed-user"));

    // Time is counted in whole seconds: spend one in `available`.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let chart: StatusTime = app
        .get_as(&format!("/api/v1/agents/{id}/status-time"), &sup)
        .await;
    assert_eq!(chart.days.len(), 1);
    assert_eq!(chart.days[0].day, today);
    assert!(
        chart.days[0]
            .seconds
            .iter()
            .any(|(v, s)| v == "available" && *s >= 1),
        "{chart:?}"
    );
}

#[tokio::test]
async fn streams_opening_and_closing_amid_status_changes_never_fail_and_leave_the_truth() {
    // Status changes and stream opens/closes of one agent race each other (on
    // PostgreSQL they take the write lock after the presence row): none may fail (a
    // deadlock would be a 503), and while one stream stays open the agent stays
    // connected; when it goes, the agent is disconnected.
    let app = app().await;
    let a = app.token("agent_a").await;
    let b = app.token("super_a").await;
    let anchor = open_stream(&app, &a).await;
    let churn = (0..12).map(|i| {
        let (app, a, b) = (&app, a.clone(), b.clone());
        async move {
            let other = open_stream(app, &b).await;
            let stream = open_stream(app, &a).await;
            let value = ["break", "available", "meal"][i % 3];
            let res = set(app, &a, value).await;
            assert_eq!(res.status(), StatusCode::OK, "status change {i}");
            let res = set(app, &b, value).await;
            assert_eq!(res.status(), StatusCode::OK, "supervisor's change {i}");
            drop(stream);
            drop(other);
        }
    });
    futures_util::future::join_all(churn).await;
    // Every closed stream's grace period (50 ms) is over.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        status(&app, &a).await.connected,
        "the anchor stream is still open"
    );
    drop(anchor);
    wait_for(&app, &a, |s| !s.connected).await;
    wait_for(&app, &b, |s| !s.connected).await;
}

/// A user created through the API, in `teams`, and their token.
pub(crate) async fn member(
    app: &TestApp,
    username: &str,
    role: &str,
    teams: &[i64],
) -> (i64, String) {
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(&json!({ "username": username, "display_name": username,
                "password": crate::support::PASSWORD, "role": role, "teams": teams })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{username}");
    let user: agentdesk_protocol::UserSummary = res.json().await.unwrap();
    (user.id, app.token(username).await)
}

#[tokio::test]
async fn two_teams_sharing_an_agent_see_only_their_own_calls_teams_and_logs() {
    let app = app().await;
    let (shared_id, shared) = member(&app, "shared", "agent", &[app.team_a, app.team_b]).await;
    let (admin_a, _) = member(&app, "admin_a", "admin", &[app.team_a]).await;
    let sup = app.token("super_a").await;
    let admin = app.token("admin").await;
    let _stream = open_stream(&app, &shared).await;
    // The shared agent takes a call of team B's contact.
    start_call_for(&app, &shared, app.contact_b).await;

    // Team A's supervisor sees the agent in a call, but not team B's number or customer.
    let board: Board = app.get_as("/api/v1/board", &sup).await;
    let row = board
        .agents
        .iter()
        .find(|r| r.user_id == shared_id)
        .expect("the shared agent is on team A's board");
    assert_eq!(row.status.value, "in-call");
    assert!(row.call.is_none(), "team B's call leaked: {:?}", row.call);
    assert_eq!(
        row.teams.iter().map(|t| t.id).collect::<Vec<_>>(),
        [app.team_a],
        "team B is not team A's to know"
    );
    // An admin sees the call.
    let all: Board = app.get_as("/api/v1/board", &admin).await;
    let row = all.agents.iter().find(|r| r.user_id == shared_id).unwrap();
    assert_eq!(row.call.as_ref().map(|c| c.contact_id), Some(app.contact_b));

    // The users list shows a shared user with the viewer's teams only.
    let users: Vec<agentdesk_protocol::UserSummary> = app.get_as("/api/v1/users", &sup).await;
    let u = users.iter().find(|u| u.id == shared_id).unwrap();
    assert_eq!(
        u.teams.iter().map(|t| t.id).collect::<Vec<_>>(),
        [app.team_a]
    );
    let users: Vec<agentdesk_protocol::UserSummary> = app.get_as("/api/v1/users", &admin).await;
    let u = users.iter().find(|u| u.id == shared_id).unwrap();
    assert_eq!(u.teams.len(), 2);

    // An admin's connection log is not a supervisor's to read, even in a shared team; an
    // agent of the team is, as before.
    for path in [
        format!("/api/v1/agents/{admin_a}/connection-events"),
        format!("/api/v1/agents/{admin_a}/connection-events.csv"),
        format!("/api/v1/agents/{admin_a}/status"),
    ] {
        expect_error(
            app.call(Method::GET, &path, Some(&sup), NONE).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/agents/{shared_id}/connection-events"),
            Some(&sup),
            NONE,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/agents/{admin_a}/connection-events"),
            Some(&admin),
            NONE,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}
