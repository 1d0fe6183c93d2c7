//! uContact's Events API screen pop (`assignedInteraction` → `POST /screen-pop`) and the
//! CRM frame's settings (sandbox, `allow=`, the opt-in AGENT_STATUS relay), with two teams:
//! a customer id or number of team B never opens team B's contact for team A.

use agentdesk_protocol::{CrmSettings, LaunchResult};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, expect_error};

async fn pop(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.call(Method::POST, "/api/v1/screen-pop", Some(token), Some(&body))
        .await
}

async fn popped(app: &TestApp, token: &str, body: Value) -> LaunchResult {
    let res = pop(app, token, body.clone()).await;
    assert_eq!(res.status(), StatusCode::OK, "{body}");
    res.json().await.expect("launch result")
}

#[tokio::test]
async fn assigned_interactions_open_by_client_id_then_phone_else_create_within_the_viewers_teams() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let res = app
        .call(Method::PUT, "/api/v1/crm/settings", Some(&admin), Some(&json!({
            "url_template": "https://crm.example/c?id={clientId}&agent={agent}&p={producto}&ch={channel}" })))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let a = app.token("agent_a").await;
    let b = app.token("agent_b").await;

    // Team B's customer, created by B's screen pop under its CRM id.
    let rb = popped(
        &app,
        &b,
        json!({ "client_id": "CRM-B1", "campaign": "Soporte<-" }),
    )
    .await;
    assert!(rb.created);
    let again = popped(&app, &b, json!({ "client_id": " CRM-B1 " })).await;
    assert_eq!(
        (again.contact_id, again.created),
        (rb.contact_id, false),
        "found by its id"
    );

    // Team A asking for the same id gets a contact of its own, never B's.
    let ra = popped(
        &app,
        &a,
        json!({ "client_id": "CRM-B1", "guid": "g-a1", "channel": "telephony",
        "data": { "producto": "Fibra óptica", "agent": "mallory" } }),
    )
    .await;
    assert!(ra.created, "B's contact is not A's to open");
    assert_ne!(ra.contact_id, rb.contact_id);
    assert_ne!(ra.contact_id, app.contact_b);
    assert_eq!(
        ra.crm_url,
        "https://crm.example/c?id=CRM-B1&agent=agent_a&p=Fibra%20%C3%B3ptica&ch=telephony",
        "{{agent}} is the signed-in agent, whatever the event's data says"
    );
    assert_eq!(ra.guid, "g-a1");
    let c: Value = app
        .get_as(&format!("/api/v1/contacts/{}", ra.contact_id), &a)
        .await;
    assert_eq!(c["external_id"], json!("CRM-B1"));
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{}", rb.contact_id),
            Some(&a),
            None::<&()>,
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "B's popped contact stays B's"
    );

    // By number when the id is unknown or absent: both teams have +59899000111, each
    // opens its own.
    let by_phone = popped(&app, &a, json!({ "phone": "+598 99 000 111" })).await;
    assert_eq!(
        (by_phone.contact_id, by_phone.created),
        (app.contact_a, false)
    );
    let by_phone_b = popped(
        &app,
        &b,
        json!({ "client_id": "", "phone": "+59899000111" }),
    )
    .await;
    assert_eq!(by_phone_b.contact_id, app.contact_b);
    // The id wins over the number.
    let by_id = popped(
        &app,
        &a,
        json!({ "client_id": "CRM-B1", "phone": "+59899000111" }),
    )
    .await;
    assert_eq!(by_id.contact_id, ra.contact_id);
    // A new customer with both: created with both, found by either afterwards.
    let new = popped(
        &app,
        &a,
        json!({ "client_id": "CRM-NEW", "phone": "+59829001234" }),
    )
    .await;
    assert!(new.created);
    let found = popped(&app, &a, json!({ "phone": "+59829001234" })).await;
    assert_eq!((found.contact_id, found.created), (new.contact_id, false));

    // Nothing to find the customer by, or too much: a clear 422, nothing created.
    let e = expect_error(
        pop(&app, &a, json!({ "guid": "g", "campaign": "Soporte<-" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("phone"));
    let long = "x".repeat(600);
    expect_error(
        pop(&app, &a, json!({ "client_id": long })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_error(
        pop(&app, &a, json!({ "client_id": 7 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/screen-pop",
            None,
            Some(&json!({ "client_id": "x" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_crm_frame_settings_are_checked_and_the_agent_status_relay_is_off_by_default() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let agent = app.token("agent_a").await;
    let s: CrmSettings = app.get_as("/api/v1/crm/settings", &agent).await;
    assert!(
        !s.agent_status_relay,
        "AGENT_STATUS is not uContact's: off unless enabled"
    );
    assert_eq!(
        s.frame_sandbox,
        agentdesk_protocol::embed::default_frame_sandbox(),
        "today's sandbox is the default"
    );
    assert!(s.frame_allow.is_empty());

    for (field, body) in [
        (
            "frame_sandbox",
            json!({ "frame_sandbox": ["allow-scripts", "allow-top-navigation"] }),
        ),
        (
            "frame_sandbox",
            json!({ "frame_sandbox": ["allow-scripts *"] }),
        ),
        ("frame_allow", json!({ "frame_allow": ["camera"] })),
        (
            "frame_allow",
            json!({ "frame_allow": ["microphone https://evil.example"] }),
        ),
    ] {
        let e = expect_error(
            app.call(
                Method::PUT,
                "/api/v1/crm/settings",
                Some(&admin),
                Some(&body),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some(field), "{body}");
    }
    let after: CrmSettings = app.get_as("/api/v1/crm/settings", &agent).await;
    assert_eq!(after, s, "a refused change changes nothing");

    let res = app
        .call(Method::PUT, "/api/v1/crm/settings", Some(&admin), Some(&json!({
            "agent_status_relay": true,
            "frame_sandbox": ["Allow-Scripts allow-modals", "allow-scripts", "allow-popups-to-escape-sandbox"],
            "frame_allow": ["clipboard-write;", "MICROPHONE"] })))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: CrmSettings = app.get_as("/api/v1/crm/settings", &agent).await;
    assert!(saved.agent_status_relay);
    assert_eq!(
        saved.frame_sandbox,
        [
            "allow-scripts",
            "allow-modals",
            "allow-popups-to-escape-sandbox"
        ]
    );
    assert_eq!(saved.frame_allow, ["clipboard-write", "microphone"]);
    // Agents read the settings, only admins change them.
    let res = app
        .call(
            Method::PUT,
            "/api/v1/crm/settings",
            Some(&agent),
            Some(&json!({ "agent_status_relay": false })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
