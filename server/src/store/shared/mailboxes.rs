//! The one implementation of [`MailboxStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`).

use async_trait::async_trait;

use super::{Backend, insert_returning_id, ms, write_one};
use crate::store::StoreResult;
use crate::store::mailboxes::{MailboxStore, NewMailbox, Polled, StoredMailbox};

#[async_trait]
impl MailboxStore for Backend {
    async fn mailboxes(&self) -> StoreResult<Vec<StoredMailbox>> {
        Ok(sqlx::query_as(
            "SELECT m.id, m.team_id, t.name AS team, m.host, m.port, m.tls, m.username, \
             m.password, m.folder, m.active, m.updated_at, m.last_poll_at, m.last_ok_at, \
             m.last_error, m.fetched \
             FROM mailboxes m JOIN teams t ON t.id = m.team_id ORDER BY m.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn create_mailbox(&self, m: &NewMailbox) -> StoreResult<i64> {
        let now = ms(crate::clock::now());
        Ok(insert_returning_id(
            self,
            sqlx::query_scalar(
                "INSERT INTO mailboxes (team_id, host, port, tls, username, password, folder, \
                 active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(m.team_id)
            .bind(&m.host)
            .bind(i64::from(m.port))
            .bind(m.tls)
            .bind(&m.username)
            .bind(m.password.as_deref().unwrap_or_default())
            .bind(&m.folder)
            .bind(m.active)
            .bind(now),
        )
        .await?)
    }

    async fn update_mailbox(&self, id: i64, m: &NewMailbox) -> StoreResult<bool> {
        let done = write_one(
            self,
            sqlx::query(
                "UPDATE mailboxes SET team_id = $1, host = $2, port = $3, tls = $4, \
                 username = $5, password = CASE WHEN $6 THEN $7 ELSE password END, \
                 folder = $8, active = $9, \
                 updated_at = CASE WHEN $10 > updated_at THEN $10 ELSE updated_at + 1 END, lease_owner = NULL, \
                 lease_until = NULL, last_poll_at = NULL, last_ok_at = NULL, last_error = NULL, \
                 fetched = 0 WHERE id = $11",
            )
            .bind(m.team_id)
            .bind(&m.host)
            .bind(i64::from(m.port))
            .bind(m.tls)
            .bind(&m.username)
            .bind(m.password.is_some())
            .bind(m.password.as_deref().unwrap_or_default())
            .bind(&m.folder)
            .bind(m.active)
            .bind(ms(crate::clock::now()))
            .bind(id),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_mailbox(&self, id: i64) -> StoreResult<bool> {
        let done = write_one(
            self,
            sqlx::query("DELETE FROM mailboxes WHERE id = $1").bind(id),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_mailbox(
        &self,
        id: i64,
        version: i64,
        owner: &str,
        until: i64,
    ) -> StoreResult<bool> {
        let done = write_one(
            self,
            sqlx::query(
                "UPDATE mailboxes SET lease_owner = $1, lease_until = $2 \
                 WHERE id = $3 AND updated_at = $4 AND active \
                 AND (lease_owner IS NULL OR lease_owner = $1 OR lease_until < $5)",
            )
            .bind(owner)
            .bind(until)
            .bind(id)
            .bind(version)
            .bind(ms(crate::clock::now())),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn mailbox_polled(
        &self,
        id: i64,
        version: i64,
        owner: &str,
        p: &Polled<'_>,
    ) -> StoreResult<()> {
        write_one(
            self,
            sqlx::query(
                "UPDATE mailboxes SET last_poll_at = $1, \
                 last_ok_at = CASE WHEN $2 THEN last_ok_at ELSE $1 END, last_error = $3, \
                 fetched = fetched + $4 WHERE id = $5 AND updated_at = $6 AND lease_owner = $7",
            )
            .bind(p.at)
            .bind(p.error.is_some())
            .bind(p.error)
            .bind(i64::try_from(p.fetched).unwrap_or(i64::MAX))
            .bind(id)
            .bind(version)
            .bind(owner),
        )
        .await?;
        Ok(())
    }
}
