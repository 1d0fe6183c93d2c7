//! The one implementation of [`TeamStore`], compiled into each backend against its seam
//! (see `store/shared/calls.rs`).

use agentdesk_protocol::{TeamRef, TeamSummary};
use async_trait::async_trait;

use super::{Backend, begin_write, ms};
use crate::store::StoreResult;
use crate::store::teams::{TeamDeleted, TeamStore};

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl TeamStore for Backend {
    async fn team_summaries(&self) -> StoreResult<Vec<TeamSummary>> {
        let rows: Vec<(i64, String, Option<i64>, i64, i64)> = sqlx::query_as(
            "SELECT t.id, t.name, t.archived_at, \
             (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id), \
             (SELECT COUNT(*) FROM contacts c WHERE c.team_id = t.id) \
             FROM teams t ORDER BY t.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, archived_at, members, contacts)| TeamSummary {
                id,
                name,
                archived: archived_at.is_some(),
                members: count(members),
                contacts: count(contacts),
            })
            .collect())
    }

    async fn update_team(
        &self,
        id: i64,
        name: Option<&str>,
        archived: Option<bool>,
    ) -> StoreResult<Option<TeamRef>> {
        let mut tx = begin_write(self).await?;
        let row: Option<(i64, String)> = sqlx::query_as(
            "UPDATE teams SET name = COALESCE($1, name), archived_at = CASE WHEN NOT $2 \
             THEN archived_at WHEN $3 THEN COALESCE(archived_at, $4) ELSE NULL END \
             WHERE id = $5 RETURNING id, name",
        )
        .bind(name)
        .bind(archived.is_some())
        .bind(archived.unwrap_or(false))
        .bind(ms(crate::clock::now()))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(crate::store::already_exists(format!(
            "a team named `{}`",
            name.unwrap_or_default()
        )))?;
        tx.commit().await?;
        Ok(row.map(|(id, name)| TeamRef { id, name }))
    }

    async fn delete_team(&self, id: i64) -> StoreResult<TeamDeleted> {
        let mut tx = begin_write(self).await?;
        let Some((members, contacts, integrations)): Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM team_members WHERE team_id = t.id), \
             (SELECT COUNT(*) FROM contacts WHERE team_id = t.id), \
             (SELECT COUNT(*) FROM integrations WHERE team_id = t.id) \
             + (SELECT COUNT(*) FROM mailboxes WHERE team_id = t.id) FROM teams t WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(TeamDeleted::NotFound);
        };
        if members + contacts + integrations > 0 {
            return Ok(TeamDeleted::InUse {
                members: count(members),
                contacts: count(contacts),
                integrations: count(integrations),
            });
        }
        // Anything else that names the team (its events, calls, logs, settings) keeps it:
        // the foreign keys say so, and history is not deleted with a team.
        match sqlx::query("DELETE FROM teams WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
        {
            Ok(_) => {}
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                return Ok(TeamDeleted::HasHistory);
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(TeamDeleted::Done)
    }
}
