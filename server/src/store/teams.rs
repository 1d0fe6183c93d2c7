//! Teams as admins manage them: the overview (members, contacts, archived), a new name,
//! archiving, and deleting one that never held anything. One implementation for both
//! backends (`store/shared/teams.rs`).

use agentdesk_protocol::{TeamRef, TeamSummary};
use async_trait::async_trait;

use super::StoreResult;

/// What became of a team's deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamDeleted {
    Done,
    NotFound,
    /// Members, contacts or integrations are still the team's.
    InUse {
        members: u64,
        contacts: u64,
        integrations: u64,
    },
    /// Other records (history: calls, e-mail, events, logs) still name the team.
    HasHistory,
}

#[async_trait]
pub trait TeamStore: Send + Sync {
    /// Every team, by name, with its counts.
    async fn team_summaries(&self) -> StoreResult<Vec<TeamSummary>>;
    /// Rename and/or (un)archive team `id`; `None`: no such team. A name another team has
    /// is a conflict.
    async fn update_team(
        &self,
        id: i64,
        name: Option<&str>,
        archived: Option<bool>,
    ) -> StoreResult<Option<TeamRef>>;
    /// Delete team `id` if nothing is or was ever its.
    async fn delete_team(&self, id: i64) -> StoreResult<TeamDeleted>;
}
