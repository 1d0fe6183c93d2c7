//! The one implementation of [`FollowUpStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`).

use std::collections::BTreeMap;

use agentdesk_protocol::ActivityDetail;
use agentdesk_protocol::ServerEvent;
use agentdesk_protocol::followup::{FollowUpRun, FollowUpSpec};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::AssertSqlSafe;

use super::contacts::find_contact;
use super::notifications::notifications_changed;
use super::{
    Backend, Pending, Tx, begin_write, commit_events, corrupt, from_ms, insert_activity, ms,
    same_username, touch_contact,
};
use crate::store::followups::{FollowUpStore, Reach, RunOutcome, StoredFollowUp, Tracked};
use crate::store::ingest::LinkKey;
use crate::store::{NewActivity, StoreError, StoreResult, StoredEvent, already_exists};

#[derive(sqlx::FromRow)]
struct FollowUpRow {
    id: i64,
    spec: String,
    next_poll_at: Option<i64>,
    updated_at: i64,
}

impl FollowUpRow {
    fn into_stored(self) -> StoreResult<StoredFollowUp> {
        Ok(StoredFollowUp {
            id: self.id,
            spec: serde_json::from_str(&self.spec).map_err(|e| corrupt("follow-up", e))?,
            next_poll_at: self.next_poll_at.map(from_ms),
            updated_at: from_ms(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    started_at: i64,
    finished_at: i64,
    found: i64,
    new: i64,
    notified: i64,
    resolved: i64,
    errors: String,
}

impl RunRow {
    fn into_run(self) -> FollowUpRun {
        let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
        FollowUpRun {
            id: self.id,
            started_at: from_ms(self.started_at),
            finished_at: from_ms(self.finished_at),
            found: n(self.found),
            new: n(self.new),
            notified: n(self.notified),
            resolved: n(self.resolved),
            errors: serde_json::from_str(&self.errors).unwrap_or_default(),
        }
    }
}

const FOLLOWUP_COLUMNS: &str = "id, spec, next_poll_at, updated_at";

fn spec_json(spec: &FollowUpSpec) -> StoreResult<String> {
    serde_json::to_string(spec).map_err(|e| StoreError::Other(e.to_string()))
}

/// When an active follow-up polls first after being saved at `now`: at once.
fn first_poll(spec: &FollowUpSpec, now: i64) -> Option<i64> {
    (spec.active && !spec.missing_secrets()).then_some(now)
}

/// Store a new follow-up in `tx` (a conflict when its name is taken, without case).
async fn insert_followup(tx: &mut Tx<'_>, spec: &FollowUpSpec, now: i64) -> StoreResult<i64> {
    let name = spec.name.trim();
    sqlx::query_scalar(
        "INSERT INTO followups (name, active, spec, next_poll_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(name)
    .bind(spec.active)
    .bind(spec_json(spec)?)
    .bind(first_poll(spec, now))
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(already_exists(format!("a follow-up named `{name}`")))
}

#[async_trait]
impl FollowUpStore for Backend {
    async fn create_followup(&self, spec: &FollowUpSpec, now: DateTime<Utc>) -> StoreResult<i64> {
        let mut tx = begin_write(self).await?;
        let id = insert_followup(&mut tx, spec, ms(now)).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn create_followups(
        &self,
        specs: &[FollowUpSpec],
        now: DateTime<Utc>,
    ) -> StoreResult<(Vec<(i64, String)>, Vec<String>)> {
        let now = ms(now);
        let mut tx = begin_write(self).await?;
        let (mut created, mut taken) = (Vec::new(), Vec::new());
        for spec in specs {
            let name = spec.name.trim();
            // Asked first: on PostgreSQL a refused INSERT would end the transaction.
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM followups WHERE lower(name) = lower($1)")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_some() {
                taken.push(name.to_string());
                continue;
            }
            let id = insert_followup(&mut tx, spec, now).await?;
            created.push((id, name.to_string()));
        }
        tx.commit().await?;
        Ok((created, taken))
    }

    async fn update_followup(
        &self,
        id: i64,
        spec: &FollowUpSpec,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let now = ms(now);
        let mut tx = begin_write(self).await?;
        let n = sqlx::query(
            "UPDATE followups SET name = $1, active = $2, spec = $3, next_poll_at = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(spec.name.trim())
        .bind(spec.active)
        .bind(spec_json(spec)?)
        .bind(first_poll(spec, now))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(already_exists(format!(
            "a follow-up named `{}`",
            spec.name.trim()
        )))?
        .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn delete_followup(&self, id: i64) -> StoreResult<bool> {
        let mut tx = begin_write(self).await?;
        let n = sqlx::query("DELETE FROM followups WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn followup(&self, id: i64) -> StoreResult<Option<StoredFollowUp>> {
        let sql = format!("SELECT {FOLLOWUP_COLUMNS} FROM followups WHERE id = $1");
        let row: Option<FollowUpRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(FollowUpRow::into_stored).transpose()
    }

    async fn followups(&self) -> StoreResult<Vec<StoredFollowUp>> {
        let sql = format!("SELECT {FOLLOWUP_COLUMNS} FROM followups ORDER BY lower(name), id");
        let rows: Vec<FollowUpRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(FollowUpRow::into_stored).collect()
    }

    async fn followup_runs(&self, id: i64, limit: u32) -> StoreResult<Vec<FollowUpRun>> {
        let rows: Vec<RunRow> = sqlx::query_as(
            "SELECT id, started_at, finished_at, found, new, notified, resolved, errors \
             FROM followup_runs WHERE followup_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(RunRow::into_run).collect())
    }

    async fn claim_due_followups(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<StoredFollowUp>> {
        let (now, until) = (ms(now), ms(now + lease));
        let mut tx = begin_write(self).await?;
        // The condition is checked again on the row an instance waited for (PostgreSQL
        // re-reads it after the lock): two instances never both get one.
        let sql = format!(
            "UPDATE followups SET lease_owner = $1, lease_until = $2 \
             WHERE id IN (SELECT id FROM followups WHERE next_poll_at <= $3 \
               AND (lease_until IS NULL OR lease_until <= $3) ORDER BY next_poll_at LIMIT $4) \
             AND next_poll_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
             RETURNING {FOLLOWUP_COLUMNS}"
        );
        let rows: Vec<FollowUpRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(owner)
            .bind(until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.into_iter().map(FollowUpRow::into_stored).collect()
    }

    async fn claim_followup(
        &self,
        id: i64,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> StoreResult<Option<StoredFollowUp>> {
        let (now, until) = (ms(now), ms(now + lease));
        let mut tx = begin_write(self).await?;
        let sql = format!(
            "UPDATE followups SET lease_owner = $1, lease_until = $2 \
             WHERE id = $3 AND (lease_until IS NULL OR lease_until <= $4) \
             RETURNING {FOLLOWUP_COLUMNS}"
        );
        let row: Option<FollowUpRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(owner)
            .bind(until)
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(FollowUpRow::into_stored).transpose()
    }

    async fn tracked_records(&self, id: i64) -> StoreResult<BTreeMap<String, Tracked>> {
        let rows: Vec<(String, bool, i64, Option<i64>)> = sqlx::query_as(
            "SELECT record_key, open, attempts, last_sent_at FROM followup_records \
             WHERE followup_id = $1",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, open, attempts, last)| {
                let t = Tracked {
                    open,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    last_sent_at: last.map(from_ms),
                };
                (key, t)
            })
            .collect())
    }

    async fn finish_followup_run(
        &self,
        id: i64,
        owner: &str,
        outcome: &RunOutcome,
        next_poll_at: DateTime<Utc>,
    ) -> StoreResult<(FollowUpRun, Vec<usize>, Vec<StoredEvent>)> {
        // Records and notifications are stamped with the poll's instant, the one its
        // plan measured frequencies from.
        let now = ms(outcome.started_at);
        let mut tx = begin_write(self).await?;
        // Still ours? (Its lease may have run out and another instance taken it.)
        let name: Option<String> = sqlx::query_scalar(
            "UPDATE followups SET next_poll_at = CASE WHEN active THEN $1 END, \
             lease_owner = NULL, lease_until = NULL \
             WHERE id = $2 AND lease_owner = $3 RETURNING name",
        )
        .bind(ms(next_poll_at))
        .bind(id)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(name) = name else {
            return Err(StoreError::Conflict(
                "the follow-up's lease was lost: another instance polls it".into(),
            ));
        };
        let mut new = 0_u32;
        for key in &outcome.opened {
            // A record seen for the first time, or back after closing: a fresh start.
            new += sqlx::query(
                "INSERT INTO followup_records (followup_id, record_key, open, attempts, \
                   first_seen_at) VALUES ($1, $2, TRUE, 0, $3) \
                 ON CONFLICT (followup_id, record_key) DO UPDATE SET open = TRUE, \
                   attempts = 0, last_sent_at = NULL, closed_at = NULL, \
                   first_seen_at = excluded.first_seen_at \
                 WHERE NOT followup_records.open",
            )
            .bind(id)
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected() as u32;
        }
        let mut resolved = 0_u32;
        for key in &outcome.resolved {
            resolved += sqlx::query(
                "UPDATE followup_records SET open = FALSE, closed_at = $1 \
                 WHERE followup_id = $2 AND record_key = $3 AND open",
            )
            .bind(now)
            .bind(id)
            .bind(key)
            .execute(&mut *tx)
            .await?
            .rows_affected() as u32;
        }
        let mut pending = Pending::new();
        let mut notified = std::collections::BTreeSet::new();
        let mut sent = Vec::new();
        for (i, n) in outcome.notify.iter().enumerate() {
            // From attempt n−1 to n, once: a second writer of the same attempt finds
            // nothing to move.
            let moved = sqlx::query(
                "UPDATE followup_records SET attempts = $1, last_sent_at = $2 \
                 WHERE followup_id = $3 AND record_key = $4 AND open AND attempts = $5",
            )
            .bind(i64::from(n.attempt))
            .bind(now)
            .bind(id)
            .bind(&n.key)
            .bind(i64::from(n.attempt) - 1)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                continue;
            }
            sent.push(i);
            let card = match &n.card {
                Some(c) => {
                    Some(serde_json::to_string(c).map_err(|e| StoreError::Other(e.to_string()))?)
                }
                None => None,
            };
            let values = match &n.values {
                Some(v) => {
                    Some(serde_json::to_string(v).map_err(|e| StoreError::Other(e.to_string()))?)
                }
                None => None,
            };
            for user in &n.users {
                sqlx::query(
                    "INSERT INTO notifications (user_id, followup_id, title, text, card, \
                       record_key, attempt, contact_id, created_at, record_values) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(user)
                .bind(id)
                .bind(&name)
                .bind(&n.text)
                .bind(&card)
                .bind(&n.key)
                .bind(i64::from(n.attempt))
                .bind(n.contact.map(|(_, c)| c))
                .bind(now)
                .bind(&values)
                .execute(&mut *tx)
                .await?;
                notified.insert(*user);
            }
            if let Some((team_id, contact_id)) = n.contact {
                let activity = NewActivity {
                    team_id,
                    contact_id,
                    user_id: None,
                    model_id: format!("followup:{id}:{}:{}", n.key, n.attempt),
                    detail: ActivityDetail::FollowUp {
                        rule: name.clone(),
                        channel: n.delivery,
                        message: n.text.clone(),
                        recipients: n.recipients.clone(),
                        attempt: n.attempt,
                    },
                    email: None,
                    occurred_at: outcome.finished_at,
                };
                let activity_id = insert_activity(&mut tx, &activity, now).await?;
                touch_contact(&mut tx, contact_id, now).await?;
                pending.push((
                    Some(team_id),
                    ServerEvent::ActivityCreated {
                        contact_id,
                        activity_id,
                        kind: agentdesk_protocol::ActivityKind::FollowUp,
                    },
                ));
            }
        }
        pending.extend(notified.into_iter().map(notifications_changed));
        let run = RunRow {
            id: 0,
            started_at: ms(outcome.started_at),
            finished_at: ms(outcome.finished_at),
            found: i64::from(outcome.found),
            new: i64::from(new),
            notified: sent.len() as i64,
            resolved: i64::from(resolved),
            errors: serde_json::to_string(&outcome.errors).unwrap_or_else(|_| "[]".into()),
        };
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO followup_runs (followup_id, started_at, finished_at, found, new, \
               notified, resolved, errors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(id)
        .bind(run.started_at)
        .bind(run.finished_at)
        .bind(run.found)
        .bind(run.new)
        .bind(run.notified)
        .bind(run.resolved)
        .bind(&run.errors)
        .fetch_one(&mut *tx)
        .await?;
        // Keep each follow-up's last 200 runs.
        sqlx::query("DELETE FROM followup_runs WHERE followup_id = $1 AND id <= $2 - 200")
            .bind(id)
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
        let events = commit_events(tx, pending, now).await?;
        Ok((RunRow { id: run_id, ..run }.into_run(), sent, events))
    }

    async fn release_followup(
        &self,
        id: i64,
        owner: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = begin_write(self).await?;
        sqlx::query(
            "UPDATE followups SET lease_owner = NULL, lease_until = NULL, \
               next_poll_at = CASE WHEN active THEN $3 END \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(ms(retry_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_run_errors(&self, run_id: i64, errors: &[String]) -> StoreResult<()> {
        if errors.is_empty() {
            return Ok(());
        }
        let mut tx = begin_write(self).await?;
        let old: Option<String> =
            sqlx::query_scalar("SELECT errors FROM followup_runs WHERE id = $1")
                .bind(run_id)
                .fetch_optional(&mut *tx)
                .await?;
        let mut all: Vec<String> = old
            .and_then(|o| serde_json::from_str(&o).ok())
            .unwrap_or_default();
        all.extend_from_slice(errors);
        sqlx::query("UPDATE followup_runs SET errors = $1 WHERE id = $2")
            .bind(serde_json::to_string(&all).unwrap_or_else(|_| "[]".into()))
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn recipients(
        &self,
        usernames: &[String],
        teams: &[String],
    ) -> StoreResult<(BTreeMap<String, i64>, BTreeMap<String, Vec<i64>>)> {
        let mut users = BTreeMap::new();
        let by_name = format!(
            "SELECT id FROM users WHERE {0} OR (email IS NOT NULL AND lower(email) = lower($1)) \
             ORDER BY CASE WHEN {0} THEN 0 ELSE 1 END LIMIT 1",
            same_username("username", 1)
        );
        for u in usernames {
            let id: Option<i64> = sqlx::query_scalar(AssertSqlSafe(by_name.as_str()))
                .bind(u.trim())
                .fetch_optional(&self.pool)
                .await?;
            if let Some(id) = id {
                users.insert(u.trim().to_lowercase(), id);
            }
        }
        let mut members = BTreeMap::new();
        for t in teams {
            let team: Option<i64> =
                sqlx::query_scalar("SELECT id FROM teams WHERE lower(name) = lower($1)")
                    .bind(t.trim())
                    .fetch_optional(&self.pool)
                    .await?;
            if let Some(team) = team {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id",
                )
                .bind(team)
                .fetch_all(&self.pool)
                .await?;
                members.insert(t.trim().to_lowercase(), ids);
            }
        }
        Ok((users, members))
    }

    async fn reachability(&self, users: &[i64]) -> StoreResult<BTreeMap<i64, Reach>> {
        let mut out = BTreeMap::new();
        for &id in users {
            let row: Option<(Option<String>, bool)> = sqlx::query_as(
                "SELECT email, EXISTS (SELECT 1 FROM presence_streams p WHERE p.user_id = u.id) \
                 FROM users u WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            if let Some((email, online)) = row {
                out.insert(id, Reach { email, online });
            }
        }
        Ok(out)
    }

    async fn link_record(&self, team_id: i64, keys: &[LinkKey]) -> StoreResult<Option<i64>> {
        let mut conn = self.pool.acquire().await?;
        find_contact(&mut conn, team_id, keys).await
    }
}
