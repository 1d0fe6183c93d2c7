//! The one implementation of [`AccountStore`], compiled into each backend against its
//! seam (see `store/shared/calls.rs`): teams, users, sessions, login failures, audit.

use agentdesk_protocol::{Me, Role, TeamRef, UpdateMe, UpdateUser, UserSummary};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{
    Backend, FOR_UPDATE, begin_write, from_ms, insert_returning_id, ms, role, same_username,
    scoped, write_one,
};
use crate::store::accounts::{
    AccountStore, AuditFilter, AuditRow, MeRow, UserChanged, UserTeamRow, team,
};
use crate::store::{AuditEntry, FailureWindow, NewUser, SessionUser, StoreResult, Viewer};

#[async_trait]
impl AccountStore for Backend {
    async fn create_team(&self, name: &str) -> StoreResult<TeamRef> {
        let id: i64 = insert_returning_id(
            self,
            sqlx::query_scalar("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(ms(crate::clock::now())),
        )
        .await
        .map_err(crate::store::already_exists(format!("team `{name}`")))?;
        Ok(TeamRef {
            id,
            name: name.to_string(),
        })
    }

    async fn team_by_name(&self, name: &str) -> StoreResult<Option<TeamRef>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM teams WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(team))
    }

    async fn list_teams(&self, viewer: &Viewer) -> StoreResult<Vec<TeamRef>> {
        let sql = format!(
            "SELECT t.id, t.name FROM teams t WHERE {} ORDER BY t.name",
            scoped("t.id")
        );
        let rows: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(team).collect())
    }

    async fn create_user(&self, u: NewUser) -> StoreResult<i64> {
        let mut tx = begin_write(self).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, password_hash, role, can_email, locale, \
             time_zone, ucontact_agent, email, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(&u.password_hash)
        .bind(u.role.as_str())
        .bind(u.can_email)
        .bind(u.locale.as_str())
        .bind(&u.time_zone)
        .bind(&u.ucontact_agent)
        .bind(&u.email)
        .bind(ms(crate::clock::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::store::already_exists(format!(
            "user `{}`, or a user with this e-mail address or uContact agent name,",
            u.username
        )))?;
        for team in &u.team_ids {
            sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
                .bind(team)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn credentials(&self, username: &str) -> StoreResult<Option<(i64, String)>> {
        let sql = format!(
            "SELECT id, password_hash FROM users WHERE {} AND deactivated_at IS NULL",
            same_username("username", 1)
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn me(&self, user_id: i64) -> StoreResult<Option<Me>> {
        let Some(r): Option<MeRow> = sqlx::query_as(
            "SELECT id, username, display_name, role, can_email, locale, time_zone, ucontact_agent, \
             email, signature, must_change_password FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let teams: Vec<(i64, String)> = sqlx::query_as(
            "SELECT t.id, t.name FROM teams t JOIN team_members m ON m.team_id = t.id \
             WHERE m.user_id = $1 ORDER BY t.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(r.into_me(teams.into_iter().map(team).collect())?))
    }

    async fn update_me(&self, user_id: i64, update: &UpdateMe) -> StoreResult<()> {
        // `email`: absent keeps it, "" removes it (the route has checked it).
        let email = update.email.as_deref().map(str::trim);
        write_one(self, sqlx::query(
            "UPDATE users SET locale = COALESCE($1, locale), time_zone = COALESCE($2, time_zone), \
             email = CASE WHEN $3 THEN NULLIF($4, '') ELSE email END, \
             signature = CASE WHEN $6 THEN NULLIF($7, '') ELSE signature END WHERE id = $5",
        )
        .bind(update.locale.map(|l| l.as_str()))
        .bind(update.time_zone.as_deref())
        .bind(email.is_some())
        .bind(email.unwrap_or(""))
        .bind(user_id)
        .bind(update.signature.is_some())
        .bind(update.signature.as_deref().map(str::trim_end).unwrap_or("")))
        .await
        .map_err(crate::store::already_exists("a user with this e-mail address".to_string()))?;
        Ok(())
    }

    async fn list_users(&self, viewer: &Viewer) -> StoreResult<Vec<UserSummary>> {
        // One query for users and their teams (no N+1): rows are (user, team) pairs.
        let sql = format!(
            "SELECT u.id, u.username, u.display_name, u.role, u.can_email, u.deactivated_at, \
             u.locale, u.time_zone, u.ucontact_agent, u.email, u.must_change_password, \
             t.id AS team_id, \
             t.name AS team_name \
             FROM users u LEFT JOIN team_members m ON m.user_id = u.id AND {} \
             LEFT JOIN teams t ON t.id = m.team_id \
             WHERE $1 OR u.id IN (SELECT m2.user_id FROM team_members m2 WHERE {}) \
             ORDER BY u.display_name, u.id, t.name",
            // A shared user's other teams are not the viewer's to know.
            scoped("m.team_id"),
            scoped("m2.team_id")
        );
        let rows: Vec<UserTeamRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(viewer.all_teams())
            .bind(viewer.user_id)
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<UserSummary> = Vec::new();
        for r in rows {
            if out.last().map(|u| u.id) != Some(r.id) {
                out.push(UserSummary {
                    id: r.id,
                    username: r.username,
                    display_name: r.display_name,
                    role: role(&r.role)?,
                    can_email: r.can_email,
                    teams: Vec::new(),
                    active: r.deactivated_at.is_none(),
                    locale: r
                        .locale
                        .parse()
                        .map_err(|e| crate::store::corrupt("locale", e))?,
                    time_zone: r.time_zone,
                    ucontact_agent: r.ucontact_agent,
                    email: r.email,
                    must_change_password: r.must_change_password,
                    // Filled in by the route, which knows the throttling rule.
                    locked: false,
                });
            }
            if let (Some(id), Some(name)) = (r.team_id, r.team_name)
                && let Some(u) = out.last_mut()
            {
                u.teams.push(TeamRef { id, name });
            }
        }
        Ok(out)
    }

    async fn update_user(&self, id: i64, c: &UpdateUser) -> StoreResult<UserChanged> {
        let mut tx = begin_write(self).await?;
        // Every active admin's row is locked first: two admins demoting each other at once
        // cannot both count on the other staying one.
        let admins: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM users WHERE role = 'admin' AND deactivated_at IS NULL \
             ORDER BY id{FOR_UPDATE}"
        )))
        .fetch_all(&mut *tx)
        .await?;
        let row: Option<(String, Option<i64>)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT role, deactivated_at FROM users WHERE id = $1{FOR_UPDATE}"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((old_role, deactivated_at)) = row else {
            return Ok(UserChanged::NotFound);
        };
        let active_now = deactivated_at.is_none();
        let admin_now = old_role == "admin" && active_now;
        let admin_after = c.role.map_or(old_role == "admin", |r| r == Role::Admin)
            && c.active.unwrap_or(active_now);
        if admin_now && !admin_after && admins.iter().all(|a| *a == id) {
            return Ok(UserChanged::LastAdmin);
        }
        sqlx::query(
            "UPDATE users SET display_name = COALESCE($1, display_name), role = COALESCE($2, role), \
             can_email = COALESCE($3, can_email), locale = COALESCE($4, locale), \
             time_zone = COALESCE($5, time_zone), \
             deactivated_at = CASE WHEN NOT $6 THEN deactivated_at WHEN $7 THEN NULL \
             ELSE COALESCE(deactivated_at, $8) END, \
             ucontact_agent = CASE WHEN $10 THEN NULLIF($11, '') ELSE ucontact_agent END, \
             email = CASE WHEN $12 THEN NULLIF($13, '') ELSE email END WHERE id = $9",
        )
        .bind(c.display_name.as_deref().map(str::trim))
        .bind(c.role.map(|r| r.as_str()))
        .bind(c.can_email)
        .bind(c.locale.map(|l| l.as_str()))
        .bind(c.time_zone.as_deref())
        .bind(c.active.is_some())
        .bind(c.active.unwrap_or(true))
        .bind(ms(crate::clock::now()))
        .bind(id)
        .bind(c.ucontact_agent.is_some())
        .bind(c.ucontact_agent.as_deref().map(str::trim).unwrap_or(""))
        .bind(c.email.is_some())
        .bind(c.email.as_deref().map(str::trim).unwrap_or(""))
        .execute(&mut *tx)
        .await
        .map_err(crate::store::already_exists(
            "a user with this e-mail address or uContact agent name".to_string(),
        ))?;
        if let Some(teams) = &c.teams {
            sqlx::query("DELETE FROM team_members WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for team in teams {
                sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
                    .bind(team)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut ended_sessions = Vec::new();
        if c.active == Some(false) {
            ended_sessions =
                sqlx::query_scalar("DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
        }
        tx.commit().await?;
        Ok(UserChanged::Done { ended_sessions })
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        password_hash: &str,
        expires_at: DateTime<Utc>,
        ip: Option<&str>,
    ) -> StoreResult<bool> {
        let done = write_one(
            self,
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, ip) \
                 SELECT $1, $2, $3, $4, $5 WHERE EXISTS \
                 (SELECT 1 FROM users WHERE id = $2 AND password_hash = $6)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(ms(crate::clock::now()))
            .bind(ms(expires_at))
            .bind(ip)
            .bind(password_hash),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        renew_to: DateTime<Utc>,
    ) -> StoreResult<Option<SessionUser>> {
        let Some((user_id, user_role, can_email, expires_ms, must_change_password)) =
            sqlx::query_as::<_, (i64, String, bool, i64, bool)>(
                "SELECT u.id, u.role, u.can_email, s.expires_at, u.must_change_password \
             FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 \
             AND u.deactivated_at IS NULL",
            )
            .bind(token_hash)
            .bind(ms(now))
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut expires_at = from_ms(expires_ms);
        // Renew only past half-life, so most requests stay read-only.
        if (expires_at - now) < (renew_to - now) / 2 {
            write_one(
                self,
                sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
                    .bind(ms(renew_to))
                    .bind(token_hash),
            )
            .await?;
            expires_at = renew_to;
        }
        Ok(Some(SessionUser {
            viewer: Viewer {
                user_id,
                role: role(&user_role)?,
                can_email,
            },
            expires_at,
            must_change_password,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        write_one(
            self,
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash),
        )
        .await?;
        Ok(())
    }

    async fn record_login_failure(&self, username: &str, ip: &str) -> StoreResult<()> {
        write_one(
            self,
            sqlx::query("INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3)")
                .bind(username)
                .bind(ip)
                .bind(ms(crate::clock::now())),
        )
        .await?;
        Ok(())
    }

    async fn login_failures(
        &self,
        username: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(FailureWindow, FailureWindow)> {
        // The username's failures from this address only: failures elsewhere cannot
        // lock a user out.
        let user = same_username("username", 1);
        let sql = format!(
            "SELECT \
               (SELECT COUNT(*) FROM login_failures WHERE {user} AND ip = $2 AND at > $3), \
               (SELECT MIN(at) FROM login_failures WHERE {user} AND ip = $2 AND at > $3), \
               (SELECT MAX(at) FROM login_failures WHERE {user} AND ip = $2 AND at > $3), \
               (SELECT COUNT(*) FROM login_failures WHERE ip = $2 AND at > $3), \
               (SELECT MIN(at) FROM login_failures WHERE ip = $2 AND at > $3), \
               (SELECT MAX(at) FROM login_failures WHERE ip = $2 AND at > $3)"
        );
        type Windows = (i64, Option<i64>, Option<i64>, i64, Option<i64>, Option<i64>);
        let r: Windows = sqlx::query_as(AssertSqlSafe(sql))
            .bind(username)
            .bind(ip)
            .bind(ms(since))
            .fetch_one(&self.pool)
            .await?;
        let window = |c: i64, o: Option<i64>, l: Option<i64>| FailureWindow {
            count: u32::try_from(c).unwrap_or(u32::MAX),
            oldest: o.map(from_ms),
            latest: l.map(from_ms),
        };
        Ok((window(r.0, r.1, r.2), window(r.3, r.4, r.5)))
    }

    async fn clear_login_failures(&self, username: &str, ip: &str) -> StoreResult<()> {
        let sql = format!(
            "DELETE FROM login_failures WHERE {} AND ip = $2",
            same_username("username", 1)
        );
        write_one(
            self,
            sqlx::query(AssertSqlSafe(sql)).bind(username).bind(ip),
        )
        .await?;
        Ok(())
    }

    async fn audit(&self, e: AuditEntry) -> StoreResult<()> {
        write_one(self, sqlx::query("INSERT INTO audit_log (user_id, username, action, target, ip, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(e.user_id)
            .bind(e.username)
            .bind(e.action)
            .bind(e.target)
            .bind(e.ip)
            .bind(ms(crate::clock::now())))
            .await?;
        Ok(())
    }

    async fn audit_log(
        &self,
        f: &AuditFilter,
        limit: u32,
    ) -> StoreResult<Vec<agentdesk_protocol::AuditRecord>> {
        // The actor named by the user row when the record has no typed username (all
        // but sign-in attempts); a prefix compared as text, so `_` matches only `_`. Only
        // the filters set become conditions, so that each can use its index.
        let mut q = sqlx::QueryBuilder::<super::Db>::new(
            "SELECT a.id, a.at, a.user_id, COALESCE(a.username, u.username) AS username, \
             a.action, a.target, a.ip FROM audit_log a LEFT JOIN users u ON u.id = a.user_id \
             WHERE 1 = 1",
        );
        if let Some(user) = f.user_id {
            q.push(" AND a.user_id = ").push_bind(user);
        }
        if let Some(prefix) = &f.action_prefix {
            q.push(" AND substr(a.action, 1, length(")
                .push_bind(prefix.clone())
                .push(")) = ")
                .push_bind(prefix.clone());
        }
        if let Some(target) = &f.target {
            q.push(" AND a.target = ").push_bind(target.clone());
        }
        if let Some(from) = f.from_ms {
            q.push(" AND a.at >= ").push_bind(from);
        }
        if let Some(to) = f.to_ms {
            q.push(" AND a.at < ").push_bind(to);
        }
        if let Some(before) = f.before {
            q.push(" AND a.id < ").push_bind(before);
        }
        q.push(" ORDER BY a.id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows: Vec<AuditRow> = q.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
