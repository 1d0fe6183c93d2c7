//! The embedded SQLite backend: one file, WAL journal, foreign keys on.

use std::str::FromStr;
use std::time::Duration;

use std::collections::HashMap;

use agentdesk_protocol::{
    Activity, ActivityDetail, ActivityKind, EmailContent, KindCount, SEARCH_MATCH_LIMIT,
    ServerEvent, TIMELINE_PAGE_SIZE, UserRef,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Row, SqlitePool};

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

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Pages one maintenance step of the search index writes at most (about 512 KiB with
/// 4 KiB pages): a step is one write transaction, so this bounds how long it holds the
/// write lock.
const MERGE_STEP_PAGES: i64 = 128;

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

pub struct SqliteStore {
    /// Reads: several connections, which WAL lets run beside the writer.
    pub(crate) pool: SqlitePool,
    /// Every write, on one connection. SQLite takes one writer at a time anyway; when
    /// several connections race for it, the loser sleeps in SQLite's busy handler (1, 2,
    /// 5 … 25 ms steps, whatever the wait) and a deferred transaction that read first can
    /// fail outright. Queued for one connection instead, a writer starts the moment the
    /// previous one commits. Its transactions still begin `IMMEDIATE`: another process
    /// (an import from the command line) may write the same file, and a deferred
    /// transaction could not wait for it once it had read.
    pub(crate) writer: SqlitePool,
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
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.clone())
            .await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(opts)
            .await?;
        Ok(SqliteStore { pool, writer })
    }
}

impl SqliteStore {
    /// Give a search key and index entry to every activity without one (those written
    /// before migration 0007), oldest id first, 2,000 per transaction; an interrupted run
    /// resumes where it stopped. Runs after migrations, before the server serves.
    async fn backfill_search(&self) -> StoreResult<()> {
        self.refold_contacts().await?;
        loop {
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
            let rows = sqlx::query(
                "SELECT a.id, a.contact_id, a.team_id, a.detail, a.occurred_at, \
                        e.subject, e.sender, e.body \
                 FROM activities a LEFT JOIN incoming_emails e ON e.id = a.email_id \
                 WHERE a.search_key IS NULL ORDER BY a.id LIMIT 2000",
            )
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            for r in &rows {
                let base = search::key_base(r.get(4));
                let key: i64 = sqlx::query_scalar(
                    "UPDATE activities SET search_key = \
                       (SELECT COALESCE(MAX(search_key) + 1, $2) FROM activities \
                        WHERE search_key BETWEEN $2 AND $3) \
                     WHERE id = $1 RETURNING search_key",
                )
                .bind(r.get::<i64, _>(0))
                .bind(base)
                .bind(search::key_last(base))
                .fetch_one(&mut *tx)
                .await?;
                // A detail that no longer parses keeps its key but no words.
                let terms = serde_json::from_str::<ActivityDetail>(r.get(3))
                    .map(|detail| {
                        let email = search::stored_email(r.get(5), r.get(6), r.get(7));
                        search::index_terms(r.get(1), r.get(2), &detail, email.as_ref())
                    })
                    .unwrap_or_default();
                index_activity(&mut tx, key, &terms).await?;
            }
            tx.commit().await?;
        }
    }

    /// Give every contact whose search key a migration emptied its key under the text
    /// rule of today ([`contact_key`]), 2,000 per transaction in id order.
    async fn refold_contacts(&self) -> StoreResult<()> {
        let mut after = 0_i64;
        loop {
            let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
            let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT id, name, email FROM contacts WHERE search_key = '' AND id > ? \
                 ORDER BY id LIMIT 2000",
            )
            .bind(after)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.0;
            for (id, name, email) in &rows {
                sqlx::query("UPDATE contacts SET search_key = ? WHERE id = ?")
                    .bind(contact_key(name, email.as_deref()))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }

    /// The exact terms each search word stands for under the given heads (see
    /// [`search::WordMatch`]): from the vocabulary, or FTS5's prefix query when there are
    /// too many or none it knows. One query for all words: a `UNION ALL` of one index
    /// range per (word, head), each cut one past the limit.
    async fn expand_words(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
        heads: &[String],
        words: &[String],
    ) -> StoreResult<Vec<search::WordMatch>> {
        let words: Vec<String> = words.iter().map(|w| search::term_word(w)).collect();
        if heads.is_empty() {
            return Ok(words
                .iter()
                .map(|_| search::WordMatch::Exact(vec![]))
                .collect());
        }
        let limit = search::MAX_EXPANSION + 1;
        let branches: Vec<String> = (0..words.len())
            .flat_map(|i| {
                heads.iter().map(move |_| {
                    format!(
                        "SELECT {i} AS w, term FROM (SELECT term FROM timeline_vocab \
                         WHERE term >= ? AND term < ? LIMIT {limit})"
                    )
                })
            })
            .collect();
        let sql = branches.join(" UNION ALL ");
        let mut q = sqlx::query_as::<_, (i64, String)>(AssertSqlSafe(sql));
        for w in &words {
            for h in heads {
                let (low, high) = search::vocab_range(h, w);
                q = q.bind(low).bind(high);
            }
        }
        let mut terms: Vec<Vec<String>> = vec![Vec::new(); words.len()];
        for (i, term) in q.fetch_all(&mut **conn).await? {
            if let Some(list) = usize::try_from(i).ok().and_then(|i| terms.get_mut(i)) {
                list.push(term);
            }
        }
        Ok(words
            .into_iter()
            .zip(terms)
            .map(|(word, terms)| {
                if terms.is_empty() || terms.len() > search::MAX_EXPANSION {
                    search::WordMatch::Prefix {
                        heads: heads.to_vec(),
                        word,
                    }
                } else {
                    search::WordMatch::Exact(terms)
                }
            })
            .collect())
    }

    /// A search page. The index query (`fts`, see [`search::match_query`]) already holds
    /// the contact, the visible teams and the chosen kinds, so the match count is read
    /// off the index alone and the page is the next ten row ids in key order — the same
    /// walk plan as without search, on the index's row ids instead of the timeline index.
    async fn search_page(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
        viewer: &Viewer,
        contact_id: i64,
        req: &TimelineRequest,
        fts: &str,
        kind_counts: Vec<KindCount>,
    ) -> StoreResult<TimelinePage> {
        // Counted up to one past the limit (in the index's own order): the count stops
        // there.
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT rowid FROM timeline_terms WHERE timeline_terms MATCH ? \
             LIMIT {})",
            SEARCH_MATCH_LIMIT + 1
        );
        let select = ACTIVITY_SELECT.replacen(
            " FROM activities a ",
            " FROM m CROSS JOIN activities a ON a.search_key = m.k ",
            1,
        );
        // The page: ten matches at or below key $6 after skipping $7, with their rows.
        let page_sql = format!(
            "WITH m(k) AS (SELECT rowid FROM timeline_terms WHERE timeline_terms MATCH $5 \
             AND rowid <= $6 ORDER BY rowid DESC LIMIT {TIMELINE_PAGE_SIZE} OFFSET $7) \
             {select} WHERE a.contact_id = $3 AND {} ORDER BY a.search_key DESC",
            scoped("a.team_id")
        );
        let page_query = |top: i64, skip: i64| {
            bind_filter!(
                sqlx::query(AssertSqlSafe(page_sql.clone())),
                viewer,
                contact_id,
                Some(&fts)
            )
            .bind(top)
            .bind(skip)
        };
        // Page 1 — what a search box shows first — needs no count to find its rows: the
        // count and the page are read at once, on two connections.
        let (n, first_page): (i64, _) = if req.page <= 1 {
            let mut other = self.pool.acquire().await?;
            let count = sqlx::query_scalar(AssertSqlSafe(count_sql))
                .bind(fts)
                .fetch_one(&mut **conn);
            let rows = page_query(i64::MAX, 0).fetch_all(&mut *other);
            let (n, rows) = tokio::join!(count, rows);
            (n?, Some(rows?))
        } else {
            let n = sqlx::query_scalar(AssertSqlSafe(count_sql))
                .bind(fts)
                .fetch_one(&mut **conn)
                .await?;
            (n, None)
        };
        let (total, capped) = search::cap(n);
        let size = u64::from(TIMELINE_PAGE_SIZE);
        let pages = u32::try_from(total.div_ceil(size).max(1)).unwrap_or(u32::MAX);
        let page = req.page.clamp(1, pages);
        let to_page =
            |rows: Vec<sqlx::sqlite::SqliteRow>, kind_counts| -> StoreResult<TimelinePage> {
                let items = rows
                    .iter()
                    .map(|r| activity_from_row(r, viewer.can_email))
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok(TimelinePage {
                    items,
                    total,
                    capped,
                    page,
                    pages,
                    kind_counts,
                })
            };
        if let Some(rows) = first_page {
            return to_page(rows, kind_counts);
        }
        let empty = |kind_counts| TimelinePage {
            items: vec![],
            total,
            capped,
            page,
            pages,
            kind_counts,
        };
        if total == 0 {
            return Ok(empty(kind_counts));
        }
        // The anchor names an activity; its search key is where the walk starts (a
        // deleted anchor is simply not used).
        let anchor = match req.anchor {
            Some(a) => sqlx::query_scalar::<_, Option<i64>>(
                "SELECT search_key FROM activities WHERE id = ? AND occurred_at = ? AND contact_id = ?",
            )
            .bind(a.id)
            .bind(a.occurred_at_ms)
            .bind(contact_id)
            .fetch_optional(&mut **conn)
            .await?
            .flatten()
            .map(|key| (a, key)),
            None => None,
        };
        let walk = plan_walk(
            search::walk_total(total, capped),
            page,
            anchor.map(|(a, _)| a),
        );
        let anchor_key = anchor.map_or(0, |(_, k)| k);
        // Walking down, the page is read directly; walking up, first the key of the
        // page's newest match.
        let (top, skip) = match walk.from {
            WalkFrom::Start => (i64::MAX, walk.skip),
            WalkFrom::AnchorDown(_) => (anchor_key, walk.skip),
            WalkFrom::End | WalkFrom::AnchorUp(_) => {
                let (cmp, bound) = match walk.from {
                    WalkFrom::AnchorUp(_) => ("rowid > ?", anchor_key),
                    _ => ("rowid >= ?", i64::MIN),
                };
                let sql = format!(
                    "SELECT rowid FROM timeline_terms WHERE timeline_terms MATCH ? AND {cmp} \
                     ORDER BY rowid ASC LIMIT 1 OFFSET ?"
                );
                let top: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
                    .bind(fts)
                    .bind(bound)
                    .bind(i64::try_from(walk.skip).unwrap_or(i64::MAX))
                    .fetch_optional(&mut **conn)
                    .await?;
                match top {
                    Some(top) => (top, 0),
                    // The index changed under us (a concurrent delete): empty, not wrong.
                    None => return Ok(empty(kind_counts)),
                }
            }
        };
        let rows = page_query(top, i64::try_from(skip).unwrap_or(i64::MAX))
            .fetch_all(&mut **conn)
            .await?;
        to_page(rows, kind_counts)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
        self.backfill_search().await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn maintain(&self, budget: std::time::Duration) -> StoreResult<u32> {
        let started = std::time::Instant::now();
        let segments: i64 =
            sqlx::query_scalar("SELECT COUNT(DISTINCT segid) FROM timeline_terms_idx")
                .fetch_one(&self.pool)
                .await?;
        if segments <= 1 {
            return Ok(0);
        }
        // A 'merge' step merges segments of the same level once a level holds
        // `usermerge` of them: at 2, until each level holds one. (A negative step would
        // merge across levels into one segment, but it starts over whenever a write
        // adds a segment, so under steady writes it would never finish.)
        sqlx::query("INSERT INTO timeline_terms(timeline_terms, rank) VALUES('usermerge', 2)")
            .execute(&self.writer)
            .await?;
        let mut steps = 0;
        while started.elapsed() < budget {
            // One short write per step, on the writer's connection only for the step;
            // FTS5 keeps the merge's progress between steps. Fewer than two changes
            // means nothing was left to merge.
            let step_started = std::time::Instant::now();
            let changed = {
                let mut conn = self.writer.acquire().await?;
                let before: i64 = sqlx::query_scalar("SELECT total_changes()")
                    .fetch_one(&mut *conn)
                    .await?;
                sqlx::query("INSERT INTO timeline_terms(timeline_terms, rank) VALUES('merge', ?)")
                    .bind(MERGE_STEP_PAGES)
                    .execute(&mut *conn)
                    .await?;
                let after: i64 = sqlx::query_scalar("SELECT total_changes()")
                    .fetch_one(&mut *conn)
                    .await?;
                after - before
            };
            if changed < 2 {
                break;
            }
            steps += 1;
            // As long again for everyone else: writers queued behind the step get in
            // before the next one, so a merge never stalls them for more than a step.
            tokio::time::sleep(step_started.elapsed()).await;
        }
        Ok(steps)
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let now = ms(crate::clock::now());
        let mut latest: HashMap<i64, i64> = HashMap::new();
        let mut ids = Vec::with_capacity(activities.len());
        let mut events = Vec::new();
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
                events.push(append_event(&mut tx, Some(a.team_id), event, now).await?);
            }
        }
        // One update per contact, not per activity.
        for (contact_id, at) in latest {
            sqlx::query(
                "UPDATE contacts SET last_activity_at = MAX(COALESCE(last_activity_at, 0), ?) WHERE id = ?",
            )
            .bind(at)
            .bind(contact_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
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
            super::kinds_filter(kinds, true)
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
        // Visibility and the counters per visible (team, kind) in one round trip: no row
        // means the contact is not visible (a visible contact without activities yields
        // one row with NULLs thanks to the LEFT JOIN).
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
            let heads = search::heads(contact_id, &pairs, viewer.can_email);
            let words = self.expand_words(&mut conn, &heads, &req.words).await?;
            let page = match search::match_query(&words) {
                Some(fts) => {
                    self.search_page(&mut conn, viewer, contact_id, req, &fts, kind_counts)
                        .await?
                }
                // Nothing visible of the chosen kinds: no match.
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
                // `+` keeps the planner on the timeline index (already in order, kind in
                // it) instead of merging several kind ranges and sorting them.
                let list: Vec<String> = ks.iter().map(|k| format!("'{}'", k.as_str())).collect();
                filter.push_str(&format!(" AND +a.kind IN ({})", list.join(",")));
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
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
        // The search entry goes with the row (trigger `activities_unindexed`).
        let (contact_id, team_id): (i64, i64) = (row.get(0), row.get(1));
        let event = ServerEvent::ActivityDeleted {
            contact_id,
            activity_id: id,
        };
        let stored = append_event(&mut tx, Some(team_id), event, ms(crate::clock::now())).await?;
        tx.commit().await?;
        Ok(Some(stored))
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
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    a: &NewActivity,
    now: i64,
) -> StoreResult<i64> {
    let email_id: Option<i64> = match &a.email {
        Some(e) => Some(
            sqlx::query_scalar(
                "INSERT INTO incoming_emails (team_id, message_id, subject, sender, snippet, body, created_at, attachments) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
    // The search key: the next free rank in the activity's millisecond (ids grow, so
    // ranks follow ids; writes are serialised, so two inserts never pick the same one).
    let base = search::key_base(ms(a.occurred_at));
    let row = sqlx::query(
        "INSERT INTO activities (team_id, contact_id, user_id, kind, model_id, email_id, detail, occurred_at, created_at, search_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                 (SELECT COALESCE(MAX(search_key) + 1, $10) FROM activities WHERE search_key BETWEEN $10 AND $11)) \
         RETURNING id, search_key",
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
    .bind(base)
    .bind(search::key_last(base))
    .fetch_one(&mut **tx)
    .await?;
    let (id, key): (i64, i64) = (row.get(0), row.get(1));
    index_activity(
        tx,
        key,
        &search::index_terms(a.contact_id, a.team_id, &a.detail, a.email.as_ref()),
    )
    .await?;
    Ok(id)
}

/// Store an activity's search terms under its key, inside the caller's transaction.
async fn index_activity(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    key: i64,
    terms: &str,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO timeline_terms (rowid, terms) VALUES (?, ?)")
        .bind(key)
        .bind(terms)
        .execute(&mut **tx)
        .await?;
    if !terms.is_empty() {
        let list: Vec<&str> = terms.split(' ').collect();
        let json = serde_json::to_string(&list).map_err(|e| StoreError::Other(e.to_string()))?;
        sqlx::query("INSERT OR IGNORE INTO timeline_vocab (term) SELECT value FROM json_each(?)")
            .bind(json)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Rewrite an activity's detail (and its search text), inside the caller's transaction.
pub(crate) async fn update_activity_detail(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: i64,
    contact_id: i64,
    detail: &ActivityDetail,
) -> StoreResult<()> {
    let json = serde_json::to_string(detail).map_err(|e| StoreError::Other(e.to_string()))?;
    let row = sqlx::query(
        "UPDATE activities SET detail = ? WHERE id = ? \
         RETURNING team_id, search_key, \
           (SELECT subject FROM incoming_emails WHERE id = email_id), \
           (SELECT sender FROM incoming_emails WHERE id = email_id), \
           (SELECT body FROM incoming_emails WHERE id = email_id)",
    )
    .bind(json)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let team_id: i64 = row.get(0);
    // The email content stays searchable: it is re-read, not lost with the old entry.
    let email = search::stored_email(row.get(2), row.get(3), row.get(4));
    let terms = search::index_terms(contact_id, team_id, detail, email.as_ref());
    if let Some(key) = row.get::<Option<i64>, _>(1) {
        sqlx::query("DELETE FROM timeline_terms WHERE rowid = ?")
            .bind(key)
            .execute(&mut **tx)
            .await?;
        index_activity(tx, key, &terms).await?;
    }
    Ok(())
}

// The seam the shared store modules (`store/shared/`) are written against; PostgreSQL's
// has the same names.

/// The store the shared modules implement their traits for.
pub(crate) type Backend = SqliteStore;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type Tx<'a> = sqlx::Transaction<'a, sqlx::Sqlite>;
/// Events a write transaction appends when it commits: (team, event), in order.
pub(crate) type Pending = Vec<(Option<i64>, ServerEvent)>;

/// Begin a write transaction: on the one writer connection, `IMMEDIATE` (see
/// [`SqliteStore::writer`]).
pub(crate) async fn begin_write(s: &SqliteStore) -> StoreResult<Tx<'static>> {
    Ok(s.writer.begin_with("BEGIN IMMEDIATE").await?)
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

impl SqliteStore {
    /// Where a write outside a transaction goes: the writer connection.
    pub(crate) fn write_pool(&self) -> &SqlitePool {
        &self.writer
    }
}

pub(crate) async fn append_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
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

fn activity_from_row(r: &sqlx::sqlite::SqliteRow, can_email: bool) -> StoreResult<Activity> {
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
impl SqliteStore {
    pub(crate) async fn newest_and_oldest_event(&self) -> StoreResult<(i64, i64)> {
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0), COALESCE(MIN(id), 0) FROM events")
            .fetch_one(&self.pool)
            .await?;
        // With an empty log, the next id continues the AUTOINCREMENT sequence.
        let (max, min): (i64, i64) = (r.get(0), r.get(1));
        if max == 0 {
            let seq: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM sqlite_sequence WHERE name = 'events'")
                    .fetch_optional(&self.pool)
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
        let Some(ticket) = sqlx::query(
            "DELETE FROM stream_tickets WHERE ticket_hash = $1 AND expires_at > $2 \
             RETURNING user_id, session_hash",
        )
        .bind(ticket_hash)
        .bind(ms(now))
        .fetch_optional(&self.writer)
        .await?
        else {
            return Ok(None);
        };
        let session_hash: String = ticket.get(1);
        let row = sqlx::query(
            "SELECT u.id, u.role, u.can_email, s.token_hash FROM users u \
             JOIN sessions s ON s.token_hash = $2 AND s.user_id = u.id AND s.expires_at > $3 \
             WHERE u.id = $1",
        )
        .bind(ticket.get::<i64, _>(0))
        .bind(&session_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
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
