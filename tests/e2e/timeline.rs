//! The contact's timeline: pages, kinds, search, live updates, the pager and notes.

use crate::harness::{run, wd};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_pages_filters_searches_keeps_state_in_the_url_and_updates_live() {
    run(|h| async move {
        h.goto("/login?next=%2Fcontacts%2F1").await?;
        h.login("sofia", "demo1234").await?;
        h.wait_text("#contact-name", |t| t == "Lucía Fernández")
            .await?;
        h.wait_text("#page-status", |t| t.starts_with("Página 1 de"))
            .await?;
        h.select("#locale-select", "en").await?;
        h.wait_count("#timeline .activity-item", 10).await?;
        let status = h
            .wait_text("#page-status", |t| t.starts_with("Page 1 of"))
            .await?;
        let pages: u32 = status.rsplit(' ').next().unwrap_or("0").parse()?;
        anyhow::ensure!(pages >= 250, "thousands of activities: {pages} pages");
        let first_page = h.texts("#timeline .activity-item").await?;

        // Forward one page, then to the last; the URL carries page and anchor.
        h.click("#page-next").await?;
        h.wait_text("#page-status", |t| t.starts_with("Page 2 of"))
            .await?;
        h.wait_url(|u| u.contains("page=2") && u.contains("anchor="))
            .await?;
        anyhow::ensure!(h.texts("#timeline .activity-item").await? != first_page);
        h.click("#page-last").await?;
        h.wait_text("#page-status", |t| t == format!("Page {pages} of {pages}"))
            .await?;
        let last_page = h.texts("#timeline .activity-item").await?;
        anyhow::ensure!(!last_page.is_empty() && last_page.len() <= 10);
        // Reload and back/forward keep the view.
        h.client.refresh().await?;
        h.wait_text("#page-status", |t| t == format!("Page {pages} of {pages}"))
            .await?;
        h.client.back().await?;
        h.wait_text("#page-status", |t| t.starts_with("Page 2 of"))
            .await?;
        // Keyboard: ← goes back a page from within the list.
        h.client
            .execute(
                "document.querySelector('#timeline .activity-item').focus()",
                vec![],
            )
            .await?;
        h.client
            .find(fantoccini::Locator::Css("#timeline .activity-item"))
            .await?
            .send_keys("\u{E012}")
            .await?;
        h.wait_text("#page-status", |t| t.starts_with("Page 1 of"))
            .await?;

        // Filter by kind: only calls, and the chip says how many there are.
        h.click("#kind-call").await?;
        h.wait_url(|u| u.contains("kinds=call")).await?;
        h.wait_text("#kind-call[aria-pressed=true]", |_| true)
            .await?;
        h.wait_count("#timeline .activity-item", 10).await?;
        for class in h.classes("#timeline .activity-item").await? {
            anyhow::ensure!(class.contains("kind-call"), "only calls: {class}");
        }
        // The chip's count is the number of calls the API has, and the total says so.
        let chip = h
            .wait_text("#kind-call", |t| t.chars().any(|c| c.is_ascii_digit()))
            .await?;
        let calls: u64 = chip
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()?;
        let token = h.api_token("sofia", "demo1234").await?;
        let api = h
            .api(
                reqwest::Method::GET,
                "/contacts/1/activities?kinds=call",
                Some(&token),
                None,
            )
            .await?;
        anyhow::ensure!(
            api["total"].as_u64() == Some(calls),
            "chip {calls} vs API {}",
            api["total"]
        );
        h.wait_text("#activity-total", |t| {
            t.split_whitespace()
                .next()
                .map(|n| n.replace([',', '.', '\u{a0}', '\u{202f}'], ""))
                == Some(calls.to_string())
        })
        .await?;

        // Search within calls, with the matches highlighted; reload keeps it all.
        h.fill("#activity-search", "venta").await?;
        h.wait_url(|u| u.contains("q=venta") && u.contains("kinds=call"))
            .await?;
        h.wait_text("#timeline .activity-item mark", |t| {
            t.to_lowercase().starts_with("venta")
        })
        .await?;
        h.client.refresh().await?;
        h.wait_text("#timeline .activity-item mark", |_| true)
            .await?;
        h.screenshot("timeline-search").await?;
        anyhow::ensure!(h.value("#activity-search").await? == "venta");
        h.wait_text("#kind-call[aria-pressed=true]", |_| true)
            .await?;
        h.fill("#activity-search", "zzqqxx").await?;
        h.wait_text("#no-activities", |t| t.contains("Nothing matches"))
            .await?;

        // Live: an activity created through the API while the page is open appears on
        // page 1 without a reload.
        h.click("#kind-all").await?;
        h.wait_url(|u| !u.contains("kinds=")).await?;
        // Empty the search box as a user does: select all, delete.
        h.client
            .find(fantoccini::Locator::Css("#activity-search"))
            .await?
            .send_keys("\u{E009}a\u{E009}\u{E003}")
            .await?;
        h.wait_url(|u| !u.contains("q=") && !u.contains("kinds="))
            .await?;
        h.wait_text("#page-status", |t| t.starts_with("Page 1 of"))
            .await?;
        h.wait_text(".live-dot.on", |_| true).await?;
        let token = h.api_token("ana", "demo1234").await?;
        let started = std::time::Instant::now();
        h.api(
            reqwest::Method::POST,
            "/contacts/1/notes",
            Some(&token),
            Some(serde_json::json!({ "text": "Nota en vivo desde la API" })),
        )
        .await?;
        h.wait_text(
            "#timeline .activity-item:first-child .activity-title",
            |t| t == "Nota en vivo desde la API",
        )
        .await?;
        eprintln!(
            "live activity shown {} ms after the API call",
            started.elapsed().as_millis()
        );

        // On another page, a notice instead; it leads back to page 1.
        h.click("#page-next").await?;
        h.wait_text("#page-status", |t| t.starts_with("Page 2 of"))
            .await?;
        h.api(
            reqwest::Method::POST,
            "/contacts/1/notes",
            Some(&token),
            Some(serde_json::json!({ "text": "Segunda nota" })),
        )
        .await?;
        h.wait_text("#new-activities", |t| t.starts_with("1 new"))
            .await?;
        h.click("#new-activities").await?;
        h.wait_text("#page-status", |t| t.starts_with("Page 1 of"))
            .await?;
        h.wait_text(
            "#timeline .activity-item:first-child .activity-title",
            |t| t == "Segunda nota",
        )
        .await?;

        // A supervisor deletes it; the timeline follows.
        h.client
            .execute("window.confirm = () => true", vec![])
            .await?;
        h.click("#timeline .activity-item:first-child .activity-delete")
            .await?;
        h.wait_text(
            "#timeline .activity-item:first-child .activity-title",
            |t| t == "Nota en vivo desde la API",
        )
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_event_updates_the_timeline_in_place_and_a_call_in_progress_runs_its_clock() {
    use fantoccini::Locator::Css;
    run(|h| async move {
        h.goto("/login?next=%2Fcontacts%2F1").await?;
        h.login("ana", "demo1234").await?;
        h.wait_count("#timeline .activity-item", 10).await?;
        let ids = || async {
            let v = wd("script", h.client.execute(
                "return [...document.querySelectorAll('#timeline .activity-item')].map(e => e.dataset.activityId)",
                vec![])).await?;
            anyhow::Ok(serde_json::from_value::<Vec<String>>(v)?)
        };
        let before = ids().await?;
        // Open the second item's source panel and put the keyboard focus on the third.
        let second = h.client.find_all(Css("#timeline .activity-item .activity-source")).await?;
        wd("click", second[1].click()).await?;
        h.wait_count(".activity-source-panel", 1).await?;
        h.wait_count(".activity-source-panel [aria-busy=true]", 0).await?;
        // Labels and values aligned: each value on its label's line, and one value
        // column across the panel's tables.
        let layout = wd("script", h.client.execute(
            "return [...document.querySelectorAll('.activity-source-panel dd')].map(dd => {
               const dt = dd.previousElementSibling.getBoundingClientRect();
               const r = dd.getBoundingClientRect();
               return [Math.round(r.left), Math.round(r.top - dt.top)];
             })", vec![])).await?;
        let layout: Vec<(i64, i64)> = serde_json::from_value(layout)?;
        anyhow::ensure!(
            !layout.is_empty() && layout.iter().all(|(left, dy)| *left == layout[0].0 && *dy == 0),
            "source panel labels and values aligned: {layout:?}"
        );
        wd("script", h.client.execute(
            "document.querySelectorAll('#timeline .activity-item')[2].focus()", vec![])).await?;
        let focused = || async {
            let v = wd("script", h.client.execute(
                "return document.activeElement && document.activeElement.dataset.activityId", vec![])).await?;
            anyhow::Ok(v.as_str().unwrap_or_default().to_string())
        };
        anyhow::ensure!(focused().await? == before[2], "focus set");

        // Another desk adds a note: it arrives on top, and nothing else is rebuilt.
        let token = h.api_token("ana", "demo1234").await?;
        h.api(reqwest::Method::POST, "/contacts/1/notes", Some(&token),
            Some(serde_json::json!({ "text": "Nota en vivo" }))).await?;
        h.wait_text("#timeline .activity-item:first-child", |t| t.contains("Nota en vivo")).await?;
        let after = ids().await?;
        anyhow::ensure!(after[1..] == before[..9], "shifted by one: {before:?} → {after:?}");
        anyhow::ensure!(focused().await? == before[2], "the focus stayed on its item");
        let open = h.client.find_all(Css(&format!(
            ".activity-item[data-activity-id='{}'] .activity-source-panel", before[1]))).await?;
        anyhow::ensure!(open.len() == 1, "the open source panel stayed open");

        // A call in progress: "in progress" with a running clock, never "not answered".
        h.api(reqwest::Method::POST, "/calls", Some(&token), Some(serde_json::json!({
            "contact_id": 1, "call": { "destination": "099123123", "campaign": "Ventas->" } }))).await?;
        let first = "#timeline .activity-item:first-child";
        h.wait_text(&format!("{first} .badge.live"), |t| t == "En curso").await?;
        anyhow::ensure!(
            !h.texts(first).await?.concat().contains("No atendida"),
            "an unfinished call is not 'not answered'"
        );
        let t1 = h.wait_text(&format!("{first} .call-timer"), |t| t.contains(':')).await?;
        tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
        let t2 = h.wait_text(&format!("{first} .call-timer"), |t| t.contains(':')).await?;
        anyhow::ensure!(t1 != t2, "the call's clock runs: {t1} then {t2}");
        h.screenshot("timeline-call-in-progress").await?;
        h.api(reqwest::Method::POST, "/calls/hangup", Some(&token), Some(serde_json::json!({}))).await?;
        h.wait_count(&format!("{first} .badge.live"), 0).await?;
        h.wait_count(&format!("{first} .call-timer"), 0).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pager_s_numbered_previous_and_first_buttons_and_the_note_form_work() {
    run(|h| async move {
        h.goto("/login?next=%2Fcontacts%2F1").await?;
        h.login("ana", "demo1234").await?;
        h.wait_text("#page-status", |t| t.starts_with("Página 1 de")).await?;
        let first_page = h.texts("#timeline .activity-item").await?;
        h.click(".pager-num[data-page='3']").await?;
        h.wait_text("#page-status", |t| t.starts_with("Página 3 de")).await?;
        h.wait_url(|u| u.contains("page=3")).await?;
        h.wait_text(".pager-num[aria-current=page]", |t| t == "3").await?;
        h.click("#page-prev").await?;
        h.wait_text("#page-status", |t| t.starts_with("Página 2 de")).await?;
        h.click("#page-first").await?;
        h.wait_text("#page-status", |t| t.starts_with("Página 1 de")).await?;
        anyhow::ensure!(
            h.texts("#timeline .activity-item").await? == first_page,
            "back on the first page, the same items"
        );
        let disabled = wd("script", h.client.execute(
            "return document.getElementById('page-first').disabled && document.getElementById('page-prev').disabled",
            vec![])).await?;
        anyhow::ensure!(disabled == true, "first and previous are disabled on page 1");

        // The note form: the note lands on top, by its author, and the field is cleared.
        h.fill("#note-text", "Nota desde el formulario").await?;
        h.click("#note-submit").await?;
        h.wait_text("#timeline .activity-item:first-child", |t| {
            t.contains("Nota desde el formulario") && t.contains("Ana")
        })
        .await?;
        anyhow::ensure!(h.value("#note-text").await?.is_empty(), "the field is cleared");
        Ok(())
    })
    .await;
}
