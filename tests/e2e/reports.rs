//! The supervisor's reports: the queue report by day and by hour, filtered by campaign,
//! exported as CSV (the same numbers as the table), the agent report, and the team's
//! communication (the API's totals).

use anyhow::{Context, ensure};

use crate::harness::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_reads_filters_and_exports_the_queue_report() {
    run(|h| async move {
        h.goto("/login?next=%2Freports").await?;
        h.login("sofia", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        // Sofía supervises two teams: the report is of the first until she picks one.
        h.wait_count("#report-team", 1).await?;
        h.wait_count("#report-table", 1).await?;
        let days = h.texts("#report-table tbody th").await?;
        ensure!(!days.is_empty(), "a week of the demo's calls by day");
        ensure!(days.iter().all(|d| d.len() == 10), "dd/mm/yyyy: {days:?}");
        // The chart beside the table.
        ensure!(h.displayed("#report-chart").await?, "the chart is shown");

        h.screenshot("reports-day").await?;
        // By hour: the labels carry a time.
        h.select("#report-interval", "hour").await?;
        h.wait_text("#report-table tbody th", |t| t.contains(':'))
            .await?;
        // One campaign: every row is of it, and the totals are its alone.
        let campaigns = h.texts("#report-campaign option").await?;
        let pick = campaigns
            .iter()
            .find(|c| c.ends_with("<-"))
            .context("an inbound campaign in the filter")?
            .clone();
        h.select("#report-campaign", &pick).await?;
        h.wait_text("#report-table tbody tr:first-child td", |t| *t == pick)
            .await?;
        let rows = h.texts("#report-table tbody tr td:nth-of-type(1)").await?;
        ensure!(rows.iter().all(|c| *c == pick), "only {pick}: {rows:?}");

        // The CSV of what is shown: a line per row, per campaign total and the total.
        let csv = h.download_text("#report-export").await?;
        let lines: Vec<&str> = csv.lines().filter(|l| !l.trim().is_empty()).collect();
        ensure!(
            lines[0].starts_with("scope,start,campaign,offered"),
            "{}",
            lines[0]
        );
        let intervals = lines.iter().filter(|l| l.starts_with("interval,")).count();
        ensure!(
            intervals == rows.len(),
            "{intervals} CSV rows, {} shown",
            rows.len()
        );
        ensure!(
            lines
                .iter()
                .all(|l| l.starts_with("scope") || l.contains(&pick) || l.starts_with("all,")),
            "one campaign: {csv}"
        );
        // The offered calls of the shown rows add up to the CSV's total.
        let offered: u64 = h
            .texts("#report-table tbody tr td:nth-of-type(2)")
            .await?
            .iter()
            .map(|t| t.parse::<u64>().unwrap_or(0))
            .sum();
        let all = lines
            .iter()
            .find(|l| l.starts_with("all,"))
            .context("total line")?;
        ensure!(
            all.split(',').nth(3) == Some(offered.to_string().as_str()),
            "{all} vs {offered}"
        );

        // Another team: its own campaigns, the filter back to all of them.
        let teams = h.texts("#report-team option").await?;
        ensure!(teams.len() == 2, "Sofía's two teams: {teams:?}");
        let other = h
            .client
            .execute(
                "const s = document.querySelector('#report-team'); \
                 return [...s.options].map(o => o.value).find(v => v !== s.value);",
                vec![],
            )
            .await?;
        h.select("#report-team", other.as_str().context("another team")?)
            .await?;
        h.wait_text("#report-table tbody tr:first-child td", |t| *t != pick)
            .await?;
        ensure!(
            h.value("#report-campaign").await?.is_empty(),
            "the filter starts over"
        );

        // The agent report: the team's agents by their uContact names.
        h.click("#report-tab-agents").await?;
        h.wait_text("#report-table tbody td", |t| {
            t == "apereira" || t == "cgomez"
        })
        .await?;
        // uContact's figures and the desktop's own time per status, side by side.
        // (The headings are drawn in capitals: compared without case.)
        let heads = h.texts("#report-table thead th").await?;
        let has = |name: &str| heads.iter().any(|t| t.eq_ignore_ascii_case(name));
        ensure!(has("On the desktop") && has("Time per status"), "{heads:?}");
        h.screenshot("reports-agents").await?;

        // The team's communication: the same totals as the API's for the range shown.
        h.click("#report-tab-team").await?;
        h.wait_count("#team-analytics", 1).await?;
        let team = h.value("#report-team").await?;
        let (from, to) = (h.value("#report-from").await?, h.value("#report-to").await?);
        let token = h.api_token("sofia", "demo1234").await?;
        let api = h
            .api(
                reqwest::Method::GET,
                &format!("/reports/teams/{team}?from={from}&to={to}&interval=hour"),
                Some(&token),
                None,
            )
            .await?;
        let total = api["total"].as_u64().context("a total")?;
        ensure!(total > 0, "the demo has a week of interactions: {api}");
        h.wait_text("#team-total", |t| *t == total.to_string())
            .await?;
        ensure!(h.displayed("#team-chart").await?, "the chart is shown");
        let shown: u64 = h
            .texts("#team-table tbody tr td:nth-of-type(4)")
            .await?
            .iter()
            .map(|t| t.parse::<u64>().unwrap_or(0))
            .sum();
        ensure!(shown == total, "{shown} in the table's rows vs {total}");
        let top = h.texts("#team-top tbody th").await?;
        ensure!(!top.is_empty(), "the busiest contacts are listed");
        h.screenshot("reports-team").await?;
        h.assert_no_app_errors().await?;
        Ok(())
    })
    .await;
}

/// The contact page's Analytics tab: the channel mix of the demo's long-history contact
/// (e-mails, chats, calls… in the last twelve months), the same as the API's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contacts_analytics_tab_shows_its_channel_mix() {
    run(|h| async move {
        let token = h.api_token("ana", "demo1234").await?;
        let found = h
            .api(reqwest::Method::GET, "/contacts?q=Luc%C3%ADa%20Fern%C3%A1ndez", Some(&token), None)
            .await?;
        let id = found["items"][0]["id"].as_i64().context("Lucía is in the demo")?;
        let api = h
            .api(reqwest::Method::GET, &format!("/reports/contacts/{id}"), Some(&token), None)
            .await?;
        let kinds: Vec<String> = api["channels"]
            .as_array()
            .context("channels")?
            .iter()
            .filter_map(|c| c["kind"].as_str().map(str::to_owned))
            .collect();
        ensure!(kinds.len() >= 3, "a mix of channels: {api}");
        h.goto(&format!("/login?next=%2Fcontacts%2F{id}%3Ftab%3Danalytics")).await?;
        h.login("ana", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        h.wait_count("#channel-mix li", kinds.len()).await?;
        let shown: Vec<String> = serde_json::from_value(
            h.client
                .execute(
                    "return [...document.querySelectorAll('#channel-mix li')].map(l => l.dataset.kind);",
                    vec![],
                )
                .await?,
        )?;
        ensure!(shown == kinds, "{shown:?} vs the API's {kinds:?}");
        h.wait_text("#analytics-total", |t| Some(t) == api["total"].as_u64().map(|n| n.to_string()).as_deref())
            .await?;
        // Keyboard: the tabs move with the arrow keys, Analytics among them.
        ensure!(h.displayed("#tab-analytics").await?, "the tab is there");
        h.assert_no_app_errors().await?;
        Ok(())
    })
    .await;
}
