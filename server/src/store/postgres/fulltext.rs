//! PostgreSQL's full-text search: a `tsvector` of each activity's terms in
//! `activity_search` (with the activity's timeline key), matched by a GIN index with
//! `term:*` prefix queries; the search page; and the backfill after a migration. The
//! part of the timeline that differs by backend.

use agentdesk_protocol::{KindCount, SEARCH_MATCH_LIMIT, TIMELINE_PAGE_SIZE};
use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Postgres};

use super::timeline::{ACTIVITY_SELECT, Ingested, activities, bind_filter};
use super::{PostgresStore, Tx, scoped};
use crate::store::search::Unindexed;
use crate::store::timeline::ActivityRow;
use crate::store::{
    NewActivity, StoreResult, TimelinePage, TimelineRequest, Viewer, WalkFrom, ms, plan_walk,
    search,
};

impl PostgresStore {
    /// Give every search entry without terms (those written before migration 0007) its
    /// terms, 2,000 per transaction, oldest id first; resumes where an interrupted run
    /// stopped. Runs after migrations, before the server serves.
    pub(super) async fn backfill_search(&self) -> StoreResult<()> {
        self.refold_contacts().await?;
        loop {
            let mut tx = self.pool.begin().await?;
            let rows: Vec<Unindexed> = sqlx::query_as(
                "SELECT a.id, a.contact_id, a.team_id, a.detail, a.occurred_at, \
                        e.subject, e.sender, e.body \
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
                ids.push(r.id);
                terms.push(r.terms());
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

    /// A search page. The tsquery (`tsq`, see [`search::match_query`]) already holds the
    /// contact, the visible teams and the chosen kinds, so the GIN index yields exactly
    /// the matches; they are counted and their keys `(occurred_at, id)` — stored in the
    /// search entry — walked with the same plan as without search.
    pub(crate) async fn search_page(
        &self,
        conn: &mut PoolConnection<Postgres>,
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
            let rows: Vec<ActivityRow> = bind_filter!(
                sqlx::query_as(AssertSqlSafe(sql)),
                viewer,
                contact_id,
                Some(ids)
            )
            .fetch_all(&mut **conn)
            .await?;
            activities(rows, viewer.can_email)?
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

    /// The tsquery for a search's words under the visible (team, kind) heads: every
    /// word a prefix query on every head (GIN matches prefixes itself). `None`: nothing
    /// can match.
    pub(crate) async fn search_query(
        &self,
        _conn: &mut PoolConnection<Postgres>,
        heads: &[String],
        words: &[String],
    ) -> StoreResult<Option<String>> {
        let words: Vec<search::WordMatch> = words
            .iter()
            .map(|w| search::WordMatch::Prefix {
                heads: heads.to_vec(),
                word: search::term_word(w),
            })
            .collect();
        Ok(search::tsquery(&words))
    }
}

/// Insert an activity's row and its search entry — and, for an ingest, its interaction
/// and the contact's last-activity time — in one statement: one round trip for what an
/// ingest writes, not three.
pub(crate) async fn insert_activity_row(
    tx: &mut Tx<'_>,
    a: &NewActivity,
    email_id: Option<i64>,
    detail: &str,
    terms: &str,
    now: i64,
    ingested: Option<&Ingested<'_>>,
) -> StoreResult<i64> {
    // The interaction and the contact's time only when `$11` (the source) is not NULL.
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
    .bind(terms)
    .bind(ingested.map(|i| i.source))
    .bind(ingested.map(|i| i.source_key))
    .bind(ingested.and_then(|i| i.conversation_id))
    .bind(ingested.map(|i| i.attributes.as_str()))
    .fetch_one(&mut **tx)
    .await?;
    if ingested.is_some_and(|i| i.attributes != "{}") {
        super::interaction_attributes::index(tx, id).await?;
    }
    Ok(id)
}

/// Replace activity `id`'s search terms, inside the caller's transaction.
pub(crate) async fn reindex_activity(
    tx: &mut Tx<'_>,
    id: i64,
    contact_id: i64,
    occurred_at: i64,
    terms: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO activity_search (activity_id, contact_id, occurred_at, terms) \
         VALUES ($1, $2, $3, to_tsvector('simple', $4)) \
         ON CONFLICT (activity_id) DO UPDATE SET terms = EXCLUDED.terms",
    )
    .bind(id)
    .bind(contact_id)
    .bind(occurred_at)
    .bind(terms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
