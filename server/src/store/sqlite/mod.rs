//! The embedded SQLite backend: one file, WAL journal, foreign keys on.

use std::str::FromStr;
use std::time::Duration;

use agentdesk_protocol::ServerEvent;
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, SqlitePool};

use super::{Store, StoreError, StoreResult, StoredEvent};

pub(crate) use super::{corrupt, from_ms, ms, role, scoped, strip_email_content};

// One source for both backends, compiled against each one's seam (see below).
#[allow(clippy::duplicate_mod)]
#[path = "../shared/accounts.rs"]
mod accounts;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/analytics.rs"]
mod analytics;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/calls.rs"]
mod calls;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/contacts.rs"]
mod contacts;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/conversation_report.rs"]
mod conversation_report;
#[path = "../shared/credentials.rs"]
mod credentials;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/crm.rs"]
mod crm;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/events.rs"]
mod events;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/followups.rs"]
mod followups;
mod fulltext;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/ingest.rs"]
mod ingest;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/integrations.rs"]
mod integrations;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/interaction_attributes.rs"]
mod interaction_attributes;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/mailboxes.rs"]
mod mailboxes;

#[path = "../shared/notifications.rs"]
mod notifications;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/outbox.rs"]
mod outbox;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/outbox_files.rs"]
mod outbox_files;
mod presence;
mod probe;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/reminders.rs"]
mod reminders;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/report_sql.rs"]
mod report_sql;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/reports.rs"]
mod reports;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/rollups.rs"]
mod rollups;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/status.rs"]
mod status;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/status_rollup.rs"]
mod status_rollup;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/supervision.rs"]
mod supervision;
#[path = "../shared/teams.rs"]
mod teams;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/timeline.rs"]
mod timeline;
mod writer;

pub(crate) use fulltext::{insert_activity_row, reindex_activity};
pub(crate) use probe::probe;
pub(crate) use timeline::{insert_activity, touch_contact, update_activity_detail};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

pub struct SqliteStore {
    /// Reads: several connections, which WAL lets run beside the writer.
    pub(crate) pool: SqlitePool,
    /// Every write, on one connection. SQLite takes one writer at a time anyway; when
    /// several connections race for it, the loser sleeps in SQLite's busy handler (1, 2,
    /// 5 … 25 ms steps, whatever the wait) and a deferred transaction that read first can
    /// fail outright. Queued for one connection instead, a writer starts the moment the
    /// previous one is done, and writers queued together commit together (`writer.rs`).
    pub(crate) writer: writer::Writer,
}

impl SqliteStore {
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Reads of a large history come from the OS page cache through the mapping
            // instead of a read() call per page, and each connection keeps 32 MiB of
            // pages itself (the default is 2 MiB): fewer slow tails on timeline pages.
            .pragma("mmap_size", "268435456")
            .pragma("cache_size", "-32768");
        if let Some(parent) = opts.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        let writer = writer::Writer::new(opts.connect().await?);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts)
            .await?;
        Ok(SqliteStore { pool, writer })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.writer.exclusive().await?;
        // `run_direct` is what `run` calls once it has a connection; `run` itself cannot
        // take one borrowed inside an `async_trait` method ("`Acquire` is not general
        // enough").
        MIGRATOR
            .run_direct(None, &mut *conn, false)
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
        drop(conn); // the backfill writes through the writer's groups
        self.backfill_search().await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn maintain(&self, budget: std::time::Duration) -> StoreResult<u32> {
        self.merge_search_index(budget).await
    }

    async fn prepare_bulk_import(&self) -> StoreResult<()> {
        // The writer is one connection: these hold for every write of the import.
        let mut conn = self.writer.exclusive().await?;
        sqlx::query("PRAGMA mmap_size = 0")
            .execute(&mut *conn)
            .await?;
        sqlx::query("PRAGMA cache_size = -4096")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }
}

// The seam the shared store modules (`store/shared/`) are written against; PostgreSQL's
// has the same names.

/// The store the shared modules implement their traits for.
pub(crate) type Backend = SqliteStore;
pub(crate) use writer::Tx;
/// Events a write transaction appends when it commits: (team, event), in order.
/// The last event id drawn, whatever the log still holds (`events_since`' bounds).
pub(crate) const LAST_EVENT_ID: &str = "SELECT seq FROM sqlite_sequence WHERE name = 'events'";

pub(crate) type Pending = Vec<(Option<i64>, ServerEvent)>;

pub(crate) type Db = sqlx::Sqlite;

/// SQL's two-argument maximum (`MAX(a, b)` in SQLite).
pub(crate) const GREATEST: &str = "MAX";
/// SQL's aggregate that joins a group's texts with a separator.
pub(crate) const STRING_AGG: &str = "group_concat";
/// Whether a kind filter over several kinds writes `+a.kind`: SQLite's hint that keeps
/// its planner on the timeline index (in order, kind in it) instead of merging several
/// kind ranges and sorting them.
pub(crate) const UNARY_PLUS: bool = true;
/// What locks a selected row until the transaction ends: nothing to add here, the one
/// writer connection already runs one write transaction at a time.
pub(crate) const FOR_UPDATE: &str = "";
/// A row lock that does not block foreign-key checks (rows inserted that refer to the
/// row take a key-share lock; `FOR UPDATE` would wait on them and they on it).
pub(crate) const FOR_NO_KEY_UPDATE: &str = "";
/// SQLite has one writer: a claim never meets another's locked row.
pub(crate) const SKIP_LOCKED: &str = "";
/// Whether a generated statement numbers its placeholders (`$N`): not for the queue
/// log's multi-row inserts here, where the driver looks every `$N` name up again for
/// each value it binds (72 % of an import's time); `?` binds in order.
pub(crate) const NUMBERED_PARAMS: bool = false;

/// `col` equals the e-mail address bound at `param`, without ASCII case (the column is
/// NOCASE).
pub(crate) fn same_email(col: &str, param: &str) -> String {
    format!("{col} = {param}")
}

/// Begin a write transaction that appends no events (a bulk load): the same as
/// [`begin_write`] here, since every write goes through the one writer.
pub(crate) async fn begin_bulk(s: &SqliteStore) -> StoreResult<Tx<'static>> {
    begin_write(s).await
}

/// Begin a write transaction: a job of the one writer connection's group (see
/// [`SqliteStore::writer`]).
pub(crate) async fn begin_write(s: &SqliteStore) -> StoreResult<Tx<'static>> {
    s.writer.begin().await
}

/// A write statement with its values bound.
pub(crate) type Write<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;
/// An insert with its values bound that returns the new row's id.
pub(crate) type WriteId<'q> =
    sqlx::query::QueryScalar<'q, Db, i64, <Db as sqlx::Database>::Arguments>;

/// Run one write statement as a transaction of its own (on the writer: a job of its own).
pub(crate) async fn write_one(s: &SqliteStore, q: Write<'_>) -> StoreResult<SqliteQueryResult> {
    let mut tx = begin_write(s).await?;
    let r = q.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(r)
}

/// Run one insert as a transaction of its own; the new row's id.
pub(crate) async fn insert_returning_id(s: &SqliteStore, q: WriteId<'_>) -> StoreResult<i64> {
    let mut tx = begin_write(s).await?;
    let id = q.fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// Serialise writers on `keys`: nothing to do here, the one writer connection runs one
/// write transaction at a time.
pub(crate) async fn lock_keys(
    _tx: &mut Tx<'_>,
    _keys: impl IntoIterator<Item = String>,
) -> StoreResult<()> {
    Ok(())
}

/// Append `pending` to the event log and commit (ids are in commit order: one writer).
pub(crate) async fn commit_events(
    mut tx: Tx<'_>,
    pending: Pending,
    now: i64,
) -> StoreResult<Vec<StoredEvent>> {
    let mut out = Vec::with_capacity(pending.len());
    for (team_id, event) in pending {
        out.push(append_event(&mut tx, team_id, event, now).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// `col` is one of the ids bound at `$n` with [`ids_param`] (none: every row).
pub(crate) fn in_ids(col: &str, n: usize) -> String {
    format!("(${n} = '[]' OR {col} IN (SELECT value FROM json_each(${n})))")
}

pub(crate) fn ids_param(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// `col` is one of the ids bound at `$n` with [`opt_ids_param`]; `None` bound: every row.
pub(crate) fn in_opt_ids(col: &str, n: usize) -> String {
    format!("(${n} IS NULL OR {col} IN (SELECT value FROM json_each(${n})))")
}

pub(crate) fn opt_ids_param(ids: Option<&[i64]>) -> Option<String> {
    ids.map(ids_param)
}

/// `col` equals the user name bound at `$n`, whatever its case (the column is NOCASE).
pub(crate) fn same_username(col: &str, n: usize) -> String {
    format!("{col} = ${n}")
}

pub(crate) async fn append_event(
    tx: &mut Tx<'_>,
    team_id: Option<i64>,
    event: ServerEvent,
    now: i64,
) -> StoreResult<StoredEvent> {
    let payload = serde_json::to_string(&event).map_err(|e| StoreError::Other(e.to_string()))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (team_id, kind, payload, at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(team_id)
    .bind(event.name())
    .bind(payload)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(StoredEvent { id, team_id, event })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stream opens read the log's bounds: from the key's ends, whatever the log holds.
    #[tokio::test]
    async fn the_event_logs_bounds_are_read_without_scanning_the_log() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("b.db").display());
        let store = SqliteStore::open(&url).await.expect("open");
        store.migrate().await.expect("migrate");
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {}",
            crate::store::events::EVENT_BOUNDS
        )))
        .fetch_all(&store.pool)
        .await
        .expect("plan");
        assert!(!plan.is_empty());
        for (.., step) in &plan {
            assert!(!step.starts_with("SCAN events"), "{step}: {plan:?}");
        }
        assert!(plan.iter().any(|p| p.3 == "SEARCH events"), "{plan:?}");
    }

    /// Keeping a reply's facts reads one conversation thread, never the team's history
    /// (the planner once chose the team's index for the updates: 5x slower writes).
    #[tokio::test]
    async fn reply_upkeep_reads_the_threads_index() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("b.db").display());
        let store = SqliteStore::open(&url).await.expect("open");
        store.migrate().await.expect("migrate");
        for sql in [
            analytics::FIRST_REPLY,
            analytics::ANSWERED_BY,
            analytics::REANSWERED,
        ] {
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                    .fetch_all(&store.pool)
                    .await
                    .expect("plan");
            let steps: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
            assert!(
                steps
                    .iter()
                    .all(|s| !s.contains("interaction_facts_team") && !s.starts_with("SCAN")),
                "{sql}: {steps:?}"
            );
            assert!(
                steps.iter().any(|s| s.contains(
                    "interaction_facts_thread (contact_id=? AND team_id=? AND kind=? AND inbound=?"
                )),
                "{sql}: {steps:?}"
            );
        }
    }
}
