//! The one implementation of [`ReportStore`], compiled into each backend (its module
//! there is this file): the reports' reads (the database sums by interval) and the
//! rebuild. What the write path keeps is `rollups.rs`.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::report_sql::{and_eq, parse_waits, span_rows, summed, wait_lists_sql, wait_rows};
use super::rollups::{put_holds, write_rollup};
use super::{Backend, analytics, begin_bulk, scoped};
use crate::report::fold::{
    AGENT_COLUMNS, Hold, HoldEvent, QUEUE_COLUMNS, Rollup, hold_of, is_hold_event,
};
use crate::store::reports::{
    AgentStat, BreakStat, ConversationQuery, ConversationSums, InteractionRow, LOGGED_COLUMNS,
    LoggedRow, QueueStat, ReportStore, Span, StatusStat, TopContactRow, WaitList, WaitStat,
};
use crate::store::{StoreResult, Viewer};

#[async_trait]
impl ReportStore for Backend {
    async fn queue_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        campaign: Option<&str>,
    ) -> StoreResult<Vec<QueueStat>> {
        let rows = summed(
            self,
            ("report_queue", "campaign"),
            &QUEUE_COLUMNS,
            team,
            span,
            key,
            campaign,
        );
        Ok(rows
            .await?
            .into_iter()
            .map(|(bucket, campaign, counts)| QueueStat {
                bucket,
                campaign,
                counts,
            })
            .collect())
    }

    async fn wait_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        campaign: Option<&str>,
    ) -> StoreResult<Vec<WaitStat>> {
        let (from, to) = span.range;
        let rows = wait_rows(span);
        let sql = format!(
            "SELECT {key} AS bucket, campaign, wait_s, CAST(SUM(calls) AS BIGINT) AS calls \
             FROM {rows} WHERE bucket >= $2 AND bucket < $3{} \
             GROUP BY 1, campaign, wait_s HAVING SUM(calls) <> 0 ORDER BY 1, campaign, wait_s",
            and_eq("campaign", campaign)
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql))
            .bind(team)
            .bind(from)
            .bind(to);
        if let Some(c) = campaign {
            q = q.bind(c);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    async fn wait_lists(
        &self,
        team: i64,
        span: &Span,
        campaign: Option<&str>,
    ) -> StoreResult<Vec<WaitList>> {
        let mut q = sqlx::query_as(AssertSqlSafe(wait_lists_sql(span, campaign)))
            .bind(team)
            .bind(span.range.0)
            .bind(span.range.1);
        if let Some(c) = campaign {
            q = q.bind(c);
        }
        let mut rows: Vec<(i64, String, String)> = q.fetch_all(&self.pool).await?;
        // In order whatever plan the database chose (a few thousand rows: ~1 ms).
        rows.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        rows.into_iter()
            .map(|(bucket, campaign, text)| {
                Ok(WaitList {
                    bucket,
                    campaign,
                    waits: parse_waits(&text)?,
                })
            })
            .collect()
    }

    async fn agent_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        agent: Option<&str>,
    ) -> StoreResult<Vec<AgentStat>> {
        let rows = summed(
            self,
            ("report_agent", "agent"),
            &AGENT_COLUMNS,
            team,
            span,
            key,
            agent,
        );
        Ok(rows
            .await?
            .into_iter()
            .map(|(bucket, agent, counts)| AgentStat {
                bucket,
                agent,
                counts,
            })
            .collect())
    }

    async fn agent_quarter_counts(
        &self,
        team: i64,
        (from, to): (i64, i64),
        agent: Option<&str>,
    ) -> StoreResult<Vec<(i64, i64)>> {
        // uContact's counters and our own statuses: the larger count of each quarter hour
        // (an all-0 counter row is never kept: `rollups::write_tables`).
        let counters = format!(
            "SELECT bucket, CAST(COUNT(*) AS BIGINT) FROM report_agent \
             WHERE team_id = $1 AND bucket >= $2 AND bucket < $3{} GROUP BY bucket",
            and_eq("agent", agent)
        );
        let statuses = format!(
            "SELECT s.bucket, CAST(COUNT(DISTINCT s.user_id) AS BIGINT) FROM report_status s \
             JOIN team_members t ON t.user_id = s.user_id AND t.team_id = $1 \
             JOIN users u ON u.id = s.user_id \
             WHERE s.bucket >= $2 AND s.bucket < $3{} GROUP BY s.bucket",
            and_eq("COALESCE(u.ucontact_agent, u.username)", agent)
        );
        let mut out: BTreeMap<i64, i64> = BTreeMap::new();
        for sql in [counters, statuses] {
            let mut q = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql))
                .bind(team)
                .bind(from)
                .bind(to);
            if let Some(a) = agent {
                q = q.bind(a);
            }
            for (bucket, n) in q.fetch_all(&self.pool).await? {
                let c = out.entry(bucket).or_insert(0);
                *c = (*c).max(n);
            }
        }
        Ok(out.into_iter().collect())
    }

    async fn break_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        agent: Option<&str>,
    ) -> StoreResult<Vec<BreakStat>> {
        let (from, to) = span.range;
        let rows = span_rows(
            "report_break",
            ("agent, reason", &["break_ms"]),
            "team_id = $1",
            span,
        );
        let sql = format!(
            "SELECT {key} AS bucket, agent, reason, CAST(SUM(break_ms) AS BIGINT) AS break_ms \
             FROM {rows} WHERE bucket >= $2 AND bucket < $3{} \
             GROUP BY 1, agent, reason HAVING SUM(break_ms) <> 0 ORDER BY 1, agent, reason",
            and_eq("agent", agent)
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql))
            .bind(team)
            .bind(from)
            .bind(to);
        if let Some(a) = agent {
            q = q.bind(a);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    async fn status_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        agent: Option<&str>,
        now: i64,
    ) -> StoreResult<Vec<StatusStat>> {
        super::status_rollup::read(self, team, span, key, agent, now).await
    }

    async fn report_campaigns(
        &self,
        team: i64,
        (from, to): (i64, i64),
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT campaign FROM report_queue \
             WHERE team_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY campaign",
        )
        .bind(team)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn service_levels(&self) -> StoreResult<BTreeMap<String, u32>> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT name, options FROM campaigns")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, options)| {
                let o: agentdesk_protocol::dial::CampaignOptions =
                    serde_json::from_str(&options).ok()?;
                Some((name, o.service_level_secs?))
            })
            .collect())
    }

    async fn contact_interactions(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        (from, to): (i64, i64),
        limit: u32,
    ) -> StoreResult<Vec<InteractionRow>> {
        // Only the viewer's teams' interactions: a contact two teams talk to shows each
        // team its own conversations.
        let sql = format!(
            "SELECT at, kind, inbound, answered_at FROM interaction_facts \
             WHERE contact_id = $3 AND {} AND at >= $4 AND at < $5 \
             ORDER BY at DESC LIMIT $6",
            scoped("team_id")
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(contact_id)
            .bind(from)
            .bind(to)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?)
    }

    async fn team_volume(
        &self,
        team: i64,
        (from, to): (i64, i64),
        key: &str,
    ) -> StoreResult<Vec<(i64, String, i64, i64)>> {
        let sql = format!(
            "SELECT {key} AS k, kind, CAST(SUM(inbound) AS BIGINT) AS i, \
               CAST(SUM(outbound) AS BIGINT) AS o \
             FROM report_activity WHERE team_id = $1 AND bucket >= $2 AND bucket < $3 \
             GROUP BY k, kind HAVING SUM(inbound) + SUM(outbound) > 0 ORDER BY k, kind"
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(team)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn team_replies(
        &self,
        team: i64,
        (from, to): (i64, i64),
    ) -> StoreResult<Vec<Option<i64>>> {
        Ok(sqlx::query_scalar(
            "SELECT answered_at - at FROM interaction_facts \
             WHERE team_id = $1 AND at >= $2 AND at < $3 AND inbound = 1 \
             AND kind IN ('email', 'sms')",
        )
        .bind(team)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn team_top_contacts(
        &self,
        team: i64,
        (from, to): (i64, i64),
        limit: u32,
    ) -> StoreResult<Vec<TopContactRow>> {
        Ok(sqlx::query_as(
            "SELECT t.contact_id, CASE WHEN c.team_id = $1 THEN c.name END AS name, t.n, \
               t.inbound, t.last_at \
             FROM (SELECT contact_id, COUNT(*) AS n, CAST(SUM(inbound) AS BIGINT) AS inbound, \
                     MAX(at) AS last_at \
                   FROM interaction_facts WHERE team_id = $1 AND at >= $2 AND at < $3 \
                   GROUP BY contact_id ORDER BY n DESC, last_at DESC, contact_id LIMIT $4) AS t \
             JOIN contacts c ON c.id = t.contact_id \
             ORDER BY t.n DESC, t.last_at DESC, t.contact_id",
        )
        .bind(team)
        .bind(from)
        .bind(to)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn conversation_sums(
        &self,
        q: &ConversationQuery<'_>,
    ) -> StoreResult<Vec<ConversationSums>> {
        super::conversation_report::sums(self, q).await
    }

    async fn rebuild_reports(&self, team: Option<i64>) -> StoreResult<(u64, u64)> {
        super::status_rollup::rebuild(self, team).await?;
        let mut tx = begin_bulk(self).await?;
        let activities = analytics::rebuild(&mut tx, team).await?;
        super::interaction_attributes::rebuild(&mut tx, team).await?;
        super::conversation_report::rebuild(&mut tx, team).await?;
        for table in [
            "report_queue",
            "report_agent",
            "report_break",
            "report_wait",
            "report_queue_day",
            "report_agent_day",
            "report_break_day",
            "report_wait_day",
            "report_hold",
        ] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE $1 IS NULL OR team_id = $1"
            )))
            .bind(team)
            .execute(&mut *tx)
            .await?;
        }
        let mut rollup = Rollup::default();
        let mut holds: HashMap<(i64, String), Vec<HoldEvent>> = HashMap::new();
        let (mut after, mut read) = (0i64, 0u64);
        loop {
            let batch: Vec<LoggedRow> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {LOGGED_COLUMNS} FROM queue_log WHERE id > $1 AND team_id IS NOT NULL \
                 AND ($2 IS NULL OR team_id = $2) ORDER BY id LIMIT 10000"
            )))
            .bind(after)
            .bind(team)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            read += batch.len() as u64;
            for row in &batch {
                let Some(r) = row.as_row() else { continue };
                rollup.add(&r);
                if is_hold_event(r.event) && !r.callid.is_empty() {
                    holds
                        .entry((r.team_id, r.callid.to_owned()))
                        .or_default()
                        .push(HoldEvent {
                            at_ms: r.at_ms,
                            id: row.id,
                            event: r.event.to_owned(),
                            queue: r.queue.to_owned(),
                            agent: r.agent.to_owned(),
                        });
                }
            }
        }
        let mut by_team: BTreeMap<i64, Vec<(String, Hold)>> = BTreeMap::new();
        for ((t, call), mut events) in holds {
            if let Some(h) = hold_of(&mut events) {
                rollup.add_hold(t, &h, 1);
                by_team.entry(t).or_default().push((call, h));
            }
        }
        for (t, calls) in &by_team {
            let rows: Vec<(&str, Option<&Hold>)> =
                calls.iter().map(|(c, h)| (c.as_str(), Some(h))).collect();
            put_holds(&mut tx, *t, &rows).await?;
        }
        rollup.prune();
        write_rollup(&mut tx, &rollup).await?;
        tx.commit().await?;
        Ok((read, activities))
    }
}
