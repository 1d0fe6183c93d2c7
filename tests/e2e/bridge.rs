//! The CRM frame and uContact: the postMessage actions across origins, and the admin
//! page that sets the CRM template and campaign trees.

use crate::harness::{run, wd};

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
            // Off by default (not uContact's protocol); this host page listens for it.
            "agent_status_relay": true,
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
        let received = |h: std::sync::Arc<crate::harness::Harness>| async move {
            let v = h.client.execute("return JSON.stringify(window.received.filter(m => m.data.action !== 'AGENT_STATUS'))", vec![]).await?;
            anyhow::Ok(serde_json::from_str::<serde_json::Value>(v.as_str().unwrap_or("[]"))?)
        };
        let statuses = |h: std::sync::Arc<crate::harness::Harness>| async move {
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

        // Events API: assignedInteraction pops a customer new to the desk (created under
        // its CRM id and number, its tab opened on the CRM), changedTheme turns the desk
        // dark, finishedInteraction ends the interaction.
        let post = |msg: &str| format!(
            "document.getElementById('desktop').contentWindow.postMessage({msg}, '{desktop_origin}')");
        wd("script", h.client.execute(&post(
            "{event: 'assignedInteraction', data: {guid: 'g-pop-1', campaign: 'Soporte<-', channel: 'telephony', clientId: 'CRM-E2E-1', callerIdNum: 59829007777}}"),
            vec![])).await?;
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.wait_count("#crm-frame", 1).await?;
        let url = wd("script", h.client.execute("return location.href", vec![])).await?.to_string();
        let src = wd("script", h.client.execute(
            "return document.getElementById('crm-frame').getAttribute('src')", vec![])).await?;
        anyhow::ensure!(url.contains("/contacts/") && url.contains("tab=crm"), "{url}");
        anyhow::ensure!(src.as_str().is_some_and(|s| s.contains("g-pop-1")), "CRM URL: {src}");
        h.to_top().await?;
        wd("script", h.client.execute(&post("{event: 'changedTheme', data: {theme: 'dark'}}"), vec![])).await?;
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.wait_count("html[data-theme='dark']", 1).await?;
        h.to_top().await?;
        wd("script", h.client.execute(&post("{event: 'finishedInteraction', data: {guid: 'g-pop-1'}}"), vec![])).await?;
        h.client.find(Css("#desktop")).await?.enter_frame().await?;
        h.wait_text(".bridge-notice", |t| t.contains("Interaction finished")).await?;
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
        // A bad origin is refused naming the field, with the server's reason for admins.
        h.fill("#ucontact-origin", "not an origin").await?;
        h.click("#crm-settings-save").await?;
        h.wait_text("#crm-settings-form .field-error", |t| {
            t.contains("uContact origin") && t.contains("not an origin")
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
