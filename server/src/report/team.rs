//! A team's communication analytics (docs/reports.md, "A team's communication"): volume
//! by channel and interval from the `report_activity` roll-up, first-response times and
//! their distribution, and the busiest contacts, from the `interaction_facts` kept on every
//! write (`store/shared/analytics.rs`). The API, the back office and the `report
//! team` command all call [`team`].

use std::collections::BTreeMap;

use agentdesk_protocol::ActivityKind;
use agentdesk_protocol::report::{TOP_CONTACTS, TeamAnalytics, TopContact, VolumeRow};
use chrono::DateTime;

use super::Scope;
use super::contact::{channel_counts, responses};
use crate::store::{DynStore, StoreResult, corrupt};

/// The analytics of `scope`'s team over its range, by its interval.
pub async fn team(store: &DynStore, scope: &Scope) -> StoreResult<TeamAnalytics> {
    let range = scope.range();
    let key = scope.key_sql();
    // Three independent reads, run side by side (each on a connection of its own).
    let (volume, replies, top) = tokio::try_join!(
        store.team_volume(scope.team, range, &key),
        store.team_replies(scope.team, range),
        store.team_top_contacts(scope.team, range, TOP_CONTACTS),
    )?;
    let mut rows = Vec::with_capacity(volume.len());
    let mut channels: BTreeMap<ActivityKind, (u64, u64)> = BTreeMap::new();
    for (key, kind, inbound, outbound) in volume {
        let kind: ActivityKind = kind.parse().map_err(|e| corrupt("interaction kind", e))?;
        let (inbound, outbound) = (inbound.max(0) as u64, outbound.max(0) as u64);
        let c = channels.entry(kind).or_default();
        c.0 += inbound;
        c.1 += outbound;
        rows.push(VolumeRow {
            start: scope.local(scope.start_of(key)),
            kind,
            inbound,
            outbound,
        });
    }
    // Two keys of one interval (the repeated hour of an autumn change has two) stay two
    // rows, each with its own offset; rows come ordered by start, then channel.
    rows.sort_by(|a, b| a.start.cmp(&b.start).then(a.kind.cmp(&b.kind)));
    let channels = channel_counts(channels);
    let (first_response, response_buckets) = responses(
        replies
            .into_iter()
            .map(|r| r.map(|ms| (ms.max(0) / 1000) as u64)),
    );
    let top_contacts = top
        .into_iter()
        .map(|t| TopContact {
            contact_id: t.contact_id,
            name: t.name.unwrap_or_default(),
            count: t.n.max(0) as u64,
            inbound: t.inbound.max(0) as u64,
            outbound: (t.n - t.inbound).max(0) as u64,
            last_contact: DateTime::from_timestamp_millis(t.last_at).unwrap_or_default(),
        })
        .collect();
    Ok(TeamAnalytics {
        team: scope.team,
        from: scope.from,
        to: scope.to,
        interval: scope.interval,
        time_zone: scope.tz.name().to_owned(),
        start: scope.local(range.0),
        rows,
        total: channels.iter().map(|c| c.count).sum(),
        inbound: channels.iter().map(|c| c.inbound).sum(),
        outbound: channels.iter().map(|c| c.outbound).sum(),
        channels,
        first_response,
        response_buckets,
        top_contacts,
    })
}
