//! Storage of the IMAP mailboxes admins set in the console (`mailboxes`): where each
//! one is, its sign-in (the password kept to log in, never returned by a route) and the
//! team its mail goes to. One implementation for both backends
//! (`store/shared/mailboxes.rs`); the pollers' cursors stay in `imap_cursors`.

use async_trait::async_trait;

use super::StoreResult;

/// A mailbox to store: create (password required) or replace (`password: None` keeps
/// the stored one). Checked by the route before it gets here.
#[derive(Clone, PartialEq, Eq)]
pub struct NewMailbox {
    pub team_id: i64,
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub username: String,
    pub password: Option<String>,
    pub folder: String,
    pub active: bool,
}

/// A stored mailbox. No `Debug`: it holds the password.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredMailbox {
    pub id: i64,
    pub team_id: i64,
    pub team: String,
    pub host: String,
    pub port: i64,
    pub tls: bool,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub active: bool,
    /// Milliseconds since the epoch: the settings' version (a poller started before it
    /// runs old settings, and may no longer claim the mailbox).
    pub updated_at: i64,
    /// How its polls go, whichever instance polls it (ms since the epoch).
    pub last_poll_at: Option<i64>,
    pub last_ok_at: Option<i64>,
    pub last_error: Option<String>,
    pub fetched: i64,
}

/// One poll's outcome, to keep with the mailbox.
pub struct Polled<'a> {
    pub at: i64,
    /// `None`: it succeeded.
    pub error: Option<&'a str>,
    pub fetched: u64,
}

#[async_trait]
pub trait MailboxStore: Send + Sync {
    /// Every console mailbox, by id.
    async fn mailboxes(&self) -> StoreResult<Vec<StoredMailbox>>;
    /// Store a new one; `Conflict` when the same folder of the same account exists.
    async fn create_mailbox(&self, m: &NewMailbox) -> StoreResult<i64>;
    /// Replace mailbox `id`'s settings (a new version: its lease and poll record are
    /// cleared); `false`: no such mailbox.
    async fn update_mailbox(&self, id: i64, m: &NewMailbox) -> StoreResult<bool>;
    /// Delete mailbox `id` (its cursor stays: the same mailbox set again goes on from
    /// it); `false`: no such mailbox.
    async fn delete_mailbox(&self, id: i64) -> StoreResult<bool>;
    /// Take or renew the right to poll mailbox `id` at settings `version` until `until`
    /// (ms): granted when no other instance holds an unexpired lease and the settings
    /// are still that version.
    async fn claim_mailbox(
        &self,
        id: i64,
        version: i64,
        owner: &str,
        until: i64,
    ) -> StoreResult<bool>;
    /// Keep a poll's outcome with mailbox `id`, unless its settings changed meanwhile
    /// or `owner` no longer holds its lease (another instance's record stands).
    async fn mailbox_polled(
        &self,
        id: i64,
        version: i64,
        owner: &str,
        polled: &Polled<'_>,
    ) -> StoreResult<()>;
}
