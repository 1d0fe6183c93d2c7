//! A call recording on the timeline: the admin lists a recording origin, a telephony
//! integration sends a call with its `segment_link`, and the agent opening the call's
//! source panel gets an audio player for exactly that address.

use anyhow::ensure;
use serde_json::json;

use crate::harness::{run, wd};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_gets_a_player_for_a_calls_recording() {
    run(|h| async move {
        use reqwest::Method;
        let admin = h.api_token("admin", "demo1234").await?;
        let mut settings = h
            .api(Method::GET, "/crm/settings", Some(&admin), None)
            .await?;
        settings["recording_origins"] = json!([h.base.clone()]);
        h.api(Method::PUT, "/crm/settings", Some(&admin), Some(settings))
            .await?;
        let (_, token) = h.integration("Ventas", "telefonía").await?;
        let link = format!("{}/recordings/RE1001.mp3", h.base);
        let stored = h
            .api(
                Method::POST,
                "/ingest/call",
                Some(&token),
                Some(
                    json!({"id": "CA-1001", "direction": "inbound", "number": "+59899555123",
                    "at": "2026-03-02T15:04:05Z", "duration_secs": 95,
                    "attributes": {"segment_link": link}}),
                ),
            )
            .await?;
        let (contact, activity) = (stored["contact_id"].clone(), stored["activity_id"].clone());

        h.goto(&format!("/login?next=%2Fcontacts%2F{contact}"))
            .await?;
        h.login("ana", "demo1234").await?;
        let item = format!("#timeline .activity-item[data-activity-id='{activity}']");
        h.wait_count(&item, 1).await?;
        h.click(&format!("{item} .activity-source")).await?;
        h.wait_count(&format!("{item} audio.recording"), 1).await?;
        let src = wd(
            "script",
            h.client.execute(
                "return document.querySelector('audio.recording').getAttribute('src')",
                vec![],
            ),
        )
        .await?;
        ensure!(
            src == json!(link),
            "the player plays the call's link: {src}"
        );
        h.assert_no_app_errors().await
    })
    .await;
}
