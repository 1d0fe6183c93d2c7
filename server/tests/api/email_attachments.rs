//! Files attached to outbound e-mail (docs/email.md): uploaded to a draft, listed on the
//! timeline, downloaded as they were, sent byte for byte to a real SMTP server on a
//! loopback port; hostile files of every kind refused with their reason and nothing
//! kept; the configured total held even by two uploads at once; a draft's files its
//! author's, a message's files its team's.

use agentdesk_protocol::email_files::MAX_FILES;
use agentdesk_protocol::{ActivityDetail, ActivityPage, EmailStatus};
use agentdesk_server::config::ServeConfig;
use agentdesk_server::events::EventHub;
use agentdesk_server::outbox::Outbox;
use chrono::{Duration, Utc};
use mail_parser::MimeHeaders;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::outbound_email::{identity, read, written};
use crate::smtp;
use crate::support::{TestApp, expect_error};

/// A server that sends only when a test says so, its messages' files limited to `max`.
pub(crate) async fn app_limited(max: u64) -> TestApp {
    TestApp::spawn_with(ServeConfig {
        outbound_allow_private: true,
        outbox_check_secs: 0,
        email_attachments_max_bytes: max,
        ..Default::default()
    })
    .await
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    id: i64,
    name: &str,
    content_type: Option<&str>,
    data: Vec<u8>,
) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url(&format!(
            "/api/v1/emails/{id}/attachments?name={}",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        )))
        .bearer_auth(token)
        .body(data);
    if let Some(t) = content_type {
        req = req.header("content-type", t);
    }
    req.send().await.expect("upload")
}

pub(crate) async fn attached(
    app: &TestApp,
    token: &str,
    id: i64,
    name: &str,
    t: &str,
    data: &[u8],
) -> i64 {
    let res = upload(app, token, id, name, Some(t), data.to_vec()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{name}");
    let v: Value = res.json().await.expect("file");
    assert_eq!(v["name"], name.trim());
    assert_eq!(v["size"], data.len());
    v["id"].as_i64().expect("id")
}

pub(crate) async fn draft(app: &TestApp, token: &str) -> i64 {
    written(
        app,
        token,
        json!({ "to": "ana@example.com", "subject": "Presupuesto", "body": "Adjunto el presupuesto." }),
    )
    .await
    .activity_id
}

/// The files the timeline lists for activity `id`: (name, type, size).
async fn listed(app: &TestApp, token: &str, id: i64) -> Vec<(String, String, u64)> {
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=email", app.contact_a),
            token,
        )
        .await;
    let item = page
        .items
        .iter()
        .find(|i| i.id == id)
        .expect("on the timeline");
    match &item.detail {
        ActivityDetail::Email {
            content: Some(c), ..
        } => c
            .attachments
            .iter()
            .map(|a| (a.name.clone(), a.content_type.clone(), a.size))
            .collect(),
        other => panic!("{other:?}"),
    }
}

/// An upload of `len` bytes in chunks, without a `Content-Length` (as a browser
/// streaming a file may send it): the answer's status line.
async fn chunked_upload(app: &TestApp, token: &str, id: i64, len: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = url::Url::parse(&app.url("/")).expect("base");
    let addr = format!(
        "{}:{}",
        base.host_str().expect("host"),
        base.port().expect("port")
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/emails/{id}/attachments?name=flujo.bin HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.expect("head");
    for chunk in binary(len).chunks(1000) {
        // The server may answer (and stop reading) before the last chunk.
        let mut part = format!("{:x}\r\n", chunk.len()).into_bytes();
        part.extend_from_slice(chunk);
        part.extend_from_slice(b"\r\n");
        if s.write_all(&part).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// Every byte value, many times: a file no text transformation leaves alone.
pub(crate) fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

#[tokio::test]
async fn files_are_listed_downloaded_and_sent_byte_for_byte_after_the_text() {
    let (smtp, url) = smtp::start().await;
    let app = app_limited(10 * 1024 * 1024).await;
    identity(&app, &url).await;
    let token = app.token("mailer_a").await;
    let id = draft(&app, &token).await;

    let pdf = {
        let mut d = b"%PDF-1.7\n".to_vec();
        d.extend(binary(300_000));
        d
    };
    let pdf_id = attached(
        &app,
        &token,
        id,
        "Presupuesto año 2027.pdf",
        "application/pdf",
        &pdf,
    )
    .await;
    let txt_id = attached(&app, &token, id, "borrar.txt", "text/plain", b"fuera").await;
    let csv = "id;nombre\r\n1;Ñandú\r\n".as_bytes();
    attached(
        &app,
        &token,
        id,
        "  datos.csv ",
        "Text/CSV; charset=utf-8",
        csv,
    )
    .await;

    // Removed while a draft: gone from the message, the timeline and the store.
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/emails/{id}/attachments/{txt_id}"),
            Some(&token),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let mail = read(&app, &token, id).await;
    let names: Vec<_> = mail.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Presupuesto año 2027.pdf", "datos.csv"]);
    assert_eq!(mail.attachments[1].content_type, "text/csv");
    assert_eq!(
        listed(&app, &token, id).await,
        [
            (
                "Presupuesto año 2027.pdf".into(),
                "application/pdf".into(),
                pdf.len() as u64
            ),
            ("datos.csv".into(), "text/csv".into(), csv.len() as u64),
        ]
    );

    // Downloaded as uploaded, to be saved rather than shown.
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/emails/{id}/attachments/{pdf_id}"),
            Some(&token),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let disposition = h["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("filename*=UTF-8''Presupuesto%20a%C3%B1o%202027%2Epdf"),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());

    // Sent: the text, then each file, byte for byte, under its own name.
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/emails/{id}"),
            Some(&token),
            Some(&json!({ "to": "ana@example.com", "subject": "Presupuesto",
                          "body": "Adjunto el presupuesto.", "send": true })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let outbox = Outbox::new(app.store.clone(), EventHub::default(), None, true);
    assert_eq!(
        outbox
            .run_due(Utc::now() + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(read(&app, &token, id).await.status, EmailStatus::Sent);
    let got = smtp.messages();
    assert_eq!(got.len(), 1);
    let parsed = mail_parser::MessageParser::default()
        .parse(got[0].data.as_bytes())
        .expect("a message");
    assert_eq!(
        parsed.content_type().map(|c| (c.ctype(), c.subtype())),
        Some(("multipart", Some("mixed")))
    );
    assert_eq!(
        parsed
            .body_text(0)
            .map(|t| t.trim_end().to_owned())
            .as_deref(),
        Some("Adjunto el presupuesto.")
    );
    assert!(
        parsed
            .body_html(0)
            .is_some_and(|h| h.contains("Adjunto el presupuesto."))
    );
    let files: Vec<_> = parsed
        .attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap_or("").to_owned(),
                a.content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))),
                a.contents().to_vec(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            (
                "Presupuesto año 2027.pdf".to_owned(),
                Some("application/pdf".to_owned()),
                pdf.clone()
            ),
            (
                "datos.csv".to_owned(),
                Some("text/csv".to_owned()),
                csv.to_vec()
            ),
        ]
    );

    // Sent: its files are what went, for good.
    let res = upload(
        &app,
        &token,
        id,
        "tarde.txt",
        Some("text/plain"),
        b"x".to_vec(),
    )
    .await;
    expect_error(res, StatusCode::CONFLICT).await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/emails/{id}/attachments/{pdf_id}"),
            Some(&token),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::CONFLICT).await;
    assert_eq!(read(&app, &token, id).await.attachments.len(), 2);
}

/// A file to upload (name, declared type, bytes) and the status and field refusing it.
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    Vec<u8>,
    StatusCode,
    Option<&'a str>,
);

#[tokio::test]
async fn hostile_files_are_refused_with_their_reason_and_nothing_is_kept() {
    let app = app_limited(4096).await;
    identity(&app, "smtp://127.0.0.1:9").await;
    let token = app.token("mailer_a").await;
    let id = draft(&app, &token).await;
    let good = attached(&app, &token, id, "bueno.txt", "text/plain", b"hola").await;

    let long = "n".repeat(201);
    let mut exe = b"MZ\x90\x00\x03".to_vec();
    exe.extend(binary(100));
    let cases: Vec<Case> = vec![
        (
            "../../etc/passwd",
            Some("text/plain"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "..\\boot.ini",
            Some("text/plain"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "a\r\nContent-Type: text/html.txt",
            Some("text/plain"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "nul\0.txt",
            Some("text/plain"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "factura\u{202E}fdp.exe",
            Some("application/pdf"),
            b"%PDF".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "factura.pdf.exe",
            Some("application/pdf"),
            b"%PDF".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "script.JS",
            Some("text/plain"),
            b"alert(1)".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "x.pdf.",
            Some("application/pdf"),
            b"%PDF".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "",
            Some("text/plain"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            &long,
            Some("text/plain"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "foto.jpg",
            Some("image/jpeg"),
            exe.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("file"),
        ),
        (
            "notas.txt",
            Some("text/plain"),
            b"#!/bin/sh\nrm -rf /".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("file"),
        ),
        (
            "setup.txt",
            Some("application/x-msdownload"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("content_type"),
        ),
        (
            "raro.txt",
            Some("pdf"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("content_type"),
        ),
        (
            "raro.txt",
            Some("text/pl ain"),
            b"x".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("content_type"),
        ),
        (
            "vacio.txt",
            Some("text/plain"),
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("file"),
        ),
        (
            "grande.bin",
            None,
            binary(5000),
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("file"),
        ),
        // Within the limit alone, past it with the file already attached.
        (
            "justo.bin",
            None,
            binary(4093),
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("file"),
        ),
    ];
    for (name, t, data, status, field) in cases {
        let res = upload(&app, &token, id, name, t, data).await;
        let body = expect_error(res, status).await;
        assert_eq!(body.error.field.as_deref(), field, "{name:?}: {body:?}");
    }
    // No name at all, and a name that is not UTF-8: refused, not a server error.
    let res = app
        .http
        .post(app.url(&format!("/api/v1/emails/{id}/attachments")))
        .bearer_auth(&token)
        .body("x")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .http
        .post(app.url(&format!("/api/v1/emails/{id}/attachments?name=%FF%FE.txt")))
        .bearer_auth(&token)
        .body("x")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;

    // A body sent without its length is read only up to the limit, then refused.
    let status = chunked_upload(&app, &token, id, 6000).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");

    // What fits is taken: up to the byte, and no more than the count.
    attached(
        &app,
        &token,
        id,
        "justo.bin",
        "application/octet-stream",
        &binary(4092),
    )
    .await;
    let mail = read(&app, &token, id).await;
    assert_eq!(mail.attachments.len(), 2);
    assert_eq!(mail.attachments[0].id, good);
    assert_eq!(
        listed(&app, &token, id).await.len(),
        2,
        "the timeline lists what was kept, only"
    );

    let many = draft(&app, &token).await;
    for i in 0..MAX_FILES {
        attached(&app, &token, many, &format!("f{i}.txt"), "text/plain", b"1").await;
    }
    let res = upload(
        &app,
        &token,
        many,
        "otro.txt",
        Some("text/plain"),
        b"1".to_vec(),
    )
    .await;
    let body = expect_error(res, StatusCode::CONFLICT).await;
    assert_eq!(body.error.field.as_deref(), Some("file"));
    assert_eq!(read(&app, &token, many).await.attachments.len(), MAX_FILES);
}
