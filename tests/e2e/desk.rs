//! The desk as an agent meets it: signing in and out, languages, wrong passwords,
//! where a login may lead, deep links.

use crate::harness::{run, wd};
use anyhow::Context;

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

        // A contact Ana sees who is not a Fernández: listed before the search, gone after.
        let token = h.api_token("ana", "demo1234").await?;
        let all = h
            .api(
                reqwest::Method::GET,
                "/contacts?limit=100",
                Some(&token),
                None,
            )
            .await?;
        let fernandez = |n: &str| n.to_lowercase().replace('á', "a").contains("fernandez");
        let other = all["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str())
            .find(|n| !fernandez(n))
            .context("a contact who is not a Fernández")?
            .to_owned();
        h.wait_text("#contact-list", |t| t.contains(&other)).await?;

        // Accent-insensitive search, reflected in the URL.
        h.fill("#contact-search", "fernandez").await?;
        h.wait_path("/contacts?q=fernandez").await?;
        h.wait_text(".contact-row .contact-name", |t| t == "Lucía Fernández")
            .await?;
        h.wait_text("#contact-list", |t| !t.contains(&other))
            .await?;
        let names = h.texts(".contact-row .contact-name").await?;
        anyhow::ensure!(
            !names.is_empty() && names.iter().all(|n| fernandez(n)),
            "only Fernández contacts match: {names:?}"
        );
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
        // The choice is remembered across a reload; and a reload, back within the
        // grace period, is not a disconnection: no disconnected/reconnected pair logged.
        let token = h.api_token("ana", "demo1234").await?;
        let me = h
            .api(reqwest::Method::GET, "/me", Some(&token), None)
            .await?;
        let log_path = format!("/agents/{}/connection-events", me["id"]);
        let disconnects = |page: &serde_json::Value| {
            page["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter(|e| e["value"] == "disconnected" || e["value"] == "reconnected")
                        .count()
                })
                .unwrap_or(0)
        };
        let before = disconnects(
            &h.api(reqwest::Method::GET, &log_path, Some(&token), None)
                .await?,
        );
        h.client.refresh().await?;
        h.wait_text("#tab-activity", |t| t == "Activity").await?;
        // Past the grace period (4 s), when a real disconnection would have been logged.
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        let after = disconnects(
            &h.api(reqwest::Method::GET, &log_path, Some(&token), None)
                .await?,
        );
        anyhow::ensure!(
            after == before,
            "a reload logged a disconnection ({before} → {after})"
        );

        // An agent has no board: no link to it, and the page itself explains why (no
        // raw server message, no Retry, no endless spinner).
        h.wait_count("#nav-board", 0).await?;
        h.goto("/board").await?;
        h.wait_text("#board-forbidden", |t| {
            t.starts_with("The board is for supervisors")
        })
        .await?;
        h.wait_count("[aria-busy=true]", 0).await?;
        h.wait_count(".board-page button", 0).await?;

        // Signing out from a contact page.
        h.goto("/contacts/1").await?;
        h.wait_text("#contact-name", |t| t == "Lucía Fernández")
            .await?;
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
        let focused = wd(
            "script",
            h.client.execute("return document.activeElement.id", vec![]),
        )
        .await?;
        anyhow::ensure!(
            focused == "password",
            "focus back on the password, got {focused}"
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
async fn after_login_next_never_leaves_the_app_whatever_form_the_other_host_takes() {
    run(|h| async move {
        // Each of these is read by a browser as `//evil.example` or another scheme.
        for next in [
            "javascript%3Aalert(1)",
            "%2F%5Cevil.example",
            "%2F%09%2Fevil.example",
            "%2F%0A%2Fevil.example",
            "%5C%5Cevil.example",
            "%2F%2Fevil.example",
            "https%3A%2F%2Fevil.example",
        ] {
            h.goto(&format!("/login?next={next}")).await?;
            h.login("ana", "demo1234").await?;
            h.wait_path("/contacts").await?;
            let url = wd("current url", h.client.current_url()).await?;
            anyhow::ensure!(
                url.as_str().starts_with(&format!("{}/", h.base)),
                "next={next} left the app for {url}"
            );
            // Forget the session so the next form starts at the login page again.
            wd(
                "script",
                h.client
                    .execute("sessionStorage.removeItem('agentdesk.token')", vec![]),
            )
            .await?;
        }
        // A real path of the app is still followed.
        h.goto("/login?next=%2Fcontacts%2F1").await?;
        h.login("ana", "demo1234").await?;
        h.wait_path("/contacts/1").await?;
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
async fn the_language_picked_on_the_login_page_is_kept_after_sign_in_and_saved() {
    run(|h| async move {
        // Ana's profile says Spanish; she picks English before signing in.
        // (The browser's own language may already be English: start from Spanish.)
        h.goto("/login").await?;
        h.select("#login-locale", "es").await?;
        h.wait_text("#login-title", |t| t == "Iniciar sesión")
            .await?;
        h.select("#login-locale", "en").await?;
        h.wait_text("#login-title", |t| t == "Sign in").await?;
        h.login("ana", "demo1234").await?;
        h.wait_count("#contacts-title", 1).await?;
        h.wait_text("#contacts-title", |t| t == "Contacts").await?;
        anyhow::ensure!(h.html_lang().await? == "en", "the page is in English");
        let token = h.api_token("ana", "demo1234").await?;
        let me = h
            .api(reqwest::Method::GET, "/me", Some(&token), None)
            .await?;
        anyhow::ensure!(me["locale"] == "en", "saved to the profile: {me}");
        Ok(())
    })
    .await;
}
