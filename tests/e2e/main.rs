//! End-to-end tests in headless Chromium against the built app and the real server.
#![cfg(not(target_arch = "wasm32"))]

mod harness;

use anyhow::Context;
use harness::{run, wd};

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
        // The choice is remembered across a reload.
        h.client.refresh().await?;
        h.wait_text("#tab-activity", |t| t == "Activity").await?;

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

/// A stand-in for uContact on its own origin: a page that frames the desktop and records
/// every message it receives, plus a hostile frame on a third origin.
async fn serve_host_page(desktop: String) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let host = format!("http://127.0.0.1:{port}");
    let evil_origin = format!("http://localhost:{port}");
    let index = format!(
        r#"<!doctype html><meta charset="utf-8"><title>uContact (test host)</title>
<script>
window.received = [];
window.addEventListener('message', function (e) {{ window.received.push({{origin: e.origin, data: e.data}}); }});
</script>
<iframe id="desktop" src="{desktop}" style="width:1280px;height:1000px"></iframe>
<iframe id="evil" src="{evil_origin}/evil.html" style="width:20px;height:20px"></iframe>"#
    );
    let evil = r#"<!doctype html><script>
window.addEventListener('message', function () {
  parent.frames[0].postMessage({action: 'CLOSE_TAB', id: 'evil-1'}, '*');
  parent.frames[0].postMessage({action: 'HANG_UP', id: 'evil-2'}, '*');
});
</script>"#
        .to_string();
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (index, evil) = (index.clone(), evil.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]);
                let body = if req.starts_with("GET /evil.html") {
                    evil
                } else {
                    index
                };
                let res = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(res.as_bytes()).await;
            });
        }
    });
    Ok((host, task))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crm_actions_travel_from_the_crm_frame_through_the_desktop_to_ucontact() {
    use fantoccini::Locator::Css;
    run(|h| async move {
        let port = h.base.rsplit(':').next().unwrap_or_default().to_string();
        let crm_base = format!("http://localhost:{port}/sample-crm/");
        // uContact's page on a second origin; its address is the desktop's frame ancestor.
        let admin = h.api_token("admin", "demo1234").await?;
        let lucia = h.api(reqwest::Method::GET, "/contacts/1", Some(&admin), None).await?;
        let phone = lucia["phone"].as_str().unwrap_or_default().to_string();
        let launch = format!(
            "{}/launch?phone={}&agent=ana&campaign=Ventas-%3E&guid=g-e2e",
            h.base,
            phone.replace('+', "%2B")
        );
        let (host, server) = serve_host_page(launch).await?;
        h.api(reqwest::Method::PUT, "/crm/settings", Some(&admin), Some(serde_json::json!({
            "url_template": format!("{crm_base}?phone={{phone}}&agent={{agent}}&campaign={{campaign}}&guid={{guid}}"),
            "ucontact_origin": host,
        }))).await?;
        h.api(reqwest::Method::PUT, "/campaigns/Ventas-%3E", Some(&admin), Some(serde_json::json!({
            "name": "Ventas->", "require_disposition": true,
            "dispositions": [{"label": "Venta", "children": [{"label": "Plan anual",
                "children": [{"label": "Tarjeta"}, {"label": "Débito"}]}]}, {"label": "No interesado"}]
        }))).await?;

        h.client.goto(&format!("{host}/")).await?;
        // Inside uContact: sign in within the frame; the launch then opens Lucía's CRM tab.
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.login("ana", "demo1234").await?;
        h.wait_text("#contact-name", |t| t == "Lucía Fernández").await?;
        h.wait_text(".tab[aria-selected=true]", |t| t == "CRM").await?;
        h.client.find(Css("#crm-frame")).await?.enter_frame().await?;
        h.wait_text("#param-phone", |t| t == phone).await?;
        h.wait_text("#param-guid", |t| t == "g-e2e").await?;

        // uContact's own actions; the desktop's AGENT_STATUS relays are checked apart.
        let received = |h: std::sync::Arc<harness::Harness>| async move {
            let v = h.client.execute("return JSON.stringify(window.received.filter(m => m.data.action !== 'AGENT_STATUS'))", vec![]).await?;
            anyhow::Ok(serde_json::from_str::<serde_json::Value>(v.as_str().unwrap_or("[]"))?)
        };
        let statuses = |h: std::sync::Arc<harness::Harness>| async move {
            let v = h.client.execute("return JSON.stringify(window.received.filter(m => m.data.action === 'AGENT_STATUS'))", vec![]).await?;
            anyhow::Ok(serde_json::from_str::<serde_json::Value>(v.as_str().unwrap_or("[]"))?)
        };
        let desktop_origin = h.base.clone();

        // MAKE_CALL: the CRM gets a RESULT, uContact gets the guide's exact shape.
        h.click("#btn-make-call").await?;
        h.wait_text("#log li", |t| t.contains("\"RESULT\"")).await?;
        h.to_top().await?;
        let got = received(h.clone()).await?;
        anyhow::ensure!(got.as_array().map(|a| a.len()) == Some(1), "one message so far: {got}");
        anyhow::ensure!(got[0]["origin"] == desktop_origin.as_str(), "from the desktop: {got}");
        anyhow::ensure!(
            got[0]["data"] == serde_json::json!({"action": "MAKE_CALL", "call": {
                "destination": phone, "campaign": "Ventas->", "did": "", "guid": "g-e2e"}}),
            "exact MAKE_CALL shape: {got}"
        );
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.wait_text("#active-call", |t| t.contains(&phone)).await?;
        h.wait_text("#status-label", |t| t == "In call" || t == "En llamada").await?;
        h.to_top().await?;
        h.screenshot("crm-in-call").await?;
        // The agent's status reaches uContact too, from the desktop's origin.
        let st = statuses(h.clone()).await?;
        anyhow::ensure!(
            st.as_array().into_iter().flatten().any(|m| m["data"] == serde_json::json!(
                {"action": "AGENT_STATUS", "status": "in-call", "isBreak": false})
                && m["origin"] == desktop_origin.as_str()),
            "status relayed: {st}"
        );
        h.client.find(Css("#desktop")).await?.enter_frame().await?;

        // A foreign origin and the wrong window are ignored.
        h.to_top().await?;
        h.client
            .execute("document.getElementById('evil').contentWindow.postMessage('go', '*');
                      document.getElementById('desktop').contentWindow.postMessage({action: 'CLOSE_TAB'}, '*');", vec![])
            .await?;
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        let got = received(h.clone()).await?;
        anyhow::ensure!(got.as_array().map(|a| a.len()) == Some(1), "nothing relayed: {got}");
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.wait_text("#active-call", |t| t.contains(&phone)).await?;
        h.wait_text("#contact-name", |t| t == "Lucía Fernández").await?;
        // The hostile CLOSE_TAB closed nothing.
        h.wait_count(".contact-tab[data-contact-id='1']", 1).await?;

        // Other libraries' messages from the CRM page are not the protocol: no ERROR reply,
        // no notice to the agent.
        let notice_before = h.texts("#bridge-notice").await?;
        h.client.find(Css("#crm-frame")).await?.enter_frame().await?;
        wd("script", h.client.execute(
            "parent.postMessage('[iFrameSizer]crm:480:640:init', '*');
             parent.postMessage({type: 'analytics', event: 'page_view'}, '*');
             parent.postMessage({id: 'x1', method: 'ping'}, '*');", vec![])).await?;
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        h.wait_count("#log li.error", 0).await?;
        h.client.enter_parent_frame().await?;
        anyhow::ensure!(
            h.texts("#bridge-notice").await? == notice_before,
            "a foreign message changed the agent's notice"
        );

        // HANG_UP, then an unknown disposition (ERROR to the CRM, a translated message to
        // the agent), then a real three-level one with a comment.
        h.client.find(Css("#crm-frame")).await?.enter_frame().await?;
        h.click("#btn-hang-up").await?;
        h.wait_text("#log li", |t| t.contains("\"RESULT\"") && t.contains("duration_secs")).await?;
        h.fill("#l1", "Inventado").await?;
        h.click("#btn-disposition").await?;
        h.wait_text("#log li.error", |t| t.contains("unknown_disposition")).await?;
        h.client.enter_parent_frame().await?;
        h.wait_text("#bridge-notice", |t| {
            t.contains("no está en el árbol de la campaña Ventas->") && !t.contains('`')
        })
        .await?;
        h.wait_count("#wrap-up", 1).await?;
        h.to_top().await?;
        h.screenshot("crm-wrap-up").await?;
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.client.find(Css("#crm-frame")).await?.enter_frame().await?;
        h.fill("#l1", "Venta").await?;
        h.fill("#l2", "Plan anual").await?;
        h.fill("#l3", "Tarjeta").await?;
        h.fill("#comment", "Cliente conforme").await?;
        h.click("#btn-disposition").await?;
        h.wait_text("#log li", |t| t.contains("\"RESULT\"") && t.contains("crm-4")).await?;
        h.to_top().await?;
        let got = received(h.clone()).await?;
        let actions: Vec<&str> = got.as_array().into_iter().flatten().filter_map(|m| m["data"]["action"].as_str()).collect();
        anyhow::ensure!(actions == ["MAKE_CALL", "HANG_UP", "DISPOSITION_CALL"], "relayed: {got}");
        anyhow::ensure!(got[2]["data"]["disposition"]["comment"] == "Cliente conforme", "{got}");
        anyhow::ensure!(got[2]["data"]["disposition"]["l2"] == "Plan anual", "{got}");
        anyhow::ensure!(got[2]["data"]["disposition"]["l3"] == "Tarjeta", "{got}");

        // The call and its disposition are on the timeline.
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.wait_text("#contact-name", |t| t == "Lucía Fernández").await?;
        h.wait_count("#wrap-up", 0).await?;
        // The desktop in the frame recorded no failure.
        h.assert_no_app_errors().await?;
        h.click("#tab-activity").await?;
        h.wait_text("#timeline .activity-item:first-child", |t| t.contains("Venta › Plan anual › Tarjeta")).await?;

        // CLOSE_TAB closes the contact tab and reaches uContact.
        h.click("#tab-crm").await?;
        h.wait_count(".contact-tab[data-contact-id='1']", 1).await?;
        h.client.find(Css("#crm-frame")).await?.enter_frame().await?;
        h.click("#btn-close-tab").await?;
        h.client.enter_parent_frame().await?;
        h.wait_count("#contacts-title", 1).await?;
        h.wait_count(".contact-tab[data-contact-id='1']", 0).await?;
        h.to_top().await?;
        let got = received(h.clone()).await?;
        anyhow::ensure!(got[3]["data"] == serde_json::json!({"action": "CLOSE_TAB"}), "{got}");

        // uContact's changedLanguage, in one of the shapes it sends: the desk switches
        // and the choice is saved to Ana's profile.
        wd("script", h.client.execute(&format!(
            "document.getElementById('desktop').contentWindow.postMessage({{event: 'changedLanguage', data: {{lang: 'EN-us'}}}}, '{desktop_origin}')"),
            vec![])).await?;
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.wait_text("#contacts-title", |t| t == "Contacts").await?;
        let ana = h.api_token("ana", "demo1234").await?;
        let me = h.api(reqwest::Method::GET, "/me", Some(&ana), None).await?;
        anyhow::ensure!(me["locale"] == "en", "saved to the profile: {me}");
        h.to_top().await?;
        server.abort();
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_the_crm_template_and_a_campaign_tree_from_the_admin_page() {
    run(|h| async move {
        h.goto("/login?next=%2Fadmin%2Fcrm").await?;
        h.login("admin", "demo1234").await?;
        h.wait_count("#crm-settings-form", 1).await?;
        h.fill("#crm-template", "https://crm.example/c?phone={phone}")
            .await?;
        h.click("#crm-settings-save").await?;
        h.wait_text("#crm-settings-form .form-ok", |t| !t.is_empty())
            .await?;
        // A bad origin is refused with the server's message.
        h.fill("#ucontact-origin", "not an origin").await?;
        h.click("#crm-settings-save").await?;
        h.wait_text("#crm-settings-form .field-error", |t| {
            t.contains("not an origin")
        })
        .await?;

        h.fill("#campaign-name", "Cobros->").await?;
        h.fill("#campaign-tree", "Pagó\n  Total\n  Parcial\nNo pagó")
            .await?;
        h.click("#campaign-required").await?;
        h.click("#campaign-save").await?;
        h.wait_text("#campaign-form .form-ok", |t| !t.is_empty())
            .await?;
        let token = h.api_token("admin", "demo1234").await?;
        let campaigns = h
            .api(reqwest::Method::GET, "/campaigns", Some(&token), None)
            .await?;
        let cobros = campaigns
            .as_array()
            .and_then(|a| a.iter().find(|c| c["name"] == "Cobros->"))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("campaign saved: {campaigns}"))?;
        anyhow::ensure!(cobros["require_disposition"] == true, "{cobros}");
        anyhow::ensure!(
            cobros["dispositions"][0]["children"][1]["label"] == "Parcial",
            "{cobros}"
        );
        let settings = h
            .api(reqwest::Method::GET, "/crm/settings", Some(&token), None)
            .await?;
        anyhow::ensure!(
            settings["url_template"] == "https://crm.example/c?phone={phone}",
            "{settings}"
        );
        Ok(())
    })
    .await;
}

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

            // The supervisor opens Ana's log: the whole story, newest first (a second
            // later, so the chart has whole seconds of `training` to show).
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
            Ok::<_, anyhow::Error>(())
        }
        .await;
        let checked = agent.finish().await;
        outcome.and(checked)
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
