//! Outbound e-mail: the teams' sender identities and the messages agents write, from
//! draft to sent or failed (docs/email.md). One implementation for both backends
//! (`store/shared/outbox.rs`).
//!
//! A message is an e-mail activity on the contact's timeline from its first draft on
//! (its detail carries the status, its content sits with every e-mail's), plus a row in
//! `outbound_emails` with what sending needs. Its `Message-ID` is fixed when it is made
//! and recorded as the activity's interaction key, so the copy a mailbox's "Sent" folder
//! or a BCC brings back through ingest is a duplicate of it, not a second message.
//! Sending instances claim due messages with a lease (a conditional `UPDATE`; on
//! PostgreSQL `FOR UPDATE SKIP LOCKED` besides), so each message is sent by one.

use agentdesk_protocol::email::OutboundEmail;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::{StoreResult, StoredEvent, Viewer};

/// A team's sender identity as stored: its SMTP URL (credentials included) is a secret
/// that only the sender reads.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRow {
    pub id: i64,
    pub team_id: i64,
    pub address: String,
    pub display_name: String,
    pub smtp_url: Option<String>,
}

/// A message to write (a draft, or queued at once).
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub team_id: i64,
    pub contact_id: i64,
    pub author_id: i64,
    pub identity_id: i64,
    /// `Name <address>` of the identity, as the timeline shows the sender.
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub reply_to: Option<i64>,
    /// The answered message's `Message-ID`.
    pub in_reply_to: Option<String>,
    pub message_id: String,
    pub queue: bool,
}

/// A draft's new text (and, with `queue`, the word to send it).
#[derive(Debug, Clone)]
pub struct DraftUpdate {
    pub identity_id: i64,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub queue: bool,
}

/// What became of a change asked of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    Done(Vec<StoredEvent>),
    /// Not the state the change needs (a draft already sent, a retry of a sent message).
    WrongState(agentdesk_protocol::EmailStatus),
    NotFound,
}

/// A due message claimed for sending, with its identity.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedEmail {
    pub activity_id: i64,
    pub team_id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub in_reply_to: Option<String>,
    pub message_id: String,
    pub attempts: i64,
    /// `None`: the identity was deleted since the message was written.
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub smtp_url: Option<String>,
    /// How many files it had when claimed: the send reads them after, and goes without
    /// them never (they are gone only with the message).
    pub file_count: i64,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The server took it.
    Sent,
    /// A temporary failure: try again at `at`.
    Retry { at: DateTime<Utc>, reason: String },
    /// A permanent failure (or too many temporary ones).
    Failed { reason: String },
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// A team's identities, oldest first.
    async fn mail_identities(&self, team_id: i64) -> StoreResult<Vec<IdentityRow>>;
    async fn mail_identity(&self, id: i64) -> StoreResult<Option<IdentityRow>>;
    /// A new identity's id; a conflict when the team has this address already.
    async fn create_mail_identity(
        &self,
        team_id: i64,
        address: &str,
        display_name: &str,
        smtp_url: Option<&str>,
    ) -> StoreResult<i64>;
    /// Change an identity; `smtp_url` `None` keeps the stored one. `false`: no such id.
    async fn update_mail_identity(
        &self,
        id: i64,
        address: &str,
        display_name: &str,
        smtp_url: Option<Option<&str>>,
    ) -> StoreResult<bool>;
    /// `false`: no such id. Messages written with it keep their text; those not sent
    /// yet fail when their turn comes (no sender).
    async fn delete_mail_identity(&self, id: i64) -> StoreResult<bool>;

    /// Write a message (its activity, content and row) in one transaction; its activity
    /// id and the `activity.created` event.
    async fn create_outbound(&self, e: &NewOutbound) -> StoreResult<(i64, Vec<StoredEvent>)>;
    /// A message the viewer may see (team scoping), whoever wrote it.
    async fn outbound(
        &self,
        viewer: &Viewer,
        activity_id: i64,
    ) -> StoreResult<Option<OutboundEmail>>;
    /// Save a draft's new text; queue it with `queue`. Only its author's, only a draft.
    async fn save_draft(
        &self,
        activity_id: i64,
        author_id: i64,
        d: &DraftUpdate,
    ) -> StoreResult<Changed>;
    /// Delete a draft (its author's only) with its timeline entry.
    async fn discard_draft(&self, activity_id: i64, author_id: i64) -> StoreResult<Changed>;
    /// Queue a failed message again, due now, its attempts counted from zero.
    async fn retry_outbound(&self, viewer: &Viewer, activity_id: i64) -> StoreResult<Changed>;
    /// Claim up to `limit` queued messages due at `now` that no instance holds, for
    /// `lease`.
    async fn claim_outbound(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedEmail>>;
    /// Write an attempt's outcome, if `owner` still holds the message.
    async fn finish_outbound(
        &self,
        activity_id: i64,
        owner: &str,
        attempt: &Attempt,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// A delivery-status report `b` says the team's message did not arrive: mark it
    /// failed with the report's reason, if it was sent (a report is applied once: its
    /// key is recorded, so a replay — or a report arriving after a retry was sent —
    /// changes nothing). Its activity and contact ids and the events; `None`: no message
    /// of the team by that id (to that recipient), so the report is ordinary mail.
    async fn bounce_outbound(
        &self,
        team_id: i64,
        b: &crate::ingest::dsn::Bounce,
    ) -> StoreResult<Option<(i64, i64, Vec<StoredEvent>)>>;
    /// The addresses a contact is known by: its own, and the senders of the e-mail it
    /// sent (newest first, without repeats).
    async fn contact_addresses(&self, contact_id: i64) -> StoreResult<Vec<String>>;
    /// The inbound e-mail `activity_id` of contact `contact_id`: its `Message-ID`, sender,
    /// subject, date and text, for a reply.
    async fn email_to_answer(
        &self,
        contact_id: i64,
        activity_id: i64,
    ) -> StoreResult<Option<Answered>>;
}

/// An inbound message being answered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Answered {
    pub message_id: Option<String>,
    pub sender: String,
    pub subject: String,
    pub body: String,
    pub occurred_at: i64,
}

/// A file to attach to a draft.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A file as the sender puts it in the message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailFile {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// What became of a file to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attached {
    Done(
        agentdesk_protocol::email_files::OutboundAttachment,
        Vec<StoredEvent>,
    ),
    /// Not a draft of the user's (see [`Changed`]).
    Refused(Changed),
    /// The message's files would weigh more than the limit: what they weigh now.
    TooLarge { used: u64 },
    /// The message has [`agentdesk_protocol::email_files::MAX_FILES`] already.
    TooMany,
}

/// The files of outbound messages (`store/shared/outbox_files.rs`). A draft's author
/// adds and removes them; anyone who may read the message downloads them; the sender
/// reads them whole. The timeline's list of a message's files follows each change.
#[async_trait]
pub trait EmailFileStore: Send + Sync {
    /// Attach `file` to draft `activity_id` of `author_id`, if the message's files stay
    /// within `max_total` bytes and [`agentdesk_protocol::email_files::MAX_FILES`].
    async fn attach_file(
        &self,
        activity_id: i64,
        author_id: i64,
        file: &NewFile,
        max_total: u64,
    ) -> StoreResult<Attached>;
    /// Remove file `file_id` from draft `activity_id` of `author_id`.
    async fn detach_file(
        &self,
        activity_id: i64,
        author_id: i64,
        file_id: i64,
    ) -> StoreResult<Changed>;
    /// File `file_id` of message `activity_id`, if the viewer may read the message.
    async fn email_file(
        &self,
        viewer: &Viewer,
        activity_id: i64,
        file_id: i64,
    ) -> StoreResult<Option<(agentdesk_protocol::email_files::OutboundAttachment, Vec<u8>)>>;
    /// Every file of message `activity_id`, with its bytes, in the order attached.
    async fn mail_files(&self, activity_id: i64) -> StoreResult<Vec<MailFile>>;
}
