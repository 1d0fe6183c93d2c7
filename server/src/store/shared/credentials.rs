//! The one implementation of [`CredentialStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{Backend, begin_write, ms, same_username, write_one};
use crate::store::StoreResult;
use crate::store::credentials::CredentialStore;

#[async_trait]
impl CredentialStore for Backend {
    async fn password_hash(&self, user_id: i64) -> StoreResult<Option<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT username, password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        must_change: bool,
        keep: Option<&str>,
        was: Option<&str>,
    ) -> StoreResult<Option<Vec<String>>> {
        let mut tx = begin_write(self).await?;
        let changed = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3 \
             AND ($4 IS NULL OR password_hash = $4) \
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = $5 \
             AND s.user_id = $3))",
        )
        .bind(hash)
        .bind(must_change)
        .bind(user_id)
        .bind(was)
        .bind(keep)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        // Whoever held the old password may hold a session too: all of them end, but
        // the one that proved it knows the old password by changing it.
        let ended: Vec<String> = sqlx::query_scalar(
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2 RETURNING token_hash",
        )
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(ended))
    }

    async fn unlock(&self, username: &str) -> StoreResult<u64> {
        let sql = format!(
            "DELETE FROM login_failures WHERE {}",
            same_username("username", 1)
        );
        Ok(
            write_one(self, sqlx::query(AssertSqlSafe(sql)).bind(username))
                .await?
                .rows_affected(),
        )
    }

    async fn throttled_usernames(
        &self,
        since: DateTime<Utc>,
        min_failures: u32,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            // Grouped as sign-in matches usernames: ignoring case.
            "SELECT DISTINCT typed FROM (SELECT lower(username) AS typed FROM login_failures \
             WHERE at > $1 GROUP BY lower(username), ip HAVING COUNT(*) >= $2) AS held",
        )
        .bind(ms(since))
        .bind(i64::from(min_failures))
        .fetch_all(&self.pool)
        .await?)
    }
}
