//! Conversation attributes: those that arrive after their interaction (a recording's
//! address once the platform has it), added to the stored interaction — or, for a call
//! the desktop placed (a `calls` row, no interaction), to a new one — its timeline told;
//! and the one rule that merges an activity's interactions' attributes into
//! `conversation_attributes` (what the timeline shows and reports group by).
//! Compiled into each backend (its module there is this file).

use std::collections::BTreeMap;

use agentdesk_protocol::ServerEvent;

use super::{Backend, Tx, begin_write, commit_events, lock_keys, ms};
use crate::store::ingest::interaction_lock_key;
use crate::store::{StoreResult, StoredEvent, corrupt};

/// Add `attributes` to `team_id`'s interaction (`source`, `key`), a new value replacing
/// an old one: `None` when there is no such interaction (or its activity is gone), else
/// whether anything changed and the events to publish.
pub(crate) async fn add(
    s: &Backend,
    team_id: i64,
    source: &str,
    key: &str,
    attributes: &BTreeMap<String, String>,
) -> StoreResult<Option<(bool, Vec<StoredEvent>)>> {
    let mut tx = begin_write(s).await?;
    lock_keys(&mut tx, [interaction_lock_key(source, key)]).await?;
    let row: Option<(i64, Option<i64>, i64, String)> = sqlx::query_as(
        "SELECT id, activity_id, contact_id, attributes FROM interactions \
         WHERE team_id = $1 AND source = $2 AND source_key = $3",
    )
    .bind(team_id)
    .bind(source)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    let (id, activity_id, contact_id, stored) = match row {
        Some((id, Some(activity), contact, stored)) => (Some(id), activity, contact, stored),
        Some((_, None, _, _)) => return Ok(None),
        // A call the desktop placed has its `calls` row and no interaction yet (the
        // duplicate check knows it by its guid): the attributes start one.
        None if source == "call" => {
            let call: Option<(Option<i64>, i64)> = sqlx::query_as(
                "SELECT activity_id, contact_id FROM calls WHERE team_id = $1 AND guid = $2",
            )
            .bind(team_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            match call {
                Some((Some(activity), contact)) => (None, activity, contact, "{}".to_owned()),
                _ => return Ok(None),
            }
        }
        None => return Ok(None),
    };
    let mut merged: BTreeMap<String, String> =
        serde_json::from_str(&stored).map_err(|e| corrupt("interaction attributes", e))?;
    let before = merged.clone();
    merged.extend(attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
    if merged == before {
        return Ok(Some((false, Vec::new())));
    }
    let json = serde_json::to_string(&merged).map_err(|e| corrupt("interaction attributes", e))?;
    let now = ms(crate::clock::now());
    match id {
        Some(id) => {
            sqlx::query("UPDATE interactions SET attributes = $1 WHERE id = $2")
                .bind(json)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO interactions (source, source_key, team_id, contact_id, activity_id, \
                 attributes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(source)
            .bind(key)
            .bind(team_id)
            .bind(contact_id)
            .bind(activity_id)
            .bind(json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    index(&mut tx, activity_id).await?;
    let event = ServerEvent::ActivityUpdated {
        contact_id,
        activity_id,
    };
    let events = commit_events(tx, vec![(Some(team_id), event)], now).await?;
    Ok(Some((true, events)))
}

/// Rewrite activity `activity_id`'s `conversation_attributes` from every interaction
/// behind it (a conversation's segments, attributes sent later), oldest first: a later
/// value of a name wins. Names no longer defined as conversation attributes are left
/// out; a number attribute also keeps its value as a number (measures are summed).
/// Called in the transaction that wrote an interaction's attributes.
pub(crate) async fn index(tx: &mut Tx<'_>, activity_id: i64) -> StoreResult<()> {
    let parts: Vec<(String,)> =
        sqlx::query_as("SELECT attributes FROM interactions WHERE activity_id = $1 ORDER BY id")
            .bind(activity_id)
            .fetch_all(&mut **tx)
            .await?;
    let merged = merge(parts.iter().map(|(json,)| json.as_str()))?;
    sqlx::query("DELETE FROM conversation_attributes WHERE activity_id = $1")
        .bind(activity_id)
        .execute(&mut **tx)
        .await?;
    if merged.is_empty() {
        return Ok(());
    }
    let kinds: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT name, kind FROM attribute_defs WHERE scope = 'conversation'",
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let rows = rows(&merged, &kinds);
    insert_rows(tx, activity_id, &rows).await
}

/// Attributes stored as JSON, merged in order (a later value of a name wins).
pub(crate) fn merge<'a>(
    parts: impl Iterator<Item = &'a str>,
) -> StoreResult<BTreeMap<String, String>> {
    let mut merged = BTreeMap::new();
    for json in parts {
        let one: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| corrupt("interaction attributes", e))?;
        merged.extend(one.into_iter().map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        }));
    }
    Ok(merged)
}

/// The rows of merged attributes: (name, value, number) of each defined name.
pub(crate) fn rows<'a>(
    merged: &'a BTreeMap<String, String>,
    kinds: &BTreeMap<String, String>,
) -> Vec<(&'a str, &'a str, Option<f64>)> {
    merged
        .iter()
        .filter_map(|(name, value)| {
            let kind = kinds.get(name)?;
            let number = (kind == "number")
                .then(|| value.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
                .flatten();
            Some((name.as_str(), value.as_str(), number))
        })
        .collect()
}

/// Insert one activity's attribute rows.
pub(crate) async fn insert_rows(
    tx: &mut Tx<'_>,
    activity_id: i64,
    rows: &[(&str, &str, Option<f64>)],
) -> StoreResult<()> {
    for chunk in rows.chunks(200) {
        let values = (0..chunk.len())
            .map(|r| format!("({})", super::rollups::params(r * 4 + 1, 4)))
            .collect::<Vec<_>>()
            .join(",");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO conversation_attributes (activity_id, name, value, number) VALUES {values}"
        )));
        for (name, value, number) in chunk {
            q = q.bind(activity_id).bind(*name).bind(*value).bind(*number);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Recompute `conversation_attributes` of one team's activities (or all) from their
/// interactions, by the rule of [`index`]. Returns the activities that have some.
pub(crate) async fn rebuild(tx: &mut Tx<'_>, team: Option<i64>) -> StoreResult<u64> {
    sqlx::query(
        "DELETE FROM conversation_attributes WHERE activity_id IN \
         (SELECT id FROM activities WHERE $1 IS NULL OR team_id = $1)",
    )
    .bind(team)
    .execute(&mut **tx)
    .await?;
    let kinds: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT name, kind FROM attribute_defs WHERE scope = 'conversation'",
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    let (mut after, mut written) = (0i64, 0u64);
    loop {
        // A page of activities that have attributes, then all their interactions.
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT i.activity_id FROM interactions i JOIN activities a ON a.id = i.activity_id \
             WHERE i.activity_id > $1 AND i.attributes <> '{}' AND ($2 IS NULL OR a.team_id = $2) \
             ORDER BY i.activity_id LIMIT 2000",
        )
        .bind(after)
        .bind(team)
        .fetch_all(&mut **tx)
        .await?;
        let (Some(first), Some(last)) = (ids.first().copied(), ids.last().copied()) else {
            break;
        };
        after = last;
        let parts: Vec<(i64, String)> = sqlx::query_as(
            "SELECT activity_id, attributes FROM interactions \
             WHERE activity_id >= $1 AND activity_id <= $2 ORDER BY activity_id, id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&mut **tx)
        .await?;
        let mut by_activity: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        for (activity, json) in &parts {
            by_activity.entry(*activity).or_default().push(json);
        }
        for id in ids {
            let Some(jsons) = by_activity.get(&id) else {
                continue;
            };
            let merged = merge(jsons.iter().copied())?;
            let rows = rows(&merged, &kinds);
            if !rows.is_empty() {
                insert_rows(tx, id, &rows).await?;
                written += 1;
            }
        }
    }
    Ok(written)
}
