//! SQLite's full-text search: an FTS5 index over each activity's terms (keyed by a
//! search key that orders like the timeline), a vocabulary that expands a typed prefix
//! into exact terms, the search page, and the index's upkeep (backfill after a
//! migration, segment merges). The part of the timeline that differs by backend.

use agentdesk_protocol::{KindCount, SEARCH_MATCH_LIMIT, TIMELINE_PAGE_SIZE};
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Sqlite};

use super::timeline::{ACTIVITY_SELECT, Ingested, activities, bind_filter};
use super::{GREATEST, SqliteStore, Tx, scoped};
use crate::store::search::Unindexed;
use crate::store::timeline::ActivityRow;
use crate::store::{
    NewActivity, StoreError, StoreResult, TimelinePage, TimelineRequest, Viewer, WalkFrom, ms,
    plan_walk, search,
};

/// Pages one maintenance step of the search index writes at most (about 512 KiB with
/// 4 KiB pages): a step is one write transaction, so this bounds how long it holds the
/// write lock.
const MERGE_STEP_PAGES: i64 = 128;

impl SqliteStore {
    /// Give a search key and index entry to every activity without one (those written
    /// before migration 0007), oldest id first, 2,000 per transaction; an interrupted run
    /// resumes where it stopped. Runs after migrations, before the server serves.
    pub(super) async fn backfill_search(&self) -> StoreResult<()> {
        self.refold_contacts().await?;
        loop {
            let mut tx = super::begin_write(self).await?;
            let rows: Vec<Unindexed> = sqlx::query_as(
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
                let base = search::key_base(r.occurred_at);
                let key: i64 = sqlx::query_scalar(
                    "UPDATE activities SET search_key = \
                       (SELECT COALESCE(MAX(search_key) + 1, $2) FROM activities \
                        WHERE search_key BETWEEN $2 AND $3) \
                     WHERE id = $1 RETURNING search_key",
                )
                .bind(r.id)
                .bind(base)
                .bind(search::key_last(base))
                .fetch_one(&mut *tx)
                .await?;
                index_activity(&mut tx, key, &r.terms()).await?;
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
        conn: &mut PoolConnection<Sqlite>,
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
    pub(crate) async fn search_page(
        &self,
        conn: &mut PoolConnection<Sqlite>,
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
                sqlx::query_as::<_, ActivityRow>(AssertSqlSafe(page_sql.clone())),
                viewer,
                contact_id,
                Some(fts)
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
        let to_page = |rows: Vec<ActivityRow>, kind_counts| -> StoreResult<TimelinePage> {
            Ok(TimelinePage {
                items: activities(rows, viewer.can_email)?,
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

    /// Merge the search index's segments, in short steps, for at most about `budget`
    /// (see [`Store::maintain`](crate::store::Store::maintain)).
    pub(super) async fn merge_search_index(&self, budget: std::time::Duration) -> StoreResult<u32> {
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
        super::write_one(
            self,
            sqlx::query("INSERT INTO timeline_terms(timeline_terms, rank) VALUES('usermerge', 2)"),
        )
        .await?;
        let mut steps = 0;
        while started.elapsed() < budget {
            // One short write per step, on the writer's connection only for the step;
            // FTS5 keeps the merge's progress between steps. Fewer than two changes
            // means nothing was left to merge.
            let step_started = std::time::Instant::now();
            let changed = {
                let mut conn = super::begin_write(self).await?;
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
                conn.commit().await?;
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

    /// The FTS5 query for a search's words under the visible (team, kind) heads: each
    /// word expanded through the vocabulary (see [`search::WordMatch`]). `None`: nothing
    /// can match.
    pub(crate) async fn search_query(
        &self,
        conn: &mut PoolConnection<Sqlite>,
        heads: &[String],
        words: &[String],
    ) -> StoreResult<Option<String>> {
        let words = self.expand_words(conn, heads, words).await?;
        Ok(search::match_query(&words))
    }
}

/// Insert an activity's row and its search entry (and, for an ingest, its interaction
/// and the contact's last-activity time), inside the caller's transaction.
pub(crate) async fn insert_activity_row(
    tx: &mut Tx<'_>,
    a: &NewActivity,
    email_id: Option<i64>,
    detail: &str,
    terms: &str,
    now: i64,
    ingested: Option<&Ingested<'_>>,
) -> StoreResult<i64> {
    // The search key: the next free rank in the activity's millisecond (ids grow, so
    // ranks follow ids; writes are serialised, so two inserts never pick the same one).
    let base = search::key_base(ms(a.occurred_at));
    let (id, key): (i64, i64) = sqlx::query_as(
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
    index_activity(tx, key, terms).await?;
    if let Some(i) = ingested {
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE contacts SET last_activity_at = {GREATEST}(COALESCE(last_activity_at, 0), $1) \
             WHERE id = $2"
        )))
        .bind(ms(a.occurred_at))
        .bind(a.contact_id)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO interactions (source, source_key, team_id, contact_id, activity_id, \
             conversation_id, attributes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(i.source)
        .bind(i.source_key)
        .bind(a.team_id)
        .bind(a.contact_id)
        .bind(id)
        .bind(i.conversation_id)
        .bind(&i.attributes)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if i.attributes != "{}" {
            super::interaction_attributes::index(tx, id).await?;
        }
    }
    Ok(id)
}

/// Store an activity's search terms under its key, inside the caller's transaction.
async fn index_activity(tx: &mut Tx<'_>, key: i64, terms: &str) -> StoreResult<()> {
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

/// Replace activity `id`'s search terms, inside the caller's transaction.
pub(crate) async fn reindex_activity(
    tx: &mut Tx<'_>,
    id: i64,
    _contact_id: i64,
    _occurred_at: i64,
    terms: &str,
) -> StoreResult<()> {
    let key: Option<i64> = sqlx::query_scalar("SELECT search_key FROM activities WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .flatten();
    if let Some(key) = key {
        sqlx::query("DELETE FROM timeline_terms WHERE rowid = ?")
            .bind(key)
            .execute(&mut **tx)
            .await?;
        index_activity(tx, key, terms).await?;
    }
    Ok(())
}
