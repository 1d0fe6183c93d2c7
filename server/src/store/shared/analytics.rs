//! The communication analytics' facts (docs/reports.md, "A team's communication"),
//! compiled into each backend (its module there is this file): one `interaction_facts` row
//! per activity that is an interaction ([`interaction_direction`]), its reply time for an
//! inbound e-mail or SMS, and the `report_activity` volume roll-up — kept by the write
//! path in the write's own transaction ([`added`], [`changed`], [`removed`]) and rebuilt
//! from the activities by [`rebuild`].
//!
//! A reply is the next outbound interaction of the same channel, contact and team at or
//! after the inbound one; each of the three changes below keeps that true whatever order
//! the activities arrive in (an import of old mail after its replies, a reply deleted).

use agentdesk_protocol::report::{awaits_reply, interaction_direction};
use agentdesk_protocol::{ActivityDetail, ActivityKind, Direction};
use sqlx::AssertSqlSafe;

use super::{Db, Tx};
use crate::report::fold::bucket;
use crate::store::{StoreResult, corrupt};

/// One thread's (contact, team, channel) columns, bound as `$1..$3`.
macro_rules! thread {
    () => {
        "contact_id = $1 AND team_id = $2 AND kind = $3"
    };
}

/// The first reply at or after `$4` in a thread. This and the two updates below must read
/// the thread's index (`interaction_facts_thread`, which covers them): a team's index
/// ordered by time would walk the team's whole history (a test checks SQLite's plans).
pub(crate) const FIRST_REPLY: &str = concat!(
    "SELECT MIN(at) FROM interaction_facts WHERE ",
    thread!(),
    " AND inbound = 0 AND at >= $4"
);

/// A reply at `$4` answers the thread's messages it comes first after.
pub(crate) const ANSWERED_BY: &str = concat!(
    "UPDATE interaction_facts SET answered_at = $4 WHERE ",
    thread!(),
    " AND inbound = 1 AND at <= $4 AND (answered_at IS NULL OR answered_at > $4)"
);

/// The reply at `$4` is gone: what it answered waits for the next reply, if any.
pub(crate) const REANSWERED: &str = concat!(
    "UPDATE interaction_facts SET answered_at = (SELECT MIN(o.at) FROM interaction_facts AS o \
     WHERE o.contact_id = $1 AND o.team_id = $2 AND o.kind = $3 AND o.inbound = 0 \
     AND o.at >= $4) WHERE ",
    thread!(),
    " AND inbound = 1 AND answered_at = $4"
);

/// Run `sql` ([`ANSWERED_BY`] or [`REANSWERED`]) on `f`'s thread, at `f`'s time.
async fn in_thread(tx: &mut Tx<'_>, sql: &'static str, f: &Fact) -> StoreResult<()> {
    sqlx::query(sql)
        .bind(f.contact)
        .bind(f.team)
        .bind(f.kind.as_str())
        .bind(f.at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An activity as the analytics know it.
struct Fact {
    team: i64,
    contact: i64,
    kind: ActivityKind,
    inbound: bool,
    at: i64,
}

/// Add `n` (±1) interactions to the volume roll-up.
async fn count(tx: &mut Tx<'_>, f: &Fact, n: i64) -> StoreResult<()> {
    let (inbound, outbound) = if f.inbound { (n, 0) } else { (0, n) };
    sqlx::query(
        "INSERT INTO report_activity (team_id, bucket, kind, inbound, outbound) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (team_id, bucket, kind) DO UPDATE SET \
         inbound = report_activity.inbound + excluded.inbound, \
         outbound = report_activity.outbound + excluded.outbound",
    )
    .bind(f.team)
    .bind(bucket(f.at))
    .bind(f.kind.as_str())
    .bind(inbound)
    .bind(outbound)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Record activity `id` if it is an interaction (inside the caller's transaction).
pub(crate) async fn added(
    tx: &mut Tx<'_>,
    id: i64,
    (team, contact): (i64, i64),
    detail: &ActivityDetail,
    at: i64,
) -> StoreResult<()> {
    let Some(direction) = interaction_direction(detail) else {
        return Ok(());
    };
    let f = Fact {
        team,
        contact,
        kind: detail.kind(),
        inbound: direction == Direction::Inbound,
        at,
    };
    let thread = awaits_reply(f.kind);
    // An inbound message's reply may already be there (it was imported after it).
    let answered_at: Option<i64> = if f.inbound && thread {
        sqlx::query_scalar::<Db, Option<i64>>(FIRST_REPLY)
            .bind(f.contact)
            .bind(f.team)
            .bind(f.kind.as_str())
            .bind(f.at)
            .fetch_one(&mut **tx)
            .await?
    } else {
        None
    };
    sqlx::query(
        "INSERT INTO interaction_facts (activity_id, team_id, contact_id, kind, inbound, at, \
         answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(f.team)
    .bind(f.contact)
    .bind(f.kind.as_str())
    .bind(i64::from(f.inbound))
    .bind(f.at)
    .bind(answered_at)
    .execute(&mut **tx)
    .await?;
    if !f.inbound && thread {
        in_thread(tx, ANSWERED_BY, &f).await?;
    }
    count(tx, &f, 1).await?;
    // Its row of the conversations report, with whatever attributes it already has (it
    // has no row: `removed` took any).
    super::conversation_report::insert(tx, id).await
}

/// Forget activity `id` as an interaction, after or before its deletion (inside the
/// caller's transaction); nothing when it was none.
pub(crate) async fn removed(tx: &mut Tx<'_>, id: i64) -> StoreResult<()> {
    let row: Option<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "DELETE FROM interaction_facts WHERE activity_id = $1 \
         RETURNING team_id, contact_id, kind, inbound, at",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((team, contact, kind, inbound, at)) = row else {
        return Ok(());
    };
    super::conversation_report::forget(tx, id).await?;
    let f = Fact {
        team,
        contact,
        kind: kind.parse().map_err(|e| corrupt("interaction kind", e))?,
        inbound: inbound == 1,
        at,
    };
    if !f.inbound && awaits_reply(f.kind) {
        in_thread(tx, REANSWERED, &f).await?;
    }
    count(tx, &f, -1).await
}

/// Activity `id`'s detail became `detail` (an e-mail sent, failed, sent again): it
/// becomes, stays or stops being an interaction.
pub(crate) async fn changed(
    tx: &mut Tx<'_>,
    id: i64,
    (team, contact): (i64, i64),
    detail: &ActivityDetail,
    at: i64,
) -> StoreResult<()> {
    let was: Option<i64> =
        sqlx::query_scalar("SELECT inbound FROM interaction_facts WHERE activity_id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    let now = interaction_direction(detail).map(|d| i64::from(d == Direction::Inbound));
    if was == now {
        return Ok(());
    }
    removed(tx, id).await?;
    added(tx, id, (team, contact), detail, at).await
}

/// Rows per multi-row insert of the rebuild (7 values each).
const CHUNK: usize = 500;

/// Recompute `interaction_facts` and `report_activity` of one team (or all) from the
/// activities: the rule applied to each, replies by their definition in one statement,
/// the roll-up summed from the rows. Returns the activities read.
pub(crate) async fn rebuild(tx: &mut Tx<'_>, team: Option<i64>) -> StoreResult<u64> {
    for table in ["interaction_facts", "report_activity"] {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE $1 IS NULL OR team_id = $1"
        )))
        .bind(team)
        .execute(&mut **tx)
        .await?;
    }
    let (mut after, mut read) = (0i64, 0u64);
    loop {
        let batch: Vec<(i64, i64, i64, String, i64)> = sqlx::query_as(
            "SELECT id, team_id, contact_id, detail, occurred_at FROM activities \
             WHERE id > $1 AND ($2 IS NULL OR team_id = $2) ORDER BY id LIMIT 5000",
        )
        .bind(after)
        .bind(team)
        .fetch_all(&mut **tx)
        .await?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        read += batch.len() as u64;
        let mut rows = Vec::with_capacity(batch.len());
        for (id, team, contact, detail, at) in batch {
            let detail: ActivityDetail =
                serde_json::from_str(&detail).map_err(|e| corrupt("activity detail", e))?;
            if let Some(d) = interaction_direction(&detail) {
                let inbound = i64::from(d == Direction::Inbound);
                rows.push((id, team, contact, detail.kind().as_str(), inbound, at));
            }
        }
        for chunk in rows.chunks(CHUNK) {
            let values = (0..chunk.len())
                .map(|r| format!("({}, NULL)", super::rollups::params(r * 6 + 1, 6)))
                .collect::<Vec<_>>()
                .join(",");
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO interaction_facts (activity_id, team_id, contact_id, kind, inbound, at, \
                 answered_at) VALUES {values}"
            )));
            for (id, team, contact, kind, inbound, at) in chunk {
                q = q
                    .bind(*id)
                    .bind(*team)
                    .bind(*contact)
                    .bind(*kind)
                    .bind(*inbound)
                    .bind(*at);
            }
            q.execute(&mut **tx).await?;
        }
    }
    let kinds = "('email', 'sms')";
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE interaction_facts SET answered_at = (SELECT MIN(o.at) FROM interaction_facts AS o \
           WHERE o.contact_id = interaction_facts.contact_id AND o.team_id = interaction_facts.team_id \
           AND o.kind = interaction_facts.kind AND o.inbound = 0 AND o.at >= interaction_facts.at) \
         WHERE inbound = 1 AND kind IN {kinds} AND ($1 IS NULL OR team_id = $1)"
    )))
    .bind(team)
    .execute(&mut **tx)
    .await?;
    let bucket = format!(
        "at - (at % {ms} + {ms}) % {ms}",
        ms = crate::report::fold::BUCKET_MS
    );
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO report_activity (team_id, bucket, kind, inbound, outbound) \
         SELECT team_id, {bucket}, kind, CAST(SUM(inbound) AS BIGINT), \
           CAST(SUM(1 - inbound) AS BIGINT) \
         FROM interaction_facts WHERE $1 IS NULL OR team_id = $1 GROUP BY team_id, {bucket}, kind"
    )))
    .bind(team)
    .execute(&mut **tx)
    .await?;
    Ok(read)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rebuilds_reply_kinds_are_the_channels_that_await_replies() {
        use agentdesk_protocol::ActivityKind;
        use agentdesk_protocol::report::awaits_reply;
        let awaiting: Vec<&str> = ActivityKind::ALL
            .iter()
            .filter(|k| awaits_reply(**k))
            .map(|k| k.as_str())
            .collect();
        assert_eq!(awaiting, ["email", "sms"]);
    }
}
