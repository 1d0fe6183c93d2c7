//! An agent's working day at 1280×720: the dial pad, after-call work as a status of its
//! own, and the compact timeline with its pager above and below.

use anyhow::{Context, ensure};
use serde_json::json;

use crate::harness::run;

/// The agent's status label in the top bar.
async fn status_label(h: &crate::harness::Browser) -> anyhow::Result<String> {
    Ok(h.texts("#status-button").await?.join(" "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_pad_calls_a_new_number_then_wrap_up_holds_the_agent_until_the_disposition() {
    run(|h| async move {
        h.viewport(1280, 720).await?;
        let admin = h.api_token("admin", "demo1234").await?;
        // Ventas-> names its d1 field; Retención<- belongs to another team only, so Ana is
        // never offered it.
        let teams = h
            .api(reqwest::Method::GET, "/teams", Some(&admin), None)
            .await?;
        let ana = h.api_token("ana", "demo1234").await?;
        let me = h.api(reqwest::Method::GET, "/me", Some(&ana), None).await?;
        let ana_teams: Vec<i64> = me["teams"]
            .as_array()
            .context("ana's teams")?
            .iter()
            .filter_map(|t| t["id"].as_i64())
            .collect();
        let foreign = teams
            .as_array()
            .context("teams")?
            .iter()
            .filter_map(|t| t["id"].as_i64())
            .find(|id| !ana_teams.contains(id))
            .context("a team Ana is not in")?;
        h.api(
            reqwest::Method::PUT,
            "/campaigns/Retenci%C3%B3n%3C-",
            Some(&admin),
            Some(json!({ "name": "Retención<-", "teams": [foreign],
                         "dispositions": [{ "label": "Retenido" }] })),
        )
        .await?;

        h.api(
            reqwest::Method::PUT,
            "/campaigns/Ventas-%3E",
            Some(&admin),
            Some(json!({ "name": "Ventas->", "require_disposition": true,
                         "d1_label": "Número de pedido",
                         "dispositions": [
                             { "label": "Venta", "children": [{ "label": "Plan anual" }] },
                             { "label": "No interesado" }
                         ] })),
        )
        .await?;
        h.goto("/login?next=%2Fcontacts").await?;
        h.login("ana", "demo1234").await?;
        h.wait_path("/contacts").await?;
        h.wait_text("#status-button", |t| t.contains("Disponible"))
            .await?;
        h.click("#dial-open").await?;
        h.wait_count("#dial-pad", 1).await?;
        h.wait_count("#dial-campaign option[value='Ventas->']", 1)
            .await?;
        let offered = h.texts("#dial-campaign option").await?;
        ensure!(
            offered.iter().any(|o| o == "Ventas->")
                && !offered.iter().any(|o| o.starts_with("Retención")),
            "only the campaigns of Ana's teams: {offered:?}"
        );
        // A number with letters is refused in the form, translated, and nothing is sent.
        h.fill("#dial-number", "099 12a 456").await?;
        h.select("#dial-campaign", "Ventas->").await?;
        h.click("#dial-call").await?;
        h.wait_text("#dial-error", |t| t.starts_with("Solo dígitos"))
            .await?;
        h.wait_count("#active-call", 0).await?;
        // Typed on the keypad: a number nobody has yet.
        for _ in 0.."099 12a 456".len() {
            h.click(".dial-key[data-key='⌫']").await?;
        }
        ensure!(h.value("#dial-number").await?.is_empty(), "erased");
        for key in ["0", "9", "8", "7", "6", "5", "4", "3", "2"] {
            h.click(&format!(".dial-key[data-key='{key}']")).await?;
        }
        let typed = h.value("#dial-number").await?;
        ensure!(typed == "098765432", "typed on the keypad: {typed}");
        h.screenshot("dial-pad-1280x720").await?;
        h.click("#dial-call").await?;
        h.wait_count("#active-call", 1).await?;
        // The contact was created for the number, and its page opened.
        h.wait_url(|u| u.starts_with("/contacts/") && u != "/contacts")
            .await?;
        h.wait_text("#contact-name", |t| t.contains("98765432"))
            .await?;
        h.wait_text("#status-button", |t| t.contains("En llamada"))
            .await?;

        h.click("#hang-up").await?;
        h.wait_count("#wrap-up", 1).await?;
        // After-call work: a status with its own running timer, not "available".
        h.wait_text("#status-button", |t| t.contains("Tipificando"))
            .await?;
        h.wait_text("#wrap-d1-label", |t| t == "Número de pedido")
            .await?;
        h.wait_text("#wrap-d2-label", |t| t == "d2").await?;
        let first = h.texts("#wrap-up-timer").await?.join("");
        tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
        let later = h.texts("#wrap-up-timer").await?.join("");
        ensure!(first != later, "the wrap-up timer runs: {first} → {later}");
        h.screenshot("wrap-up-1280x720").await?;
        // A supervisor's board shows it too.
        let sup = h.api_token("sofia", "demo1234").await?;
        let board = h
            .api(reqwest::Method::GET, "/board", Some(&sup), None)
            .await?;
        ensure!(
            board.to_string().contains("\"wrap-up\""),
            "the board shows the agent in wrap-up: {board}"
        );

        h.select("#wrap-l1", "Venta").await?;
        h.select("#wrap-l2", "Plan anual").await?;
        h.fill("#wrap-d1", "PED-1234").await?;
        h.fill("#wrap-comment", "Cliente nuevo").await?;
        h.click("#wrap-save").await?;
        h.wait_count("#wrap-up", 0).await?;
        h.wait_text("#status-button", |t| t.contains("Disponible"))
            .await?;
        h.wait_text("#timeline .activity-item:first-child", |t| {
            t.contains("Venta › Plan anual") && t.contains("Cliente nuevo")
        })
        .await?;
        let label = status_label(&h).await?;
        ensure!(!label.contains("Tipificando"), "{label}");

        // The API refuses another team's campaign as unknown, whatever the client sends.
        let refused = h
            .api(
                reqwest::Method::POST,
                "/calls",
                Some(&ana),
                Some(json!({ "call": { "destination": "099111222", "campaign": "Retención<-" } })),
            )
            .await;
        ensure!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains("422")),
            "another team's campaign: {refused:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_timeline_fits_eight_items_keeps_the_choice_and_the_pager_scrolls_up() {
    run(|h| async move {
        h.viewport(1280, 720).await?;
        h.goto("/login?next=%2Fcontacts%2F1").await?;
        h.login("ana", "demo1234").await?;
        h.wait_text("#contact-name", |t| t == "Lucía Fernández")
            .await?;
        h.wait_count("#timeline .activity-item", 10).await?;
        // The pager is above the list too.
        h.wait_count("#top-page-next", 1).await?;
        h.click("#density-toggle").await?;
        h.wait_count("#timeline.compact", 1).await?;
        h.client.execute("window.scrollTo(0, 0)", vec![]).await?;
        h.screenshot("timeline-compact-1280x720").await?;
        let above_fold = h
            .client
            .execute(
                "return [...document.querySelectorAll('#timeline .activity-item')] \
                 .filter(e => e.getBoundingClientRect().bottom <= window.innerHeight).length",
                vec![],
            )
            .await?;
        ensure!(
            above_fold.as_u64().unwrap_or(0) >= 8,
            "at least 8 items above the fold at 1280×720, got {above_fold}"
        );
        let heights = h
            .client
            .execute(
                "return [...document.querySelectorAll('#timeline .activity-item')] \
                 .map(e => e.getBoundingClientRect().height)",
                vec![],
            )
            .await?;
        ensure!(
            heights
                .as_array()
                .is_some_and(|hs| hs.iter().all(|x| x.as_f64().unwrap_or(99.0) < 40.0)),
            "one line per item: {heights}"
        );
        // Remembered for this user across a reload.
        h.client.refresh().await?;
        h.wait_count("#timeline.compact", 1).await?;
        // Go to a date: the page the server names for that day, for the same kinds.
        let ana = h.api_token("ana", "demo1234").await?;
        let date = (chrono::Utc::now() - chrono::Duration::days(20))
            .date_naive()
            .to_string();
        let want = h
            .api(
                reqwest::Method::GET,
                &format!("/contacts/1/activities/position?date={date}"),
                Some(&ana),
                None,
            )
            .await?["page"]
            .as_u64()
            .unwrap_or(0);
        ensure!(want > 1, "twenty days back is not on page 1 (page {want})");
        h.client
            .execute(
                "const el = document.getElementById('timeline-date'); el.value = arguments[0];",
                vec![json!(date)],
            )
            .await?;
        h.click("#timeline-date-go").await?;
        h.wait_text("#page-status", |t| {
            t.starts_with(&format!("Página {want} de"))
        })
        .await?;
        h.goto("/contacts/1").await?;
        h.wait_count("#timeline .activity-item", 10).await?;
        // Back to the full view; from the bottom pager, the next page starts at the top.
        h.click("#density-toggle").await?;
        h.wait_count("#timeline.compact", 0).await?;
        h.client
            .execute(
                "document.getElementById('page-next').scrollIntoView()",
                vec![],
            )
            .await?;
        h.click("#page-next").await?;
        h.wait_text("#page-status", |t| t.starts_with("Página 2"))
            .await?;
        let mut top = serde_json::Value::Null;
        for _ in 0..40 {
            top = h
                .client
                .execute(
                    "return document.getElementById('timeline-head').getBoundingClientRect().top",
                    vec![],
                )
                .await?;
            if top.as_f64().is_some_and(|t| (-1.0..200.0).contains(&t)) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        ensure!(
            top.as_f64().is_some_and(|t| (-1.0..200.0).contains(&t)),
            "after next the list's head is in view: {top}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_creates_a_contact_then_corrects_it() {
    run(|h| async move {
        h.goto("/login?next=%2Fcontacts").await?;
        h.login("ana", "demo1234").await?;
        h.wait_path("/contacts").await?;
        h.click("#new-contact").await?;
        h.wait_count("#contact-form", 1).await?;
        h.fill("#contact-form-name", "Rosa Núñez").await?;
        h.fill("#contact-form-phone", "094 555 123").await?;
        h.fill("#contact-form-email", "rosa-sin-arroba").await?;
        h.click("#contact-form-save").await?;
        // Checked before any request, translated, naming the field.
        h.wait_text("#contact-form-error", |t| t.contains("Email"))
            .await?;
        h.fill("#contact-form-email", "rosa@example.com").await?;
        h.fill("#contact-form-attributes", "plan: gold").await?;
        h.click("#contact-form-save").await?;
        h.wait_text("#contact-name", |t| t == "Rosa Núñez").await?;
        h.wait_text(".contact-facts .phone", |t| t == "+59894555123")
            .await?;
        // Corrected in place; its tab follows.
        h.click("#edit-contact").await?;
        h.wait_count("#contact-form", 1).await?;
        ensure!(h.value("#contact-form-phone").await? == "+59894555123");
        h.fill("#contact-form-name", "Rosa Núñez Pérez").await?;
        h.click("#contact-form-save").await?;
        h.wait_text("#contact-name", |t| t == "Rosa Núñez Pérez")
            .await?;
        h.wait_count("#contact-form", 0).await?;
        h.wait_text(".contact-tab.current a", |t| t == "Rosa Núñez Pérez")
            .await?;
        // The search finds it by the number as people write it.
        h.goto("/contacts?q=094%20555%20123").await?;
        h.wait_text(".contact-row .contact-name", |t| t == "Rosa Núñez Pérez")
            .await?;
        Ok(())
    })
    .await;
}

/// Set a date-time input's value as a picker would (typing into one depends on the
/// browser's locale), and tell the app.
async fn set_input(h: &crate::harness::Browser, css: &str, value: &str) -> anyhow::Result<()> {
    h.client
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!(css), json!(value)],
        )
        .await?;
    let now = h.value(css).await?;
    ensure!(now == value, "{css} holds {now:?}, not {value:?}");
    Ok(())
}

/// Now plus `secs` on the server's clock, as a date-time input in `zone` writes it.
fn local_in(zone: &str, secs: i64, format: &str) -> anyhow::Result<String> {
    let tz: chrono_tz::Tz = zone
        .parse()
        .map_err(|e| anyhow::anyhow!("zone {zone}: {e}"))?;
    Ok(
        (agentdesk_server::clock::now() + chrono::Duration::seconds(secs))
            .with_timezone(&tz)
            .format(format)
            .to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_disposition_asks_when_and_the_reminder_alerts_the_agent_when_due() {
    run(|h| async move {
        h.viewport(1280, 720).await?;
        let admin = h.api_token("admin", "demo1234").await?;
        h.api(
            reqwest::Method::PUT,
            "/campaigns/Ventas-%3E",
            Some(&admin),
            Some(json!({ "name": "Ventas->", "require_disposition": true,
                         "dispositions": [
                             { "label": "Venta" },
                             { "label": "Volver a llamar", "callback": true }
                         ] })),
        )
        .await?;
        let ana = h.api_token("ana", "demo1234").await?;
        let me = h.api(reqwest::Method::GET, "/me", Some(&ana), None).await?;
        let zone = me["time_zone"].as_str().context("ana's zone")?.to_string();
        h.goto("/login?next=%2Fcontacts").await?;
        h.login("ana", "demo1234").await?;
        h.wait_path("/contacts").await?;
        h.click("#dial-open").await?;
        h.wait_count("#dial-campaign option[value='Ventas->']", 1)
            .await?;
        h.fill("#dial-number", "099 765 432").await?;
        h.select("#dial-campaign", "Ventas->").await?;
        h.click("#dial-call").await?;
        h.wait_count("#active-call", 1).await?;
        h.click("#hang-up").await?;
        h.wait_count("#wrap-up", 1).await?;
        // Only a disposition marked "schedule callback" asks when.
        h.select("#wrap-l1", "Venta").await?;
        h.wait_count("#wrap-callback-at", 0).await?;
        h.select("#wrap-l1", "Volver a llamar").await?;
        h.wait_count("#wrap-callback-at", 1).await?;
        // A time already past in Ana's zone (not the browser's: it runs elsewhere) is
        // refused in her language, and nothing is saved.
        let past = local_in(&zone, -120, "%Y-%m-%dT%H:%M")?;
        set_input(&h, "#wrap-callback-at", &past).await?;
        h.click("#wrap-save").await?;
        h.wait_text("#wrap-callback-error", |t| {
            t.starts_with("Elige un momento")
        })
        .await?;
        h.wait_count("#wrap-up", 1).await?;
        // Tomorrow at this time: saved, listed, not due.
        let tomorrow = local_in(&zone, 86_400, "%Y-%m-%dT%H:%M")?;
        set_input(&h, "#wrap-callback-at", &tomorrow).await?;
        h.fill("#wrap-callback-note", "Ofrecer plan anual").await?;
        h.click("#wrap-save").await?;
        h.wait_count("#wrap-up", 0).await?;
        h.click("#reminders-button").await?;
        h.wait_count("#reminders-panel .reminder", 1).await?;
        h.wait_text("#reminders-panel .reminder", |t| {
            t.contains("Ofrecer plan anual")
        })
        .await?;
        h.wait_count("#reminders-due", 0).await?;

        // Another call whose callback falls due in seconds (the API takes seconds): the
        // desktop alerts Ana when it does, live, and "Done" clears it.
        let started = h
            .api(
                reqwest::Method::POST,
                "/calls",
                Some(&ana),
                Some(json!({ "call": { "destination": "099111333", "campaign": "Ventas->" } })),
            )
            .await?;
        let guid = started["guid"].as_str().context("guid")?.to_string();
        h.api(
            reqwest::Method::POST,
            "/calls/hangup",
            Some(&ana),
            Some(json!({})),
        )
        .await?;
        let soon = local_in(&zone, 3, "%Y-%m-%dT%H:%M:%S")?;
        h.api(
            reqwest::Method::POST,
            "/calls/disposition",
            Some(&ana),
            Some(
                json!({ "disposition": { "campaign": "Ventas->", "guid": guid,
                                          "l1": "Volver a llamar" },
                         "callback": { "at": soon, "note": "urgente" } }),
            ),
        )
        .await?;
        h.wait_text(".reminder-alert", |t| {
            t.contains("Hora de volver a llamar") && t.contains("urgente")
        })
        .await?;
        h.wait_text("#reminders-due", |t| t == "1").await?;
        h.screenshot("callback-due-1280x720").await?;
        h.click(".reminder-alert .reminder-done").await?;
        h.wait_count(".reminder-alert", 0).await?;
        h.wait_count("#reminders-panel .reminder", 1).await?;
        h.wait_count("#reminders-due", 0).await?;
        Ok(())
    })
    .await;
}
