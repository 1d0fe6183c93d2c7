//! Integrations as admins manage them, with two teams: listed without secrets; rotated —
//! the new token and secret work at once, the old token and old signatures are refused,
//! the other team's integration untouched —; revoked for good (and then not rotatable);
//! only admins, and unknown ids are 404s.

use agentdesk_protocol::{IntegrationCredentials, IntegrationSummary};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, expect_error};

async fn create(app: &TestApp, admin: &str, name: &str, team: i64) -> IntegrationCredentials {
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(admin),
            Some(&json!({ "name": name, "team_id": team })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.expect("credentials")
}

fn sms_body(id: &str) -> String {
    json!({ "id": id, "direction": "inbound", "number": "+59899333444", "text": "hola",
            "at": "2026-06-01T10:00:00Z" })
    .to_string()
}

async fn by_token(app: &TestApp, token: &str, id: &str) -> StatusCode {
    app.http
        .post(app.url("/api/v1/ingest/sms"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(sms_body(id))
        .send()
        .await
        .expect("ingest")
        .status()
}

async fn by_signature(
    app: &TestApp,
    c: &IntegrationCredentials,
    secret: &str,
    id: &str,
) -> StatusCode {
    let body = sms_body(id);
    let ts = agentdesk_server::clock::now().timestamp();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{ts}.{body}").as_bytes());
    let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    app.http
        .post(app.url("/api/v1/ingest/sms"))
        .header("content-type", "application/json")
        .header("x-agentdesk-integration", c.id.to_string())
        .header("x-agentdesk-timestamp", ts.to_string())
        .header("x-agentdesk-signature", sig)
        .body(body)
        .send()
        .await
        .expect("ingest")
        .status()
}

#[tokio::test]
async fn rotating_refuses_the_old_credentials_and_revoking_ends_the_integration() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let a = create(&app, &admin, "crm-a", app.team_a).await;
    let b = create(&app, &admin, "crm-b", app.team_b).await;

    let listed: Vec<IntegrationSummary> = app.get_as("/api/v1/integrations", &admin).await;
    assert_eq!(listed.len(), 2);
    let text = serde_json::to_string(&listed).expect("json");
    for secret in [&a.token, &a.secret, &b.token, &b.secret] {
        assert!(
            !text.contains(secret.as_str()),
            "a listing shows no credentials"
        );
    }
    assert!(listed.iter().all(|i| i.rotated_at.is_none() && !i.revoked));

    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/integrations/{}/rotate", a.id),
            Some(&admin),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let new: IntegrationCredentials = res.json().await.expect("new credentials");
    assert_eq!(
        (new.id, new.team_id, new.name.as_str()),
        (a.id, app.team_a, "crm-a")
    );
    assert_ne!(new.token, a.token);
    assert_ne!(new.secret, a.secret);
    // The old ones are refused, the new ones work, B's are untouched.
    assert_eq!(
        by_token(&app, &a.token, "old-token").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        by_signature(&app, &a, &a.secret, "old-sig").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        by_token(&app, &new.token, "new-token").await,
        StatusCode::CREATED
    );
    assert_eq!(
        by_signature(&app, &new, &new.secret, "new-sig").await,
        StatusCode::CREATED
    );
    assert_eq!(
        by_token(&app, &b.token, "b-token").await,
        StatusCode::CREATED
    );
    let listed: Vec<IntegrationSummary> = app.get_as("/api/v1/integrations", &admin).await;
    let a_now = listed.iter().find(|i| i.id == a.id).expect("a");
    assert!(a_now.rotated_at.is_some());

    // Revoked: refused for good, not rotatable, still listed as revoked.
    let path = format!("/api/v1/integrations/{}", b.id);
    let res = app
        .call(Method::DELETE, &path, Some(&admin), None::<&()>)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        by_token(&app, &b.token, "b-after").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        by_signature(&app, &b, &b.secret, "b-sig-after").await,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .call(
            Method::POST,
            &format!("{path}/rotate"),
            Some(&admin),
            None::<&()>,
        )
        .await;
    let body = expect_error(res, StatusCode::CONFLICT).await;
    assert_eq!(body.error.field.as_deref(), Some("integration"));
    let listed: Vec<IntegrationSummary> = app.get_as("/api/v1/integrations", &admin).await;
    assert!(listed.iter().find(|i| i.id == b.id).expect("b").revoked);
    assert_eq!(
        by_token(&app, &new.token, "a-still").await,
        StatusCode::CREATED
    );

    let log: Vec<serde_json::Value> = app
        .get_as("/api/v1/audit?action=integration.", &admin)
        .await;
    let actions: Vec<&str> = log.iter().filter_map(|r| r["action"].as_str()).collect();
    for x in [
        "integration.create",
        "integration.rotate",
        "integration.revoke",
    ] {
        assert!(actions.contains(&x), "{x} in {actions:?}");
    }
    let text = serde_json::to_string(&log).expect("json");
    assert!(!text.contains(&new.secret) && !text.contains(&new.token));
}

#[tokio::test]
async fn only_admins_manage_integrations_and_unknown_ones_are_404() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let a = create(&app, &admin, "crm-a", app.team_a).await;
    for user in ["super_a", "agent_a", "agent_b"] {
        let token = app.token(user).await;
        for (method, path) in [
            (Method::GET, "/api/v1/integrations".to_string()),
            (
                Method::POST,
                format!("/api/v1/integrations/{}/rotate", a.id),
            ),
            (Method::DELETE, format!("/api/v1/integrations/{}", a.id)),
        ] {
            let res = app.call(method, &path, Some(&token), None::<&()>).await;
            expect_error(res, StatusCode::FORBIDDEN).await;
        }
    }
    for (method, path) in [
        (Method::POST, "/api/v1/integrations/999999/rotate"),
        (Method::DELETE, "/api/v1/integrations/999999"),
    ] {
        let res = app.call(method, path, Some(&admin), None::<&()>).await;
        expect_error(res, StatusCode::NOT_FOUND).await;
    }
    // The same name again is a conflict; an unknown team a 422.
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(&admin),
            Some(&json!({ "name": "crm-a", "team_id": app.team_b })),
        )
        .await;
    expect_error(res, StatusCode::CONFLICT).await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(&admin),
            Some(&json!({ "name": "crm-x", "team_id": 999999 })),
        )
        .await;
    let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body.error.field.as_deref(), Some("team_id"));
    // Still working after all of that.
    assert_eq!(by_token(&app, &a.token, "still").await, StatusCode::CREATED);
}
