//! Teams, users, sessions, login failures and the audit log: the store's accounts part.
//! One implementation for both backends (`store/shared/accounts.rs`).

use agentdesk_protocol::{AuditRecord, Me, TeamRef, UpdateMe, UserSummary};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, FailureWindow, NewUser, SessionUser, StoreResult, Viewer};

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_team(&self, name: &str) -> StoreResult<TeamRef>;
    async fn team_by_name(&self, name: &str) -> StoreResult<Option<TeamRef>>;
    async fn list_teams(&self, viewer: &Viewer) -> StoreResult<Vec<TeamRef>>;

    async fn create_user(&self, user: NewUser) -> StoreResult<i64>;
    /// Id and password hash of a user, for login.
    async fn credentials(&self, username: &str) -> StoreResult<Option<(i64, String)>>;
    async fn me(&self, user_id: i64) -> StoreResult<Option<Me>>;
    async fn update_me(&self, user_id: i64, update: &UpdateMe) -> StoreResult<()>;
    /// Users sharing a team with the viewer (all users for admins).
    async fn list_users(&self, viewer: &Viewer) -> StoreResult<Vec<UserSummary>>;
    /// Change user `id` as `c` says, in one transaction (`c` checked by the route).
    /// Deactivating deletes their sessions, whose token hashes come back so that their
    /// streams can be ended; a change that would leave no active admin is refused.
    async fn update_user(
        &self,
        id: i64,
        c: &agentdesk_protocol::UpdateUser,
    ) -> StoreResult<UserChanged>;

    /// A session for user `user_id`, if their password is still the one of
    /// `password_hash` (the one just checked): a change committed meanwhile ended every
    /// session, and must end this one too. `false`: not created.
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        password_hash: &str,
        expires_at: DateTime<Utc>,
        ip: Option<&str>,
    ) -> StoreResult<bool>;
    /// The user of a live session; extends it to `renew_to` when it is past half its life.
    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        renew_to: DateTime<Utc>,
    ) -> StoreResult<Option<SessionUser>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    async fn record_login_failure(&self, username: &str, ip: &str) -> StoreResult<()>;
    /// Failures since `since` for this username, and for this address.
    async fn login_failures(
        &self,
        username: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(FailureWindow, FailureWindow)>;
    /// A success from this address clears this username's failures from it (not those
    /// from other addresses: someone else's back-off must not end when the user signs in).
    async fn clear_login_failures(&self, username: &str, ip: &str) -> StoreResult<()>;

    async fn audit(&self, entry: AuditEntry) -> StoreResult<()>;
    /// Audit records `filter` keeps, newest first, at most `limit`.
    async fn audit_log(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> StoreResult<Vec<agentdesk_protocol::AuditRecord>>;
}

/// Which audit records (see `agentdesk_protocol::AuditQuery`): `at` in `[from_ms, to_ms)`,
/// ids below `before`; `None` keeps all.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    pub action_prefix: Option<String>,
    pub target: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub before: Option<i64>,
}

/// A team from its `(id, name)` columns.
pub(crate) fn team((id, name): (i64, String)) -> TeamRef {
    TeamRef { id, name }
}

/// The signed-in user's row, by name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MeRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    can_email: bool,
    locale: String,
    time_zone: String,
    ucontact_agent: Option<String>,
    email: Option<String>,
    signature: Option<String>,
    must_change_password: bool,
}

impl MeRow {
    pub(crate) fn into_me(self, teams: Vec<TeamRef>) -> StoreResult<Me> {
        Ok(Me {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role: super::role(&self.role)?,
            can_email: self.can_email,
            locale: self
                .locale
                .parse()
                .map_err(|e| super::corrupt("locale", e))?,
            time_zone: self.time_zone,
            ucontact_agent: self.ucontact_agent,
            email: self.email,
            teams,
            can_delete: false,
            signature: self.signature.unwrap_or_default(),
            must_change_password: self.must_change_password,
        })
    }
}

/// A (user, team) pair of the user list, by name (the team NULL for a user in none the
/// viewer sees).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct UserTeamRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub can_email: bool,
    pub deactivated_at: Option<i64>,
    pub locale: String,
    pub time_zone: String,
    pub ucontact_agent: Option<String>,
    pub email: Option<String>,
    pub must_change_password: bool,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
}

/// An audit-log row, by name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    at: i64,
    user_id: Option<i64>,
    username: Option<String>,
    action: String,
    target: Option<String>,
    ip: Option<String>,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        AuditRecord {
            id: r.id,
            at: super::from_ms(r.at),
            user_id: r.user_id,
            username: r.username,
            action: r.action,
            target: r.target,
            ip: r.ip,
        }
    }
}

/// What became of a change to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChanged {
    /// Done; the sessions it ended (token hashes).
    Done {
        ended_sessions: Vec<String>,
    },
    NotFound,
    /// It would leave no active admin.
    LastAdmin,
}
