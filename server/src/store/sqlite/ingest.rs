//! SQLite implementation of [`IngestStore`].

use std::collections::BTreeMap;

use agentdesk_protocol::{ActivityDetail, IngestResult, ServerEvent};
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};

use super::{SqliteStore, append_event, from_ms, insert_activity, ms, update_activity_detail};
use crate::store::ingest::{
    ContactSeed, IngestStore, KnownKeys, LinkKey, Merge, NewInteraction, QUEUE_LOG_ROWS_PER_INSERT,
    QueueLogRow, Taken, learn, merge_segment, queue_log_insert_sql,
};
use crate::store::{StoreError, StoreResult, StoredEvent};
use crate::text::contact_key;

use super::Tx;

/// The contact of the first key that finds one in the team.
async fn find_contact(tx: &mut Tx<'_>, team_id: i64, keys: &[LinkKey]) -> StoreResult<Option<i64>> {
    for k in keys {
        let (sql, v) = match k {
            LinkKey::ExternalId(v) => (
                "SELECT id FROM contacts WHERE team_id = ? AND external_id = ? ORDER BY id LIMIT 1",
                v,
            ),
            LinkKey::Phone(v) => (
                "SELECT id FROM contacts WHERE team_id = ? AND phone = ? ORDER BY id LIMIT 1",
                v,
            ),
            LinkKey::Email(v) => (
                "SELECT id FROM contacts WHERE team_id = ? AND email = ? COLLATE NOCASE ORDER BY id LIMIT 1",
                v,
            ),
        };
        let id: Option<i64> = sqlx::query_scalar(sql)
            .bind(team_id)
            .bind(v)
            .fetch_optional(&mut **tx)
            .await?;
        if id.is_some() {
            return Ok(id);
        }
    }
    Ok(None)
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
         VALUES (?, ?, ?, ?, ?, ?, '{}', ?) RETURNING id",
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

/// Teach the linked contact the keys it lacked (the one rule: [`learn`]); the conflict,
/// when the interaction's external id contradicts the contact's.
async fn learn_keys(
    tx: &mut Tx<'_>,
    team_id: i64,
    contact_id: i64,
    seed: &ContactSeed,
) -> StoreResult<Option<String>> {
    let r = sqlx::query("SELECT c.name, c.external_id, c.phone, c.email, \
               EXISTS (SELECT 1 FROM contacts o WHERE o.team_id = $2 AND o.id <> $1 AND o.external_id = $3), \
               EXISTS (SELECT 1 FROM contacts o WHERE o.team_id = $2 AND o.id <> $1 AND o.phone = $4), \
               EXISTS (SELECT 1 FROM contacts o WHERE o.team_id = $2 AND o.id <> $1 AND o.email = $5) \
             FROM contacts c WHERE c.id = $1")
    .bind(contact_id)
    .bind(team_id)
    .bind(&seed.external_id)
    .bind(&seed.phone)
    .bind(&seed.email)
    .fetch_one(&mut **tx)
    .await?;
    let known = KnownKeys {
        external_id: r.get(1),
        phone: r.get(2),
        email: r.get(3),
    };
    let taken = Taken {
        external_id: r.get::<Option<bool>, _>(4).unwrap_or(false),
        phone: r.get::<Option<bool>, _>(5).unwrap_or(false),
        email: r.get::<Option<bool>, _>(6).unwrap_or(false),
    };
    let learned = learn(contact_id, &known, seed, taken);
    if learned.anything() {
        let name: String = r.get(0);
        let email = known.email.clone().or(learned.email.clone());
        sqlx::query("UPDATE contacts SET external_id = COALESCE(external_id, $1), \
             phone = COALESCE(phone, $2), email = COALESCE(email, $3), search_key = $4 WHERE id = $5")
            .bind(&learned.external_id)
            .bind(&learned.phone)
            .bind(&learned.email)
            .bind(crate::text::contact_key(&name, email.as_deref()))
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
    let raw: String = sqlx::query_scalar("SELECT attributes FROM contacts WHERE id = ?")
        .bind(contact_id)
        .fetch_one(&mut **tx)
        .await?;
    let mut current: BTreeMap<String, String> = serde_json::from_str(&raw).unwrap_or_default();
    current.extend(attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
    let json = serde_json::to_string(&current).map_err(|e| StoreError::Other(e.to_string()))?;
    sqlx::query("UPDATE contacts SET attributes = ? WHERE id = ?")
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
async fn find_interaction(
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
    let mut q = sqlx::query(sql).bind(source).bind(key);
    if let Some(t) = team {
        q = q.bind(t);
    }
    if let Some(r) = q.fetch_optional(&mut **tx).await? {
        return Ok(Some((r.get(0), r.get(1), r.get(2))));
    }
    if source == "call" {
        let sql = if team.is_some() {
            "SELECT activity_id, contact_id, team_id FROM calls WHERE team_id = $2 AND guid = $1"
        } else {
            "SELECT activity_id, contact_id, team_id FROM calls WHERE guid = $1 ORDER BY id DESC LIMIT 1"
        };
        let mut q = sqlx::query(sql).bind(key);
        if let Some(t) = team {
            q = q.bind(t);
        }
        let row = q.fetch_optional(&mut **tx).await?;
        return Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))));
    }
    Ok(None)
}

async fn activity_detail(tx: &mut Tx<'_>, id: i64) -> StoreResult<(ActivityDetail, i64)> {
    let r = sqlx::query("SELECT detail, occurred_at FROM activities WHERE id = ?")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let detail: ActivityDetail = serde_json::from_str(r.get::<&str, _>(0))
        .map_err(|e| super::corrupt("activity detail", e))?;
    Ok((detail, r.get(1)))
}

async fn record(
    tx: &mut Tx<'_>,
    i: &NewInteraction,
    contact_id: i64,
    activity_id: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    let attrs = serde_json::to_string(&i.conversation_attributes)
        .map_err(|e| StoreError::Other(e.to_string()))?;
    sqlx::query(
        "INSERT INTO interactions (source, source_key, team_id, contact_id, activity_id, conversation_id, attributes, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(i.source)
    .bind(&i.source_key)
    .bind(i.team_id)
    .bind(contact_id)
    .bind(activity_id)
    .bind(&i.conversation_id)
    .bind(attrs)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn ingest_one(
    tx: &mut Tx<'_>,
    i: &NewInteraction,
    publish: bool,
    now: i64,
    events: &mut Vec<StoredEvent>,
) -> StoreResult<IngestResult> {
    if let Some((activity, contact_id, _)) =
        find_interaction(tx, Some(i.team_id), i.source, &i.source_key).await?
    {
        return Ok(IngestResult {
            activity_id: activity.unwrap_or(0),
            contact_id,
            duplicate: true,
            contact_created: false,
            grouped: false,
            link_conflict: None,
            attributes_dropped: None,
        });
    }
    // A later segment of a known conversation joins its activity.
    if let Some(conv) = &i.conversation_id {
        let row = sqlx::query(
            "SELECT activity_id, contact_id FROM interactions WHERE team_id = ? AND conversation_id = ? \
             AND activity_id IS NOT NULL ORDER BY id LIMIT 1",
        )
        .bind(i.team_id)
        .bind(conv)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(r) = row {
            let (activity_id, contact_id): (i64, i64) = (r.get(0), r.get(1));
            let (first, _) = activity_detail(tx, activity_id).await?;
            // Calls and chats merge (a transfer is one conversation); other kinds keep
            // their own entries.
            if let Some(merged) = merge_segment(&first, &i.activity.detail) {
                update_activity_detail(tx, activity_id, contact_id, &merged).await?;
                if publish {
                    events.push(
                        append_event(
                            tx,
                            Some(i.team_id),
                            ServerEvent::ActivityUpdated {
                                contact_id,
                                activity_id,
                            },
                            now,
                        )
                        .await?,
                    );
                }
                record(tx, i, contact_id, Some(activity_id), now).await?;
                return Ok(IngestResult {
                    activity_id,
                    contact_id,
                    duplicate: false,
                    contact_created: false,
                    grouped: true,
                    link_conflict: None,
                    attributes_dropped: None,
                });
            }
        }
    }
    let (contact_id, created) = match find_contact(tx, i.team_id, &i.link).await? {
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
    let activity_id = insert_activity(tx, &activity, now).await?;
    sqlx::query(
        "UPDATE contacts SET last_activity_at = MAX(COALESCE(last_activity_at, 0), ?) WHERE id = ?",
    )
    .bind(ms(activity.occurred_at))
    .bind(contact_id)
    .execute(&mut **tx)
    .await?;
    record(tx, i, contact_id, Some(activity_id), now).await?;
    if publish {
        events.push(
            append_event(
                tx,
                Some(i.team_id),
                ServerEvent::ActivityCreated {
                    contact_id,
                    activity_id,
                    kind: activity.kind(),
                },
                now,
            )
            .await?,
        );
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
impl IngestStore for SqliteStore {
    async fn ingest(
        &self,
        items: &[NewInteraction],
        publish: bool,
    ) -> StoreResult<(Vec<IngestResult>, Vec<StoredEvent>)> {
        // IMMEDIATE: take the write lock before the duplicate check, so two deliveries of
        // the same input cannot both pass it.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let now = ms(crate::clock::now());
        let mut events = Vec::new();
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(ingest_one(&mut tx, i, publish, now, &mut events).await?);
        }
        tx.commit().await?;
        Ok((out, events))
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let now = ms(crate::clock::now());
        let Some((Some(activity_id), contact_id, parent_team)) =
            find_interaction(&mut tx, team_id, parent_source, parent_key).await?
        else {
            return Ok(None);
        };
        let result = |duplicate| IngestResult {
            activity_id,
            contact_id,
            duplicate,
            contact_created: false,
            grouped: false,
            link_conflict: None,
            attributes_dropped: None,
        };
        let seen: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM interactions WHERE team_id = ? AND source = ? AND source_key = ?)",
        )
        .bind(parent_team)
        .bind(source)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        if seen {
            return Ok(Some((result(true), Vec::new())));
        }
        sqlx::query(
            "INSERT INTO interactions (source, source_key, team_id, contact_id, activity_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(source)
        .bind(key)
        .bind(parent_team)
        .bind(contact_id)
        .bind(activity_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let (detail, started) = activity_detail(&mut tx, activity_id).await?;
        let mut events = Vec::new();
        if let Some(next) = merge(&detail, from_ms(started))
            && next != detail
        {
            update_activity_detail(&mut tx, activity_id, contact_id, &next).await?;
            events.push(
                append_event(
                    &mut tx,
                    Some(parent_team),
                    ServerEvent::ActivityUpdated {
                        contact_id,
                        activity_id,
                    },
                    now,
                )
                .await?,
            );
        }
        tx.commit().await?;
        Ok(Some((result(false), events)))
    }

    async fn import_queue_log(&self, rows: &[QueueLogRow]) -> StoreResult<(u64, u64)> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let mut stored = 0;
        for chunk in rows.chunks(QUEUE_LOG_ROWS_PER_INSERT) {
            let sql = queue_log_insert_sql(chunk.len(), false);
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
            stored += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok((stored, rows.len() as u64 - stored))
    }

    async fn prepare_bulk_import(&self) -> StoreResult<()> {
        // The writer is one connection: these hold for every write of the import.
        sqlx::query("PRAGMA mmap_size = 0")
            .execute(&self.writer)
            .await?;
        sqlx::query("PRAGMA cache_size = -4096")
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
