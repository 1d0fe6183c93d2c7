//! Linking that learns: a contact found by one key learns the keys it lacked, so the next
//! interaction carrying only one of them finds it; an external id that contradicts the
//! contact's is never written over it, and is reported and audited.

use agentdesk_protocol::{AuditRecord, Contact, IngestResult, IntegrationCredentials};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

/// A new integration of `team` named `name`: its token.
pub(crate) async fn integration(app: &TestApp, name: &str, team: i64) -> String {
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(&admin),
            Some(&json!({ "name": name, "team_id": team })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<IntegrationCredentials>().await.unwrap().token
}

async fn ticket(app: &TestApp, token: &str, id: &str, customer: Value) -> IngestResult {
    let res = app
        .http
        .post(app.url("/api/v1/ingest/ticket"))
        .bearer_auth(token)
        .json(
            &json!({ "ticket_id": id, "event": "created", "subject": "Consulta",
            "status": "open", "at": "2026-03-02T10:00:00Z", "customer": customer }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn contact(app: &TestApp, id: i64) -> Contact {
    let t = app.token("super_a").await;
    app.get_as(&format!("/api/v1/contacts/{id}"), &t).await
}

#[tokio::test]
async fn a_contact_linked_by_one_key_learns_the_others_and_a_contradiction_is_reported() {
    let app = TestApp::spawn().await;
    let a = integration(&app, "crm A", app.team_a).await;
    let b = integration(&app, "crm B", app.team_b).await;

    // Ana (team A) is found by her phone; she learns the CRM's external id.
    let r = ticket(
        &app,
        &a,
        "L-1",
        json!({ "phone": "099 000 111", "external_id": "CRM-77" }),
    )
    .await;
    assert_eq!(r.contact_id, app.contact_a);
    assert_eq!(r.link_conflict, None);
    assert_eq!(
        contact(&app, app.contact_a).await.external_id.as_deref(),
        Some("CRM-77")
    );
    // The next interaction carrying only that id finds her.
    let r = ticket(&app, &a, "L-2", json!({ "external_id": "CRM-77" })).await;
    assert_eq!((r.contact_id, r.contact_created), (app.contact_a, false));

    // A contact made from a phone alone learns an e-mail, and is then found (and
    // searched) by it.
    let r = ticket(&app, &a, "L-3", json!({ "phone": "099 765 432" })).await;
    assert!(r.contact_created);
    let fresh = r.contact_id;
    ticket(
        &app,
        &a,
        "L-4",
        json!({ "phone": "099 765 432", "email": "nuevo@example.com" }),
    )
    .await;
    assert_eq!(
        contact(&app, fresh).await.email.as_deref(),
        Some("nuevo@example.com")
    );
    let r = ticket(&app, &a, "L-5", json!({ "email": "NUEVO@example.com" })).await;
    assert_eq!((r.contact_id, r.contact_created), (fresh, false));
    let sup = app.token("super_a").await;
    let found: Value = app.get_as("/api/v1/contacts?q=nuevo%40example", &sup).await;
    assert_eq!(found["items"][0]["id"], json!(fresh), "{found}");
    // Keys it has are never overwritten.
    ticket(
        &app,
        &a,
        "L-6",
        json!({ "phone": "099 765 432", "email": "otro@example.com" }),
    )
    .await;
    assert_eq!(
        contact(&app, fresh).await.email.as_deref(),
        Some("nuevo@example.com")
    );

    // A contradicting external id: linked by phone, nothing changed, reported and audited.
    let r = ticket(
        &app,
        &a,
        "L-7",
        json!({ "phone": "099 000 111", "external_id": "CRM-99" }),
    )
    .await;
    assert_eq!(r.contact_id, app.contact_a);
    let conflict = r.link_conflict.expect("the conflict is reported");
    assert!(
        conflict.contains("CRM-77") && conflict.contains("CRM-99"),
        "{conflict}"
    );
    assert_eq!(
        contact(&app, app.contact_a).await.external_id.as_deref(),
        Some("CRM-77")
    );
    let admin = app.token("admin").await;
    let audit: Vec<AuditRecord> = app.get_as("/api/v1/audit", &admin).await;
    assert!(
        audit.iter().any(|e| e.action == "contact.link_conflict"
            && e.target.as_deref().is_some_and(|t| t.contains("CRM-99"))),
        "{audit:?}"
    );

    // Team B's CRM using the same id reaches a contact of team B, never Ana.
    let r = ticket(
        &app,
        &b,
        "L-8",
        json!({ "external_id": "CRM-77", "name": "Otra" }),
    )
    .await;
    assert!(r.contact_created);
    assert_ne!(r.contact_id, app.contact_a);
}

#[tokio::test]
async fn attributes_are_shown_with_the_activity_and_those_not_kept_are_counted() {
    let app = TestApp::spawn().await;
    let a = integration(&app, "crm A", app.team_a).await;
    let res = app
        .http
        .post(app.url("/api/v1/ingest/ticket"))
        .bearer_auth(&a)
        .json(
            &json!({ "ticket_id": "AT-1", "event": "created", "subject": "Baja",
            "status": "open", "at": "2026-03-02T10:00:00Z",
            "customer": { "phone": "099 000 111" },
            "attributes": {
                "reason": "cancelación", "amount": 12.5,
                "plan": "p".repeat(300), "birth_date": "1900-01-01",
                "favourite_colour": "azul", "order_id": ["not", "text"]
            } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: IngestResult = res.json().await.unwrap();
    let dropped = r.attributes_dropped.expect("some were not kept");
    assert_eq!(
        (dropped.unknown, dropped.invalid, dropped.cut),
        (1, 2, 1),
        "{dropped:?}"
    );
    let token = app.token("agent_a").await;
    let v: agentdesk_protocol::ActivityView = app
        .get_as(&format!("/api/v1/activities/{}", r.activity_id), &token)
        .await;
    assert_eq!(v.conversation_attributes["reason"], "cancelación");
    assert_eq!(v.conversation_attributes["amount"], "12.5");
    assert!(!v.conversation_attributes.contains_key("order_id"));
    assert_eq!(v.customer_attributes["plan"].chars().count(), 128);
    assert!(!v.customer_attributes.contains_key("birth_date"));
    // Another team's user gets nothing of it.
    let b = app.token("agent_b").await;
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/activities/{}", r.activity_id),
            Some(&b),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
