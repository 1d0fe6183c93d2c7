//! The one implementation of [`SupervisionStore`], compiled into each backend (its
//! module there is this file).

use agentdesk_protocol::{
    Board, CONNECTION_EVENTS_PAGE_SIZE, ConnectionEvent, ConnectionEventPage, QueueLogEntry,
    TeamRef,
};
use async_trait::async_trait;

use super::{Backend, in_opt_ids, opt_ids_param};
use crate::store::supervision::{
    BoardAgentRow, ConnectionEventRow, QueueLogEntryRow, SupervisionStore,
};
use crate::store::{StoreResult, Viewer};

const EVENT_SELECT: &str =
    "SELECT id, user_id, at, type, value, reason, session_id FROM connection_events";

#[async_trait]
impl SupervisionStore for Backend {
    async fn can_watch(&self, viewer: &Viewer, user_id: i64) -> StoreResult<bool> {
        if viewer.user_id == user_id {
            return Ok(true);
        }
        if viewer.role == agentdesk_protocol::Role::Agent {
            return Ok(false);
        }
        let ok: bool = sqlx::query_scalar(
            // A supervisor watches the agents and supervisors of their teams; an
            // admin's log is for admins only, whatever teams the admin is in.
            "SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = $3 AND ($1 OR (u.role != 'admin' AND EXISTS \
             (SELECT 1 FROM team_members a JOIN team_members b ON a.team_id = b.team_id \
              WHERE a.user_id = $2 AND b.user_id = $3))))",
        )
        .bind(viewer.all_teams())
        .bind(viewer.user_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(ok)
    }

    async fn queue_log_page(
        &self,
        agent: &str,
        teams: Option<&[i64]>,
        from: i64,
        to: i64,
        page: u32,
    ) -> StoreResult<(Vec<agentdesk_protocol::QueueLogEntry>, u64)> {
        let where_sql = format!(
            "agent = $1 AND {} AND datetime >= $3 AND datetime < $4",
            in_opt_ids("team_id", 2)
        );
        let teams = opt_ids_param(teams);
        let mut conn = self.pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM queue_log WHERE {where_sql}"
        )))
        .bind(agent)
        .bind(&teams)
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        let size = i64::from(agentdesk_protocol::CONNECTION_EVENTS_PAGE_SIZE);
        // Past the last page: the last page (as the connection log answers).
        let pages = u32::try_from((total.max(1) + size - 1) / size).unwrap_or(u32::MAX);
        let page = page.clamp(1, pages);
        let rows: Vec<QueueLogEntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT datetime, COALESCE(callid, '') AS callid, COALESCE(queuename, '') AS queuename, \
               event, COALESCE(data1, '') AS data1, COALESCE(data2, '') AS data2, \
               COALESCE(data3, '') AS data3, COALESCE(data4, '') AS data4, \
               COALESCE(data5, '') AS data5 \
             FROM queue_log WHERE {where_sql} ORDER BY datetime DESC, id DESC \
             LIMIT {size} OFFSET $5"
        )))
        .bind(agent)
        .bind(&teams)
        .bind(from)
        .bind(to)
        .bind(i64::from(page - 1) * size)
        .fetch_all(&mut *conn)
        .await?;
        let items = rows.into_iter().map(QueueLogEntry::from).collect();
        Ok((items, u64::try_from(total).unwrap_or(0)))
    }

    async fn connection_events(
        &self,
        user_id: i64,
        from: Option<i64>,
        to: Option<i64>,
        page: u32,
    ) -> StoreResult<ConnectionEventPage> {
        let from = from.unwrap_or(i64::MIN);
        let to = to.unwrap_or(i64::MAX);
        let mut conn = self.pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connection_events WHERE user_id = $1 AND at >= $2 AND at < $3",
        )
        .bind(user_id)
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        let size = u64::from(CONNECTION_EVENTS_PAGE_SIZE);
        let total = u64::try_from(total).unwrap_or(0);
        let pages = u32::try_from(total.div_ceil(size).max(1)).unwrap_or(u32::MAX);
        let page = page.clamp(1, pages);
        let rows: Vec<ConnectionEventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{EVENT_SELECT} WHERE user_id = $1 AND at >= $2 AND at < $3 \
             ORDER BY at DESC, id DESC LIMIT {CONNECTION_EVENTS_PAGE_SIZE} OFFSET $4"
        )))
        .bind(user_id)
        .bind(from)
        .bind(to)
        .bind(i64::from(page - 1) * i64::from(CONNECTION_EVENTS_PAGE_SIZE))
        .fetch_all(&mut *conn)
        .await?;
        Ok(ConnectionEventPage {
            items: rows
                .into_iter()
                .map(ConnectionEventRow::into_event)
                .collect::<StoreResult<_>>()?,
            total,
            page,
            pages,
            // The route fills in the date range it asked for.
            from: Default::default(),
            to: Default::default(),
        })
    }

    async fn connection_events_range(
        &self,
        user_id: i64,
        from: i64,
        to: i64,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<ConnectionEvent>> {
        let rows: Vec<ConnectionEventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{EVENT_SELECT} WHERE user_id = $1 AND at >= $2 AND at < $3 AND id > $4 \
             ORDER BY id LIMIT $5"
        )))
        .bind(user_id)
        .bind(from)
        .bind(to)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(ConnectionEventRow::into_event)
            .collect()
    }

    async fn status_at(&self, user_id: i64, t: i64) -> StoreResult<Option<(String, bool)>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT value, {} AS online \
             FROM connection_events WHERE user_id = $1 AND at < $2 \
             ORDER BY at DESC, id DESC LIMIT 1",
            super::status_rollup::online("$1", Some("$2"))
        )))
        .bind(user_id)
        .bind(t)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn board(&self, viewer: &Viewer) -> StoreResult<Board> {
        let mut conn = self.pool.acquire().await?;
        // Members of the viewer's teams, their presence and their active call — only a
        // call of one of the viewer's teams: an agent in two teams may be on the other
        // team's call, whose number and customer are not the viewer's to see. One query,
        // plus one for the team names of all of them.
        let rows: Vec<BoardAgentRow> = sqlx::query_as(
            "SELECT u.id, u.display_name, u.username, p.session_id, \
             COALESCE(p.connected, FALSE) AS connected, \
             COALESCE(p.status, 'disconnected') AS status, \
             COALESCE(p.since, u.created_at) AS since, p.pending, \
             c.guid, c.destination, c.campaign, c.contact_id, k.name AS contact_name, c.ring_at \
             FROM users u \
             LEFT JOIN agent_presence p ON p.user_id = u.id \
             LEFT JOIN calls c ON c.id = (SELECT id FROM calls WHERE user_id = u.id AND end_at IS NULL \
                 AND ($1 OR team_id IN (SELECT team_id FROM team_members WHERE user_id = $2)) \
                 ORDER BY ring_at DESC LIMIT 1) \
             LEFT JOIN contacts k ON k.id = c.contact_id \
             WHERE u.role != 'admin' AND ($1 OR u.id IN (SELECT b.user_id FROM team_members a \
                 JOIN team_members b ON a.team_id = b.team_id WHERE a.user_id = $2)) \
             ORDER BY u.display_name, u.id",
        )
        .bind(viewer.all_teams())
        .bind(viewer.user_id)
        .fetch_all(&mut *conn)
        .await?;
        let memberships: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT m.user_id, t.id, t.name FROM team_members m JOIN teams t ON t.id = m.team_id \
             WHERE $1 OR m.team_id IN (SELECT team_id FROM team_members WHERE user_id = $2) \
             ORDER BY t.name",
        )
        .bind(viewer.all_teams())
        .bind(viewer.user_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut teams: std::collections::HashMap<i64, Vec<TeamRef>> = Default::default();
        for (user_id, id, name) in memberships {
            teams.entry(user_id).or_default().push(TeamRef { id, name });
        }
        let agents = rows
            .into_iter()
            .map(|r| {
                let teams = teams.remove(&r.id).unwrap_or_default();
                r.into_row(teams)
            })
            .collect();
        Ok(Board { agents })
    }
}
