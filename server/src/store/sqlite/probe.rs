//! What an ingest checks before it writes, read on SQLite: one indexed lookup per
//! question (statements are cheap in-process; the one writer keeps them consistent).

use super::Tx;
use super::contacts::find_contact;
use super::ingest::find_interaction;
use crate::store::StoreResult;
use crate::store::ingest::{NewInteraction, Probe};

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
