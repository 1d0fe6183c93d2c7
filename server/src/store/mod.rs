//! Storage behind one async trait, so the rest of the server never sees SQL dialects.
//!
//! Every read that returns team data takes a [`Viewer`] and applies team scoping inside
//! the query: a caller can never receive a row of a team they are not in, whatever the
//! route does. Backends are chosen by the database URL ([`open`]).

pub mod accounts;
pub mod calls;
pub mod contacts;
pub mod events;
pub mod ingest;
pub mod integrations;
mod postgres;
pub mod search;
mod sqlite;
pub mod status;

use std::sync::Arc;

use agentdesk_protocol::{Activity, ActivityDetail, ActivityKind, KindCount, Role, ServerEvent};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use postgres::PostgresStore;
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
pub(crate) fn already_exists(what: String) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match StoreError::from(e) {
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

/// A request for one page of a contact's timeline.
#[derive(Debug, Clone, Default)]
pub struct TimelineRequest {
    /// Empty: every kind.
    pub kinds: Vec<ActivityKind>,
    /// Search words (see [`search_words`]); empty: no search.
    pub words: Vec<String>,
    /// 1-based; clamped to the last page.
    pub page: u32,
    pub anchor: Option<TimelineAnchor>,
}

/// The key of the newest activity of a known page, for the same kinds and words: pages
/// near it are reached by walking from it instead of from either end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineAnchor {
    pub page: u32,
    pub occurred_at_ms: i64,
    pub id: i64,
}

#[derive(Debug, Clone)]
pub struct TimelinePage {
    pub items: Vec<Activity>,
    /// At most [`SEARCH_MATCH_LIMIT`](agentdesk_protocol::SEARCH_MATCH_LIMIT) for a search.
    pub total: u64,
    /// A search with more matches than the limit (`total` is the limit).
    pub capped: bool,
    pub page: u32,
    pub pages: u32,
    pub kind_counts: Vec<KindCount>,
}

impl TimelinePage {
    /// No match at all: one empty page.
    pub fn no_match(kind_counts: Vec<KindCount>) -> Self {
        TimelinePage {
            items: vec![],
            total: 0,
            capped: false,
            page: 1,
            pages: 1,
            kind_counts,
        }
    }
}

/// A (team, kind) pair of a contact's history.
pub(crate) type TeamKind = (i64, ActivityKind);

/// The chips' per-kind counts and the (team, kind) pairs a search covers (those of the
/// `chosen` kinds, all when none is chosen), from a contact's visible counter rows
/// `(team, kind, n)`.
pub(crate) fn tally_counts<'a>(
    rows: impl IntoIterator<Item = (i64, &'a str, i64)>,
    chosen: &[ActivityKind],
) -> StoreResult<(Vec<KindCount>, Vec<TeamKind>)> {
    let mut per_kind: std::collections::BTreeMap<ActivityKind, u64> = Default::default();
    let mut pairs = Vec::new();
    for (team, kind, n) in rows {
        let kind: ActivityKind = kind.parse().map_err(|e| corrupt("activity kind", e))?;
        *per_kind.entry(kind).or_default() += u64::try_from(n).unwrap_or(0);
        if chosen.is_empty() || chosen.contains(&kind) {
            pairs.push((team, kind));
        }
    }
    let counts = per_kind
        .into_iter()
        .map(|(kind, count)| KindCount { kind, count })
        .collect();
    Ok((counts, pairs))
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
    + calls::CallStore
    + status::StatusStore
    + ingest::IngestStore
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

    /// Insert activities (their email content and search text) in one transaction. With
    /// `publish`, an `activity.created` event per activity joins the event log in the same
    /// transaction and is returned for fan-out; bulk loads (demo, imports) pass `false`.
    async fn insert_activities(
        &self,
        activities: &[NewActivity],
        publish: bool,
    ) -> StoreResult<(Vec<i64>, Vec<StoredEvent>)>;
    /// One page of a contact's timeline as the viewer may see it; `None` when the contact
    /// is not visible to the viewer.
    async fn timeline(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        request: &TimelineRequest,
    ) -> StoreResult<Option<TimelinePage>>;
    /// How many of the contact's activities of these kinds (all when empty) the viewer
    /// sees at or after `from_ms`: where a day begins in the timeline (newest first).
    /// `None` when the contact is not visible to the viewer.
    async fn timeline_newer_than(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        kinds: &[agentdesk_protocol::ActivityKind],
        from_ms: i64,
    ) -> StoreResult<Option<u64>>;
    /// Delete an activity visible to the viewer, with its search entry, logging an
    /// `activity.deleted` event. `None` when there is no such activity for the viewer.
    async fn delete_activity(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<StoredEvent>>;
    /// The full text of an email activity, when the viewer may read it.
    async fn email_body(&self, viewer: &Viewer, activity_id: i64) -> StoreResult<Option<String>>;
    /// The conversation attributes of the interaction behind an activity and its contact's
    /// customer attributes (JSON maps as stored), scoped like the activity.
    async fn activity_attributes(
        &self,
        viewer: &Viewer,
        activity_id: i64,
    ) -> StoreResult<(Option<String>, Option<String>)>;
    /// One activity, if visible to the viewer.
    async fn activity(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<Activity>>;

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

/// Where step 1 of a timeline page starts walking the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkFrom {
    /// Newest first from the newest activity.
    Start,
    /// Oldest first from the oldest activity.
    End,
    /// Newest first from an anchor key, inclusive.
    AnchorDown((i64, i64)),
    /// Oldest first from an anchor key, exclusive.
    AnchorUp((i64, i64)),
}

/// How to reach the newest activity of a page: from where, skipping how many rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    pub from: WalkFrom,
    pub skip: u64,
}

/// The cheapest walk to the first (newest) activity of `page` (1-based, at most the last
/// page of `total > 0` activities): from the start, from the end, or from an anchor on a
/// nearby page. The first, last and neighbouring pages cost a handful of index entries
/// whatever the depth; only a jump into the middle of a long history without an anchor
/// walks up to half of it, over the covering index.
pub fn plan_walk(total: u64, page: u32, anchor: Option<TimelineAnchor>) -> Walk {
    let size = u64::from(agentdesk_protocol::TIMELINE_PAGE_SIZE);
    let first = u64::from(page.saturating_sub(1)) * size;
    let mut best = Walk {
        from: WalkFrom::Start,
        skip: first,
    };
    let from_end = total.saturating_sub(1).saturating_sub(first);
    if from_end < best.skip {
        best = Walk {
            from: WalkFrom::End,
            skip: from_end,
        };
    }
    if let Some(a) = anchor {
        let key = (a.occurred_at_ms, a.id);
        let anchor_first = u64::from(a.page.saturating_sub(1)) * size;
        let walk = if first >= anchor_first {
            Walk {
                from: WalkFrom::AnchorDown(key),
                skip: first - anchor_first,
            }
        } else {
            Walk {
                from: WalkFrom::AnchorUp(key),
                skip: anchor_first - first - 1,
            }
        };
        if walk.skip < best.skip {
            best = walk;
        }
    }
    best
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_last_pages_walk_from_their_own_end() {
        assert_eq!(
            plan_walk(200_000, 1, None),
            Walk {
                from: WalkFrom::Start,
                skip: 0
            }
        );
        // 20,000 pages; the last holds items 199,990..199,999 (newest-first order): its
        // newest item is the 10th oldest.
        assert_eq!(
            plan_walk(200_000, 20_000, None),
            Walk {
                from: WalkFrom::End,
                skip: 9
            }
        );
        // A partial last page: 25 items, page 3 holds 5; its newest is the 5th oldest.
        assert_eq!(
            plan_walk(25, 3, None),
            Walk {
                from: WalkFrom::End,
                skip: 4
            }
        );
        assert_eq!(
            plan_walk(200_000, 100, None),
            Walk {
                from: WalkFrom::Start,
                skip: 990
            }
        );
    }

    #[test]
    fn nearby_pages_walk_from_the_anchor() {
        let anchor = TimelineAnchor {
            page: 10_000,
            occurred_at_ms: 5,
            id: 7,
        };
        assert_eq!(
            plan_walk(200_000, 10_001, Some(anchor)),
            Walk {
                from: WalkFrom::AnchorDown((5, 7)),
                skip: 10
            }
        );
        assert_eq!(
            plan_walk(200_000, 10_000, Some(anchor)),
            Walk {
                from: WalkFrom::AnchorDown((5, 7)),
                skip: 0
            }
        );
        // One page up: the previous page's newest item is the 10th after the anchor
        // going up (exclusive), i.e. skip 9.
        assert_eq!(
            plan_walk(200_000, 9_999, Some(anchor)),
            Walk {
                from: WalkFrom::AnchorUp((5, 7)),
                skip: 9
            }
        );
        // Far from the anchor, an end is closer.
        assert_eq!(plan_walk(200_000, 2, Some(anchor)).from, WalkFrom::Start);
    }
}
