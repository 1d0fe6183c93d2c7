//! The IMAP mailbox connector against a real IMAP server (Dovecot, see `dovecot.rs`).

use std::path::Path;
use std::time::Duration;

use agentdesk_protocol::{ActivityDetail, ActivityPage, ContactList};
use agentdesk_server::config::ServeConfig;
use agentdesk_server::events::EventHub;
use agentdesk_server::ingest::imap::{self, MailboxUrl, PollSummary};

use crate::dovecot::{Dovecot, PASS, USER};
use crate::support::TestApp;

pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .unwrap()
}

async fn poll(
    app: &TestApp,
    mailbox: &MailboxUrl,
    ca: Option<&Path>,
) -> anyhow::Result<PollSummary> {
    let tls = imap::tls_config(ca).unwrap();
    imap::poll_once(&app.store, &EventHub::default(), mailbox, &tls, "UY").await
}

/// The team A contact found by `q`, and its timeline.
pub async fn timeline_of(app: &TestApp, q: &str) -> Option<ActivityPage> {
    let t = app.token("mailer_a").await;
    let list: ContactList = app.get_as(&format!("/api/v1/contacts?q={q}"), &t).await;
    let c = list.items.first()?;
    Some(
        app.get_as(&format!("/api/v1/contacts/{}/activities", c.id), &t)
            .await,
    )
}

pub fn subjects(page: &ActivityPage) -> Vec<String> {
    page.items
        .iter()
        .filter_map(|a| match &a.detail {
            ActivityDetail::Email {
                content: Some(c), ..
            } => Some(c.subject.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn mail_in_the_mailbox_reaches_the_timeline_once_and_bad_messages_are_skipped() {
    let mail = Dovecot::start();
    let app = TestApp::spawn().await;
    let mb = mail.url("Team A");
    mail.deliver(&fixture("email/01-inbound-plain.eml")).await;
    mail.deliver(b"this is not a message at all").await;
    mail.deliver(&fixture("email/02-inbound-multipart.eml"))
        .await;

    let first = poll(&app, &mb, None).await.unwrap();
    assert_eq!(
        first,
        PollSummary {
            fetched: 3,
            imported: 2,
            duplicates: 0,
            rejected: 1,
            bounces: 0
        }
    );
    let sofia = timeline_of(&app, "sofia")
        .await
        .expect("contact from the sender");
    assert_eq!(subjects(&sofia), ["No puedo acceder a mi cuenta"]);
    assert!(matches!(
        sofia.items[0].detail,
        ActivityDetail::Email {
            direction: agentdesk_protocol::Direction::Inbound,
            status: None,
            ..
        }
    ));
    assert!(timeline_of(&app, "smith").await.is_some());

    // Nothing new: nothing fetched. A new message: only it.
    assert_eq!(poll(&app, &mb, None).await.unwrap(), PollSummary::default());
    let later = fixture("email/01-inbound-plain.eml");
    let later = String::from_utf8(later)
        .unwrap()
        .replace("<cuenta-001@example.mx>", "<cuenta-002@example.mx>")
        .replace("No puedo acceder a mi cuenta", "Sigo sin poder entrar");
    mail.deliver(later.as_bytes()).await;
    let second = poll(&app, &mb, None).await.unwrap();
    assert_eq!((second.fetched, second.imported), (1, 1));
    let sofia = timeline_of(&app, "sofia").await.unwrap();
    assert_eq!(
        subjects(&sofia),
        ["Sigo sin poder entrar", "No puedo acceder a mi cuenta"]
    );

    // A lost cursor (or a second server instance) reads everything again: duplicates
    // by Message-ID, nothing stored twice.
    app.store.set_imap_cursor(&mb.key(), 0, 0).await.unwrap();
    let again = poll(&app, &mb, None).await.unwrap();
    assert_eq!(
        again,
        PollSummary {
            fetched: 4,
            imported: 0,
            duplicates: 3,
            rejected: 1,
            bounces: 0
        }
    );
    assert_eq!(timeline_of(&app, "sofia").await.unwrap().total, 2);
    // The mailbox is left as it was: nothing was marked read.
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", mail.port))
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap();
    let mut s = client.login(USER, PASS).await.map_err(|(e, _)| e).unwrap();
    s.select("INBOX").await.unwrap();
    assert_eq!(s.uid_search("UNSEEN").await.unwrap().len(), 4);
}

#[tokio::test]
async fn imaps_trusts_a_configured_private_ca_and_refuses_an_unknown_one() {
    let mail = Dovecot::start();
    let app = TestApp::spawn().await;
    mail.deliver(&fixture("email/02-inbound-multipart.eml"))
        .await;
    let mb = mail.tls_url("Team A");

    let refused = poll(&app, &mb, None).await.unwrap_err();
    assert!(
        format!("{refused:#}").contains("certificate"),
        "{refused:#}"
    );
    assert!(timeline_of(&app, "smith").await.is_none(), "nothing stored");

    let ok = poll(&app, &mb, Some(&mail.ca())).await.unwrap();
    assert_eq!((ok.fetched, ok.imported), (1, 1));
    assert!(timeline_of(&app, "smith").await.is_some());
}

#[tokio::test]
async fn a_wrong_password_or_an_unknown_team_is_a_clear_error_that_never_shows_the_password() {
    let mail = Dovecot::start();
    let app = TestApp::spawn().await;
    let wrong: MailboxUrl = format!(
        "imap://{USER}:not-the-password@127.0.0.1:{}/INBOX?team=Team%20A",
        mail.port
    )
    .parse()
    .unwrap();
    let e = format!("{:#}", poll(&app, &wrong, None).await.unwrap_err());
    assert!(e.contains("logging in"), "{e}");
    assert!(!e.contains("not-the-password"), "{e}");

    let e = format!(
        "{:#}",
        poll(&app, &mail.url("Nobody"), None).await.unwrap_err()
    );
    assert!(e.contains("no team named \"Nobody\""), "{e}");
}

#[tokio::test]
async fn a_server_configured_with_a_mailbox_polls_it_on_its_own() {
    let mail = Dovecot::start();
    let app = TestApp::spawn_with(ServeConfig {
        imap_mailboxes: vec![mail.url("Team A")],
        imap_poll_secs: 1,
        ..Default::default()
    })
    .await;
    mail.deliver(&fixture("email/01-inbound-plain.eml")).await;
    for _ in 0..100 {
        if let Some(page) = timeline_of(&app, "sofia").await {
            assert_eq!(subjects(&page), ["No puedo acceder a mi cuenta"]);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the mail never reached the timeline: {}", mail.log());
}
