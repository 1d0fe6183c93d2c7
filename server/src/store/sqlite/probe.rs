//! What an ingest checks before it writes, read on SQLite: one indexed lookup per
//! question (statements are cheap in-process; the one writer keeps them consistent).

use super::Tx;
use super::ingest::find_interaction;
use crate::store::StoreResult;
use crate::store::ingest::{LinkKey, NewInteraction, Probe};

/// The contact of the first key that finds one in the team.
async fn find_contact(tx: &mut Tx<'_>, team_id: i64, keys: &[LinkKey]) -> StoreResult<Option<i64>> {
    for k in keys {
        // The email column compares without case (NOCASE), as the rule wants.
        let (sql, v) = match k {
            LinkKey::ExternalId(v) => (
                "SELECT id FROM contacts WHERE team_id = $1 AND external_id = $2 ORDER BY id LIMIT 1",
                v,
            ),
            LinkKey::Phone(v) => (
                "SELECT id FROM contacts WHERE team_id = $1 AND phone = $2 ORDER BY id LIMIT 1",
                v,
            ),
            LinkKey::Email(v) => (
                "SELECT id FROM contacts WHERE team_id = $1 AND email = $2 ORDER BY id LIMIT 1",
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

/// Read [`Probe`] for `i`. A known interaction answers alone (nothing else is needed).
pub(crate) async fn probe(tx: &mut Tx<'_>, i: &NewInteraction) -> StoreResult<Probe> {
    let seen = find_interaction(tx, Some(i.team_id), i.source, &i.source_key)
        .await?
        .map(|(activity, contact, _)| (activity, contact));
    if seen.is_some() {
        return Ok(Probe {
            seen,
            conversation: None,
            contact: None,
        });
    }
    let conversation = match &i.conversation_id {
        Some(conv) => {
            sqlx::query_as(
                "SELECT activity_id, contact_id FROM interactions WHERE team_id = $1 \
                 AND conversation_id = $2 AND activity_id IS NOT NULL ORDER BY id LIMIT 1",
            )
            .bind(i.team_id)
            .bind(conv)
            .fetch_optional(&mut **tx)
            .await?
        }
        None => None,
    };
    Ok(Probe {
        seen: None,
        conversation,
        contact: find_contact(tx, i.team_id, &i.link).await?,
    })
}
