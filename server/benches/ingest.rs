//! Single-item ingest benchmark: how many interactions a second the write path takes
//! when each arrives alone (as an integration's `POST /ingest` sends them), and whether
//! that rate falls as the database grows.
//!
//! The database is filled in steps (`BENCH_STEPS`, default `0 1000000`: interactions on
//! file before each measurement, loaded through the store's batch path, as an import
//! does); at each step `BENCH_CONCURRENCY` writers (64) send SMS one at a time through
//! `Store::ingest` with real-time events on, for `BENCH_SECONDS` (20): half from numbers
//! already on file (linked to their contact), half from new ones (a contact created).
//! Printed: interactions/s, latency p50/p99 and the process's CPU µs per interaction.
//! The store call is what is measured, not HTTP (its cost is in the load test).
//!
//! Run: `cargo bench -p agentdesk-server --bench ingest`. `BENCH_DB` keeps the SQLite
//! file between runs (a re-run loads only what is missing); `BENCH_DATABASE_URL` runs on
//! a `postgres://` database instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agentdesk_protocol::{ActivityDetail, CustomerRef, Direction};
use agentdesk_server::ingest::Parts;
use agentdesk_server::store::{self, DynStore, ingest::NewInteraction};
use chrono::{TimeZone, Utc};

#[path = "common/cpu.rs"]
mod cpu;
use cpu::cpu_time;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The fill's interactions come from `CONTACTS` numbers; the measurements' "known"
/// numbers are the first `KNOWN` of them, their new ones are drawn above.
const CONTACTS: u64 = 500_000;
const KNOWN: u64 = 100_000;

fn phone(n: u64) -> String {
    format!("+5989{:07}", n % 10_000_000)
}

/// Interaction `n` (its SMS id is its source key, so each is new) from number `number`.
fn sms(team: i64, n: u64, number: u64) -> NewInteraction {
    let customer = CustomerRef::default();
    let number = phone(number);
    let defs = Default::default();
    Parts {
        source: "sms",
        source_key: format!("bench-{n}"),
        team_id: team,
        customer: &customer,
        counterparts: vec![&number],
        fallback_name: "",
        conversation_id: None,
        attributes: &Default::default(),
        defs: &defs,
        region: "UY",
        user_id: None,
        occurred_at: Utc
            .timestamp_opt(1_767_225_600 + n as i64 % 31_536_000, 0)
            .unwrap(),
    }
    .build(
        ActivityDetail::Sms {
            direction: Direction::Inbound,
            text: format!("Hola, consulta por la factura {n}"),
        },
        None,
    )
}

/// Fill the database to `target` interactions, in batches of 1,000, counting from
/// `have`.
async fn fill(store: &DynStore, team: i64, have: u64, target: u64) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let mut n = have;
    while n < target {
        let batch: Vec<NewInteraction> = (n..target.min(n + 1_000))
            .map(|i| sms(team, i, i % CONTACTS))
            .collect();
        n += batch.len() as u64;
        store.ingest(&batch, false).await?;
        if n.is_multiple_of(200_000) {
            eprintln!(
                "  filled {n:>10} ({:.0}/s)",
                (n - have) as f64 / t0.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

async fn measure(
    store: &DynStore,
    team: i64,
    first: u64,
    writers: usize,
    secs: u64,
) -> anyhow::Result<u64> {
    let next = Arc::new(AtomicU64::new(first));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (store, next) = (store.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(w as u64);
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let number = if rng.bool() {
                    rng.u64(..KNOWN)
                } else {
                    5_000_000 + n % 5_000_000
                };
                let item = sms(team, n, number);
                let t = Instant::now();
                store.ingest(std::slice::from_ref(&item), true).await?;
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await??);
    }
    let wall = t0.elapsed();
    let cpu = cpu_time().saturating_sub(cpu0);
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "  {} interactions in {:.1} s: {:.0}/s; p50 {:.2} ms, p99 {:.2} ms; CPU {:.0} µs each",
        times.len(),
        wall.as_secs_f64(),
        times.len() as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e6 / times.len() as f64
    );
    Ok(next.load(Ordering::Relaxed))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let steps: Vec<u64> = std::env::var("BENCH_STEPS")
        .unwrap_or_else(|_| "0 1000000".into())
        .split_whitespace()
        .map(|s| s.replace('_', "").parse())
        .collect::<Result<_, _>>()?;
    let writers = env_usize("BENCH_CONCURRENCY", 64);
    let secs = env_usize("BENCH_SECONDS", 20) as u64;
    let dir = tempfile::tempdir()?;
    let url = match (
        std::env::var("BENCH_DATABASE_URL"),
        std::env::var("BENCH_DB"),
    ) {
        (Ok(url), _) => url,
        (_, Ok(path)) => format!("sqlite://{path}"),
        _ => format!("sqlite://{}", dir.path().join("ingest.db").display()),
    };
    let store = store::open(&url).await?;
    store.migrate().await?;
    // A kept SQLite file remembers how far it was filled in a file beside it.
    let progress = std::env::var("BENCH_DB")
        .ok()
        .filter(|_| url.starts_with("sqlite:"))
        .map(|p| format!("{p}.filled"));
    let saved: Option<(i64, u64)> = progress
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| {
            let (team, filled) = s.trim().split_once(' ')?;
            Some((team.parse().ok()?, filled.parse().ok()?))
        });
    let (team, mut filled) = match saved {
        Some(saved) => saved,
        None => (store.create_team("Bench").await?.id, 0),
    };
    // The measurements' source keys are numbered far above the fill's, apart for each
    // run (a kept file is measured again).
    let mut measured =
        1_000_000_000_000u64 + (Utc::now().timestamp() as u64 % 1_000_000) * 1_000_000;
    for step in steps {
        if filled < step {
            eprintln!("filling to {step} interactions");
            fill(&store, team, filled, step).await?;
            filled = step;
            if let Some(p) = &progress {
                std::fs::write(p, format!("{team} {filled}"))?;
            }
        }
        println!("at {filled} interactions on file, {writers} writers, {secs} s:");
        measured = measure(&store, team, measured, writers, secs).await?;
    }
    Ok(())
}
