//! The demo's queue_log: two weeks of a contact centre's day (inbound calls answered,
//! held, abandoned; outbound calls; sessions and lunch breaks) for each demo team, so
//! that the reports have something to show on a first start. Deterministic.

use chrono::{DateTime, Duration, Utc};

use crate::store::DynStore;
use crate::store::ingest::QueueLogRow;

/// A demo team's queue: its id, its agents' uContact names, an inbound and an outbound
/// campaign.
pub struct DemoQueue<'a> {
    pub team_id: i64,
    pub agents: &'a [&'a str],
    pub inbound: &'a str,
    pub outbound: &'a str,
}

/// Days of history before today.
const DAYS: i64 = 14;

struct Log<'a> {
    team_id: i64,
    now: DateTime<Utc>,
    rows: Vec<QueueLogRow>,
    queue: &'a str,
}

impl Log<'_> {
    fn push(&mut self, at: DateTime<Utc>, call: &str, agent: &str, event: &str, data: [String; 5]) {
        if at > self.now {
            return;
        }
        let n = self.rows.len();
        self.rows.push(QueueLogRow {
            origid: None,
            datetime: at,
            callid: call.to_owned(),
            queuename: self.queue.to_owned(),
            agent: agent.to_owned(),
            event: event.to_owned(),
            data,
            row_key: format!("demo {} {n}", self.team_id),
            team_id: self.team_id,
        });
    }
}

fn d(values: &[&dyn ToString]) -> [String; 5] {
    let mut out: [String; 5] = Default::default();
    for (o, v) in out.iter_mut().zip(values) {
        *o = v.to_string();
    }
    out
}

/// Write the demo queue_log of `queues` up to `now` (through the import path, so the
/// roll-ups are kept as for any import). Returns the rows written.
pub async fn seed(
    store: &DynStore,
    queues: &[DemoQueue<'_>],
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let mut rng = fastrand::Rng::with_seed(20_261_206);
    let mut written = 0;
    for q in queues {
        let mut log = Log {
            team_id: q.team_id,
            now,
            rows: Vec::new(),
            queue: q.inbound,
        };
        let today = now.date_naive();
        for back in (0..=DAYS).rev() {
            let day = (today - Duration::days(back))
                .and_hms_opt(12, 0, 0)
                .unwrap_or_default()
                .and_utc();
            // 12:00–21:00 UTC: 09:00–18:00 in Montevideo.
            for agent in q.agents {
                log.queue = "NONE";
                let lunch = day + Duration::hours(4) + Duration::minutes(rng.i64(0..30));
                let back_at = lunch + Duration::minutes(30 + rng.i64(0..15));
                log.push(day, "", agent, "AGENTLOGIN", d(&[]));
                log.push(lunch, "", agent, "BREAK", d(&[&"LUNCH"]));
                let secs = (back_at - lunch).num_seconds();
                log.push(back_at, "", agent, "UNBREAK", d(&[&"LUNCH", &"", &secs]));
                log.push(
                    day + Duration::hours(9),
                    "",
                    agent,
                    "AGENTLOGOFF",
                    d(&[&(9 * 3600)]),
                );
            }
            let mut t = day + Duration::minutes(rng.i64(1..6));
            let mut n = 0;
            while t < day + Duration::hours(9) {
                n += 1;
                let call = format!("demo-{}-{}-{n}", q.team_id, t.timestamp());
                let agent = q.agents[rng.usize(..q.agents.len())];
                if rng.u8(0..10) < 3 {
                    log.queue = q.outbound;
                    let status = ["ANSWER", "ANSWER", "ANSWER", "BUSY", "NOANSWER", "CANCEL"]
                        [rng.usize(..6)];
                    let talk = if status == "ANSWER" {
                        rng.i64(20..400)
                    } else {
                        0
                    };
                    log.push(
                        t,
                        &call,
                        agent,
                        "OUTCALL",
                        d(&[&status, &talk, &(talk + 8), &"099000000", &call]),
                    );
                } else {
                    log.queue = q.inbound;
                    log.push(t, &call, "NONE", "ENTERQUEUE", d(&[&"", &"099000000"]));
                    let longest = if rng.u8(0..4) == 0 { 120 } else { 30 };
                    let wait = rng.i64(0..longest);
                    match rng.u8(0..20) {
                        0..=1 => log.push(
                            t + Duration::seconds(wait),
                            &call,
                            "NONE",
                            "ABANDON",
                            d(&[&1, &1, &wait]),
                        ),
                        2 => log.push(
                            t + Duration::seconds(wait),
                            &call,
                            "NONE",
                            "EXITWITHTIMEOUT",
                            d(&[&1, &1, &wait]),
                        ),
                        _ => {
                            let at = t + Duration::seconds(wait);
                            if rng.u8(0..8) == 0 {
                                log.push(
                                    at - Duration::seconds(1),
                                    &call,
                                    agent,
                                    "RINGNOANSWER",
                                    d(&[&15000]),
                                );
                            }
                            log.push(at, &call, agent, "CONNECT", d(&[&wait, &call, &3]));
                            let talk = rng.i64(40..600);
                            if rng.u8(0..4) == 0 {
                                let h = at + Duration::seconds(talk / 3);
                                log.push(h, &call, agent, "HOLD", d(&[&"SIP/1"]));
                                log.push(
                                    h + Duration::seconds(rng.i64(10..90)),
                                    &call,
                                    agent,
                                    "UNHOLD",
                                    d(&[&"SIP/1"]),
                                );
                            }
                            let end = at + Duration::seconds(talk);
                            let who = if rng.bool() {
                                "COMPLETEAGENT"
                            } else {
                                "COMPLETECALLER"
                            };
                            log.push(end, &call, agent, who, d(&[&wait, &talk, &1]));
                            let used = rng.i64(5..60);
                            log.push(
                                end + Duration::seconds(used),
                                &call,
                                agent,
                                "FINISHWRAPUP",
                                d(&[&(60 - used), &60, &call]),
                            );
                        }
                    }
                }
                t += Duration::seconds(rng.i64(60..420));
            }
        }
        for chunk in log.rows.chunks(2000) {
            written += store.import_queue_log(chunk).await?.0;
        }
    }
    Ok(written)
}
