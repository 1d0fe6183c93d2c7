//! Load test: simulated agents against real server processes over loopback HTTP.
//!
//! Each agent signs in, opens its real-time stream for the contact it has on screen (as
//! the desktop does) and then, until the time is up, waits a think time and does one of:
//! read a page of that contact's timeline (60 %), open another contact (its first page,
//! then a stream ticket and the stream reopened for it: 10 %), change its status (15 %),
//! or ingest an SMS through an integration (15 %; half of them from contacts on file).
//! Every request is timed from send to the last byte of the answer; a 429/503 with
//! `Retry-After` counts as shed (the overload guard said "later"), anything else but a
//! 2xx as an error. Beside the latency table it prints how long an ingested SMS took to
//! reach the streams watching its contact (same and other instance), the CPU time each
//! process used, and then each action's CPU per request measured alone
//! (`measure.rs`). The report is Markdown (docs/benchmarks.md).
//!
//! Run: `scripts/load.sh` (= `cargo bench -p agentdesk-server --bench load`).
//! Environment: `LOAD_AGENTS` (500), `LOAD_SECS` (60), `LOAD_THINK_MS` (mean think time,
//! 1000; uniform between 0 and twice that), `LOAD_INSTANCES` (server processes sharing
//! the database, 1), `LOAD_DATABASE_URL` (default: a fresh SQLite file),
//! `LOAD_CONTACTS` (1,000), `LOAD_ACTIVITIES` (per contact, 20) and `LOAD_CALIBRATE`
//! (actions of each kind for the CPU-per-request table, 2,000; 0 skips it);
//! `LOAD_SERVER_BIN` runs another build of the server (a before/after pair).

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

mod measure;
use measure::{Cpu, Failure, Live, Stats, judge, print_table, record, timed};

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
    // Another build of the server may be measured against this one (before/after).
    let bin = std::env::var("LOAD_SERVER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_agentdesk-server").to_string());
    let child = Command::new(bin)
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
        email: None,
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

/// One simulated desktop.
struct Desk {
    i: usize,
    /// The server instance it talks to.
    instance: usize,
    token: String,
    /// The contact on screen.
    contact: i64,
    /// Drains the real-time stream, which watches `contact`.
    stream: tokio::task::JoinHandle<()>,
    rng: fastrand::Rng,
    n: u64,
}

/// What every desk shares.
struct Ctx {
    http: reqwest::Client,
    streams: reqwest::Client,
    bases: Vec<String>,
    contacts: Vec<i64>,
    ingest_token: String,
    events: AtomicU64,
    live: Live,
}

/// The things an agent does, and how often (out of 100).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Page,
    Switch,
    Status,
    Sms,
}

const KINDS: [(Kind, &str); 4] = [
    (Kind::Page, "read a timeline page"),
    (Kind::Status, "change status"),
    (Kind::Sms, "ingest an SMS"),
    (Kind::Switch, "open another contact (page, ticket, stream)"),
];

fn pick(rng: &mut fastrand::Rng) -> Kind {
    match rng.u8(0..100) {
        0..60 => Kind::Page,
        60..70 => Kind::Switch,
        70..85 => Kind::Status,
        _ => Kind::Sms,
    }
}

/// Take a ticket and open a real-time stream watching `contact`, as the desktop does,
/// timing each request (the stream until its headers arrive); the returned task reads
/// the events that arrive.
async fn open_stream(
    ctx: &Arc<Ctx>,
    instance: usize,
    token: &str,
    contact: i64,
    stats: &Stats,
) -> Result<tokio::task::JoinHandle<()>, Failure> {
    let base = &ctx.bases[instance];
    let answer = |r: Result<reqwest::Response, reqwest::Error>| match r {
        Ok(res) if res.status().is_success() => Ok(res),
        Ok(res) => Err(judge(res.status(), res.headers())),
        Err(_) => Err(Failure::Failed("transport".into())),
    };
    let t = Instant::now();
    let ticket = async {
        answer(
            ctx.http
                .post(format!("{base}/api/v1/stream-tickets"))
                .bearer_auth(token)
                .send()
                .await,
        )?
        .json::<StreamTicket>()
        .await
        .map_err(|_| Failure::Failed("ticket body".into()))
    }
    .await;
    record(
        stats,
        "stream ticket",
        t,
        ticket.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let ticket = ticket?;
    let t = Instant::now();
    let res = answer(
        ctx.streams
            .get(format!(
                "{base}/api/v1/events?ticket={}&contacts={contact}",
                ticket.ticket
            ))
            .send()
            .await,
    );
    record(
        stats,
        "stream open",
        t,
        res.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let mut res = res?;
    let ctx = ctx.clone();
    Ok(tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = res.chunk().await {
            let n = ctx.live.read(&mut buf, &chunk, instance);
            ctx.events.fetch_add(n, Ordering::Relaxed);
        }
    }))
}

/// Do one thing as `desk`, timing each request into `stats`.
async fn act(ctx: &Arc<Ctx>, desk: &mut Desk, kind: Kind, stats: &Stats) {
    let base = &ctx.bases[desk.instance];
    desk.n += 1;
    let t = Instant::now();
    match kind {
        Kind::Page => {
            let page = if desk.rng.u8(0..4) == 0 { 2 } else { 1 };
            let req = ctx
                .http
                .get(format!(
                    "{base}/api/v1/contacts/{}/activities?page={page}",
                    desk.contact
                ))
                .bearer_auth(&desk.token);
            record(stats, "timeline page", t, timed(req).await);
        }
        Kind::Switch => {
            // Another contact on screen: its first page, then the stream reopened for it
            // (a ticket, then the stream; the old one closes once the new one is open),
            // each timed as its own request.
            desk.contact = ctx.contacts[desk.rng.usize(..ctx.contacts.len())];
            let req = ctx
                .http
                .get(format!(
                    "{base}/api/v1/contacts/{}/activities",
                    desk.contact
                ))
                .bearer_auth(&desk.token);
            record(stats, "timeline page", t, timed(req).await);
            if let Ok(stream) =
                open_stream(ctx, desk.instance, &desk.token, desk.contact, stats).await
            {
                desk.stream.abort();
                desk.stream = stream;
            }
        }
        Kind::Status => {
            let value = STATUSES[desk.rng.usize(..STATUSES.len())];
            let req = ctx
                .http
                .put(format!("{base}/api/v1/status"))
                .bearer_auth(&desk.token)
                .json(&json!({ "value": value }));
            record(stats, "status change", t, timed(req).await);
        }
        Kind::Sms => {
            // Half from contacts on file (some of them on an agent's screen), half from
            // numbers never seen (a new contact each).
            let number = if desk.rng.bool() {
                let c = desk.rng.usize(..ctx.contacts.len());
                ctx.live.sent(ctx.contacts[c], desk.instance);
                format!("+598991{c:05}")
            } else {
                format!("+59898{:06}", desk.rng.u32(..5_000))
            };
            let req = ctx
                .http
                .post(format!("{base}/api/v1/ingest/sms"))
                .bearer_auth(&ctx.ingest_token)
                .json(
                    &json!({ "id": format!("load-{}-{}", desk.i, desk.n), "direction": "I",
                    "number": number,
                    "text": "¿Me pueden llamar por la factura?",
                    "at": Utc::now() }),
                );
            record(stats, "SMS ingest", t, timed(req).await);
        }
    }
}

/// Sign in as `user` on `base`.
async fn login(http: &reqwest::Client, base: &str, user: String) -> anyhow::Result<String> {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": PASSWORD }))
        .send()
        .await?
        .error_for_status()?;
    Ok(res.json::<LoginResponse>().await?.token)
}

/// CPU per request of each kind of action, measured alone: `per_kind` actions by
/// `concurrency` desks without think time, the servers' and PostgreSQL's CPU time
/// divided by the requests made (a contact switch is three requests, and the old
/// stream's close, after the grace period, is counted in its window).
async fn calibrate(
    ctx: &Arc<Ctx>,
    desks: &mut [Desk],
    cpu: &Cpu,
    per_kind: usize,
    grace: Duration,
) {
    println!(
        "\n| action alone ({per_kind} × {} desks, no think time) | requests | server CPU µs / request | PostgreSQL CPU µs / request | per second |",
        desks.len()
    );
    println!("|---|---:|---:|---:|---:|");
    for (kind, label) in KINDS {
        let stats: Stats = Arc::default();
        let before = cpu.snapshot();
        let per_desk = per_kind.div_ceil(desks.len());
        let runs = desks.iter_mut().map(|desk| {
            let (ctx, stats) = (ctx.clone(), stats.clone());
            async move {
                for _ in 0..per_desk {
                    act(&ctx, desk, kind, &stats).await;
                }
            }
        });
        futures_util::future::join_all(runs).await;
        if kind == Kind::Switch {
            tokio::time::sleep(grace).await;
        }
        let used = cpu.used(&before, &cpu.snapshot());
        let requests = measure::requests(&stats);
        let per = |secs: f64| secs * 1e6 / requests.max(1) as f64;
        println!(
            "| {label} | {requests} | {:.0} | {:.0} | {:.0} |",
            per(used.servers),
            per(used.postgres),
            requests as f64 / used.wall
        );
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
    let per_kind = env_usize("LOAD_CALIBRATE", 2_000);
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
    let cpu = Cpu::new(servers.iter().map(|s| s.child.id()).collect());
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let http = {
        agentdesk_server::outbound::install_crypto();
        reqwest::Client::builder()
    }
    .timeout(Duration::from_secs(10))
    .pool_max_idle_per_host(agents)
    .build()?;
    let admin = login(&http, &bases[0], "load_admin".into()).await?;
    let integration: IntegrationCredentials = http
        .post(format!("{}/api/v1/integrations", bases[0]))
        .bearer_auth(&admin)
        .json(&json!({ "name": "carga", "team_id": team }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ctx = Arc::new(Ctx {
        http,
        streams: agentdesk_server::outbound::plain_client(),
        bases,
        contacts,
        ingest_token: integration.token,
        events: AtomicU64::new(0),
        live: Live::default(),
    });

    // Sign everyone in (a few at a time: password hashing is deliberately slow).
    let t = Instant::now();
    let mut tokens = Vec::with_capacity(agents);
    for chunk in (0..agents).collect::<Vec<_>>().chunks(4) {
        let logins = chunk.iter().map(|&i| {
            login(
                &ctx.http,
                &ctx.bases[i % instances],
                format!("agent_{i:04}"),
            )
        });
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
    let mut desks = Vec::with_capacity(agents);
    for (i, token) in tokens.into_iter().enumerate() {
        let instance = i % instances;
        let contact = ctx.contacts[i % ctx.contacts.len()];
        let stream = open_stream(&ctx, instance, &token, contact, &Stats::default())
            .await
            .map_err(|e| anyhow::anyhow!("opening agent {i}'s stream: {e:?}"))?;
        desks.push(Desk {
            i,
            instance,
            token,
            contact,
            stream,
            rng: fastrand::Rng::with_seed(i as u64),
            n: 0,
        });
    }
    eprintln!("{agents} real-time streams open; running for {secs} s");

    let stats: Stats = Arc::default();
    let started = Instant::now();
    let cpu_before = cpu.snapshot();
    let deadline = started + Duration::from_secs(secs);
    let mut workers = tokio::task::JoinSet::new();
    for mut desk in desks {
        let (ctx, stats) = (ctx.clone(), stats.clone());
        workers.spawn(async move {
            loop {
                let think = Duration::from_millis(desk.rng.u64(0..=2 * think_ms));
                if Instant::now() + think >= deadline {
                    break;
                }
                tokio::time::sleep(think).await;
                let kind = pick(&mut desk.rng);
                act(&ctx, &mut desk, kind, &stats).await;
            }
            desk
        });
    }
    let mut desks = Vec::new();
    while let Some(done) = workers.join_next().await {
        desks.push(done?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let used = cpu.used(&cpu_before, &cpu.snapshot());

    println!(
        "\n{agents} agents, {instances} instance(s), {secs} s, think time 0–{} ms, {}\n",
        2 * think_ms,
        if db_url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    let errors = print_table(&stats, elapsed);
    ctx.live.print(instances);
    println!(
        "\nreal-time events delivered to the agents' streams: {}",
        ctx.events.load(Ordering::Relaxed)
    );
    let requests = measure::requests(&stats);
    let per = |s: f64| s * 1e6 / requests.max(1) as f64;
    println!(
        "\nCPU over the run ({:.0} s wall, 2 cores = {:.0} CPU s): servers {:.1} s ({:.0} µs / request), PostgreSQL {:.1} s ({:.0} µs / request), load generator {:.1} s",
        used.wall,
        2.0 * used.wall,
        used.servers,
        per(used.servers),
        used.postgres,
        per(used.postgres),
        used.generator
    );

    if per_kind > 0 {
        desks.sort_by_key(|d| d.i);
        desks.truncate(32);
        calibrate(&ctx, &mut desks, &cpu, per_kind, Duration::from_secs(5)).await;
    }
    for d in &desks {
        d.stream.abort();
    }
    drop(servers);
    if errors > 0 {
        anyhow::bail!("{errors} requests failed");
    }
    Ok(())
}
