//! Automated follow-ups end to end: an admin builds one in the back office's wizard
//! against a stand-in ticketing system started here; the agent it names gets the
//! notification live in the desktop's notification centre, and the contact's timeline
//! shows the automated activity.

use anyhow::Context;
use serde_json::json;

use crate::harness::run;

/// A stand-in system answering one pending ticket for `approver` about `phone`, to
/// every request (HTTP/1.1, one answer per connection).
async fn stand_in(approver: &str, phone: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = json!({ "data": { "items": [
        { "number": "T-42", "approver": { "login": approver }, "customer": { "phone": phone } }
    ] } })
    .to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                // The request's head (a GET has no body).
                let mut head = Vec::new();
                let mut buf = [0_u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    Ok(base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_builds_a_follow_up_and_the_agent_is_notified_live_with_the_contacts_history() {
    run(|h| async move {
        let ana = h.api_token("ana", "demo1234").await?;
        let me = h.api(reqwest::Method::GET, "/me", Some(&ana), None).await?;
        let team = me["teams"][0]["id"].as_i64().context("ana's team")?;
        let contacts = h
            .api(reqwest::Method::GET, "/contacts", Some(&ana), None)
            .await?;
        let contact = contacts["items"]
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|c| c["team"]["id"] == json!(team) && c["phone"].is_string())
            })
            .context("a contact of ana's team with a phone")?
            .clone();
        let phone = contact["phone"].as_str().unwrap_or_default().to_string();
        let contact_id = contact["id"].as_i64().unwrap_or(0);
        let base = stand_in("ana", &phone).await?;

        // The agent, in another browser: the desktop, nothing unread.
        let agent = h.another_browser("agent-followups").await?;
        let outcome = async {
            agent.goto("/login").await?;
            agent.login("ana", "demo1234").await?;
            agent.select("#locale-select", "en").await?;
            agent.wait_count("#notifications-button", 1).await?;
            agent.wait_count("#notifications-unread", 0).await?;

            // The admin, in the back office's wizard.
            h.goto("/login?next=%2Fadmin%2Ffollowups").await?;
            h.login("admin", "demo1234").await?;
            h.select("#locale-select", "en").await?;
            h.click("#followup-new").await?;
            h.fill("#fu-name", "Pending approval").await?;
            // One step at a time.
            anyhow::ensure!(!h.displayed("#fu-url").await?, "step 2 shows on step 1");
            h.click("#fu-next").await?;
            h.fill("#fu-url", &format!("{base}/tickets")).await?;
            h.fill(
                "#fu-attributes",
                "number = $.number\napprover = /approver/login\nphone = /customer/phone",
            )
            .await?;
            h.fill("#fu-looping", "$.data.items").await?;
            h.fill("#fu-record-id", "/number").await?;
            h.click("#fu-next").await?;
            h.fill("#fu-user", "approver").await?;
            h.select("#fu-link-team", &team.to_string()).await?;
            h.fill("#fu-link-phone", "phone").await?;
            h.click("#fu-next").await?;
            h.fill("#fu-message", "Ticket {{number}} waits for your approval")
                .await?;
            h.click("#fu-next").await?;
            // A mistake is refused on its step, in the admin's language, before any
            // request: 11 attempts.
            anyhow::ensure!(!h.displayed("#fu-name").await?, "step 1 shows on step 5");
            h.fill("#fu-attempts", "11").await?;
            h.click("#fu-save").await?;
            h.wait_text("#fu-status", |t| {
                t.starts_with("Check “Number of attempts") && t.contains("attempts: 11")
            })
            .await?;
            h.fill("#fu-attempts", "2").await?;
            h.click("#fu-dry-run").await?;
            h.wait_text("#fu-preview", |t| {
                t.contains("Ticket T-42 waits for your approval")
            })
            .await?;
            h.screenshot("followup-wizard").await?;
            h.click("#fu-save").await?;
            h.wait_count("#followup-wizard", 0).await?;
            h.wait_count("#followups-table tr", 1).await?;

            // Saved active: polled at once; the agent's badge and list follow live.
            agent
                .wait_text("#notifications-unread", |t| t == "1")
                .await?;
            agent.click("#notifications-button").await?;
            agent
                .wait_text("#notifications-panel .notification", |t| {
                    t.contains("Ticket T-42 waits for your approval")
                })
                .await?;
            agent.screenshot("notification-centre").await?;
            agent.click("#notifications-read-all").await?;
            agent.wait_count("#notifications-unread", 0).await?;

            // The contact's history shows the automated activity.
            agent.goto(&format!("/contacts/{contact_id}")).await?;
            agent
                .wait_text("#timeline", |t| {
                    t.contains("Ticket T-42 waits for your approval")
                })
                .await?;
            // The back office lists its run.
            h.goto("/admin/followups").await?;
            h.wait_text("#followups-table .followup-last-run", |t| {
                t.contains("notified 1")
            })
            .await?;

            // Import through the back office: an archive holding this follow-up (its
            // name is taken: skipped) and a copy under a new name (created inactive).
            let exported = reqwest::Client::new()
                .get(format!("{}/api/v1/followups/export", h.base))
                .bearer_auth(h.api_token("admin", "demo1234").await?)
                .send()
                .await?
                .bytes()
                .await?;
            let specs = agentdesk_server::followups::archive::read(&exported)
                .map_err(|p| anyhow::anyhow!("{p:?}"))?;
            let mut copy = specs[0].clone();
            copy.name = "Pending approval (copy)".into();
            let dir = tempfile::tempdir()?;
            let zip = dir.path().join("followups.zip");
            std::fs::write(
                &zip,
                agentdesk_server::followups::archive::write(&[specs[0].clone(), copy])?,
            )?;
            h.upload("#followup-import", &zip).await?;
            h.wait_text(".admin-form [role=status]", |t| {
                t.contains("Imported")
                    && t.contains("Pending approval (copy)")
                    && t.contains("skipped: Pending approval.")
            })
            .await?;
            h.wait_count("#followups-table tr", 2).await?;
            agent.assert_no_app_errors().await?;
            h.assert_no_app_errors().await?;
            anyhow::Ok(())
        }
        .await;
        agent.close().await;
        outcome
    })
    .await;
}
