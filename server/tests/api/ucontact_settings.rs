//! uContact's settings in the console: where each comes from, secrets never shown,
//! rotation in effect at once on every instance (the old secret refused), the REST API's
//! address checked, admins only, every change audited without a secret.

use std::collections::BTreeMap;

use agentdesk_protocol::AuditRecord;
use agentdesk_protocol::ucontact::{RotatedSecret, SettingSource, UcontactSettings};
use agentdesk_server::config::{Secret, ServeConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, expect_error};

const ENV_SECRET: &str = "environment-webhook-secret-01";

async fn app() -> TestApp {
    TestApp::spawn_with(ServeConfig {
        ucontact_webhook_secret: Some(Secret(ENV_SECRET.into())),
        ..Default::default()
    })
    .await
}

async fn hook(base: &str, secret: &str, date: &str) -> StatusCode {
    let body = json!({"event": "AgentLog", "date": date, "agent": "agent_a", "isLogin": true});
    reqwest::Client::new()
        .post(format!("{base}/api/v1/webhooks/ucontact"))
        .header("x-webhook-secret", secret)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn settings(app: &TestApp, admin: &str) -> (UcontactSettings, String) {
    let res = app
        .call(
            Method::GET,
            "/api/v1/ucontact/settings",
            Some(admin),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

#[tokio::test]
async fn a_rotated_webhook_secret_holds_on_every_instance_at_once_and_is_never_shown_again() {
    let app = app().await;
    let admin = app.token("admin").await;
    let (s, text) = settings(&app, &admin).await;
    assert_eq!(s.webhook_secret.source, SettingSource::Environment);
    assert_eq!(s.launch_secret.source, SettingSource::Unset);
    assert_eq!(s.api_source, SettingSource::Unset);
    assert!(!text.contains(ENV_SECRET));
    assert_eq!(
        hook(&app.base, ENV_SECRET, "2026-03-02 09:00:00").await,
        StatusCode::OK
    );

    let other = app
        .another_instance(ServeConfig {
            ucontact_webhook_secret: Some(Secret(ENV_SECRET.into())),
            ..Default::default()
        })
        .await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/ucontact/webhook-secret",
            Some(&admin),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let new: RotatedSecret = res.json().await.unwrap();
    assert!(new.secret.len() >= 40, "a long random secret");
    for base in [&app.base, &other] {
        assert_eq!(
            hook(base, ENV_SECRET, "2026-03-02 09:05:00").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            hook(base, &new.secret, "2026-03-02 09:06:00").await,
            StatusCode::OK
        );
    }
    let (s, text) = settings(&app, &admin).await;
    assert_eq!(s.webhook_secret.source, SettingSource::Console);
    assert!(s.webhook_secret.rotated_at.is_some());
    assert!(!text.contains(&new.secret), "never shown again");

    let audit: Vec<AuditRecord> = app.get_as("/api/v1/audit?action=ucontact.", &admin).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "ucontact.webhook_secret.rotate");
    assert!(!serde_json::to_string(&audit).unwrap().contains(&new.secret));
}

#[tokio::test]
async fn a_launch_secret_set_in_the_console_makes_links_signed() {
    let app = app().await;
    let (admin, agent) = (app.token("admin").await, app.token("agent_a").await);
    let launch = |params: BTreeMap<String, String>| {
        let (app, agent) = (&app, agent.clone());
        async move {
            app.call(
                Method::POST,
                "/api/v1/launch",
                Some(&agent),
                Some(&json!({ "params": params })),
            )
            .await
        }
    };
    let unsigned = BTreeMap::from([("phone".to_string(), "099000111".to_string())]);
    assert_eq!(
        launch(unsigned.clone()).await.status(),
        StatusCode::OK,
        "no secret: unchecked"
    );
    let res = app
        .call(
            Method::POST,
            "/api/v1/ucontact/launch-secret",
            Some(&admin),
            None::<&()>,
        )
        .await;
    let new: RotatedSecret = res.json().await.unwrap();
    let e = expect_error(
        launch(unsigned.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("sig"));
    let mut signed = unsigned;
    signed.insert(
        "ts".into(),
        agentdesk_server::clock::now().timestamp().to_string(),
    );
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(new.secret.as_bytes()).unwrap();
    mac.update(agentdesk_server::routes::launch_canonical(&signed).as_bytes());
    signed.insert("sig".into(), hex::encode(mac.finalize().into_bytes()));
    assert_eq!(launch(signed).await.status(), StatusCode::OK);
    assert_eq!(
        settings(&app, &admin).await.0.launch_secret.source,
        SettingSource::Console
    );
}

#[tokio::test]
async fn the_api_settings_are_checked_the_password_write_only_and_only_admins_touch_any() {
    let app = app().await;
    let admin = app.token("admin").await;
    let put = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            app.call(
                Method::PUT,
                "/api/v1/ucontact/api",
                Some(&admin),
                Some(&body),
            )
            .await
        }
    };
    let res =
        put(json!({"url": "https://acme.ucontact.com", "user": "integra", "password": "s3creto"}))
            .await;
    assert_eq!(res.status(), StatusCode::OK);
    let s: UcontactSettings = res.json().await.unwrap();
    assert_eq!(s.api_url.as_deref(), Some("https://acme.ucontact.com/"));
    assert_eq!(
        (s.api_user.as_str(), s.api_password_set, s.api_source),
        ("integra", true, SettingSource::Console)
    );
    let (_, text) = settings(&app, &admin).await;
    assert!(!text.contains("s3creto"));
    // Absent keeps it; "" clears it.
    put(json!({"url": "https://acme.ucontact.com", "user": "integra"})).await;
    assert!(settings(&app, &admin).await.0.api_password_set);
    put(json!({"url": "https://acme.ucontact.com", "user": "integra", "password": ""})).await;
    assert!(!settings(&app, &admin).await.0.api_password_set);

    let before = settings(&app, &admin).await.1;
    for (body, field) in [
        (json!({"url": "ftp://acme.example", "user": "u"}), "url"),
        (json!({"url": "javascript:alert(1)", "user": "u"}), "url"),
        (
            json!({"url": "https://u:p@acme.example", "user": "u"}),
            "url",
        ),
        (
            json!({"url": "https://acme.example/?x=1", "user": "u"}),
            "url",
        ),
        (json!({"url": "not a url", "user": "u"}), "url"),
        (
            json!({"url": format!("https://a.example/{}", "x".repeat(2_100)), "user": "u"}),
            "url",
        ),
        (
            json!({"url": "https://acme.example", "user": "a:b"}),
            "user",
        ),
        (
            json!({"url": "https://acme.example", "user": "a\nb"}),
            "user",
        ),
        (
            json!({"url": "https://acme.example", "user": "u", "password": "x".repeat(257)}),
            "password",
        ),
        (
            json!({"url": "https://acme.example", "user": "u", "password": "nul\u{0}"}),
            "password",
        ),
    ] {
        let e = expect_error(put(body.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e.error.field.as_deref(), Some(field), "{body:.80}");
    }
    let e = put(json!({"url": "https://acme.example", "user": "u", "token": "x"})).await;
    assert!(e.status().is_client_error());
    assert_eq!(settings(&app, &admin).await.1, before, "nothing changed");

    for who in ["agent_a", "super_a"] {
        let t = app.token(who).await;
        for (method, path) in [
            (Method::GET, "/api/v1/ucontact/settings"),
            (Method::POST, "/api/v1/ucontact/webhook-secret"),
            (Method::POST, "/api/v1/ucontact/launch-secret"),
            (Method::PUT, "/api/v1/ucontact/api"),
        ] {
            let res = app
                .call(method, path, Some(&t), Some(&json!({"user": "x"})))
                .await;
            expect_error(res, StatusCode::FORBIDDEN).await;
        }
    }
    // The environment's secret still holds: nothing rotated by the refused calls.
    assert_eq!(
        hook(&app.base, ENV_SECRET, "2026-03-02 09:00:00").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_address_from_the_environment_is_shown_without_its_credentials() {
    let app = TestApp::spawn_with(ServeConfig {
        ucontact_api_url: Some(url::Url::parse("https://svc:hunter22@acme.example/").unwrap()),
        ..Default::default()
    })
    .await;
    let admin = app.token("admin").await;
    let (s, text) = settings(&app, &admin).await;
    assert_eq!(s.api_url.as_deref(), Some("https://acme.example/"));
    assert_eq!(s.api_source, SettingSource::Environment);
    assert!(
        !text.contains("hunter22") && !text.contains("svc"),
        "{text}"
    );
}
