//! The one implementation of [`ContactStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`): contact search, read, create, correct, and the
//! screen pop's find-or-create by the CRM's id or the number.

use agentdesk_protocol::{Contact, ContactSummary};
use async_trait::async_trait;
use sqlx::AssertSqlSafe;

use super::ingest::create_contact;
use super::{
    Backend, Db, begin_bulk, begin_write, ids_param, in_ids, insert_returning_id, lock_keys, ms,
    same_email, scoped, write_one,
};
use crate::store::contacts::{ContactRow, ContactStore, ContactSummaryRow};
use crate::store::ingest::{ContactSeed, LinkKey, contact_lock_key};
use crate::store::{NewContact, StoreError, StoreResult, Viewer};
use crate::text::{contact_key, fold};

/// The one linking rule's lookup: the contact of the team that the first key (external
/// id, phone, e-mail without case, in the order given) finds.
pub(crate) async fn find_contact(
    conn: &mut <Db as sqlx::Database>::Connection,
    team_id: i64,
    keys: &[LinkKey],
) -> StoreResult<Option<i64>> {
    let by_email = format!(
        "SELECT id FROM contacts WHERE team_id = $1 AND {} ORDER BY id LIMIT 1",
        same_email("email", "$2")
    );
    for k in keys {
        let (sql, v) = match k {
            LinkKey::ExternalId(v) => (
                "SELECT id FROM contacts WHERE team_id = $1 AND external_id = $2 ORDER BY id LIMIT 1",
                v,
            ),
            LinkKey::Phone(v) => (
                "SELECT id FROM contacts WHERE team_id = $1 AND phone = $2 ORDER BY id LIMIT 1",
                v,
            ),
            LinkKey::Email(v) => (by_email.as_str(), v),
        };
        let id: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(team_id)
            .bind(v)
            .fetch_optional(&mut *conn)
            .await?;
        if id.is_some() {
            return Ok(id);
        }
    }
    Ok(None)
}

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
            "SELECT c.id, c.name, c.phone, c.email, t.id AS team_id, t.name AS team_name, \
               c.last_activity_at \
             FROM contacts c JOIN teams t ON t.id = c.team_id \
             WHERE {} \
               AND ($3 IS NULL OR c.search_key LIKE $3 ESCAPE '\\' OR c.phone LIKE $4 ESCAPE '\\') \
               AND ($5 IS NULL OR (c.name, c.id) > ($5, $6)) \
             ORDER BY c.name, c.id LIMIT $7",
            scoped("c.team_id")
        );
        let rows: Vec<ContactSummaryRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(text.as_deref().map(like))
            .bind(digits.as_deref().map(like))
            .bind(after.map(|a| a.0))
            .bind(after.map(|a| a.1))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn contact(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<Contact>> {
        let sql = format!(
            "SELECT c.id, c.name, c.phone, c.email, c.external_id, t.id AS team_id, \
               t.name AS team_name, c.attributes, c.created_at, \
               (SELECT CAST(COALESCE(SUM(k.n), 0) AS BIGINT) FROM activity_counts k \
                WHERE k.contact_id = c.id AND k.kind <> 'follow_up' AND {}) AS activity_count \
             FROM contacts c JOIN teams t ON t.id = c.team_id \
             WHERE c.id = $3 AND {}",
            scoped("k.team_id"),
            scoped("c.team_id")
        );
        let row: Option<ContactRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(ContactRow::into_contact).transpose()
    }

    async fn create_contact(&self, c: NewContact) -> StoreResult<i64> {
        let key = contact_key(&c.name, c.email.as_deref());
        let attributes =
            serde_json::to_string(&c.attributes).map_err(|e| StoreError::Other(e.to_string()))?;
        let id = insert_returning_id(self, sqlx::query_scalar(
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
        .bind(ms(c.created_at)))
        .await?;
        Ok(id)
    }

    async fn update_contact(&self, id: i64, c: &NewContact) -> StoreResult<bool> {
        let key = contact_key(&c.name, c.email.as_deref());
        let attributes =
            serde_json::to_string(&c.attributes).map_err(|e| StoreError::Other(e.to_string()))?;
        let done = write_one(
            self,
            sqlx::query(
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
            .bind(c.team_id),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn contact_for(
        &self,
        viewer: &Viewer,
        external_id: Option<&str>,
        phone: Option<&str>,
        teams: &[i64],
    ) -> StoreResult<Option<(i64, i64, bool)>> {
        let narrowed = |team: i64| teams.is_empty() || teams.contains(&team);
        let external_id = external_id.map(str::trim).filter(|x| !x.is_empty());
        let phone = phone.map(str::trim).filter(|p| !p.is_empty());
        if external_id.is_none() && phone.is_none() {
            return Ok(None);
        }
        // By the CRM's id first: a number may be shared (a family line, a switchboard),
        // the customer id is not.
        for (col, key) in [("external_id", external_id), ("phone", phone)] {
            let Some(key) = key else { continue };
            let sql = format!(
                // Narrowed to the campaign's teams in the query: the first match of
                // another team must not hide one of the right team.
                "SELECT c.id, c.team_id FROM contacts c WHERE c.{col} = $3 AND {} AND {} \
                 ORDER BY c.id LIMIT 1",
                scoped("c.team_id"),
                in_ids("c.team_id", 4)
            );
            let row: Option<(i64, i64)> = sqlx::query_as(AssertSqlSafe(sql))
                .bind(viewer.all_teams())
                .bind(viewer.user_id)
                .bind(key)
                .bind(ids_param(teams))
                .fetch_optional(&self.pool)
                .await?;
            if let Some((id, team_id)) = row {
                return Ok(Some((id, team_id, false)));
            }
        }
        let member: Vec<i64> = sqlx::query_scalar(
            "SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id",
        )
        .bind(viewer.user_id)
        .fetch_all(&self.pool)
        .await?;
        let Some(team_id) = member.into_iter().find(|t| narrowed(*t)) else {
            return Ok(None);
        };
        // Created under the keys an ingest of this customer takes, after looking again in
        // that team: an ingest or another agent's call may have created it meanwhile.
        let mut tx = begin_write(self).await?;
        let keys: Vec<LinkKey> = external_id
            .map(|x| LinkKey::ExternalId(x.to_string()))
            .into_iter()
            .chain(phone.map(|p| LinkKey::Phone(p.to_string())))
            .collect();
        lock_keys(&mut tx, keys.iter().map(|k| contact_lock_key(team_id, k))).await?;
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM contacts WHERE team_id = $1 \
             AND (external_id = $2 OR phone = $3) ORDER BY id LIMIT 1",
        )
        .bind(team_id)
        .bind(external_id)
        .bind(phone)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, created) = match found {
            Some(id) => (id, false),
            None => {
                let seed = ContactSeed {
                    name: phone.or(external_id).unwrap_or_default().to_string(),
                    phone: phone.map(str::to_string),
                    external_id: external_id.map(str::to_string),
                    ..ContactSeed::default()
                };
                (
                    create_contact(&mut tx, team_id, &seed, ms(crate::clock::now())).await?,
                    true,
                )
            }
        };
        tx.commit().await?;
        Ok(Some((id, team_id, created)))
    }
}

impl Backend {
    /// Give every contact whose search key a migration emptied its key under the text
    /// rule of today ([`contact_key`]), 2,000 per transaction in id order. Runs after
    /// migrations, before the server serves.
    pub(crate) async fn refold_contacts(&self) -> StoreResult<()> {
        let mut after = 0_i64;
        loop {
            let mut tx = begin_bulk(self).await?;
            let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT id, name, email FROM contacts WHERE search_key = '' AND id > $1 \
                 ORDER BY id LIMIT 2000",
            )
            .bind(after)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.0;
            for (id, name, email) in &rows {
                sqlx::query("UPDATE contacts SET search_key = $1 WHERE id = $2")
                    .bind(contact_key(name, email.as_deref()))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }
}
