//! Storage behind one async trait, so the rest of the server never sees SQL dialects.
//!
//! Every read that returns team data takes a [`Viewer`] and applies team scoping inside
//! the query: a caller can never receive a row of a team they are not in, whatever the
//! route does. Backends are chosen by the database URL ([`open`]).

pub mod accounts;
pub mod calls;
pub mod contacts;
pub mod credentials;
pub mod crm;
pub mod events;
pub mod followups;
pub mod ingest;
pub mod integrations;
pub mod mailboxes;
pub mod notifications;
pub mod outbox;
mod postgres;
pub mod reminders;
pub mod reports;
pub mod search;
mod sqlite;
pub mod status;
pub mod supervision;
pub mod teams;
pub mod timeline;

use std::sync::Arc;

use agentdesk_protocol::{ActivityDetail, ActivityKind, Role, ServerEvent};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use timeline::{
    TimelineAnchor, TimelinePage, TimelineRequest, TimelineStore, Walk, WalkFrom, plan_walk,
};

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

/// One mapping of driver errors for both backends: a broken uniqueness rule is a
/// conflict; what may succeed on a retry (no connection, pool exhausted, a lock not had
/// in time) is `Unavailable`; the rest is a plain error.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict("already exists".into())
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) if db.code().is_some_and(|c| transient(&c)) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

/// A driver error, with a broken uniqueness rule named: `what` already exists. Used as
/// `.map_err(already_exists(format!("user `{name}`")))`.
pub(crate) fn already_exists<E: Into<StoreError>>(what: String) -> impl FnOnce(E) -> StoreError {
    move |e| match e.into() {
        StoreError::Conflict(_) => StoreError::Conflict(format!("{what} already exists")),
        other => other,
    }
}

/// Database error codes that mean "try again later". SQLite's are numbers of at most four
/// digits (busy or locked after the busy timeout: 5, 6, or an extended code of theirs
/// such as 517 SQLITE_BUSY_SNAPSHOT); PostgreSQL's are five-character SQLSTATEs
/// (class 08: connection lost; 53: out of resources, e.g. too many connections; 57P0x:
/// the server is shutting down; 40001/40P01: serialisation failure or deadlock, whose
/// transaction was rolled back; 55P03: lock not available).
fn transient(code: &str) -> bool {
    if code.len() != 5 {
        return code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
    }
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P0")
        || matches!(code, "40001" | "40P01" | "55P03")
}

/// Times are stored as milliseconds since the Unix epoch on both backends.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

/// ` AND a.kind …` for a timeline query over these kinds (none: every kind). Kinds are
/// our own enum's names, safe to inline. `unary_plus`: SQLite's hint that keeps its
/// planner on the timeline index (PostgreSQL has no such operator on text).
pub(crate) fn kinds_filter(kinds: &[agentdesk_protocol::ActivityKind], unary_plus: bool) -> String {
    match kinds {
        [] => String::new(),
        [k] => format!(" AND a.kind = '{}'", k.as_str()),
        ks => {
            let list: Vec<String> = ks.iter().map(|k| format!("'{}'", k.as_str())).collect();
            let plus = if unary_plus { "+" } else { "" };
            format!(" AND {plus}a.kind IN ({})", list.join(","))
        }
    }
}

/// The team filter of every scoped query, on the team column `col`. By convention the
/// query binds `$1` = the viewer sees all teams (admin), `$2` = the viewer's user id.
pub(crate) fn scoped(col: &str) -> String {
    format!("($1 OR {col} IN (SELECT team_id FROM team_members WHERE user_id = $2))")
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("unreadable {what} in database: {e}"))
}

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
    /// Validated ([`crate::validate::user_email`]).
    pub email: Option<String>,
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
    pub attachments: Vec<agentdesk_protocol::Attachment>,
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

/// An event as stored in the event log: its position, the team allowed to see it
/// (`None`: everyone signed in) and the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub team_id: Option<i64>,
    pub event: ServerEvent,
}

/// The user behind a valid session.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub viewer: Viewer,
    pub expires_at: DateTime<Utc>,
    /// An admin's temporary password is still theirs (see `CredentialStore`).
    pub must_change_password: bool,
}

/// A failed-login count within a window, and the oldest failure in it.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailureWindow {
    pub count: u32,
    pub oldest: Option<DateTime<Utc>>,
    pub latest: Option<DateTime<Utc>>,
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
pub trait Store:
    accounts::AccountStore
    + contacts::ContactStore
    + events::EventStore
    + integrations::IntegrationStore
    + mailboxes::MailboxStore
    + calls::CallStore
    + crm::CrmStore
    + credentials::CredentialStore
    + status::StatusStore
    + supervision::SupervisionStore
    + teams::TeamStore
    + ingest::IngestStore
    + timeline::TimelineStore
    + reminders::ReminderStore
    + reports::ReportStore
    + followups::FollowUpStore
    + notifications::NotificationStore
    + outbox::OutboxStore
    + outbox::EmailFileStore
    + Send
    + Sync
    + 'static
{
    /// Apply pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Cheap round trip, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
    /// Housekeeping that keeps reads fast as the data grows, in small steps for at most
    /// about `budget`; the server calls it periodically. Returns the steps that did work
    /// (0: nothing to do). SQLite merges the search index's segments (an index grown by
    /// many small writes is split in several, and every search reads each of them);
    /// PostgreSQL's autovacuum does the equivalent on its own.
    async fn maintain(&self, budget: std::time::Duration) -> StoreResult<u32> {
        let _ = budget;
        Ok(0)
    }
    /// True when no user exists yet (a first start).
    async fn is_empty(&self) -> StoreResult<bool>;
    /// A command-line import is about to write a large file: a backend may trade its
    /// read caches for a process whose memory does not grow with the database (SQLite
    /// maps up to 256 MiB of the file and caches 32 MiB of pages per connection for a
    /// server's reads; an import only appends). The default does nothing.
    async fn prepare_bulk_import(&self) -> StoreResult<()> {
        Ok(())
    }

    /// Wake-ups (the new event id) whenever any server instance on this database appends
    /// to the event log, for backends shared by several instances; `None` where one
    /// process owns the database (SQLite) and in-process fan-out is the whole story.
    async fn event_notifications(&self) -> StoreResult<Option<EventWakeups>> {
        Ok(None)
    }
}

pub type DynStore = Arc<dyn Store>;

/// See [`Store::event_notifications`]. Ends (after an `Err`) when the listening
/// connection is lost; the caller listens again and re-reads the log.
pub type EventWakeups =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = StoreResult<i64>> + Send + 'static>>;

pub use agentdesk_protocol::text::search_words;

/// The searchable text of an activity that every user may search (email content is
/// apart: [`email_search_text`]).
pub fn search_text(detail: &ActivityDetail) -> String {
    match detail {
        ActivityDetail::Email { .. } => String::new(),
        ActivityDetail::Chat { first_message, .. } => first_message.clone(),
        ActivityDetail::Ticket {
            ticket_id, subject, ..
        } => format!("{ticket_id} {subject}"),
        ActivityDetail::Call {
            number,
            campaign,
            disposition,
            ..
        } => {
            let mut s = format!("{number} {campaign}");
            if let Some(d) = disposition {
                for part in [&d.l1, &d.l2, &d.l3] {
                    s.push(' ');
                    s.push_str(part);
                }
            }
            s
        }
        ActivityDetail::Sms { text, .. } | ActivityDetail::Note { text } => text.clone(),
        ActivityDetail::FollowUp { rule, message, .. } => format!("{rule} {message}"),
    }
}

/// The searchable content of an email: only users with the email permission search it.
pub fn email_search_text(email: &NewEmail) -> String {
    format!("{} {} {}", email.subject, email.sender, email.body)
}

/// Open the backend the URL names: `sqlite:` (a file, created when missing) or
/// `postgres:`/`postgresql:` (an existing database).
pub async fn open(url: &str) -> anyhow::Result<DynStore> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::open(url).await?))
    } else {
        anyhow::bail!(
            "unsupported database URL `{url}`: use sqlite://path/to/file.db or \
             postgres://user:password@host:port/database"
        )
    }
}

/// Both backends store roles as their wire names.
pub(crate) fn role(s: &str) -> StoreResult<Role> {
    s.parse().map_err(|e| corrupt("role", e))
}

pub(crate) fn strip_email_content(d: &ActivityDetail) -> ActivityDetail {
    match d {
        ActivityDetail::Email {
            direction, status, ..
        } => ActivityDetail::Email {
            direction: *direction,
            status: *status,
            content: None,
        },
        other => other.clone(),
    }
}
