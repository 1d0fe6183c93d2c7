//! The one implementation of [`TimelineStore`], compiled into each backend (its module
//! there is this file). What differs by backend is the search index: how an activity's
//! terms are stored ([`insert_activity_row`], [`reindex_activity`]) and how a search page
//! is read ([`Backend::search_query`], [`Backend::search_page`]), each in the backend's `search.rs`; and the
//! seam's dialect constants ([`GREATEST`], [`UNARY_PLUS`], [`FOR_UPDATE`]).

use std::collections::BTreeMap;

use agentdesk_protocol::{Activity, ActivityDetail, ActivityKind, ServerEvent, TIMELINE_PAGE_SIZE};
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};

use super::{
    Backend, Db, FOR_UPDATE, GREATEST, Pending, Tx, UNARY_PLUS, analytics, begin_bulk, begin_write,
    commit_events, insert_activity_row, ms, reindex_activity, scoped, strip_email_content,
};
use crate::store::timeline::{
    ActivityRow, TimelinePage, TimelineRequest, TimelineStore, tally_counts,
};
use crate::store::{
    NewActivity, StoreError, StoreResult, StoredEvent, Viewer, WalkFrom, corrupt, kinds_filter,
    plan_walk, search,
};

/// Every timeline read's columns, named as [`ActivityRow`] reads them. Email content is
/// withheld in the query itself (`$4` = may read email), so it never leaves the
/// database for a user without the permission.
pub(crate) const ACTIVITY_SELECT: &str = "SELECT a.id, a.contact_id, a.team_id, a.kind, a.model_id, \
    a.detail, a.occurred_at, a.user_id, u.display_name, \
    CASE WHEN $4 THEN e.subject END AS subject, CASE WHEN $4 THEN e.sender END AS sender, \
    CASE WHEN $4 THEN e.snippet END AS snippet, CASE WHEN $4 THEN e.attachments END AS attachments \
    FROM activities a LEFT JOIN users u ON u.id = a.user_id \
    LEFT JOIN incoming_emails e ON e.id = a.email_id";

/// Binds $1..$5 of a timeline filter: scope, contact, email permission, and the search
/// (NULL without one, so that the positions of later parameters never move).
macro_rules! bind_filter {
    ($q:expr, $viewer:expr, $contact_id:expr, $fts:expr) => {
        $q.bind($viewer.all_teams())
            .bind($viewer.user_id)
            .bind($contact_id)
            .bind($viewer.can_email)
            .bind($fts)
    };
}
pub(crate) use bind_filter;

/// The activities of rows selected with [`ACTIVITY_SELECT`].
pub(crate) fn activities(rows: Vec<ActivityRow>, can_email: bool) -> StoreResult<Vec<Activity>> {
    rows.into_iter()
        .map(|r| r.into_activity(can_email))
        .collect()
}

/// An ingested interaction, recorded by the statement that inserts its activity
/// ([`insert_activity_with`]) where the backend can.
pub(crate) struct Ingested<'a> {
    pub source: &'a str,
    pub source_key: &'a str,
    pub conversation_id: Option<&'a str>,
    /// The conversation's attributes, as JSON.
    pub attributes: String,
}

/// Move a contact's last-activity time up to `at` (never back).
pub(crate) async fn touch_contact(tx: &mut Tx<'_>, contact_id: i64, at: i64) -> StoreResult<()> {
    let sql = format!(
        "UPDATE contacts SET last_activity_at = {GREATEST}(COALESCE(last_activity_at, 0), $1) \
         WHERE id = $2"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(at)
        .bind(contact_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Insert one activity with its email content and search entry (the counters follow by
/// trigger), inside the caller's transaction.
pub(crate) async fn insert_activity(
    tx: &mut Tx<'_>,
    a: &NewActivity,
    now: i64,
) -> StoreResult<i64> {
    insert_activity_with(tx, a, now, None).await
}

/// [`insert_activity`]; with `ingested`, also records the interaction and moves the
/// contact's last-activity time up.
pub(crate) async fn insert_activity_with(
    tx: &mut Tx<'_>,
    a: &NewActivity,
    now: i64,
    ingested: Option<&Ingested<'_>>,
) -> StoreResult<i64> {
    let email_id: Option<i64> = match &a.email {
        Some(e) => Some(
            sqlx::query_scalar(
                "INSERT INTO incoming_emails (team_id, message_id, subject, sender, snippet, body, \
                 created_at, attachments) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
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
                Some(
                    serde_json::to_string(&e.attachments)
                        .map_err(|e| StoreError::Other(e.to_string()))?,
                )
            })
            .fetch_one(&mut **tx)
            .await?,
        ),
        None => None,
    };
    let detail = serde_json::to_string(&strip_email_content(&a.detail))
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let terms = search::index_terms(a.contact_id, a.team_id, &a.detail, a.email.as_ref());
    let id = insert_activity_row(tx, a, email_id, &detail, &terms, now, ingested).await?;
    // Attributes an interaction brought were indexed with it; else a call's campaign is.
    if ingested.is_none_or(|i| i.attributes == "{}") {
        super::interaction_attributes::index_new(tx, id, &a.detail).await?;
    }
    let at = ms(a.occurred_at);
    analytics::added(tx, id, (a.team_id, a.contact_id), &a.detail, at).await?;
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
        "UPDATE activities SET detail = $1 WHERE id = $2 \
         RETURNING team_id, occurred_at, \
           (SELECT subject FROM incoming_emails WHERE id = email_id), \
           (SELECT sender FROM incoming_emails WHERE id = email_id), \
           (SELECT body FROM incoming_emails WHERE id = email_id)",
    )
    .bind(json)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    // The email content stays searchable: it is re-read, not lost with the old entry.
    let email = search::stored_email(row.try_get(2)?, row.try_get(3)?, row.try_get(4)?);
    let (team_id, at): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let terms = search::index_terms(contact_id, team_id, detail, email.as_ref());
    reindex_activity(tx, id, contact_id, at, &terms).await?;
    if matches!(detail, ActivityDetail::Call { .. }) {
        // Its campaign is an attribute (`interaction_attributes::conversation`).
        super::interaction_attributes::index(tx, id).await?;
    }
    analytics::changed(tx, id, (team_id, contact_id), detail, at).await
}

/// An empty page of `total` (none to show, or the rows changed under the walk).
fn empty_page(
    total: u64,
    page: u32,
    pages: u32,
    kind_counts: Vec<agentdesk_protocol::KindCount>,
) -> TimelinePage {
    TimelinePage {
        items: vec![],
        total,
        capped: false,
        page,
        pages,
        kind_counts,
    }
}

#[async_trait]
impl TimelineStore for Backend {
    async fn insert_activities(
        &self,
        activities: &[NewActivity],
        publish: bool,
    ) -> StoreResult<(Vec<i64>, Vec<StoredEvent>)> {
        // Without events to append, a bulk load needs no place among the event writers.
        let mut tx = if publish {
            begin_write(self).await?
        } else {
            begin_bulk(self).await?
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
            touch_contact(&mut tx, contact_id, at).await?;
        }
        let events = commit_events(tx, pending, now).await?;
        Ok((ids, events))
    }

    async fn timeline_newer_than(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        kinds: &[ActivityKind],
        from_ms: i64,
    ) -> StoreResult<Option<u64>> {
        use crate::store::contacts::ContactStore;
        if self.contact(viewer, contact_id).await?.is_none() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM activities a WHERE a.contact_id = $3 AND {}{} AND a.occurred_at >= $4",
            scoped("a.team_id"),
            kinds_filter(kinds, UNARY_PLUS)
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
        let rows: Vec<(Option<i64>, Option<String>, Option<i64>)> =
            sqlx::query_as(AssertSqlSafe(counts_sql))
                .bind(viewer.all_teams())
                .bind(viewer.user_id)
                .bind(contact_id)
                .fetch_all(&mut *conn)
                .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        // A visible contact without activities yields one row of NULLs: no pair.
        let (kind_counts, pairs) = tally_counts(
            rows.iter()
                .filter_map(|(team, kind, n)| Some(((*team)?, kind.as_deref()?, n.unwrap_or(0)))),
            &req.kinds,
        )?;

        if !req.words.is_empty() {
            let heads = search::heads(contact_id, &pairs, viewer.can_email);
            let page = match self.search_query(&mut conn, &heads, &req.words).await? {
                Some(query) => {
                    self.search_page(&mut conn, viewer, contact_id, req, &query, kind_counts)
                        .await?
                }
                // Nothing visible of the chosen kinds: no match.
                None => TimelinePage::no_match(kind_counts),
            };
            return Ok(Some(page));
        }

        // The filter every step shares.
        let filter = format!(
            "a.contact_id = $3 AND {}{}",
            scoped("a.team_id"),
            kinds_filter(&req.kinds, UNARY_PLUS)
        );
        // No search on this path: $5 is bound NULL so that later parameters keep their place.
        let fts: Option<String> = None;
        let total: u64 = kind_counts
            .iter()
            .filter(|k| req.kinds.is_empty() || req.kinds.contains(&k.kind))
            .map(|k| k.count)
            .sum();
        let size = u64::from(TIMELINE_PAGE_SIZE);
        let pages = u32::try_from(total.div_ceil(size).max(1)).unwrap_or(u32::MAX);
        let page = req.page.clamp(1, pages);
        if total == 0 {
            return Ok(Some(empty_page(total, page, pages, kind_counts)));
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
        let key: Option<(i64, i64)> = bind_filter!(
            sqlx::query_as(AssertSqlSafe(key_sql)),
            viewer,
            contact_id,
            fts.clone()
        )
        .bind(k1)
        .bind(k2)
        .bind(i64::try_from(walk.skip).unwrap_or(i64::MAX))
        .fetch_optional(&mut *conn)
        .await?;
        let Some((k1, k2)) = key else {
            // The counters and the rows disagree (a concurrent delete): answer empty
            // rather than a wrong page.
            return Ok(Some(empty_page(total, page, pages, kind_counts)));
        };

        // Step 2: the page itself, from that key.
        let sql = format!(
            "{ACTIVITY_SELECT} WHERE {filter} AND (a.occurred_at, a.id) <= ($6, $7) \
             ORDER BY a.occurred_at DESC, a.id DESC LIMIT {TIMELINE_PAGE_SIZE}"
        );
        let rows: Vec<ActivityRow> =
            bind_filter!(sqlx::query_as(AssertSqlSafe(sql)), viewer, contact_id, fts)
                .bind(k1)
                .bind(k2)
                .fetch_all(&mut *conn)
                .await?;
        Ok(Some(TimelinePage {
            items: activities(rows, viewer.can_email)?,
            total,
            capped: false,
            page,
            pages,
            kind_counts,
        }))
    }

    async fn delete_activity(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<StoredEvent>> {
        let mut tx = begin_write(self).await?;
        // A call's row before its activity, as a call's end or disposition takes them
        // (deleting the activity clears the call's reference to it), and an outbound
        // e-mail's row likewise (the sender and the composer lock it before the
        // activity): in the other order they would wait for each other (PostgreSQL;
        // SQLite has one writer).
        for table in ["calls", "outbound_emails"] {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT 1 FROM {table} WHERE activity_id = $1{FOR_UPDATE}"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let sql = format!(
            "DELETE FROM activities AS a WHERE a.id = $3 AND {} RETURNING contact_id, team_id",
            scoped("a.team_id")
        );
        let Some((contact_id, team_id)) = sqlx::query_as::<Db, (i64, i64)>(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        analytics::removed(&mut tx, id).await?;
        // Its search entry goes with it (a trigger or a cascade), its counter by trigger.
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
            "SELECT c.attributes FROM activities a JOIN contacts c ON c.id = a.contact_id \
             WHERE a.id = $3 AND {}",
            scoped("a.team_id")
        );
        let Some((customer,)): Option<(Option<String>,)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(activity_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok((None, None));
        };
        // The activity's attributes merged over every interaction behind it (a
        // conversation's segments, attributes sent later: `interaction_attributes::index`).
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, value FROM conversation_attributes WHERE activity_id = $1",
        )
        .bind(activity_id)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok((None, customer));
        }
        let merged: BTreeMap<String, String> = rows.into_iter().collect();
        let conversation =
            serde_json::to_string(&merged).map_err(|e| corrupt("interaction attributes", e))?;
        Ok((Some(conversation), customer))
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
        let row: Option<ActivityRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(id)
            .bind(viewer.can_email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.into_activity(viewer.can_email)).transpose()
    }
}
