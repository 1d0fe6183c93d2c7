//! uContact's REST `DispositionCall`, outbound: against a stand-in uContact started here
//! (a real HTTP server on loopback) that answers what each test scripts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentdesk_protocol::{ActivityDetail, ActivityView, CallInfo, RemoteSync, SyncState};
use agentdesk_server::config::{Password, ServeConfig};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

/// What the stand-in received: the Authorization header and the form, in order.
type Received = Vec<(Option<String>, Vec<(String, String)>)>;

#[derive(Clone, Default)]
struct StandIn {
    answers: Arc<Mutex<VecDeque<(u16, &'static str)>>>,
    received: Arc<Mutex<Received>>,
}

async fn disposition_call(
    State(s): State<StandIn>,
    headers: HeaderMap,
    body: String,
) -> (AxStatus, String) {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    s.received.lock().unwrap().push((auth, form));
    let (status, text) = s.answers.lock().unwrap().pop_front().unwrap_or((200, "OK"));
    (AxStatus::from_u16(status).unwrap(), text.to_string())
}

/// The stand-in on 127.0.0.1:0; its base URL.
async fn stand_in(s: StandIn) -> String {
    let app = axum::Router::new()
        .route(
            "/Integra/resources/api/DispositionCall",
            axum::routing::post(disposition_call),
        )
        .with_state(s);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

fn config(base: &str, allow_private: bool) -> ServeConfig {
    ServeConfig {
        ucontact_api_url: Some(url::Url::parse(base).unwrap()),
        ucontact_api_user: "integra".into(),
        ucontact_api_password: Some(Password("pa:ss wörd".into())),
        ucontact_api_attempts: 3,
        ucontact_api_retry_ms: 20,
        outbound_allow_private: allow_private,
        ..Default::default()
    }
}

/// A call of agent_a, ended, disposed with `l1`; its activity id.
async fn disposed_call(app: &TestApp, guid: &str, l1: &str) -> i64 {
    let agent = app.token("agent_a").await;
    let make = json!({ "contact_id": app.contact_a, "call": {
        "destination": "099000111", "campaign": "Soporte", "guid": guid } });
    let res = app
        .call(Method::POST, "/api/v1/calls", Some(&agent), Some(&make))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let call: CallInfo = res.json().await.unwrap();
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/hangup",
            Some(&agent),
            Some(&json!({})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let dispo = json!({ "disposition": { "campaign": "Soporte", "callerid": "099000111",
        "guid": guid, "l1": l1, "l2": "", "l3": "", "d1": "", "d2": "", "comment": "Llamar el lunes" } });
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/disposition",
            Some(&agent),
            Some(&dispo),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // A replay: nothing changes, nothing is sent again.
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/disposition",
            Some(&agent),
            Some(&dispo),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    call.activity_id.expect("the call's activity")
}

/// The call activity's sync state once it stops being pending (or after 10 s).
async fn settled(app: &TestApp, activity: i64) -> Option<RemoteSync> {
    let token = app.token("agent_a").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let a: ActivityView = app
            .get_as(&format!("/api/v1/activities/{activity}"), &token)
            .await;
        let sync = match a.activity.detail {
            ActivityDetail::Call {
                disposition: Some(d),
                ..
            } => d.sync,
            other => panic!("not a disposed call: {other:?}"),
        };
        match &sync {
            Some(s) if s.state == SyncState::Pending => {}
            _ => return sync,
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still pending: {sync:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_disposition_is_sent_to_ucontacts_rest_api_retried_on_5xx_and_failed_on_4xx() {
    let s = StandIn::default();
    s.answers
        .lock()
        .unwrap()
        .extend([(503, "busy"), (200, "OK")]);
    let base = stand_in(s.clone()).await;
    let app = TestApp::spawn_with(config(&base, true)).await;

    let first = disposed_call(&app, "uc-rest-1", "Venta").await;
    let sync = settled(&app, first).await.expect("a sync state");
    assert_eq!(
        (sync.state, sync.attempts),
        (SyncState::Sent, 2),
        "{sync:?}"
    );
    {
        let got = s.received.lock().unwrap();
        assert_eq!(
            got.len(),
            2,
            "one retry after the 503, nothing for the replay"
        );
        let (auth, form) = &got[1];
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode("integra:pa:ss wörd");
        assert_eq!(auth.as_deref(), Some(format!("Basic {basic}").as_str()));
        let want: Vec<(String, String)> = [
            ("campaign", "Soporte"),
            ("agent", "agent_a"),
            ("callerid", "099000111"),
            ("guid", "uc-rest-1"),
            ("l1", "Venta"),
            ("l2", ""),
            ("l3", ""),
            ("d1", ""),
            ("d2", ""),
            ("comment", "Llamar el lunes"),
            ("schedule", ""),
            ("camptoreschedule", ""),
            ("tag", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(form, &want);
    }

    // A refusal is final: failed, with uContact's words, after one attempt.
    s.answers
        .lock()
        .unwrap()
        .push_back((400, "Invalid campaign\n"));
    let second = disposed_call(&app, "uc-rest-2", "Venta").await;
    let sync = settled(&app, second).await.expect("a sync state");
    assert_eq!(
        (sync.state, sync.attempts),
        (SyncState::Failed, 1),
        "{sync:?}"
    );
    let reason = sync.reason.unwrap_or_default();
    assert!(
        reason.contains("400") && reason.contains("Invalid campaign"),
        "{reason}"
    );
    assert_eq!(s.received.lock().unwrap().len(), 3);

    // Temporary failures until the attempts run out: failed, with the last reason.
    s.answers
        .lock()
        .unwrap()
        .extend([(502, "bad gateway"), (504, "timeout"), (500, "boom")]);
    let third = disposed_call(&app, "uc-rest-3", "Venta").await;
    let sync = settled(&app, third).await.expect("a sync state");
    assert_eq!(
        (sync.state, sync.attempts),
        (SyncState::Failed, 3),
        "{sync:?}"
    );
    assert!(sync.reason.unwrap_or_default().contains("500"));
}

#[tokio::test]
async fn a_ucontact_url_on_a_private_address_is_refused_unless_allowed_and_none_sends_nothing() {
    let s = StandIn::default();
    let base = stand_in(s.clone()).await;
    let app = TestApp::spawn_with(config(&base, false)).await;
    let activity = disposed_call(&app, "uc-ssrf", "Venta").await;
    let sync = settled(&app, activity).await.expect("a sync state");
    assert_eq!(sync.state, SyncState::Failed);
    assert!(
        sync.reason
            .as_deref()
            .unwrap_or("")
            .contains("private address"),
        "{sync:?}"
    );
    assert!(s.received.lock().unwrap().is_empty(), "nothing reached it");

    // Not configured: nothing is sent and the call says nothing about it.
    let plain = TestApp::spawn().await;
    let activity = disposed_call(&plain, "uc-none", "Venta").await;
    assert_eq!(settled(&plain, activity).await, None);
}

#[tokio::test]
async fn moving_a_callback_by_disposing_again_sends_the_disposition_once() {
    let s = StandIn::default();
    let base = stand_in(s.clone()).await;
    let app = TestApp::spawn_with(config(&base, true)).await;
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Soporte",
            Some(&admin),
            Some(&json!({ "name": "Soporte", "dispositions": [
                { "label": "Volver a llamar", "callback": true }] })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let agent = app.token("agent_a").await;
    let make = json!({ "contact_id": app.contact_a, "call": {
        "destination": "099000111", "campaign": "Soporte", "guid": "uc-cb-1" } });
    let res = app
        .call(Method::POST, "/api/v1/calls", Some(&agent), Some(&make))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let call: CallInfo = res.json().await.unwrap();
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/hangup",
            Some(&agent),
            Some(&json!({})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let at = |hours: i64| {
        (agentdesk_server::clock::now() + chrono::Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    for hours in [2, 5] {
        let dispo = json!({
            "disposition": { "campaign": "Soporte", "callerid": "099000111",
                "guid": "uc-cb-1", "l1": "Volver a llamar" },
            "callback": { "at": at(hours), "note": "" } });
        let res = app
            .call(
                Method::POST,
                "/api/v1/calls/disposition",
                Some(&agent),
                Some(&dispo),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let activity = call.activity_id.expect("the call's activity");
    let sync = settled(&app, activity).await.expect("a sync state");
    assert_eq!(sync.state, SyncState::Sent, "{sync:?}");
    // Give a second send, if one had been started, the time to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        s.received.lock().unwrap().len(),
        1,
        "the second request only moved the callback"
    );
    let reminders: Vec<agentdesk_protocol::Reminder> =
        app.get_as("/api/v1/reminders", &agent).await;
    assert_eq!(reminders.len(), 1);
    let moved = agentdesk_server::clock::now() + chrono::Duration::hours(5);
    assert!(
        (reminders[0].due_at - moved).num_minutes().abs() <= 1,
        "{reminders:?}"
    );
}

#[tokio::test]
async fn the_consoles_api_settings_win_over_the_environment_at_once() {
    let s = StandIn::default();
    s.answers.lock().unwrap().extend([(200, "OK"), (200, "OK")]);
    let base = stand_in(s.clone()).await;
    // The environment names another uContact (nothing listens there) and other credentials.
    let mut c = config("http://127.0.0.1:9/", true);
    c.ucontact_api_attempts = 1;
    let app = TestApp::spawn_with(c).await;
    let admin = app.token("admin").await;
    let put = |body: serde_json::Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            app.call(
                Method::PUT,
                "/api/v1/ucontact/api",
                Some(&admin),
                Some(&body),
            )
            .await
        }
    };
    let res = put(json!({ "url": base, "user": "consola", "password": "clave de consola" })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let shown = res.text().await.unwrap();
    assert!(
        !shown.contains("clave de consola"),
        "the password is never shown: {shown}"
    );
    let first = disposed_call(&app, "uc-console-1", "Venta").await;
    assert_eq!(
        settled(&app, first).await.map(|s| s.state),
        Some(SyncState::Sent)
    );
    {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode("consola:clave de consola");
        let got = s.received.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.as_deref(), Some(format!("Basic {basic}").as_str()));
    }
    // The password kept when absent; the address cleared turns the sync off.
    put(json!({ "url": base, "user": "consola" })).await;
    let second = disposed_call(&app, "uc-console-2", "Venta").await;
    assert_eq!(
        settled(&app, second).await.map(|s| s.state),
        Some(SyncState::Sent)
    );
    assert_eq!(s.received.lock().unwrap().len(), 2);
    put(json!({ "url": "", "user": "" })).await;
    let third = disposed_call(&app, "uc-console-3", "Venta").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        settled(&app, third).await,
        None,
        "nothing sent, nothing pending"
    );
    assert_eq!(s.received.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn the_first_console_save_keeps_the_environments_password_when_none_is_typed() {
    let s = StandIn::default();
    s.answers.lock().unwrap().push_back((200, "OK"));
    let base = stand_in(s.clone()).await;
    let app = TestApp::spawn_with(config("http://127.0.0.1:9/", true)).await;
    let admin = app.token("admin").await;
    // Only the address changes on the screen; the environment's user and password stay.
    let body = json!({ "url": base, "user": "integra" });
    let res = app
        .call(
            Method::PUT,
            "/api/v1/ucontact/api",
            Some(&admin),
            Some(&body),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let call = disposed_call(&app, "uc-console-env", "Venta").await;
    assert_eq!(
        settled(&app, call).await.map(|s| s.state),
        Some(SyncState::Sent)
    );
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("integra:pa:ss wörd");
    assert_eq!(
        s.received.lock().unwrap()[0].0.as_deref(),
        Some(format!("Basic {basic}").as_str())
    );
}
