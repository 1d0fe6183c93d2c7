//! The recipients' further call: for each record about to be notified, a call to the
//! external system (the record's attributes as its placeholders) whose answer names the
//! user and/or the group to notify. Records that would make the same request share one
//! call per poll (a hundred tickets of one owner: one request), and a few run at once.

use std::collections::BTreeMap;

use agentdesk_protocol::followup::{RecipientLookup, parse_path, placeholders, value_text};
use futures_util::StreamExt;
use serde_json::Value;

use super::fetch;
use crate::outbound::Outbound;

/// Requests in flight at once for one poll.
const CONCURRENT: usize = 4;
/// Distinct requests per poll at most: a slow system must not hold the poll past its
/// lease (the records beyond wait for the next poll, named in the run).
const MAX_REQUESTS: usize = 100;

/// Who the call found for a record (trimmed; empty is none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub user: Option<String>,
    pub team: Option<String>,
}

/// The attribute names `lookup`'s request uses: records agreeing on their values make
/// the same request.
fn used_names(lookup: &RecipientLookup) -> Vec<String> {
    let c = &lookup.call;
    let body = c.body.as_ref().map(Value::to_string).unwrap_or_default();
    let mut names: Vec<String> = std::iter::once(c.url.as_str())
        .chain(c.headers.iter().filter_map(|h| h.value.as_deref()))
        .chain(std::iter::once(body.as_str()))
        .flat_map(|t| placeholders(t).unwrap_or_default())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What the answer says, by the lookup's paths.
fn read(lookup: &RecipientLookup, answer: &Value) -> Result<Found, String> {
    let at = |path: &Option<String>| -> Option<String> {
        let p = parse_path(path.as_deref()?).ok()?;
        let v = value_text(answer.pointer(&p)?).trim().to_owned();
        (!v.is_empty()).then_some(v)
    };
    let found = Found {
        user: at(&lookup.user),
        team: at(&lookup.team),
    };
    if found.user.is_none() && found.team.is_none() {
        return Err("the recipients' call answered without a user or a group".into());
    }
    Ok(found)
}

/// For each record (key, values): who the call found, or why it found nobody.
pub async fn recipients(
    outbound: &Outbound,
    lookup: &RecipientLookup,
    records: &[(&str, &BTreeMap<String, String>)],
    limit: usize,
) -> BTreeMap<String, Result<Found, String>> {
    let names = used_names(lookup);
    // One request per distinct set of values.
    let mut requests: BTreeMap<Vec<Option<&String>>, Vec<&str>> = BTreeMap::new();
    for (key, values) in records {
        let sig = names.iter().map(|n| values.get(n)).collect();
        requests.entry(sig).or_default().push(key);
    }
    let by_key: BTreeMap<&str, &BTreeMap<String, String>> = records.iter().copied().collect();
    // Futures built in a loop, not by a closure: a closure's borrowed arguments make the
    // poll's future not provably `Send`.
    let mut calls = Vec::with_capacity(requests.len().min(MAX_REQUESTS));
    let mut later: Vec<&str> = Vec::new();
    for (n, keys) in requests.into_values().enumerate() {
        if n >= MAX_REQUESTS {
            later.extend(keys);
            continue;
        }
        let values = by_key[keys[0]];
        calls.push(async move {
            let answer =
                fetch::call_with(outbound, &lookup.call, values, limit, fetch::Expect::Json).await;
            let found = answer
                .map_err(|e| format!("recipients' {e}"))
                .and_then(|a| read(lookup, &a));
            (keys, found)
        });
    }
    let answers: Vec<(Vec<&str>, Result<Found, String>)> = futures_util::stream::iter(calls)
        .buffer_unordered(CONCURRENT)
        .collect()
        .await;
    let waiting = format!(
        "the recipients' call was made {MAX_REQUESTS} times this poll; this record waits for the next"
    );
    answers
        .into_iter()
        .chain(std::iter::once((later, Err(waiting))))
        .flat_map(|(keys, found)| keys.into_iter().map(move |k| (k.to_owned(), found.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lookup() -> RecipientLookup {
        serde_json::from_value(json!({
            "call": { "name": "owner", "url": "https://crm.example/users/{{owner_id}}?t={{ticket}}",
                "headers": [{ "name": "X-Team", "value": "{{queue}}" }] },
            "user": "/login",
            "team": "$.group.name"
        }))
        .unwrap()
    }

    #[test]
    fn the_request_depends_on_the_names_its_templates_use() {
        assert_eq!(used_names(&lookup()), vec!["owner_id", "queue", "ticket"]);
    }

    #[test]
    fn the_answer_gives_a_user_a_group_or_an_error() {
        let l = lookup();
        assert_eq!(
            read(
                &l,
                &json!({ "login": " ana ", "group": { "name": "Sales" } })
            ),
            Ok(Found {
                user: Some("ana".into()),
                team: Some("Sales".into())
            })
        );
        assert_eq!(
            read(&l, &json!({ "login": 42 })),
            Ok(Found {
                user: Some("42".into()),
                team: None
            })
        );
        for nobody in [
            json!({}),
            json!({ "login": "  ", "group": null }),
            json!([1]),
        ] {
            assert!(read(&l, &nobody).is_err(), "{nobody}");
        }
    }
}
