//! The PostgreSQL backend: the same schema, queries and semantics as the SQLite one
//! (times in milliseconds, JSON in text columns), for several server instances sharing
//! one database.
//!
//! Two things SQLite gave for free are made explicit here. SQLite has one writer at a
//! time, so event ids commit in order and a duplicate check cannot race its insert;
//! PostgreSQL runs writers concurrently. So every transaction that appends to the event
//! log takes one advisory lock last, just before appending ([`commit_events`]): readers
//! of the log never see id 8 before id 7 is committed. And a transaction that checks
//! before it inserts locks the keys it checks by first ([`lock_keys`]: an interaction's
//! source key, a contact's phone, an agent's calls); status changes are serialised per
//! agent by their presence row (see `status`). And FTS5's index becomes a GIN index
//! over a `tsvector` of the same terms per (contact, team, kind) ([`search`]), matched
//! with `term:*` prefix queries instead of an expansion through a vocabulary.

use std::str::FromStr;
use std::time::Duration;

use agentdesk_protocol::ServerEvent;
use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

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
#[allow(clippy::duplicate_mod)]
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
#[allow(clippy::duplicate_mod)]
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
#[allow(clippy::duplicate_mod)]
#[path = "../shared/teams.rs"]
mod teams;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/timeline.rs"]
mod timeline;

pub(crate) use fulltext::{insert_activity_row, reindex_activity};
pub(crate) use probe::probe;
pub(crate) use timeline::{insert_activity, touch_contact, update_activity_detail};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The advisory lock that serialises writers of the event log (any constant works, as
/// long as every instance uses the same one).
pub(crate) const WRITE_LOCK: i64 = 0x6167_6e74_6465_736b; // "agntdesk"

pub(crate) type Tx<'a> = sqlx::Transaction<'a, sqlx::Postgres>;

/// The class of the advisory locks on keys ([`lock_keys`]); the two-integer locks are a
/// key space apart from the one-`bigint` [`WRITE_LOCK`].
const KEY_LOCK_CLASS: i32 = 0x6164_6b79; // "adky"

/// Lock `keys` (names of what a transaction checks before it inserts: an interaction's
/// source key, a contact's phone, an agent's calls) until `tx` ends, so that two
/// transactions about the same thing run one after the other and a check cannot race
/// its insert — what one lock over every writer used to guarantee. Called first in its
/// transaction, before any row is touched; the locks are taken in one order (sorted
/// slots, in one statement) so that two transactions never wait for each other's.
/// Keys share [`KEY_LOCK_SLOTS`] locks: a collision only makes two unrelated
/// transactions wait in turn, and a batch of a thousand imported rows holds at most
/// that many locks (PostgreSQL's lock table is shared and small: 64 per connection by
/// default).
pub(crate) async fn lock_keys(
    tx: &mut Tx<'_>,
    keys: impl IntoIterator<Item = String>,
) -> StoreResult<()> {
    let mut slots: Vec<i32> = keys.into_iter().map(|k| key_slot(&k)).collect();
    slots.sort_unstable();
    slots.dedup();
    if slots.is_empty() {
        return Ok(());
    }
    // A function scan yields the array in order, so the locks are taken in that order.
    sqlx::query("SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k")
        .bind(KEY_LOCK_CLASS)
        .bind(slots)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many key locks there are (see [`lock_keys`]).
const KEY_LOCK_SLOTS: u32 = 1024;

/// The lock slot of a key: its FNV-1a hash (32 bits), the same on every instance and
/// release (the standard library's hasher promises neither), which is what matters for
/// a lock several servers share.
fn key_slot(key: &str) -> i32 {
    let h = key.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    i32::try_from(h % KEY_LOCK_SLOTS).unwrap_or(0)
}

/// Connections per instance for transactions that append events. Measured under load
/// (500 agents, 2026-11-29, with the write lock taken last): four gave p99 over all
/// requests 36–79 ms in four runs, two 25–59 ms in seven runs of eight (143 ms in one
/// with heavy CPU steal): reads lose to more concurrent writers on two cores.
const WRITER_CONNECTIONS: u32 = 2;

/// Events a write transaction appends when it commits: (team, event), in order.
/// The last event id drawn, whatever the log still holds (`events_since`' bounds).
pub(crate) const LAST_EVENT_ID: &str =
    "SELECT pg_sequence_last_value(pg_get_serial_sequence('events', 'id'))";

pub(crate) type Pending = Vec<(Option<i64>, ServerEvent)>;

// The seam the shared store modules (`store/shared/`) are written against, beside
// `Tx`, `Pending`, [`lock_keys`] and [`commit_events`]; SQLite's has the same names.

/// The store the shared modules implement their traits for.
pub(crate) type Backend = PostgresStore;
pub(crate) type Db = sqlx::Postgres;

/// SQL's two-argument maximum.
pub(crate) const GREATEST: &str = "GREATEST";
/// SQL's aggregate that joins a group's texts with a separator.
pub(crate) const STRING_AGG: &str = "string_agg";
/// Whether a kind filter over several kinds writes `+a.kind` (SQLite's planner hint;
/// PostgreSQL has no unary plus on text).
pub(crate) const UNARY_PLUS: bool = false;
/// What locks a selected row until the transaction ends: writers run side by side here.
pub(crate) const FOR_UPDATE: &str = " FOR UPDATE";
/// A row lock that does not block foreign-key checks (rows inserted that refer to the
/// row take a key-share lock; `FOR UPDATE` would wait on them and they on it).
pub(crate) const FOR_NO_KEY_UPDATE: &str = " FOR NO KEY UPDATE";
/// A claim passes over rows another instance's claim has locked, instead of waiting.
pub(crate) const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
/// Whether a generated statement numbers its placeholders: PostgreSQL has no other kind.
pub(crate) const NUMBERED_PARAMS: bool = true;

/// `col` equals the e-mail address bound at `param` without ASCII case, as SQLite's
/// NOCASE compares addresses and ingest locks them; on the column, the expression of
/// migration 0008's index.
pub(crate) fn same_email(col: &str, param: &str) -> String {
    format!("{} = {}", fold_email(col), fold_email(param))
}

/// The e-mail address `expr` without ASCII case.
pub(crate) fn fold_email(expr: &str) -> String {
    format!("translate({expr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')")
}

/// Begin a write transaction that appends no events (a bulk load): on the pool, so
/// that it takes none of the writers' connections.
pub(crate) async fn begin_bulk(s: &PostgresStore) -> StoreResult<Tx<'static>> {
    Ok(s.pool.begin().await?)
}

/// Begin a write transaction, on the writers' connections ([`PostgresStore::writer`]).
pub(crate) async fn begin_write(s: &PostgresStore) -> StoreResult<Tx<'static>> {
    Ok(s.writer.begin().await?)
}

/// A write statement with its values bound.
pub(crate) type Write<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;
/// An insert with its values bound that returns the new row's id.
pub(crate) type WriteId<'q> =
    sqlx::query::QueryScalar<'q, Db, i64, <Db as sqlx::Database>::Arguments>;

/// Run one write statement as a transaction of its own: one round trip on the shared
/// pool (it appends no events, so it needs no writer connection).
pub(crate) async fn write_one(
    s: &PostgresStore,
    q: Write<'_>,
) -> StoreResult<sqlx::postgres::PgQueryResult> {
    Ok(q.execute(&s.pool).await?)
}

/// Run one insert as a transaction of its own; the new row's id.
pub(crate) async fn insert_returning_id(s: &PostgresStore, q: WriteId<'_>) -> StoreResult<i64> {
    Ok(q.fetch_one(&s.pool).await?)
}

/// `col` is one of the ids bound at `$n` with [`ids_param`] (none: every row).
pub(crate) fn in_ids(col: &str, n: usize) -> String {
    format!("(cardinality(${n}::BIGINT[]) = 0 OR {col} = ANY(${n}::BIGINT[]))")
}

pub(crate) fn ids_param(ids: &[i64]) -> Vec<i64> {
    ids.to_vec()
}

/// `col` is one of the ids bound at `$n` with [`opt_ids_param`]; `None` bound: every row.
pub(crate) fn in_opt_ids(col: &str, n: usize) -> String {
    format!("(${n}::BIGINT[] IS NULL OR {col} = ANY(${n}::BIGINT[]))")
}

pub(crate) fn opt_ids_param(ids: Option<&[i64]>) -> Option<Vec<i64>> {
    ids.map(<[i64]>::to_vec)
}

/// `col` equals the user name bound at `$n`, whatever its case.
pub(crate) fn same_username(col: &str, n: usize) -> String {
    format!("lower({col}) = lower(${n})")
}

/// Append `pending` to the event log and commit. The write lock is taken here, after
/// every other statement of the transaction, by the statement that appends
/// ([`append_events`]): event ids commit in order (readers of the log never see id 8
/// before id 7 is committed) while the lock is held for two round trips, the append
/// and the commit, not for the transaction's checks and writes.
pub(crate) async fn commit_events(
    mut tx: Tx<'_>,
    pending: Pending,
    now: i64,
) -> StoreResult<Vec<StoredEvent>> {
    if pending.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let mut teams = Vec::with_capacity(pending.len());
    let mut kinds = Vec::with_capacity(pending.len());
    let mut payloads = Vec::with_capacity(pending.len());
    for (team, event) in &pending {
        teams.push(*team);
        kinds.push(event.name());
        payloads.push(serde_json::to_string(event).map_err(|e| StoreError::Other(e.to_string()))?);
    }
    let ids: Vec<i64> = sqlx::query_scalar(APPEND_EVENTS)
        .bind(WRITE_LOCK)
        .bind(EVENTS_CHANNEL)
        .bind(teams)
        .bind(kinds)
        .bind(payloads)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
    if ids.len() != pending.len() {
        // Dropping `tx` rolls the whole change back.
        return Err(StoreError::Other("events not appended".into()));
    }
    tx.commit().await?;
    Ok(ids
        .into_iter()
        .zip(pending)
        .map(|(id, (team_id, event))| StoredEvent { id, team_id, event })
        .collect())
}

/// Take the write lock, then append events — `$3` teams, `$4` kinds, `$5` payloads, in
/// order, at `$6` — and notify the listening instances (`$1` = [`WRITE_LOCK`], `$2` =
/// [`EVENTS_CHANNEL`]); the ids, ascending. A function of migration 0008, so that the
/// lock and the rows cost one round trip and no id is drawn before the lock is held.
/// The notifications go out when (and only if) the transaction commits.
pub(crate) const APPEND_EVENTS: &str = "SELECT append_events($1, $2, $3, $4, $5, $6)";

pub struct PostgresStore {
    /// Reads, and writes that need no write lock.
    pub(crate) pool: PgPool,
    /// Transactions that append events ([`commit_events`]), on their own
    /// [`WRITER_CONNECTIONS`] connections per instance, so that writes queue here, in a
    /// queue that costs nothing, and never take the connections reads need. (Before
    /// writers took the write lock last, those blocked on it held pooled connections
    /// and reads waited behind them: p99 66 ms over all requests, one instance.)
    pub(crate) writer: PgPool,
    /// The relay's `LISTEN` connection, held for as long as it listens: its own, so
    /// that it takes none of the connections reads need. Connected on first use.
    listener: PgPool,
}

impl PostgresStore {
    /// Connect to an existing database (`postgres://user:password@host:port/database`);
    /// the schema is created by [`Store::migrate`].
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let opts = PgConnectOptions::from_str(url)?.application_name("agentdesk");
        // Two connections per core: more only queue inside PostgreSQL (writers share one
        // advisory lock) — measured under load on 2 cores: 16 connections per instance
        // gave p99 170 ms, 8 gave 91 ms, 4 gave 59 ms.
        let connections = std::thread::available_parallelism()
            .map_or(8, |n| n.get() * 2)
            .clamp(4, 32);
        // A connection is normally free in microseconds; waiting longer than this means
        // the database is unreachable or overloaded, and the client is better served by
        // a quick 503 than a hung request (the pool keeps retrying to connect meanwhile,
        // so recovery needs no restart).
        let pool = PgPoolOptions::new()
            .max_connections(u32::try_from(connections).unwrap_or(8))
            .acquire_timeout(Duration::from_secs(2))
            .connect_with(opts.clone())
            .await?;
        let writer = PgPoolOptions::new()
            .max_connections(WRITER_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(2))
            .connect_with(opts.clone())
            .await?;
        let listener = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy_with(opts);
        Ok(PostgresStore {
            pool,
            writer,
            listener,
        })
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
        self.backfill_search().await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn event_notifications(&self) -> StoreResult<Option<super::EventWakeups>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.listener).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        let s = async_stream::stream! {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => yield Ok(n.payload().parse::<i64>().unwrap_or(0)),
                    // The connection dropped: notifications may have been missed.
                    Ok(None) => {
                        yield Err(StoreError::Unavailable("event notifications interrupted".into()));
                        break;
                    }
                    Err(e) => {
                        yield Err(StoreError::from(e));
                        break;
                    }
                }
            }
        };
        Ok(Some(Box::pin(s)))
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }
}

/// The `LISTEN`/`NOTIFY` channel that tells every server instance the event log grew.
pub(crate) const EVENTS_CHANNEL: &str = "agentdesk_events";

#[cfg(test)]
mod tests {
    use super::key_slot;

    /// Instances of different releases share the key locks during a rolling upgrade, so
    /// the slot is pinned to FNV-1a's published values, not to whatever a library does.
    #[test]
    fn key_slots_are_fnv_1a_and_the_same_everywhere() {
        assert_eq!(key_slot(""), (0x811c_9dc5_u32 % 1024) as i32);
        assert_eq!(key_slot("a"), (0xe40c_292c_u32 % 1024) as i32);
        assert_eq!(key_slot("foobar"), (0xbf9c_f968_u32 % 1024) as i32);
        assert_ne!(
            key_slot("interaction sms SM1"),
            key_slot("interaction sms SM2")
        );
    }
}
