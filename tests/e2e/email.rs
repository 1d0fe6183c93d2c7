//! Answering a customer's e-mail from the contact page, through a real SMTP server on
//! loopback, from a sender address the admin set up in the admin screen, with a file
//! attached (a program refused by name): the reply shows on the timeline queued, then
//! sent, without a reload; an agent without the e-mail
//! permission is offered no composer and refused by the API.

use std::sync::atomic::Ordering;

use anyhow::{Context, ensure};
use reqwest::Method;
use serde_json::json;

use crate::harness::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_replies_to_an_email_and_watches_it_go_from_queued_to_sent() {
    run(|h| async move {
        let (smtp, url) = crate::smtp::start().await;
        // A slow server: the message is seen queued while it is being sent.
        smtp.data_delay_ms.store(3000, Ordering::Relaxed);
        let ana = h.api_token("ana", "demo1234").await?;
        let me = h.api(Method::GET, "/me", Some(&ana), None).await?;
        let team = me["teams"][0]["id"].as_i64().context("Ana's team")?;
        // The admin gives Ana's team a sender address, in the admin screen; the URL's
        // password is not shown back.
        let office = h.another_browser("admin-senders").await?;
        let outcome = async {
            office.goto("/login?next=%2Fadmin%2Fcrm").await?;
            office.login("admin", "demo1234").await?;
            office
                .wait_count(&format!("#mail-team option[value=\"{team}\"]"), 1)
                .await?;
            office.select("#mail-team", &team.to_string()).await?;
            office.wait_text("#mail-senders li", |_| true).await?;
            office.fill("#mail-address", "ventas@example.com").await?;
            office.fill("#mail-name", "Ventas").await?;
            let with_password = url.replacen("smtp://", "smtp://ops:s3cret-pass@", 1);
            office.fill("#mail-smtp", &with_password).await?;
            office.click("#mail-add").await?;
            let shown = office
                .wait_text("li[data-sender=\"ventas@example.com\"]", |t| {
                    t.contains("Ventas")
                })
                .await?;
            ensure!(
                !shown.contains("s3cret"),
                "the password is never shown: {shown}"
            );
            // "Test connection" reaches the server and logs in with the password.
            office
                .click("li[data-sender=\"ventas@example.com\"] .mail-test")
                .await?;
            office
                .wait_text(".mail-check", |t| t.ends_with(": connected"))
                .await?;
            // Renamed in place: the server (and its password) kept, as the URL was left
            // empty.
            office
                .click("li[data-sender=\"ventas@example.com\"] .mail-edit")
                .await?;
            office.fill("#mail-name", "Ventas Uruguay").await?;
            office.click("#mail-add").await?;
            let shown = office
                .wait_text("li[data-sender=\"ventas@example.com\"]", |t| {
                    t.contains("Ventas Uruguay")
                })
                .await?;
            ensure!(shown.contains("127.0.0.1"), "the server was kept: {shown}");
            anyhow::Ok(())
        }
        .await;
        office.close().await;
        outcome?;
        // A contact of Ana's who wrote an e-mail.
        let contacts = h
            .api(Method::GET, "/contacts?limit=50", Some(&ana), None)
            .await?;
        let mut contact = None;
        for c in contacts["items"].as_array().context("contacts")? {
            let id = c["id"].as_i64().context("id")?;
            let page = h
                .api(
                    Method::GET,
                    &format!("/contacts/{id}/activities?kinds=email"),
                    Some(&ana),
                    None,
                )
                .await?;
            let inbound = page["items"]
                .as_array()
                .is_some_and(|a| a.iter().any(|i| i["detail"]["direction"] == "inbound"));
            if inbound {
                contact = Some(id);
                break;
            }
        }
        let contact = contact.context("a demo contact with an inbound e-mail")?;

        h.api(
            Method::PATCH,
            "/me",
            Some(&ana),
            Some(json!({ "signature": "Ana Pereira\nVentas" })),
        )
        .await?;
        h.goto(&format!(
            "/login?next=%2Fcontacts%2F{contact}%3Fkinds%3Demail"
        ))
        .await?;
        h.login("ana", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        h.wait_text(".email-reply", |t| t == "Reply").await?;
        h.click(".email-reply").await?;
        // The reply is filled in: its subject, the customer's address, the quote.
        let mut subject = String::new();
        for _ in 0..100 {
            subject = h.value("#composer-subject").await?;
            if subject.starts_with("Re: ") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(subject.starts_with("Re: "), "subject {subject:?}");
        let to = h.value("#composer-to").await?;
        ensure!(to.contains('@'), "to {to:?}");
        // Her signature, then the customer's text quoted.
        let body = h.value("#composer-body").await?;
        let (sig, quote) = (body.find("-- \nAna Pereira\nVentas"), body.find("\n> "));
        ensure!(
            sig.is_some() && quote.is_some() && sig < quote,
            "signature above the quote: {body:?}"
        );
        h.fill("#composer-body", "Gracias, ya lo revisamos.")
            .await?;
        h.click("#composer-bold").await?;
        // A file goes with it: attached in the composer (which saves the draft first)
        // and listed by name; a program is refused by name before anything is sent.
        let dir = tempfile::tempdir()?;
        let pdf = dir.path().join("Presupuesto año.pdf");
        let content: Vec<u8> = b"%PDF-1.7\n"
            .iter()
            .copied()
            .chain((0..5000u32).map(|i| (i % 251) as u8))
            .collect();
        std::fs::write(&pdf, &content)?;
        h.upload("#composer-attach", &pdf).await?;
        h.wait_text("#composer-files li", |t| t.contains("Presupuesto año.pdf"))
            .await?;
        let exe = dir.path().join("setup.exe");
        std::fs::write(&exe, b"MZ\x90\x00")?;
        h.upload("#composer-attach", &exe).await?;
        h.wait_text("#composer-files-refused", |t| {
            t.contains("setup.exe") && t.contains("programs and scripts")
        })
        .await?;
        h.wait_count("#composer-files li", 1).await?;
        h.screenshot("email-composer").await?;
        h.click("#composer-send").await?;
        h.wait_count("#composer", 0).await?;

        let page = h
            .api(
                Method::GET,
                &format!("/contacts/{contact}/activities?kinds=email"),
                Some(&ana),
                None,
            )
            .await?;
        let mine = page["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["detail"]["direction"] == "outbound"))
            .and_then(|i| i["id"].as_i64())
            .context("the reply on the timeline")?;
        let badge = format!("li[data-activity-id=\"{mine}\"] .badge");
        h.wait_text(&badge, |t| t == "Queued").await?;
        h.wait_text(&badge, |t| t == "Sent").await?;
        let sent = smtp.messages();
        ensure!(sent.len() == 1, "{} messages", sent.len());
        ensure!(
            *smtp.logins.lock().unwrap() == ["ops:s3cret-pass", "ops:s3cret-pass"],
            "the sender's own credentials were used (the test, then the send)"
        );
        ensure!(sent[0].to == [to.clone()], "{:?}", sent[0].to);
        ensure!(
            sent[0].data.contains("In-Reply-To: <"),
            "threaded: {}",
            sent[0].data
        );
        ensure!(
            sent[0].data.contains("Gracias, ya lo revisamos."),
            "{}",
            sent[0].data
        );
        ensure!(
            sent[0]
                .data
                .contains("From: \"Ventas Uruguay\" <ventas@example.com>"),
            "sent under the sender's new name: {}",
            sent[0].data
        );
        // The file, after the text: its first base64 line is its first 57 bytes.
        use base64::Engine as _;
        let first = base64::engine::general_purpose::STANDARD.encode(&content[..57]);
        ensure!(
            sent[0].data.contains("Content-Disposition: attachment")
                && sent[0].data.contains(&first),
            "the file went with it: {}",
            sent[0].data
        );

        // Bruno may not read e-mail: no composer, no reply, and the API says no.
        let bruno = h.another_browser("bruno-email").await?;
        let outcome = async {
            bruno
                .goto(&format!("/login?next=%2Fcontacts%2F{contact}"))
                .await?;
            bruno.login("bruno", "demo1234").await?;
            bruno.wait_count("#timeline", 1).await?;
            bruno.wait_count("#write-email", 0).await?;
            bruno.wait_count(".email-reply", 0).await?;
            let token = bruno.api_token("bruno", "demo1234").await?;
            let refused = bruno
                .api(
                    Method::POST,
                    &format!("/contacts/{contact}/emails"),
                    Some(&token),
                    Some(json!({ "to": to, "subject": "x", "send": true })),
                )
                .await;
            ensure!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("403")),
                "{refused:?}"
            );
            anyhow::Ok(())
        }
        .await;
        bruno.close().await;
        outcome
    })
    .await;
}
