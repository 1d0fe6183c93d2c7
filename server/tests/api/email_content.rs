//! E-mail as real mailboxes deliver it: HTML-only bodies searchable word by word,
//! attachments listed on the timeline item (for users who may read e-mail), and a
//! message without a Message-ID recognised when it is delivered again.

use agentdesk_protocol::{
    ActivityDetail, ActivityPage, Attachment, IngestResult, IntegrationCredentials,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

const RAW: &str = "From: Cliente <cliente@example.com>\r\nTo: soporte@example.com\r\n\
Subject: Reclamo\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n\
<div>Factura</div><div>pendiente</div><p>Gracias,<br>Cliente</p>\r\n--b\r\n\
Content-Type: image/png; name=\"captura.png\"\r\n\
Content-Disposition: attachment; filename=\"captura.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n";

async fn send(app: &TestApp, token: &str, raw: &str) -> (StatusCode, IngestResult) {
    let res = app
        .http
        .post(app.url("/api/v1/ingest/email"))
        .bearer_auth(token)
        .json(&json!({ "raw": raw }))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn html_only_mail_is_searchable_by_word_and_lists_its_attachments_to_those_who_may_read_it() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(&admin),
            Some(&json!({ "name": "mail", "team_id": app.team_a })),
        )
        .await;
    let i: IntegrationCredentials = res.json().await.unwrap();
    let (status, first) = send(&app, &i.token, RAW).await;
    assert_eq!(status, StatusCode::CREATED);
    // Delivered again through another relay, with other line ends: the same message.
    let relayed = format!(
        "Received: from relay.example.net; Mon, 2 Mar 2026 10:00:09 +0000\r\n{}",
        RAW.replace("\r\n", "\n")
    );
    let (status, again) = send(&app, &i.token, &relayed).await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.duplicate && again.activity_id == first.activity_id);

    let mailer = app.token("mailer_a").await;
    let path = |q: &str| format!("/api/v1/contacts/{}/activities?{q}", first.contact_id);
    for word in ["pendiente", "factura", "gracias"] {
        let p: ActivityPage = app.get_as(&path(&format!("q={word}")), &mailer).await;
        assert_eq!(p.total, 1, "{word}");
    }
    let p: ActivityPage = app.get_as(&path("q=facturapendiente"), &mailer).await;
    assert_eq!(p.total, 0, "words are not run together");
    let p: ActivityPage = app.get_as(&path(""), &mailer).await;
    match &p.items[0].detail {
        ActivityDetail::Email {
            content: Some(c), ..
        } => assert_eq!(
            c.attachments,
            vec![Attachment {
                name: "captura.png".into(),
                content_type: "image/png".into(),
                size: 8,
            }]
        ),
        other => panic!("{other:?}"),
    }
    // Without the e-mail permission: that an e-mail came, nothing of its content.
    let agent = app.token("agent_a").await;
    let p: ActivityPage = app.get_as(&path(""), &agent).await;
    assert!(
        matches!(
            &p.items[0].detail,
            ActivityDetail::Email { content: None, .. }
        ),
        "{:?}",
        p.items[0].detail
    );
    assert!(!serde_json::to_string(&p).unwrap().contains("captura"));
}
