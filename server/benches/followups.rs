//! Follow-up benchmark: 100 active follow-ups, each polling a stand-in system (a real
//! HTTP server on loopback) that answers 1,000 records, every record linked to a contact
//! by phone and naming one of 50 agents. Three poll cycles of all follow-ups: the first
//! (every record new: 100,000 notifications, each with its timeline activity), the
//! second an interval later (every record's second attempt), the third with half the
//! records gone (resolved) and the rest on their third attempt.
//!
//! Run: `cargo bench -p agentdesk-server --bench followups`. Environment:
//! `BENCH_FOLLOWUPS` (100), `BENCH_RECORDS` (1,000), `BENCH_DATABASE_URL` (a
//! `postgres://` database, empty, to run on instead of a new SQLite file).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use agentdesk_protocol::{Locale, Role};
use agentdesk_server::events::EventHub;
use agentdesk_server::followups::Engine;
use agentdesk_server::outbound::Outbound;
use agentdesk_server::store::{self, NewContact, NewUser};
use chrono::Utc;
use serde_json::json;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

const AGENTS: usize = 50;

fn phone(i: usize) -> String {
    format!("+5989{:07}", 1_000_000 + i)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let followups = env_usize("BENCH_FOLLOWUPS", 100);
    let records = env_usize("BENCH_RECORDS", 1_000);
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = store::open(&url).await?;
    store.migrate().await?;
    let team = store.create_team("Bench").await?.id;
    for a in 0..AGENTS {
        store
            .create_user(NewUser {
                username: format!("agent{a}"),
                display_name: format!("Agent {a}"),
                password_hash: "x".into(),
                role: Role::Agent,
                can_email: false,
                locale: Locale::Es,
                time_zone: "UTC".into(),
                ucontact_agent: None,
                email: None,
                team_ids: vec![team],
            })
            .await?;
    }
    for i in 0..records {
        store
            .create_contact(NewContact {
                team_id: team,
                name: format!("Cliente {i}"),
                phone: Some(phone(i)),
                email: None,
                external_id: None,
                attributes: Default::default(),
                created_at: Utc::now(),
            })
            .await?;
    }

    // The stand-in: `/records?from=&n=` answers n records; `half` keeps every other one.
    let half = Arc::new(AtomicBool::new(false));
    let body_all = records_json(records, false);
    let body_half = records_json(records, true);
    let flag = half.clone();
    let app = axum::Router::new().route(
        "/records",
        axum::routing::get(move || {
            let body = if flag.load(Ordering::Relaxed) {
                body_half.clone()
            } else {
                body_all.clone()
            };
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let t0 = Utc::now() + chrono::Duration::minutes(1);
    for f in 0..followups {
        let spec = serde_json::from_value(json!({
            "name": format!("Follow-up {f}"),
            "poll_minutes": 10,
            "calls": [{ "name": "records", "url": format!("{base}/records?f={f}") }],
            "attributes": [
                { "name": "id", "path": "/id" },
                { "name": "owner", "path": "/owner" },
                { "name": "phone", "path": "/phone" }
            ],
            "looping": "/items",
            "record_id": "/id",
            "recipients": { "user": "owner" },
            "contact": { "team_id": team, "phone": "phone" },
            "message": { "text": "Record {{id}} needs you" },
            "channel": "in_app",
            "notify_minutes": 10,
            "attempts": 3
        }))?;
        store.create_followup(&spec, Utc::now()).await?;
    }
    let outbound = Outbound::new(true, Duration::from_secs(60))?;
    let engine = Engine::with(
        store.clone(),
        outbound,
        EventHub::default(),
        "UY".into(),
        64 << 20,
    );
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("{backend}: {followups} follow-ups × {records} records");
    println!(
        "| cycle | polls | records | new | notified | resolved | errors | time | notifications/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (cycle, at) in [
        ("1: all new", t0),
        ("2: second attempts", t0 + chrono::Duration::minutes(10)),
        (
            "3: half resolved, third attempts",
            t0 + chrono::Duration::minutes(20),
        ),
    ] {
        if cycle.starts_with('3') {
            half.store(true, Ordering::Relaxed);
        }
        let started = Instant::now();
        let runs = engine.run_due(at).await?;
        let took = started.elapsed();
        let sum = |f: fn(&agentdesk_protocol::followup::FollowUpRun) -> u32| -> u64 {
            runs.iter().map(|(_, r)| u64::from(f(r))).sum()
        };
        let notified = sum(|r| r.notified);
        let errors: usize = runs.iter().map(|(_, r)| r.errors.len()).sum();
        println!(
            "| {cycle} | {} | {} | {} | {notified} | {} | {errors} | {:.2} s | {:.0} |",
            runs.len(),
            sum(|r| r.found),
            sum(|r| r.new),
            sum(|r| r.resolved),
            took.as_secs_f64(),
            notified as f64 / took.as_secs_f64()
        );
        if let Some((_, r)) = runs.iter().find(|(_, r)| !r.errors.is_empty()) {
            println!("first error: {}", r.errors[0]);
        }
    }
    Ok(())
}

/// The stand-in's answer: records `0..n` (every other one with `half`), owners cycling
/// through the agents, phones those of the contacts.
fn records_json(n: usize, half: bool) -> String {
    let items: Vec<serde_json::Value> = (0..n)
        .filter(|i| !half || i % 2 == 0)
        .map(|i| json!({ "id": i, "owner": format!("agent{}", i % AGENTS), "phone": phone(i) }))
        .collect();
    json!({ "items": items }).to_string()
}
