//! IMAP mailboxes set in the console, against a real Dovecot: polled for their team (and
//! only that team) without a restart, tested step by step, changed and removed with the
//! pollers following; the password never returned or logged in the audit; every class of
//! bad input refused with its field named and nothing stored; private addresses refused
//! unless the server allows them — typed in or resolved.

use std::time::Duration;

use agentdesk_protocol::{ContactList, MailboxCheck, MailboxStatus, MailboxStep};
use agentdesk_server::config::ServeConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::dovecot::{Dovecot, PASS, USER};
use crate::imap::fixture;
use crate::support::{TestApp, expect_error};

async fn list(app: &TestApp, admin: &str) -> (Vec<MailboxStatus>, String) {
    let res = app
        .call(Method::GET, "/api/v1/mailboxes", Some(admin), None::<&()>)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

/// `body` sent to a mailbox route as `token`.
async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: impl serde::Serialize,
) -> reqwest::Response {
    app.call(method, path, Some(token), Some(&body)).await
}

async fn test_now(app: &TestApp, admin: &str, id: i64) -> MailboxCheck {
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/mailboxes/{id}/test"),
            Some(admin),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// Contacts `user` finds by `q`.
async fn found(app: &TestApp, user: &str, q: &str) -> usize {
    let t = app.token(user).await;
    let l: ContactList = app.get_as(&format!("/api/v1/contacts?q={q}"), &t).await;
    l.items.len()
}

/// Wait (up to 15 s) until `done` holds.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..150 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 15 s");
}

#[tokio::test]
async fn a_console_mailbox_is_polled_for_its_team_only_followed_when_changed_and_never_shows_its_password()
 {
    let mail = Dovecot::start();
    let app = TestApp::spawn_with(ServeConfig {
        outbound_allow_private: true,
        imap_poll_secs: 1,
        ..Default::default()
    })
    .await;
    let admin = app.token("admin").await;
    mail.deliver(&fixture("email/01-inbound-plain.eml")).await;

    // Team B's mailbox: its mail reaches team B, never team A (who shares no contact).
    let res = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({"team_id": app.team_b, "host": "127.0.0.1", "port": mail.port,
                "tls": false, "username": USER, "password": PASS}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let text = res.text().await.unwrap();
    assert!(!text.contains(PASS), "{text}");
    let created: MailboxStatus = serde_json::from_str(&text).unwrap();
    let id = created.id.expect("a console mailbox has an id");
    let s = created.settings.expect("its settings");
    assert_eq!(
        (s.team_id, s.port, s.tls, s.folder.as_str(), s.active),
        (app.team_b, mail.port, false, "INBOX", true)
    );
    assert_eq!(created.team, "Team B");
    eventually("team B's mail in", || async {
        found(&app, "agent_b", "sofia").await == 1
    })
    .await;
    assert_eq!(
        found(&app, "agent_a", "sofia").await,
        0,
        "team A sees none of it"
    );

    let (all, text) = list(&app, &admin).await;
    assert!(!text.contains(PASS), "{text}");
    let m = all.iter().find(|m| m.id == Some(id)).unwrap();
    assert!(m.last_ok_at.is_some() && m.last_error.is_none(), "{m:?}");
    assert_eq!(m.fetched, 1);
    let ok = test_now(&app, &admin, id).await;
    assert_eq!((ok.ok, ok.step, ok.messages), (true, None, Some(1)));

    // A wrong password: the test names the login step; the restarted poller fails there
    // too; neither says the password.
    let res = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/mailboxes/{id}"),
        &json!({"team_id": app.team_b, "host": "127.0.0.1", "port": mail.port,
                "tls": false, "username": USER, "password": "wrong-pass-987"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let bad = test_now(&app, &admin, id).await;
    assert_eq!((bad.ok, bad.step), (false, Some(MailboxStep::Login)));
    let why = bad.error.unwrap();
    assert!(
        why.contains("logging in") && !why.contains("wrong-pass"),
        "{why}"
    );
    eventually("the poller's login error", || async {
        let (all, _) = list(&app, &admin).await;
        all.iter()
            .find(|m| m.id == Some(id))
            .and_then(|m| m.last_error.clone())
            .is_some_and(|e| e.contains("logging in") && !e.contains("wrong-pass"))
    })
    .await;

    // The right password again, and moved to team A; then an edit without a password
    // keeps the stored one. New mail goes to team A from then on.
    let res = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/mailboxes/{id}"),
        &json!({"team_id": app.team_a, "host": "127.0.0.1", "port": mail.port,
                "tls": false, "username": USER, "password": PASS}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/mailboxes/{id}"),
        &json!({"team_id": app.team_a, "host": "127.0.0.1", "port": mail.port,
                "tls": false, "username": USER}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "the password kept");
    assert!(test_now(&app, &admin, id).await.ok);
    mail.deliver(&fixture("email/02-inbound-multipart.eml"))
        .await;
    eventually("team A's mail in", || async {
        found(&app, "agent_a", "smith").await == 1
    })
    .await;
    assert_eq!(found(&app, "agent_b", "smith").await, 0);

    // Inactive: not polled. Deleted: gone, and its id unknown.
    let res = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/mailboxes/{id}"),
        &json!({"team_id": app.team_a, "host": "127.0.0.1", "port": mail.port,
                "tls": false, "username": USER, "active": false}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let late = String::from_utf8(fixture("email/01-inbound-plain.eml"))
        .unwrap()
        .replace("<cuenta-001@example.mx>", "<cuenta-009@example.mx>")
        .replace("sofia", "lucia");
    mail.deliver(late.as_bytes()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        found(&app, "agent_a", "lucia").await,
        0,
        "an inactive mailbox is not read"
    );
    // Active again: it goes on from where it stopped.
    let res = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/mailboxes/{id}"),
        &json!({"team_id": app.team_a, "host": "127.0.0.1", "port": mail.port,
                "tls": false, "username": USER, "active": true}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    eventually("the paused mail read", || async {
        found(&app, "agent_a", "lucia").await == 1
    })
    .await;
    // Deleted while active: its poller stops.
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/mailboxes/{id}"),
            Some(&admin),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(list(&app, &admin).await.0.is_empty());
    let after = String::from_utf8(fixture("email/01-inbound-plain.eml"))
        .unwrap()
        .replace("<cuenta-001@example.mx>", "<cuenta-010@example.mx>")
        .replace("sofia", "marta");
    mail.deliver(after.as_bytes()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        found(&app, "agent_a", "marta").await,
        0,
        "a deleted mailbox is not read"
    );
    for (method, path) in [
        (Method::DELETE, format!("/api/v1/mailboxes/{id}")),
        (Method::POST, format!("/api/v1/mailboxes/{id}/test")),
    ] {
        expect_error(
            app.call(method, &path, Some(&admin), None::<&()>).await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }

    // Every change audited, never with the password.
    let res = app
        .call(
            Method::GET,
            "/api/v1/audit?limit=100",
            Some(&admin),
            None::<&()>,
        )
        .await;
    let audit = res.text().await.unwrap();
    for action in ["mailbox.create", "mailbox.update", "mailbox.delete"] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
    assert!(!audit.contains(PASS) && !audit.contains("wrong-pass"));
}

#[tokio::test]
async fn bad_mailboxes_are_refused_with_their_field_and_nothing_is_stored() {
    let env_mailbox: agentdesk_server::ingest::imap::MailboxUrl =
        "imaps://soporte:pw@imap.acme.example/INBOX?team=Team%20A"
            .parse()
            .unwrap();
    let app = TestApp::spawn_with(ServeConfig {
        imap_mailboxes: vec![env_mailbox],
        ..Default::default()
    })
    .await;
    let admin = app.token("admin").await;
    let good = json!({"team_id": app.team_a, "host": "imap.example.com",
        "username": "soporte@example.com", "password": "a password"});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let long = "x".repeat(300);
    let cases: Vec<(Value, &str)> = vec![
        (with("team_id", json!(999_999)), "team_id"),
        (with("host", json!("")), "host"),
        (with("host", json!("   ")), "host"),
        (with("host", json!("imaps://imap.example.com")), "host"),
        (with("host", json!("user@imap.example.com")), "host"),
        (with("host", json!("imap.example.com:993")), "host"),
        (with("host", json!("imap.example.com/INBOX")), "host"),
        (with("host", json!("imap example.com")), "host"),
        (with("host", json!("imap.example.com\r\nX: y")), "host"),
        (
            with("host", json!(format!("{}.com", "a".repeat(260)))),
            "host",
        ),
        // Private and loopback addresses, typed in: not without --outbound-allow-private.
        (with("host", json!("10.0.0.5")), "host"),
        (with("host", json!("127.0.0.1")), "host"),
        (with("host", json!("[::1]")), "host"),
        (with("host", json!("169.254.169.254")), "host"),
        // Plain IMAP to another machine sends the password in the clear.
        (with("tls", json!(false)), "tls"),
        (with("port", json!(0)), "port"),
        (with("port", json!(70_000)), "port"),
        // Other spellings of this machine and of private networks.
        (with("host", json!("::ffff:127.0.0.1")), "host"),
        (with("host", json!("0.0.0.0")), "host"),
        (with("host", json!("127.1")), "host"),
        (with("host", json!("2130706433")), "host"),
        (with("host", json!("64:ff9b::a00:1")), "host"),
        (with("host", json!("fec0::1")), "host"),
        (without("password"), "password"),
        (with("password", json!("")), "password"),
        (with("password", json!("line\r\nbreak")), "password"),
        (with("password", json!(long)), "password"),
        (with("username", json!("   ")), "username"),
        (with("username", json!(long)), "username"),
        (with("folder", json!("IN\u{0}BOX")), "folder"),
        (with("folder", json!(long)), "folder"),
    ];
    for (body, field) in &cases {
        let res = app
            .call(Method::POST, "/api/v1/mailboxes", Some(&admin), Some(body))
            .await;
        let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e.error.field.as_deref(), Some(*field), "{body}: {e:?}");
        assert!(!e.error.message.contains("a password"), "{e:?}");
    }
    // Not JSON of the shape: an error in the one shape, nothing stored.
    for body in [
        with("port", json!(-1)),
        with("port", json!("993")),
        with("tls", json!("yes")),
        with("surprise", json!(1)),
        without("host"),
        json!([]),
    ] {
        let res = app
            .call(Method::POST, "/api/v1/mailboxes", Some(&admin), Some(&body))
            .await;
        assert!(res.status().is_client_error(), "{body}");
        let e: agentdesk_protocol::ErrorBody = res.json().await.unwrap();
        assert!(!e.error.message.is_empty());
    }

    // One good one; the same account and folder again (the host in other case) is a
    // conflict, as is the environment's own mailbox.
    let res = app
        .call(Method::POST, "/api/v1/mailboxes", Some(&admin), Some(&good))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<MailboxStatus>().await.unwrap().id.unwrap();
    for body in [
        with("host", json!("IMAP.Example.COM")),
        with("host", json!("imap.example.com.")),
        with("folder", json!("inbox")),
        json!({"team_id": app.team_b, "host": "imap.acme.example", "username": "soporte", "password": "x"}),
    ] {
        let res = app
            .call(Method::POST, "/api/v1/mailboxes", Some(&admin), Some(&body))
            .await;
        expect_error(res, StatusCode::CONFLICT).await;
    }
    // The stored password goes nowhere new: another server, port, TLS or user needs it
    // typed again.
    for change in [
        json!({"host": "imap.other.example"}),
        json!({"port": 1993}),
        json!({"username": "otro@example.com"}),
    ] {
        let mut body = without("password");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = send(
            &app,
            &admin,
            Method::PUT,
            &format!("/api/v1/mailboxes/{id}"),
            &body,
        )
        .await;
        let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e.error.field.as_deref(), Some("password"), "{change}");
    }
    let res = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/mailboxes/{id}"),
        &{
            let mut b = without("password");
            b["active"] = json!(false);
            b
        },
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the same account keeps its password"
    );
    // An edit is checked the same way, and an unknown id is 404.
    let res = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/mailboxes/{id}"),
        &with("password", json!("")),
    )
    .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = send(&app, &admin, Method::PUT, "/api/v1/mailboxes/999999", &good).await;
    expect_error(res, StatusCode::NOT_FOUND).await;

    // Supervisors and agents: nothing here. No session: 401.
    for user in ["super_a", "agent_a"] {
        let t = app.token(user).await;
        let res = app
            .call(Method::POST, "/api/v1/mailboxes", Some(&t), Some(&good))
            .await;
        expect_error(res, StatusCode::FORBIDDEN).await;
        let res = app
            .call(Method::GET, "/api/v1/mailboxes", Some(&t), None::<&()>)
            .await;
        expect_error(res, StatusCode::FORBIDDEN).await;
    }
    let res = app
        .call(Method::GET, "/api/v1/mailboxes", None, None::<&()>)
        .await;
    expect_error(res, StatusCode::UNAUTHORIZED).await;

    // The environment's mailbox (no id) and the one console mailbox: nothing else.
    let (all, text) = list(&app, &admin).await;
    assert_eq!(all.len(), 2, "{text}");
    assert_eq!((all[0].id, all[1].id), (None, Some(id)));
    assert!(
        !text.contains("a password") && !text.contains(":pw@"),
        "{text}"
    );
}

#[tokio::test]
async fn a_host_name_that_resolves_to_a_private_address_is_refused_when_connecting() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    // `localhost` is a name: accepted when saved, refused when resolved.
    let res = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({"team_id": app.team_a, "host": "localhost", "username": "u",
                "password": "p", "active": false}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<MailboxStatus>().await.unwrap().id.unwrap();
    let check = test_now(&app, &admin, id).await;
    assert_eq!((check.ok, check.step), (false, Some(MailboxStep::Resolve)));
    assert!(
        check
            .error
            .as_deref()
            .unwrap_or("")
            .contains("private address"),
        "{check:?}"
    );
}

#[tokio::test]
async fn two_instances_poll_a_console_mailbox_once_and_show_the_same() {
    let mail = Dovecot::start();
    let config = || ServeConfig {
        outbound_allow_private: true,
        imap_poll_secs: 1,
        ..Default::default()
    };
    let app = TestApp::spawn_with(config()).await;
    let admin = app.token("admin").await;
    let res = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/mailboxes",
        &json!({"team_id": app.team_a, "host": "127.0.0.1", "port": mail.port,
                "tls": false, "username": USER, "password": PASS}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // The second instance reads the mailbox at its start and polls it too — unless the
    // first holds its lease.
    let other = app.another_instance(config()).await;
    mail.deliver(&fixture("email/01-inbound-plain.eml")).await;
    mail.deliver(&fixture("email/02-inbound-multipart.eml"))
        .await;
    eventually("both messages in", || async {
        found(&app, "agent_a", "sofia").await == 1 && found(&app, "agent_a", "smith").await == 1
    })
    .await;
    // Several rounds of both instances' pollers.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (here, _) = list(&app, &admin).await;
    let there: Vec<MailboxStatus> = reqwest::Client::new()
        .get(format!("{other}/api/v1/mailboxes"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(here, there, "every instance shows the same");
    assert_eq!(here[0].fetched, 2, "each message fetched once: {here:?}");
    assert!(here[0].last_poll_at.is_some() && here[0].last_error.is_none());
}

#[tokio::test]
async fn a_lease_is_one_instances_until_it_expires_and_only_for_the_current_settings() {
    use agentdesk_server::store::mailboxes::NewMailbox;
    // The store alone: a running server's pollers would claim the mailbox themselves.
    let db = crate::support::TestDb::new().await;
    let store = agentdesk_server::store::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let team = store.create_team("Team A").await.unwrap().id;
    let mut m = NewMailbox {
        team_id: team,
        host: "imap.example.com".into(),
        port: 993,
        tls: true,
        username: "u".into(),
        password: Some("p".into()),
        folder: "INBOX".into(),
        active: true,
    };
    let id = store.create_mailbox(&m).await.unwrap();
    let version = |s: &agentdesk_server::store::DynStore| {
        let s = s.clone();
        async move {
            s.mailboxes()
                .await
                .unwrap()
                .into_iter()
                .find(|x| x.id == id)
                .unwrap()
                .updated_at
        }
    };
    let v = version(&store).await;
    // The server's clock (a fixed one under AGENTDESK_NOW), as the store reads it.
    let now = agentdesk_server::clock::now().timestamp_millis();
    let later = now + 60_000;
    let s = &store;
    assert!(s.claim_mailbox(id, v, "one", later).await.unwrap());
    assert!(
        s.claim_mailbox(id, v, "one", later).await.unwrap(),
        "renewed"
    );
    assert!(!s.claim_mailbox(id, v, "two", later).await.unwrap(), "held");
    assert!(
        !s.claim_mailbox(id, v + 1, "one", later).await.unwrap(),
        "old settings"
    );
    // Expired: the other instance takes it.
    assert!(s.claim_mailbox(id, v, "one", now - 1).await.unwrap());
    assert!(s.claim_mailbox(id, v, "two", later).await.unwrap());
    // New settings free the lease for pollers of the new version only; an inactive
    // mailbox is claimed by no one.
    m.password = None;
    assert!(s.update_mailbox(id, &m).await.unwrap());
    let v2 = version(&store).await;
    assert!(v2 > v);
    assert!(!s.claim_mailbox(id, v, "two", later).await.unwrap());
    assert!(s.claim_mailbox(id, v2, "one", later).await.unwrap());
    m.active = false;
    assert!(s.update_mailbox(id, &m).await.unwrap());
    let v3 = version(&store).await;
    assert!(!s.claim_mailbox(id, v3, "one", later).await.unwrap());
}
