//! What the load test records and prints: each request's latency and outcome (answered,
//! shed by the server's overload guard, failed), the CPU time each process used, and
//! how long a write takes to show on the real-time streams watching its contact.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One operation's requests.
#[derive(Default)]
pub struct Op {
    pub micros: Vec<u32>,
    pub errors: u64,
    /// Refused by the overload guard (429/503 with `Retry-After`): the server said
    /// "later" before doing anything, which is not a failure.
    pub shed: u64,
    pub statuses: BTreeMap<String, u64>,
}

pub type Stats = Arc<Mutex<BTreeMap<&'static str, Op>>>;

/// Why a request did not succeed.
#[derive(Debug, Clone)]
pub enum Failure {
    Shed,
    Failed(String),
}

pub fn record(stats: &Stats, op: &'static str, started: Instant, outcome: Result<(), Failure>) {
    let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
    let e = s.entry(op).or_default();
    match outcome {
        Ok(()) => e.micros.push(micros),
        Err(Failure::Shed) => e.shed += 1,
        Err(Failure::Failed(why)) => {
            e.micros.push(micros);
            e.errors += 1;
            *e.statuses.entry(why).or_default() += 1;
        }
    }
}

/// Requests made (answered, failed or shed).
pub fn requests(stats: &Stats) -> usize {
    stats
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .map(|op| op.micros.len() + op.shed as usize)
        .sum()
}

/// What an answer means: shed when the server asked to come back later.
pub fn judge(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> Failure {
    let later =
        matches!(status.as_u16(), 429 | 503) && headers.contains_key(reqwest::header::RETRY_AFTER);
    if later {
        Failure::Shed
    } else {
        Failure::Failed(status.as_u16().to_string())
    }
}

/// Send, read the whole answer.
pub async fn timed(req: reqwest::RequestBuilder) -> Result<(), Failure> {
    match req.send().await {
        Ok(res) => {
            let (status, headers) = (res.status(), res.headers().clone());
            res.bytes()
                .await
                .map_err(|e| Failure::Failed(format!("body: {e}")))?;
            if status.is_success() {
                Ok(())
            } else {
                Err(judge(status, &headers))
            }
        }
        Err(e) => Err(Failure::Failed(if e.is_timeout() {
            "timeout".into()
        } else {
            "transport".into()
        })),
    }
}

/// The p-quantile of sorted microseconds, in milliseconds.
fn quantile(v: &[u32], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

/// The latency table; returns the number of failed requests.
pub fn print_table(stats: &Stats, elapsed: f64) -> u64 {
    let stats = stats.lock().unwrap_or_else(|p| p.into_inner());
    println!("| operation | requests | per second | p50 ms | p99 ms | max ms | shed | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let row = |name: &str, v: &mut Vec<u32>, shed: u64, errs: u64| {
        v.sort_unstable();
        println!(
            "| {name} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {shed} | {errs} |",
            v.len(),
            v.len() as f64 / elapsed,
            quantile(v, 0.5),
            quantile(v, 0.99),
            quantile(v, 1.0)
        );
    };
    let (mut all, mut errors, mut shed) = (Vec::new(), 0, 0);
    for (name, op) in stats.iter() {
        let mut v = op.micros.clone();
        all.extend_from_slice(&v);
        errors += op.errors;
        shed += op.shed;
        row(name, &mut v, op.shed, op.errors);
        if !op.statuses.is_empty() {
            eprintln!("  {name} errors: {:?}", op.statuses);
        }
    }
    row("**all**", &mut all, shed, errors);
    errors
}

/// Seconds of CPU per clock tick of `/proc/<pid>/stat`.
fn tick() -> f64 {
    let hz = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    1.0 / hz
}

/// User + system CPU ticks of a process, and its command name.
fn proc_cpu(pid: u32) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is in parentheses and may hold spaces; the fields after it are plain.
    let (head, rest) = stat.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_string();
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15.
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some((name, ticks))
}

/// CPU ticks per process at one moment: the server instances, this load generator and
/// every PostgreSQL process on the machine (backends come and go; a backend that exits
/// inside a window takes its time with it, which the pools' long-lived connections
/// make rare).
#[derive(Clone)]
pub struct CpuSnapshot {
    at: Instant,
    servers: Vec<u64>,
    generator: u64,
    postgres: HashMap<u32, u64>,
}

pub struct Cpu {
    tick: f64,
    servers: Vec<u32>,
}

/// CPU seconds used between two snapshots.
pub struct CpuUse {
    pub wall: f64,
    pub servers: f64,
    pub generator: f64,
    pub postgres: f64,
}

impl Cpu {
    pub fn new(servers: Vec<u32>) -> Self {
        Cpu {
            tick: tick(),
            servers,
        }
    }

    pub fn snapshot(&self) -> CpuSnapshot {
        let mut postgres = HashMap::new();
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                    continue;
                };
                if let Some((name, t)) = proc_cpu(pid)
                    && (name == "postgres" || name == "postmaster")
                {
                    postgres.insert(pid, t);
                }
            }
        }
        CpuSnapshot {
            at: Instant::now(),
            servers: self
                .servers
                .iter()
                .map(|&p| proc_cpu(p).map_or(0, |c| c.1))
                .collect(),
            generator: proc_cpu(std::process::id()).map_or(0, |c| c.1),
            postgres,
        }
    }

    pub fn used(&self, from: &CpuSnapshot, to: &CpuSnapshot) -> CpuUse {
        let s = |t: u64| t as f64 * self.tick;
        CpuUse {
            wall: to.at.duration_since(from.at).as_secs_f64(),
            servers: s(to
                .servers
                .iter()
                .zip(&from.servers)
                .map(|(b, a)| b.saturating_sub(*a))
                .sum()),
            generator: s(to.generator.saturating_sub(from.generator)),
            postgres: s(to
                .postgres
                .iter()
                .map(|(pid, t)| t.saturating_sub(from.postgres.get(pid).copied().unwrap_or(0)))
                .sum()),
        }
    }
}

/// When each contact last got a write, and how long its event took to reach the
/// streams watching it.
#[derive(Default)]
pub struct Live {
    /// contact → (request sent, instance it was sent to).
    sent: Mutex<HashMap<i64, (Instant, usize)>>,
    /// (microseconds from send to arrival, arrived on another instance than the write).
    seen: Mutex<Vec<(u32, bool)>>,
}

impl Live {
    pub fn sent(&self, contact: i64, instance: usize) {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(contact, (Instant::now(), instance));
    }

    fn seen(&self, contact: i64, instance: usize) {
        let sent = self
            .sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&contact)
            .copied();
        // Only writes of the last 30 s: an event about a contact nobody wrote to in the
        // run (a write before it started) has nothing to be measured against.
        if let Some((at, from)) = sent
            && at.elapsed() < Duration::from_secs(30)
        {
            let micros = u32::try_from(at.elapsed().as_micros()).unwrap_or(u32::MAX);
            self.seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((micros, from != instance));
        }
    }

    /// Read a stream's bytes: count its events, time the `activity.created` ones.
    pub fn read(&self, buf: &mut String, chunk: &[u8], instance: usize) -> u64 {
        buf.push_str(&String::from_utf8_lossy(chunk));
        let mut events = 0;
        while let Some(end) = buf.find('\n') {
            let line: String = buf.drain(..=end).collect();
            if line.starts_with("event:") {
                events += 1;
            } else if let Some(data) = line.strip_prefix("data:")
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim())
                && v["type"] == "activity_created"
                && let Some(contact) = v["contact_id"].as_i64()
            {
                self.seen(contact, instance);
            }
        }
        events
    }

    pub fn print(&self, instances: usize) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let show = |label: &str, mut v: Vec<u32>| {
            v.sort_unstable();
            println!(
                "| {label} | {} | {:.2} | {:.2} | {:.2} |",
                v.len(),
                quantile(&v, 0.5),
                quantile(&v, 0.99),
                quantile(&v, 1.0)
            );
        };
        println!("\n| write → event on a watching stream | events | p50 ms | p99 ms | max ms |");
        println!("|---|---:|---:|---:|---:|");
        show(
            "same instance",
            seen.iter().filter(|s| !s.1).map(|s| s.0).collect(),
        );
        if instances > 1 {
            show(
                "another instance",
                seen.iter().filter(|s| s.1).map(|s| s.0).collect(),
            );
        }
        seen.clear();
    }
}
