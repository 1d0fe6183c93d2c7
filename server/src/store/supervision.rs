//! The reads supervisors (and agents, of themselves) watch agents through: the board,
//! the connection-event log and uContact's queue log. One implementation for both
//! backends (`store/shared/supervision.rs`).

use agentdesk_protocol::{
    AgentStatus, Board, BoardCall, BoardRow, ConnectionEvent, ConnectionEventPage,
    ConnectionEventType, DisconnectReason, QueueLogEntry, TeamRef,
};
use async_trait::async_trait;

use super::{StoreResult, Viewer, corrupt, from_ms};

#[async_trait]
pub trait SupervisionStore: Send + Sync {
    /// May the viewer read this user's status and log? Themselves, anyone sharing a
    /// team for supervisors, everyone for admins.
    async fn can_watch(&self, viewer: &Viewer, user_id: i64) -> StoreResult<bool>;
    /// Newest first, `[from, to)` in ms.
    async fn connection_events(
        &self,
        user_id: i64,
        from: Option<i64>,
        to: Option<i64>,
        page: u32,
    ) -> StoreResult<ConnectionEventPage>;
    /// Oldest first, `[from, to)`, at most `limit` rows after `after_id` (for exports).
    async fn connection_events_range(
        &self,
        user_id: i64,
        from: i64,
        to: i64,
        after_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<ConnectionEvent>>;
    /// The value of the user's last event before `t`, and whether they were online then
    /// (their last `connected`/`reconnected`/`disconnected` before `t`, if any, is not
    /// `disconnected`: `presence::status_time`).
    async fn status_at(&self, user_id: i64, t: i64) -> StoreResult<Option<(String, bool)>>;
    /// A page of the queue_log rows of `agent` (uContact's agent name) in `[from, to)`
    /// (ms) of the teams `teams` (`None`: every team), newest first; the total with it.
    async fn queue_log_page(
        &self,
        agent: &str,
        teams: Option<&[i64]>,
        from: i64,
        to: i64,
        page: u32,
    ) -> StoreResult<(Vec<agentdesk_protocol::QueueLogEntry>, u64)>;
    /// The agents of the viewer's teams with their status and current call.
    async fn board(&self, viewer: &Viewer) -> StoreResult<Board>;
}

/// A connection-log row, by name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ConnectionEventRow {
    id: i64,
    user_id: i64,
    at: i64,
    #[sqlx(rename = "type")]
    kind: String,
    value: String,
    reason: Option<String>,
    session_id: String,
}

impl ConnectionEventRow {
    /// The event; an unknown type or reason is an error, not a guess.
    pub(crate) fn into_event(self) -> StoreResult<ConnectionEvent> {
        let kind = ConnectionEventType::parse(&self.kind)
            .ok_or_else(|| corrupt("event type", &self.kind))?;
        let reason = self
            .reason
            .map(|s| DisconnectReason::parse(&s).ok_or_else(|| corrupt("reason", &s)))
            .transpose()?;
        Ok(ConnectionEvent {
            id: self.id,
            user_id: self.user_id,
            at: from_ms(self.at),
            kind,
            value: self.value,
            reason,
            session_id: self.session_id,
        })
    }
}

/// A queue-log row as the agent's log shows it, by name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct QueueLogEntryRow {
    datetime: i64,
    callid: String,
    queuename: String,
    event: String,
    data1: String,
    data2: String,
    data3: String,
    data4: String,
    data5: String,
}

impl From<QueueLogEntryRow> for QueueLogEntry {
    fn from(r: QueueLogEntryRow) -> Self {
        QueueLogEntry {
            at: from_ms(r.datetime),
            callid: r.callid,
            queue: r.queuename,
            event: r.event,
            data: [r.data1, r.data2, r.data3, r.data4, r.data5],
        }
    }
}

/// An agent's board row, by name: presence and the active call of a team the viewer
/// shares (its columns NULL without one).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BoardAgentRow {
    pub id: i64,
    display_name: String,
    username: String,
    session_id: Option<String>,
    connected: bool,
    status: String,
    since: i64,
    pending: Option<String>,
    guid: Option<String>,
    destination: Option<String>,
    campaign: Option<String>,
    contact_id: Option<i64>,
    contact_name: Option<String>,
    ring_at: Option<i64>,
}

impl BoardAgentRow {
    pub(crate) fn into_row(self, teams: Vec<TeamRef>) -> BoardRow {
        let user_id = self.id;
        let call = match (self.guid, self.contact_id) {
            (Some(guid), Some(contact_id)) => Some(BoardCall {
                guid,
                number: self.destination.unwrap_or_default(),
                campaign: self.campaign.unwrap_or_default(),
                contact_id,
                contact_name: self.contact_name.unwrap_or_default(),
                started_at: from_ms(self.ring_at.unwrap_or_default()),
            }),
            _ => None,
        };
        BoardRow {
            user_id,
            display_name: self.display_name,
            username: self.username,
            teams,
            status: AgentStatus {
                user_id,
                value: self.status,
                since: from_ms(self.since),
                pending: self.pending,
                connected: self.connected,
                session_id: self.session_id,
            },
            call,
        }
    }
}
