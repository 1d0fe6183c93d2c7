//! Users' e-mail addresses, and follow-ups' e-mail and "last used" channels against a
//! real SMTP server on loopback (`smtp.rs`), with the ticketing stand-in of
//! `followups.rs`. Two teams share the server: team B's user, whose address is on file,
//! never gets team A's mail.

use agentdesk_protocol::Me;
use agentdesk_server::config::ServeConfig;
use agentdesk_server::mailer::{Mailer, SmtpUrl};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::followups::{create, engine, poll, spec, stand_in, ticket};
use crate::smtp;
use crate::status::open_stream;
use crate::support::{TestApp, expect_error};

const FROM: &str = "agentdesk <noreply@agentdesk.test>";

async fn set_email(app: &TestApp, token: &str, email: &str) -> reqwest::Response {
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(token),
        Some(&json!({ "email": email })),
    )
    .await
}

async fn me(app: &TestApp, token: &str) -> Me {
    app.get_as("/api/v1/me", token).await
}

async fn unread(app: &TestApp, user: &str) -> u32 {
    let n: Value = app
        .get_as("/api/v1/notifications", &app.token(user).await)
        .await;
    n["unread"].as_u64().unwrap() as u32
}

#[tokio::test]
async fn users_keep_one_address_each_and_hostile_addresses_change_nothing() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let b = app.token("agent_b").await;
    let res = set_email(&app, &a, "  Agent.A@Example.com ").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        me(&app, &a).await.email.as_deref(),
        Some("Agent.A@Example.com")
    );
    // Another user (of another team) cannot take it, whatever its case.
    expect_error(
        set_email(&app, &b, "agent.a@example.com").await,
        StatusCode::CONFLICT,
    )
    .await;
    let long = format!("{}@example.com", "x".repeat(250));
    for bad in [
        "a@example.com\r\nBcc: victim@example.org",
        "a@example.com\nX-Injected: 1",
        "no-at-sign",
        "a@nodot",
        "a b@example.com",
        "a@@example.com",
        "\u{0}@example.com",
        long.as_str(),
    ] {
        let e = expect_error(
            set_email(&app, &a, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some("email"), "{bad:?}");
    }
    assert_eq!(
        me(&app, &a).await.email.as_deref(),
        Some("Agent.A@Example.com"),
        "refusals changed nothing"
    );
    // A locale change alone keeps the address; "" removes it.
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&a),
            Some(&json!({ "locale": "en" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(me(&app, &a).await.email.is_some());
    assert_eq!(set_email(&app, &a, "").await.status(), StatusCode::OK);
    assert_eq!(me(&app, &a).await.email, None);

    // Admins give one when creating a user; the same rules.
    let admin = app.token("admin").await;
    let user = |email: &str| {
        json!({ "username": format!("u{}", email.len()), "display_name": "U",
                "password": "long-enough-1", "role": "agent", "teams": [app.team_a],
                "email": email })
    };
    let res = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(&user("bad\r\n@example.com")),
        )
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.error.field.as_deref(), Some("email"));
    let res = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(&user("nueva@example.com")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// A server with the SMTP sender, whose scheduler stays out of the way.
async fn mail_app(url: &str) -> TestApp {
    TestApp::spawn_with(ServeConfig {
        outbound_allow_private: true,
        followup_check_secs: 0,
        smtp_url: Some(url.parse().unwrap()),
        smtp_from: Some(FROM.into()),
        ..Default::default()
    })
    .await
}

fn mailer(url: &str) -> Option<Mailer> {
    let url: SmtpUrl = url.parse().unwrap();
    Some(Mailer::new(&url, FROM).unwrap())
}

#[tokio::test]
async fn an_email_followup_writes_each_attempt_once_and_records_what_it_could_not_send() {
    let (smtp, url) = smtp::start().await;
    let app = mail_app(&url).await;
    let (system, base) = stand_in().await;
    set_email(&app, &app.token("agent_a").await, "ana@example.com").await;
    set_email(&app, &app.token("agent_b").await, "bea@example.com").await;
    let admin = app.token("admin").await;
    let mut s = spec(&base, app.team_a);
    s["channel"] = json!("email");
    let f = create(&app, &admin, &s).await;
    let e = engine(&app, 1 << 20).with_mailer(mailer(&url));
    let t0 = Utc::now() + Duration::minutes(1);
    // super_a has no address: notified in the desktop, noted on the run.
    system.tickets(json!([ticket("T-1", "agent_a"), ticket("T-2", "super_a")]));
    let run = poll(&e, f.id, t0).await.expect("due");
    assert_eq!(run.notified, 2);
    assert_eq!(run.errors.len(), 1, "{:?}", run.errors);
    assert!(
        run.errors[0].contains("T-2") && run.errors[0].contains("no e-mail address"),
        "{:?}",
        run.errors
    );
    let sent = smtp.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].from, "noreply@agentdesk.test");
    assert_eq!(sent[0].to, ["ana@example.com"]);
    let data = &sent[0].data;
    assert!(
        data.contains("From: agentdesk <noreply@agentdesk.test>\r\n"),
        "{data}"
    );
    assert!(data.contains("To: ana@example.com\r\n"), "{data}");
    assert!(
        data.contains("Subject: [Pending approval] Ticket T-1 waits for your approval\r\n"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/plain; charset=utf-8\r\n"),
        "{data}"
    );
    assert!(
        data.ends_with("\r\n\r\nTicket T-1 waits for your approval\r\n"),
        "{data:?}"
    );
    assert_eq!(
        unread(&app, "agent_a").await,
        0,
        "by e-mail, not in the desktop"
    );
    assert_eq!(unread(&app, "super_a").await, 1);

    // The second attempt an hour on, once; none after the last.
    system.tickets(json!([ticket("T-1", "agent_a")]));
    let run = poll(&e, f.id, t0 + Duration::minutes(60)).await.expect("2");
    assert_eq!(run.notified, 1);
    assert!(
        poll(&e, f.id, t0 + Duration::minutes(120))
            .await
            .is_some_and(|r| r.notified == 0)
    );
    let to: Vec<Vec<String>> = smtp.messages().into_iter().map(|m| m.to).collect();
    assert_eq!(to, [["ana@example.com"], ["ana@example.com"]]);

    // The server refuses the recipient: the run says so, by address and reason.
    *smtp.refuse_rcpt.lock().unwrap() = Some("550 5.1.1 mailbox unavailable".into());
    system.tickets(json!([ticket("T-1", "agent_a"), ticket("T-3", "agent_a")]));
    let run = poll(&e, f.id, t0 + Duration::minutes(130))
        .await
        .expect("3");
    assert_eq!(run.notified, 1);
    assert!(
        run.errors.iter().any(|e| e.contains("T-3")
            && e.contains("ana@example.com")
            && e.contains("mailbox unavailable")),
        "{:?}",
        run.errors
    );
    assert!(
        smtp.messages().iter().all(|m| m.to != ["bea@example.com"]),
        "team B's user got nothing"
    );

    // A server without an SMTP sender refuses the e-mail channel.
    let plain = crate::followups::app().await;
    let mut s = spec(&base, plain.team_a);
    s["channel"] = json!("email");
    let res = plain
        .call(
            Method::POST,
            "/api/v1/followups",
            Some(&plain.token("admin").await),
            Some(&s),
        )
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.error.field.as_deref(), Some("channel"));
}

#[tokio::test]
async fn last_used_reaches_an_open_desktop_in_the_app_and_anyone_else_by_email() {
    let (smtp, url) = smtp::start().await;
    let app = mail_app(&url).await;
    let (system, base) = stand_in().await;
    let agent = app.token("agent_a").await;
    set_email(&app, &agent, "ana@example.com").await;
    set_email(&app, &app.token("super_a").await, "sol@example.com").await;
    let _desktop = open_stream(&app, &agent).await;
    let admin = app.token("admin").await;
    let mut s = spec(&base, app.team_a);
    s["channel"] = json!("last_used");
    let f = create(&app, &admin, &s).await;
    let e = engine(&app, 1 << 20).with_mailer(mailer(&url));
    system.tickets(json!([ticket("T-1", "agent_a"), ticket("T-2", "super_a")]));
    let run = poll(&e, f.id, Utc::now() + Duration::minutes(1))
        .await
        .expect("due");
    assert_eq!((run.notified, run.errors.len()), (2, 0), "{:?}", run.errors);
    assert_eq!(unread(&app, "agent_a").await, 1, "desktop open: in the app");
    assert_eq!(unread(&app, "super_a").await, 0);
    let sent = smtp.messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, ["sol@example.com"]);
}
