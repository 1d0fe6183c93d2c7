//! The OpenAPI document: every route of the router and nothing else, every example valid
//! against its schema, the server's real answers valid against the documented ones, and
//! the reference page rendered from it.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, router_routes};

async fn document(app: &TestApp) -> Value {
    // Public, like the app's own files: no token.
    let res = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    res.json().await.expect("JSON")
}

/// A validator for `schema` (which may refer to the document's components).
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"))
}

/// The problems of `value` against `schema`, one line each.
fn problems(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    validator(doc, schema)
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// `(METHOD, path)` of every operation, the API prefix taken off.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let route = path.strip_prefix("/api/v1").expect("under /api/v1");
        for method in item.as_object().expect("path item").keys() {
            out.insert((method.to_uppercase(), route.to_string()));
        }
    }
    out
}

#[tokio::test]
async fn the_document_names_every_route_of_the_router_and_nothing_else() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let routes = router_routes();
    let described = documented(&doc);
    let missing: Vec<_> = routes.difference(&described).collect();
    let extra: Vec<_> = described.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes not in the document: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "documented routes the router lacks: {extra:?}"
    );
    assert!(
        routes.len() > 90,
        "the router's source was read ({} routes)",
        routes.len()
    );

    // Every operation: a summary, a tag the document lists, security stated (empty only
    // for signing in), an error answer in the one shape, its path parameters declared.
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}: summary"
            );
            assert!(tags.contains(op["tags"][0].as_str().unwrap()), "{at}: tag");
            assert!(
                ids.insert(op["operationId"].as_str().unwrap().to_string()),
                "{at}: id"
            );
            let security = op["security"].as_array().expect("security");
            assert_eq!(
                security.is_empty(),
                path.ends_with("/auth/login"),
                "{at}: security"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{at}: a success"
            );
            assert_eq!(
                responses["503"]["$ref"], "#/components/responses/Unavailable",
                "{at}"
            );
            if !security.is_empty() {
                assert!(responses.contains_key("401"), "{at}: 401");
            }
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            assert_eq!(declared, in_path, "{at}: path parameters");
        }
    }
    // Every reference resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"").skip(1) {
        let target = r.split('"').next().unwrap();
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(
            doc.pointer(pointer).is_some(),
            "dangling reference {target}"
        );
    }
    // The auth schemes the routes use.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["scheme"], "bearer");
    assert_eq!(schemes["signature"]["name"], "X-Agentdesk-Signature");
    assert_eq!(schemes["webhookSecret"]["name"], "X-Webhook-Secret");
}

#[tokio::test]
async fn every_example_validates_against_its_schema() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (media, m) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                if m["example"].is_null() {
                    continue;
                }
                let p = problems(&doc, &m["schema"], &m["example"]);
                assert!(p.is_empty(), "{method} {path} {media} example: {p:?}");
                checked += 1;
            }
        }
    }
    for (name, r) in doc["components"]["responses"].as_object().unwrap() {
        let m = &r["content"]["application/json"];
        let p = problems(&doc, &m["schema"], &m["example"]);
        assert!(p.is_empty(), "{name} example: {p:?}");
        checked += 1;
    }
    assert!(checked >= 40, "{checked} examples");

    // The check can fail: each of these is refused by its schema.
    let login = &doc["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    for bad in [
        json!({"username": "ana"}),
        json!({"username": 7, "password": "correct horse battery"}),
        json!({"username": "ana", "password": "x", "extra": true}),
    ] {
        assert!(!problems(&doc, login, &bad).is_empty(), "{bad} accepted");
    }
    let sms = &doc["paths"]["/api/v1/ingest/sms"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    let bad = json!({"id": "1", "direction": "sideways", "number": "+1", "text": "x", "at": "2026-12-07T14:03:00Z"});
    assert!(
        !problems(&doc, sms, &bad).is_empty(),
        "an unknown direction accepted"
    );
    let bad =
        json!({"id": "1", "direction": "inbound", "number": "+1", "text": "x", "at": "yesterday"});
    assert!(
        !problems(&doc, sms, &bad).is_empty(),
        "a time that is no date-time accepted"
    );
}

/// The schema a route documents for `status`'s JSON answer.
fn answer_schema<'d>(doc: &'d Value, method: &str, route: &str, status: u16) -> &'d Value {
    let op = &doc["paths"][format!("/api/v1{route}")][method];
    let s = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
    assert!(!s.is_null(), "{method} {route} documents no JSON {status}");
    s
}

/// Calls the route and checks the answer against the document; returns it.
async fn checked(
    app: &TestApp,
    doc: &Value,
    token: &str,
    (method, route, path): (Method, &str, String),
    body: Option<Value>,
) -> Value {
    let res = app
        .call(method.clone(), &path, Some(token), body.as_ref())
        .await;
    let status = res.status().as_u16();
    assert!(
        status < 300,
        "{method} {path}: {status} {}",
        res.text().await.unwrap_or_default()
    );
    let value: Value = res.json().await.expect("JSON");
    let schema = answer_schema(doc, &method.as_str().to_lowercase(), route, status);
    let p = problems(doc, schema, &value);
    assert!(
        p.is_empty(),
        "{method} {path} answered outside its schema: {p:?}\n{value:#}"
    );
    value
}

#[tokio::test]
async fn the_servers_answers_match_the_documented_schemas() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let (agent, supervisor, admin, mailer) = (
        app.token("agent_a").await,
        app.token("super_a").await,
        app.token("admin").await,
        app.token("mailer_a").await,
    );
    let (c, t, agent_id) = (app.contact_a, app.team_a, app.users["agent_a"]);
    let get = |route: &'static str, path: String| (Method::GET, route, path);
    let v1 = |p: &str| format!("/api/v1{p}");

    // Writes first, so the reads below have something in them.
    let integration = checked(
        &app,
        &doc,
        &admin,
        (Method::POST, "/integrations", v1("/integrations")),
        Some(json!({"name": "Schema check", "team_id": t})),
    )
    .await;
    let res = app
        .http
        .post(app.url("/api/v1/ingest/sms"))
        .bearer_auth(integration["token"].as_str().unwrap())
        .json(&json!({"id": "schema-1", "direction": "inbound", "number": "+59899123456", "text": "Hola", "at": "2026-12-07T14:03:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let answer: Value = res.json().await.unwrap();
    let p = problems(
        &doc,
        answer_schema(&doc, "post", "/ingest/sms", 201),
        &answer,
    );
    assert!(p.is_empty(), "ingest answer: {p:?}");
    checked(
        &app,
        &doc,
        &agent,
        (
            Method::POST,
            "/contacts/{id}/notes",
            v1(&format!("/contacts/{c}/notes")),
        ),
        Some(json!({"text": "schema note"})),
    )
    .await;
    checked(
        &app,
        &doc,
        &agent,
        (Method::PUT, "/status", v1("/status")),
        Some(json!({"value": "available"})),
    )
    .await;
    checked(
        &app,
        &doc,
        &agent,
        (Method::POST, "/stream-tickets", v1("/stream-tickets")),
        None,
    )
    .await;
    let user = checked(&app, &doc, &admin, (Method::POST, "/users", v1("/users")),
        Some(json!({"username": "schema_user", "display_name": "Schema", "password": "a long enough passphrase", "role": "agent", "teams": [t]}))).await;
    let uid = user["id"].as_i64().unwrap();
    checked(
        &app,
        &doc,
        &admin,
        (Method::PATCH, "/users/{id}", v1(&format!("/users/{uid}"))),
        Some(json!({"active": false})),
    )
    .await;
    checked(
        &app,
        &doc,
        &admin,
        (Method::POST, "/teams", v1("/teams")),
        Some(json!({"name": "Schema team"})),
    )
    .await;
    for (method, route, body) in [
        (
            Method::PUT,
            "/status-order",
            Some(json!({"values": ["meal"]})),
        ),
        (Method::POST, "/ucontact/webhook-secret", None),
        (
            Method::PUT,
            "/ucontact/api",
            Some(json!({"url": "https://acme.ucontact.example", "user": "u", "password": "p"})),
        ),
        (
            Method::PUT,
            "/ucontact/recording",
            Some(json!({"url": "https://rec.acme.example/{yyyy}/{guid}.mp3"})),
        ),
    ] {
        checked(&app, &doc, &admin, (method, route, v1(route)), body).await;
    }
    let deliveries = v1(&format!("/integrations/{}/deliveries", integration["id"]));

    let page = checked(
        &app,
        &doc,
        &agent,
        get(
            "/contacts/{id}/activities",
            v1(&format!("/contacts/{c}/activities")),
        ),
        None,
    )
    .await;
    let activity = page["items"][0]["id"].as_i64().expect("an activity");
    for (token, call) in [
        (&agent, get("/me", v1("/me"))),
        (&agent, get("/contacts", v1("/contacts?q=a"))),
        (&agent, get("/contacts/{id}", v1(&format!("/contacts/{c}")))),
        (
            &agent,
            get("/activities/{id}", v1(&format!("/activities/{activity}"))),
        ),
        (&agent, get("/statuses", v1("/statuses"))),
        (&agent, get("/status", v1("/status"))),
        (&agent, get("/calls/current", v1("/calls/current"))),
        (&agent, get("/campaigns", v1("/campaigns"))),
        (&agent, get("/crm/settings", v1("/crm/settings"))),
        (&agent, get("/notifications", v1("/notifications"))),
        (&agent, get("/reminders", v1("/reminders"))),
        (&agent, get("/teams", v1("/teams"))),
        (
            &agent,
            get(
                "/reports/contacts/{id}",
                v1(&format!("/reports/contacts/{c}")),
            ),
        ),
        (
            &mailer,
            get(
                "/contacts/{id}/compose",
                v1(&format!("/contacts/{c}/compose")),
            ),
        ),
        (&supervisor, get("/board", v1("/board"))),
        (&supervisor, get("/users", v1("/users"))),
        (
            &supervisor,
            get(
                "/agents/{id}/status",
                v1(&format!("/agents/{agent_id}/status")),
            ),
        ),
        (
            &supervisor,
            get(
                "/agents/{id}/connection-events",
                v1(&format!(
                    "/agents/{agent_id}/connection-events?from=2026-12-01&to=2026-12-31"
                )),
            ),
        ),
        (
            &supervisor,
            get(
                "/agents/{id}/status-time",
                v1(&format!(
                    "/agents/{agent_id}/status-time?from=2026-12-01&to=2026-12-31"
                )),
            ),
        ),
        (
            &supervisor,
            get(
                "/agents/{id}/queue-log",
                v1(&format!("/agents/{agent_id}/queue-log")),
            ),
        ),
        (
            &supervisor,
            get(
                "/reports/queue",
                v1("/reports/queue?from=2026-12-01&to=2026-12-07&interval=day"),
            ),
        ),
        (
            &supervisor,
            get(
                "/reports/agents",
                v1("/reports/agents?from=2026-12-01&to=2026-12-07"),
            ),
        ),
        (
            &supervisor,
            get(
                "/reports/teams/{id}",
                v1(&format!("/reports/teams/{t}?from=2026-11-01&to=2026-12-31")),
            ),
        ),
        (&admin, get("/users", v1("/users"))),
        (&admin, get("/teams/summary", v1("/teams/summary"))),
        (&admin, get("/integrations", v1("/integrations"))),
        (&admin, get("/audit", v1("/audit"))),
        (&admin, get("/followups", v1("/followups"))),
        (
            &admin,
            get(
                "/teams/{id}/mail-identities",
                v1(&format!("/teams/{t}/mail-identities")),
            ),
        ),
        (&admin, get("/integrations/{id}/deliveries", deliveries)),
        (&admin, get("/ucontact/settings", v1("/ucontact/settings"))),
    ] {
        checked(&app, &doc, token, call, None).await;
    }

    // The check can fail: a real answer bent out of shape is refused.
    let mut contact = checked(
        &app,
        &doc,
        &agent,
        get("/contacts/{id}", v1(&format!("/contacts/{c}"))),
        None,
    )
    .await;
    let schema = answer_schema(&doc, "get", "/contacts/{id}", 200);
    contact["name"] = json!(5);
    assert!(
        !problems(&doc, schema, &contact).is_empty(),
        "a number for a name"
    );
    contact["name"] = json!("x");
    contact.as_object_mut().unwrap().remove("team");
    assert!(!problems(&doc, schema, &contact).is_empty(), "no team");

    // Failures: the one error shape, as documented.
    let res = app
        .call(
            Method::GET,
            &v1("/contacts/999999"),
            Some(&agent),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: Value = res.json().await.unwrap();
    let error = json!({"$ref": "#/components/schemas/ErrorBody"});
    assert!(problems(&doc, &error, &body).is_empty(), "{body}");
}

#[tokio::test]
async fn the_reference_page_renders_the_document_offline() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let res = app
        .http
        .get(app.url("/api/docs"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let page = res.text().await.unwrap();
    assert!(!page.contains("<script"), "no script");
    for loads in ["<link", "<img", "<iframe", " src=", "@import", "url("] {
        assert!(
            !page.contains(loads),
            "nothing loaded from elsewhere ({loads})"
        );
    }
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            assert!(page.contains(&format!("id=\"{id}\"")), "{id} on the page");
        }
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(
            page.contains(&format!("id=\"schema-{name}\"")),
            "schema {name} on the page"
        );
    }
    // Text from the document is escaped, never markup.
    assert!(
        page.contains("&lt;1@example.com&gt;"),
        "the e-mail example escaped"
    );
}
