//! What an ingest checks before it writes, read on PostgreSQL in one statement (after
//! the keys are locked): a round trip per question would multiply an ingest's latency.

use std::sync::LazyLock;

use sqlx::{AssertSqlSafe, Row};

use super::{Tx, fold_email};
use crate::store::StoreResult;
use crate::store::ingest::{LinkKey, NewInteraction, Probe};

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

/// Read [`Probe`] for `i`. A call is also known by the desktop's own call rows of its
/// guid (made through the bridge, not ingested).
pub(crate) async fn probe(tx: &mut Tx<'_>, i: &NewInteraction) -> StoreResult<Probe> {
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
    let pair = |n: usize| -> StoreResult<Option<(Option<i64>, Option<i64>)>> {
        let v: Option<Vec<Option<i64>>> = row.try_get(n)?;
        Ok(v.map(|v| (v.first().copied().flatten(), v.get(1).copied().flatten())))
    };
    let known = |p: Option<(Option<i64>, Option<i64>)>| {
        p.and_then(|(activity, contact)| Some((activity, contact?)))
    };
    Ok(Probe {
        seen: known(pair(0)?).or(known(pair(1)?)),
        conversation: known(pair(2)?).and_then(|(a, c)| Some((a?, c))),
        contact: row.try_get(3)?,
    })
}
