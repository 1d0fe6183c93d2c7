//! An integration's recent deliveries, as its admins read them, with two teams: each
//! integration's own accepted / duplicate / rejected (with the reason the integration
//! was given) deliveries, hostile payloads of every kind among them, unauthenticated
//! requests in no one's log; the last use; the newest 100 kept; admins only.

use agentdesk_protocol::{
    DeliveryOutcome, IntegrationCredentials, IntegrationDelivery, IntegrationSummary,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, expect_error};

async fn create(app: &TestApp, admin: &str, name: &str, team: i64) -> IntegrationCredentials {
    let body = json!({ "name": name, "team_id": team });
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(admin),
            Some(&body),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.expect("credentials")
}

async fn send(app: &TestApp, token: &str, path: &str, body: &str) -> u16 {
    app.http
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("ingest")
        .status()
        .as_u16()
}

async fn deliveries(app: &TestApp, admin: &str, id: i64) -> Vec<IntegrationDelivery> {
    app.get_as(&format!("/api/v1/integrations/{id}/deliveries"), admin)
        .await
}

fn sms(id: &str, text: &str) -> String {
    json!({ "id": id, "direction": "inbound", "number": "+59899333444", "text": text,
            "at": "2026-06-01T10:00:00Z" })
    .to_string()
}

#[tokio::test]
async fn each_integration_reads_its_own_deliveries_with_the_reasons_it_was_given() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let a = create(&app, &admin, "chat A", app.team_a).await;
    let b = create(&app, &admin, "chat B", app.team_b).await;
    assert!(deliveries(&app, &admin, a.id).await.is_empty());

    // Team A's integration: accepted, duplicate, then hostile input of every class.
    let long = "x".repeat(5_001);
    let sends: Vec<(&str, String, u16)> = vec![
        ("/api/v1/ingest/sms", sms("a-1", "hola"), 201),
        ("/api/v1/ingest/sms", sms("a-1", "hola"), 200),
        ("/api/v1/ingest/sms", sms("a-2", &long), 422),
        ("/api/v1/ingest/sms", "{\"id\": ".into(), 400),
        ("/api/v1/ingest/sms", json!({"id": "a-3"}).to_string(), 422),
        ("/api/v1/ingest/sms", sms("a-4", "nul \u{0} inside"), 422),
        (
            "/api/v1/ingest/chat",
            json!({"event": "teleport", "session_id": "s"}).to_string(),
            422,
        ),
        (
            "/api/v1/ingest/ticket",
            json!({"ticket_id": "", "event": "created", "subject": "x",
            "status": "open", "at": "2026-06-01T10:00:00Z"})
            .to_string(),
            422,
        ),
        (
            "/api/v1/ingest/email",
            json!({"raw": "not a mail at all"}).to_string(),
            422,
        ),
        // Field names the error quotes back: a NUL (PostgreSQL stores none) and a long one.
        ("/api/v1/ingest/sms", "{\"\\u0000\": 1}".into(), 422),
        (
            "/api/v1/ingest/sms",
            format!("{{\"{}\": 1}}", "n".repeat(5_000)),
            422,
        ),
    ];
    for (path, body, want) in &sends {
        assert_eq!(
            send(&app, &a.token, path, body).await,
            *want,
            "{path} {body:.60}"
        );
    }
    // Team B's integration: one accepted. A bad token: nobody's.
    assert_eq!(
        send(&app, &b.token, "/api/v1/ingest/sms", &sms("b-1", "hi")).await,
        201
    );
    assert_eq!(
        send(&app, "adi_wrong", "/api/v1/ingest/sms", &sms("x", "x")).await,
        401
    );

    let got = deliveries(&app, &admin, a.id).await;
    assert_eq!(got.len(), sends.len(), "{got:#?}");
    // Newest first: the same statuses, in reverse.
    let statuses: Vec<u16> = got.iter().rev().map(|d| d.status).collect();
    let wanted: Vec<u16> = sends.iter().map(|(_, _, s)| *s).collect();
    assert_eq!(statuses, wanted);
    let last = got.len() - 1;
    assert_eq!(got[last].outcome, DeliveryOutcome::Accepted);
    assert_eq!(got[last - 1].outcome, DeliveryOutcome::Duplicate);
    assert!(
        got[..last - 1]
            .iter()
            .all(|d| d.outcome == DeliveryOutcome::Rejected)
    );
    assert!(
        got[..last - 1]
            .iter()
            .all(|d| d.reason.as_deref().is_some_and(|r| !r.is_empty()))
    );
    assert_eq!(
        got[last - 2].reason.as_deref(),
        Some("text: at most 5000 characters")
    );
    for d in &got {
        let r = d.reason.as_deref().unwrap_or("");
        assert!(
            r.chars().count() <= 301 && !r.chars().any(char::is_control),
            "{r:.80}"
        );
    }
    assert!(got[last].reason.is_none());
    let channels: Vec<&str> = got
        .iter()
        .skip(2)
        .take(3)
        .map(|d| d.channel.as_str())
        .collect();
    assert_eq!(channels, ["email", "ticket", "chat"]);
    // The reason never echoes the payload back beyond what the answer said.
    assert!(
        got.iter()
            .all(|d| !d.reason.as_deref().unwrap_or("").contains(&long))
    );

    let b_got = deliveries(&app, &admin, b.id).await;
    assert_eq!(
        b_got.len(),
        1,
        "team B's log holds only its own: {b_got:#?}"
    );
    assert_eq!(b_got[0].outcome, DeliveryOutcome::Accepted);

    let list: Vec<IntegrationSummary> = app.get_as("/api/v1/integrations", &admin).await;
    for i in &list {
        assert!(i.last_used_at.is_some(), "{} used", i.name);
        let age = agentdesk_server::clock::now() - i.last_used_at.unwrap();
        assert!(age.num_seconds().abs() < 60, "{} just now", i.name);
    }

    // Who may read it.
    for who in ["agent_a", "super_a"] {
        let t = app.token(who).await;
        let res = app
            .call(
                Method::GET,
                &format!("/api/v1/integrations/{}/deliveries", a.id),
                Some(&t),
                None::<&()>,
            )
            .await;
        expect_error(res, StatusCode::FORBIDDEN).await;
    }
    let res = app
        .call(
            Method::GET,
            "/api/v1/integrations/987654/deliveries",
            Some(&admin),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let res = app
        .call(
            Method::GET,
            "/api/v1/integrations/x/deliveries",
            Some(&admin),
            None::<&()>,
        )
        .await;
    assert!(res.status().is_client_error());
}

#[tokio::test]
async fn only_the_newest_hundred_deliveries_are_kept() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let a = create(&app, &admin, "busy", app.team_a).await;
    for n in 0..110 {
        let id = format!("k-{n}");
        assert_eq!(
            send(&app, &a.token, "/api/v1/ingest/sms", &sms(&id, "x")).await,
            201
        );
        if n % 25 == 0 {
            // Written in several batches, as the writer does about once a second.
            deliveries(&app, &admin, a.id).await;
        }
    }
    let got = deliveries(&app, &admin, a.id).await;
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|d| d.outcome == DeliveryOutcome::Accepted));
}

#[tokio::test]
async fn the_configured_mailboxes_show_their_last_poll_and_error_never_a_password() {
    use agentdesk_protocol::MailboxStatus;
    let unreachable: agentdesk_server::ingest::imap::MailboxUrl =
        "imap://soporte:hunter2-imap@127.0.0.1:9/INBOX?team=Team%20A"
            .parse()
            .unwrap();
    let no_team: agentdesk_server::ingest::imap::MailboxUrl =
        "imap://ventas:hunter3-imap@127.0.0.1:9/INBOX?team=Nadie"
            .parse()
            .unwrap();
    let app = TestApp::spawn_with(agentdesk_server::config::ServeConfig {
        imap_mailboxes: vec![unreachable, no_team],
        imap_poll_secs: 1,
        ..Default::default()
    })
    .await;
    let admin = app.token("admin").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let list = loop {
        let res = app
            .call(Method::GET, "/api/v1/mailboxes", Some(&admin), None::<&()>)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        assert!(!text.contains("hunter"), "never a password: {text}");
        let list: Vec<MailboxStatus> = serde_json::from_str(&text).unwrap();
        if list.iter().all(|m| m.last_poll_at.is_some()) {
            break list;
        }
        assert!(std::time::Instant::now() < deadline, "not polled: {list:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].mailbox, "imap://soporte@127.0.0.1:9/INBOX");
    assert_eq!(list[0].team, "Team A");
    assert!(
        list[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("connecting")),
        "{list:?}"
    );
    assert!(
        list[1]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("no team named")),
        "{list:?}"
    );
    assert!(
        list.iter()
            .all(|m| m.last_ok_at.is_none() && m.fetched == 0)
    );
    for who in ["agent_a", "super_a"] {
        let t = app.token(who).await;
        let res = app
            .call(Method::GET, "/api/v1/mailboxes", Some(&t), None::<&()>)
            .await;
        expect_error(res, StatusCode::FORBIDDEN).await;
    }
}
