//! Team communication analytics benchmark: a team's activities written through the
//! store's batch write path (which keeps the analytics' facts), then the team's analytics
//! over a month read as the API reads them (`report::team::team`, without HTTP).
//!
//! Run: `cargo bench -p agentdesk-server --bench analytics`. Environment:
//! `BENCH_ACTIVITIES` (1,000,000 over twelve months of 2026, on 50,000 contacts: inbound
//! and outbound e-mail and SMS, each inbound message answered within 0–48 h two times in
//! three, calls, chats, tickets, notes), `BENCH_RUNS` (50), `BENCH_DATABASE_URL` (a
//! `postgres://` database instead of a new SQLite file), `BENCH_READ` (0: only the write).
//! Printed: the write's activities/s and CPU µs per activity; p50/p99/max of the
//! analytics of March 2026 by 15 min, hour and day (ms); then, with conversation
//! attributes given to four activities in five (campaign, outcome, abandoned and two
//! measures, written by SQL), p50/p99/max of the conversations report of March 2026
//! (`report::conversations::conversations`) grouped and filtered three ways.

use std::time::{Duration, Instant};

use agentdesk_protocol::{ActivityDetail, Direction};
use agentdesk_server::store::{self, NewActivity};
use chrono::{TimeZone, Utc};

#[path = "common/contacts.rs"]
mod seed;
use seed::contacts;
#[path = "common/cpu.rs"]
mod cpu;
use cpu::cpu_time;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn at(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn detail(rng: &mut fastrand::Rng, inbound: bool, i: u64) -> ActivityDetail {
    let direction = if inbound {
        Direction::Inbound
    } else {
        Direction::Outbound
    };
    match rng.u8(0..100) {
        0..30 => ActivityDetail::Sms {
            direction,
            text: format!("consulta {i}"),
        },
        30..60 => ActivityDetail::Email {
            direction,
            status: None,
            content: None,
        },
        60..80 => ActivityDetail::Call {
            direction,
            number: "+59899000000".into(),
            campaign: "Ventas".into(),
            duration_secs: rng.u32(0..900),
            disposition: None,
            outcome: None,
        },
        80..90 => ActivityDetail::Chat {
            session_id: format!("s{i}"),
            first_message: "hola".into(),
            duration_secs: 60,
            message_count: 4,
        },
        90..95 => ActivityDetail::Ticket {
            ticket_id: format!("T-{i}"),
            subject: "reclamo".into(),
            status: agentdesk_protocol::TicketStatus::Open,
            event: "created".into(),
        },
        _ => ActivityDetail::Note {
            text: "nota".into(),
        },
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let total: u64 = env("BENCH_ACTIVITIES", "1000000")
        .replace('_', "")
        .parse()?;
    let runs: usize = env("BENCH_RUNS", "50").parse()?;
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("analytics.db").display()
        )
    });
    let store = store::open(&url).await?;
    store.migrate().await?;
    let team = store.create_team("Bench").await?.id;
    let contacts = contacts(&store, team, "Cliente", 50_000).await?;
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let (t0, cpu0) = (Instant::now(), cpu_time());
    let mut written = 0u64;
    let mut batch = Vec::with_capacity(1_000);
    while written < total {
        // An inbound message, and two times in three its reply within 48 h.
        let contact = contacts[rng.usize(..contacts.len())];
        let when = start + chrono::Duration::seconds(rng.i64(0..365 * 86_400));
        let first = detail(&mut rng, true, written);
        let replied = rng.u8(0..3) > 0;
        let mut pair = vec![(first.clone(), when)];
        if replied {
            let mut reply = first;
            match &mut reply {
                ActivityDetail::Sms { direction, .. }
                | ActivityDetail::Email { direction, .. }
                | ActivityDetail::Call { direction, .. } => *direction = Direction::Outbound,
                _ => {}
            }
            pair.push((
                reply,
                when + chrono::Duration::seconds(rng.i64(0..48 * 3600)),
            ));
        }
        for (d, at) in pair {
            batch.push(NewActivity {
                team_id: team,
                contact_id: contact,
                user_id: None,
                model_id: format!("m{written}"),
                detail: d,
                email: None,
                occurred_at: at,
            });
            written += 1;
        }
        if batch.len() >= 1_000 {
            store.insert_activities(&batch, false).await?;
            batch.clear();
            if written % 200_000 < 2 {
                eprintln!(
                    "  written {written:>9} ({:.0}/s)",
                    written as f64 / t0.elapsed().as_secs_f64()
                );
            }
        }
    }
    store.insert_activities(&batch, false).await?;
    let (secs, cpu) = (t0.elapsed().as_secs_f64(), cpu_time() - cpu0);
    println!(
        "write: {written} activities in {secs:.1} s = {:.0}/s, {:.0} CPU µs each (this process)",
        written as f64 / secs,
        cpu.as_secs_f64() * 1e6 / written as f64
    );
    if env("BENCH_READ", "1") == "0" {
        return Ok(());
    }
    read(&store, team, runs).await?;
    conversations(&store, &url, team, runs).await
}

/// Attributes for four activities in five, by SQL (what the write path would keep; a
/// call's campaign, which its write kept, stays), and the conversations report's table
/// recomputed from them.
async fn give_attributes(url: &str) -> anyhow::Result<()> {
    let statements = [
        "INSERT INTO conversation_attributes (activity_id, name, value, number) \
         SELECT id, 'campaign', 'Campaña ' || CAST(id % 7 AS TEXT), NULL FROM activities WHERE id % 5 <> 0 ON CONFLICT DO NOTHING",
        "INSERT INTO conversation_attributes (activity_id, name, value, number) \
         SELECT id, 'outcome', CASE WHEN id % 3 = 0 THEN 'Sold' WHEN id % 3 = 1 THEN 'Lost' ELSE 'Callback' END, NULL \
         FROM activities WHERE id % 5 <> 0 ON CONFLICT DO NOTHING",
        "INSERT INTO conversation_attributes (activity_id, name, value, number) \
         SELECT id, 'abandoned', CASE WHEN id % 11 = 0 THEN 'Yes' ELSE 'No' END, NULL FROM activities WHERE id % 5 <> 0 ON CONFLICT DO NOTHING",
        "INSERT INTO conversation_attributes (activity_id, name, value, number) \
         SELECT id, 'conversation_measure_1', CAST(id % 100 AS TEXT), id % 100 FROM activities WHERE id % 5 <> 0 ON CONFLICT DO NOTHING",
        "INSERT INTO conversation_attributes (activity_id, name, value, number) \
         SELECT id, 'hold_time', CAST(id % 60 AS TEXT), id % 60 FROM activities WHERE id % 5 <> 0 ON CONFLICT DO NOTHING",
    ];
    // The report's table, recomputed from them by the migration's own backfill.
    let (dir, file) = if url.starts_with("postgres") {
        ("postgres", "0042_conversation_facts.sql")
    } else {
        ("sqlite", "0041_conversation_facts.sql")
    };
    let migration = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("migrations/{dir}/{file}")),
    )?;
    let backfill = migration
        .find("-- What is already there")
        .map(|at| migration[at..].to_owned())
        .ok_or_else(|| anyhow::anyhow!("no backfill in {file}"))?;
    let statements = statements
        .iter()
        .map(|s| (*s).to_owned())
        .chain(["DELETE FROM conversation_facts".to_owned(), backfill]);
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        for s in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(s)).execute(&pool).await?;
        }
        sqlx::query("ANALYZE").execute(&pool).await?;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await?;
        for s in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(s)).execute(&pool).await?;
        }
        sqlx::query("ANALYZE").execute(&pool).await?;
    }
    Ok(())
}

/// March 2026 in Montevideo by `interval`: the month every read here reports.
fn march(
    team: i64,
    interval: agentdesk_protocol::report::Interval,
) -> anyhow::Result<agentdesk_server::report::Scope> {
    agentdesk_server::report::Scope::new(
        team,
        "2026-03-01".parse().ok(),
        "2026-03-31".parse().ok(),
        Some(interval),
        chrono_tz::Tz::America__Montevideo,
    )
    .map_err(|(f, m)| anyhow::anyhow!("{f}: {m}"))
}

/// `runs` timed answers of `f`: "p50 | p99 | max" (ms) and the last answer.
async fn timed<T>(
    runs: usize,
    mut f: impl AsyncFnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(String, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = Some(f().await?);
        times.push(t.elapsed());
    }
    times.sort();
    let shown = format!(
        "{:.1} | {:.1} | {:.1}",
        at(&times, 0.5),
        at(&times, 0.99),
        at(&times, 1.0)
    );
    Ok((shown, last.ok_or_else(|| anyhow::anyhow!("no run"))?))
}

async fn conversations(
    store: &store::DynStore,
    url: &str,
    team: i64,
    runs: usize,
) -> anyhow::Result<()> {
    use agentdesk_protocol::report::Interval;
    use agentdesk_server::report::conversations::{Slice, conversations};
    let t = Instant::now();
    give_attributes(url).await?;
    println!("attributes written in {:.1} s", t.elapsed().as_secs_f64());
    let defs = store.attribute_defs().await?;
    println!("| group by | filters | interval | rows | conversations | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---:|---:|---:|---:|---:|");
    let cases: [(&str, Vec<String>, Interval); 4] = [
        ("campaign", vec![], Interval::Day),
        ("campaign", vec![], Interval::Hour),
        ("outcome", vec!["campaign:Campaña 3".into()], Interval::Day),
        (
            "channel",
            vec!["abandoned:No".into(), "outcome:Sold".into()],
            Interval::Day,
        ),
    ];
    for (group_by, filters, interval) in cases {
        let scope = march(team, interval)?;
        let slice = Slice::new(&defs, Some(group_by), None, None, filters.clone())
            .map_err(|(f, m)| anyhow::anyhow!("{f}: {m}"))?;
        let (times, r) = timed(runs, async || {
            Ok(conversations(store, &scope, &slice, &defs).await?)
        })
        .await?;
        println!(
            "| {group_by} | {} | {} | {} | {} | {times} |",
            filters.join(" & "),
            interval.as_str(),
            r.rows.len(),
            r.total.conversations
        );
    }
    Ok(())
}

// BENCH-READ-START (a build of code without team analytics leaves this part out)
async fn read(store: &store::DynStore, team: i64, runs: usize) -> anyhow::Result<()> {
    use agentdesk_protocol::report::Interval;
    use agentdesk_server::report::team::team as analytics;
    println!("| interval | rows | interactions | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for interval in [Interval::Quarter, Interval::Hour, Interval::Day] {
        let scope = march(team, interval)?;
        let (times, r) = timed(runs, async || Ok(analytics(store, &scope).await?)).await?;
        println!(
            "| {} | {} | {} | {times} |",
            interval.as_str(),
            r.rows.len(),
            r.total
        );
    }
    Ok(())
}
