//! The overload guard: past its limits a server turns requests away with 503 and
//! `Retry-After` before doing anything — writes first, reads later, an agent's status
//! change never — and a request turned away has written nothing.

use agentdesk_protocol::{ErrorCode, IngestResult};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::ingest::integration;
use crate::support::{TestApp, expect_error};
use agentdesk_server::config::ServeConfig;

/// A 503 in the one error shape that says to come back in a second.
async fn turned_away(res: reqwest::Response) {
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(retry.as_deref(), Some("1"), "Retry-After");
    let body = expect_error(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body.error.code, ErrorCode::Unavailable);
    assert_eq!(body.error.retry_after_secs, Some(1));
}

fn sms(id: &str, number: &str) -> Value {
    json!({ "id": id, "direction": "I", "number": number, "text": "¿Me llaman?",
        "at": "2026-12-05T10:00:00Z" })
}

#[tokio::test]
async fn past_its_write_limit_a_server_turns_writes_away_and_they_write_nothing() {
    let app = TestApp::spawn().await;
    let i = integration(&app).await;
    let agent = app.token("agent_a").await;
    let full = app
        .another_instance(ServeConfig {
            max_writes_in_flight: 0,
            ..Default::default()
        })
        .await;
    let http = &app.http;

    let send = |base: &str| {
        http.post(format!("{base}/api/v1/ingest/sms"))
            .bearer_auth(&i.token)
            .json(&sms("ov-1", "+59829005555"))
            .send()
    };
    turned_away(send(&full).await.expect("request")).await;
    // Nothing of it was written: delivered again where there is room, it is new.
    let res = send(&app.base).await.expect("request");
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: IngestResult = res.json().await.expect("result");
    assert!(r.contact_created && !r.duplicate, "{r:?}");

    // The agent's status change and reads still get in.
    let res = http
        .put(format!("{full}/api/v1/status"))
        .bearer_auth(&agent)
        .json(&json!({ "value": "break" }))
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a status change is never turned away"
    );
    let res = http
        .get(format!(
            "{full}/api/v1/contacts/{}/activities",
            app.contact_a
        ))
        .bearer_auth(&agent)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK, "reads have room");
}

#[tokio::test]
async fn past_its_read_limit_a_server_turns_reads_away_but_not_status_changes() {
    let app = TestApp::spawn().await;
    let agent = app.token("agent_a").await;
    let full = app
        .another_instance(ServeConfig {
            max_reads_in_flight: 0,
            ..Default::default()
        })
        .await;
    let res = app
        .http
        .get(format!(
            "{full}/api/v1/contacts/{}/activities",
            app.contact_a
        ))
        .bearer_auth(&agent)
        .send()
        .await
        .expect("request");
    turned_away(res).await;
    let res = app
        .http
        .put(format!("{full}/api/v1/status"))
        .bearer_auth(&agent)
        .json(&json!({ "value": "meal" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    // The app's files and the probes are not the API's to turn away.
    let res = app
        .http
        .get(format!("{full}/readyz"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
}
