//! End-to-end tests in headless Chromium against the built app and the real server.
#![cfg(not(target_arch = "wasm32"))]

mod harness;

use harness::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_signs_in_finds_a_contact_reads_its_activity_switches_language_and_signs_out() {
    run(|h| async move {
        h.goto("/").await?;
        // No session: the app sends us to the login page, remembering where we were.
        h.wait_path("/login?next=%2F").await?;
        h.login("ana", "demo1234").await?;
        h.wait_path("/contacts").await?;
        // Ana's saved language is Spanish, whatever the browser says.
        h.wait_text("#contacts-title", |t| t == "Contactos").await?;

        // Accent-insensitive search, reflected in the URL.
        h.fill("#contact-search", "fernandez").await?;
        h.wait_path("/contacts?q=fernandez").await?;
        h.wait_text(".contact-row .contact-name", |t| t == "Lucía Fernández")
            .await?;
        h.wait_text("#contact-list", |t| !t.contains("Bruno"))
            .await?;
        h.click_text(".contact-row a", "Lucía Fernández").await?;

        h.wait_text("#contact-name", |t| t == "Lucía Fernández")
            .await?;
        h.wait_count("#timeline .activity-item", 10).await?;
        h.wait_text("#activity-total", |t| t.contains("actividades"))
            .await?;
        h.wait_text("#tab-activity", |t| t == "Actividad").await?;

        h.select("#locale-select", "en").await?;
        h.wait_text("#tab-activity", |t| t == "Activity").await?;
        h.wait_text("#activity-total", |t| t.contains("activities in all"))
            .await?;
        anyhow::ensure!(
            h.html_lang().await? == "en",
            "<html lang> follows the UI language"
        );
        // The choice is remembered across a reload.
        h.client.refresh().await?;
        h.wait_text("#tab-activity", |t| t == "Activity").await?;

        h.click("#logout").await?;
        h.wait_text("#login-title", |t| t == "Sign in").await?;
        // The session is gone: protected pages send us back to the login page.
        h.goto("/contacts").await?;
        h.wait_path("/login?next=%2Fcontacts").await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_shows_a_clear_error_and_keeps_the_user_on_the_login_page() {
    run(|h| async move {
        h.goto("/login").await?;
        h.select("#login-locale", "en").await?;
        h.login("ana", "not-her-password").await?;
        h.wait_text(".login-error", |t| t == "Wrong username or password.")
            .await?;
        h.wait_path("/login").await?;
        let pw = h
            .client
            .find(fantoccini::Locator::Css("#password"))
            .await?
            .prop("value")
            .await?;
        anyhow::ensure!(
            pw.as_deref() == Some(""),
            "the wrong password is cleared, got {pw:?}"
        );

        h.select("#login-locale", "es").await?;
        h.wait_text("#login-title", |t| t == "Iniciar sesión")
            .await?;
        h.wait_text(".login-error", |t| t == "Usuario o contraseña incorrectos.")
            .await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_to_a_contact_page_survives_login_and_reload() {
    run(|h| async move {
        h.goto("/contacts/1?tab=details").await?;
        h.wait_path("/login?next=%2Fcontacts%2F1%3Ftab%3Ddetails")
            .await?;
        h.login("ana", "demo1234").await?;
        h.wait_path("/contacts/1?tab=details").await?;
        h.wait_text("#contact-name", |t| t == "Lucía Fernández")
            .await?;
        h.wait_text(".tab[aria-selected=true]", |t| t == "Detalles")
            .await?;

        h.client.refresh().await?;
        h.wait_text("#contact-name", |t| t == "Lucía Fernández")
            .await?;
        h.wait_text(".tab[aria-selected=true]", |t| t == "Detalles")
            .await?;
        h.wait_text(".attr-table", |t| t.contains("organization"))
            .await?;

        // A contact of the other team is not shown, even by direct link.
        h.goto("/contacts/2").await?;
        h.wait_text("#contact-not-found", |t| !t.is_empty()).await?;
        Ok(())
    })
    .await;
}

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
        let chip = h.wait_text("#kind-call", |_| true).await?;
        let calls: String = chip.chars().filter(char::is_ascii_digit).collect();
        h.wait_text("#activity-total", |t| t.contains(&calls))
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
