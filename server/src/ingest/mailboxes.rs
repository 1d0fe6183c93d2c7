//! How each configured IMAP mailbox is faring, for its admins: when this instance last
//! polled it, when a poll last succeeded, the last error and how many messages it took
//! in. Kept in memory per instance (each instance polls on its own); the mailboxes
//! themselves are the server's configuration (`AGENTDESK_IMAP_MAILBOXES`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use agentdesk_protocol::MailboxStatus;
use chrono::{DateTime, Utc};

use super::imap::{MailboxUrl, PollSummary};

#[derive(Clone, Default)]
struct Health {
    last_poll_at: Option<DateTime<Utc>>,
    last_ok_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    fetched: u64,
}

/// This instance's record of its pollers, by mailbox key (never with a password).
#[derive(Clone, Default)]
pub struct MailboxHealth {
    by_key: Arc<Mutex<BTreeMap<String, Health>>>,
}

impl MailboxHealth {
    /// Note one poll of `mailbox` and how it went.
    pub fn polled(&self, mailbox: &MailboxUrl, out: &anyhow::Result<PollSummary>) {
        let now = crate::clock::now();
        let mut all = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        let h = all.entry(mailbox.key()).or_default();
        h.last_poll_at = Some(now);
        match out {
            Ok(s) => {
                h.last_ok_at = Some(now);
                h.last_error = None;
                h.fetched += s.fetched;
            }
            // The error chain names the step (connecting, TLS, login…), never the password.
            Err(e) => h.last_error = Some(format!("{e:#}").chars().take(500).collect()),
        }
    }

    /// Every configured mailbox, polled or not yet.
    pub fn report(&self, configured: &[MailboxUrl]) -> Vec<MailboxStatus> {
        let all = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        configured
            .iter()
            .map(|m| {
                let h = all.get(&m.key()).cloned().unwrap_or_default();
                MailboxStatus {
                    mailbox: m.key(),
                    team: m.team.clone(),
                    last_poll_at: h.last_poll_at,
                    last_ok_at: h.last_ok_at,
                    last_error: h.last_error,
                    fetched: h.fetched,
                }
            })
            .collect()
    }
}
