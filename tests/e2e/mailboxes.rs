//! IMAP mailboxes on `/admin/integrations`, against a real Dovecot: the admin adds one
//! for a team, it is read at once (no restart), the connection test says how many
//! messages the folder holds and, after a wrong password, that signing in fails; the
//! password never comes back to the page; pausing and removing it show at once.

use anyhow::ensure;

use crate::dovecot::{Dovecot, PASS, USER};
use crate::harness::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_tests_pauses_and_removes_a_teams_mailbox() {
    let mail = Dovecot::start();
    let raw = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("server/tests/fixtures/email/01-inbound-plain.eml"),
    )
    .expect("fixture");
    mail.deliver(&raw).await;
    let port = mail.port;
    run(move |h| async move {
        let admin = h.api_token("admin", "demo1234").await?;
        let teams = h
            .api(reqwest::Method::GET, "/teams/summary", Some(&admin), None)
            .await?;
        let soporte = teams
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["name"] == "Soporte"))
            .and_then(|t| t["id"].as_i64())
            .ok_or_else(|| anyhow::anyhow!("no Soporte team: {teams}"))?;

        h.goto("/login?next=%2Fadmin%2Fintegrations").await?;
        h.login("admin", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        h.wait_path("/admin/integrations").await?;
        h.wait_text("#mailboxes-table", |t| t.contains("No mailbox"))
            .await?;
        h.select("#mailbox-team", &soporte.to_string()).await?;
        h.fill("#mailbox-host", "127.0.0.1").await?;
        h.fill("#mailbox-port", &port.to_string()).await?;
        h.click("#mailbox-tls").await?; // plain IMAP: loopback only
        h.fill("#mailbox-user", USER).await?;
        h.fill("#mailbox-password", PASS).await?;
        h.click("#mailbox-save").await?;
        h.wait_text("#mailbox-status", |t| t.contains("Saved"))
            .await?;
        let row =
            format!("#mailboxes-table tr[data-mailbox='imap://{USER}@127.0.0.1:{port}/INBOX']");
        h.wait_count(&row, 1).await?;
        ensure!(
            h.value("#mailbox-password").await?.is_empty(),
            "the password field is emptied"
        );

        // Read at once: a refresh shows the message taken in, with no error.
        let mut fetched = String::new();
        for _ in 0..50 {
            h.click("#mailboxes-refresh").await?;
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            fetched = h.texts(&format!("{row} td.num")).await?.concat();
            if fetched == "1" {
                break;
            }
        }
        ensure!(fetched == "1", "one message read, saw {fetched:?}");
        h.click(&format!("{row} .mailbox-test")).await?;
        h.wait_text(&format!("{row} .mailbox-check"), |t| {
            t.contains("Connected: 1 messages")
        })
        .await?;

        // A wrong password: the test names the step, never the password.
        h.click(&format!("{row} .mailbox-edit")).await?;
        h.wait_text("#mailbox-form h3", |t| t.contains("Edit mailbox"))
            .await?;
        ensure!(
            h.value("#mailbox-host").await? == "127.0.0.1",
            "the form is filled"
        );
        ensure!(
            h.value("#mailbox-password").await?.is_empty(),
            "never the password"
        );
        h.fill("#mailbox-password", "not-the-password-42").await?;
        h.click("#mailbox-save").await?;
        h.wait_text("#mailbox-status", |t| t.contains("Saved"))
            .await?;
        h.click(&format!("{row} .mailbox-test")).await?;
        let said = h
            .wait_text(&format!("{row} .mailbox-check"), |t| {
                t.starts_with("Signing in")
            })
            .await?;
        ensure!(!said.contains("not-the-password"), "{said}");

        // Paused, then removed.
        h.click(&format!("{row} .mailbox-edit")).await?;
        h.click("#mailbox-active").await?;
        h.click("#mailbox-save").await?;
        h.wait_text(row.as_str(), |t| t.contains("Paused")).await?;
        h.client
            .execute("window.confirm = () => true", vec![])
            .await?;
        h.click(&format!("{row} .mailbox-remove")).await?;
        h.wait_count(&row, 0).await?;
        h.assert_no_app_errors().await
    })
    .await;
}
