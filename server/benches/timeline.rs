//! Timeline benchmark: 1,000,000 activities in SQLite (one contact with 200,000), then
//! the server-side latency of the timeline query (the store call a request makes) for
//! page 1, page 100, the last page, a kinds-filtered page and a search — and, on the same
//! data in the same run, the naive `COUNT(*)` + `LIMIT/OFFSET` (+ `LIKE`) approach.
//!
//! Run: `cargo bench -p agentdesk-server --bench timeline` (scripts/bench.sh does it).
//! Environment: `BENCH_ACTIVITIES` (default 1,000,000), `BENCH_BIG` (200,000),
//! `BENCH_ITERATIONS` (1,000), `BENCH_NAIVE_ITERATIONS` (100), `BENCH_DB` (a path to keep
//! the database between runs), `BENCH_ONLY` (only the cases whose name contains it),
//! `BENCH_DATABASE_URL` (a `postgres://` database to run on instead of SQLite: loaded
//! when it has no activities yet, reused otherwise).

use std::time::{Duration, Instant};

use agentdesk_protocol::{ActivityDetail, ActivityKind, Direction, Disposition, Locale, Role};
use agentdesk_server::store::{self, DynStore, NewActivity, NewUser, TimelineRequest, Viewer};
use chrono::{TimeZone, Utc};
use sqlx::{AssertSqlSafe, Row};

#[path = "common/contacts.rs"]
mod seed;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

const WORDS: &[&str] = &[
    "factura",
    "pago",
    "plan",
    "servicio",
    "router",
    "conexión",
    "reclamo",
    "consulta",
    "pedido",
    "envío",
    "stock",
    "cuenta",
    "tarjeta",
    "descuento",
    "precio",
    "cambio",
    "baja",
    "alta",
    "horario",
    "técnico",
    "visita",
    "domicilio",
    "reintegro",
    "cobro",
    "mensaje",
    "llamada",
    "correo",
    "contrato",
    "oferta",
    "cliente",
    "urgente",
    "gracias",
    "invoice",
    "payment",
    "order",
    "refund",
    "upgrade",
    "outage",
    "delivery",
    "account",
];

struct Stats {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        max: *v.last().unwrap(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

async fn load(store: &DynStore, total: usize, big: usize) -> anyhow::Result<(i64, i64)> {
    let team = store.create_team("Bench").await?.id;
    let user = store
        .create_user(NewUser {
            username: "bench_super".into(),
            display_name: "Bench Supervisor".into(),
            password_hash: "x".into(),
            role: Role::Supervisor,
            can_email: true,
            locale: Locale::Es,
            time_zone: "UTC".into(),
            ucontact_agent: None,
            email: None,
            team_ids: vec![team],
        })
        .await?;
    // One big contact and the rest spread over contacts of ~400 activities.
    let others = ((total - big) / 400).max(1);
    let contacts = seed::contacts(store, team, "Contacto", others + 1).await?;
    let big_contact = contacts[0];
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().unwrap();
    let span_secs = 2 * 365 * 86_400;
    let mut rng = fastrand::Rng::with_seed(42);
    let mut batch = Vec::with_capacity(10_000);
    let t0 = Instant::now();
    for i in 0..total {
        let contact = if i < big {
            big_contact
        } else {
            contacts[1 + rng.usize(..others)]
        };
        let text: Vec<&str> = (0..rng.usize(5..10))
            .map(|_| WORDS[rng.usize(..WORDS.len())])
            .collect();
        let text = text.join(" ");
        let detail = match rng.u8(0..100) {
            0..35 => ActivityDetail::Call {
                direction: Direction::Inbound,
                number: format!("+5989{:07}", rng.u32(..10_000_000)),
                campaign: "Ventas".into(),
                duration_secs: rng.u32(0..900),
                disposition: Some(Disposition {
                    l1: "Consulta".into(),
                    l2: String::new(),
                    l3: String::new(),
                    comment: String::new(),
                    sync: None,
                }),
                outcome: None,
            },
            35..60 => ActivityDetail::Chat {
                session_id: format!("s{i}"),
                first_message: text,
                duration_secs: 120,
                message_count: 8,
            },
            60..80 => ActivityDetail::Ticket {
                ticket_id: format!("T-{i}"),
                subject: text,
                status: agentdesk_protocol::TicketStatus::Open,
                event: "created".into(),
            },
            80..95 => ActivityDetail::Sms {
                direction: Direction::Outbound,
                text,
            },
            _ => ActivityDetail::Note { text },
        };
        batch.push(NewActivity {
            team_id: team,
            contact_id: contact,
            user_id: Some(user),
            model_id: format!("m{i}"),
            detail,
            email: None,
            occurred_at: start + chrono::Duration::seconds(rng.i64(0..span_secs)),
        });
        if batch.len() == batch.capacity() {
            store.insert_activities(&batch, false).await?;
            batch.clear();
            if (i + 1) % 100_000 == 0 {
                eprintln!(
                    "  loaded {:>9} activities ({:.0}/s)",
                    i + 1,
                    (i + 1) as f64 / t0.elapsed().as_secs_f64()
                );
            }
        }
    }
    store.insert_activities(&batch, false).await?;
    Ok((big_contact, user))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let total = env_usize("BENCH_ACTIVITIES", 1_000_000);
    let big = env_usize("BENCH_BIG", 200_000).min(total);
    let iterations = env_usize("BENCH_ITERATIONS", 1_000);
    // The naive approach takes up to half a second a call at depth: fewer rounds.
    let naive_iterations = env_usize("BENCH_NAIVE_ITERATIONS", 100);
    let keep = std::env::var("BENCH_DB").ok();
    let dir = tempfile::tempdir()?;
    let pg_url = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"));
    let (url, pool) = match pg_url {
        Some(url) => {
            let pool = Pool::Pg(sqlx::PgPool::connect(&url).await?);
            (url, pool)
        }
        None => {
            let path = keep.unwrap_or_else(|| dir.path().join("bench.db").display().to_string());
            let url = format!("sqlite://{path}?mode=rwc");
            // The store's own page-cache settings, so that the naive queries compete fairly.
            let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)?
                .pragma("mmap_size", "268435456")
                .pragma("cache_size", "-32768");
            let pool = Pool::Sqlite(sqlx::SqlitePool::connect_with(opts).await?);
            (url, pool)
        }
    };
    let store = store::open(&url).await?;
    // On a database of an earlier version this includes re-indexing its history.
    let t = Instant::now();
    store.migrate().await?;
    eprintln!("migrations: {:.1} s", t.elapsed().as_secs_f64());
    let fresh = pool.count_activities().await? == 0;
    let (contact, user) = if fresh {
        eprintln!("loading {total} activities ({big} on one contact)");
        let t = Instant::now();
        let ids = load(&store, total, big).await?;
        eprintln!("loaded in {:.1} s", t.elapsed().as_secs_f64());
        ids
    } else {
        eprintln!("reusing the loaded database");
        pool.first_contact_and_user().await?
    };
    // The housekeeping `serve` runs periodically (`AGENTDESK_MAINTENANCE_SECS`), until
    // it has nothing left to do, as a server that has been up for a while has done it.
    let t = Instant::now();
    let mut steps = 0;
    while std::env::var_os("BENCH_NO_MAINTAIN").is_none() {
        let n = store.maintain(Duration::from_secs(5)).await?;
        steps += n;
        if n == 0 {
            break;
        }
    }
    eprintln!(
        "maintenance: {steps} steps in {:.2} s; {} search index segments",
        t.elapsed().as_secs_f64(),
        pool.search_segments().await?
    );
    // Planner statistics: PostgreSQL's autovacuum keeps them; a SQLite server never
    // gathers any, so the SQLite runs go without (BENCH_ANALYZE=1 adds them).
    if pool.is_pg() || std::env::var_os("BENCH_ANALYZE").is_some() {
        pool.analyze().await?;
    }
    let viewer = Viewer {
        user_id: user,
        role: Role::Supervisor,
        can_email: true,
    };

    let first = store
        .timeline(
            &viewer,
            contact,
            &TimelineRequest {
                page: 1,
                ..Default::default()
            },
        )
        .await?
        .unwrap();
    let pages = first.pages;
    let sms_pages = first
        .kind_counts
        .iter()
        .find(|k| k.kind == ActivityKind::Sms)
        .map(|k| k.count.div_ceil(10) as u32)
        .unwrap_or(1);
    let search_word = "reintegro";
    let searched = store
        .timeline(
            &viewer,
            contact,
            &TimelineRequest {
                page: 1,
                words: vec![search_word.into(), "urg".into()],
                ..Default::default()
            },
        )
        .await?
        .unwrap();
    eprintln!(
        "contact {contact}: {} activities, {pages} pages; search \"{search_word} urg*\": {}{} matches",
        first.total,
        if searched.capped { "more than " } else { "" },
        searched.total
    );

    let cases: Vec<(String, TimelineRequest)> = vec![
        (
            "page 1".into(),
            TimelineRequest {
                page: 1,
                ..Default::default()
            },
        ),
        (
            "page 100".into(),
            TimelineRequest {
                page: 100,
                ..Default::default()
            },
        ),
        (
            format!("last page ({pages})"),
            TimelineRequest {
                page: pages,
                ..Default::default()
            },
        ),
        (
            "kinds=sms, page 1".into(),
            TimelineRequest {
                page: 1,
                kinds: vec![ActivityKind::Sms],
                ..Default::default()
            },
        ),
        (
            format!("kinds=sms, last page ({sms_pages})"),
            TimelineRequest {
                page: sms_pages,
                kinds: vec![ActivityKind::Sms],
                ..Default::default()
            },
        ),
        (
            "kinds=call,sms, page 50".into(),
            TimelineRequest {
                page: 50,
                kinds: vec![ActivityKind::Call, ActivityKind::Sms],
                ..Default::default()
            },
        ),
        (
            format!("search \"{search_word} urg\", page 1"),
            TimelineRequest {
                page: 1,
                words: vec![search_word.into(), "urg".into()],
                ..Default::default()
            },
        ),
        (
            "search \"factura\", page 1".into(),
            TimelineRequest {
                page: 1,
                words: vec!["factura".into()],
                ..Default::default()
            },
        ),
        (
            // A common word: more matches than the limit, so its last page is the
            // 100th (the naive column pages to the oldest match).
            "search \"factura\", last page".into(),
            TimelineRequest {
                page: u32::MAX, // past the end: answered with the last page
                words: vec!["factura".into()],
                ..Default::default()
            },
        ),
        (
            format!("middle page ({}) without anchor", pages / 2),
            TimelineRequest {
                page: pages / 2,
                ..Default::default()
            },
        ),
    ];

    println!(
        "| case | keyset p50 ms | keyset p99 ms | keyset max ms | naive p50 ms | naive p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    // BENCH_ONLY=search runs only the cases whose name contains it.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    for (name, req) in cases.iter().filter(|(n, _)| n.contains(&only)) {
        // Warm up, then measure.
        for _ in 0..20 {
            store.timeline(&viewer, contact, req).await?;
        }
        let mut times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            let page = store.timeline(&viewer, contact, req).await?.unwrap();
            times.push(t.elapsed());
            std::hint::black_box(page);
        }
        let keyset = stats(times);
        let naive = naive(&pool, contact, user, req, naive_iterations).await?;
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            ms(keyset.p50),
            ms(keyset.p99),
            ms(keyset.max),
            ms(naive.p50),
            ms(naive.p99)
        );
    }
    eprintln!("({iterations} timed calls per keyset case, {naive_iterations} per naive case)");
    Ok(())
}

/// The textbook way: count every matching row, then `LIMIT 10 OFFSET (page-1)*10`, with
/// `LIKE '%word%'` for search — same scoping, same data, same connection settings.
async fn naive(
    pool: &Pool,
    contact: i64,
    user: i64,
    req: &TimelineRequest,
    iterations: usize,
) -> anyhow::Result<Stats> {
    let mut filter =
        "a.contact_id = ?1 AND a.team_id IN (SELECT team_id FROM team_members WHERE user_id = ?2)"
            .to_string();
    if !req.kinds.is_empty() {
        let list: Vec<String> = req
            .kinds
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect();
        filter.push_str(&format!(" AND a.kind IN ({})", list.join(",")));
    }
    let detail = match pool {
        Pool::Sqlite(_) => "a.detail",
        Pool::Pg(_) => "a.detail::text",
    };
    for w in &req.words {
        filter.push_str(&format!(" AND {detail} LIKE '%{w}%'"));
    }
    let count_sql = format!("SELECT COUNT(*) FROM activities a WHERE {filter}");
    let page_sql = format!(
        "SELECT a.id, a.detail, a.occurred_at, u.display_name FROM activities a \
         LEFT JOIN users u ON u.id = a.user_id WHERE {filter} \
         ORDER BY a.occurred_at DESC, a.id DESC LIMIT 10 OFFSET ?3"
    );
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        let ids = match pool {
            Pool::Sqlite(p) => {
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(count_sql.clone()))
                    .bind(contact)
                    .bind(user)
                    .fetch_one(p)
                    .await?;
                let page = i64::from(req.page).min((n.max(1) + 9) / 10);
                sqlx::query(AssertSqlSafe(page_sql.clone()))
                    .bind(contact)
                    .bind(user)
                    .bind((page - 1) * 10)
                    .fetch_all(p)
                    .await?
                    .iter()
                    .map(|r| r.get::<i64, _>(0))
                    .sum::<i64>()
            }
            Pool::Pg(p) => {
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(count_sql.replace('?', "$")))
                    .bind(contact)
                    .bind(user)
                    .fetch_one(p)
                    .await?;
                let page = i64::from(req.page).min((n.max(1) + 9) / 10);
                sqlx::query(AssertSqlSafe(page_sql.replace('?', "$")))
                    .bind(contact)
                    .bind(user)
                    .bind((page - 1) * 10)
                    .fetch_all(p)
                    .await?
                    .iter()
                    .map(|r| r.get::<i64, _>(0))
                    .sum::<i64>()
            }
        };
        times.push(t.elapsed());
        std::hint::black_box(ids);
    }
    Ok(stats(times))
}

/// A direct connection to the benchmark's database, for what the store does not offer:
/// the naive queries, statistics, and finding the data of an earlier run.
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Pool {
    async fn count_activities(&self) -> anyhow::Result<i64> {
        let sql = "SELECT COUNT(*) FROM activities";
        Ok(match self {
            Pool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
            Pool::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
        })
    }

    /// The contact with the most activities and the benchmark's supervisor.
    async fn first_contact_and_user(&self) -> anyhow::Result<(i64, i64)> {
        let contact = "SELECT contact_id FROM activity_counts GROUP BY contact_id ORDER BY SUM(n) DESC LIMIT 1";
        let user = "SELECT id FROM users WHERE username = 'bench_super'";
        Ok(match self {
            Pool::Sqlite(p) => (
                sqlx::query_scalar(contact).fetch_one(p).await?,
                sqlx::query_scalar(user).fetch_one(p).await?,
            ),
            Pool::Pg(p) => (
                sqlx::query_scalar(contact).fetch_one(p).await?,
                sqlx::query_scalar(user).fetch_one(p).await?,
            ),
        })
    }

    /// Segments of SQLite's search index (0 on PostgreSQL, which has none).
    async fn search_segments(&self) -> anyhow::Result<i64> {
        Ok(match self {
            Pool::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(DISTINCT segid) FROM timeline_terms_idx")
                    .fetch_one(p)
                    .await?
            }
            Pool::Pg(_) => 0,
        })
    }

    fn is_pg(&self) -> bool {
        matches!(self, Pool::Pg(_))
    }

    async fn analyze(&self) -> anyhow::Result<()> {
        match self {
            Pool::Sqlite(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
            }
            Pool::Pg(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }
}
