//! Writing e-mail from the desktop (docs/email.md), against a real SMTP server on a
//! loopback port (`smtp.rs`): a reply queued then sent with its threading and both parts
//! as received; a 4xx answer retried, a 5xx answer failed with the server's words and
//! retried by hand; the server down, then back; two instances sending one queue; the
//! copy a "Sent" folder brings back is no second message; and every refusal — no
//! permission, another team, line breaks in headers, unknown addresses, another's draft.

use agentdesk_protocol::email::{ComposeOptions, MailIdentity, OutboundEmail};
use agentdesk_protocol::{ActivityDetail, ActivityPage, EmailStatus, IngestResult};
use agentdesk_server::config::ServeConfig;
use agentdesk_server::events::EventHub;
use agentdesk_server::outbox::Outbox;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::smtp;
use crate::support::{TestApp, expect_error};

/// A server allowed to reach loopback SMTP servers; `worker`: its own sender runs
/// (every second), or the test drives one.
pub(crate) async fn app(worker: bool) -> TestApp {
    TestApp::spawn_with(ServeConfig {
        outbound_allow_private: true,
        outbox_check_secs: if worker { 1 } else { 0 },
        ..Default::default()
    })
    .await
}

/// Team A's sender through the SMTP server at `url`.
pub(crate) async fn identity(app: &TestApp, url: &str) -> MailIdentity {
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/teams/{}/mail-identities", app.team_a),
            Some(&admin),
            Some(
                &json!({ "address": "soporte@example.com", "display_name": "Soporte",
                          "smtp_url": url.replacen("smtp://", "smtp://ops:hunter2-secret@", 1) }),
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// The seeded inbound e-mail of contact A (from Ana <ana@example.com>, `<m1@example.com>`).
async fn inbound_email(app: &TestApp, token: &str) -> i64 {
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=email", app.contact_a),
            token,
        )
        .await;
    page.items[0].id
}

pub(crate) async fn compose(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.call(
        Method::POST,
        &format!("/api/v1/contacts/{}/emails", app.contact_a),
        Some(token),
        Some(&body),
    )
    .await
}

pub(crate) async fn written(app: &TestApp, token: &str, body: Value) -> OutboundEmail {
    let res = compose(app, token, body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

pub(crate) async fn read(app: &TestApp, token: &str, id: i64) -> OutboundEmail {
    app.get_as(&format!("/api/v1/emails/{id}"), token).await
}

/// The status the timeline shows for activity `id`.
async fn timeline_status(app: &TestApp, token: &str, id: i64) -> Option<EmailStatus> {
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=email", app.contact_a),
            token,
        )
        .await;
    page.items
        .iter()
        .find(|i| i.id == id)
        .and_then(|i| match &i.detail {
            ActivityDetail::Email { status, .. } => *status,
            _ => None,
        })
}

fn header<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    data.split("\r\n")
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn a_reply_is_queued_then_sent_threaded_with_both_parts_and_its_copy_is_no_second_message() {
    let (smtp, url) = smtp::start().await;
    let app = app(true).await;
    let sender = identity(&app, &url).await;
    assert!(
        sender
            .server
            .as_deref()
            .is_some_and(|s| !s.contains("hunter2")),
        "{sender:?}"
    );
    let token = app.token("mailer_a").await;
    let parent = inbound_email(&app, &token).await;
    let options: ComposeOptions = app
        .get_as(
            &format!("/api/v1/contacts/{}/compose", app.contact_a),
            &token,
        )
        .await;
    assert_eq!(options.identities, vec![sender.clone()]);
    assert_eq!(
        options.addresses,
        ["ana.alpha@example.com", "ana@example.com"]
    );

    let mail = written(
        &app,
        &token,
        json!({ "to": "ana@example.com", "subject": "Re: Secret subject",
                "body": "Hola **Ana**, _gracias_.\n\n> secret body", "reply_to": parent,
                "send": true }),
    )
    .await;
    assert_eq!(mail.status, EmailStatus::Queued);
    assert_eq!(mail.from, "Soporte <soporte@example.com>");
    assert!(mail.message_id.starts_with('<') && mail.message_id.ends_with("@example.com>"));

    let mut sent = None;
    for _ in 0..100 {
        let now = read(&app, &token, mail.activity_id).await;
        if now.status != EmailStatus::Queued {
            sent = Some(now);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let sent = sent.expect("sent within 10 s");
    assert_eq!(sent.status, EmailStatus::Sent, "{sent:?}");
    assert_eq!(sent.attempts, 1);
    assert_eq!(
        timeline_status(&app, &token, mail.activity_id).await,
        Some(EmailStatus::Sent)
    );

    // The identity's credentials (write-only: never shown) reached its server.
    assert_eq!(*smtp.logins.lock().unwrap(), ["ops:hunter2-secret"]);
    let got = smtp.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].from, "soporte@example.com");
    assert_eq!(got[0].to, ["ana@example.com"]);
    let data = &got[0].data;
    assert_eq!(
        header(data, "From"),
        Some("Soporte <soporte@example.com>"),
        "{data}"
    );
    assert_eq!(header(data, "To"), Some("ana@example.com"));
    assert_eq!(header(data, "Subject"), Some("Re: Secret subject"));
    assert_eq!(header(data, "Message-ID"), Some(mail.message_id.as_str()));
    assert_eq!(header(data, "In-Reply-To"), Some("<m1@example.com>"));
    assert_eq!(header(data, "References"), Some("<m1@example.com>"));
    assert!(
        header(data, "Content-Type").is_some_and(|t| t.starts_with("multipart/alternative")),
        "{data}"
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .unwrap();
    let text = parsed.body_text(0).unwrap().replace("\r\n", "\n");
    assert_eq!(text.trim_end(), "Hola **Ana**, _gracias_.\n\n> secret body");
    let html = parsed.body_html(0).unwrap();
    assert!(
        html.contains("Hola <strong>Ana</strong>, <em>gracias</em>."),
        "{html}"
    );
    assert!(html.contains("&gt; secret body"), "{html}");

    // The copy a mailbox's "Sent" folder brings back through ingest is this message.
    let creds = crate::ingest::integration(&app).await;
    let res = app
        .http
        .post(app.url("/api/v1/ingest/email"))
        .bearer_auth(&creds.token)
        .json(&json!({ "raw": data, "direction": "outbound" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let again: IngestResult = res.json().await.unwrap();
    assert!(again.duplicate, "{again:?}");
    assert_eq!(again.activity_id, mail.activity_id);
}

#[tokio::test]
async fn a_4xx_answer_is_retried_later_and_a_5xx_answer_fails_with_the_servers_words() {
    let (smtp, url) = smtp::start().await;
    let app = app(false).await;
    identity(&app, &url).await;
    let outbox = Outbox::new(app.store.clone(), EventHub::default(), None, true);
    let token = app.token("mailer_a").await;
    let t0 = agentdesk_server::clock::now() + Duration::seconds(1);

    *smtp.refuse_rcpt.lock().unwrap() = Some("451 4.3.0 mailbox busy, try later".into());
    let mail = written(
        &app,
        &token,
        json!({ "to": "ana.alpha@example.com", "subject": "Su pedido", "body": "Listo.",
                "send": true }),
    )
    .await;
    assert_eq!(outbox.run_due(t0).await.unwrap(), 1);
    let after = read(&app, &token, mail.activity_id).await;
    assert_eq!(after.status, EmailStatus::Queued);
    assert_eq!(after.attempts, 1);
    assert!(
        after
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("mailbox busy")),
        "{after:?}"
    );
    // 30 s after the attempt (the sender's clock moves on from t0 while it runs).
    // (Times are kept to the millisecond.)
    let next = after.next_attempt_at.expect("due again").timestamp_millis();
    let t0_ms = t0.timestamp_millis();
    assert!(
        (t0_ms + 30_000..t0_ms + 31_000).contains(&next),
        "{next} vs {t0_ms}"
    );
    // Not before its time; then sent once the server takes it.
    assert_eq!(outbox.run_due(t0 + Duration::seconds(29)).await.unwrap(), 0);
    *smtp.refuse_rcpt.lock().unwrap() = None;
    assert_eq!(outbox.run_due(t0 + Duration::seconds(31)).await.unwrap(), 1);
    let after = read(&app, &token, mail.activity_id).await;
    assert_eq!((after.status, after.attempts), (EmailStatus::Sent, 2));
    assert_eq!(smtp.messages().len(), 1);

    // A permanent refusal: failed at once, with the reason, shown on the timeline.
    *smtp.refuse_rcpt.lock().unwrap() = Some("550 5.1.1 no such user here".into());
    let bad = written(
        &app,
        &token,
        json!({ "to": "ana.alpha@example.com", "subject": "Otro", "body": "x", "send": true }),
    )
    .await;
    assert_eq!(outbox.run_due(t0 + Duration::seconds(40)).await.unwrap(), 1);
    let after = read(&app, &token, bad.activity_id).await;
    assert_eq!(after.status, EmailStatus::Failed);
    assert!(
        after
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("no such user here")),
        "{after:?}"
    );
    assert!(!after.last_error.unwrap().contains("hunter2"));
    assert_eq!(
        timeline_status(&app, &token, bad.activity_id).await,
        Some(EmailStatus::Failed)
    );
    // Retried by hand: queued again, sent when the server takes it.
    *smtp.refuse_rcpt.lock().unwrap() = None;
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/emails/{}/retry", bad.activity_id),
            Some(&token),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let retried: OutboundEmail = res.json().await.unwrap();
    assert_eq!((retried.status, retried.attempts), (EmailStatus::Queued, 0));
    outbox
        .run_due(agentdesk_server::clock::now() + Duration::seconds(2))
        .await
        .unwrap();
    assert_eq!(
        read(&app, &token, bad.activity_id).await.status,
        EmailStatus::Sent
    );
    // A sent message is not retried.
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/emails/{}/retry", bad.activity_id),
            Some(&token),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn with_the_server_down_a_message_stays_queued_and_is_sent_when_it_returns() {
    let port = smtp::free_port();
    let app = app(false).await;
    identity(&app, &format!("smtp://127.0.0.1:{port}")).await;
    let outbox = Outbox::new(app.store.clone(), EventHub::default(), None, true);
    let token = app.token("mailer_a").await;
    let mail = written(
        &app,
        &token,
        json!({ "to": "ana.alpha@example.com", "subject": "Hola", "body": "x", "send": true }),
    )
    .await;
    let t0 = agentdesk_server::clock::now() + Duration::seconds(1);
    assert_eq!(outbox.run_due(t0).await.unwrap(), 1);
    let after = read(&app, &token, mail.activity_id).await;
    assert_eq!((after.status, after.attempts), (EmailStatus::Queued, 1));
    assert!(after.last_error.is_some());

    let (smtp, _) = smtp::start_on(port).await;
    assert_eq!(outbox.run_due(t0 + Duration::seconds(31)).await.unwrap(), 1);
    assert_eq!(
        read(&app, &token, mail.activity_id).await.status,
        EmailStatus::Sent
    );
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn two_instances_sending_one_queue_send_each_message_once() {
    let (smtp, url) = smtp::start().await;
    let app = app(false).await;
    identity(&app, &url).await;
    let token = app.token("mailer_a").await;
    let mut ids = Vec::new();
    for i in 0..24 {
        let m = written(
            &app,
            &token,
            json!({ "to": "ana.alpha@example.com", "subject": format!("n.º {i}"),
                    "body": "x", "send": true }),
        )
        .await;
        ids.push(m.message_id);
    }
    let a = Outbox::new(app.store.clone(), EventHub::default(), None, true);
    let b = Outbox::new(app.store.clone(), EventHub::default(), None, true);
    let t = agentdesk_server::clock::now() + Duration::seconds(1);
    let (x, y) = tokio::join!(a.run_due(t), b.run_due(t));
    assert_eq!(x.unwrap() + y.unwrap(), 24);
    let mut got: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| header(&m.data, "Message-ID").unwrap().to_owned())
        .collect();
    got.sort();
    ids.sort();
    assert_eq!(got, ids, "each message exactly once");
}

#[tokio::test]
async fn compose_refuses_what_it_must_and_keeps_drafts_to_their_author_and_team() {
    let app = app(false).await;
    let admin = app.token("admin").await;
    let mailer = app.token("mailer_a").await;
    let plain = app.token("agent_a").await;
    let other = app.token("agent_b").await;
    let sup = app.token("super_a").await;
    let ok = json!({ "to": "ana.alpha@example.com", "subject": "Hola", "body": "x" });

    // No sender yet: the team's admin must add one (409 naming the field).
    let e = expect_error(
        compose(&app, &mailer, ok.clone()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("identity_id"));

    // Identities: admins only; a private address refused without the server's leave;
    // a bad URL named without its credentials; a second one with the address → 409.
    let ids = format!("/api/v1/teams/{}/mail-identities", app.team_a);
    let body = json!({ "address": "soporte@example.com", "display_name": "Soporte" });
    let res = app.call(Method::POST, &ids, Some(&sup), Some(&body)).await;
    expect_error(res, StatusCode::FORBIDDEN).await;
    let strict = TestApp::spawn().await;
    let res = strict
        .call(
            Method::POST,
            &format!("/api/v1/teams/{}/mail-identities", strict.team_a),
            Some(&strict.token("admin").await),
            Some(&json!({ "address": "s@example.com", "smtp_url": "smtp://u:hunter2@127.0.0.1:2525" })),
        )
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.error.field.as_deref(), Some("smtp_url"));
    assert!(!e.error.message.contains("hunter2"), "{}", e.error.message);
    for (bad, field) in [
        (
            json!({ "address": "soporte", "display_name": "x" }),
            "address",
        ),
        (
            json!({ "address": "s@example.com", "display_name": "a\r\nBcc: x@evil.test" }),
            "display_name",
        ),
        (
            json!({ "address": "s@example.com", "smtp_url": "smtp://u:hunter2@mail.example.com:587" }),
            "smtp_url",
        ),
        (
            json!({ "address": "s@example.com", "smtp_url": "http://mail.example.com" }),
            "smtp_url",
        ),
    ] {
        let res = app.call(Method::POST, &ids, Some(&admin), Some(&bad)).await;
        let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e.error.field.as_deref(), Some(field), "{bad}");
        assert!(!e.error.message.contains("hunter2"));
    }
    let res = app
        .call(Method::POST, &ids, Some(&admin), Some(&body))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .call(Method::POST, &ids, Some(&admin), Some(&body))
        .await;
    expect_error(res, StatusCode::CONFLICT).await;
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/teams/{}/mail-identities", app.team_b),
            Some(&admin),
            Some(&json!({ "address": "b@example.com" })),
        )
        .await;
    let team_b_sender: MailIdentity = res.json().await.unwrap();
    let res = app
        .call(
            Method::POST,
            "/api/v1/teams/999999/mail-identities",
            Some(&admin),
            Some(&body),
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;

    // Without the e-mail permission: nothing (403), whatever the route.
    expect_error(
        compose(&app, &plain, ok.clone()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{}/compose", app.contact_a),
            Some(&plain),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;

    // Header injection and other bad fields: 422 naming the field; nothing written.
    for (bad, field) in [
        (
            json!({ "to": "ana.alpha@example.com\r\nBcc: x@evil.test", "subject": "s" }),
            "to",
        ),
        (
            json!({ "to": "ana.alpha@example.com", "subject": "s\r\nBcc: x@evil.test" }),
            "subject",
        ),
        (
            json!({ "to": "ana.alpha@example.com", "subject": "s\nX: y" }),
            "subject",
        ),
        (
            json!({ "to": "Ana <ana.alpha@example.com>", "subject": "s" }),
            "to",
        ),
        (
            json!({ "to": "ana.alpha@example.com, x@evil.test", "subject": "s" }),
            "to",
        ),
        (
            json!({ "to": "ana.alpha@example.com", "subject": "s", "body": "x".repeat(100_001) }),
            "body",
        ),
        (json!({ "to": "", "subject": "s", "send": true }), "to"),
        (
            json!({ "to": "ana.alpha@example.com", "subject": " ", "send": true }),
            "subject",
        ),
        (
            json!({ "to": "stranger@example.com", "subject": "s", "send": true }),
            "to",
        ),
        (
            json!({ "to": "ana.alpha@example.com", "subject": "s", "identity_id": team_b_sender.id }),
            "identity_id",
        ),
        (
            json!({ "to": "ana.alpha@example.com", "subject": "s", "reply_to": 999_999 }),
            "reply_to",
        ),
    ] {
        let e = expect_error(
            compose(&app, &mailer, bad.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some(field), "{bad}");
    }
    let res = compose(&app, &mailer, json!({ "to": 5 })).await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=email", app.contact_a),
            &mailer,
        )
        .await;
    assert_eq!(page.total, 1, "only the seeded e-mail");

    // A draft may hold an address the contact is not known by (it is being written);
    // sending to it needs the user's confirmation (below).
    let draft = written(
        &app,
        &mailer,
        json!({ "to": "nueva@example.com", "subject": "Hola" }),
    )
    .await;
    assert_eq!(draft.status, EmailStatus::Draft);

    // Another team: not found; a teammate: sees it, cannot change or discard it.
    let path = format!("/api/v1/emails/{}", draft.activity_id);
    let res = app
        .call(Method::GET, &path, Some(&other), None::<&()>)
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{}/compose", app.contact_a),
            Some(&other),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{}/emails", app.contact_a),
            Some(&other),
            Some(&ok),
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let _: OutboundEmail = app.get_as(&path, &sup).await;
    let res = app.call(Method::PUT, &path, Some(&sup), Some(&ok)).await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let res = app
        .call(Method::DELETE, &path, Some(&sup), None::<&()>)
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;

    // The author saves it (autosave), then sends it; a queued message is no draft.
    let res = app
        .call(
            Method::PUT,
            &path,
            Some(&mailer),
            Some(
                &json!({ "to": "nueva@example.com", "subject": "Hola otra vez", "body": "Texto" }),
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: OutboundEmail = res.json().await.unwrap();
    assert_eq!(
        (saved.subject.as_str(), saved.body.as_str()),
        ("Hola otra vez", "Texto")
    );
    assert_eq!(saved.status, EmailStatus::Draft);
    let send = json!({ "to": "nueva@example.com", "subject": "Hola otra vez", "body": "Texto",
                       "send": true });
    let res = app
        .call(Method::PUT, &path, Some(&mailer), Some(&send))
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.error.field.as_deref(), Some("to"));
    let mut confirmed = send.clone();
    confirmed["new_address"] = json!(true);
    let res = app
        .call(Method::PUT, &path, Some(&mailer), Some(&confirmed))
        .await;
    assert_eq!(
        res.json::<OutboundEmail>().await.unwrap().status,
        EmailStatus::Queued
    );
    // The confirmed new address is in the audit log: who, which contact, which address.
    let audit: Vec<agentdesk_protocol::AuditRecord> = app.get_as("/api/v1/audit", &admin).await;
    assert!(
        audit.iter().any(|r| r.action == "email_new_address"
            && r.user_id == Some(app.users["mailer_a"])
            && r.target.as_deref().is_some_and(|t| {
                t.contains("nueva@example.com") && t.contains(&format!("contact:{}", app.contact_a))
            })),
        "{audit:?}"
    );
    let res = app.call(Method::PUT, &path, Some(&mailer), Some(&ok)).await;
    let e = expect_error(res, StatusCode::CONFLICT).await;
    assert_eq!(e.error.field.as_deref(), Some("status"));
    let res = app
        .call(Method::DELETE, &path, Some(&mailer), None::<&()>)
        .await;
    expect_error(res, StatusCode::CONFLICT).await;

    // A draft discarded leaves the timeline.
    let gone = written(&app, &mailer, ok.clone()).await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/emails/{}", gone.activity_id),
            Some(&mailer),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(timeline_status(&app, &mailer, gone.activity_id).await, None);
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/emails/{}", gone.activity_id),
            Some(&mailer),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
}

/// A delivery-status report as a mail server sends it back (RFC 3464).
fn bounce_report(original: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example.net\r\nTo: soporte@example.com\r\n\
Message-ID: <report-{n}@mx.example.net>\r\nSubject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
Final-Recipient: rfc822; ana.alpha@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 mailbox unknown\r\n\
--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Soporte <soporte@example.com>\r\n\
Message-ID: {original}\r\nSubject: Hola\r\n--B--\r\n",
        n = original.len()
    )
}

#[tokio::test]
async fn a_bounce_marks_the_teams_sent_message_failed_and_another_teams_report_touches_nothing() {
    let (_smtp, url) = smtp::start().await;
    let app = app(false).await;
    identity(&app, &url).await;
    let outbox = Outbox::new(app.store.clone(), EventHub::default(), None, true);
    let token = app.token("mailer_a").await;
    let mail = written(
        &app,
        &token,
        json!({ "to": "ana.alpha@example.com", "subject": "Hola", "body": "x", "send": true }),
    )
    .await;
    outbox
        .run_due(agentdesk_server::clock::now() + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        read(&app, &token, mail.activity_id).await.status,
        EmailStatus::Sent
    );

    // Team B's mailbox receives a report naming A's message: not B's message, so it is
    // ordinary mail there, and A's message stays sent.
    let b_token = crate::linking::integration(&app, "buzon-b", app.team_b).await;
    let post = |token: String, raw: String| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/v1/ingest/email"))
                .bearer_auth(token)
                .json(&json!({ "raw": raw }))
                .send()
                .await
                .unwrap()
        }
    };
    let res = post(b_token.clone(), bounce_report(&mail.message_id)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        read(&app, &token, mail.activity_id).await.status,
        EmailStatus::Sent
    );

    // A's own mailbox: the message is failed with the server's words, live.
    let a_creds = crate::ingest::integration(&app).await;
    let res = post(a_creds.token.clone(), bounce_report(&mail.message_id)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: IngestResult = res.json().await.unwrap();
    assert_eq!(r.activity_id, mail.activity_id);
    let after = read(&app, &token, mail.activity_id).await;
    assert_eq!(after.status, EmailStatus::Failed);
    assert_eq!(
        after.last_error.as_deref(),
        Some("bounced by ana.alpha@example.com's server: smtp; 550 5.1.1 mailbox unknown")
    );
    assert_eq!(
        timeline_status(&app, &token, mail.activity_id).await,
        Some(EmailStatus::Failed)
    );

    // Retried and sent again: the same report delivered once more (a mailbox read
    // again) changes nothing, and is no customer mail either.
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/emails/{}/retry", mail.activity_id),
            Some(&token),
            None::<&()>,
        )
        .await;
    let retried: OutboundEmail = res.json().await.unwrap();
    assert_eq!(retried.last_error, None, "a retry starts clean");
    outbox
        .run_due(agentdesk_server::clock::now() + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        read(&app, &token, mail.activity_id).await.status,
        EmailStatus::Sent
    );
    let res = post(a_creds.token.clone(), bounce_report(&mail.message_id)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        read(&app, &token, mail.activity_id).await.status,
        EmailStatus::Sent
    );
    // A report about another recipient of that Message-ID is not this message's.
    let other = bounce_report(&mail.message_id)
        .replace("ana.alpha@example.com", "someone@else.example")
        .replace("<report-", "<other-report-");
    let res = post(a_creds.token.clone(), other).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        read(&app, &token, mail.activity_id).await.status,
        EmailStatus::Sent
    );
}

#[tokio::test]
async fn a_claim_takes_at_most_its_limit_and_never_a_message_another_holds() {
    let (_smtp, url) = smtp::start().await;
    let app = app(false).await;
    identity(&app, &url).await;
    let token = app.token("mailer_a").await;
    for i in 0..5 {
        written(
            &app,
            &token,
            json!({ "to": "ana.alpha@example.com", "subject": format!("{i}"), "send": true }),
        )
        .await;
    }
    let t = agentdesk_server::clock::now() + Duration::seconds(1);
    let lease = Duration::seconds(120);
    let one = app.store.claim_outbound("a", t, lease, 1).await.unwrap();
    assert_eq!(one.len(), 1, "limit 1 claims one (not the whole queue)");
    let two = app.store.claim_outbound("b", t, lease, 2).await.unwrap();
    assert_eq!(two.len(), 2);
    assert!(two.iter().all(|m| m.activity_id != one[0].activity_id));
    let rest = app.store.claim_outbound("c", t, lease, 10).await.unwrap();
    assert_eq!(rest.len(), 2, "only the ones nobody holds");
    // A lease that ran out is anyone's again.
    let later = app
        .store
        .claim_outbound("d", t + lease + Duration::seconds(1), lease, 10)
        .await
        .unwrap();
    assert_eq!(later.len(), 5);
}

#[tokio::test]
async fn a_signature_is_the_users_own_and_is_checked() {
    let app = app(false).await;
    let token = app.token("mailer_a").await;
    let patch = |body: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            app.call(Method::PATCH, "/api/v1/me", Some(&token), Some(&body))
                .await
        }
    };
    let res = patch(json!({ "signature": "Ana\nSoporte · Team A" })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: agentdesk_protocol::Me = app.get_as("/api/v1/me", &token).await;
    assert_eq!(me.signature, "Ana\nSoporte · Team A");
    // Another user's profile is untouched.
    let other: agentdesk_protocol::Me = app.get_as("/api/v1/me", &app.token("super_a").await).await;
    assert_eq!(other.signature, "");
    for bad in ["x".repeat(2_001), "a\0b".to_owned()] {
        let e = expect_error(
            patch(json!({ "signature": bad })).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some("signature"));
    }
    let me: agentdesk_protocol::Me = app.get_as("/api/v1/me", &token).await;
    assert_eq!(
        me.signature, "Ana\nSoporte · Team A",
        "a refused one changes nothing"
    );
    assert_eq!(
        patch(json!({ "signature": "" })).await.status(),
        StatusCode::OK
    );
    let me: agentdesk_protocol::Me = app.get_as("/api/v1/me", &token).await;
    assert_eq!(me.signature, "");
}

#[tokio::test]
async fn an_admin_tests_a_senders_server_and_learns_why_it_fails() {
    let (smtp, url) = smtp::start().await;
    let app = app(false).await;
    let good = identity(&app, &url).await;
    let admin = app.token("admin").await;
    let test = |id: i64, token: String| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/mail-identities/{id}/test"),
                Some(&token),
                None::<&()>,
            )
            .await
        }
    };
    let res = test(good.id, admin.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let check: agentdesk_protocol::email::SenderCheck = res.json().await.unwrap();
    assert!(check.ok, "{check:?}");
    assert_eq!(
        *smtp.logins.lock().unwrap(),
        ["ops:hunter2-secret"],
        "logged in"
    );
    assert!(smtp.messages().is_empty(), "nothing sent");

    // A server that is down: not ok, said why, without the password.
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/teams/{}/mail-identities", app.team_a),
            Some(&admin),
            Some(&json!({ "address": "caido@example.com",
                          "smtp_url": format!("smtp://u:hunter2@127.0.0.1:{}", smtp::free_port()) })),
        )
        .await;
    let down: MailIdentity = res.json().await.unwrap();
    let check: agentdesk_protocol::email::SenderCheck =
        test(down.id, admin.clone()).await.json().await.unwrap();
    assert!(!check.ok);
    assert!(check.message.starts_with("smtp://127.0.0.1:"), "{check:?}");
    assert!(!check.message.contains("hunter2"), "{check:?}");

    // Admins only; an unknown sender is not found.
    let sup = app.token("super_a").await;
    expect_error(test(good.id, sup).await, StatusCode::FORBIDDEN).await;
    expect_error(test(999_999, admin).await, StatusCode::NOT_FOUND).await;
}
