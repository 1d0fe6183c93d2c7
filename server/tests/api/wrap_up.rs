//! After-call work under pressure: a hang-up and a disposition racing each other, and a
//! call ended and disposed while the desktop was disconnected.

use agentdesk_protocol::CallInfo;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::status::{app, hang_up, open_stream, status, wait_for};
use crate::support::TestApp;

async fn owing_campaign(app: &TestApp) {
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Ventas-%3E",
            Some(&admin),
            Some(&json!({ "name": "Ventas->", "require_disposition": true,
                "dispositions": [{ "label": "Venta" }] })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn dial(app: &TestApp, token: &str) -> CallInfo {
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls",
            Some(token),
            Some(&json!({ "contact_id": app.contact_a,
                "call": { "destination": "099000111", "campaign": "Ventas->" } })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn dispose(app: &TestApp, token: &str, guid: &str) -> StatusCode {
    app.call(
        Method::POST,
        "/api/v1/calls/disposition",
        Some(token),
        Some(&json!({ "disposition": { "campaign": "Ventas->", "guid": guid, "l1": "Venta" } })),
    )
    .await
    .status()
}

#[tokio::test]
async fn a_disposition_racing_the_hang_up_never_leaves_the_agent_in_wrap_up() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let _stream = open_stream(&app, &a).await;
    owing_campaign(&app).await;
    for round in 0..25 {
        let call = dial(&app, &a).await;
        // The iframe sends DISPOSITION_CALL and HANG_UP back to back.
        let (ended, disposed) = tokio::join!(hang_up(&app, &a), dispose(&app, &a, &call.guid));
        assert_eq!(ended.guid, call.guid);
        assert_eq!(disposed, StatusCode::OK);
        let s = status(&app, &a).await;
        assert_eq!(s.value, "available", "round {round}: nothing is owed");
    }
}

#[tokio::test]
async fn a_call_ended_and_disposed_while_disconnected_is_not_lost_on_a_quick_reconnect() {
    let app = app().await;
    let a = app.token("agent_a").await;
    owing_campaign(&app).await;
    let stream = open_stream(&app, &a).await;
    let call = dial(&app, &a).await;
    assert_eq!(status(&app, &a).await.value, "in-call");
    drop(stream);
    wait_for(&app, &a, |s| !s.connected).await;
    // uContact ends the call while the desktop is away.
    hang_up(&app, &a).await;
    assert_eq!(status(&app, &a).await.value, "disconnected");
    let _stream = open_stream(&app, &a).await;
    assert_eq!(
        status(&app, &a).await.value,
        "wrap-up",
        "back within the window: the disposition is still owed"
    );
    // Once more, disposing while away too: back where the agent was before the call.
    let stream = _stream;
    assert_eq!(dispose(&app, &a, &call.guid).await, StatusCode::OK);
    assert_eq!(status(&app, &a).await.value, "available");
    let call = dial(&app, &a).await;
    drop(stream);
    wait_for(&app, &a, |s| !s.connected).await;
    hang_up(&app, &a).await;
    assert_eq!(dispose(&app, &a, &call.guid).await, StatusCode::OK);
    let _stream = open_stream(&app, &a).await;
    let s = status(&app, &a).await;
    assert_eq!(s.value, "available", "not in-call, not wrap-up: {s:?}");
    // And a new call can be made.
    dial(&app, &a).await;
}
