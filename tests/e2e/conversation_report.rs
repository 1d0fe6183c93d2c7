//! The Reports page's "Conversations by attribute" tab: a telephony integration sends
//! calls with conversation attributes; a supervisor groups the team's conversations by
//! campaign, filters them by outcome, sees the same numbers as the API and exports them.

use anyhow::ensure;
use serde_json::json;

use crate::harness::{Harness, run};

/// The totals' (group, conversations) cells.
async fn totals(h: &Harness) -> anyhow::Result<Vec<(String, String)>> {
    let groups = h
        .texts("#conversation-table tfoot td:nth-of-type(1)")
        .await?;
    let counts = h
        .texts("#conversation-table tfoot td:nth-of-type(2)")
        .await?;
    Ok(groups.into_iter().zip(counts).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_groups_conversations_by_campaign_and_filters_them() {
    run(|h| async move {
        use reqwest::Method;
        let (ventas, token) = h.integration("Ventas", "telefonía-informes").await?;
        // Within the report's default range (the last seven days, today included).
        let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
        for (id, campaign, outcome, measure) in [
            ("CR-1", "Retención 2027", "Sold", 4),
            ("CR-2", "Retención 2027", "Lost", 6),
            ("CR-3", "Upsell 2027", "Sold", 10),
        ] {
            h.api(
                Method::POST,
                "/ingest/call",
                Some(&token),
                Some(json!({"id": id, "direction": "inbound", "number": "+59899555200",
                    "at": at, "duration_secs": 60, "campaign": campaign,
                    "attributes": {"outcome": outcome, "conversation_measure_1": measure}})),
            )
            .await?;
        }

        h.goto("/login?next=%2Freports").await?;
        h.login("sofia", "demo1234").await?;
        h.wait_count("#report-tab-conversations", 1).await?;
        h.click("#report-tab-conversations").await?;
        h.select("#report-team", &ventas.to_string()).await?;
        h.wait_count("#report-group-by option[value='campaign']", 1)
            .await?;
        h.select("#report-group-by", "campaign").await?;
        h.wait_text("#conversation-table tfoot", |t| t.contains("Retención 2027"))
            .await?;
        ensure!(
            totals(&h).await?.contains(&("Retención 2027".into(), "2".into())),
            "two Retención calls"
        );
        ensure!(h.displayed("#conversation-chart").await?, "the chart is shown");

        // Only the sold ones: one per campaign, the measure's mean of each.
        h.select("#report-filter-name", "outcome").await?;
        h.fill("#report-filter-value", "Sold\u{E007}").await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while totals(&h).await?.contains(&("Retención 2027".into(), "2".into())) {
            ensure!(std::time::Instant::now() < deadline, "the filter was not applied");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(
            totals(&h).await?.contains(&("Retención 2027".into(), "1".into())),
            "one sold Retención call"
        );
        let csv = h.download_text("#report-export").await?;
        let sofia = h.api_token("sofia", "demo1234").await?;
        let url = format!(
            "{}/api/v1/reports/conversations?team={ventas}&group_by=campaign&filter=outcome%3ASold&format=csv&from={}&to={}",
            h.base,
            h.value("#report-from").await?,
            h.value("#report-to").await?
        );
        let api = agentdesk_server::outbound::plain_client()
            .get(url)
            .bearer_auth(&sofia)
            .send()
            .await?
            .text()
            .await?;
        ensure!(csv == api, "the export is the API's CSV:\n{csv}\nvs\n{api}");
        ensure!(
            csv.lines().any(|l| l.starts_with("total,") && l.contains(",Retención 2027,false,1,1,0,1,4,4")),
            "{csv}"
        );
        h.screenshot("reports-conversations").await?;
        h.assert_no_app_errors().await
    })
    .await;
}
