//! The one implementation of [`IngestStore`], compiled into each backend (its module
//! there is this file). What differs by backend: how the checks before a write are read
//! ([`probe`]: several lookups on SQLite, one statement on PostgreSQL), how an address
//! is compared without case ([`same_email`]) and the seam's locks and dialect.

use std::collections::BTreeMap;

use agentdesk_protocol::{ActivityDetail, IngestResult, ServerEvent};
use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::rollups::{fold_rows, params};
use super::timeline::{Ingested, insert_activity_with, update_activity_detail};
use super::{
    Backend, FOR_UPDATE, NUMBERED_PARAMS, Pending, Tx, begin_bulk, begin_write, commit_events,
    from_ms, lock_keys, ms, probe, same_email,
};
use crate::store::ingest::{
    ContactSeed, IngestStore, KnownKeys, LinkKey, Merge, NewInteraction, QUEUE_LOG_ROWS_PER_INSERT,
    QueueLogRow, Taken, contact_lock_key, interaction_lock_key, learn, merge_segment,
    queue_log_insert_sql,
};
use crate::store::reports::LoggedRow;
use crate::store::{StoreError, StoreResult, StoredEvent, corrupt};
use crate::text::contact_key;

/// The keys [`ingest_one`] checks `i` by: its own, its conversation's, and each key that
/// may find (or, missing, create) its contact.
fn ingest_keys(i: &NewInteraction) -> Vec<String> {
    let mut keys = vec![interaction_lock_key(i.source, &i.source_key)];
    if let Some(conv) = &i.conversation_id {
        keys.push(format!("conversation {} {conv}", i.team_id));
    }
    // The new contact's own keys too: another item may look it up by one of them.
    let seed = [
        i.seed.external_id.clone().map(LinkKey::ExternalId),
        i.seed.phone.clone().map(LinkKey::Phone),
        i.seed.email.clone().map(LinkKey::Email),
    ];
    keys.extend(
        i.link
            .iter()
            .chain(seed.iter().flatten())
            .map(|k| contact_lock_key(i.team_id, k)),
    );
    keys
}

pub(crate) async fn create_contact(
    tx: &mut Tx<'_>,
    team_id: i64,
    s: &ContactSeed,
    now: i64,
) -> StoreResult<i64> {
    let key = contact_key(&s.name, s.email.as_deref());
    Ok(sqlx::query_scalar(
        "INSERT INTO contacts (team_id, name, search_key, phone, email, external_id, attributes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, '{}', $7) RETURNING id",
    )
    .bind(team_id)
    .bind(&s.name)
    .bind(key)
    .bind(&s.phone)
    .bind(&s.email)
    .bind(&s.external_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// A linked contact's name and keys, and which of the seed's keys another contact of
/// the team already has.
#[derive(sqlx::FromRow)]
struct LinkedRow {
    name: String,
    external_id: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    external_id_taken: Option<bool>,
    phone_taken: Option<bool>,
    email_taken: Option<bool>,
}

/// Teach the linked contact the keys it lacked (the one rule: [`learn`]); the conflict,
/// when the interaction's external id contradicts the contact's.
async fn learn_keys(
    tx: &mut Tx<'_>,
    team_id: i64,
    contact_id: i64,
    seed: &ContactSeed,
) -> StoreResult<Option<String>> {
    let sql = format!(
        "SELECT c.name, c.external_id, c.phone, c.email, \
           EXISTS (SELECT 1 FROM contacts o WHERE o.team_id = $2 AND o.id <> $1 AND o.external_id = $3) \
             AS external_id_taken, \
           EXISTS (SELECT 1 FROM contacts o WHERE o.team_id = $2 AND o.id <> $1 AND o.phone = $4) \
             AS phone_taken, \
           EXISTS (SELECT 1 FROM contacts o WHERE o.team_id = $2 AND o.id <> $1 AND {}) \
             AS email_taken \
         FROM contacts c WHERE c.id = $1",
        same_email("o.email", "$5")
    );
    let r: LinkedRow = sqlx::query_as(AssertSqlSafe(sql))
        .bind(contact_id)
        .bind(team_id)
        .bind(&seed.external_id)
        .bind(&seed.phone)
        .bind(&seed.email)
        .fetch_one(&mut **tx)
        .await?;
    let known = KnownKeys {
        external_id: r.external_id,
        phone: r.phone,
        email: r.email,
    };
    let taken = Taken {
        external_id: r.external_id_taken.unwrap_or(false),
        phone: r.phone_taken.unwrap_or(false),
        email: r.email_taken.unwrap_or(false),
    };
    let learned = learn(contact_id, &known, seed, taken);
    if learned.anything() {
        let email = known.email.clone().or(learned.email.clone());
        sqlx::query(
            "UPDATE contacts SET external_id = COALESCE(external_id, $1), \
             phone = COALESCE(phone, $2), email = COALESCE(email, $3), search_key = $4 WHERE id = $5",
        )
        .bind(&learned.external_id)
        .bind(&learned.phone)
        .bind(&learned.email)
        .bind(contact_key(&r.name, email.as_deref()))
        .bind(contact_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(learned.conflict)
}

/// Merge customer attributes into the contact's (newer values win).
async fn merge_contact_attributes(
    tx: &mut Tx<'_>,
    contact_id: i64,
    attrs: &BTreeMap<String, String>,
) -> StoreResult<()> {
    if attrs.is_empty() {
        return Ok(());
    }
    // Locked: another ingest may reach the same contact through another key.
    let raw: String = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT attributes FROM contacts WHERE id = $1{FOR_UPDATE}"
    )))
    .bind(contact_id)
    .fetch_one(&mut **tx)
    .await?;
    let mut current: BTreeMap<String, String> = serde_json::from_str(&raw).unwrap_or_default();
    current.extend(attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
    let json = serde_json::to_string(&current).map_err(|e| StoreError::Other(e.to_string()))?;
    sqlx::query("UPDATE contacts SET attributes = $1 WHERE id = $2")
        .bind(json)
        .bind(contact_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The activity, contact and team of an interaction; for calls also the desktop's own
/// call rows (made through the bridge, not ingested). Keys are unique per team: `team`
/// names the team whose key it is; `None` (a uContact webhook, which knows no team)
/// takes the newest of any team.
pub(crate) async fn find_interaction(
    tx: &mut Tx<'_>,
    team: Option<i64>,
    source: &str,
    key: &str,
) -> StoreResult<Option<(Option<i64>, i64, i64)>> {
    // Two statements, not one with `team IS NULL OR …`: each must use its own index (the
    // per-team unique key, or the key alone), or every ingest would scan the ledger.
    let sql = if team.is_some() {
        "SELECT activity_id, contact_id, team_id FROM interactions \
         WHERE team_id = $3 AND source = $1 AND source_key = $2"
    } else {
        "SELECT activity_id, contact_id, team_id FROM interactions \
         WHERE source = $1 AND source_key = $2 ORDER BY id DESC LIMIT 1"
    };
    let mut q = sqlx::query_as(sql).bind(source).bind(key);
    if let Some(t) = team {
        q = q.bind(t);
    }
    if let Some(found) = q.fetch_optional(&mut **tx).await? {
        return Ok(Some(found));
    }
    if source == "call" {
        let sql = if team.is_some() {
            "SELECT activity_id, contact_id, team_id FROM calls WHERE team_id = $2 AND guid = $1"
        } else {
            "SELECT activity_id, contact_id, team_id FROM calls WHERE guid = $1 ORDER BY id DESC LIMIT 1"
        };
        let mut q = sqlx::query_as(sql).bind(key);
        if let Some(t) = team {
            q = q.bind(t);
        }
        return Ok(q.fetch_optional(&mut **tx).await?);
    }
    Ok(None)
}

/// The detail of an activity about to be changed, and when it happened; its row locked
/// until the transaction ends (a call's end, a later part and a conversation's next
/// segment may all change one activity, through different keys). `None`: deleted since
/// it was found.
async fn activity_detail(tx: &mut Tx<'_>, id: i64) -> StoreResult<Option<(ActivityDetail, i64)>> {
    let Some((detail, occurred_at)) = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(format!(
        "SELECT detail, occurred_at FROM activities WHERE id = $1{FOR_UPDATE}"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    let detail: ActivityDetail =
        serde_json::from_str(&detail).map_err(|e| corrupt("activity detail", e))?;
    Ok(Some((detail, occurred_at)))
}

/// The conversation's attributes of `i`, as stored (JSON).
fn conversation_attributes(i: &NewInteraction) -> StoreResult<String> {
    serde_json::to_string(&i.conversation_attributes).map_err(|e| StoreError::Other(e.to_string()))
}

async fn record(
    tx: &mut Tx<'_>,
    i: &NewInteraction,
    contact_id: i64,
    activity_id: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO interactions (source, source_key, team_id, contact_id, activity_id, conversation_id, attributes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(i.source)
    .bind(&i.source_key)
    .bind(i.team_id)
    .bind(contact_id)
    .bind(activity_id)
    .bind(&i.conversation_id)
    .bind(conversation_attributes(i)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if let Some(activity) = activity_id.filter(|_| !i.conversation_attributes.is_empty()) {
        super::interaction_attributes::index(tx, activity).await?;
    }
    Ok(())
}

/// Whether team `team_id` has recorded input `key` of `source` (a part of a message,
/// a delivery report) already.
pub(crate) async fn key_seen(
    tx: &mut Tx<'_>,
    team_id: i64,
    source: &str,
    key: &str,
) -> StoreResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM interactions \
         WHERE team_id = $1 AND source = $2 AND source_key = $3)",
    )
    .bind(team_id)
    .bind(source)
    .bind(key)
    .fetch_one(&mut **tx)
    .await?)
}

/// Record input `(team, source, key)` as handled, as part of an existing activity.
pub(crate) async fn record_key(
    tx: &mut Tx<'_>,
    (team_id, source, key): (i64, &str, &str),
    contact_id: i64,
    activity_id: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO interactions (source, source_key, team_id, contact_id, activity_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(source)
    .bind(key)
    .bind(team_id)
    .bind(contact_id)
    .bind(activity_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A result that is no new activity's: a duplicate, a segment joined, a part merged.
fn known(activity_id: i64, contact_id: i64, duplicate: bool, grouped: bool) -> IngestResult {
    IngestResult {
        activity_id,
        contact_id,
        duplicate,
        contact_created: false,
        grouped,
        link_conflict: None,
        attributes_dropped: None,
    }
}

async fn ingest_one(
    tx: &mut Tx<'_>,
    i: &NewInteraction,
    publish: bool,
    now: i64,
    events: &mut Pending,
) -> StoreResult<IngestResult> {
    let found = probe(tx, i).await?;
    if let Some((activity, contact_id)) = found.seen {
        return Ok(known(activity.unwrap_or(0), contact_id, true, false));
    }
    // A later segment of a known conversation joins its activity.
    if let Some((activity_id, contact_id)) = found.conversation
        // Calls and chats merge (a transfer is one conversation); other kinds keep their
        // own entries. (A conversation whose activity was deleted starts anew.)
        && let Some((first, _)) = activity_detail(tx, activity_id).await?
        && let Some(merged) = merge_segment(&first, &i.activity.detail)
    {
        update_activity_detail(tx, activity_id, contact_id, &merged).await?;
        if publish {
            events.push((
                Some(i.team_id),
                ServerEvent::ActivityUpdated {
                    contact_id,
                    activity_id,
                },
            ));
        }
        record(tx, i, contact_id, Some(activity_id), now).await?;
        return Ok(known(activity_id, contact_id, false, true));
    }
    let (contact_id, created) = match found.contact {
        Some(id) => (id, false),
        None => (create_contact(tx, i.team_id, &i.seed, now).await?, true),
    };
    let link_conflict = if created {
        None
    } else {
        learn_keys(tx, i.team_id, contact_id, &i.seed).await?
    };
    merge_contact_attributes(tx, contact_id, &i.customer_attributes).await?;
    let mut activity = i.activity.clone();
    activity.team_id = i.team_id;
    activity.contact_id = contact_id;
    let ingested = Ingested {
        source: i.source,
        source_key: &i.source_key,
        conversation_id: i.conversation_id.as_deref(),
        attributes: conversation_attributes(i)?,
    };
    let activity_id = insert_activity_with(tx, &activity, now, Some(&ingested)).await?;
    if publish {
        events.push((
            Some(i.team_id),
            ServerEvent::ActivityCreated {
                contact_id,
                activity_id,
                kind: activity.kind(),
            },
        ));
    }
    Ok(IngestResult {
        activity_id,
        contact_id,
        duplicate: false,
        contact_created: created,
        grouped: false,
        link_conflict,
        attributes_dropped: None,
    })
}

#[async_trait]
impl IngestStore for Backend {
    async fn ingest(
        &self,
        items: &[NewInteraction],
        publish: bool,
    ) -> StoreResult<(Vec<IngestResult>, Vec<StoredEvent>)> {
        // Every key an item is checked by, locked before the checks: two deliveries of
        // the same input, two segments of one conversation or two messages from one new
        // number run one after the other, while (on PostgreSQL) ingests about different
        // things run side by side.
        let mut tx = begin_write(self).await?;
        lock_keys(&mut tx, items.iter().flat_map(ingest_keys)).await?;
        let now = ms(crate::clock::now());
        let mut pending = Pending::new();
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(ingest_one(&mut tx, i, publish, now, &mut pending).await?);
        }
        let events = commit_events(tx, pending, now).await?;
        Ok((out, events))
    }

    async fn add_interaction_attributes(
        &self,
        team_id: i64,
        source: &str,
        key: &str,
        attributes: &BTreeMap<String, String>,
    ) -> StoreResult<Option<(bool, Vec<StoredEvent>)>> {
        super::interaction_attributes::add(self, team_id, source, key, attributes).await
    }

    async fn ingest_part(
        &self,
        team_id: Option<i64>,
        source: &'static str,
        key: &str,
        parent_source: &'static str,
        parent_key: &str,
        merge: Merge<'_>,
    ) -> StoreResult<Option<(IngestResult, Vec<StoredEvent>)>> {
        let mut tx = begin_write(self).await?;
        lock_keys(
            &mut tx,
            [
                interaction_lock_key(source, key),
                interaction_lock_key(parent_source, parent_key),
            ],
        )
        .await?;
        let now = ms(crate::clock::now());
        let Some((Some(activity_id), contact_id, parent_team)) =
            find_interaction(&mut tx, team_id, parent_source, parent_key).await?
        else {
            return Ok(None);
        };
        // Locked before anything refers to it: deleted meanwhile, it is no parent.
        let Some((detail, started)) = activity_detail(&mut tx, activity_id).await? else {
            return Ok(None);
        };
        if key_seen(&mut tx, parent_team, source, key).await? {
            return Ok(Some((
                known(activity_id, contact_id, true, false),
                Vec::new(),
            )));
        }
        record_key(
            &mut tx,
            (parent_team, source, key),
            contact_id,
            activity_id,
            now,
        )
        .await?;
        let mut pending = Pending::new();
        if let Some(next) = merge(&detail, from_ms(started))
            && next != detail
        {
            update_activity_detail(&mut tx, activity_id, contact_id, &next).await?;
            pending.push((
                Some(parent_team),
                ServerEvent::ActivityUpdated {
                    contact_id,
                    activity_id,
                },
            ));
        }
        let events = commit_events(tx, pending, now).await?;
        Ok(Some((known(activity_id, contact_id, false, false), events)))
    }

    async fn import_queue_log(&self, rows: &[QueueLogRow]) -> StoreResult<(u64, u64)> {
        let mut tx = begin_bulk(self).await?;
        // Which rows are new is read before they are written (asking the INSERT to
        // return them costs a message per row between SQLite's thread and ours); a
        // concurrent import of the team's rows (PostgreSQL) waits for this one.
        let mut teams: Vec<i64> = rows.iter().map(|r| r.team_id).collect();
        teams.sort_unstable();
        teams.dedup();
        lock_keys(
            &mut tx,
            teams.iter().map(|t| format!("queue_log import {t}")),
        )
        .await?;
        let mut stored = 0;
        let mut inserted = Vec::with_capacity(rows.len());
        let mut seen = std::collections::HashSet::new();
        for chunk in rows.chunks(QUEUE_LOG_ROWS_PER_INSERT) {
            let known = known_queue_log_keys(&mut tx, chunk).await?;
            let sql = queue_log_insert_sql(chunk.len(), NUMBERED_PARAMS);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(&r.origid)
                    .bind(ms(r.datetime))
                    .bind(&r.callid)
                    .bind(&r.queuename)
                    .bind(&r.agent)
                    .bind(&r.event)
                    .bind(&r.data[0])
                    .bind(&r.data[1])
                    .bind(&r.data[2])
                    .bind(&r.data[3])
                    .bind(&r.data[4])
                    .bind(&r.row_key)
                    .bind(r.team_id);
            }
            let affected = q.execute(&mut *tx).await?.rows_affected();
            stored += affected;
            // New: not stored before, and the first of its key in this import.
            let before = inserted.len();
            for r in chunk {
                let key = (r.team_id, ms(r.datetime), r.row_key.as_str());
                if !known.contains(&(key.0, key.1, key.2.to_owned())) && seen.insert(key) {
                    inserted.push(LoggedRow::new_import(r));
                }
            }
            if (inserted.len() - before) as u64 != affected {
                return Err(StoreError::Other(format!(
                    "queue_log import: {affected} rows written, {} expected",
                    inserted.len() - before
                )));
            }
        }
        // One fold for the whole batch: its rows share quarter hours and calls.
        fold_rows(&mut tx, &inserted).await?;
        tx.commit().await?;
        Ok((stored, rows.len() as u64 - stored))
    }
}

/// The (team, time, row key) of `chunk`'s rows already stored: one indexed read of the
/// chunk's time window per team.
async fn known_queue_log_keys(
    tx: &mut Tx<'_>,
    chunk: &[QueueLogRow],
) -> StoreResult<std::collections::HashSet<(i64, i64, String)>> {
    let mut out = std::collections::HashSet::new();
    let mut teams: Vec<i64> = chunk.iter().map(|r| r.team_id).collect();
    teams.sort_unstable();
    teams.dedup();
    for team in teams {
        let rows: Vec<&QueueLogRow> = chunk.iter().filter(|r| r.team_id == team).collect();
        let (lo, hi) = rows.iter().fold((i64::MAX, i64::MIN), |(lo, hi), r| {
            (lo.min(ms(r.datetime)), hi.max(ms(r.datetime)))
        });
        let sql = format!(
            "SELECT datetime, row_key FROM queue_log WHERE team_id = {} AND datetime >= {} \
             AND datetime <= {} AND row_key IN ({})",
            params(1, 1),
            params(2, 1),
            params(3, 1),
            params(4, rows.len())
        );
        // Planned at each run (see `reports::hold_events`).
        let mut q = sqlx::query_as::<_, (i64, String)>(AssertSqlSafe(sql))
            .persistent(false)
            .bind(team)
            .bind(lo)
            .bind(hi);
        for r in &rows {
            q = q.bind(&r.row_key);
        }
        for (at, key) in q.fetch_all(&mut **tx).await? {
            out.insert((team, at, key));
        }
    }
    Ok(out)
}
