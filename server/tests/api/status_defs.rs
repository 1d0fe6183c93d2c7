//! Statuses an admin configures: uContact's break reason (and none: not a break),
//! retiring and bringing back, the picker's order, and what an `AgentBreak` webhook then
//! selects. Statuses are the whole centre's, not a team's: both teams' agents see the
//! same list and an agent of either team is refused a retired one.

use agentdesk_protocol::{AgentStatus, AuditRecord, StatusDef, WebhookResult};
use agentdesk_server::config::{Secret, ServeConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, expect_error};

const SECRET: &str = "webhook-secret-statuses-01";

async fn app() -> TestApp {
    TestApp::spawn_with(ServeConfig {
        ucontact_webhook_secret: Some(Secret(SECRET.into())),
        ..Default::default()
    })
    .await
}

async fn defs(app: &TestApp, token: &str) -> Vec<StatusDef> {
    app.get_as("/api/v1/statuses", token).await
}

fn def<'a>(defs: &'a [StatusDef], value: &str) -> &'a StatusDef {
    defs.iter()
        .find(|d| d.value == value)
        .unwrap_or_else(|| panic!("{value} listed"))
}

async fn put(app: &TestApp, token: &str, value: &str, body: Value) -> reqwest::Response {
    let path = format!("/api/v1/statuses/{value}");
    app.call(Method::PUT, &path, Some(token), Some(&body)).await
}

fn custom(label: &str, extra: Value) -> Value {
    let mut v = json!({"label_es": label, "label_en": label, "color": "#336699"});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

async fn agent_break(app: &TestApp, date: &str, motive: &str) -> String {
    let hook = json!({"event": "AgentBreak", "date": date, "agent": "agent_b",
        "motive": motive, "isBreak": true});
    let res = app
        .http
        .post(app.url("/api/v1/webhooks/ucontact"))
        .header("x-webhook-secret", SECRET)
        .json(&hook)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let r: WebhookResult = res.json().await.unwrap();
    r.status.expect("a status").value
}

#[tokio::test]
async fn the_built_in_statuses_carry_the_reasons_the_desktop_relayed_before() {
    let app = app().await;
    let a = app.token("agent_a").await;
    let d = defs(&app, &a).await;
    for (value, motive) in [
        ("bath", Some("BATHROOM")),
        ("meal", Some("LUNCH")),
        ("training", Some("TRAINING")),
        ("break", Some("PERSONAL")),
        ("busy", Some("OTHER")),
        ("gathering", Some("OTHER")),
        ("available", None),
        ("in-call", None),
        ("disconnected", None),
    ] {
        assert_eq!(def(&d, value).motive.as_deref(), motive, "{value}");
        assert!(!def(&d, value).retired, "{value}");
    }
}

#[tokio::test]
async fn an_admin_sets_reasons_retires_and_brings_back_and_agents_of_both_teams_follow() {
    let app = app().await;
    let admin = app.token("admin").await;
    let (a, b) = (app.token("agent_a").await, app.token("agent_b").await);

    // New: a break with OTHER unless it says, and last in the order.
    assert_eq!(
        put(&app, &admin, "coffee", custom("Café", json!({})))
            .await
            .status(),
        204
    );
    let d = defs(&app, &a).await;
    assert_eq!(def(&d, "coffee").motive.as_deref(), Some("OTHER"));
    assert_eq!(d.last().unwrap().value, "coffee", "a new status goes last");
    // A reason; then labels alone keep it; then null: not a break.
    put(
        &app,
        &admin,
        "coffee",
        custom("Café", json!({"motive": "LUNCH"})),
    )
    .await;
    put(&app, &admin, "coffee", custom("Cafecito", json!({}))).await;
    let d = defs(&app, &b).await;
    assert_eq!(def(&d, "coffee").motive.as_deref(), Some("LUNCH"));
    assert_eq!(def(&d, "coffee").label_es, "Cafecito");
    put(
        &app,
        &admin,
        "coffee",
        custom("Cafecito", json!({"motive": null})),
    )
    .await;
    assert_eq!(def(&defs(&app, &a).await, "coffee").motive, None);

    // Agent B sits in it; the admin retires it.
    let set = |token: &str, value: &str| {
        let body = json!({"value": value});
        let token = token.to_string();
        let app = &app;
        async move {
            app.call(Method::PUT, "/api/v1/status", Some(&token), Some(&body))
                .await
        }
    };
    assert_eq!(set(&b, "coffee").await.status(), 200);
    let res = put(
        &app,
        &admin,
        "coffee",
        custom("Cafecito", json!({"retired": true})),
    )
    .await;
    assert_eq!(res.status(), 204);
    let d = defs(&app, &a).await;
    assert!(
        def(&d, "coffee").retired,
        "still listed, for history and the board"
    );
    assert!(!def(&d, "coffee").selectable());
    for token in [&a, &b] {
        let e = expect_error(set(token, "coffee").await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e.error.field.as_deref(), Some("value"));
        assert!(e.error.message.contains("retired"), "{}", e.error.message);
    }
    let mine: AgentStatus = app.get_as("/api/v1/status", &b).await;
    assert_eq!(mine.value, "coffee", "retiring moves nobody");
    // Labels alone keep it retired; then it comes back.
    put(&app, &admin, "coffee", custom("Café", json!({}))).await;
    assert!(def(&defs(&app, &a).await, "coffee").retired);
    put(
        &app,
        &admin,
        "coffee",
        custom("Café", json!({"retired": false})),
    )
    .await;
    assert!(!def(&defs(&app, &a).await, "coffee").retired);
    assert_eq!(set(&a, "coffee").await.status(), 200);

    let audit: Vec<AuditRecord> = app.get_as("/api/v1/audit?action=status.", &admin).await;
    let actions: Vec<&str> = audit.iter().map(|r| r.action.as_str()).collect();
    assert!(
        actions.contains(&"status.retire") && actions.contains(&"status.restore"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn hostile_status_settings_are_refused_and_change_nothing() {
    let app = app().await;
    let admin = app.token("admin").await;
    put(
        &app,
        &admin,
        "coffee",
        custom("Café", json!({"motive": "LUNCH"})),
    )
    .await;
    let before = defs(&app, &admin).await;
    for (value, body, status, field) in [
        (
            "coffee",
            custom("Café", json!({"motive": "COFFEE"})),
            422,
            None,
        ),
        // serde_json reads a number where an enum goes as malformed: 400.
        ("coffee", custom("Café", json!({"motive": 3})), 400, None),
        (
            "coffee",
            custom("Café", json!({"retired": "yes"})),
            422,
            None,
        ),
        ("coffee", custom("Café", json!({"position": 1})), 422, None),
        ("coffee", custom("Ca\nfé", json!({})), 422, Some("label_es")),
        ("coffee", custom("", json!({})), 422, Some("label_es")),
        (
            "coffee",
            json!({"label_es": "x", "label_en": "x", "color": "blue"}),
            422,
            Some("color"),
        ),
        (
            "in-call",
            custom("Llamada", json!({"retired": true})),
            409,
            Some("value"),
        ),
        (
            "available",
            custom("Libre", json!({"motive": "LUNCH"})),
            409,
            Some("value"),
        ),
        ("Coffee", custom("Café", json!({})), 422, Some("value")),
    ] {
        let res = put(&app, &admin, value, body.clone()).await;
        assert_eq!(res.status().as_u16(), status, "{value} {body}");
        let e = expect_error(res, StatusCode::from_u16(status).unwrap()).await;
        if let Some(f) = field {
            assert_eq!(e.error.field.as_deref(), Some(f), "{value} {body}");
        }
    }
    for who in ["agent_a", "super_a"] {
        let t = app.token(who).await;
        let res = put(&app, &t, "coffee", custom("x", json!({"retired": true}))).await;
        expect_error(res, StatusCode::FORBIDDEN).await;
    }
    assert_eq!(defs(&app, &admin).await, before, "nothing changed");
}

#[tokio::test]
async fn the_order_is_the_admins_and_an_agent_break_selects_the_first_status_with_its_reason() {
    let app = app().await;
    let admin = app.token("admin").await;
    put(
        &app,
        &admin,
        "coffee",
        custom("Café", json!({"motive": "LUNCH"})),
    )
    .await;
    // Before any order: `meal` comes first of the LUNCH ones.
    assert_eq!(
        agent_break(&app, "2026-03-02 10:00:00", "LUNCH").await,
        "meal"
    );

    let order = |values: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.call(
                Method::PUT,
                "/api/v1/status-order",
                Some(&admin),
                Some(&json!({"values": values})),
            )
            .await
        }
    };
    let res = order(json!(["coffee", "training"])).await;
    assert_eq!(res.status(), 200);
    let d: Vec<StatusDef> = res.json().await.unwrap();
    let custom_order: Vec<&str> = d
        .iter()
        .filter(|d| !d.system)
        .map(|d| d.value.as_str())
        .collect();
    assert_eq!(
        custom_order,
        [
            "coffee",
            "training",
            "busy",
            "break",
            "bath",
            "meal",
            "gathering"
        ],
        "named first, the others after in their old order"
    );
    assert_eq!(d[0].value, "available", "system values keep their place");
    assert_eq!(defs(&app, &admin).await, d);
    assert_eq!(
        agent_break(&app, "2026-03-02 10:05:00", "LUNCH").await,
        "coffee"
    );
    // Retired: the next one with the reason; none left: the built-in one.
    put(
        &app,
        &admin,
        "coffee",
        custom("Café", json!({"retired": true})),
    )
    .await;
    assert_eq!(
        agent_break(&app, "2026-03-02 10:10:00", "LUNCH").await,
        "meal"
    );
    // No offered status with the reason: the first offered with OTHER, never a retired
    // or re-purposed built-in one.
    put(
        &app,
        &admin,
        "bath",
        custom("Baño", json!({"motive": null})),
    )
    .await;
    assert_eq!(
        agent_break(&app, "2026-03-02 10:15:00", "BATHROOM").await,
        "busy"
    );
    // An unknown reason is OTHER: the first status with OTHER.
    assert_eq!(
        agent_break(&app, "2026-03-02 10:20:00", "SMOKING").await,
        "busy"
    );

    for (values, why) in [
        (json!([]), "empty"),
        (json!(["nope"]), "unknown"),
        (json!(["in-call"]), "system"),
        (json!(["available"]), "system"),
        (json!(["busy", "busy"]), "twice"),
        (
            json!((0..201).map(|i| format!("s{i}")).collect::<Vec<_>>()),
            "too many",
        ),
        (json!("busy"), "not a list"),
    ] {
        let res = order(values).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
    }
    let t = app.token("super_a").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/status-order",
            Some(&t),
            Some(&json!({"values": ["busy"]})),
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
    assert_eq!(
        defs(&app, &admin)
            .await
            .iter()
            .filter(|d| !d.system)
            .count(),
        7
    );
}
