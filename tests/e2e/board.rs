//! The supervisor's board and an agent's log, live.

use crate::harness::run;

/// The agent and the supervisor in two browsers at once: a status chosen in the picker
/// reaches the supervisor's board within a second, and a call moves the agent to
/// `in-call` and back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisors_board_follows_an_agents_status_and_calls_live() {
    run(|h| async move {
        // Supervisor: the board, in English.
        h.goto("/login?next=%2Fboard").await?;
        h.login("sofia", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        h.wait_count("#board-table", 1).await?;
        h.wait_text("tr[data-user=ana] .board-status", |t| t == "Disconnected")
            .await?;

        // Agent: another browser, signed in as Ana.
        let agent = h.another_browser("agent-profile").await?;
        let outcome = async {
            agent.goto("/login").await?;
            agent.login("ana", "demo1234").await?;
            agent.select("#locale-select", "en").await?;
            agent
                .wait_text("#status-label", |t| t == "Available")
                .await?;
            h.wait_text("tr[data-user=ana] .board-status", |t| t == "Available")
                .await?;

            // A break from the picker.
            agent.click("#status-button").await?;
            agent.wait_count(".status-menu", 1).await?;
            let t0 = std::time::Instant::now();
            agent.click(".status-option[data-value=meal]").await?;
            h.wait_text("tr[data-user=ana] .board-status", |t| t == "Meal")
                .await?;
            // Speed is the load benchmark's business; here, only that it is live.
            eprintln!("the board showed the change after {:?}", t0.elapsed());
            agent.wait_text("#status-label", |t| t == "Meal").await?;
            agent
                .wait_text("#status-timer", |t| t.starts_with("0:0"))
                .await?;

            // A call: in-call on both screens, then back to the break when it ends.
            let token = agent.api_token("ana", "demo1234").await?;
            let list = agent
                .api(
                    reqwest::Method::GET,
                    "/contacts?limit=1",
                    Some(&token),
                    None,
                )
                .await?;
            let contact = list["items"][0]["id"].as_i64().unwrap_or(1);
            agent.goto(&format!("/contacts/{contact}")).await?;
            agent.click("#call-phone").await?;
            agent.wait_count("#active-call", 1).await?;
            agent.wait_text("#status-label", |t| t == "In call").await?;
            h.wait_text("tr[data-user=ana] .board-status", |t| t == "In call")
                .await?;
            h.wait_text("tr[data-user=ana] .board-call", |t| !t.is_empty())
                .await?;
            // A change chosen now waits for the end of the call.
            agent.click("#status-button").await?;
            agent.click(".status-option[data-value=training]").await?;
            agent
                .wait_text("#status-pending", |t| t.contains("Training"))
                .await?;
            h.screenshot("board-in-call").await?;
            agent.screenshot("picker-pending").await?;
            agent.click("#hang-up").await?;
            agent
                .wait_text("#status-label", |t| t == "Training")
                .await?;
            h.wait_text("tr[data-user=ana] .board-status", |t| t == "Training")
                .await?;
            agent.wait_count("#status-pending", 0).await?;
            // Totals per status filter the grid, and the filter survives live updates.
            h.wait_text("#board-totals [data-status=training] .count", |t| t == "1")
                .await?;
            h.click("#board-totals [data-status=training]").await?;
            h.wait_count("#board-table tbody tr", 1).await?;
            h.wait_count("tr[data-user=ana]", 1).await?;
            agent.click("#status-button").await?;
            agent.click(".status-option[data-value=meal]").await?;
            h.wait_count("#board-totals [data-status=meal]", 1).await?;
            h.wait_count("#board-table tbody tr", 0).await?;
            h.wait_text("#board-totals [aria-pressed=true] .count", |t| t == "0")
                .await?;
            h.click("#board-totals [data-status=training]").await?;
            h.wait_text("tr[data-user=ana] .board-status", |t| t == "Meal")
                .await?;
            // The team filter stays chosen, on screen too, across live refetches (the
            // team list is redrawn with each).
            let me = agent
                .api(reqwest::Method::GET, "/me", Some(&token), None)
                .await?;
            let team = me["teams"][0]["id"].as_i64().unwrap_or(0).to_string();
            h.select("#board-team", &team).await?;
            agent.click("#status-button").await?;
            agent.click(".status-option[data-value=training]").await?;
            h.wait_text("tr[data-user=ana] .board-status", |t| t == "Training")
                .await?;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            assert_eq!(
                h.value("#board-team").await?,
                team,
                "the select kept the team"
            );
            h.wait_count("tr[data-user=ana]", 1).await?;
            h.select("#board-team", "").await?;

            // The supervisor opens Ana's log: the whole story, newest first (a second
            // later, so the chart has whole seconds of `meal` to show).
            tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
            h.click("tr[data-user=ana] a").await?;
            h.wait_count("#log-table", 1).await?;
            // The default range is the server's (the last seven days in Sofía's profile
            // zone), whatever the browser's zone or the day of the month.
            let t = h.api_token("sofia", "demo1234").await?;
            let url = h.client.current_url().await?;
            let id = url.path().rsplit('/').next().unwrap_or("0").to_string();
            let page = h
                .api(
                    reqwest::Method::GET,
                    &format!("/agents/{id}/connection-events"),
                    Some(&t),
                    None,
                )
                .await?;
            let (from, to) = (
                page["from"].as_str().unwrap_or(""),
                page["to"].as_str().unwrap_or(""),
            );
            let days = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d")?
                - chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d")?;
            anyhow::ensure!(days.num_days() == 6, "a week: {page}");
            anyhow::ensure!(h.value("#log-from").await? == from, "the form shows {from}");
            anyhow::ensure!(h.value("#log-to").await? == to, "the form shows {to}");
            let rows = h.texts("#log-table tbody tr").await?;
            let values: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.split('(').nth(1).and_then(|v| v.split(')').next()))
                .collect();
            anyhow::ensure!(
                values.starts_with(&[
                    "training",
                    "meal",
                    "training",
                    "end-call",
                    "in-call",
                    "meal",
                    "available",
                    "connected"
                ]),
                "log: {values:?}"
            );
            // Event types in words (either language), never uContact's raw codes.
            let words = [
                "Cambio por el sistema",
                "Cambio por el ACD",
                "Elegido por el agente",
                "Changed by the system",
                "Changed by the ACD",
                "Chosen by the agent",
            ];
            let types = h.texts("#log-table tbody td.log-type").await?;
            anyhow::ensure!(
                !types.is_empty() && types.iter().all(|t| words.contains(&t.trim())),
                "types: {types:?}"
            );
            if h.wait_count("#status-chart", 1).await.is_err() {
                let t = h.api_token("sofia", "demo1234").await?;
                let url = h.client.current_url().await?;
                let id = url.path().rsplit('/').next().unwrap_or("0").to_string();
                let v = h
                    .api(
                        reqwest::Method::GET,
                        &format!("/agents/{id}/status-time?{}", url.query().unwrap_or("")),
                        Some(&t),
                        None,
                    )
                    .await;
                anyhow::bail!("no chart: {url} {v:?}");
            }
            h.screenshot("agent-log").await?;

            // Two bundles, one desktop: the top bar leaves the back office for the
            // contacts (the desktop's page) and comes back to the board; the agent's
            // browser never fetched the back office's code.
            let office = |r: &Vec<String>| r.iter().any(|u| u.contains("/office/"));
            h.click("#nav-contacts").await?;
            h.wait_count("#contact-list", 1).await?;
            anyhow::ensure!(
                !office(&h.loaded_resources().await?),
                "the desktop loaded the back office"
            );
            h.wait_text("#nav-board", |t| t == "Board").await?;
            h.click("#nav-board").await?;
            h.wait_count("#board-table", 1).await?;
            let loaded = h.loaded_resources().await?;
            anyhow::ensure!(
                loaded
                    .iter()
                    .any(|u| u.contains("/office/") && u.ends_with(".wasm")),
                "the board came from the back office's bundle: {loaded:?}"
            );
            // A contact opened on the desktop stays a tab in the call bar on the board;
            // the tab leads back to the contact's page on the desktop.
            h.goto("/contacts/1").await?;
            h.wait_text("#contact-name", |t| !t.is_empty()).await?;
            h.wait_count(".contact-tab[data-contact-id='1']", 1).await?;
            h.click("#nav-board").await?;
            h.wait_count("#board-table", 1).await?;
            h.click(".contact-tab[data-contact-id='1'] a").await?;
            h.wait_path("/contacts/1").await?;
            h.wait_text("#contact-name", |t| !t.is_empty()).await?;
            // Signing out of the back office lands on the desktop's sign-in page with
            // no way back to the board in it; an agent sent to the board from the login
            // page goes to the contacts instead (no second bundle to say "forbidden").
            h.click("#logout").await?;
            h.wait_text("#login-title", |t| !t.is_empty()).await?;
            h.wait_path("/login").await?;
            h.goto("/login?next=%2Fboard").await?;
            h.login("bruno", "demo1234").await?;
            h.wait_path("/contacts").await?;
            h.wait_count("#contact-list", 1).await?;
            let agent_loaded = agent.loaded_resources().await?;
            anyhow::ensure!(
                !agent_loaded.is_empty() && !office(&agent_loaded),
                "{agent_loaded:?}"
            );
            Ok::<_, anyhow::Error>(())
        }
        .await;
        let checked = agent.finish().await;
        outcome.and(checked)
    })
    .await;
}
