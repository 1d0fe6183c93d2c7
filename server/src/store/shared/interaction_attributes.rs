//! Conversation attributes that arrive after their interaction (a recording's address
//! once the platform has it): added to the stored interaction — or, for a call the
//! desktop placed (a `calls` row, no interaction), to a new one — its timeline told.
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
    let event = ServerEvent::ActivityUpdated {
        contact_id,
        activity_id,
    };
    let events = commit_events(tx, vec![(Some(team_id), event)], now).await?;
    Ok(Some((true, events)))
}
