//! Bad input, generated: every JSON endpoint gets valid bodies with each field replaced
//! by hostile values, whole bodies of arbitrary JSON, and bytes that are no JSON at all;
//! every GET gets arbitrary query strings and path segments. The property: the server
//! never answers 5xx to a client's mistake, every error is the one JSON error shape, and
//! it still serves afterwards.
//!
//! Cases come from proptest strategies drawn with a deterministic runner (the same
//! cases on every run, so a failure reproduces); the requests run over real HTTP.

use agentdesk_protocol::{ErrorBody, IntegrationCredentials};
use agentdesk_server::config::{Secret, ServeConfig};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

const WEBHOOK_SECRET: &str = "webhook-secret-0123456789";
/// Generated cases per endpoint and kind of damage.
const CASES: usize = 40;

/// Any JSON value, nested a few levels, with strings that include control characters,
/// NUL, accents and astral-plane characters.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::String),
        "[a-z_]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Values chosen to break naive code: extremes, wrong types, huge and strange text.
fn hostile_values() -> Vec<Value> {
    let deep = (0..200).fold(json!(0), |v, _| json!([v]));
    vec![
        Value::Null,
        json!(-1),
        json!(0),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e308),
        json!(-0.5),
        json!(""),
        json!(" "),
        json!("\u{0}"),
        json!("a\u{0}b"),
        json!("ñandú 😀 \u{202e}"),
        json!("x".repeat(100_000)),
        json!("9999-12-31T23:59:59Z"),
        json!("0000-01-01T00:00:00Z"),
        json!("../../etc/passwd"),
        json!("'; DROP TABLE contacts; --"),
        json!([]),
        json!({}),
        json!(true),
        deep,
    ]
}

fn draw<S: Strategy>(runner: &mut TestRunner, s: &S) -> S::Value {
    s.new_tree(runner).expect("draw a case").current()
}

/// One request and the property every answer must hold.
async fn check(req: reqwest::RequestBuilder, what: &str) {
    let res = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.unwrap_or_default();
    let short: String = text.chars().take(300).collect();
    assert!(
        !status.is_server_error(),
        "{what}: a client's mistake answered {status}: {short}"
    );
    if status.is_client_error() {
        assert!(
            ct.starts_with("application/json"),
            "{what}: {status} with content type {ct}: {short}"
        );
        let body: ErrorBody = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{what}: {status} not in the error shape ({e}): {short}"));
        assert_eq!(body.error.code.http_status(), status.as_u16(), "{what}");
    }
}

struct Endpoint {
    method: Method,
    path: String,
    /// A body the endpoint accepts (or at least understands), to damage field by field.
    valid: Value,
    auth: Auth,
}

enum Auth {
    Bearer(String),
    Webhook,
}

impl Endpoint {
    fn request(&self, app: &TestApp) -> reqwest::RequestBuilder {
        let req = app.http.request(self.method.clone(), app.url(&self.path));
        match &self.auth {
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Webhook => req.header("x-webhook-secret", WEBHOOK_SECRET),
        }
    }
}

async fn endpoints(app: &TestApp) -> Vec<Endpoint> {
    let admin = app.token("admin").await;
    let agent = app.token("agent_a").await;
    let integration: IntegrationCredentials = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(&admin),
            Some(&json!({ "name": "fuzz", "team_id": app.team_a })),
        )
        .await
        .json()
        .await
        .expect("integration");
    let raw_email = "From: Ana <ana@example.com>\r\nTo: soporte@acme.example\r\nSubject: Hola\r\nMessage-ID: <fuzz-1@example.com>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nCuerpo\r\n";
    let customer = json!({ "name": "Cliente", "phone": "099 000 111", "email": "c@example.com" });
    let e = |method: Method, path: String, valid: Value, token: &str| Endpoint {
        method,
        path,
        valid,
        auth: Auth::Bearer(token.to_owned()),
    };
    let i = integration.token.as_str();
    vec![
        e(
            Method::POST,
            "/api/v1/auth/login".into(),
            json!({ "username": "agent_b", "password": crate::support::PASSWORD }),
            "",
        ),
        e(
            Method::PATCH,
            "/api/v1/me".into(),
            json!({ "locale": "es", "time_zone": "America/Montevideo" }),
            &agent,
        ),
        e(
            Method::POST,
            format!("/api/v1/contacts/{}/notes", app.contact_a),
            json!({ "text": "Llamar el lunes" }),
            &agent,
        ),
        e(
            Method::PUT,
            "/api/v1/crm/settings".into(),
            json!({ "url_template": "https://crm.example/c?phone={phone}",
                "crm_origins": ["https://crm.example"], "ucontact_origin": "https://acme.ucontact.example" }),
            &admin,
        ),
        e(
            Method::PUT,
            "/api/v1/campaigns/Ventas-%3E".into(),
            json!({ "name": "Ventas->", "require_disposition": true,
                "dispositions": [{ "label": "Venta", "children": [] }] }),
            &admin,
        ),
        e(
            Method::POST,
            "/api/v1/calls".into(),
            json!({ "contact_id": app.contact_a, "call": { "destination": "099000111",
                "campaign": "Ventas->", "did": "22222222", "guid": "g-fuzz" } }),
            &agent,
        ),
        e(
            Method::POST,
            "/api/v1/calls/hangup".into(),
            json!({}),
            &agent,
        ),
        e(
            Method::POST,
            "/api/v1/calls/disposition".into(),
            json!({ "disposition": { "campaign": "Ventas->", "callerid": "099000111",
                "guid": "g-fuzz", "l1": "Venta", "l2": "", "l3": "", "comment": "ok" } }),
            &agent,
        ),
        e(
            Method::POST,
            "/api/v1/launch".into(),
            json!({ "params": { "phone": "099000111", "campaign": "Soporte<-", "guid": "g-1" } }),
            &agent,
        ),
        e(
            Method::PUT,
            "/api/v1/statuses/coaching".into(),
            json!({ "label_es": "Coaching", "label_en": "Coaching", "color": "#123ABC" }),
            &admin,
        ),
        e(
            Method::PUT,
            "/api/v1/status".into(),
            json!({ "value": "break" }),
            &agent,
        ),
        e(
            Method::POST,
            "/api/v1/teams".into(),
            json!({ "name": "Equipo" }),
            &admin,
        ),
        e(
            Method::POST,
            "/api/v1/users".into(),
            json!({ "username": "nuevo", "display_name": "Nuevo", "password": "a-long-password",
                "role": "agent", "teams": [app.team_a], "time_zone": "America/Montevideo" }),
            &admin,
        ),
        e(
            Method::POST,
            "/api/v1/integrations".into(),
            json!({ "name": "helpdesk", "team_id": app.team_a }),
            &admin,
        ),
        e(
            Method::POST,
            "/api/v1/ingest/email".into(),
            json!({ "raw": raw_email, "direction": "inbound", "customer": customer,
                "attributes": { "plan": "oro" } }),
            i,
        ),
        e(
            Method::POST,
            "/api/v1/ingest/chat".into(),
            json!({ "event": "start", "session_id": "chat-fuzz", "at": "2026-03-02T10:00:00Z",
                "customer": customer }),
            i,
        ),
        e(
            Method::POST,
            "/api/v1/ingest/ticket".into(),
            json!({ "ticket_id": "T-1", "event": "created", "subject": "Factura", "status": "open",
                "at": "2026-03-02T10:00:00Z", "customer": customer }),
            i,
        ),
        e(
            Method::POST,
            "/api/v1/ingest/sms".into(),
            json!({ "id": "sms-fuzz", "direction": "I", "number": "099000111", "text": "Hola",
                "at": "2026-03-02T10:00:00Z" }),
            i,
        ),
        Endpoint {
            method: Method::POST,
            path: "/api/v1/webhooks/ucontact".into(),
            valid: json!({ "event": "AgentBreak", "date": "2026-03-02 10:00:00",
                "agent": "agent_a", "motive": "LUNCH", "isBreak": true }),
            auth: Auth::Webhook,
        },
    ]
}

/// Bodies that are not JSON, or not the JSON anyone would send.
fn raw_bodies() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (Vec::new(), "application/json"),
        (b"{".to_vec(), "application/json"),
        (b"{\"a\":".to_vec(), "application/json"),
        (b"null".to_vec(), "application/json"),
        (b"[1,2,3]".to_vec(), "application/json"),
        (b"\"text\"".to_vec(), "application/json"),
        (vec![0xff, 0xfe, 0x00, 0x7b], "application/json"),
        (b"{\"text\": \"\xc3\x28\"}".to_vec(), "application/json"),
        (b"{}".to_vec(), "text/plain"),
        (b"a=1&b=2".to_vec(), "application/x-www-form-urlencoded"),
        (
            format!("[{}]", "[".repeat(10_000)).into_bytes(),
            "application/json",
        ),
        (vec![b' '; 3 * 1024 * 1024], "application/json"),
    ]
}

#[tokio::test]
async fn no_generated_body_makes_a_json_endpoint_fail_with_5xx_or_leave_the_error_shape() {
    let app = TestApp::spawn_with(ServeConfig {
        ucontact_webhook_secret: Some(Secret(WEBHOOK_SECRET.into())),
        ..Default::default()
    })
    .await;
    let mut runner = TestRunner::deterministic();
    let arb = arb_json();
    let hostile = hostile_values();
    for ep in endpoints(&app).await {
        let name = format!("{} {}", ep.method, ep.path);
        // The valid body is valid: accepted as it is, before it is damaged. (A body the
        // endpoint always refuses would make every damaged variant's 4xx meaningless.)
        let res = ep.request(&app).json(&ep.valid).send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "{name}: the valid body got {status}: {text}"
        );
        // Each field of the valid body replaced by each hostile value, and removed.
        let fields: Vec<String> = ep
            .valid
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        for field in &fields {
            for v in &hostile {
                let mut body = ep.valid.clone();
                body[field.as_str()] = v.clone();
                let what = format!("{name} with {field} = {}", short(v));
                check(ep.request(&app).json(&body), &what).await;
            }
            let mut body = ep.valid.clone();
            body.as_object_mut().unwrap().remove(field);
            check(
                ep.request(&app).json(&body),
                &format!("{name} without {field}"),
            )
            .await;
            // Generated values in the field, and in nested fields of objects.
            for _ in 0..CASES / 4 {
                let mut body = ep.valid.clone();
                let v = draw(&mut runner, &arb);
                body[field.as_str()] = v.clone();
                let what = format!("{name} with {field} = {}", short(&v));
                check(ep.request(&app).json(&body), &what).await;
            }
        }
        // Whole bodies of generated JSON, and the valid body with unknown fields added.
        for _ in 0..CASES {
            let v = draw(&mut runner, &arb);
            check(
                ep.request(&app).json(&v),
                &format!("{name} with body {}", short(&v)),
            )
            .await;
        }
        let mut extra = ep.valid.clone();
        extra["unexpected_field"] = json!("x");
        check(
            ep.request(&app).json(&extra),
            &format!("{name} + unknown field"),
        )
        .await;
        for (bytes, ct) in raw_bodies() {
            let what = format!("{name} with {} raw bytes as {ct}", bytes.len());
            check(
                ep.request(&app).header("content-type", ct).body(bytes),
                &what,
            )
            .await;
        }
    }
    // Still alive and answering.
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn no_generated_query_or_path_makes_a_get_endpoint_fail_with_5xx() {
    let app = TestApp::spawn().await;
    let sup = app.token("super_a").await;
    let admin = app.token("admin").await;
    let agent_id = app.users["agent_a"];
    let gets = [
        "/api/v1/me".to_owned(),
        "/api/v1/contacts".into(),
        format!("/api/v1/contacts/{}", app.contact_a),
        format!("/api/v1/contacts/{}/activities", app.contact_a),
        "/api/v1/crm/settings".into(),
        "/api/v1/campaigns".into(),
        "/api/v1/calls/current".into(),
        "/api/v1/statuses".into(),
        "/api/v1/status".into(),
        "/api/v1/board".into(),
        format!("/api/v1/agents/{agent_id}/status"),
        format!("/api/v1/agents/{agent_id}/connection-events"),
        format!("/api/v1/agents/{agent_id}/connection-events.csv"),
        format!("/api/v1/agents/{agent_id}/status-time"),
        "/api/v1/teams".into(),
        "/api/v1/users".into(),
        "/api/v1/audit".into(),
    ];
    // The parameters the API knows, with generated values; and generated names.
    let params = [
        "q", "page", "per_page", "kinds", "before", "after", "anchor", "from", "to", "limit",
        "cursor", "team_id", "days", "tz",
    ];
    let value = prop_oneof![
        any::<String>(),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("99999999999999999999999".to_owned()),
        Just("-1".to_owned()),
        Just("2026-13-45".to_owned()),
        Just("call,,sms,nope".to_owned()),
        "[a-z0-9:,-]{0,30}",
    ];
    let mut runner = TestRunner::deterministic();
    for path in &gets {
        for _ in 0..CASES {
            let n = draw(&mut runner, &(1usize..4));
            let mut url = reqwest::Url::parse(&app.url(path)).unwrap();
            {
                let mut q = url.query_pairs_mut();
                for _ in 0..n {
                    let k = if draw(&mut runner, &any::<bool>()) {
                        params[draw(&mut runner, &(0..params.len()))].to_owned()
                    } else {
                        draw(&mut runner, &any::<String>())
                    };
                    q.append_pair(&k, &draw(&mut runner, &value));
                }
            }
            let what = format!("GET {url}");
            check(app.http.get(url).bearer_auth(&sup), &what).await;
        }
    }
    // Path parameters: ids that are no ids, out of range, or someone else's.
    let segments = [
        "0",
        "-1",
        "9223372036854775807",
        "9223372036854775808",
        "abc",
        "%00",
        "%F0%9F%98%80",
        "1.5",
        "..%2F..%2Fetc",
    ];
    for seg in segments {
        for template in [
            "/api/v1/contacts/{}",
            "/api/v1/contacts/{}/activities",
            "/api/v1/activities/{}",
            "/api/v1/agents/{}/status",
            "/api/v1/agents/{}/connection-events",
            "/api/v1/agents/{}/status-time",
        ] {
            let path = template.replace("{}", seg);
            check(app.http.get(app.url(&path)).bearer_auth(&sup), &path).await;
        }
        let path = format!("/api/v1/activities/{seg}");
        check(
            app.http.delete(app.url(&path)).bearer_auth(&sup),
            &format!("DELETE {path}"),
        )
        .await;
        let path = format!("/api/v1/statuses/{seg}");
        check(
            app.http
                .put(app.url(&path))
                .bearer_auth(&admin)
                .json(&json!({ "label_es": "x", "label_en": "x", "color": "#000000" })),
            &format!("PUT {path}"),
        )
        .await;
    }
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!(
            "{}… ({} bytes)",
            s.chars().take(80).collect::<String>(),
            s.len()
        )
    } else {
        s
    }
}
