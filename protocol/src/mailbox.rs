//! IMAP mailboxes as admins manage them (`/api/v1/mailboxes`): the ones set in the
//! console (per team; the password write-only, never returned) beside the ones of the
//! server's environment (read-only here), each with how this instance's poller fares,
//! and a connection test that says which step failed.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/mailboxes` (admins): a mailbox and how this instance's poller fares
/// with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxStatus {
    /// Set in the console: its id (to edit, test or delete it). `None`: from the
    /// server's environment (`AGENTDESK_IMAP_MAILBOXES`), changed only there.
    #[serde(default)]
    pub id: Option<i64>,
    /// `imap(s)://user@host:port/folder` — never the password.
    pub mailbox: String,
    /// The team its mail goes to.
    pub team: String,
    /// A console mailbox's settings (never the password).
    #[serde(default)]
    pub settings: Option<MailboxSettings>,
    pub last_poll_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_ok_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The last poll's error (cleared by a poll that succeeds).
    pub last_error: Option<String>,
    /// Messages taken in since this instance started.
    pub fetched: u64,
}

/// A console mailbox's settings as stored, without its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxSettings {
    pub team_id: i64,
    pub host: String,
    pub port: u16,
    /// IMAPS (TLS from the first byte). Plain IMAP is allowed only to a loopback host.
    pub tls: bool,
    pub username: String,
    /// The folder read (`INBOX` unless set).
    pub folder: String,
    /// Polled; an inactive mailbox is kept but not read.
    pub active: bool,
}

/// `POST /api/v1/mailboxes` and `PUT /api/v1/mailboxes/{id}` (admins). `port` absent:
/// 993 with TLS, 143 without; `folder` absent or empty: `INBOX`; `password` required
/// to create, absent on an edit keeps the stored one.
/// Its `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MailboxInput {
    pub team_id: i64,
    pub host: String,
    /// 1–65535 (read wider, so a number out of range is refused naming the field).
    #[serde(default)]
    pub port: Option<u32>,
    #[serde(default = "yes")]
    pub tls: bool,
    pub username: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub folder: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl std::fmt::Debug for MailboxInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxInput")
            .field("team_id", &self.team_id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("folder", &self.folder)
            .field("active", &self.active)
            .finish()
    }
}

/// The steps of reaching a mailbox, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MailboxStep {
    /// Finding the host's address (and checking it is one the server may reach).
    Resolve,
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake (the certificate checked against the host name).
    Tls,
    /// The server's IMAP greeting.
    Greeting,
    /// Signing in with the user and password.
    Login,
    /// Opening the folder (read-only).
    Folder,
}

/// `POST /api/v1/mailboxes/{id}/test` (admins): a connection made now with the stored
/// settings. `ok`: every step passed and `messages` is the folder's count; otherwise
/// `step` is the one that failed and `error` says why (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxCheck {
    pub ok: bool,
    #[serde(default)]
    pub step: Option<MailboxStep>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub messages: Option<u32>,
}
