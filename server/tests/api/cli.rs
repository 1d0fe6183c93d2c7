//! The server binary's subcommands, run as a real process against a fresh database:
//! `migrate`, `create-user`, `import-ccrepo` with its exit statuses, and `serve` seeding
//! an empty database with the demo.

use std::process::{Command, Output, Stdio};

use crate::support::TestDb;

fn server(db: &TestDb) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_agentdesk-server"));
    c.args(["--database-url", &db.url])
        .env("RUST_LOG", "warn")
        .env_remove("AGENTDESK_PASSWORD");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run the server binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn file(dir: &tempfile::TempDir, name: &str, body: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

const SMS_HEADER: &str = "id,idm,campaign,dateprocessed,direction,callerid,message,agent,smsbase,result,readsms,sessionid\n";

#[tokio::test]
async fn import_ccrepo_exit_statuses_tell_success_rejections_and_failure_apart() {
    let db = TestDb::new().await;
    let out = run(server(&db).arg("migrate"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(server(&db)
        .args([
            "create-user",
            "--username",
            "ana",
            "--role",
            "agent",
            "--teams",
            "Ventas",
        ])
        .env("AGENTDESK_PASSWORD", "a long enough passphrase"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("created user `ana`"),
        "{}",
        text(&out.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let good = file(
        &dir,
        "good.csv",
        format!("{SMS_HEADER}1,SMc1,SMS<-,2026-03-02 08:10:00.0,I,5591000001,Hola,,,OK,1,s1\n")
            .as_bytes(),
    );
    let import = |path: &std::path::Path| {
        run(server(&db)
            .args([
                "import-ccrepo",
                "--table",
                "sms",
                "--team",
                "Ventas",
                "--quiet",
            ])
            .arg(path))
    };
    let out = import(&good);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("imported: 1"),
        "{}",
        text(&out.stdout)
    );
    // Everything a duplicate: still success.
    let out = import(&good);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("duplicates skipped: 1"),
        "{}",
        text(&out.stdout)
    );

    // A rejected row: its own status, and the summary names the line.
    let bad = file(&dir, "bad.csv", format!("{SMS_HEADER}2,SMc2,SMS<-,2026-03-02 08:11:00,I,5591000002,Hola,,,OK,1,s2\n3,SMc3,SMS<-,ayer,I,5591000003,Hola,,,OK,1,s3\n").as_bytes());
    let out = import(&bad);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let summary = text(&out.stdout);
    assert!(
        summary.contains("imported: 1")
            && summary.contains("rejected: 1")
            && summary.contains("line 3:"),
        "{summary}"
    );

    // An empty file says so and fails; so does an unknown team.
    let empty = file(&dir, "empty.csv", b"");
    let out = import(&empty);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("empty"), "{}", text(&out.stderr));
    let out = run(server(&db)
        .args([
            "import-ccrepo",
            "--table",
            "sms",
            "--team",
            "Nadie",
            "--quiet",
        ])
        .arg(&good));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no team named"),
        "{}",
        text(&out.stderr)
    );

    // A reader that goes away (`| head`) ends the command quietly, never a panic.
    let mut child = server(&db)
        .args([
            "import-ccrepo",
            "--table",
            "sms",
            "--team",
            "Ventas",
            "--quiet",
        ])
        .arg(&bad)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}

#[tokio::test]
async fn seed_demo_loads_an_empty_database_once() {
    let db = TestDb::new().await;
    let out = run(server(&db).args([
        "seed-demo",
        "--contacts",
        "12",
        "--activities",
        "60",
        "--big-contact-activities",
        "10",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let store = agentdesk_server::store::open(&db.url).await.unwrap();
    assert!(!store.is_empty().await.unwrap());
    let out = run(server(&db).args(["seed-demo", "--contacts", "1"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("empty one"),
        "{}",
        text(&out.stderr)
    );
}

/// `serve` on a free loopback port; the port is tried again should another process take
/// it first. Returns the running child, its base URL once `/readyz` answers, and the
/// app directory it serves (removed when dropped).
async fn serve(
    db: &TestDb,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, String, tempfile::TempDir) {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>t</title>",
    )
    .unwrap();
    let http = agentdesk_server::outbound::plain_client();
    for _ in 0..10 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = server(db)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .arg("--dist-dir")
            .arg(dist.path())
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        // Seeding the full demo in a debug build takes a while on a loaded machine.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
        while std::time::Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if let Ok(r) = http.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                return (child, base, dist);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("serve did not come up");
}

async fn login(base: &str, user: &str) -> reqwest::StatusCode {
    agentdesk_server::outbound::plain_client()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": user, "password": agentdesk_server::demo::DEMO_PASSWORD }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn serve_seeds_an_empty_database_with_the_demo_unless_told_not_to() {
    let empty = TestDb::new().await;
    let (mut child, base, _dist) = serve(&empty, &["--no-demo"], &[]).await;
    assert_eq!(
        login(&base, "admin").await,
        reqwest::StatusCode::UNAUTHORIZED
    );
    let _ = child.kill();
    let _ = child.wait();

    let db = TestDb::new().await;
    let (mut child, base, _dist) = serve(&db, &[], &[]).await;
    assert_eq!(login(&base, "admin").await, reqwest::StatusCode::OK);
    assert_eq!(login(&base, "ana").await, reqwest::StatusCode::OK);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn the_date_header_is_the_servers_clock_which_the_desktop_sets_its_own_by() {
    let db = TestDb::new().await;
    let (mut child, base, _dist) = serve(
        &db,
        &["--no-demo"],
        &[("AGENTDESK_NOW", "2028-02-29T00:30:00-03:00")],
    )
    .await;
    let res = agentdesk_server::outbound::plain_client()
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap();
    let date = res.headers()["date"].to_str().unwrap().to_string();
    assert!(date.starts_with("Tue, 29 Feb 2028 03:3"), "{date}");
    let res = agentdesk_server::outbound::plain_client()
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert!(res.headers()["date"].to_str().unwrap().contains("Feb 2028"));
    let _ = child.kill();
    let _ = child.wait();
}
