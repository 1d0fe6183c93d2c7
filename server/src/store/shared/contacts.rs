//! The one implementation of [`ContactStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`).

use std::collections::BTreeMap;

use agentdesk_protocol::{Contact, ContactSummary, TeamRef};
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};

use super::{Backend, corrupt, from_ms, ms, scoped};
use crate::store::contacts::ContactStore;
use crate::store::{NewContact, StoreError, StoreResult, Viewer};
use crate::text::{contact_key, fold};

#[async_trait]
impl ContactStore for Backend {
    async fn search_contacts(
        &self,
        viewer: &Viewer,
        query: Option<&str>,
        after: Option<(&str, i64)>,
        limit: u32,
    ) -> StoreResult<Vec<ContactSummary>> {
        let text = query.map(fold).filter(|q| !q.is_empty());
        let digits = query.and_then(crate::text::phone_search_digits);
        let like = |s: &str| {
            format!(
                "%{}%",
                s.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        };
        let sql = format!(
            "SELECT c.id, c.name, c.phone, c.email, t.id, t.name, c.last_activity_at \
             FROM contacts c JOIN teams t ON t.id = c.team_id \
             WHERE {} \
               AND ($3 IS NULL OR c.search_key LIKE $3 ESCAPE '\\' OR c.phone LIKE $4 ESCAPE '\\') \
               AND ($5 IS NULL OR (c.name, c.id) > ($5, $6)) \
             ORDER BY c.name, c.id LIMIT $7",
            scoped("c.team_id")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(text.as_deref().map(like))
            .bind(digits.as_deref().map(like))
            .bind(after.map(|a| a.0))
            .bind(after.map(|a| a.1))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ContactSummary {
                id: r.get(0),
                name: r.get(1),
                phone: r.get(2),
                email: r.get(3),
                team: TeamRef {
                    id: r.get(4),
                    name: r.get(5),
                },
                last_activity_at: r.get::<Option<i64>, _>(6).map(from_ms),
            })
            .collect())
    }

    async fn contact(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<Contact>> {
        let sql = format!(
            "SELECT c.id, c.name, c.phone, c.email, c.external_id, t.id, t.name, c.attributes, \
               c.created_at, \
               (SELECT CAST(COALESCE(SUM(k.n), 0) AS BIGINT) FROM activity_counts k WHERE k.contact_id = c.id AND {}) \
             FROM contacts c JOIN teams t ON t.id = c.team_id \
             WHERE c.id = $3 AND {}",
            scoped("k.team_id"),
            scoped("c.team_id")
        );
        let Some(r) = sqlx::query(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let attributes: BTreeMap<String, String> =
            serde_json::from_str(r.get::<&str, _>(7)).map_err(|e| corrupt("attributes", e))?;
        Ok(Some(Contact {
            id: r.get(0),
            name: r.get(1),
            phone: r.get(2),
            email: r.get(3),
            external_id: r.get(4),
            team: TeamRef {
                id: r.get(5),
                name: r.get(6),
            },
            attributes,
            created_at: from_ms(r.get(8)),
            activity_count: u64::try_from(r.get::<i64, _>(9)).unwrap_or(0),
        }))
    }

    async fn create_contact(&self, c: NewContact) -> StoreResult<i64> {
        let key = contact_key(&c.name, c.email.as_deref());
        let attributes =
            serde_json::to_string(&c.attributes).map_err(|e| StoreError::Other(e.to_string()))?;
        let id = sqlx::query_scalar(
            "INSERT INTO contacts (team_id, name, search_key, phone, email, external_id, attributes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(c.team_id)
        .bind(&c.name)
        .bind(key)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(&c.external_id)
        .bind(attributes)
        .bind(ms(c.created_at))
        .fetch_one(self.write_pool())
        .await?;
        Ok(id)
    }

    async fn update_contact(&self, id: i64, c: &NewContact) -> StoreResult<bool> {
        let key = contact_key(&c.name, c.email.as_deref());
        let attributes =
            serde_json::to_string(&c.attributes).map_err(|e| StoreError::Other(e.to_string()))?;
        let done = sqlx::query(
            "UPDATE contacts SET name = $1, search_key = $2, phone = $3, email = $4, \
             external_id = $5, attributes = $6 WHERE id = $7 AND team_id = $8",
        )
        .bind(&c.name)
        .bind(key)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(&c.external_id)
        .bind(attributes)
        .bind(id)
        .bind(c.team_id)
        .execute(self.write_pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
