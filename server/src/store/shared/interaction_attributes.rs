//! Conversation attributes that arrive after their interaction (a recording's address
//! once the platform has it): added to the stored interaction, its timeline told.
//! Compiled into each backend (its module there is this file).

use std::collections::BTreeMap;

use agentdesk_protocol::ServerEvent;

use super::{Backend, begin_write, commit_events, lock_keys, ms};
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
    let Some((id, Some(activity_id), contact_id, stored)) = row else {
        return Ok(None);
    };
    let mut merged: BTreeMap<String, String> =
        serde_json::from_str(&stored).map_err(|e| corrupt("interaction attributes", e))?;
    let before = merged.clone();
    merged.extend(attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
    if merged == before {
        return Ok(Some((false, Vec::new())));
    }
    let json = serde_json::to_string(&merged).map_err(|e| corrupt("interaction attributes", e))?;
    sqlx::query("UPDATE interactions SET attributes = $1 WHERE id = $2")
        .bind(json)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let event = ServerEvent::ActivityUpdated {
        contact_id,
        activity_id,
    };
    let events = commit_events(tx, vec![(Some(team_id), event)], ms(crate::clock::now())).await?;
    Ok(Some((true, events)))
}
