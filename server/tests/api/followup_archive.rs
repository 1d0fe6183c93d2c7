//! Follow-ups moved between installations as a zip archive: through the API and the
//! command line; secrets never leave; every bad archive is refused whole with the file
//! and field named, and nothing is created.

use std::io::{Cursor, Read, Write};
use std::process::Command;

use agentdesk_protocol::followup::{FollowUp, ImportReport};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::followups::{app, create, spec};
use crate::support::{TestApp, exec_sql, expect_error};

async fn export(app: &TestApp, admin: &str, query: &str) -> Vec<u8> {
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/followups/export{query}"),
            Some(admin),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    res.bytes().await.unwrap().to_vec()
}

async fn import(app: &TestApp, admin: &str, zip: Vec<u8>) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/followups/import"))
        .bearer_auth(admin)
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap()
}

/// Every file of an archive, unpacked: (name, text).
fn unpack(zip: &[u8]) -> Vec<(String, String)> {
    let mut a = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (f.name().to_string(), text)
        })
        .collect()
}

/// An archive of these files.
fn pack(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

async fn count(app: &TestApp, admin: &str) -> usize {
    app.get_as::<Vec<FollowUp>>("/api/v1/followups", admin)
        .await
        .len()
}

#[tokio::test]
async fn an_export_imports_elsewhere_inactive_without_its_secrets() {
    let source = app().await;
    let admin = source.token("admin").await;
    let mut a = spec("https://itsm.example.com", source.team_a);
    let first = create(&source, &admin, &a).await;
    a["name"] = json!("Resolved, not closed");
    a["channel"] = json!("webhook");
    a["webhook_url"] = json!("https://hooks.example.com/T0/B0/secret-path");
    create(&source, &admin, &a).await;

    let zip = export(&source, &admin, "").await;
    let files = unpack(&zip);
    assert_eq!(files.len(), 2);
    for (name, text) in &files {
        assert!(name.ends_with(".json"), "{name}");
        assert!(
            !text.contains("s3cret") && !text.contains("secret-path"),
            "{text}"
        );
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["format"], "agentdesk-followup/1");
        assert!(
            v["secrets_needed"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "calls[0].headers[0].value")
        );
    }
    // Only those asked for.
    assert_eq!(
        unpack(&export(&source, &admin, &format!("?ids={}", first.id)).await).len(),
        1
    );
    let res = source
        .call(
            Method::GET,
            "/api/v1/followups/export?ids=1,x",
            Some(&admin),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;

    // Another installation: both created, inactive, waiting for their secrets.
    let target = app().await;
    let admin_t = target.token("admin").await;
    let res = import(&target, &admin_t, zip.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let report: ImportReport = res.json().await.unwrap();
    assert_eq!(report.created.len(), 2);
    assert!(report.conflicts.is_empty());
    let listed: Vec<FollowUp> = target.get_as("/api/v1/followups", &admin_t).await;
    assert!(
        listed
            .iter()
            .all(|f| !f.spec.active && f.needs_secrets && f.next_poll_at.is_none())
    );
    // Turning one on without its secret is refused, naming it.
    let mut on = serde_json::to_value(&listed[0].spec).unwrap();
    on["active"] = json!(true);
    let res = target
        .call(
            Method::PUT,
            &format!("/api/v1/followups/{}", listed[0].id),
            Some(&admin_t),
            Some(&on),
        )
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(e.error.field.is_some());

    // Again: every name is taken; reported, nothing created twice.
    let res = import(&target, &admin_t, zip).await;
    assert_eq!(res.status(), StatusCode::OK);
    let report: ImportReport = res.json().await.unwrap();
    assert!(report.created.is_empty());
    assert_eq!(report.conflicts.len(), 2);
    assert_eq!(count(&target, &admin_t).await, 2);
    // Admins only.
    let agent = target.token("super_a").await;
    expect_error(
        import(&target, &agent, Vec::new()).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn bad_archives_are_refused_whole_naming_the_file_and_field() {
    let app = app().await;
    let admin = app.token("admin").await;
    let good = |name: &str| -> Vec<u8> {
        let mut s = spec("https://itsm.example.com", app.team_a);
        s["name"] = json!(name);
        serde_json::to_vec(&json!({ "format": "agentdesk-followup/1", "spec": s })).unwrap()
    };
    let mut slow = spec("https://itsm.example.com", app.team_a);
    slow["poll_minutes"] = json!(7201);
    let slow =
        serde_json::to_vec(&json!({ "format": "agentdesk-followup/1", "spec": slow })).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"PK\x03\x04 not really".to_vec(), "archive"),
        (b"plain text".to_vec(), "archive"),
        (
            pack(&[("a.json", good("A")), ("notes.txt", b"hi".to_vec())]),
            "notes.txt",
        ),
        (
            pack(&[("a.json", good("A")), ("b.json", b"{ nope".to_vec())]),
            "b.json",
        ),
        (
            pack(&[("a.json", good("A")), ("slow.json", slow)]),
            "slow.json: poll_minutes",
        ),
        (
            pack(&[("a.json", good("Same")), ("b.json", good("same"))]),
            "b.json: name",
        ),
        (
            pack(&[(
                "v2.json",
                serde_json::to_vec(&json!({ "format": "other/9", "spec": {} })).unwrap(),
            )]),
            "v2.json",
        ),
        // Two megabytes that pack into a few kilobytes.
        (
            pack(&[("big.json", vec![b' '; 2 * 1024 * 1024])]),
            "big.json",
        ),
    ];
    for (zip, field) in cases {
        let e = expect_error(
            import(&app, &admin, zip).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(
            e.error
                .field
                .as_deref()
                .is_some_and(|f| f.starts_with(field)),
            "{field}: {:?} {}",
            e.error.field,
            e.error.message
        );
        assert_eq!(count(&app, &admin).await, 0, "{field}: nothing created");
    }
}

#[tokio::test]
async fn the_command_line_exports_and_imports_follow_ups() {
    let source = app().await;
    let admin = source.token("admin").await;
    create(
        &source,
        &admin,
        &spec("https://itsm.example.com", source.team_a),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("followups.zip");
    let bin = env!("CARGO_BIN_EXE_agentdesk-server");
    let run = |db: &str, args: &[&str]| {
        Command::new(bin)
            .args(["--database-url", db])
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run the server binary")
    };
    let o = run(
        &source.db_url,
        &["export-followups", "--out", out.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 follow-up"));
    let o = run(
        &source.db_url,
        &["export-followups", "--out", "/dev/null", "--name", "nope"],
    );
    assert!(!o.status.success(), "an unknown name fails");

    let target = app().await;
    let o = run(&target.db_url, &["import-followups", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("created `Pending approval` (inactive"));
    let o = run(&target.db_url, &["import-followups", out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("already there: `Pending approval`"));
    let bad = dir.path().join("bad.zip");
    std::fs::write(&bad, b"not a zip").unwrap();
    let o = run(&target.db_url, &["import-followups", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a zip archive"));
}

/// Make the database refuse to store a follow-up named `Boom` (a stand-in for a
/// failure midway through an import: a full disk, a dropped connection).
async fn refuse_boom(db_url: &str) {
    if db_url.starts_with("sqlite:") {
        exec_sql(
            db_url,
            &[
                "CREATE TRIGGER boom BEFORE INSERT ON followups WHEN NEW.name = 'Boom' \
               BEGIN SELECT RAISE(ABORT, 'boom'); END",
            ],
        )
        .await;
    } else {
        exec_sql(
            db_url,
            &[
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN \
                   IF NEW.name = 'Boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; \
                 END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER boom BEFORE INSERT ON followups FOR EACH ROW \
                 EXECUTE FUNCTION boom()",
            ],
        )
        .await;
    }
}

#[tokio::test]
async fn an_import_that_fails_midway_creates_nothing() {
    let app = app().await;
    let admin = app.token("admin").await;
    refuse_boom(&app.db_url).await;
    let specs: Vec<_> = ["Alpha", "Boom", "Gamma"]
        .into_iter()
        .map(|name| {
            let mut s = spec("https://itsm.example.com", app.team_a);
            s["name"] = json!(name);
            serde_json::from_value(s).unwrap()
        })
        .collect();
    let zip = agentdesk_server::followups::archive::write(&specs).unwrap();
    let res = import(&app, &admin, zip).await;
    assert!(!res.status().is_success(), "{}", res.status());
    assert_eq!(count(&app, &admin).await, 0, "Alpha is not left behind");
}
