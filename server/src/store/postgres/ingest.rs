//! PostgreSQL implementation of [`IngestStore`].

use std::collections::BTreeMap;
use std::sync::LazyLock;

use agentdesk_protocol::{ActivityDetail, IngestResult, ServerEvent};
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};

use super::{
    Ingested, Pending, PostgresStore, commit_events, from_ms, insert_activity_with, lock_keys, ms,
    update_activity_detail,
};
use crate::store::ingest::{
    ContactSeed, IngestStore, KnownKeys, LinkKey, Merge, NewInteraction, QUEUE_LOG_ROWS_PER_INSERT,
    QueueLogRow, Taken, contact_lock_key, interaction_lock_key, learn, merge_segment,
    queue_log_insert_sql,
};
use crate::store::{StoreError, StoreResult, StoredEvent};
use crate::text;

use super::Tx;

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

/// The e-mail address `expr` without ASCII case, as SQLite's NOCASE compares addresses
/// and [`ingest_keys`] locks them; on the column, the expression of migration 0008's
/// index.
fn fold_email(expr: &str) -> String {
    format!("translate({expr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')")
}

/// The statement of [`probe`].
static PROBE: LazyLock<String> = LazyLock::new(|| {
    let (column, value) = (fold_email("email"), fold_email("k.v"));
    format!(
        "SELECT \
           (SELECT ARRAY[activity_id, contact_id] FROM interactions \
             WHERE team_id = $3 AND source = $1 AND source_key = $2), \
           (SELECT ARRAY[activity_id, contact_id] FROM calls \
             WHERE $1 = 'call' AND team_id = $3 AND guid = $2), \
           (SELECT ARRAY[activity_id, contact_id] FROM interactions WHERE team_id = $3 \
             AND conversation_id = $4 AND activity_id IS NOT NULL ORDER BY id LIMIT 1), \
           (SELECT f.id FROM unnest($5::text[], $6::text[]) WITH ORDINALITY AS k(kind, v, n) \
             CROSS JOIN LATERAL (SELECT CASE k.kind \
               WHEN 'external' THEN (SELECT id FROM contacts \
                 WHERE team_id = $3 AND external_id = k.v ORDER BY id LIMIT 1) \
               WHEN 'phone' THEN (SELECT id FROM contacts \
                 WHERE team_id = $3 AND phone = k.v ORDER BY id LIMIT 1) \
               ELSE (SELECT id FROM contacts \
                 WHERE team_id = $3 AND {column} = {value} ORDER BY id LIMIT 1) \
             END AS id) f \
            WHERE f.id IS NOT NULL ORDER BY k.n LIMIT 1)"
    )
});

/// What [`ingest_one`] checks before it writes: whether the interaction is known
/// (`seen`: its activity, if any, and contact), the first activity of its conversation
/// (activity, contact), and the contact of the first link key that finds one.
struct Probe {
    seen: Option<(Option<i64>, i64)>,
    conversation: Option<(i64, i64)>,
    contact: Option<i64>,
}

/// Read [`Probe`] in one statement (after the keys are locked). A call is also known
/// by the desktop's own call rows of its guid (made through the bridge, not ingested).
async fn probe(tx: &mut Tx<'_>, i: &NewInteraction) -> StoreResult<Probe> {
    let (kinds, values): (Vec<&str>, Vec<&str>) = i
        .link
        .iter()
        .map(|k| match k {
            LinkKey::ExternalId(v) => ("external", v.as_str()),
            LinkKey::Phone(v) => ("phone", v.as_str()),
            LinkKey::Email(v) => ("email", v.as_str()),
        })
        .unzip();
    let row = sqlx::query(AssertSqlSafe(PROBE.as_str()))
        .bind(i.source)
        .bind(&i.source_key)
        .bind(i.team_id)
        .bind(&i.conversation_id)
        .bind(kinds)
        .bind(values)
        .fetch_one(&mut **tx)
        .await?;
    let pair = |n: usize| -> Option<(Option<i64>, Option<i64>)> {
        let v: Option<Vec<Option<i64>>> = row.get(n);
        v.map(|v| (v.first().copied().flatten(), v.get(1).copied().flatten()))
    };
    let known = |p: Option<(Option<i64>, Option<i64>)>| {
        p.and_then(|(activity, contact)| Some((activity, contact?)))
    };
    Ok(Probe {
        seen: known(pair(0)).or_else(|| known(pair(1))),
        conversation: known(pair(2)).and_then(|(a, c)| Some((a?, c))),
        contact: row.get(3),
    })
}

pub(crate) async fn create_contact(
    tx: &mut Tx<'_>,
    team_id: i64,
    s: &ContactSeed,
    now: i64,
) -> StoreResult<i64> {
    let key = text::contact_key(&s.name, s.email.as_deref());
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
               EXISTS (SELECT 1 FROM contacts o WHERE o.team_id = $2 AND o.id <> $1 \
                 AND translate(o.email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = translate($5, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')) \
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
    // FOR UPDATE: another ingest may reach the same contact through another key.
    let raw: String =
        sqlx::query_scalar("SELECT attributes FROM contacts WHERE id = $1 FOR UPDATE")
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

/// The detail of an activity about to be changed, and when it happened; its row locked
/// until the transaction ends (a call's end, a later part and a conversation's next
/// segment may all change one activity, through different keys). `None`: deleted since
/// it was found.
async fn activity_detail(tx: &mut Tx<'_>, id: i64) -> StoreResult<Option<(ActivityDetail, i64)>> {
    let Some(r) =
        sqlx::query("SELECT detail, occurred_at FROM activities WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
    else {
        return Ok(None);
    };
    let detail: ActivityDetail = serde_json::from_str(r.get::<&str, _>(0))
        .map_err(|e| super::corrupt("activity detail", e))?;
    Ok(Some((detail, r.get(1))))
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
    let attrs = conversation_attributes(i)?;
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
    events: &mut Pending,
) -> StoreResult<IngestResult> {
    let found = probe(tx, i).await?;
    if let Some((activity, contact_id)) = found.seen {
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
impl IngestStore for PostgresStore {
    async fn ingest(
        &self,
        items: &[NewInteraction],
        publish: bool,
    ) -> StoreResult<(Vec<IngestResult>, Vec<StoredEvent>)> {
        // Every key an item is checked by, locked before the checks: two deliveries of
        // the same input, two segments of one conversation or two messages from one new
        // number run one after the other (what SQLite's BEGIN IMMEDIATE gives), while
        // ingests about different things run side by side.
        let mut tx = self.writer.begin().await?;
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

    async fn ingest_part(
        &self,
        team_id: Option<i64>,
        source: &'static str,
        key: &str,
        parent_source: &'static str,
        parent_key: &str,
        merge: Merge<'_>,
    ) -> StoreResult<Option<(IngestResult, Vec<StoredEvent>)>> {
        let mut tx = self.writer.begin().await?;
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
            "SELECT EXISTS (SELECT 1 FROM interactions \
             WHERE team_id = $1 AND source = $2 AND source_key = $3)",
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
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(source)
        .bind(key)
        .bind(parent_team)
        .bind(contact_id)
        .bind(activity_id)
        .bind(now)
        .execute(&mut *tx)
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
        Ok(Some((result(false), events)))
    }

    async fn import_queue_log(&self, rows: &[QueueLogRow]) -> StoreResult<(u64, u64)> {
        let mut tx = self.pool.begin().await?;
        let mut stored = 0;
        for chunk in rows.chunks(QUEUE_LOG_ROWS_PER_INSERT) {
            let sql = queue_log_insert_sql(chunk.len(), true);
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
}
