//! Load test: simulated agents against real server processes over loopback HTTP.
//!
//! Each agent signs in, opens its real-time stream for the contact it has on screen (as
//! the desktop does) and then, until the time is up, waits a think time and does one of:
//! read a page of that contact's timeline (60 %), open another contact (its first page,
//! then a stream ticket and the stream reopened for it: 10 %), change its status (15 %), or ingest an SMS
//! through an integration (15 %; half of them from contacts on file). Every request is timed from send to the last byte of the answer; anything but
//! a 2xx counts as an error. The report is a Markdown table (docs/benchmarks.md).
//!
//! Run: `scripts/load.sh` (= `cargo bench -p agentdesk-server --bench load`).
//! Environment: `LOAD_AGENTS` (500), `LOAD_SECS` (60), `LOAD_THINK_MS` (mean think time,
//! 1000; uniform between 0 and twice that), `LOAD_INSTANCES` (server processes sharing
//! the database, 1), `LOAD_DATABASE_URL` (default: a fresh SQLite file),
//! `LOAD_CONTACTS` (1,000) and `LOAD_ACTIVITIES` (per contact, 20).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agentdesk_protocol::{
    ActivityDetail, Direction, IntegrationCredentials, Locale, LoginResponse, Role, StreamTicket,
};
use agentdesk_server::auth;
use agentdesk_server::store::{self, NewActivity, NewContact, NewUser};
use chrono::Utc;
use serde_json::json;
use tokio::sync::Mutex;

const PASSWORD: &str = "load-test-password";
const STATUSES: &[&str] = &[
    "break",
    "meal",
    "available",
    "bath",
    "training",
    "available",
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A server process; killed when dropped.
struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(db_url: &str, dist: &std::path::Path) -> anyhow::Result<Instance> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_agentdesk-server"))
        .args(["--database-url", db_url, "serve", "--no-demo"])
        .arg("--bind")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--dist-dir")
        .arg(dist)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let instance = Instance {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = agentdesk_server::outbound::plain_client();
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{}/readyz", instance.base)).send().await
            && r.status().is_success()
        {
            return Ok(instance);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("server at {} did not come up", instance.base)
}

/// Teams, users, contacts and their history, written through the store.
async fn prepare(
    db_url: &str,
    agents: usize,
    contacts: usize,
    per_contact: usize,
) -> anyhow::Result<(i64, Vec<i64>)> {
    let store = store::open(db_url).await?;
    store.migrate().await?;
    let team = store.create_team("Carga").await?.id;
    let hash = auth::hash_password(PASSWORD)?;
    let user = |username: String, role| NewUser {
        display_name: username.clone(),
        username,
        password_hash: hash.clone(),
        role,
        can_email: true,
        locale: Locale::Es,
        time_zone: "America/Montevideo".into(),
        ucontact_agent: None,
        team_ids: vec![team],
    };
    store
        .create_user(NewUser {
            team_ids: vec![],
            ..user("load_admin".into(), Role::Admin)
        })
        .await?;
    let mut agent_ids = Vec::with_capacity(agents);
    for i in 0..agents {
        agent_ids.push(
            store
                .create_user(user(format!("agent_{i:04}"), Role::Agent))
                .await?,
        );
    }
    let mut ids = Vec::with_capacity(contacts);
    let mut batch = Vec::new();
    let now = Utc::now();
    for c in 0..contacts {
        let id = store
            .create_contact(NewContact {
                team_id: team,
                name: format!("Cliente {c}"),
                phone: Some(format!("+598991{c:05}")),
                email: None,
                external_id: None,
                attributes: BTreeMap::new(),
                created_at: now,
            })
            .await?;
        ids.push(id);
        for a in 0..per_contact {
            batch.push(NewActivity {
                team_id: team,
                contact_id: id,
                user_id: Some(agent_ids[(c + a) % agents.max(1)]),
                model_id: format!("seed-{c}-{a}"),
                detail: ActivityDetail::Sms {
                    direction: Direction::Inbound,
                    text: format!("consulta {a} sobre la factura del cliente {c}"),
                },
                email: None,
                occurred_at: now - chrono::Duration::minutes((c * per_contact + a) as i64),
            });
        }
        if batch.len() >= 5_000 {
            store.insert_activities(&batch, false).await?;
            batch.clear();
        }
    }
    store.insert_activities(&batch, false).await?;
    Ok((team, ids))
}

#[derive(Default)]
struct Op {
    micros: Vec<u32>,
    errors: u64,
    statuses: BTreeMap<String, u64>,
}

type Stats = Arc<Mutex<BTreeMap<&'static str, Op>>>;

async fn record(stats: &Stats, op: &'static str, started: Instant, outcome: Result<(), String>) {
    let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    let mut s = stats.lock().await;
    let e = s.entry(op).or_default();
    e.micros.push(micros);
    if let Err(why) = outcome {
        e.errors += 1;
        *e.statuses.entry(why).or_default() += 1;
    }
}

/// One simulated desktop.
struct Desk {
    base: String,
    token: String,
    /// The contact on screen.
    contact: i64,
    /// Drains the real-time stream, which watches `contact`.
    stream: tokio::task::JoinHandle<()>,
}

/// Take a ticket and open a real-time stream watching `contact`, as the desktop does,
/// timing each request (the stream until its headers arrive); the returned task counts
/// the events that arrive.
async fn open_stream(
    http: &reqwest::Client,
    streams: &reqwest::Client,
    base: &str,
    token: &str,
    contact: i64,
    events: Arc<AtomicU64>,
    stats: &Stats,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let failed = |e: reqwest::Error| {
        e.status()
            .map_or("transport".into(), |s| s.as_str().to_string())
    };
    let t = Instant::now();
    let ticket = async {
        http.post(format!("{base}/api/v1/stream-tickets"))
            .bearer_auth(token)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?
            .json::<StreamTicket>()
            .await
            .map_err(|_| "ticket body".to_string())
    }
    .await;
    let outcome = ticket.as_ref().map(|_| ()).map_err(Clone::clone);
    record(stats, "stream ticket", t, outcome).await;
    let ticket = ticket?;
    let t = Instant::now();
    let res = streams
        .get(format!(
            "{base}/api/v1/events?ticket={}&contacts={contact}",
            ticket.ticket
        ))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(failed);
    let outcome = res.as_ref().map(|_| ()).map_err(Clone::clone);
    record(stats, "stream open", t, outcome).await;
    let mut res = res?;
    Ok(tokio::spawn(async move {
        while let Ok(Some(chunk)) = res.chunk().await {
            let n = chunk.windows(6).filter(|w| w == b"event:").count() as u64;
            events.fetch_add(n, Ordering::Relaxed);
        }
    }))
}

/// Send, read the whole answer; `Err(reason)` unless 2xx.
async fn timed(req: reqwest::RequestBuilder) -> Result<(), String> {
    match req.send().await {
        Ok(res) => {
            let status = res.status();
            let body = res.bytes().await.map_err(|e| format!("body: {e}"))?;
            if status.is_success() {
                Ok(())
            } else {
                let _ = body;
                Err(status.as_u16().to_string())
            }
        }
        Err(e) => Err(if e.is_timeout() {
            "timeout".into()
        } else {
            "transport".into()
        }),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let agents = env_usize("LOAD_AGENTS", 500);
    let secs = env_usize("LOAD_SECS", 60) as u64;
    let think_ms = env_usize("LOAD_THINK_MS", 1000) as u64;
    let instances = env_usize("LOAD_INSTANCES", 1).max(1);
    let n_contacts = env_usize("LOAD_CONTACTS", 1_000).max(1);
    let per_contact = env_usize("LOAD_ACTIVITIES", 20);
    let tmp = tempfile::tempdir()?;
    let db_url = std::env::var("LOAD_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", tmp.path().join("load.db").display()));
    let dist = tmp.path().join("dist");
    std::fs::create_dir_all(&dist)?;
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>load</title>",
    )?;

    let t = Instant::now();
    let (team, contacts) = prepare(&db_url, agents, n_contacts, per_contact).await?;
    eprintln!(
        "prepared {agents} agents, {n_contacts} contacts × {per_contact} activities in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(start(&db_url, &dist).await?);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let http = {
        agentdesk_server::outbound::install_crypto();
        reqwest::Client::builder()
    }
    .timeout(Duration::from_secs(10))
    .pool_max_idle_per_host(agents)
    .build()?;
    let streams = agentdesk_server::outbound::plain_client();

    let login = |base: String, user: String| {
        let http = http.clone();
        async move {
            let res = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({ "username": user, "password": PASSWORD }))
                .send()
                .await?
                .error_for_status()?;
            anyhow::Ok(res.json::<LoginResponse>().await?.token)
        }
    };
    let admin = login(bases[0].clone(), "load_admin".into()).await?;
    let integration: IntegrationCredentials = http
        .post(format!("{}/api/v1/integrations", bases[0]))
        .bearer_auth(&admin)
        .json(&json!({ "name": "carga", "team_id": team }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;

    // Sign everyone in (a few at a time: password hashing is deliberately slow).
    let t = Instant::now();
    let mut tokens = Vec::with_capacity(agents);
    for chunk in (0..agents).collect::<Vec<_>>().chunks(4) {
        let logins = chunk
            .iter()
            .map(|&i| login(bases[i % instances].clone(), format!("agent_{i:04}")));
        for token in futures_util::future::join_all(logins).await {
            tokens.push(token?);
        }
    }
    eprintln!(
        "{agents} agents signed in in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Each agent's real-time stream, drained in the background like the desktop does,
    // for the contact the agent has open.
    let events = Arc::new(AtomicU64::new(0));
    let contacts = Arc::new(contacts);
    let mut desks = Vec::with_capacity(agents);
    for (i, token) in tokens.into_iter().enumerate() {
        let base = bases[i % instances].clone();
        let contact = contacts[i % contacts.len()];
        let stream = open_stream(
            &http,
            &streams,
            &base,
            &token,
            contact,
            events.clone(),
            &Stats::default(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("opening agent {i}'s stream: {e}"))?;
        desks.push(Desk {
            base,
            token,
            contact,
            stream,
        });
    }
    eprintln!("{agents} real-time streams open; running for {secs} s");

    let stats: Stats = Arc::default();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut workers = tokio::task::JoinSet::new();
    for (i, mut desk) in desks.into_iter().enumerate() {
        let (http, streams, stats, contacts, events) = (
            http.clone(),
            streams.clone(),
            stats.clone(),
            contacts.clone(),
            events.clone(),
        );
        let ingest_token = integration.token.clone();
        workers.spawn(async move {
            let mut rng = fastrand::Rng::with_seed(i as u64);
            let mut n = 0u64;
            let base = desk.base.clone();
            loop {
                let think = Duration::from_millis(rng.u64(0..=2 * think_ms));
                if Instant::now() + think >= deadline {
                    break;
                }
                tokio::time::sleep(think).await;
                n += 1;
                let t = Instant::now();
                match rng.u8(0..100) {
                    0..60 => {
                        let page = if rng.u8(0..4) == 0 { 2 } else { 1 };
                        let req = http
                            .get(format!(
                                "{base}/api/v1/contacts/{}/activities?page={page}",
                                desk.contact
                            ))
                            .bearer_auth(&desk.token);
                        record(&stats, "timeline page", t, timed(req).await).await;
                    }
                    60..70 => {
                        // Another contact on screen: its first page, then the stream
                        // reopened for it (a ticket, then the stream; the old one closes
                        // once the new one is open), each timed as its own request.
                        desk.contact = contacts[rng.usize(..contacts.len())];
                        let req = http
                            .get(format!(
                                "{base}/api/v1/contacts/{}/activities",
                                desk.contact
                            ))
                            .bearer_auth(&desk.token);
                        record(&stats, "timeline page", t, timed(req).await).await;
                        match open_stream(
                            &http,
                            &streams,
                            &base,
                            &desk.token,
                            desk.contact,
                            events.clone(),
                            &stats,
                        )
                        .await
                        {
                            Ok(stream) => {
                                desk.stream.abort();
                                desk.stream = stream;
                            }
                            Err(e) => eprintln!("agent {i}: reopening the stream: {e}"),
                        }
                    }
                    70..85 => {
                        let value = STATUSES[rng.usize(..STATUSES.len())];
                        let req = http
                            .put(format!("{base}/api/v1/status"))
                            .bearer_auth(&desk.token)
                            .json(&json!({ "value": value }));
                        record(&stats, "status change", t, timed(req).await).await;
                    }
                    _ => {
                        // Half from contacts on file (some of them on an agent's screen),
                        // half from numbers never seen (a new contact each).
                        let number = if rng.bool() {
                            format!("+598991{:05}", rng.usize(..contacts.len()))
                        } else {
                            format!("+59898{:06}", rng.u32(..5_000))
                        };
                        let req = http
                            .post(format!("{base}/api/v1/ingest/sms"))
                            .bearer_auth(&ingest_token)
                            .json(&json!({ "id": format!("load-{i}-{n}"), "direction": "I",
                                "number": number,
                                "text": "¿Me pueden llamar por la factura?",
                                "at": Utc::now() }));
                        record(&stats, "SMS ingest", t, timed(req).await).await;
                    }
                }
            }
            desk.stream.abort_handle()
        });
    }
    let mut stream_tasks = Vec::new();
    while let Some(done) = workers.join_next().await {
        stream_tasks.push(done?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    for t in &stream_tasks {
        t.abort();
    }

    let stats = stats.lock().await;
    let mut all: Vec<u32> = Vec::new();
    let mut errors = 0;
    println!(
        "\n{agents} agents, {instances} instance(s), {secs} s, think time 0–{} ms, {}",
        2 * think_ms,
        if db_url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    println!();
    println!("| operation | requests | per second | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let row = |name: &str, v: &mut Vec<u32>, errs: u64| {
        v.sort_unstable();
        let q = |p: f64| {
            if v.is_empty() {
                0.0
            } else {
                v[((v.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
            }
        };
        println!(
            "| {name} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {errs} |",
            v.len(),
            v.len() as f64 / elapsed,
            q(0.5),
            q(0.99),
            q(1.0)
        );
    };
    for (name, op) in stats.iter() {
        let mut v = op.micros.clone();
        all.extend_from_slice(&v);
        errors += op.errors;
        row(name, &mut v, op.errors);
        if !op.statuses.is_empty() {
            eprintln!("  {name} errors: {:?}", op.statuses);
        }
    }
    row("**all**", &mut all, errors);
    println!(
        "\nreal-time events delivered to the agents' streams: {}",
        events.load(Ordering::Relaxed)
    );
    drop(servers);
    if errors > 0 {
        anyhow::bail!("{errors} requests failed");
    }
    Ok(())
}
