//! Automated follow-ups end to end: an admin builds one in the back office's wizard
//! against a stand-in ticketing system started here; the agent it names gets the
//! notification live in the desktop's notification centre, and the contact's timeline
//! shows the automated activity; a button of the notification's card calls the
//! action the admin configured.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use serde_json::json;

use crate::harness::run;

/// A stand-in system answering one pending ticket for `approver` about `phone`, to
/// every request (HTTP/1.1, one answer per connection); the request lines it received.
async fn stand_in(
    approver: &str,
    phone: &str,
) -> anyhow::Result<(String, Arc<Mutex<Vec<String>>>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = json!({ "data": { "items": [
        { "number": "T-42", "approver": { "login": approver }, "customer": { "phone": phone } }
    ] } })
    .to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let body = body.clone();
            let log = log.clone();
            tokio::spawn(async move {
                // The request's head, then its body (an action's POST has one): read
                // whole, so closing does not reset the connection under the client.
                let mut req = Vec::new();
                let mut buf = [0_u8; 1024];
                let head_end = loop {
                    if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&req[..head_end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while req.len() < head_end + length {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                log.lock()
                    .unwrap()
                    .push(head.lines().next().unwrap_or("").to_string());
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    Ok((base, seen))
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
        let (base, seen) = stand_in("ana", &phone).await?;

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
            // A card whose button calls an action the admin configures here.
            h.fill("#fu-card-title", "Ticket {{number}}").await?;
            h.fill("#fu-card-buttons", "Approve | action:approve")
                .await?;
            h.click("#fu-add-action").await?;
            h.fill("#fu-action-0-call-name", "approve").await?;
            h.select("#fu-action-0-method", "POST").await?;
            h.fill(
                "#fu-action-0-url",
                &format!("{base}/tickets/{{{{number}}}}/approve"),
            )
            .await?;
            h.fill("#fu-action-0-body", r#"{ "by": "{{approver}}" }"#)
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
            // The card's button calls the action with the record's values.
            agent
                .click("#notifications-panel .notification .card-action")
                .await?;
            agent
                .wait_text("#notifications-panel .card-action", |t| {
                    t == "Approve: done"
                })
                .await?;
            let calls = seen.lock().unwrap().clone();
            anyhow::ensure!(
                calls
                    .iter()
                    .filter(|l| l.starts_with("POST /tickets/T-42/approve "))
                    .count()
                    == 1,
                "the action was called once: {calls:?}"
            );

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
