//! The one implementation of [`IntegrationStore`], compiled into each backend against
//! its seam (see `store/shared/calls.rs`).

use std::collections::BTreeMap;

use agentdesk_protocol::{DeliveryOutcome, IntegrationDelivery, IntegrationSummary, TeamRef};
use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::{
    Backend, begin_write, corrupt, from_ms, insert_returning_id, ms, same_username, write_one,
};
use crate::store::StoreResult;
use crate::store::integrations::{DELIVERIES_KEPT, IntegrationStore, NewDelivery};

fn outcome_text(o: DeliveryOutcome) -> &'static str {
    match o {
        DeliveryOutcome::Accepted => "accepted",
        DeliveryOutcome::Duplicate => "duplicate",
        DeliveryOutcome::Rejected => "rejected",
    }
}

fn outcome_of(s: &str) -> DeliveryOutcome {
    match s {
        "accepted" => DeliveryOutcome::Accepted,
        "duplicate" => DeliveryOutcome::Duplicate,
        _ => DeliveryOutcome::Rejected,
    }
}

#[async_trait]
impl IntegrationStore for Backend {
    async fn attribute_defs(&self) -> StoreResult<BTreeMap<String, (String, String)>> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT name, kind, scope FROM attribute_defs")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(name, kind, scope)| (name, (kind, scope)))
            .collect())
    }

    async fn create_integration(
        &self,
        name: &str,
        team_id: i64,
        token_hash: &str,
        secret: &str,
    ) -> StoreResult<i64> {
        Ok(insert_returning_id(
            self,
            sqlx::query_scalar(
                "INSERT INTO integrations (name, team_id, token_hash, secret, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(name)
            .bind(team_id)
            .bind(token_hash)
            .bind(secret)
            .bind(ms(crate::clock::now())),
        )
        .await?)
    }

    async fn list_integrations(&self) -> StoreResult<Vec<IntegrationSummary>> {
        type Row = (
            i64,
            String,
            i64,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT i.id, i.name, t.id, t.name, i.created_at, i.rotated_at, i.revoked_at, \
             i.last_used_at FROM integrations i JOIN teams t ON t.id = i.team_id ORDER BY i.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, name, team_id, team_name, created, rotated, revoked, used)| {
                    IntegrationSummary {
                        id,
                        name,
                        team: TeamRef {
                            id: team_id,
                            name: team_name,
                        },
                        created_at: from_ms(created),
                        rotated_at: rotated.map(from_ms),
                        revoked: revoked.is_some(),
                        last_used_at: used.map(from_ms),
                    }
                },
            )
            .collect())
    }

    async fn rotate_integration(
        &self,
        id: i64,
        token_hash: &str,
        secret: &str,
    ) -> StoreResult<Option<(String, i64)>> {
        let mut tx = begin_write(self).await?;
        let row = sqlx::query_as(
            "UPDATE integrations SET token_hash = $1, secret = $2, rotated_at = $3 \
             WHERE id = $4 AND revoked_at IS NULL RETURNING name, team_id",
        )
        .bind(token_hash)
        .bind(secret)
        .bind(ms(crate::clock::now()))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    async fn revoke_integration(&self, id: i64) -> StoreResult<bool> {
        let done = write_one(
            self,
            sqlx::query(
                "UPDATE integrations SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
            )
            .bind(ms(crate::clock::now()))
            .bind(id),
        )
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn integration_by_token(&self, token_hash: &str) -> StoreResult<Option<(i64, i64)>> {
        Ok(
            // An archived team's integrations deliver nothing, as if revoked.
            sqlx::query_as(
                "SELECT i.id, i.team_id FROM integrations i JOIN teams t ON t.id = i.team_id \
                 WHERE i.token_hash = $1 AND t.archived_at IS NULL AND i.revoked_at IS NULL",
            )
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    async fn log_deliveries(&self, batch: &[NewDelivery]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = begin_write(self).await?;
        let mut latest: BTreeMap<i64, i64> = BTreeMap::new();
        for d in batch {
            sqlx::query(
                "INSERT INTO integration_deliveries \
                 (integration_id, at, channel, outcome, status, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(d.integration_id)
            .bind(d.at)
            .bind(d.channel)
            .bind(outcome_text(d.outcome))
            .bind(i64::from(d.status))
            .bind(d.reason.as_deref())
            .execute(&mut *tx)
            .await?;
            let at = latest.entry(d.integration_id).or_insert(d.at);
            *at = (*at).max(d.at);
        }
        for (id, at) in latest {
            sqlx::query(
                "UPDATE integrations SET last_used_at = $1 \
                 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
            )
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // The newest DELIVERIES_KEPT stay: everything up to the one just below them goes.
            sqlx::query(
                "DELETE FROM integration_deliveries WHERE integration_id = $1 AND id <= \
                 (SELECT id FROM integration_deliveries WHERE integration_id = $1 \
                 ORDER BY id DESC LIMIT 1 OFFSET $2)",
            )
            .bind(id)
            .bind(DELIVERIES_KEPT)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn deliveries(&self, id: i64) -> StoreResult<Option<Vec<IntegrationDelivery>>> {
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM integrations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        if known.is_none() {
            return Ok(None);
        }
        let rows: Vec<(i64, String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT at, channel, outcome, status, reason FROM integration_deliveries \
             WHERE integration_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(id)
        .bind(DELIVERIES_KEPT)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(
            rows.into_iter()
                .map(
                    |(at, channel, outcome, status, reason)| IntegrationDelivery {
                        at: from_ms(at),
                        channel,
                        outcome: outcome_of(&outcome),
                        status: u16::try_from(status).unwrap_or(0),
                        reason,
                    },
                )
                .collect(),
        ))
    }

    async fn integration_secret(&self, id: i64) -> StoreResult<Option<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT i.team_id, i.secret FROM integrations i JOIN teams t ON t.id = i.team_id \
                 WHERE i.id = $1 AND t.archived_at IS NULL AND i.revoked_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn imap_cursor(&self, mailbox: &str) -> StoreResult<Option<(u32, u32)>> {
        let r: Option<(i64, i64)> =
            sqlx::query_as("SELECT uid_validity, last_uid FROM imap_cursors WHERE mailbox = $1")
                .bind(mailbox)
                .fetch_optional(&self.pool)
                .await?;
        // Stored from u32s; anything else is a corrupt row, not a cursor to guess from.
        r.map(|(validity, last)| {
            let uid = |v: i64| u32::try_from(v).map_err(|e| corrupt("IMAP cursor", e));
            Ok((uid(validity)?, uid(last)?))
        })
        .transpose()
    }

    async fn set_imap_cursor(
        &self,
        mailbox: &str,
        uid_validity: u32,
        last_uid: u32,
    ) -> StoreResult<()> {
        write_one(
            self,
            sqlx::query(
                "INSERT INTO imap_cursors (mailbox, uid_validity, last_uid, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (mailbox) DO UPDATE SET \
             uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, \
             updated_at = excluded.updated_at",
            )
            .bind(mailbox)
            .bind(i64::from(uid_validity))
            .bind(i64::from(last_uid))
            .bind(ms(crate::clock::now())),
        )
        .await?;
        Ok(())
    }

    async fn user_by_agent(&self, agent: &str) -> StoreResult<Option<(i64, Option<i64>)>> {
        // uContact's agent name first, else the user name (whatever its case).
        let sql = format!(
            "SELECT u.id, (SELECT MIN(team_id) FROM team_members m WHERE m.user_id = u.id) \
             FROM users u WHERE u.ucontact_agent = $1 OR {} \
             ORDER BY u.ucontact_agent = $1 DESC NULLS LAST LIMIT 1",
            same_username("u.username", 1)
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(agent)
            .fetch_optional(&self.pool)
            .await?)
    }
}
