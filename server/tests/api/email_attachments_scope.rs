//! Files of outbound e-mail under concurrency and team scoping (docs/email.md): two
//! uploads at once never pass the configured total together (on PostgreSQL the draft's
//! row lock decides; SQLite's one writer serialises them anyway); a draft's files are its
//! author's to change, a message's files its team's to read, and they go with the draft.

use reqwest::{Method, StatusCode};

use crate::email_attachments::{app_limited, attached, binary, draft, upload};
use crate::outbound_email::{identity, read};
use crate::support::expect_error;

#[tokio::test]
async fn two_uploads_at_once_never_pass_the_limit_together() {
    let app = app_limited(1000).await;
    identity(&app, "smtp://127.0.0.1:9").await;
    let token = app.token("mailer_a").await;
    for round in 0..5 {
        let id = draft(&app, &token).await;
        let (a, b) = tokio::join!(
            upload(&app, &token, id, "a.bin", None, binary(600)),
            upload(&app, &token, id, "b.bin", None, binary(600)),
        );
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::PAYLOAD_TOO_LARGE],
            "round {round}"
        );
        assert_eq!(read(&app, &token, id).await.attachments.len(), 1);
    }
}

#[tokio::test]
async fn a_drafts_files_are_its_authors_and_a_messages_files_its_teams() {
    let app = app_limited(1 << 20).await;
    identity(&app, "smtp://127.0.0.1:9").await;
    let mailer = app.token("mailer_a").await;
    let id = draft(&app, &mailer).await;
    let file = attached(
        &app,
        &mailer,
        id,
        "contrato.txt",
        "text/plain",
        b"secreto de A",
    )
    .await;
    let path = format!("/api/v1/emails/{id}/attachments/{file}");

    // A supervisor of the team reads it, but the draft is not theirs to change.
    let sup = app.token("super_a").await;
    let res = app.call(Method::GET, &path, Some(&sup), None::<&()>).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"secreto de A");
    let res = upload(
        &app,
        &sup,
        id,
        "otro.txt",
        Some("text/plain"),
        b"x".to_vec(),
    )
    .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let res = app
        .call(Method::DELETE, &path, Some(&sup), None::<&()>)
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;

    // Another team's agent finds nothing; an agent without e-mail may not ask.
    let b = app.token("agent_b").await;
    for (method, token, status) in [
        (Method::GET, &b, StatusCode::NOT_FOUND),
        (Method::DELETE, &b, StatusCode::NOT_FOUND),
        (
            Method::GET,
            &app.token("agent_a").await,
            StatusCode::FORBIDDEN,
        ),
    ] {
        let res = app
            .call(method.clone(), &path, Some(token), None::<&()>)
            .await;
        let text = expect_error(res, status).await.error.message;
        assert!(!text.contains("secreto"), "{method} {text}");
    }
    let res = upload(&app, &b, id, "x.txt", Some("text/plain"), b"x".to_vec()).await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    // A file id of another message is not this message's.
    let other = draft(&app, &mailer).await;
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/emails/{other}/attachments/{file}"),
            Some(&mailer),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;

    // Discarding the draft deletes its files with it.
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/emails/{id}"),
            Some(&mailer),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(app.store.mail_files(id).await.unwrap().is_empty());
    let res = app
        .call(Method::GET, &path, Some(&mailer), None::<&()>)
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
}
