//! Storage behind one async trait, so the rest of the server never sees SQL dialects.
//!
//! Every read that returns team data takes a [`Viewer`] and applies team scoping inside
//! the query: a caller can never receive a row of a team they are not in, whatever the
//! route does. Backends are chosen by the database URL ([`open`]).

mod sqlite;

use std::sync::Arc;

use agentdesk_protocol::{
    Activity, ActivityDetail, ActivityKind, Contact, ContactSummary, Me, Role, TeamRef, UpdateMe,
    UserSummary,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the message names what.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached right now (pool timeout, I/O, locked for too long).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Who is asking, as far as scoping goes. Built from the session on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: i64,
    pub role: Role,
    /// May read email content.
    pub can_email: bool,
}

impl Viewer {
    /// Admins administer every team; everyone else sees only the teams they belong to.
    pub fn all_teams(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub can_email: bool,
    pub locale: agentdesk_protocol::Locale,
    pub time_zone: String,
    pub ucontact_agent: Option<String>,
    pub team_ids: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct NewContact {
    pub team_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub attributes: std::collections::BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
}

/// Content of an email, stored apart from its activity.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub message_id: Option<String>,
    pub subject: String,
    pub sender: String,
    pub snippet: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct NewActivity {
    pub team_id: i64,
    pub contact_id: i64,
    pub user_id: Option<i64>,
    pub model_id: String,
    /// For email, `content` is ignored here: the content goes in `email`.
    pub detail: ActivityDetail,
    pub email: Option<NewEmail>,
    pub occurred_at: DateTime<Utc>,
}

impl NewActivity {
    pub fn kind(&self) -> ActivityKind {
        self.detail.kind()
    }
}

/// The user behind a valid session.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub viewer: Viewer,
    pub expires_at: DateTime<Utc>,
}

/// A failed-login count within a window, and the oldest failure in it.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailureWindow {
    pub count: u32,
    pub oldest: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub action: &'static str,
    pub target: Option<String>,
    pub ip: Option<String>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Apply pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Cheap round trip, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
    /// True when no user exists yet (a first start).
    async fn is_empty(&self) -> StoreResult<bool>;

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

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
        ip: Option<&str>,
    ) -> StoreResult<()>;
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
    async fn clear_login_failures(&self, username: &str) -> StoreResult<()>;

    /// Contacts visible to the viewer whose name, phone or email matches `query`,
    /// ordered by name then id, starting after the `(name, id)` cursor.
    async fn search_contacts(
        &self,
        viewer: &Viewer,
        query: Option<&str>,
        after: Option<(&str, i64)>,
        limit: u32,
    ) -> StoreResult<Vec<ContactSummary>>;
    async fn contact(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<Contact>>;
    async fn create_contact(&self, contact: NewContact) -> StoreResult<i64>;

    /// Insert activities (and their email content) in one transaction.
    async fn insert_activities(&self, activities: &[NewActivity]) -> StoreResult<()>;
    /// The newest `limit` activities of a contact visible to the viewer, email content
    /// withheld without the email permission. `None` when the contact is not visible.
    async fn recent_activities(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        limit: u32,
    ) -> StoreResult<Option<Vec<Activity>>>;
    /// One activity, if visible to the viewer.
    async fn activity(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<Activity>>;

    async fn audit(&self, entry: AuditEntry) -> StoreResult<()>;
    /// The newest audit records, newest first.
    async fn audit_log(&self, limit: u32) -> StoreResult<Vec<agentdesk_protocol::AuditRecord>>;
}

pub type DynStore = Arc<dyn Store>;

/// Open the backend the URL names. Only `sqlite:` is built in so far.
pub async fn open(url: &str) -> anyhow::Result<DynStore> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else {
        anyhow::bail!("unsupported database URL `{url}`: use sqlite://path/to/file.db")
    }
}
