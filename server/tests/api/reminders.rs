//! Callback reminders: a disposition marked "schedule callback" schedules one at a local
//! time of the agent's zone; it reaches that agent alone when due, and is theirs to
//! finish. Checked with two teams sharing the server, and on a clock-change day.

use agentdesk_protocol::{CurrentCalls, ErrorBody, Reminder};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::status::{hang_up, open_stream};
use crate::support::{TestApp, expect_error};
use agentdesk_server::config::ServeConfig;

const WAIT: std::time::Duration = std::time::Duration::from_secs(15);

async fn app() -> TestApp {
    TestApp::spawn_with(ServeConfig {
        reminder_check_secs: 1,
        ..Default::default()
    })
    .await
}

async fn callback_campaign(app: &TestApp) {
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Cobros",
            Some(&admin),
            Some(&json!({ "name": "Cobros", "require_disposition": true,
                "dispositions": [
                    { "label": "Volver a llamar", "callback": true },
                    { "label": "Pagó" }
                ] })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A call of `token`'s agent to contact `contact`, ended: it owes its disposition.
async fn ended_call(app: &TestApp, token: &str, contact: i64) -> String {
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls",
            Some(token),
            Some(&json!({ "contact_id": contact,
                "call": { "destination": "099000111", "campaign": "Cobros" } })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    hang_up(app, token).await.guid
}

async fn dispose(
    app: &TestApp,
    token: &str,
    guid: &str,
    l1: &str,
    callback: Option<(&str, &str)>,
) -> reqwest::Response {
    let mut body = json!({ "disposition": { "campaign": "Cobros", "guid": guid, "l1": l1 } });
    if let Some((at, note)) = callback {
        body["callback"] = json!({ "at": at, "note": note });
    }
    app.call(
        Method::POST,
        "/api/v1/calls/disposition",
        Some(token),
        Some(&body),
    )
    .await
}

/// `secs` from now on the server's clock, as a local date-time input of a UTC user.
fn in_secs(secs: i64) -> String {
    (agentdesk_server::clock::now() + Duration::seconds(secs))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

async fn reminders(app: &TestApp, token: &str) -> Vec<Reminder> {
    app.get_as("/api/v1/reminders", token).await
}

#[tokio::test]
async fn a_callback_reminds_its_agent_alone_when_due_and_is_theirs_to_finish() {
    let app = app().await;
    callback_campaign(&app).await;
    let a = app.token("agent_a").await;
    let sup = app.token("super_a").await;
    let b = app.token("agent_b").await;
    let mut a_stream = open_stream(&app, &a).await;
    let mut sup_stream = open_stream(&app, &sup).await;
    let mut b_stream = open_stream(&app, &b).await;
    // Agent B (team B) schedules a callback of their own first: the two never mix.
    let b_guid = ended_call(&app, &b, app.contact_b).await;
    let later = in_secs(3600);
    let res = dispose(&app, &b, &b_guid, "Volver a llamar", Some((&later, "b"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        b_stream.next_named("reminders", WAIT).await.is_some(),
        "B's own"
    );
    let guid = ended_call(&app, &a, app.contact_a).await;
    let at = in_secs(3);
    let res = dispose(
        &app,
        &a,
        &guid,
        "Volver a llamar",
        Some((&at, "ofrecer plan")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    let list = reminders(&app, &a).await;
    assert_eq!(list.len(), 1);
    let r = &list[0];
    assert_eq!(
        (r.contact_id, r.contact_name.as_str()),
        (app.contact_a, "Ana Alpha")
    );
    assert_eq!(r.call_guid.as_deref(), Some(guid.as_str()));
    assert_eq!(r.note, "ofrecer plan");
    assert!(!r.due, "not yet");
    let b_list = reminders(&app, &b).await;
    assert_eq!(b_list.len(), 1);
    assert_eq!(b_list[0].contact_id, app.contact_b);
    assert!(
        reminders(&app, &sup).await.is_empty(),
        "a supervisor's list is their own"
    );

    // Scheduled, then due: agent A's desktop hears of both.
    assert!(a_stream.next_named("reminders", WAIT).await.is_some());
    assert!(a_stream.next_named("reminders", WAIT).await.is_some());
    let list = reminders(&app, &a).await;
    assert!(list[0].due, "due after its time: {:?}", list[0]);
    assert!(list[0].due_at <= agentdesk_server::clock::now());
    // Nobody else's desktop does, the same team's supervisor included.
    assert!(
        sup_stream
            .next_named("reminders", std::time::Duration::from_secs(1))
            .await
            .is_none()
    );
    assert!(
        b_stream
            .next_named("reminders", std::time::Duration::from_secs(1))
            .await
            .is_none()
    );

    // Only its agent finishes it, once.
    let path = format!("/api/v1/reminders/{}/done", r.id);
    for other in [&b, &sup] {
        // Neither may finish it.
        let res = app
            .call(Method::POST, &path, Some(other), None::<&()>)
            .await;
        expect_error(res, StatusCode::NOT_FOUND).await;
    }
    let res = app.call(Method::POST, &path, Some(&a), None::<&()>).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(reminders(&app, &a).await.is_empty());
    let res = app.call(Method::POST, &path, Some(&a), None::<&()>).await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let res = app
        .call(Method::POST, "/api/v1/reminders/1/done", None, None::<&()>)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_refused_callback_time_saves_nothing() {
    let app = app().await;
    callback_campaign(&app).await;
    let a = app.token("agent_a").await;
    let guid = ended_call(&app, &a, app.contact_a).await;
    // Agent A works in London: 01:30 on 2027-03-28 never happens there.
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&a),
            Some(&json!({ "time_zone": "Europe/London" })),
        )
        .await;
    assert!(res.status().is_success());
    let past = (agentdesk_server::clock::now() - Duration::minutes(5))
        .with_timezone(&chrono_tz::Europe::London)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let far = (Utc::now() + Duration::days(400))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let long = "x".repeat(agentdesk_protocol::MAX_CALLBACK_NOTE + 1);
    for (at, note, field) in [
        ("2027-03-28T01:30", "", "callback_at"),
        (past.as_str(), "", "callback_at"),
        (far.as_str(), "", "callback_at"),
        ("mañana a las 9", "", "callback_at"),
        ("2027-02-30T09:00", "", "callback_at"),
        ("2099-01-01T09:00", long.as_str(), "callback_note"),
    ] {
        let res = dispose(&app, &a, &guid, "Volver a llamar", Some((at, note))).await;
        let body: ErrorBody = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body.error.field.as_deref(), Some(field), "{at}");
    }
    // The call still owes its disposition and no reminder was made.
    let calls: CurrentCalls = app.get_as("/api/v1/calls/current", &a).await;
    assert_eq!(
        calls.pending_disposition.map(|c| c.guid),
        Some(guid.clone())
    );
    assert!(reminders(&app, &a).await.is_empty());
    // 02:00 that day exists (01:00 UTC); the next 1st of the year at 00:15 too.
    let res = dispose(
        &app,
        &a,
        &guid,
        "Volver a llamar",
        Some(("2027-03-28T02:00", "")),
    )
    .await;
    if agentdesk_server::clock::now()
        < "2027-03-28T01:00:00Z"
            .parse::<chrono::DateTime<Utc>>()
            .unwrap()
    {
        assert_eq!(res.status(), StatusCode::OK);
        let r = &reminders(&app, &a).await[0];
        assert_eq!(
            r.due_at,
            "2027-03-28T01:00:00Z"
                .parse::<chrono::DateTime<Utc>>()
                .unwrap()
        );
    }
}

#[tokio::test]
async fn disposing_a_call_again_moves_its_one_reminder() {
    let app = app().await;
    callback_campaign(&app).await;
    let a = app.token("agent_a").await;
    let guid = ended_call(&app, &a, app.contact_a).await;
    let first = in_secs(3600);
    let res = dispose(&app, &a, &guid, "Volver a llamar", Some((&first, "uno"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = in_secs(7200);
    let res = dispose(&app, &a, &guid, "Volver a llamar", Some((&second, "dos"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list = reminders(&app, &a).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].note, "dos");
    let expected = agentdesk_server::clock::now() + Duration::seconds(7200);
    assert!((list[0].due_at - expected).num_seconds().abs() < 60);
    // Done, then the same request retried (same time, same note): it stays done.
    let id = list[0].id;
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/reminders/{id}/done"),
            Some(&a),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = dispose(&app, &a, &guid, "Volver a llamar", Some((&second, "dos"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        reminders(&app, &a).await.is_empty(),
        "a retry reopens nothing"
    );
    // Moved to another time, it is open again.
    let third = in_secs(10_800);
    let res = dispose(&app, &a, &guid, "Volver a llamar", Some((&third, "dos"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(reminders(&app, &a).await.len(), 1);
    // A disposition without a callback schedules nothing.
    let other = ended_call(&app, &a, app.contact_a).await;
    let res = dispose(&app, &a, &other, "Pagó", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(reminders(&app, &a).await.len(), 1);
}

#[tokio::test]
async fn only_a_disposition_marked_schedule_callback_takes_a_callback() {
    let app = app().await;
    callback_campaign(&app).await;
    let a = app.token("agent_a").await;
    let guid = ended_call(&app, &a, app.contact_a).await;
    let at = in_secs(3600);
    let res = dispose(&app, &a, &guid, "Pagó", Some((&at, ""))).await;
    let body: ErrorBody = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body.error.field.as_deref(), Some("callback_at"));
    // Nothing saved: the call still owes its disposition, no reminder.
    let calls: CurrentCalls = app.get_as("/api/v1/calls/current", &a).await;
    assert_eq!(
        calls.pending_disposition.map(|c| c.guid),
        Some(guid.clone())
    );
    assert!(reminders(&app, &a).await.is_empty());
    let res = dispose(&app, &a, &guid, "Volver a llamar", Some((&at, ""))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(reminders(&app, &a).await.len(), 1);
}
