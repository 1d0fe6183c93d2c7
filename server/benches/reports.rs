//! Report benchmark: the queue and agent reports of one team over a month, read from the
//! roll-ups of a database already holding queue_log rows (`scripts/bench-import.sh`
//! leaves a million-row one in `target/bench-import/`), and the cost of a rebuild.
//!
//! Run: `BENCH_DATABASE_URL=sqlite://target/bench-import/import_1000000.db cargo bench
//! -p agentdesk-server --bench reports` (or a `postgres://` database the import wrote).
//! Environment: `BENCH_TEAM` (Bench), `BENCH_FROM` / `BENCH_TO` (2026-01-01 / 2026-01-31),
//! `BENCH_RUNS` (50), `BENCH_REBUILD` (1: also time `rebuild-reports`).
//! Printed: p50/p99/max per report and interval, in ms.

use std::time::{Duration, Instant};

use agentdesk_protocol::report::Interval;
use agentdesk_server::report::{self, Scope};
use agentdesk_server::store;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn at(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("BENCH_DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("BENCH_DATABASE_URL: a database holding queue_log rows"))?;
    let store = store::open(&url).await?;
    store.migrate().await?;
    let team = store
        .team_by_name(&env("BENCH_TEAM", "Bench"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no such team"))?
        .id;
    let from = env("BENCH_FROM", "2026-01-01").parse()?;
    let to = env("BENCH_TO", "2026-01-31").parse()?;
    let runs: usize = env("BENCH_RUNS", "50").parse()?;
    if env("BENCH_REBUILD", "1") == "1" {
        let t = Instant::now();
        let (read, _) = store.rebuild_reports(Some(team)).await?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "rebuild-reports: {read} rows in {s:.1} s ({:.0} rows/s)",
            read as f64 / s
        );
    }
    println!("| report | interval | rows | p50 ms | p99 ms | max ms |");
    println!("|---|---|---:|---:|---:|---:|");
    // The queue report; the agent report's first page as the screen asks for it; all of
    // the agent report's rows, as the CSV and the command print them.
    for which in ["queue", "agents (page 1)", "agents (all rows)"] {
        for interval in [Interval::Quarter, Interval::Hour, Interval::Day] {
            let scope = Scope::new(
                team,
                Some(from),
                Some(to),
                Some(interval),
                chrono_tz::Tz::America__Montevideo,
            )
            .map_err(|(f, m)| anyhow::anyhow!("{f}: {m}"))?;
            let mut times = Vec::with_capacity(runs);
            let mut rows = 0;
            for _ in 0..runs {
                let t = Instant::now();
                rows = match which {
                    "queue" => report::queue(&store, &scope).await?.rows.len(),
                    "agents (page 1)" => {
                        let page = report::Page {
                            number: 1,
                            size: agentdesk_protocol::report::AGENT_PAGE_ROWS,
                        };
                        report::agents(&store, &scope, Some(page)).await?.rows.len()
                    }
                    _ => report::agents(&store, &scope, None).await?.rows.len(),
                };
                times.push(t.elapsed());
            }
            times.sort();
            println!(
                "| {} | {} | {rows} | {:.1} | {:.1} | {:.1} |",
                which,
                interval.as_str(),
                at(&times, 0.5),
                at(&times, 0.99),
                at(&times, 1.0)
            );
        }
    }
    Ok(())
}
