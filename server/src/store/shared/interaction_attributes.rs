//! Conversation attributes: those that arrive after their interaction (a recording's
//! address once the platform has it), added to the stored interaction — or, for a call
//! the desktop placed (a `calls` row, no interaction), to a new one — its timeline told;
//! and the one rule that merges an activity's interactions' attributes into
//! `conversation_attributes` (what the timeline shows and reports group by).
//! Compiled into each backend (its module there is this file).

use std::collections::BTreeMap;

use agentdesk_protocol::{ActivityDetail, ServerEvent};

use super::{Backend, FOR_NO_KEY_UPDATE, Tx, begin_write, commit_events, lock_keys, ms};
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

/// Rewrite activity `activity_id`'s `conversation_attributes` by [`conversation`]: its
/// interactions' attributes merged, and a call's campaign. Called in the transaction
/// that wrote an interaction's attributes or changed a call; the activity's row is
/// locked first (two segments of one conversation may be written at once) without
/// blocking the foreign-key checks of rows that refer to it (a deadlock with a writer
/// that inserted an interaction of it and then indexes).
pub(crate) async fn index(tx: &mut Tx<'_>, activity_id: i64) -> StoreResult<()> {
    let Some((detail,)): Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT detail FROM activities WHERE id = $1{FOR_NO_KEY_UPDATE}"
    )))
    .bind(activity_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(());
    };
    let parts: Vec<(String,)> =
        sqlx::query_as("SELECT attributes FROM interactions WHERE activity_id = $1 ORDER BY id")
            .bind(activity_id)
            .fetch_all(&mut **tx)
            .await?;
    let merged = conversation(
        parts.iter().map(|(json,)| json.as_str()),
        call_campaign(&detail)?.as_deref(),
    )?;
    sqlx::query("DELETE FROM conversation_attributes WHERE activity_id = $1")
        .bind(activity_id)
        .execute(&mut **tx)
        .await?;
    if !merged.is_empty() {
        let kinds = conversation_kinds(tx).await?;
        insert_rows(tx, activity_id, &rows(&merged, &kinds)).await?;
    }
    super::conversation_report::sync(tx, activity_id).await
}

/// A new activity's attributes when no interaction brought any: a call's campaign. Its
/// row of the conversations report is written next, by `analytics::added`.
pub(crate) async fn index_new(
    tx: &mut Tx<'_>,
    activity_id: i64,
    detail: &ActivityDetail,
) -> StoreResult<()> {
    if let ActivityDetail::Call { campaign, .. } = detail
        && let Some(c) = campaign_value(campaign)
    {
        insert_rows(tx, activity_id, &[(CAMPAIGN, c.as_str(), None)]).await?;
    }
    Ok(())
}

const CAMPAIGN: &str = "campaign";

/// A campaign as an attribute: NUL removed, spaces trimmed (as SQL's `trim` does, for
/// the migrations' backfills), at most an attribute's length; none when empty.
fn campaign_value(campaign: &str) -> Option<String> {
    let c: String = campaign
        .replace('\0', "")
        .trim_matches(' ')
        .chars()
        .take(crate::ingest::MAX_ATTRIBUTE_CHARS)
        .collect();
    (!c.is_empty()).then_some(c)
}

/// The campaign of a stored activity's detail (JSON) when it is a call.
fn call_campaign(detail: &str) -> StoreResult<Option<String>> {
    let detail: ActivityDetail =
        serde_json::from_str(detail).map_err(|e| corrupt("activity detail", e))?;
    Ok(match detail {
        ActivityDetail::Call { campaign, .. } => campaign_value(&campaign),
        _ => None,
    })
}

async fn conversation_kinds(tx: &mut Tx<'_>) -> StoreResult<BTreeMap<String, String>> {
    Ok(sqlx::query_as::<_, (String, String)>(
        "SELECT name, kind FROM attribute_defs WHERE scope = 'conversation'",
    )
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect())
}

/// The one rule of an activity's conversation attributes: its interactions' (stored as
/// JSON), merged in order — a later value of a name wins; an empty value says nothing —,
/// and for a call without a `campaign` among them, the call's own campaign.
pub(crate) fn conversation<'a>(
    parts: impl Iterator<Item = &'a str>,
    call_campaign: Option<&str>,
) -> StoreResult<BTreeMap<String, String>> {
    let mut merged = BTreeMap::new();
    for json in parts {
        let one: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| corrupt("interaction attributes", e))?;
        for (k, v) in one {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            // NUL: no database text holds it (PostgreSQL refuses it).
            let text = text.replace('\0', "");
            if !text.trim_matches(' ').is_empty() {
                merged.insert(k, text);
            }
        }
    }
    if let Some(c) = call_campaign {
        merged
            .entry(CAMPAIGN.to_owned())
            .or_insert_with(|| c.to_owned());
    }
    Ok(merged)
}

/// A measure's number: a decimal number as JSON writes one, with an exponent of at most
/// two digits (so that every backend reads the same finite value; the migrations'
/// backfills apply the same grammar).
pub(crate) fn measure(value: &str) -> Option<f64> {
    let v = value.trim_matches(' ');
    let b = v.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int = digits(&mut i);
    if int == 0 || (int > 1 && b[i - int] == b'0') {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !(1..=2).contains(&digits(&mut i)) {
            return None;
        }
    }
    (i == b.len())
        .then(|| v.parse::<f64>().ok())
        .flatten()
        .filter(|n| n.is_finite())
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
            let number = (kind == "number").then(|| measure(value)).flatten();
            Some((name.as_str(), value.as_str(), number))
        })
        .collect()
}

/// Insert one activity's attribute rows (a row there already — a rebuild running
/// beside a write — takes the new value).
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
            "INSERT INTO conversation_attributes (activity_id, name, value, number) VALUES {values} \
             ON CONFLICT (activity_id, name) DO UPDATE SET value = excluded.value, \
             number = excluded.number"
        )));
        for (name, value, number) in chunk {
            q = q.bind(activity_id).bind(*name).bind(*value).bind(*number);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Recompute `conversation_attributes` of one team's activities (or all) from their
/// interactions and details, by [`conversation`]. Returns the activities that have some.
pub(crate) async fn rebuild(tx: &mut Tx<'_>, team: Option<i64>) -> StoreResult<u64> {
    sqlx::query(
        "DELETE FROM conversation_attributes WHERE activity_id IN \
         (SELECT id FROM activities WHERE $1 IS NULL OR team_id = $1)",
    )
    .bind(team)
    .execute(&mut **tx)
    .await?;
    let kinds = conversation_kinds(tx).await?;
    let (mut after, mut written) = (0i64, 0u64);
    loop {
        let batch: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, kind, detail FROM activities WHERE id > $1 \
             AND ($2 IS NULL OR team_id = $2) ORDER BY id LIMIT 5000",
        )
        .bind(after)
        .bind(team)
        .fetch_all(&mut **tx)
        .await?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            break;
        };
        let (first, last) = (first.0, last.0);
        after = last;
        let parts: Vec<(i64, String)> = sqlx::query_as(
            "SELECT activity_id, attributes FROM interactions \
             WHERE activity_id >= $1 AND activity_id <= $2 AND attributes <> '{}' \
             ORDER BY activity_id, id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(&mut **tx)
        .await?;
        let mut by_activity: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        for (activity, json) in &parts {
            by_activity.entry(*activity).or_default().push(json);
        }
        for (id, kind, detail) in &batch {
            let campaign = if kind == "call" {
                call_campaign(detail)?
            } else {
                None
            };
            let jsons = by_activity.get(id).map(Vec::as_slice).unwrap_or_default();
            let merged = conversation(jsons.iter().copied(), campaign.as_deref())?;
            let rows = rows(&merged, &kinds);
            if !rows.is_empty() {
                insert_rows(tx, *id, &rows).await?;
                written += 1;
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::measure;

    #[test]
    fn a_measure_is_a_json_number_with_a_short_exponent() {
        for (v, n) in [
            ("10", Some(10.0)),
            (" -2.5 ", Some(-2.5)),
            ("1e-7", Some(1e-7)),
            ("3E+21", Some(3e21)),
            ("0", Some(0.0)),
            ("0.5", Some(0.5)),
        ] {
            assert_eq!(measure(v), n, "{v}");
        }
        for v in [
            "", "abc", "1.", ".5", "+1", "01", "1e", "1e400", "1e-400", "NaN", "inf", "1.0e",
            "1_000", "0x10", "1 2",
        ] {
            assert_eq!(measure(v), None, "{v}");
        }
    }
}
