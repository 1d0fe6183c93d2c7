//! Importing uContact's ccrepo CSV exports (`cdr_repo`, `queue_log_repo`, `sms_repo`).
//!
//! Files are streamed record by record in batches (memory does not grow with the file),
//! columns are found by header name (so `queue_log_repo` works with or without its
//! `agent` column), and every row gets a source key — the call guid, the SMS `idm`, a
//! digest of a queue-log row — so a re-run imports nothing twice. A bad row is reported
//! with its line number and reason and never stops the import.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use agentdesk_protocol::{ActivityDetail, CallOutcome, CustomerRef, Direction};
use anyhow::Context;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use super::Parts;
use crate::store::DynStore;
use crate::store::ingest::{NewInteraction, QueueLogRow};

/// Rows per transaction.
const BATCH: usize = 1000;
/// Rejections listed in full; beyond this only counted.
const MAX_LISTED_REJECTIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    /// `cdr_repo`: one call per row → call activities.
    Cdr,
    /// `queue_log_repo`: call and agent events → the queue log (reports).
    QueueLog,
    /// `sms_repo`: one message per row → SMS activities.
    Sms,
}

/// How the file's bytes are read as text (`--encoding`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// Valid UTF-8 (with or without a byte-order mark) is UTF-8; anything else is read
    /// as Windows-1252.
    #[default]
    Auto,
    /// UTF-8 only: a row with bytes that are not UTF-8 is rejected.
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// ISO-8859-1, read as Windows-1252 (its superset, as every browser reads `latin1`):
    /// the two differ only in 0x80–0x9F, control codes no export contains.
    #[value(alias = "iso-8859-1")]
    Latin1,
    #[value(name = "windows-1252", alias = "cp1252")]
    Windows1252,
}

impl Encoding {
    /// The decoder for these bytes; `Auto` reads the input once to decide, then rewinds.
    fn resolve(
        self,
        input: &mut (impl Read + Seek),
    ) -> std::io::Result<&'static encoding_rs::Encoding> {
        Ok(match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Latin1 | Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
            Encoding::Auto => {
                let start = input.stream_position()?;
                let utf8 = is_utf8(&mut *input)?;
                input.seek(SeekFrom::Start(start))?;
                if utf8 {
                    encoding_rs::UTF_8
                } else {
                    encoding_rs::WINDOWS_1252
                }
            }
        })
    }
}

/// Whether everything `input` holds is valid UTF-8, read in chunks (flat memory).
fn is_utf8(input: &mut impl Read) -> std::io::Result<bool> {
    let mut buf = vec![0u8; 1 << 16];
    // Bytes of a character cut by the chunk's end, carried to the next chunk.
    let mut carry = 0;
    loop {
        let n = input.read(&mut buf[carry..])?;
        if n == 0 {
            return Ok(carry == 0);
        }
        let filled = carry + n;
        match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => carry = 0,
            // A sequence cut short by the end of the chunk: keep it for the next read.
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..filled, 0);
                carry = filled - valid;
            }
            Err(_) => return Ok(false),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    /// The encoding the file was read with (`auto` says which it chose).
    pub encoding: &'static str,
    pub rows_read: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// (line, reason), the first [`MAX_LISTED_REJECTIONS`].
    pub rejections: Vec<(u64, String)>,
    /// The process's peak resident memory, in KiB (Linux), when known.
    pub peak_rss_kib: Option<u64>,
    pub seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "encoding: {}\nrows read: {}\nimported: {}\nduplicates skipped: {}\nrejected: {}",
            self.encoding, self.rows_read, self.imported, self.duplicates, self.rejected
        )?;
        for (line, reason) in &self.rejections {
            writeln!(f, "  line {line}: {reason}")?;
        }
        if self.rejected as usize > self.rejections.len() {
            writeln!(
                f,
                "  … and {} more",
                self.rejected as usize - self.rejections.len()
            )?;
        }
        let rate = if self.seconds > 0.0 {
            self.rows_read as f64 / self.seconds
        } else {
            0.0
        };
        write!(f, "time: {:.1} s ({rate:.0} rows/s)", self.seconds)?;
        if let Some(kib) = self.peak_rss_kib {
            write!(f, "\npeak memory: {:.1} MiB", kib as f64 / 1024.0)?;
        }
        Ok(())
    }
}

/// Peak resident set size of this process (`VmHWM`), Linux only.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub struct Options<'a> {
    pub table: Table,
    pub team_id: i64,
    /// Time zone of the export's local date-times.
    pub time_zone: Tz,
    pub phone_region: &'a str,
    /// How the bytes are read as text.
    pub encoding: Encoding,
    /// Draw a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

/// Column positions by header name.
struct Columns(HashMap<String, usize>);

impl Columns {
    fn get<'r>(&self, r: &'r csv::StringRecord, name: &str) -> &'r str {
        self.0
            .get(name)
            .and_then(|i| r.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn require(&self, names: &[&str]) -> anyhow::Result<()> {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !self.0.contains_key(*n))
            .collect();
        anyhow::ensure!(
            missing.is_empty(),
            "missing columns: {}",
            missing.join(", ")
        );
        Ok(())
    }
}

fn parse_time(tz: &Tz, s: &str) -> Result<DateTime<Utc>, String> {
    super::ucontact_time(tz, s)
}

/// `"Lucía Fernández" <8180219935>` → the name.
fn clid_name(clid: &str) -> String {
    let name = clid
        .split('<')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .trim();
    name.to_owned()
}

/// uContact names inbound campaigns `…<-` and outbound ones `…->`.
fn campaign_direction(campaign: &str, dcontext: &str) -> Direction {
    if campaign.ends_with("->") {
        Direction::Outbound
    } else if campaign.ends_with("<-") || dcontext.contains("queue") {
        Direction::Inbound
    } else {
        Direction::Outbound
    }
}

/// One row into what the store takes, or why not.
enum Row {
    Interaction(Box<NewInteraction>),
    QueueLog(Box<QueueLogRow>),
}

struct Converter<'a> {
    opts: &'a Options<'a>,
    cols: Columns,
    defs: std::collections::BTreeMap<String, (String, String)>,
    /// uContact agent name → user id (looked up once each).
    agents: HashMap<String, Option<i64>>,
    store: DynStore,
}

impl Converter<'_> {
    async fn agent(&mut self, name: &str) -> anyhow::Result<Option<i64>> {
        if name.is_empty() {
            return Ok(None);
        }
        if let Some(id) = self.agents.get(name) {
            return Ok(*id);
        }
        let id = self.store.user_by_agent(name).await?.map(|(id, _)| id);
        self.agents.insert(name.to_owned(), id);
        Ok(id)
    }

    async fn convert(&mut self, r: &csv::StringRecord) -> anyhow::Result<Result<Row, String>> {
        let tz = self.opts.time_zone;
        match self.opts.table {
            Table::QueueLog => {
                let c = &self.cols;
                let event = c.get(r, "event").to_ascii_uppercase();
                if event.is_empty() {
                    return Ok(Err("no event".into()));
                }
                let datetime = match parse_time(&tz, c.get(r, "datetime")) {
                    Ok(t) => t,
                    Err(e) => return Ok(Err(e)),
                };
                let data =
                    ["data1", "data2", "data3", "data4", "data5"].map(|n| c.get(r, n).to_owned());
                let origid = Some(c.get(r, "origid").to_owned()).filter(|o| !o.is_empty());
                let fields = [
                    origid.as_deref().unwrap_or(""),
                    c.get(r, "datetime"),
                    c.get(r, "callid"),
                    c.get(r, "queuename"),
                    c.get(r, "agent"),
                    &event,
                    &data[0],
                    &data[1],
                    &data[2],
                    &data[3],
                    &data[4],
                ];
                let row_key = hex::encode(Sha256::digest(fields.join("\u{1f}").as_bytes()));
                Ok(Ok(Row::QueueLog(Box::new(QueueLogRow {
                    origid,
                    datetime,
                    callid: c.get(r, "callid").to_owned(),
                    queuename: c.get(r, "queuename").to_owned(),
                    agent: c.get(r, "agent").to_owned(),
                    event,
                    data,
                    row_key,
                    team_id: self.opts.team_id,
                }))))
            }
            Table::Cdr => {
                let guid = self.cols.get(r, "guid").to_owned();
                if guid.is_empty() {
                    return Ok(Err("no guid".into()));
                }
                let at = match parse_time(&tz, self.cols.get(r, "calldate")) {
                    Ok(t) => t,
                    Err(e) => return Ok(Err(e)),
                };
                let campaign = self.cols.get(r, "campaign").to_owned();
                let direction = campaign_direction(&campaign, self.cols.get(r, "dcontext"));
                let number = match direction {
                    Direction::Inbound => self.cols.get(r, "src"),
                    Direction::Outbound => self.cols.get(r, "dst"),
                }
                .to_owned();
                if number.is_empty() {
                    return Ok(Err("no customer number (src/dst)".into()));
                }
                let billsec = self.cols.get(r, "billsec");
                let duration: u32 = match billsec.parse() {
                    Ok(d) => d,
                    Err(_) if billsec.is_empty() => 0,
                    Err(_) => {
                        return Ok(Err(format!(
                            "billsec {billsec:?} is not a number of seconds"
                        )));
                    }
                };
                let name = clid_name(self.cols.get(r, "clid"));
                let agent = self.cols.get(r, "accountcode").to_owned();
                let user_id = self.agent(&agent).await?;
                let customer = CustomerRef::default();
                let parts = Parts {
                    source: "call",
                    source_key: guid,
                    team_id: self.opts.team_id,
                    customer: &customer,
                    counterparts: vec![&number],
                    fallback_name: &name,
                    conversation_id: None,
                    attributes: &Default::default(),
                    defs: &self.defs,
                    region: self.opts.phone_region,
                    user_id,
                    occurred_at: at,
                };
                Ok(Ok(Row::Interaction(Box::new(parts.build(
                    ActivityDetail::Call {
                        direction,
                        number: number.clone(),
                        campaign,
                        duration_secs: duration,
                        disposition: None,
                        // Asterisk's own verdict, when the export has the column.
                        outcome: CallOutcome::from_cdr(self.cols.get(r, "disposition")),
                    },
                    None,
                )))))
            }
            Table::Sms => {
                let key = Some(self.cols.get(r, "idm"))
                    .filter(|k| !k.is_empty())
                    .or_else(|| Some(self.cols.get(r, "id")).filter(|k| !k.is_empty()))
                    .map(str::to_owned);
                let Some(key) = key else {
                    return Ok(Err("no idm or id".into()));
                };
                let at = match parse_time(&tz, self.cols.get(r, "dateprocessed")) {
                    Ok(t) => t,
                    Err(e) => return Ok(Err(e)),
                };
                let Some(direction) =
                    agentdesk_protocol::parse_direction(self.cols.get(r, "direction"))
                else {
                    return Ok(Err(format!(
                        "direction {:?} is not I or O",
                        self.cols.get(r, "direction")
                    )));
                };
                let number = self.cols.get(r, "callerid").to_owned();
                if number.is_empty() {
                    return Ok(Err("no callerid".into()));
                }
                let text = self.cols.get(r, "message").to_owned();
                let agent = self.cols.get(r, "agent").to_owned();
                let user_id = self.agent(&agent).await?;
                let customer = CustomerRef::default();
                let parts = Parts {
                    source: "sms",
                    source_key: key,
                    team_id: self.opts.team_id,
                    customer: &customer,
                    counterparts: vec![&number],
                    fallback_name: "",
                    conversation_id: Some(self.cols.get(r, "sessionid").to_owned())
                        .filter(|s| !s.is_empty()),
                    attributes: &Default::default(),
                    defs: &self.defs,
                    region: self.opts.phone_region,
                    user_id,
                    occurred_at: at,
                };
                // SMS of one session stay separate messages on the timeline.
                let mut i = parts.build(ActivityDetail::Sms { direction, text }, None);
                i.conversation_id = None;
                Ok(Ok(Row::Interaction(Box::new(i))))
            }
        }
    }
}

/// Physical line numbers for byte offsets. The CSV parser's own line count drifts on
/// CRLF files, and rejections must name the line an editor shows. The reader notes where
/// each newline passes; the parser reads ahead by at most its buffer, so only the
/// newlines past the last looked-up record are kept.
#[derive(Clone, Default)]
struct Lines(std::sync::Arc<std::sync::Mutex<(std::collections::VecDeque<u64>, u64)>>);

impl Lines {
    /// The 1-based line of the byte at `offset` (offsets must not go backwards).
    fn line_at(&self, offset: u64) -> u64 {
        let mut g = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (newlines, passed) = &mut *g;
        // `<=`: on CRLF files the parser places a record's start at the previous line's
        // `\n`, which still belongs to that line.
        while newlines.front().is_some_and(|n| *n <= offset) {
            newlines.pop_front();
            *passed += 1;
        }
        *passed + 1
    }
}

struct LineCounting<R> {
    inner: R,
    offset: u64,
    lines: Lines,
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut g = self
            .lines
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                g.0.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Whether a multi-line field holds what looks like further records of this file: a
/// continuation line with a whole row's worth of separators, or with at least as many as
/// precede this field in a record (a quote left open in field `j` swallows the next
/// record up to ITS first quoted field, which in an export of one table is again field
/// `j`: `3,SMc,SMS<-,2026-03-02 10:00:07,I,099100003,"tres"` leaves six commas inside).
/// A message may contain line breaks and a comma or two, not a record's leading fields.
fn swallows_records(record: &csv::StringRecord, expected: usize) -> bool {
    expected >= 3
        && record.iter().enumerate().any(|(j, f)| {
            f.contains('\n')
                && f.lines().skip(1).any(|l| {
                    let commas = l.matches(',').count();
                    commas + 1 >= expected || (j >= 3 && commas >= j)
                })
        })
}

/// Import one CSV export from any reader (`len`: its size in bytes, for progress).
pub async fn import_reader(
    store: &DynStore,
    mut reader: impl Read + Seek,
    len: Option<u64>,
    opts: &Options<'_>,
) -> anyhow::Result<Summary> {
    let started = std::time::Instant::now();
    let encoding = opts
        .encoding
        .resolve(&mut reader)
        .context("reading the file to tell its encoding")?;
    // UTF-8 goes to the parser as it is (a row with bytes that are not UTF-8 is then
    // rejected by line); other encodings are decoded to UTF-8 on the way, streaming.
    let decoded: Box<dyn Read> = if encoding == encoding_rs::UTF_8 {
        Box::new(reader)
    } else {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .build(reader),
        )
    };
    let lines = Lines::default();
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(LineCounting {
            inner: decoded,
            offset: 0,
            lines: lines.clone(),
        });
    let headers = csv.headers().context("reading the header row")?.clone();
    if headers
        .iter()
        .all(|h| h.trim().trim_start_matches('\u{feff}').is_empty())
    {
        anyhow::bail!("the file is empty: no header row, nothing to import");
    }
    let cols = Columns(
        headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                    i,
                )
            })
            .collect(),
    );
    match opts.table {
        Table::QueueLog => cols.require(&["datetime", "event", "callid", "queuename"])?,
        Table::Cdr => cols.require(&["calldate", "src", "dst", "guid", "billsec", "campaign"])?,
        Table::Sms => cols.require(&["dateprocessed", "direction", "callerid", "message"])?,
    }
    let expected = headers.len();
    let bar = if opts.progress {
        let bar = indicatif::ProgressBar::new(len.unwrap_or(0));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:40}] {bytes}/{total_bytes} {msg} ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut conv = Converter {
        opts,
        cols,
        defs: store.attribute_defs().await?,
        agents: HashMap::new(),
        store: store.clone(),
    };
    let mut summary = Summary {
        encoding: encoding.name(),
        ..Summary::default()
    };
    // One batch is written while the next is read: parsing (CSV, digests, times) and the
    // database's work overlap instead of taking turns.
    let mut writing: Writing = None;
    let mut interactions: Vec<NewInteraction> = Vec::with_capacity(BATCH);
    let mut queue_rows: Vec<QueueLogRow> = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    let reject = |summary: &mut Summary, line: u64, reason: String| {
        summary.rejected += 1;
        if summary.rejections.len() < MAX_LISTED_REJECTIONS {
            summary.rejections.push((line, reason));
        }
    };
    loop {
        let start = csv.position().byte();
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // Unreadable bytes (not UTF-8) or a broken quote: report and go on.
                summary.rows_read += 1;
                let at = e.position().map(|p| p.byte()).unwrap_or(start);
                reject(
                    &mut summary,
                    lines.line_at(at),
                    format!("unreadable row: {e}"),
                );
                continue;
            }
        }
        let line = lines.line_at(record.position().map(|p| p.byte()).unwrap_or(start));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank line
        }
        // A quote that is never closed (or closed lines later) makes the parser take
        // the following lines as one field: every line it swallowed is a row read and
        // rejected, named by its line numbers, never silently merged.
        // (A swallowed end of file brings its final line break along: not a line.)
        let inner_lines: u64 = record
            .iter()
            .map(|f| f.trim_end_matches(['\r', '\n']).matches('\n').count() as u64)
            .sum();
        if inner_lines > 0 && (record.len() != expected || swallows_records(&record, expected)) {
            let n = inner_lines + 1;
            summary.rows_read += n;
            summary.rejected += n - 1;
            reject(
                &mut summary,
                line,
                format!(
                    "lines {line}–{}: a quote opened here is not closed where it should be, \
                     so {n} lines read as one row ({} fields, the header has {expected}); \
                     none of them was imported",
                    line + inner_lines,
                    record.len()
                ),
            );
            continue;
        }
        summary.rows_read += 1;
        // Too many fields is as wrong as too few: an unquoted comma inside a value would
        // shift every later column into the wrong one.
        if record.len() != expected {
            reject(
                &mut summary,
                line,
                format!("{} fields, the header has {expected}", record.len()),
            );
            continue;
        }
        match conv.convert(&record).await? {
            Ok(Row::Interaction(i)) => interactions.push(*i),
            Ok(Row::QueueLog(q)) => queue_rows.push(*q),
            Err(reason) => reject(&mut summary, line, reason),
        }
        if interactions.len() >= BATCH || queue_rows.len() >= BATCH {
            // The previous batch must be in before this one goes (a row repeated across
            // batches is then a duplicate of a stored row, as it would be in one pass).
            settle(&mut writing, &mut summary).await?;
            writing = Some(tokio::spawn(write_batch(
                store.clone(),
                std::mem::replace(&mut interactions, Vec::with_capacity(BATCH)),
                std::mem::replace(&mut queue_rows, Vec::with_capacity(BATCH)),
            )));
            bar.set_position(csv.position().byte());
            bar.set_message(format!("{} rows", summary.rows_read));
        }
    }
    settle(&mut writing, &mut summary).await?;
    let (imported, duplicates) = write_batch(store.clone(), interactions, queue_rows).await?;
    summary.imported += imported;
    summary.duplicates += duplicates;
    bar.finish_and_clear();
    summary.seconds = started.elapsed().as_secs_f64();
    summary.peak_rss_kib = peak_rss_kib();
    Ok(summary)
}

/// The batch being written, if any: its task answers (rows stored, duplicates).
type Writing = Option<tokio::task::JoinHandle<anyhow::Result<(u64, u64)>>>;

/// Wait for the batch being written and count what it stored.
async fn settle(writing: &mut Writing, summary: &mut Summary) -> anyhow::Result<()> {
    if let Some(task) = writing.take() {
        let (imported, duplicates) = task.await.context("the import's writer stopped")??;
        summary.imported += imported;
        summary.duplicates += duplicates;
    }
    Ok(())
}

/// Write one batch: (rows stored, duplicates skipped).
async fn write_batch(
    store: DynStore,
    interactions: Vec<NewInteraction>,
    queue_rows: Vec<QueueLogRow>,
) -> anyhow::Result<(u64, u64)> {
    let (mut imported, mut duplicates) = (0, 0);
    if !interactions.is_empty() {
        // Imports are history: no real-time events for them.
        let (results, _) = store.ingest(&interactions, false).await?;
        super::report_conflicts(&store, &results, "import").await;
        for r in results {
            if r.duplicate {
                duplicates += 1;
            } else {
                imported += 1;
            }
        }
    }
    if !queue_rows.is_empty() {
        let (stored, dups) = store.import_queue_log(&queue_rows).await?;
        imported += stored;
        duplicates += dups;
    }
    Ok((imported, duplicates))
}

/// Import a file.
pub async fn import_file(
    store: &DynStore,
    path: &Path,
    opts: &Options<'_>,
) -> anyhow::Result<Summary> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    store.prepare_bulk_import().await?;
    let len = file.metadata().ok().map(|m| m.len());
    import_reader(
        store,
        std::io::BufReader::with_capacity(1 << 16, file),
        len,
        opts,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_recognised_across_chunk_boundaries_and_anything_else_is_windows_1252() {
        // A two-byte `ñ` cut by the 64 KiB chunk boundary is still UTF-8.
        let mut cut = vec![b'a'; (1 << 16) - 1];
        cut.extend_from_slice("ñ,ü€\n".as_bytes());
        assert!(is_utf8(&mut cut.as_slice()).unwrap());
        // A truncated sequence at the very end is not.
        assert!(!is_utf8(&mut b"ok \xc3".as_slice()).unwrap());
        assert!(!is_utf8(&mut b"Pe\xf1a".as_slice()).unwrap());
        assert!(is_utf8(&mut b"".as_slice()).unwrap());
        let mut latin = std::io::Cursor::new(b"Pe\xf1a".to_vec());
        let enc = Encoding::Auto.resolve(&mut latin).unwrap();
        assert_eq!(enc, encoding_rs::WINDOWS_1252);
        assert_eq!(latin.position(), 0, "rewound for the import");
        let mut utf = std::io::Cursor::new("Peña".as_bytes().to_vec());
        assert_eq!(
            Encoding::Auto.resolve(&mut utf).unwrap(),
            encoding_rs::UTF_8
        );
    }

    #[test]
    fn caller_names_and_campaign_directions() {
        assert_eq!(
            clid_name("\"Lucía Fernández\" <8180219935>"),
            "Lucía Fernández"
        );
        assert_eq!(clid_name("<8180219935>"), "");
        assert_eq!(campaign_direction("Ventas<-", ""), Direction::Inbound);
        assert_eq!(campaign_direction("Cobranzas->", ""), Direction::Outbound);
        assert_eq!(campaign_direction("x", "from-queue"), Direction::Inbound);
    }

    #[test]
    fn local_times_follow_the_export_time_zone() {
        let mvd: Tz = "America/Montevideo".parse().unwrap();
        assert_eq!(
            parse_time(&mvd, "2026-03-02 08:00:00")
                .unwrap()
                .to_rfc3339(),
            "2026-03-02T11:00:00+00:00"
        );
        assert!(parse_time(&Tz::UTC, "02/03/2026").is_err());
        for sql_client in [
            "2026-03-02 08:05:32.0",
            "2026-03-02T08:05:32.0",
            "2026-03-02 08:05:32.000",
            "2026-03-02T08:05:32",
            " 2026-03-02 08:05:32 ",
        ] {
            assert_eq!(
                parse_time(&Tz::UTC, sql_client).map(|t| t.to_rfc3339()),
                Ok("2026-03-02T08:05:32+00:00".into()),
                "{sql_client:?}"
            );
        }
        assert_eq!(
            parse_time(&Tz::UTC, "2026-03-02 08:05:32.250").map(|t| t.timestamp_subsec_millis()),
            Ok(250)
        );
        for bad in [
            "2026-03-02 08:05:32.",
            "2026-03-02 08:05",
            "2026-02-30 08:00:00",
        ] {
            assert!(parse_time(&Tz::UTC, bad).is_err(), "{bad:?}");
        }
    }
}
