//! uContact's settings on `/admin/crm`: the admin makes a webhook secret there, sees it
//! once, and uContact's webhook signed with it is taken while a made-up one is refused;
//! the REST API's address saved there is shown as set in the console, its password never.

use anyhow::ensure;

use crate::harness::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_makes_the_webhook_secret_and_sets_the_api_on_the_admin_screen() {
    run(|h| async move {
        h.goto("/login?next=%2Fadmin%2Fcrm").await?;
        h.login("admin", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        h.wait_path("/admin/crm").await?;
        h.wait_text("#ucontact-webhook", |t| t.contains("not set"))
            .await?;
        h.client
            .execute("window.confirm = () => true", vec![])
            .await?;
        h.click("#ucontact-webhook .ucontact-rotate").await?;
        h.wait_count("#ucontact-new-secret", 1).await?;
        let secret = h.texts("#ucontact-secret-value").await?.concat();
        ensure!(secret.len() >= 40, "a secret: {secret}");
        h.wait_text("#ucontact-webhook", |t| t.contains("set here"))
            .await?;

        let hook = |secret: String| {
            let url = format!("{}/api/v1/webhooks/ucontact", h.base);
            async move {
                agentdesk_server::outbound::plain_client()
                    .post(url)
                    .header("x-webhook-secret", secret)
                    .json(
                        &serde_json::json!({ "event": "AgentLog", "date": "2026-03-02 09:00:00",
                        "agent": "ana", "isLogin": true }),
                    )
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }
        };
        ensure!(
            hook(secret.clone()).await? == 200,
            "the new secret is taken"
        );
        ensure!(
            hook("made-up-secret-0000000000".into()).await? == 401,
            "another is refused"
        );
        h.click("#ucontact-secret-done").await?;
        h.wait_count("#ucontact-new-secret", 0).await?;

        h.fill("#ucontact-url", "https://acme.ucontact.example")
            .await?;
        h.fill("#ucontact-user", "integra").await?;
        h.fill("#ucontact-password", "never-shown-pw").await?;
        h.click("#ucontact-save").await?;
        h.wait_text("#ucontact-api-source", |t| {
            t.contains("set here") && t.contains("password stored")
        })
        .await?;
        ensure!(
            h.value("#ucontact-password").await?.is_empty(),
            "the password field is emptied"
        );
        h.assert_no_app_errors().await
    })
    .await;
}
