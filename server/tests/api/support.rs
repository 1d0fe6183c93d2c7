//! Test support: the real app on 127.0.0.1:0 with a fresh database, two teams and
//! their users, and typed request helpers.
//!
//! The database is a SQLite file in a temporary directory, or, when `AGENTDESK_TEST_PG`
//! names a PostgreSQL server (`postgres://user@127.0.0.1:5432/postgres`: any database
//! on it that the user may connect to), a new database created on that server for the
//! one test and dropped after it. `scripts/test.sh` runs the suite both ways.

use std::collections::{BTreeMap, BTreeSet};

use agentdesk_protocol::{
    ActivityDetail, Direction, EmailContent, EmailStatus, ErrorBody, Locale, LoginResponse, Role,
};
use agentdesk_server::config::ServeConfig;
use agentdesk_server::store::{NewActivity, NewContact, NewEmail, NewUser};
use agentdesk_server::{AppState, auth, store};
use chrono::{Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub team_a: i64,
    pub team_b: i64,
    /// A contact of team A with activities (one of them an email), and one of team B.
    pub contact_a: i64,
    pub contact_b: i64,
    /// The same store the server uses, for setting up data directly.
    pub store: store::DynStore,
    /// User ids by username.
    pub users: BTreeMap<&'static str, i64>,
    pub dist: tempfile::TempDir,
    /// The database the app runs on, for tests that start the server binary on it.
    pub db_url: String,
    _db: TestDb,
}

/// The environment variable that switches the tests to PostgreSQL.
pub const PG_ENV: &str = "AGENTDESK_TEST_PG";

/// Record that `test` did not run here and why: printed, and appended to the file
/// `AGENTDESK_TEST_SKIPS` names (scripts/test.sh lists those in its summary), so that a
/// skip is never mistaken for a pass.
pub fn skipped(test: &str, why: &str) {
    let pass = std::env::var("AGENTDESK_TEST_PASS").unwrap_or_default();
    let line = if pass.is_empty() {
        format!("{test}: {why}")
    } else {
        format!("[{pass}] {test}: {why}")
    };
    eprintln!("SKIPPED {line}");
    if let Ok(path) = std::env::var("AGENTDESK_TEST_SKIPS") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}

/// A setting a PostgreSQL-only test needs besides `AGENTDESK_TEST_PG`. `None` (the test
/// is recorded as skipped) on the SQLite pass; on the PostgreSQL pass a missing setting
/// fails the test with what to set, instead of passing without testing anything.
pub fn pg_setting(test: &str, var: &str) -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(pg) if !pg.is_empty() => match std::env::var(var) {
            Ok(v) if !v.is_empty() => Some(v),
            _ => panic!(
                "{PG_ENV} is set but {var} is not: {test} needs it on the PostgreSQL pass \
                 (scripts/test.sh sets both)"
            ),
        },
        _ => {
            skipped(test, &format!("PostgreSQL only ({PG_ENV} not set)"));
            None
        }
    }
}

/// A fresh, empty database for one test; gone when dropped.
pub struct TestDb {
    pub url: String,
    /// The SQLite file's directory.
    _dir: Option<tempfile::TempDir>,
    /// The server URL and database name to drop (PostgreSQL).
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        match std::env::var(PG_ENV) {
            Ok(server) if !server.is_empty() => {
                use sqlx::Connection;
                let name = format!("agentdesk_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&server)
                    .await
                    .unwrap_or_else(|e| panic!("connect to {PG_ENV}={server}: {e}"));
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&server).expect("AGENTDESK_TEST_PG is a URL");
                url.set_path(&name);
                TestDb {
                    url: url.to_string(),
                    _dir: None,
                    pg: Some((server, name)),
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                TestDb {
                    url: format!("sqlite://{}", dir.path().join("test.db").display()),
                    _dir: Some(dir),
                    pg: None,
                }
            }
        }
    }
}

impl TestDb {
    /// A database someone else created and removes (the test that owns it).
    pub fn external(url: String) -> TestDb {
        TestDb {
            url,
            _dir: None,
            pg: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.pg.take() else {
            return;
        };
        // Drop is not async and may run inside the test's runtime: a thread with its own
        // runtime does it. FORCE ends the connections the app's pool still holds.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(&server).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                admin.close().await
            })
        })
        .join();
        if let Ok(Err(e)) = done {
            eprintln!("could not drop a test database: {e}");
        }
    }
}

/// The inline loader script written into the test `index.html`, to check CSP hashing.
pub const INLINE_SCRIPT: &str = "console.log('boot')";
/// The back office's inline loader (`office/index.html`).
pub const OFFICE_SCRIPT: &str = "console.log('office')";
/// A hashed bundle file and the pre-compressed copies the build writes beside it.
pub const BUNDLE: (&str, &str, &[u8], &[u8]) = (
    "app-0123456789abcdef.js",
    "export {}",
    b"brotli bytes",
    b"gzip bytes",
);

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(ServeConfig::default()).await
    }

    pub async fn spawn_with(config: ServeConfig) -> TestApp {
        Self::spawn_on(config, TestDb::new().await).await
    }

    /// An app on a database the test provides (a PostgreSQL cluster of its own, say).
    pub async fn spawn_on(mut config: ServeConfig, db: TestDb) -> TestApp {
        let dist = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dist.path().join("index.html"),
            format!("<!doctype html><html><head><script type=\"module\">{INLINE_SCRIPT}</script></head><body></body></html>"),
        )
        .expect("write index.html");
        let office = dist.path().join("office");
        std::fs::create_dir(&office).expect("office dir");
        std::fs::write(
            office.join("index.html"),
            format!("<!doctype html><html><head><script type=\"module\">{OFFICE_SCRIPT}</script></head><body></body></html>"),
        )
        .expect("write office/index.html");
        let (name, js, br, gz) = BUNDLE;
        std::fs::write(dist.path().join(name), js).expect("write js");
        std::fs::write(dist.path().join(format!("{name}.br")), br).expect("write .br");
        std::fs::write(dist.path().join(format!("{name}.gz")), gz).expect("write .gz");
        config.dist_dir = dist.path().to_path_buf();

        let store = store::open(&db.url).await.expect("open store");
        store.migrate().await.expect("migrate");

        let team_a = store.create_team("Team A").await.expect("team").id;
        let team_b = store.create_team("Team B").await.expect("team").id;
        let hash = auth::hash_password(PASSWORD).expect("hash");
        let users = [
            ("agent_a", Role::Agent, vec![team_a], false),
            ("mailer_a", Role::Agent, vec![team_a], true),
            ("agent_b", Role::Agent, vec![team_b], true),
            ("super_a", Role::Supervisor, vec![team_a], true),
            ("admin", Role::Admin, vec![], true),
        ];
        let mut ids = BTreeMap::new();
        for (name, role, teams, can_email) in users {
            let id = store
                .create_user(NewUser {
                    username: name.into(),
                    display_name: format!("User {name}"),
                    password_hash: hash.clone(),
                    role,
                    can_email,
                    locale: Locale::En,
                    time_zone: "UTC".into(),
                    ucontact_agent: None,
                    email: None,
                    team_ids: teams,
                })
                .await
                .expect("user");
            ids.insert(name, id);
        }
        let contact = |team_id, name: &str| NewContact {
            team_id,
            name: name.into(),
            phone: Some("+59899000111".into()),
            email: Some(format!(
                "{}@example.com",
                name.to_lowercase().replace(' ', ".")
            )),
            external_id: None,
            attributes: BTreeMap::new(),
            created_at: agentdesk_server::clock::now(),
        };
        let contact_a = store
            .create_contact(contact(team_a, "Ana Alpha"))
            .await
            .expect("contact");
        let contact_b = store
            .create_contact(contact(team_b, "Beto Beta"))
            .await
            .expect("contact");

        let base_time = Utc
            .with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
            .single()
            .expect("time");
        let mut acts = Vec::new();
        // 12 SMS a minute apart, plus two at the very same instant (a tie) and one email.
        for i in 0..12 {
            acts.push(sms(
                team_a,
                contact_a,
                ids["agent_a"],
                base_time + Duration::minutes(i),
                &format!("sms {i}"),
            ));
        }
        let tie = base_time + Duration::hours(1);
        acts.push(sms(team_a, contact_a, ids["agent_a"], tie, "tie first"));
        acts.push(sms(team_a, contact_a, ids["agent_a"], tie, "tie second"));
        acts.push(NewActivity {
            team_id: team_a,
            contact_id: contact_a,
            user_id: None,
            model_id: "email-1".into(),
            detail: ActivityDetail::Email {
                direction: Direction::Inbound,
                status: Some(EmailStatus::Sent),
                content: Some(EmailContent {
                    subject: "s".into(),
                    sender: "x".into(),
                    snippet: "y".into(),
                    attachments: Vec::new(),
                }),
            },
            email: Some(NewEmail {
                message_id: Some("<m1@example.com>".into()),
                subject: "Secret subject".into(),
                sender: "Ana <ana@example.com>".into(),
                snippet: "secret snippet".into(),
                body: "secret body".into(),
                attachments: Vec::new(),
            }),
            occurred_at: tie + Duration::minutes(1),
        });
        acts.push(sms(team_b, contact_b, ids["agent_b"], base_time, "team b"));
        store
            .insert_activities(&acts, false)
            .await
            .expect("activities");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = AppState::new(store.clone(), config).expect("state");
        let store = store.clone();
        tokio::spawn(agentdesk_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        TestApp {
            base,
            http: agentdesk_server::outbound::plain_client(),
            team_a,
            team_b,
            contact_a,
            contact_b,
            store,
            users: ids,
            dist,
            db_url: db.url.clone(),
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Another server instance on this app's store, configured with `config` (the app's
    /// files); its base URL.
    pub async fn another_instance(&self, mut config: ServeConfig) -> String {
        config.dist_dir = self.dist.path().to_path_buf();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = AppState::new(self.store.clone(), config).expect("state");
        tokio::spawn(agentdesk_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        base
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("request")
    }

    /// Log in and return the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let res = self.login(username, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {username}");
        res.json::<LoginResponse>().await.expect("login body").token
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&impl Serialize>,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    pub async fn get_as<T: DeserializeOwned>(&self, path: &str, token: &str) -> T {
        let res = self.call(Method::GET, path, Some(token), None::<&()>).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.expect("body")
    }
}

pub fn sms(
    team_id: i64,
    contact_id: i64,
    user: i64,
    at: chrono::DateTime<Utc>,
    text: &str,
) -> NewActivity {
    NewActivity {
        team_id,
        contact_id,
        user_id: Some(user),
        model_id: format!("sms-{text}"),
        detail: ActivityDetail::Sms {
            direction: Direction::Outbound,
            text: text.into(),
        },
        email: None,
        occurred_at: at,
    }
}

/// Assert a response is an error in the one JSON shape with this status; return the body.
/// Run statements on the test's database over a connection of its own (triggers that
/// make the database fail on cue, and the like).
pub async fn exec_sql(db_url: &str, statements: &[&str]) {
    use sqlx::Connection;
    if db_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db_url)
            .await
            .expect("connect");
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut c)
                .await
                .expect(sql);
        }
    } else {
        let mut c = sqlx::PgConnection::connect(db_url).await.expect("connect");
        for sql in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut c)
                .await
                .expect(sql);
        }
    }
}

/// The reports' day roll-ups (the `_day` twins of the quarter-hour ones).
pub const DAY_TABLES: [&str; 5] = [
    "report_queue_day",
    "report_agent_day",
    "report_break_day",
    "report_wait_day",
    "report_status_day",
];

/// Empty `tables` and run again the backfill of a migration (its statements from the
/// line `-- What is already there` on), the SQLite or the PostgreSQL file as the test's
/// database is: a migration's backfill must give what the write path keeps.
pub async fn rerun_backfill(db_url: &str, tables: &[&str], sqlite: &str, postgres: &str) {
    let path = if db_url.starts_with("sqlite:") {
        format!("migrations/sqlite/{sqlite}")
    } else {
        format!("migrations/postgres/{postgres}")
    };
    let sql = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("the migration");
    let start = sql.find("-- What is already there").expect("the backfill");
    let mut statements: Vec<String> = tables.iter().map(|t| format!("DELETE FROM {t}")).collect();
    statements.push(sql[start..].to_owned());
    let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
    exec_sql(db_url, &statements).await;
}

pub async fn expect_error(res: reqwest::Response, status: StatusCode) -> ErrorBody {
    assert_eq!(res.status(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    let body: ErrorBody = res.json().await.expect("the JSON error shape");
    assert_eq!(body.error.code.http_status(), status.as_u16());
    assert!(!body.error.message.is_empty());
    body
}

/// How soon a signed-out session's streams must end: well under the 20 s heartbeat that
/// would otherwise end them (they end within a second by design; the margin is for a
/// loaded 2-core machine running the suite in parallel).
pub const SIGN_OUT_ENDS_STREAMS: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads SSE messages (event name, id, data) from a streaming response.
pub struct SseReader {
    res: reqwest::Response,
    buf: String,
    /// The position the stream said it starts after (its `ready` message).
    pub ready: Option<i64>,
}

impl SseReader {
    pub fn new(res: reqwest::Response) -> Self {
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        SseReader {
            res,
            buf: String::new(),
            ready: None,
        }
    }

    /// The next event (comments, keep-alives and the `ready` message skipped), or `None`
    /// when nothing arrived within `wait`. Panics when the stream closes or fails.
    pub async fn next(
        &mut self,
        wait: std::time::Duration,
    ) -> Option<(String, i64, serde_json::Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut name, mut id, mut data) = (String::new(), 0, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().into();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().unwrap();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if name == "ready" {
                    self.ready = Some(id);
                } else if !name.is_empty() {
                    return Some((name, id, serde_json::from_str(&data).unwrap()));
                }
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                // Nothing arrived in time: quiet.
                Err(_) => return None,
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                // A closed stream is not "nothing arrived": a check that nothing reaches
                // a stream would pass on a dead one.
                Ok(Ok(None)) => panic!("the event stream closed"),
                Ok(Err(e)) => panic!("the event stream failed: {e}"),
            }
        }
    }
}

impl SseReader {
    /// Whether the server ends the stream within `wait` (events before the end are
    /// skipped); `false` when it is still open then.
    pub async fn closed_within(&mut self, wait: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => {}
                Ok(Ok(None)) | Ok(Err(_)) => return true,
            }
        }
    }

    /// The next event named `name`, skipping others, or `None` after `wait`.
    pub async fn next_named(
        &mut self,
        name: &str,
        wait: std::time::Duration,
    ) -> Option<(i64, serde_json::Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let (n, id, data) = self.next(left).await?;
            if n == name {
                return Some((id, data));
            }
        }
    }
}

/// `(METHOD, path)` of every `.route(…)` in `server/src/routes/` (the probes and the
/// vendors' sample page in `mod.rs` are not API routes).
pub fn router_routes() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("routes dir") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n == "mod.rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("route source");
        // `.route("/path", …)`, on one line or (formatted) over several.
        for chunk in src.split(".route(").skip(1) {
            let Some(chunk) = chunk.trim_start().strip_prefix('"') else {
                continue;
            };
            let (route, rest) = chunk.split_once('"').expect("a quoted path");
            let handlers = rest.split(".route(").next().unwrap_or(rest);
            let handlers = handlers.split("\n}").next().unwrap_or(handlers);
            for m in ["get", "post", "put", "patch", "delete"] {
                if handlers.contains(&format!("{m}(")) {
                    out.insert((m.to_uppercase(), route.to_string()));
                }
            }
        }
    }
    out
}
