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

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use agentdesk_protocol::{
    Activity, ActivityDetail, ActivityKind, EmailContent, KindCount, SEARCH_MATCH_LIMIT,
    ServerEvent, TIMELINE_PAGE_SIZE, UserRef,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool, Row};

use super::contacts::ContactStore;
use super::{
    NewActivity, Store, StoreError, StoreResult, StoredEvent, TimelinePage, TimelineRequest,
    Viewer, WalkFrom, plan_walk, search,
};
use crate::text::contact_key;

pub(crate) use super::{corrupt, from_ms, ms, role, strip_email_content};

// One source for both backends, compiled against each one's seam (see below).
#[allow(clippy::duplicate_mod)]
#[path = "../shared/accounts.rs"]
mod accounts;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/calls.rs"]
mod calls;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/contacts.rs"]
mod contacts;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/events.rs"]
mod events;
mod ingest;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/integrations.rs"]
mod integrations;
mod presence;
#[allow(clippy::duplicate_mod)]
#[path = "../shared/status.rs"]
mod status;

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
pub(crate) type Pending = Vec<(Option<i64>, ServerEvent)>;

// The seam the shared store modules (`store/shared/`) are written against, beside
// `Tx`, `Pending`, [`lock_keys`] and [`commit_events`]; SQLite's has the same names.

/// The store the shared modules implement their traits for.
pub(crate) type Backend = PostgresStore;
pub(crate) type DbRow = sqlx::postgres::PgRow;

/// Begin a write transaction, on the writers' connections ([`PostgresStore::writer`]).
pub(crate) async fn begin_write(s: &PostgresStore) -> StoreResult<Tx<'static>> {
    Ok(s.writer.begin().await?)
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

impl PostgresStore {
    /// Where a write outside a transaction goes (no write lock needed).
    pub(crate) fn write_pool(&self) -> &PgPool {
        &self.pool
    }
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

/// The team filter of every scoped query, on the team column `col`. By convention the
/// query binds `$1` = the viewer sees all teams (admin), `$2` = the viewer's user id.
pub(crate) fn scoped(col: &str) -> String {
    format!("($1 OR {col} IN (SELECT team_id FROM team_members WHERE user_id = $2))")
}

/// Binds $1..$5 of a timeline filter: scope, contact, email permission, and the search
/// (NULL without one, so that the positions of later parameters never move).
macro_rules! bind_filter {
    ($q:expr, $viewer:expr, $contact_id:expr, $fts:expr) => {
        $q.bind($viewer.all_teams())
            .bind($viewer.user_id)
            .bind($contact_id)
            .bind($viewer.can_email)
            .bind($fts.cloned())
    };
}

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

impl PostgresStore {
    /// Give every search entry without terms (those written before migration 0007) its
    /// terms, 2,000 per transaction, oldest id first; resumes where an interrupted run
    /// stopped. Runs after migrations, before the server serves.
    async fn backfill_search(&self) -> StoreResult<()> {
        self.refold_contacts().await?;
        loop {
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query(
                "SELECT a.id, a.contact_id, a.team_id, a.detail, e.subject, e.sender, e.body \
                 FROM activity_search s JOIN activities a ON a.id = s.activity_id \
                 LEFT JOIN incoming_emails e ON e.id = a.email_id \
                 WHERE s.terms IS NULL ORDER BY s.activity_id LIMIT 2000",
            )
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut ids = Vec::with_capacity(rows.len());
            let mut terms = Vec::with_capacity(rows.len());
            for r in &rows {
                ids.push(r.get::<i64, _>(0));
                // A detail that no longer parses keeps an entry without words.
                terms.push(
                    serde_json::from_str::<ActivityDetail>(r.get(3))
                        .map(|detail| {
                            let email = search::stored_email(r.get(4), r.get(5), r.get(6));
                            search::index_terms(r.get(1), r.get(2), &detail, email.as_ref())
                        })
                        .unwrap_or_default(),
                );
            }
            sqlx::query(
                "UPDATE activity_search s SET terms = to_tsvector('simple', t.terms) \
                 FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS t(id, terms) WHERE s.activity_id = t.id",
            )
            .bind(&ids)
            .bind(&terms)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
    }

    /// Give every contact whose search key a migration emptied its key under the text
    /// rule of today ([`contact_key`]), 2,000 per statement in id order.
    async fn refold_contacts(&self) -> StoreResult<()> {
        let mut after = 0_i64;
        loop {
            let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT id, name, email FROM contacts WHERE search_key = '' AND id > $1 \
                 ORDER BY id LIMIT 2000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.0;
            let (ids, keys): (Vec<i64>, Vec<String>) = rows
                .iter()
                .map(|(id, name, email)| (*id, contact_key(name, email.as_deref())))
                .unzip();
            sqlx::query(
                "UPDATE contacts c SET search_key = t.key \
                 FROM UNNEST($1::BIGINT[], $2::TEXT[]) AS t(id, key) WHERE c.id = t.id",
            )
            .bind(&ids)
            .bind(&keys)
            .execute(&self.pool)
            .await?;
        }
    }

    /// A search page. The tsquery (`tsq`, see [`search::match_query`]) already holds the
    /// contact, the visible teams and the chosen kinds, so the GIN index yields exactly
    /// the matches; they are counted and their keys `(occurred_at, id)` — stored in the
    /// search entry — walked with the same plan as without search.
    async fn search_page(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Postgres>,
        viewer: &Viewer,
        contact_id: i64,
        req: &TimelineRequest,
        tsq: &str,
        kind_counts: Vec<KindCount>,
    ) -> StoreResult<TimelinePage> {
        const MATCH: &str = "s.terms @@ to_tsquery('simple', $1)";
        // Counted up to one past the limit: the count stops there.
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM activity_search s WHERE {MATCH} LIMIT {}) m",
            SEARCH_MATCH_LIMIT + 1
        );
        // The ids of ten matches at or below key ($2, $3) after skipping $4.
        let ids_sql = format!(
            "SELECT s.activity_id FROM activity_search s WHERE {MATCH} \
             AND (s.occurred_at, s.activity_id) <= ($2, $3) \
             ORDER BY s.occurred_at DESC, s.activity_id DESC LIMIT {TIMELINE_PAGE_SIZE} OFFSET $4"
        );
        let ids_query = |key: (i64, i64), skip: u64| {
            sqlx::query_scalar::<_, i64>(AssertSqlSafe(ids_sql.clone()))
                .bind(tsq)
                .bind(key.0)
                .bind(key.1)
                .bind(i64::try_from(skip).unwrap_or(i64::MAX))
        };
        const TOP: (i64, i64) = (i64::MAX, i64::MAX);
        // Page 1 needs no count to find its rows: count and page at once, on two
        // connections.
        let (n, first_ids): (i64, _) = if req.page <= 1 {
            let mut other = self.pool.acquire().await?;
            let count = sqlx::query_scalar(AssertSqlSafe(count_sql))
                .bind(tsq)
                .fetch_one(&mut **conn);
            let ids = ids_query(TOP, 0).fetch_all(&mut *other);
            let (n, ids) = tokio::join!(count, ids);
            (n?, Some(ids?))
        } else {
            let n = sqlx::query_scalar(AssertSqlSafe(count_sql))
                .bind(tsq)
                .fetch_one(&mut **conn)
                .await?;
            (n, None)
        };
        let (total, capped) = search::cap(n);
        let size = u64::from(TIMELINE_PAGE_SIZE);
        let pages = u32::try_from(total.div_ceil(size).max(1)).unwrap_or(u32::MAX);
        let page = req.page.clamp(1, pages);
        let ids = match first_ids {
            Some(ids) => ids,
            None if total == 0 => vec![],
            None => {
                let walk = plan_walk(search::walk_total(total, capped), page, req.anchor);
                match walk.from {
                    WalkFrom::Start => ids_query(TOP, walk.skip).fetch_all(&mut **conn).await?,
                    WalkFrom::AnchorDown(k) => {
                        ids_query(k, walk.skip).fetch_all(&mut **conn).await?
                    }
                    WalkFrom::End | WalkFrom::AnchorUp(_) => {
                        // Walking up: first the key of the page's newest match.
                        let from = match walk.from {
                            WalkFrom::AnchorUp(k) => k,
                            _ => (i64::MIN, i64::MIN),
                        };
                        let top_sql = format!(
                            "SELECT s.occurred_at, s.activity_id FROM activity_search s \
                             WHERE {MATCH} AND (s.occurred_at, s.activity_id) > ($2, $3) \
                             ORDER BY s.occurred_at ASC, s.activity_id ASC LIMIT 1 OFFSET $4"
                        );
                        let top: Option<(i64, i64)> = sqlx::query_as(AssertSqlSafe(top_sql))
                            .bind(tsq)
                            .bind(from.0)
                            .bind(from.1)
                            .bind(i64::try_from(walk.skip).unwrap_or(i64::MAX))
                            .fetch_optional(&mut **conn)
                            .await?;
                        match top {
                            Some(top) => ids_query(top, 0).fetch_all(&mut **conn).await?,
                            // The index changed under us (a concurrent delete).
                            None => vec![],
                        }
                    }
                }
            }
        };
        let items = if ids.is_empty() {
            vec![]
        } else {
            let sql = format!(
                "{ACTIVITY_SELECT} WHERE a.id = ANY($5) AND a.contact_id = $3 AND {} \
                 ORDER BY a.occurred_at DESC, a.id DESC",
                scoped("a.team_id")
            );
            bind_filter!(
                sqlx::query(AssertSqlSafe(sql)),
                viewer,
                contact_id,
                Some(&ids)
            )
            .fetch_all(&mut **conn)
            .await?
            .iter()
            .map(|r| activity_from_row(r, viewer.can_email))
            .collect::<StoreResult<Vec<_>>>()?
        };
        Ok(TimelinePage {
            items,
            total,
            capped,
            page,
            pages,
            kind_counts,
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

    async fn insert_activities(
        &self,
        activities: &[NewActivity],
        publish: bool,
    ) -> StoreResult<(Vec<i64>, Vec<StoredEvent>)> {
        let mut tx = if publish {
            self.writer.begin().await?
        } else {
            self.pool.begin().await?
        };
        let now = ms(crate::clock::now());
        // Ordered by contact: two batches update shared contacts in the same order, so
        // neither waits for a row the other holds while holding one it wants.
        let mut latest: BTreeMap<i64, i64> = BTreeMap::new();
        let mut ids = Vec::with_capacity(activities.len());
        let mut pending = Pending::new();
        for a in activities {
            let id = insert_activity(&mut tx, a, now).await?;
            ids.push(id);
            let t = latest.entry(a.contact_id).or_insert(i64::MIN);
            *t = (*t).max(ms(a.occurred_at));
            if publish {
                let event = ServerEvent::ActivityCreated {
                    contact_id: a.contact_id,
                    activity_id: id,
                    kind: a.kind(),
                };
                pending.push((Some(a.team_id), event));
            }
        }
        // One update per contact, not per activity.
        for (contact_id, at) in latest {
            sqlx::query(
                "UPDATE contacts SET last_activity_at = GREATEST(COALESCE(last_activity_at, 0), $1) \
                 WHERE id = $2",
            )
            .bind(at)
            .bind(contact_id)
            .execute(&mut *tx)
            .await?;
        }
        let events = commit_events(tx, pending, now).await?;
        Ok((ids, events))
    }

    async fn timeline_newer_than(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        kinds: &[agentdesk_protocol::ActivityKind],
        from_ms: i64,
    ) -> StoreResult<Option<u64>> {
        if self.contact(viewer, contact_id).await?.is_none() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM activities a WHERE a.contact_id = $3 AND {}{} AND a.occurred_at >= $4",
            scoped("a.team_id"),
            super::kinds_filter(kinds, false)
        );
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(contact_id)
            .bind(from_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(u64::try_from(n).unwrap_or(0)))
    }

    async fn timeline(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        req: &TimelineRequest,
    ) -> StoreResult<Option<TimelinePage>> {
        let mut conn = self.pool.acquire().await?;
        // Visibility and the per-kind counters in one round trip: no row means the
        // contact is not visible (a visible contact without activities yields one row
        // with a NULL kind thanks to the LEFT JOIN).
        let counts_sql = format!(
            "SELECT k.team_id, k.kind, k.n FROM contacts c \
             LEFT JOIN activity_counts k ON k.contact_id = c.id AND k.n > 0 AND {} \
             WHERE c.id = $3 AND {}",
            scoped("k.team_id"),
            scoped("c.team_id")
        );
        let rows = sqlx::query(AssertSqlSafe(counts_sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(contact_id)
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        // A visible contact without activities yields one row of NULLs: no pair.
        let (kind_counts, pairs) = super::tally_counts(
            rows.iter().filter_map(|r| {
                Some((
                    r.get::<Option<i64>, _>(0)?,
                    r.get::<Option<&str>, _>(1)?,
                    r.get::<i64, _>(2),
                ))
            }),
            &req.kinds,
        )?;

        if !req.words.is_empty() {
            // GIN matches prefixes itself: every word is a prefix query on every head.
            let heads = search::heads(contact_id, &pairs, viewer.can_email);
            let words: Vec<search::WordMatch> = req
                .words
                .iter()
                .map(|w| search::WordMatch::Prefix {
                    heads: heads.clone(),
                    word: search::term_word(w),
                })
                .collect();
            let page = match search::tsquery(&words) {
                Some(tsq) => {
                    self.search_page(&mut conn, viewer, contact_id, req, &tsq, kind_counts)
                        .await?
                }
                None => TimelinePage::no_match(kind_counts),
            };
            return Ok(Some(page));
        }

        // The filter every step shares; kinds are our own enum's names, safe to inline.
        let mut filter = format!("a.contact_id = $3 AND {}", scoped("a.team_id"));
        match req.kinds.as_slice() {
            [] => {}
            [k] => filter.push_str(&format!(" AND a.kind = '{}'", k.as_str())),
            ks => {
                let list: Vec<String> = ks.iter().map(|k| format!("'{}'", k.as_str())).collect();
                filter.push_str(&format!(" AND a.kind IN ({})", list.join(",")));
            }
        }
        // No search on this path: $5 is bound NULL so that later parameters keep their place.
        let fts: Option<&String> = None;
        let total: u64 = kind_counts
            .iter()
            .filter(|k| req.kinds.is_empty() || req.kinds.contains(&k.kind))
            .map(|k| k.count)
            .sum();
        let size = u64::from(TIMELINE_PAGE_SIZE);
        let pages = u32::try_from(total.div_ceil(size).max(1)).unwrap_or(u32::MAX);
        let page = req.page.clamp(1, pages);
        if total == 0 {
            return Ok(Some(TimelinePage {
                items: vec![],
                total,
                capped: false,
                page,
                pages,
                kind_counts,
            }));
        }

        // Step 1: the key of the newest activity of the page, found by walking the
        // covering index from the cheapest known point (see `plan_walk`).
        let walk = plan_walk(total, page, req.anchor);
        let (cmp, order) = match walk.from {
            WalkFrom::Start => ("", "DESC"),
            WalkFrom::End => ("", "ASC"),
            WalkFrom::AnchorDown(_) => (" AND (a.occurred_at, a.id) <= ($6, $7)", "DESC"),
            WalkFrom::AnchorUp(_) => (" AND (a.occurred_at, a.id) > ($6, $7)", "ASC"),
        };
        let key_sql = format!(
            "SELECT a.occurred_at, a.id FROM activities a WHERE {filter}{cmp} \
             ORDER BY a.occurred_at {order}, a.id {order} LIMIT 1 OFFSET $8"
        );
        let (k1, k2) = match walk.from {
            WalkFrom::AnchorDown(k) | WalkFrom::AnchorUp(k) => k,
            _ => (0, 0),
        };
        let key = bind_filter!(sqlx::query(AssertSqlSafe(key_sql)), viewer, contact_id, fts)
            .bind(k1)
            .bind(k2)
            .bind(i64::try_from(walk.skip).unwrap_or(i64::MAX))
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| (r.get::<i64, _>(0), r.get::<i64, _>(1)));
        let Some((k1, k2)) = key else {
            // The counters and the rows disagree (a concurrent delete): answer empty
            // rather than a wrong page.
            return Ok(Some(TimelinePage {
                items: vec![],
                total,
                capped: false,
                page,
                pages,
                kind_counts,
            }));
        };

        // Step 2: the page itself, from that key.
        let sql = format!(
            "{ACTIVITY_SELECT} WHERE {filter} AND (a.occurred_at, a.id) <= ($6, $7) \
             ORDER BY a.occurred_at DESC, a.id DESC LIMIT {TIMELINE_PAGE_SIZE}"
        );
        let rows = bind_filter!(sqlx::query(AssertSqlSafe(sql)), viewer, contact_id, fts)
            .bind(k1)
            .bind(k2)
            .fetch_all(&mut *conn)
            .await?;
        let items = rows
            .iter()
            .map(|r| activity_from_row(r, viewer.can_email))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(TimelinePage {
            items,
            total,
            capped: false,
            page,
            pages,
            kind_counts,
        }))
    }

    async fn delete_activity(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<StoredEvent>> {
        let mut tx = self.writer.begin().await?;
        // A call's row before its activity, as a call's end or disposition takes them
        // (deleting the activity clears the call's reference to it): in the other order
        // the two would wait for each other.
        sqlx::query("SELECT 1 FROM calls WHERE activity_id = $1 FOR UPDATE")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let sql = format!(
            "DELETE FROM activities AS a WHERE a.id = $3 AND {} RETURNING contact_id, team_id",
            scoped("a.team_id")
        );
        let Some(row) = sqlx::query(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        // Its search row goes with it (ON DELETE CASCADE), its counter by trigger.
        let (contact_id, team_id): (i64, i64) = (row.get(0), row.get(1));
        let event = ServerEvent::ActivityDeleted {
            contact_id,
            activity_id: id,
        };
        let stored =
            commit_events(tx, vec![(Some(team_id), event)], ms(crate::clock::now())).await?;
        Ok(stored.into_iter().next())
    }

    async fn activity_attributes(
        &self,
        viewer: &Viewer,
        activity_id: i64,
    ) -> StoreResult<(Option<String>, Option<String>)> {
        let sql = format!(
            "SELECT (SELECT i.attributes FROM interactions i WHERE i.activity_id = a.id \
                     ORDER BY i.id LIMIT 1), c.attributes \
             FROM activities a JOIN contacts c ON c.id = a.contact_id \
             WHERE a.id = $3 AND {}",
            scoped("a.team_id")
        );
        let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(activity_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.unwrap_or_default())
    }

    async fn email_body(&self, viewer: &Viewer, activity_id: i64) -> StoreResult<Option<String>> {
        if !viewer.can_email {
            return Ok(None);
        }
        let sql = format!(
            "SELECT e.body FROM activities a JOIN incoming_emails e ON e.id = a.email_id \
             WHERE a.id = $3 AND {}",
            scoped("a.team_id")
        );
        Ok(sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(activity_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn activity(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<Activity>> {
        let sql = format!(
            "{ACTIVITY_SELECT} WHERE a.id = $3 AND {}",
            scoped("a.team_id")
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(id)
            .bind(viewer.can_email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| activity_from_row(&r, viewer.can_email))
            .transpose()
    }
}

/// Email content is withheld in the query itself (`$4` = may read email), so it never
/// leaves the database for a user without the permission.
const ACTIVITY_SELECT: &str = "SELECT a.id, a.contact_id, a.team_id, a.kind, a.model_id, a.detail, \
    a.occurred_at, a.user_id, u.display_name, \
    CASE WHEN $4 THEN e.subject END, CASE WHEN $4 THEN e.sender END, CASE WHEN $4 THEN e.snippet END, \
    CASE WHEN $4 THEN e.attachments END \
    FROM activities a LEFT JOIN users u ON u.id = a.user_id \
    LEFT JOIN incoming_emails e ON e.id = a.email_id";

/// Insert one activity with its email content and search entry (the counters follow by
/// trigger), inside the caller's transaction.
pub(crate) async fn insert_activity(
    tx: &mut Tx<'_>,
    a: &NewActivity,
    now: i64,
) -> StoreResult<i64> {
    insert_activity_with(tx, a, now, None).await
}

/// An ingested interaction, recorded by the statement that inserts its activity
/// ([`insert_activity_with`]).
pub(crate) struct Ingested<'a> {
    pub source: &'a str,
    pub source_key: &'a str,
    pub conversation_id: Option<&'a str>,
    /// The conversation's attributes, as JSON.
    pub attributes: String,
}

/// [`insert_activity`]; with `ingested`, the same statement also records the interaction
/// and moves the contact's last-activity time up: one round trip for what an ingest
/// writes, not three.
pub(crate) async fn insert_activity_with(
    tx: &mut Tx<'_>,
    a: &NewActivity,
    now: i64,
    ingested: Option<&Ingested<'_>>,
) -> StoreResult<i64> {
    let email_id: Option<i64> = match &a.email {
        Some(e) => Some(
            sqlx::query_scalar(
                "INSERT INTO incoming_emails (team_id, message_id, subject, sender, snippet, body, created_at, attachments) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(a.team_id)
            .bind(&e.message_id)
            .bind(&e.subject)
            .bind(&e.sender)
            .bind(&e.snippet)
            .bind(&e.body)
            .bind(now)
            .bind(if e.attachments.is_empty() {
                None
            } else {
                Some(serde_json::to_string(&e.attachments).map_err(|e| StoreError::Other(e.to_string()))?)
            })
            .fetch_one(&mut **tx)
            .await?,
        ),
        None => None,
    };
    let detail = serde_json::to_string(&strip_email_content(&a.detail))
        .map_err(|e| StoreError::Other(e.to_string()))?;
    // The row and its search entry in one statement; the interaction and the contact's
    // time only when `$11` (the source) is not NULL.
    let id: i64 = sqlx::query_scalar(
        "WITH a AS (INSERT INTO activities (team_id, contact_id, user_id, kind, model_id, email_id, \
           detail, occurred_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id), \
         s AS (INSERT INTO activity_search (activity_id, contact_id, occurred_at, terms) \
           SELECT id, $2, $8, to_tsvector('simple', $10) FROM a), \
         c AS (UPDATE contacts SET last_activity_at = GREATEST(COALESCE(last_activity_at, 0), $8) \
           WHERE id = $2 AND $11::text IS NOT NULL), \
         r AS (INSERT INTO interactions (source, source_key, team_id, contact_id, activity_id, \
           conversation_id, attributes, created_at) \
           SELECT $11, $12, $1, $2, id, $13, $14, $9 FROM a WHERE $11::text IS NOT NULL) \
         SELECT id FROM a",
    )
    .bind(a.team_id)
    .bind(a.contact_id)
    .bind(a.user_id)
    .bind(a.kind().as_str())
    .bind(&a.model_id)
    .bind(email_id)
    .bind(detail)
    .bind(ms(a.occurred_at))
    .bind(now)
    .bind(search::index_terms(
        a.contact_id,
        a.team_id,
        &a.detail,
        a.email.as_ref(),
    ))
    .bind(ingested.map(|i| i.source))
    .bind(ingested.map(|i| i.source_key))
    .bind(ingested.and_then(|i| i.conversation_id))
    .bind(ingested.map(|i| i.attributes.as_str()))
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Rewrite an activity's detail (and its search text), inside the caller's transaction.
pub(crate) async fn update_activity_detail(
    tx: &mut Tx<'_>,
    id: i64,
    contact_id: i64,
    detail: &ActivityDetail,
) -> StoreResult<()> {
    let json = serde_json::to_string(detail).map_err(|e| StoreError::Other(e.to_string()))?;
    let row = sqlx::query(
        "UPDATE activities a SET detail = $1 WHERE a.id = $2 \
         RETURNING a.team_id, a.occurred_at, \
           (SELECT subject FROM incoming_emails WHERE id = a.email_id), \
           (SELECT sender FROM incoming_emails WHERE id = a.email_id), \
           (SELECT body FROM incoming_emails WHERE id = a.email_id)",
    )
    .bind(json)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    // The email content stays searchable: it is re-read, not lost with the old entry.
    let email = search::stored_email(row.get(2), row.get(3), row.get(4));
    sqlx::query(
        "INSERT INTO activity_search (activity_id, contact_id, occurred_at, terms) \
         VALUES ($1, $2, $3, to_tsvector('simple', $4)) \
         ON CONFLICT (activity_id) DO UPDATE SET terms = EXCLUDED.terms",
    )
    .bind(id)
    .bind(contact_id)
    .bind(row.get::<i64, _>(1))
    .bind(search::index_terms(
        contact_id,
        row.get(0),
        detail,
        email.as_ref(),
    ))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The `LISTEN`/`NOTIFY` channel that tells every server instance the event log grew.
pub(crate) const EVENTS_CHANNEL: &str = "agentdesk_events";

fn activity_from_row(r: &sqlx::postgres::PgRow, can_email: bool) -> StoreResult<Activity> {
    let kind: ActivityKind = r
        .get::<&str, _>(3)
        .parse()
        .map_err(|e| corrupt("activity kind", e))?;
    let mut detail: ActivityDetail =
        serde_json::from_str(r.get::<&str, _>(5)).map_err(|e| corrupt("activity detail", e))?;
    let redacted = kind == ActivityKind::Email && !can_email;
    if let ActivityDetail::Email { content, .. } = &mut detail {
        let (subject, sender, snippet): (Option<String>, Option<String>, Option<String>) =
            (r.get(9), r.get(10), r.get(11));
        *content = match (subject, sender, snippet) {
            (Some(subject), Some(sender), Some(snippet)) => Some(EmailContent {
                subject,
                sender,
                snippet,
                attachments: match r.get::<Option<String>, _>(12) {
                    Some(json) => {
                        serde_json::from_str(&json).map_err(|e| corrupt("email attachments", e))?
                    }
                    None => Vec::new(),
                },
            }),
            _ => None,
        };
    }
    let user = match (r.get::<Option<i64>, _>(7), r.get::<Option<String>, _>(8)) {
        (Some(id), Some(display_name)) => Some(UserRef { id, display_name }),
        _ => None,
    };
    Ok(Activity {
        id: r.get(0),
        contact_id: r.get(1),
        team_id: r.get(2),
        kind,
        model_id: r.get(4),
        occurred_at: from_ms(r.get(6)),
        user,
        detail,
        redacted,
    })
}

/// The event log's reads that differ by backend (see `store/shared/events.rs`).
impl PostgresStore {
    pub(crate) async fn newest_and_oldest_event(&self) -> StoreResult<(i64, i64)> {
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0), COALESCE(MIN(id), 0) FROM events")
            .fetch_one(&self.pool)
            .await?;
        // With an empty log, the next id continues the identity sequence (ids are never
        // reused, so a client's Last-Event-ID stays meaningful after a prune).
        let (max, min): (i64, i64) = (r.get(0), r.get(1));
        if max == 0 {
            let seq: Option<i64> = sqlx::query_scalar(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence('events', 'id'))",
            )
            .fetch_one(&self.pool)
            .await?;
            let seq = seq.unwrap_or(0);
            return Ok((seq, seq + 1));
        }
        Ok((max, min))
    }

    pub(crate) async fn take_stream_ticket(
        &self,
        ticket_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Viewer, String)>> {
        // Single use: the ticket is gone once a stream opened with it, so a ticket seen
        // in a log or a proxy's history opens nothing.
        let row = sqlx::query(
            "WITH t AS (DELETE FROM stream_tickets WHERE ticket_hash = $1 AND expires_at > $2 \
                        RETURNING user_id, session_hash) \
             SELECT u.id, u.role, u.can_email, t.session_hash FROM t \
             JOIN sessions s ON s.token_hash = t.session_hash AND s.expires_at > $2 \
             JOIN users u ON u.id = t.user_id",
        )
        .bind(ticket_hash)
        .bind(ms(now))
        .fetch_optional(&self.writer)
        .await?;
        row.map(|r| {
            Ok((
                Viewer {
                    user_id: r.get(0),
                    role: role(r.get::<&str, _>(1))?,
                    can_email: r.get(2),
                },
                r.get(3),
            ))
        })
        .transpose()
    }
}

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
