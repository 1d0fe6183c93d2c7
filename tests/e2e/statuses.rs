//! The admin's statuses screen (`/admin/statuses`): a new status with its uContact
//! reason, moved up the order, another retired; an agent's picker then offers the new
//! one where the admin put it and no longer the retired one.

use anyhow::{Context, ensure};
use reqwest::Method;

use crate::harness::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statuses_screen_adds_orders_and_retires_and_the_picker_follows() {
    run(|h| async move {
        h.goto("/login?next=%2Fadmin%2Fstatuses").await?;
        h.login("admin", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        h.wait_path("/admin/statuses").await?;
        h.wait_count("#statuses-table tr[data-status=busy]", 1)
            .await?;

        h.fill("#status-new-value", "coffee").await?;
        h.fill("#status-new-es", "Café").await?;
        h.fill("#status-new-en", "Coffee").await?;
        h.select("#status-new-form .status-new-reason", "LUNCH")
            .await?;
        h.click("#status-new").await?;
        let coffee = "#statuses-table tr[data-status=coffee]";
        h.wait_count(coffee, 1).await?;
        let order = || async { h.texts("#statuses-table tbody tr code").await };
        let before = order().await?;
        ensure!(
            before.last().map(String::as_str) == Some("coffee"),
            "new last: {before:?}"
        );
        // Up one place.
        h.click(&format!("{coffee} .status-up")).await?;
        let n = before.len();
        for _ in 0..50 {
            if order().await?.get(n - 2).map(String::as_str) == Some("coffee") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let after = order().await?;
        ensure!(
            after[n - 2] == "coffee" && after[n - 1] == before[n - 2],
            "moved up: {after:?}"
        );
        // Retire `gathering`.
        let gathering = "#statuses-table tr[data-status=gathering]";
        h.click(&format!("{gathering} .status-retire")).await?;
        h.wait_text(gathering, |t| t.contains("Retired")).await?;

        let admin = h.api_token("admin", "demo1234").await?;
        let defs = h.api(Method::GET, "/statuses", Some(&admin), None).await?;
        let find = |v: &str| {
            defs.as_array()
                .and_then(|d| d.iter().find(|d| d["value"] == v))
                .cloned()
                .with_context(|| format!("{v} listed"))
        };
        ensure!(find("coffee")?["motive"] == "LUNCH", "reason saved");
        ensure!(find("gathering")?["retired"] == true, "retired saved");

        // The agent's picker, in another browser.
        let agent = h.another_browser("statuses-agent").await?;
        let outcome = async {
            agent.goto("/login").await?;
            agent.login("ana", "demo1234").await?;
            agent.select("#locale-select", "en").await?;
            agent
                .wait_text("#status-label", |t| t == "Available")
                .await?;
            agent.click("#status-button").await?;
            agent.wait_count(".status-menu", 1).await?;
            agent
                .wait_count(".status-option[data-value=coffee]", 1)
                .await?;
            ensure!(
                agent
                    .texts(".status-option[data-value=gathering]")
                    .await?
                    .is_empty(),
                "a retired status is not offered"
            );
            let offered = agent.texts(".status-option").await?;
            let at = |label: &str| offered.iter().position(|t| t.contains(label));
            ensure!(
                at("Coffee").is_some() && at("Coffee") < at("Training"),
                "the admin's order: {offered:?}"
            );
            agent.click(".status-option[data-value=coffee]").await?;
            agent.wait_text("#status-label", |t| t == "Coffee").await?;
            agent.assert_no_app_errors().await
        }
        .await;
        agent.close().await;
        outcome?;
        h.assert_no_app_errors().await
    })
    .await;
}
