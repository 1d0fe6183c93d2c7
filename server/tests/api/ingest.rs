//! Interactions in: the ingest API per channel (to the contact's timeline), signatures,
//! idempotency, the linking rule, conversation segments, attributes, uContact webhooks
//! and ccrepo CSV imports.

use agentdesk_protocol::{
    ActivityDetail, ActivityPage, AgentStatus, ConnectionEventPage, Contact, Direction,
    IngestResult, IntegrationCredentials, WebhookResult,
};
use agentdesk_server::config::{Secret, ServeConfig};
use agentdesk_server::ingest::ccrepo::{self, Options, Table};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, expect_error};

const WEBHOOK_SECRET: &str = "webhook-secret-0123456789";

async fn app() -> TestApp {
    TestApp::spawn_with(ServeConfig {
        ucontact_webhook_secret: Some(Secret(WEBHOOK_SECRET.into())),
        ..Default::default()
    })
    .await
}

pub(crate) async fn integration(app: &TestApp) -> IntegrationCredentials {
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(&admin),
            Some(&json!({ "name": "helpdesk", "team_id": app.team_a })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn ingest(app: &TestApp, token: &str, channel: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/v1/ingest/{channel}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn ok(res: reqwest::Response, status: StatusCode) -> IngestResult {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .unwrap()
}

async fn timeline(app: &TestApp, contact: i64) -> ActivityPage {
    let t = app.token("mailer_a").await;
    app.get_as(&format!("/api/v1/contacts/{contact}/activities"), &t)
        .await
}

async fn contact(app: &TestApp, id: i64) -> Contact {
    let t = app.token("mailer_a").await;
    app.get_as(&format!("/api/v1/contacts/{id}"), &t).await
}

#[tokio::test]
async fn an_email_lands_on_a_new_contacts_timeline_once_however_often_it_is_sent() {
    let app = app().await;
    let i = integration(&app).await;
    let body = json!({ "raw": fixture("email/02-inbound-multipart.eml") });
    let first = ok(
        ingest(&app, &i.token, "email", body.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(first.contact_created && !first.duplicate);
    let again = ok(ingest(&app, &i.token, "email", body).await, StatusCode::OK).await;
    assert!(again.duplicate);
    assert_eq!(again.activity_id, first.activity_id);

    let c = contact(&app, first.contact_id).await;
    assert_eq!(c.name, "Smith, John");
    assert_eq!(c.email.as_deref(), Some("john.smith@example.com"));
    assert_eq!(c.team.id, app.team_a);
    let page = timeline(&app, first.contact_id).await;
    assert_eq!(page.total, 1, "one activity for two deliveries");
    match &page.items[0].detail {
        ActivityDetail::Email {
            content: Some(c), ..
        } => {
            assert_eq!(c.subject, "Quote for 50 seats");
            assert_eq!(c.sender, "Smith, John <john.smith@example.com>");
            assert!(c.snippet.starts_with("Hi team,"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        page.items[0].occurred_at.to_rfc3339(),
        "2026-03-02T17:15:00+00:00"
    );

    // The outbound reply links to the same customer through its recipient.
    let inbound = ok(
        ingest(
            &app,
            &i.token,
            "email",
            json!({ "raw": fixture("email/01-inbound-plain.eml") }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let reply = ok(
        ingest(
            &app,
            &i.token,
            "email",
            json!({ "raw": fixture("email/03-outbound-reply.eml"), "direction": "outbound" }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(reply.contact_id, inbound.contact_id);
    assert!(!reply.contact_created);
    let page = timeline(&app, inbound.contact_id).await;
    assert!(matches!(
        page.items[0].detail,
        ActivityDetail::Email {
            status: Some(agentdesk_protocol::EmailStatus::Sent),
            ..
        }
    ));
    // Searchable by its body.
    let t = app.token("mailer_a").await;
    let found: ActivityPage = app
        .get_as(
            &format!(
                "/api/v1/contacts/{}/activities?q=restablecimos",
                inbound.contact_id
            ),
            &t,
        )
        .await;
    assert_eq!(found.total, 1);
}

#[tokio::test]
async fn bytes_that_are_no_email_and_bad_bodies_are_refused_and_store_nothing() {
    let app = app().await;
    let i = integration(&app).await;
    for raw in ["", "\u{0}\u{1} not mail", "Subject: hi\r\n\r\nno sender"] {
        let body = expect_error(
            ingest(&app, &i.token, "email", json!({ "raw": raw })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body.error.field.as_deref(), Some("raw"), "{raw:?}");
    }
    expect_error(
        ingest(&app, &i.token, "email", json!({ "raw": 5 })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_error(
        ingest(&app, &i.token, "sms", json!({ "id": "x", "direction": "sideways", "number": "099", "text": "t", "at": "2026-03-02T10:00:00Z" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let res = app
        .http
        .post(app.url("/api/v1/ingest/chat"))
        .bearer_auth(&i.token)
        .header("content-type", "application/json")
        .body("{\"event\": ")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::BAD_REQUEST).await;
    let admin = app.token("admin").await;
    let list: agentdesk_protocol::ContactList = app.get_as("/api/v1/contacts", &admin).await;
    assert_eq!(list.items.len(), 2, "no contact was created");
}

fn sign(secret: &str, ts: i64, body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn signed_requests_are_checked_and_bad_or_stale_ones_are_401() {
    let app = app().await;
    let i = integration(&app).await;
    let body = json!({ "id": "SM1", "direction": "I", "number": "099000111", "text": "hola",
        "at": "2026-03-02T10:00:00Z" })
    .to_string();
    let now = agentdesk_server::clock::now().timestamp();
    let send = |ts: i64, sig: String, id: i64| {
        app.http
            .post(app.url("/api/v1/ingest/sms"))
            .header("content-type", "application/json")
            .header("x-agentdesk-integration", id.to_string())
            .header("x-agentdesk-timestamp", ts.to_string())
            .header("x-agentdesk-signature", sig)
            .body(body.clone())
            .send()
    };
    for (ts, sig, id) in [
        (now, sign("wrong-secret", now, &body), i.id),
        (now, sign(&i.secret, now + 1, &body), i.id),
        (now - 301, sign(&i.secret, now - 301, &body), i.id),
        (now + 400, sign(&i.secret, now + 400, &body), i.id),
        (now, sign(&i.secret, now, &body), i.id + 100),
        (now, "sha256=zz".into(), i.id),
    ] {
        expect_error(send(ts, sig, id).await.unwrap(), StatusCode::UNAUTHORIZED).await;
    }
    expect_error(
        ingest(
            &app,
            "adi_made-up",
            "sms",
            serde_json::from_str(&body).unwrap(),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // A user's session token is not an integration's.
    let user = app.token("admin").await;
    expect_error(
        ingest(&app, &user, "sms", serde_json::from_str(&body).unwrap()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let r = ok(
        send(now, sign(&i.secret, now, &body), i.id).await.unwrap(),
        StatusCode::CREATED,
    )
    .await;
    // The SMS found Ana Alpha by her phone (+59899000111).
    assert_eq!(r.contact_id, app.contact_a);
    // A replay inside the window is a duplicate: nothing changes.
    let r2 = ok(
        send(now, sign(&i.secret, now, &body), i.id).await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(r2.duplicate);
    // Only admins issue credentials.
    let agent = app.token("agent_a").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(&agent),
            Some(&json!({"name": "x", "team_id": app.team_a})),
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_chat_session_creates_its_contact_counts_messages_once_and_records_its_duration() {
    let app = app().await;
    let i = integration(&app).await;
    let start = ok(
        ingest(&app, &i.token, "chat", json!({ "event": "start", "session_id": "chat-9",
            "at": "2026-03-02T10:00:00Z", "customer": { "name": "Marta Widget", "email": "marta@example.com" } }))
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(start.contact_created);
    for (id, at, from, text) in [
        (
            "m1",
            "2026-03-02T10:00:05Z",
            "customer",
            "Hola, ¿tienen envío a Salto?",
        ),
        ("m2", "2026-03-02T10:01:00Z", "agent", "Sí, en 48 horas."),
        (
            "m1",
            "2026-03-02T10:00:05Z",
            "customer",
            "Hola, ¿tienen envío a Salto?",
        ),
    ] {
        ingest(
            &app,
            &i.token,
            "chat",
            json!({ "event": "message", "session_id": "chat-9",
            "message_id": id, "at": at, "from": from, "text": text }),
        )
        .await;
    }
    // Replays answer "duplicate" with the same activity: a message sent again, and the
    // session's start sent again.
    let replay = ok(
        ingest(
            &app,
            &i.token,
            "chat",
            json!({ "event": "message", "session_id": "chat-9",
            "message_id": "m1", "at": "2026-03-02T10:00:05Z", "from": "customer",
            "text": "Hola, ¿tienen envío a Salto?" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        replay.duplicate && replay.activity_id == start.activity_id,
        "{replay:?}"
    );
    let replay = ok(
        ingest(&app, &i.token, "chat", json!({ "event": "start", "session_id": "chat-9",
            "at": "2026-03-02T10:00:00Z", "customer": { "name": "Marta Widget", "email": "marta@example.com" } }))
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        replay.duplicate && replay.activity_id == start.activity_id,
        "{replay:?}"
    );
    let end = ok(
        ingest(
            &app,
            &i.token,
            "chat",
            json!({ "event": "end", "session_id": "chat-9", "at": "2026-03-02T10:04:00Z" }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(end.activity_id, start.activity_id);
    // The end sent again (even with a later time) is a duplicate and changes nothing.
    let again = ok(
        ingest(
            &app,
            &i.token,
            "chat",
            json!({ "event": "end", "session_id": "chat-9", "at": "2026-03-02T10:09:00Z" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        again.duplicate && again.activity_id == start.activity_id,
        "{again:?}"
    );
    let page = timeline(&app, start.contact_id).await;
    assert_eq!(page.total, 1);
    assert_eq!(
        page.items[0].detail,
        ActivityDetail::Chat {
            session_id: "chat-9".into(),
            first_message: "Hola, ¿tienen envío a Salto?".into(),
            duration_secs: 240,
            message_count: 2,
        }
    );
    assert_eq!(contact(&app, start.contact_id).await.name, "Marta Widget");
    // A message for a session never started starts it.
    let orphan = ok(
        ingest(
            &app,
            &i.token,
            "chat",
            json!({ "event": "message", "session_id": "chat-10",
            "message_id": "x", "at": "2026-03-02T11:00:00Z", "from": "customer", "text": "¿hola?",
            "customer": { "email": "MARTA@example.com" } }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        orphan.contact_id, start.contact_id,
        "linked by email, case-insensitively"
    );
    expect_error(
        ingest(
            &app,
            &i.token,
            "chat",
            json!({ "event": "end", "session_id": "nope", "at": "2026-03-02T10:04:00Z" }),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn ticket_steps_are_separate_entries_and_replays_change_nothing() {
    let app = app().await;
    let i = integration(&app).await;
    let step = |event: &str, status: &str, at: &str| {
        json!({ "ticket_id": "T-77", "event": event, "subject": "Factura duplicada", "status": status,
            "at": at, "customer": { "phone": "099 000 111" } })
    };
    let steps = [
        step("created", "open", "2026-03-02T10:00:00Z"),
        step("status_changed", "pending", "2026-03-02T11:00:00Z"),
        step("closed", "closed", "2026-03-02T12:00:00Z"),
    ];
    for s in &steps {
        let r = ok(
            ingest(&app, &i.token, "ticket", s.clone()).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(r.contact_id, app.contact_a);
    }
    for s in &steps {
        assert!(
            ok(
                ingest(&app, &i.token, "ticket", s.clone()).await,
                StatusCode::OK
            )
            .await
            .duplicate
        );
    }
    let page = timeline(&app, app.contact_a).await;
    let tickets: Vec<String> = page
        .items
        .iter()
        .filter_map(|a| match &a.detail {
            ActivityDetail::Ticket { event, .. } => Some(event.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(tickets, ["closed", "status_changed", "created"]);
}

/// Post every body to the channel at once; each answer's status and result.
async fn ingest_all_at_once(
    app: &TestApp,
    token: &str,
    channel: &str,
    bodies: Vec<serde_json::Value>,
) -> Vec<(StatusCode, IngestResult)> {
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let (http, url, token) = (
            app.http.clone(),
            app.url(&format!("/api/v1/ingest/{channel}")),
            token.to_owned(),
        );
        tasks.spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let result: IngestResult = res.json().await.unwrap();
            (status, result)
        });
    }
    tasks.join_all().await
}

/// The event log holds `count` events, with ids in order and without gaps.
async fn assert_event_ids_consecutive(app: &TestApp, count: usize, what: &str) {
    let admin = agentdesk_server::store::Viewer {
        user_id: app.users["admin"],
        role: agentdesk_protocol::Role::Admin,
        can_email: true,
    };
    let events = app.store.events_since(&admin, 0, 1000).await.unwrap();
    assert_eq!(events.len(), count, "{what}");
    assert!(
        events.windows(2).all(|w| w[0].id + 1 == w[1].id),
        "ids without gaps, in order"
    );
}

/// Deliveries that race each other (an integration's retries, several server instances)
/// store an interaction once, and the event log's ids come out in commit order: on
/// PostgreSQL, whose writers run concurrently, this is what the key locks (the same
/// ticket) and the event-log lock are for.
#[tokio::test]
async fn concurrent_deliveries_store_once_and_events_keep_their_order() {
    let app = app().await;
    let i = integration(&app).await;
    // Four copies each of three tickets, all at once.
    let bodies = (0..12)
        .map(|n| {
            json!({ "ticket_id": format!("R-{}", n % 3), "event": "created",
                "subject": "Carrera", "status": "open", "at": "2026-03-02T10:00:00Z",
                "customer": { "phone": "099 000 111" } })
        })
        .collect();
    let answers = ingest_all_at_once(&app, &i.token, "ticket", bodies).await;
    let mut created = std::collections::BTreeMap::new();
    let mut duplicates = 0;
    for (status, r) in answers {
        if r.duplicate {
            assert_eq!(status, StatusCode::OK);
            duplicates += 1;
        } else {
            assert_eq!(status, StatusCode::CREATED);
            assert!(created.insert(r.activity_id, r.contact_id).is_none());
        }
    }
    assert_eq!((created.len(), duplicates), (3, 9));
    let page = timeline(&app, app.contact_a).await;
    let races = page
        .items
        .iter()
        .filter(|a| matches!(&a.detail, ActivityDetail::Ticket { ticket_id, .. } if ticket_id.starts_with("R-")))
        .count();
    assert_eq!(races, 3);

    assert_event_ids_consecutive(&app, 3, "one activity.created per stored ticket").await;
}

/// Messages from a number on file nowhere, arriving at once, make one contact, not one
/// each: on PostgreSQL each ingest locks the keys that may find or create its contact
/// before it looks (and the one lock over all writers is taken only to append events).
/// Messages from different numbers run side by side there, and their events still come
/// out with ids in order, without gaps.
#[tokio::test]
async fn concurrent_messages_from_a_new_number_make_one_contact() {
    let app = app().await;
    let i = integration(&app).await;
    let send_all = |numbers: Vec<String>| {
        let bodies = numbers
            .into_iter()
            .enumerate()
            .map(|(n, number)| {
                json!({ "id": format!("NEW-{number}-{n}"), "direction": "I", "number": number,
                    "text": format!("mensaje {n}"), "at": "2026-03-02T10:00:00Z" })
            })
            .collect();
        async {
            let answers = ingest_all_at_once(&app, &i.token, "sms", bodies).await;
            answers
                .into_iter()
                .map(|(status, r)| {
                    assert_eq!(status, StatusCode::CREATED);
                    r
                })
                .collect::<Vec<_>>()
        }
    };
    let results = send_all(vec!["099 777 888".to_owned(); 8]).await;
    assert!(results.iter().all(|r| !r.duplicate));
    let contacts: std::collections::BTreeSet<i64> = results.iter().map(|r| r.contact_id).collect();
    assert_eq!(contacts.len(), 1, "one contact for one number: {results:?}");
    assert_eq!(results.iter().filter(|r| r.contact_created).count(), 1);
    let activities: std::collections::BTreeSet<i64> =
        results.iter().map(|r| r.activity_id).collect();
    assert_eq!(activities.len(), 8, "every message is its own activity");
    let contact = *contacts.first().unwrap();
    assert_eq!(timeline(&app, contact).await.items.len(), 8);

    let others = send_all((0..8).map(|n| format!("099 666 10{n}")).collect()).await;
    let contacts: std::collections::BTreeSet<i64> = others.iter().map(|r| r.contact_id).collect();
    assert_eq!(contacts.len(), 8, "eight numbers, eight contacts");
    assert_event_ids_consecutive(&app, 16, "one activity.created per message").await;
}

/// An agent's call to a number nobody has (the desktop finds or creates its contact)
/// racing messages from that number: one contact, whichever comes first.
#[tokio::test]
async fn a_call_to_a_new_number_racing_its_messages_makes_one_contact() {
    let app = app().await;
    let i = integration(&app).await;
    let agent = agentdesk_server::store::Viewer {
        user_id: app.users["agent_a"],
        role: agentdesk_protocol::Role::Agent,
        can_email: false,
    };
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (store, agent) = (app.store.clone(), agent.clone());
        calls.spawn(async move {
            store
                .contact_for_phone(&agent, "+59899333444", &[])
                .await
                .unwrap()
                .unwrap()
        });
    }
    let bodies = (0..4)
        .map(|n| {
            json!({ "id": format!("RACE-{n}"), "direction": "I", "number": "099 333 444",
                "text": "hola", "at": "2026-03-02T10:00:00Z" })
        })
        .collect();
    let messages = ingest_all_at_once(&app, &i.token, "sms", bodies).await;
    let found = calls.join_all().await;
    let mut contacts: std::collections::BTreeSet<i64> =
        found.iter().map(|(id, _, _)| *id).collect();
    contacts.extend(messages.iter().map(|(_, r)| r.contact_id));
    assert_eq!(contacts.len(), 1, "{found:?} {messages:?}");
    let created = found.iter().filter(|(_, _, created)| *created).count()
        + messages.iter().filter(|(_, r)| r.contact_created).count();
    assert_eq!(created, 1, "created once: {found:?} {messages:?}");
}

/// E-mail addresses link without ASCII case, and only ASCII case, on both backends alike
/// (SQLite's NOCASE): what the contact lookup folds is what an ingest's lock key folds.
#[tokio::test]
async fn emails_link_without_ascii_case_only_on_both_backends() {
    let app = app().await;
    let i = integration(&app).await;
    let ticket = |id: &str, email: &str| {
        json!({ "ticket_id": id, "event": "created", "subject": "Reclamo", "status": "open",
            "at": "2026-03-02T10:00:00Z", "customer": { "email": email } })
    };
    let send = |body| async {
        ok(
            ingest(&app, &i.token, "ticket", body).await,
            StatusCode::CREATED,
        )
        .await
    };
    let first = send(ticket("E-1", "josé.núñez@example.com")).await;
    assert!(first.contact_created);
    let ascii = send(ticket("E-2", "JOSé.NúñEZ@Example.COM")).await;
    assert_eq!(
        ascii.contact_id, first.contact_id,
        "ASCII capitals fold: the same contact"
    );
    let accented = send(ticket("E-3", "josÉ.núñez@example.com")).await;
    assert!(
        accented.contact_created && accented.contact_id != first.contact_id,
        "É and é are different letters to the lookup, as to SQLite: {accented:?}"
    );
}

/// One function links every source; this table walks its priority.
#[tokio::test]
async fn contacts_are_linked_by_external_id_then_phone_then_email_then_from_to_then_created() {
    let app = app().await;
    let i = integration(&app).await;
    let admin = app.token("admin").await;
    let mk = |name: &str, ext: Option<&str>, phone: Option<&str>, email: Option<&str>| {
        let store = app.store.clone();
        let team = app.team_a;
        let (name, ext, phone, email) = (
            name.to_owned(),
            ext.map(str::to_owned),
            phone.map(str::to_owned),
            email.map(str::to_owned),
        );
        async move {
            store
                .create_contact(agentdesk_server::store::NewContact {
                    team_id: team,
                    name,
                    phone,
                    email,
                    external_id: ext,
                    attributes: Default::default(),
                    created_at: agentdesk_server::clock::now(),
                })
                .await
                .unwrap()
        }
    };
    let x = mk(
        "X",
        Some("EXT-1"),
        Some("+59899111111"),
        Some("x@example.com"),
    )
    .await;
    let y = mk("Y", None, Some("+59899222222"), None).await;
    let z = mk("Z", None, None, Some("z@example.com")).await;
    let _ = &admin;
    // (customer, the message's own number, expected contact: Some(id) or None = new)
    let cases: Vec<(Value, &str, Option<i64>)> = vec![
        (
            json!({ "external_id": "EXT-1", "phone": "099222222", "email": "z@example.com" }),
            "099333333",
            Some(x),
        ),
        (
            json!({ "phone": "099 222 222", "email": "z@example.com" }),
            "099111111",
            Some(y),
        ),
        (json!({ "email": "Z@EXAMPLE.COM" }), "099111111", Some(z)),
        (
            json!({ "external_id": "EXT-404" }),
            "+598 99 222 222",
            Some(y),
        ),
        (json!({}), "099111111", Some(x)),
        (json!({ "name": "Nueva Persona" }), "099444444", None),
    ];
    for (n, (customer, number, expected)) in cases.into_iter().enumerate() {
        let r = ok(
            ingest(&app, &i.token, "sms", json!({ "id": format!("link-{n}"), "direction": "inbound",
                "number": number, "text": "t", "at": "2026-03-02T10:00:00Z", "customer": customer }))
            .await,
            StatusCode::CREATED,
        )
        .await;
        match expected {
            Some(id) => assert_eq!(r.contact_id, id, "case {n}"),
            None => {
                assert!(r.contact_created, "case {n}");
                let c = contact(&app, r.contact_id).await;
                assert_eq!(c.name, "Nueva Persona");
                assert_eq!(c.phone.as_deref(), Some("+59899444444"));
            }
        }
    }
}

#[tokio::test]
async fn segments_of_one_conversation_share_an_activity_and_attributes_follow_the_rules() {
    let app = app().await;
    let i = integration(&app).await;
    let first = ok(
        ingest(&app, &i.token, "chat", json!({ "event": "start", "session_id": "s-1", "at": "2026-03-02T10:00:00Z",
            "conversation_id": "conv-1", "customer": { "external_id": "C-1", "name": "Carla" },
            "attributes": { "plan": "p".repeat(300), "birth_date": "1850-01-01", "customer_since": "2020-05-01",
                "reason": "envío", "favourite_colour": "azul" } }))
        .await,
        StatusCode::CREATED,
    )
    .await;
    // The transfer: a second session of the same conversation.
    let second = ok(
        ingest(
            &app,
            &i.token,
            "chat",
            json!({ "event": "start", "session_id": "s-2", "at": "2026-03-02T10:05:00Z",
            "conversation_id": "conv-1", "customer": { "external_id": "C-1" } }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(second.grouped);
    assert_eq!(second.activity_id, first.activity_id);
    assert_eq!(timeline(&app, first.contact_id).await.total, 1);
    let c = contact(&app, first.contact_id).await;
    assert_eq!(c.attributes["plan"].chars().count(), 128);
    assert_eq!(c.attributes["customer_since"], "2020-05-01");
    assert!(
        !c.attributes.contains_key("birth_date"),
        "1850 is outside 1901–2049"
    );
    assert!(
        !c.attributes.contains_key("favourite_colour"),
        "unknown attributes are ignored"
    );
    assert!(
        !c.attributes.contains_key("reason"),
        "a conversation attribute, not the customer's"
    );
}

async fn webhook(app: &TestApp, secret: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url("/api/v1/webhooks/ucontact"))
        .json(&body);
    if let Some(s) = secret {
        req = req.header("x-webhook-secret", s);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn ucontact_webhooks_need_the_secret_and_drive_status_and_calls_once() {
    let app = app().await;
    let hook = json!({ "event": "AgentBreak", "date": "2026-03-02 10:00:00", "agent": "agent_a",
        "motive": "LUNCH", "isBreak": true });
    expect_error(
        webhook(&app, None, hook.clone()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        webhook(&app, Some("wrong-secret-000000000"), hook.clone()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unconfigured = TestApp::spawn().await;
    expect_error(
        webhook(&unconfigured, Some(WEBHOOK_SECRET), hook.clone()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let r: WebhookResult = webhook(&app, Some(WEBHOOK_SECRET), hook.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.status.unwrap().value, "meal");
    webhook(&app, Some(WEBHOOK_SECRET), hook).await; // replay: no second log row
    let a = app.token("agent_a").await;
    let id = app.users["agent_a"];
    let log: ConnectionEventPage = app
        .get_as(&format!("/api/v1/agents/{id}/connection-events"), &a)
        .await;
    assert_eq!(log.items.iter().filter(|e| e.value == "meal").count(), 1);
    assert_eq!(log.items[0].kind.as_str(), "status-changed-user");
    let r: WebhookResult = webhook(&app, Some(WEBHOOK_SECRET),
        json!({ "event": "AgentBreak", "date": "x", "agent": "agent_a", "motive": "LUNCH", "isBreak": "false" }))
        .await.json().await.unwrap();
    assert_eq!(r.status.unwrap().value, "available");
    // A ring nobody answered: logged once however often uContact delivers it (it has no
    // id: its guid, else its date, names it); a date that cannot be read is refused.
    let ring = json!({ "event": "AgentRingNoAnswer", "date": "2026-03-02 10:00:00",
        "agent": "agent_a", "guid": "ring-1" });
    let r: WebhookResult = webhook(&app, Some(WEBHOOK_SECRET), ring.clone())
        .await
        .json()
        .await
        .unwrap();
    assert!(!r.duplicate);
    assert_eq!(r.status.unwrap().value, "timeout");
    // The agent is back before uContact delivers the same ring again.
    let res = app
        .call(
            Method::PUT,
            "/api/v1/status",
            Some(&a),
            Some(&json!({ "value": "available" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let again: WebhookResult = webhook(&app, Some(WEBHOOK_SECRET), ring)
        .await
        .json()
        .await
        .unwrap();
    assert!(again.duplicate, "{again:?}");
    assert_eq!(again.status.unwrap().value, "available");
    let undated = json!({ "event": "AgentRingNoAnswer", "date": "2026-03-02 10:05:00",
        "agent": "agent_a" });
    for _ in 0..2 {
        webhook(&app, Some(WEBHOOK_SECRET), undated.clone()).await;
    }
    let body = expect_error(
        webhook(
            &app,
            Some(WEBHOOK_SECRET),
            json!({ "event": "AgentRingNoAnswer", "date": "x", "agent": "agent_a" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("date"));
    let log: ConnectionEventPage = app
        .get_as(&format!("/api/v1/agents/{id}/connection-events"), &a)
        .await;
    assert_eq!(log.items[0].kind.as_str(), "acd");
    assert_eq!(
        log.items
            .iter()
            .filter(|e| e.kind.as_str() == "acd" && e.value == "timeout")
            .count(),
        2,
        "one per ring: {:?}",
        log.items
    );

    // A finished call whose date cannot be read is refused, naming the field: filing
    // it at "now" would put it on the wrong day of the customer's history.
    for bad in ["x", "", "2026-02-30 10:00:00", "02/03/2026 10:10"] {
        let res = webhook(
            &app,
            Some(WEBHOOK_SECRET),
            json!({ "event": "FinishInteraction",
            "date": bad, "guid": "uc-guid-bad", "agent": "agent_a", "campaign": "Ventas<-",
            "channel": "call", "callerid": "099000111", "duration": "95" }),
        )
        .await;
        let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            body.error.field.as_deref(),
            Some("date"),
            "{bad:?}: {body:?}"
        );
    }
    // A call uContact finished: on Ana's timeline by her number, once.
    let finish = json!({ "event": "FinishInteraction", "date": "2026-03-02 10:10:00", "guid": "uc-guid-1",
        "agent": "agent_a", "campaign": "Ventas<-", "channel": "call", "callerid": "099000111", "duration": "95" });
    let res = webhook(&app, Some(WEBHOOK_SECRET), finish.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: WebhookResult = res.json().await.unwrap();
    let res = webhook(&app, Some(WEBHOOK_SECRET), finish).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.json::<WebhookResult>().await.unwrap().duplicate);
    let dispo = json!({ "event": "InteractionDisposition", "date": "x", "guid": "uc-guid-1",
        "campaign": "Ventas<-", "l1": "Venta", "l2": "Plan anual" });
    let first: WebhookResult = webhook(&app, Some(WEBHOOK_SECRET), dispo.clone())
        .await
        .json()
        .await
        .unwrap();
    assert!(!first.duplicate, "{first:?}");
    let again: WebhookResult = webhook(&app, Some(WEBHOOK_SECRET), dispo)
        .await
        .json()
        .await
        .unwrap();
    assert!(again.duplicate);
    let page = timeline(&app, app.contact_a).await;
    let call = page
        .items
        .iter()
        .find(|x| Some(x.id) == r.activity_id)
        .expect("the call");
    match &call.detail {
        ActivityDetail::Call {
            duration_secs,
            disposition: Some(d),
            direction,
            ..
        } => {
            assert_eq!(*duration_secs, 95);
            assert_eq!((d.l1.as_str(), d.l2.as_str()), ("Venta", "Plan anual"));
            assert_eq!(*direction, agentdesk_protocol::Direction::Inbound);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        page.items
            .iter()
            .filter(|x| x.model_id == "uc-guid-1")
            .count(),
        1
    );
    // Unknown agents and events are clear errors.
    let b = expect_error(
        webhook(
            &app,
            Some(WEBHOOK_SECRET),
            json!({ "event": "AgentLog", "date": "x", "agent": "ghost", "isLogin": true }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(b.error.field.as_deref(), Some("agent"));
    expect_error(
        webhook(
            &app,
            Some(WEBHOOK_SECRET),
            json!({ "event": "Nope", "date": "x" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let s: AgentStatus = app.get_as("/api/v1/status", &a).await;
    assert_eq!(s.value, "timeout");
}

fn opts(app: &TestApp, table: Table) -> Options<'static> {
    Options {
        table,
        team_id: app.team_a,
        time_zone: chrono_tz::Tz::UTC,
        phone_region: "UY",
        encoding: ccrepo::Encoding::Auto,
        progress: false,
    }
}

#[tokio::test]
async fn ccrepo_exports_import_once_and_a_rerun_imports_nothing() {
    let app = app().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ccrepo");
    for (table, file, rows) in [
        (Table::Cdr, "cdr_repo.csv", 300),
        (Table::Sms, "sms_repo.csv", 170),
        (Table::QueueLog, "queue_log_repo.csv", 947),
    ] {
        let first = ccrepo::import_file(&app.store, &dir.join(file), &opts(&app, table))
            .await
            .unwrap();
        // Every row of the clean export is new: all imported, none a "duplicate".
        assert_eq!(
            (
                first.rows_read,
                first.imported,
                first.duplicates,
                first.rejected
            ),
            (rows, rows, 0, 0),
            "{file}: {first}"
        );
        let again = ccrepo::import_file(&app.store, &dir.join(file), &opts(&app, table))
            .await
            .unwrap();
        assert_eq!(
            (again.imported, again.duplicates),
            (0, rows),
            "{file}: {again}"
        );
    }
    // The calls are on their customers' timelines, named from the caller id.
    let admin = app.token("admin").await;
    let list: agentdesk_protocol::ContactList =
        app.get_as("/api/v1/contacts?q=lucia&limit=5", &admin).await;
    let lucia = list
        .items
        .iter()
        .find(|c| c.name == "Lucía Fernández")
        .expect("Lucía from the CDR");
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=call", lucia.id),
            &admin,
        )
        .await;
    // The CDR's first row, field by field: its guid, billed seconds, campaign and date.
    let call = page
        .items
        .iter()
        .find(|a| a.model_id == "121ae3e6-03a6-4966-a13b-ca7fd644de2f")
        .unwrap_or_else(|| panic!("the CDR's first call: {:?}", page.items));
    assert_eq!(call.occurred_at.to_rfc3339(), "2026-03-02T08:03:47+00:00");
    match &call.detail {
        ActivityDetail::Call {
            direction,
            duration_secs,
            campaign,
            outcome,
            ..
        } => {
            assert_eq!(*direction, Direction::Inbound);
            assert_eq!(*duration_secs, 711);
            assert_eq!(campaign, "Ventas<-");
            assert_eq!(*outcome, Some(agentdesk_protocol::CallOutcome::Answered));
        }
        other => panic!("a call: {other:?}"),
    }
    // The third row was `NO ANSWER` (52 s of ringing, 0 billed): kept as such.
    let list: agentdesk_protocol::ContactList = app
        .get_as("/api/v1/contacts?q=3312186252&limit=5", &admin)
        .await;
    let caller = list.items.first().expect("the third row's caller");
    let calls: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=call", caller.id),
            &admin,
        )
        .await;
    let unanswered = calls
        .items
        .iter()
        .find(|a| a.model_id == "24d4589c-16fa-4421-9129-d06743a08f06")
        .unwrap_or_else(|| panic!("the CDR's third call: {:?}", page.items));
    assert!(
        matches!(
            unanswered.detail,
            ActivityDetail::Call {
                outcome: Some(agentdesk_protocol::CallOutcome::NoAnswer),
                duration_secs: 0,
                ..
            }
        ),
        "{:?}",
        unanswered.detail
    );
    // The SMS export's first row, with its text.
    let list: agentdesk_protocol::ContactList = app
        .get_as("/api/v1/contacts?q=5591875749&limit=5", &admin)
        .await;
    let texter = list.items.first().expect("the SMS sender is a contact");
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=sms", texter.id),
            &admin,
        )
        .await;
    let sms = page
        .items
        .iter()
        .find(|a| a.model_id == "SM86a7a8c7d9e0")
        .unwrap_or_else(|| panic!("the SMS export's first row: {:?}", page.items));
    assert_eq!(sms.occurred_at.to_rfc3339(), "2026-03-02T08:08:42+00:00");
    assert!(
        matches!(&sms.detail, ActivityDetail::Sms { direction: Direction::Inbound, text, .. }
            if text == "Hola, necesito ayuda con mi factura"),
        "{:?}",
        sms.detail
    );
    // The queue log's events of one call, in order, with their data fields.
    let log = app.store.queue_log("1772438648.1").await.unwrap();
    let events: Vec<&str> = log.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        events,
        ["ENTERQUEUE", "CONNECT", "COMPLETECALLER", "FINISHWRAPUP"]
    );
    assert_eq!(log[1].1[..3], ["6", "1772438648.1-b", "5"]);
    assert_eq!(log[3].1[2], "fc2325a9-f8fd-4208-9434-8156f637a468");
}

#[tokio::test]
async fn extra_fields_and_unclosed_quotes_are_rejected_by_line_and_every_row_is_accounted_for() {
    let app = app().await;
    let csv = "id,idm,campaign,dateprocessed,direction,callerid,message,agent,smsbase,result,readsms,sessionid\n\
1,SMa1,SMS<-,2026-03-02 08:10:00,I,5591000001,\"Hola, buen día\",,,OK,1,s1\n\
3,SMa3,SMS<-,2026-03-02 08:11:00,I,5591000003,Hola, soy Juan,,,OK,1,s3\n\
4,SMa4,SMS<-,2026-03-02 08:12:00,I,5591000004,\"Dos\nlíneas\",,,OK,1,s4\n\
5,SMa5,SMS<-,2026-03-02 08:13:00,I,5591000005,\"Hola sin cerrar,,,OK,1,s5\n\
6,SMa6,SMS<-,2026-03-02 08:14:00,I,5591000006,Seis,,,OK,1,s6\n\
7,SMa7,SMS<-,2026-03-02 08:15:00,I,5591000007,Siete,,,OK,1,s7\n";
    let s = ccrepo::import_reader(
        &app.store,
        std::io::Cursor::new(csv.as_bytes()),
        None,
        &opts(&app, Table::Sms),
    )
    .await
    .unwrap();
    // Six records on eight lines: the two good ones (one with a quoted line break) in,
    // the one with a 13th field out, and the three lines the open quote swallowed out.
    assert_eq!(
        (s.rows_read, s.imported, s.duplicates, s.rejected),
        (6, 2, 0, 4),
        "{s}"
    );
    assert_eq!(s.rows_read, s.imported + s.duplicates + s.rejected);
    assert_eq!(s.rejections[0].0, 3, "{s}");
    assert_eq!(s.rejections[0].1, "13 fields, the header has 12");
    // Line 4's quoted line break makes the open quote's record start on line 6.
    assert_eq!(s.rejections[1].0, 6, "{s}");
    assert!(s.rejections[1].1.starts_with("lines 6–8:"), "{s}");
    // Nothing shifted: the good rows are whole, and no row of the swallowed ones exists.
    let admin = app.token("admin").await;
    for (number, text) in [
        ("5591000001", "Hola, buen día"),
        ("5591000004", "Dos\nlíneas"),
    ] {
        let list: agentdesk_protocol::ContactList = app
            .get_as(&format!("/api/v1/contacts?q={number}"), &admin)
            .await;
        assert_eq!(list.items.len(), 1, "{number}");
        let page = timeline(&app, list.items[0].id).await;
        assert!(
            matches!(&page.items[0].detail, ActivityDetail::Sms { text: t, .. } if t == text),
            "{:?}",
            page.items[0].detail
        );
    }
    for number in ["5591000003", "5591000005", "5591000006", "5591000007"] {
        let list: agentdesk_protocol::ContactList = app
            .get_as(&format!("/api/v1/contacts?q={number}"), &admin)
            .await;
        assert!(list.items.is_empty(), "{number} was rejected: {list:?}");
    }
}

#[tokio::test]
async fn messy_csv_lines_are_reported_with_line_numbers_and_the_rest_imported() {
    let app = app().await;
    // No agent column, CRLF, a quoted comma, a duplicate row, a short line, a bad date,
    // a blank line and bytes that are not UTF-8.
    let mut csv = b"origid,datetime,callid,queuename,event,data1,data2,data3,data4,data5\r\n\
1,2026-03-02 08:00:00,c1,Ventas<-,ENTERQUEUE,,\"Perez, Juan\",,,\r\n\
1,2026-03-02 08:00:00,c1,Ventas<-,ENTERQUEUE,,\"Perez, Juan\",,,\r\n\
2,2026-03-02 08:00:05,c1,Ventas<-\r\n\
3,02/03/2026,c1,Ventas<-,CONNECT,5,,,,\r\n\
\r\n\
4,2026-03-02 08:00:09,c1,Ventas<-,COMPLETECALLER,5,60,1,,\r\n"
        .to_vec();
    csv.extend_from_slice(b"5,2026-03-02 08:00:10,c1,Ventas<-,ABANDON,\xff\xfe,,,,\r\n");
    let s = ccrepo::import_reader(
        &app.store,
        std::io::Cursor::new(csv.as_slice()),
        None,
        // Strict UTF-8: the bytes that are not UTF-8 are a rejected row.
        &Options {
            encoding: ccrepo::Encoding::Utf8,
            ..opts(&app, Table::QueueLog)
        },
    )
    .await
    .unwrap();
    assert_eq!(s.rows_read, 6, "{s}");
    assert_eq!((s.imported, s.duplicates, s.rejected), (2, 1, 3), "{s}");
    let lines: Vec<u64> = s.rejections.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [4, 5, 8], "{s}");
    assert!(s.rejections[0].1.contains("fields"), "{s}");
    assert!(s.rejections[1].1.contains("date"), "{s}");
    // Fixing the file and importing again adds only what was missing.
    let fixed = b"origid,datetime,callid,queuename,event,data1,data2,data3,data4,data5\n\
1,2026-03-02 08:00:00,c1,Ventas<-,ENTERQUEUE,,\"Perez, Juan\",,,\n\
3,2026-03-02 08:00:07,c1,Ventas<-,CONNECT,5,,,,\n";
    let s = ccrepo::import_reader(
        &app.store,
        std::io::Cursor::new(fixed.as_slice()),
        None,
        &opts(&app, Table::QueueLog),
    )
    .await
    .unwrap();
    assert_eq!((s.imported, s.duplicates, s.rejected), (1, 1, 0), "{s}");
    // Line numbers hold for LF files too.
    let lf = b"origid,datetime,callid,queuename,event,data1,data2,data3,data4,data5\n\
9,2026-03-02 08:00:00,c9,Ventas<-,ENTERQUEUE,,,,,\n\
\n\
10,2026-03-02 08:00:00\n";
    let s = ccrepo::import_reader(
        &app.store,
        std::io::Cursor::new(lf.as_slice()),
        None,
        &opts(&app, Table::QueueLog),
    )
    .await
    .unwrap();
    assert_eq!(
        s.rejections.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [4],
        "{s}"
    );
    // A file without the required columns is refused before anything is read.
    let err = ccrepo::import_reader(
        &app.store,
        std::io::Cursor::new(b"a,b\n1,2\n".as_slice()),
        None,
        &opts(&app, Table::Cdr),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("missing columns"), "{err}");
}

/// An SMS export whose messages are `texts`, one row each, from `number_base` on.
fn sms_export(prefix: &str, number_base: u64, texts: &[&str]) -> String {
    let mut csv = String::from(
        "id,idm,campaign,dateprocessed,direction,callerid,message,agent,smsbase,result,readsms,sessionid\n",
    );
    for (i, text) in texts.iter().enumerate() {
        csv.push_str(&format!(
            "{i},SM{prefix}{i},SMS<-,2026-03-02 08:1{i}:00,I,{},\"{text}\",,,OK,1,s{prefix}{i}\n",
            number_base + i as u64
        ));
    }
    csv
}

#[tokio::test]
async fn exports_in_latin1_and_windows_1252_are_read_without_mojibake_and_auto_tells_them_apart() {
    let app = app().await;
    let admin = app.token("admin").await;
    let spanish = ["Peña y Muñoz", "¿Cuándo llega? ñandú", "plain ascii"];
    let windows = ["Cobro de 20 € “urgente”", "Año nuevo – señal", "ok"];
    let latin1 = |s: &str| -> Vec<u8> {
        s.chars()
            .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
            .collect()
    };
    let cp1252 = |s: &str| encoding_rs::WINDOWS_1252.encode(s).0.into_owned();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(sms_export("b", 5592000000, &spanish).as_bytes());
    // (name, option, file bytes, first phone number, texts expected, encoding chosen)
    type Case<'a> = (
        &'a str,
        ccrepo::Encoding,
        Vec<u8>,
        u64,
        &'a [&'a str],
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "u",
            ccrepo::Encoding::Auto,
            sms_export("u", 5591000000, &spanish).into_bytes(),
            5591000000,
            &spanish,
            "UTF-8",
        ),
        (
            "b",
            ccrepo::Encoding::Auto,
            bom,
            5592000000,
            &spanish,
            "UTF-8",
        ),
        (
            "w",
            ccrepo::Encoding::Auto,
            cp1252(&sms_export("w", 5593000000, &windows)),
            5593000000,
            &windows,
            "windows-1252",
        ),
        (
            "l",
            ccrepo::Encoding::Latin1,
            latin1(&sms_export("l", 5594000000, &spanish)),
            5594000000,
            &spanish,
            "windows-1252",
        ),
        (
            "x",
            ccrepo::Encoding::Windows1252,
            cp1252(&sms_export("x", 5595000000, &windows)),
            5595000000,
            &windows,
            "windows-1252",
        ),
        (
            "a",
            ccrepo::Encoding::Auto,
            latin1(&sms_export("a", 5596000000, &spanish)),
            5596000000,
            &spanish,
            "windows-1252",
        ),
    ];
    for (name, encoding, bytes, base, texts, chosen) in cases {
        let s = ccrepo::import_reader(
            &app.store,
            std::io::Cursor::new(bytes),
            None,
            &Options {
                encoding,
                ..opts(&app, Table::Sms)
            },
        )
        .await
        .unwrap();
        assert_eq!(s.encoding, chosen, "{name}: {s}");
        assert_eq!(
            (s.rows_read, s.imported, s.rejected),
            (3, 3, 0),
            "{name}: {s}"
        );
        for (i, text) in texts.iter().enumerate() {
            let list: agentdesk_protocol::ContactList = app
                .get_as(&format!("/api/v1/contacts?q={}", base + i as u64), &admin)
                .await;
            assert_eq!(list.items.len(), 1, "{name} row {i}");
            let page = timeline(&app, list.items[0].id).await;
            assert!(
                matches!(&page.items[0].detail, ActivityDetail::Sms { text: t, .. } if t == text),
                "{name} row {i}: {:?} should be {text:?}",
                page.items[0].detail
            );
        }
    }
    // Strict UTF-8 on a Windows-1252 file: the rows with other bytes are rejected by
    // line, the ASCII row is imported, and every row is accounted for.
    let s = ccrepo::import_reader(
        &app.store,
        std::io::Cursor::new(cp1252(&sms_export("s", 5597000000, &windows))),
        None,
        &Options {
            encoding: ccrepo::Encoding::Utf8,
            ..opts(&app, Table::Sms)
        },
    )
    .await
    .unwrap();
    assert_eq!((s.rows_read, s.imported, s.rejected), (3, 1, 2), "{s}");
    assert_eq!(
        s.rejections.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [2, 3],
        "{s}"
    );
}

#[tokio::test]
async fn an_8_bit_latin1_message_arrives_intact_through_raw_base64() {
    use base64::Engine;
    let app = app().await;
    let i = integration(&app).await;
    let mut raw = b"From: =?iso-8859-1?q?Jos=E9_Pe=F1a?= <jose.pena@example.com>\r\n\
To: soporte@example.com\r\n\
Subject: Factura\r\n\
Message-ID: <latin1-8bit@example.com>\r\n\
Date: Mon, 02 Mar 2026 10:00:00 -0300\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: 8bit\r\n\r\n"
        .to_vec();
    // 8-bit Latin-1 bytes: no JSON string can carry them as they are.
    raw.extend_from_slice(b"Se\xf1ores: la facturaci\xf3n de mar\xe7o est\xe1 mal.\r\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
    // Wrapped at 76 columns as MIME tools write it: still the same bytes.
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    let r = ok(
        ingest(&app, &i.token, "email", json!({ "raw_base64": wrapped })).await,
        StatusCode::CREATED,
    )
    .await;
    let admin = app.token("admin").await;
    let found: ActivityPage = app
        .get_as(
            &format!(
                "/api/v1/contacts/{}/activities?q=facturaci%C3%B3n",
                r.contact_id
            ),
            &admin,
        )
        .await;
    assert_eq!(found.total, 1, "the decoded words are searchable");
    match &found.items[0].detail {
        ActivityDetail::Email {
            content: Some(c), ..
        } => {
            assert!(
                c.snippet
                    .contains("Señores: la facturación de março está mal."),
                "{c:?}"
            );
            assert!(c.sender.contains("José Peña"), "{c:?}");
        }
        other => panic!("{other:?}"),
    }
    // Exactly one of the two; base64 that is not base64 names its field.
    for (body, field) in [
        (
            json!({ "raw": "Subject: x\r\n\r\ny", "raw_base64": b64 }),
            "raw",
        ),
        (json!({}), "raw"),
        (json!({ "raw_base64": "not base64 at all!" }), "raw_base64"),
    ] {
        let e = expect_error(
            ingest(&app, &i.token, "email", body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some(field), "{body}");
    }
}
