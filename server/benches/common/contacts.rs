//! Bare contacts for a benchmark's fill (a name, nothing else), shared by the benchmarks
//! that spread activities over many contacts.

use std::collections::BTreeMap;

use agentdesk_server::store::{DynStore, NewContact};
use chrono::Utc;

/// `n` contacts of `team`, named `{prefix} {i}`: their ids, in order.
pub async fn contacts(
    store: &DynStore,
    team: i64,
    prefix: &str,
    n: usize,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(
            store
                .create_contact(NewContact {
                    team_id: team,
                    name: format!("{prefix} {i}"),
                    phone: None,
                    email: None,
                    external_id: None,
                    attributes: BTreeMap::new(),
                    created_at: Utc::now(),
                })
                .await?,
        );
    }
    Ok(ids)
}
