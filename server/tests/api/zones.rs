//! uContact writes its server's local time: webhook dates without an offset are read in
//! `--ucontact-time-zone`, across DST changes, and a local time that does not exist is a
//! 422, never "now".

use agentdesk_protocol::{ActivityView, WebhookResult};
use agentdesk_server::config::{Secret, ServeConfig};
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, expect_error};

const SECRET: &str = "webhook-secret-0123456789";

async fn app(zone: chrono_tz::Tz) -> TestApp {
    TestApp::spawn_with(ServeConfig {
        ucontact_webhook_secret: Some(Secret(SECRET.into())),
        ucontact_time_zone: zone,
        ..Default::default()
    })
    .await
}

async fn finished(app: &TestApp, guid: &str, date: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/webhooks/ucontact"))
        .header("x-webhook-secret", SECRET)
        .json(
            &json!({ "event": "FinishInteraction", "date": date, "guid": guid,
            "agent": "agent_a", "campaign": "Ventas<-", "channel": "call",
            "callerid": "099000111", "duration": "60" }),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn webhook_dates_are_ucontacts_local_time_across_dst_and_a_missing_hour_is_refused() {
    let app = app(chrono_tz::America::Santiago).await;
    let token = app.token("agent_a").await;
    // (uContact's local end time, the call's start in UTC = end − 60 s, local → UTC).
    for (guid, date, start) in [
        // Summer (UTC−3) and winter (UTC−4) in Santiago.
        (
            "z-1",
            "2026-01-15 10:01:00",
            Utc.with_ymd_and_hms(2026, 1, 15, 13, 0, 0),
        ),
        (
            "z-2",
            "2026-07-15 10:01:00",
            Utc.with_ymd_and_hms(2026, 7, 15, 14, 0, 0),
        ),
        // The night DST ends (2026-04-05 00:00 −03 → 23:00 −04): the first of the two.
        (
            "z-3",
            "2026-04-04 23:31:00",
            Utc.with_ymd_and_hms(2026, 4, 5, 2, 30, 0),
        ),
        // With its own offset, the offset wins.
        (
            "z-4",
            "2026-07-15T10:01:00Z",
            Utc.with_ymd_and_hms(2026, 7, 15, 10, 0, 0),
        ),
    ] {
        let res = finished(&app, guid, date).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{date}");
        let r: WebhookResult = res.json().await.unwrap();
        let view: ActivityView = app
            .get_as(
                &format!("/api/v1/activities/{}", r.activity_id.unwrap()),
                &token,
            )
            .await;
        assert_eq!(view.activity.occurred_at, start.unwrap(), "{date}");
    }
    // 2026-09-06 00:00–00:59 does not exist in Santiago (clocks jump to 01:00).
    let body = expect_error(
        finished(&app, "z-5", "2026-09-06 00:30:00").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("date"));
    assert!(
        body.error.message.contains("does not exist"),
        "{}",
        body.error.message
    );
}
