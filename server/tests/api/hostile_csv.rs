//! A large generated sms_repo export with 1 % damaged records of every class the import
//! must survive, mixed through the file: every record is accounted for
//! (`read = imported + duplicates + rejected`, exactly), and every good row arrives with
//! every field as written.

use std::collections::BTreeMap;

use agentdesk_protocol::{ActivityDetail, Direction};
use agentdesk_server::ingest::ccrepo::{self, Options, Table};

use crate::support::TestApp;

/// Rows in the file (`AGENTDESK_HOSTILE_ROWS` overrides, e.g. for a quick local run).
fn rows() -> usize {
    std::env::var("AGENTDESK_HOSTILE_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A good row's message: words of several scripts, commas and quotes inside (quoted as
/// RFC 4180 says), never leading or trailing blanks.
fn message(rng: &mut Rng, i: usize) -> String {
    const WORDS: &[&str] = &[
        "Hola",
        "factura",
        "mañana",
        "10:00",
        "\"urgente\"",
        "sí,",
        "ñandú",
        "€20",
        "😀",
        "日本",
        "Привет",
        "a;b",
        "línea",
        "¿consulta?",
    ];
    let n = 1 + rng.below(8) as usize;
    let mut words: Vec<&str> = (0..n)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect();
    words.push("fin");
    format!("{} #{i}", words.join(" "))
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

struct Good {
    direction: Direction,
    phone: String,
    text: String,
}

#[tokio::test]
async fn a_large_export_with_one_percent_damage_accounts_for_every_record_and_keeps_every_good_row()
{
    let total = rows();
    let mut rng = Rng(0x00C0_FFEE_2026_1205);
    let mut csv = String::from(
        "id,idm,campaign,dateprocessed,direction,callerid,message,agent,smsbase,result,readsms,sessionid\n",
    );
    let mut good: BTreeMap<String, Good> = BTreeMap::new();
    let (mut damaged, mut duplicates) = (0usize, 0usize);
    // The last records: an open quote that runs to the end of the file, swallowing them.
    let swallowed_tail = 5;
    let mut skip_next = false;
    for i in 0..total {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        let idm = format!("SM{i:08}");
        let phone = format!("0{}", 99_100_000 + rng.below(500));
        let day = 1 + rng.below(28);
        let date = format!(
            "2026-03-{day:02} {:02}:{:02}:07",
            rng.below(24),
            rng.below(60)
        );
        let (dir, direction) = if rng.below(2) == 0 {
            ("I", Direction::Inbound)
        } else {
            ("O", Direction::Outbound)
        };
        let text = message(&mut rng, i);
        if i == total - swallowed_tail {
            csv.push_str(&format!(
                "{i},{idm},SMS<-,{date},{dir},{phone},\"sin cerrar {},,,OK,1,\n",
                text.replace('"', "")
            ));
            damaged += 1;
            continue;
        }
        if i > total - swallowed_tail {
            // Well formed (no quote of their own), but inside the open quote: read and
            // rejected with it.
            csv.push_str(&format!(
                "{i},{idm},SMS<-,{date},{dir},{phone},sin comillas {i},,,OK,1,\n"
            ));
            damaged += 1;
            continue;
        }
        let line = match (i % 100 == 37, i % 7) {
            (false, _) => {
                good.insert(
                    idm.clone(),
                    Good {
                        direction,
                        phone: format!("+598{}", &phone[1..]),
                        text: text.clone(),
                    },
                );
                format!(
                    "{i},{idm},SMS<-,{date},{dir},{phone},{},,,OK,1,\n",
                    quoted(&text)
                )
            }
            // An unquoted comma inside the message: one field too many.
            (true, 0) => format!("{i},{idm},SMS<-,{date},{dir},{phone},hola, mundo,,,OK,1,\n"),
            // A field missing.
            (true, 1) => format!(
                "{i},{idm},SMS<-,{date},{dir},{phone},{},,OK,1\n",
                quoted(&text)
            ),
            // A date that does not exist.
            (true, 2) => format!("{i},{idm},SMS<-,2026-02-30 10:00:00,{dir},{phone},x,,,OK,1,\n"),
            // A direction that is neither I nor O.
            (true, 3) => format!("{i},{idm},SMS<-,{date},X,{phone},x,,,OK,1,\n"),
            // No number.
            (true, 4) => format!("{i},{idm},SMS<-,{date},{dir},,x,,,OK,1,\n"),
            // A quote left open: it runs into the next record up to that record's own
            // quoted message (both lines are rejected, named by their numbers).
            (true, 6) if i % 1000 == 937 => {
                let next = i + 1;
                csv.push_str(&format!(
                    "{i},{idm},SMS<-,{date},{dir},{phone},\"abierta {},,,OK,1,\n\
                     {next},SM{next:08},SMS<-,{date},{dir},{phone},{},,,OK,1,\n",
                    text.replace('"', ""),
                    quoted("tragada")
                ));
                damaged += 2;
                skip_next = true;
                continue;
            }
            // A date in another format.
            (true, 5) => format!("{i},{idm},SMS<-,02/03/2026 10:00,{dir},{phone},x,,,OK,1,\n"),
            // A repeat of an earlier good row: a duplicate, not a new message.
            (true, _) => {
                let (prev, g) = good.iter().next_back().expect("an earlier good row");
                duplicates += 1;
                let dir = if g.direction == Direction::Inbound {
                    "I"
                } else {
                    "O"
                };
                let line = format!(
                    "{i},{prev},SMS<-,2026-03-01 00:00:00,{dir},0{},{},,,OK,1,\n",
                    &g.phone[4..],
                    quoted(&g.text)
                );
                csv.push_str(&line);
                continue;
            }
        };
        if i % 100 == 37 {
            damaged += 1;
        }
        csv.push_str(&line);
    }
    assert!(
        damaged * 100 >= total * 8 / 10,
        "about 1 % damaged: {damaged}"
    );

    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sms_repo.csv");
    std::fs::write(&path, &csv).unwrap();
    let started = std::time::Instant::now();
    let s = ccrepo::import_file(
        &app.store,
        &path,
        &Options {
            table: Table::Sms,
            team_id: app.team_a,
            time_zone: chrono_tz::America::Montevideo,
            phone_region: "UY",
            encoding: ccrepo::Encoding::Auto,
            progress: false,
        },
    )
    .await
    .unwrap();
    eprintln!("{total} rows imported in {:?}: {s}", started.elapsed());
    assert_eq!(s.rows_read as usize, total, "{s}");
    assert_eq!(
        s.rows_read,
        s.imported + s.duplicates + s.rejected,
        "every record accounted for: {s}"
    );
    assert_eq!(
        (
            s.imported as usize,
            s.duplicates as usize,
            s.rejected as usize
        ),
        (good.len(), duplicates, damaged),
        "{s}"
    );

    // Every good row, field by field, as stored.
    let sql = "SELECT i.source_key, a.detail, c.phone FROM interactions i \
               JOIN activities a ON a.id = i.activity_id JOIN contacts c ON c.id = i.contact_id \
               WHERE i.source = 'sms' AND i.team_id = $1";
    let stored: Vec<(String, String, Option<String>)> = if app.db_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.db_url).await.unwrap();
        sqlx::query_as(sql)
            .bind(app.team_a)
            .fetch_all(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::PgPool::connect(&app.db_url).await.unwrap();
        sqlx::query_as(sql)
            .bind(app.team_a)
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    assert_eq!(stored.len(), good.len());
    for (key, detail, phone) in stored {
        let g = good
            .get(&key)
            .unwrap_or_else(|| panic!("{key} was not a good row"));
        match serde_json::from_str::<ActivityDetail>(&detail).unwrap() {
            ActivityDetail::Sms { direction, text } => {
                assert_eq!(
                    (direction, text.as_str()),
                    (g.direction, g.text.as_str()),
                    "{key}"
                );
            }
            other => panic!("{key}: {other:?}"),
        }
        assert_eq!(phone.as_deref(), Some(g.phone.as_str()), "{key}");
    }
}
