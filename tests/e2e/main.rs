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
