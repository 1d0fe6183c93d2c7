//! The mailboxes admins set in the console, polled like the ones of the server's
//! environment, and how each one is faring: when this instance last polled it, when a
//! poll last succeeded, the last error and how many messages it took in — kept in
//! memory per instance (each instance polls on its own, and a message read twice is one
//! activity by its Message-ID).
//!
//! Console mailboxes are read from the database by one task that starts, restarts (new
//! settings) and stops their pollers: at once on this instance when a route changes one,
//! within [`RELOAD`] on the others.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentdesk_protocol::{MailboxSettings, MailboxStatus};
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::imap::{MailboxUrl, PollSummary, Pollers};
use crate::store::mailboxes::StoredMailbox;

/// How often every instance re-reads the console's mailboxes.
pub const RELOAD: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
struct Health {
    last_poll_at: Option<DateTime<Utc>>,
    last_ok_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    fetched: u64,
}

/// This instance's record of its pollers, by mailbox key (never with a password), and
/// the signal that the console's mailboxes changed.
#[derive(Clone, Default)]
pub struct MailboxHealth {
    by_key: Arc<Mutex<BTreeMap<String, Health>>>,
    changed: Arc<Notify>,
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

    /// Forget a mailbox's record (its settings changed: the old error is no longer
    /// about it) and have the console's pollers follow the change at once.
    pub fn changed(&self, key: Option<String>) {
        if let Some(key) = key {
            let mut all = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
            all.remove(&key);
        }
        self.changed.notify_one();
    }

    /// A mailbox's line: `id` and `settings` for a console mailbox.
    pub fn status(
        &self,
        m: &MailboxUrl,
        id: Option<i64>,
        settings: Option<MailboxSettings>,
    ) -> MailboxStatus {
        let all = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        let h = all.get(&m.key()).cloned().unwrap_or_default();
        MailboxStatus {
            id,
            mailbox: m.key(),
            team: m.team.clone(),
            settings,
            last_poll_at: h.last_poll_at,
            last_ok_at: h.last_ok_at,
            last_error: h.last_error,
            fetched: h.fetched,
        }
    }
}

/// A console mailbox's settings as shown (no password).
pub fn settings(m: &StoredMailbox) -> MailboxSettings {
    MailboxSettings {
        team_id: m.team_id,
        host: m.host.clone(),
        port: u16::try_from(m.port).unwrap_or(0),
        tls: m.tls,
        username: m.username.clone(),
        folder: m.folder.clone(),
        active: m.active,
    }
}

/// Keep one poller per active console mailbox, on its latest settings, for as long as
/// the server runs.
pub fn spawn_console_pollers(pollers: Pollers, allow_private: bool) {
    tokio::spawn(async move {
        let mut running: HashMap<i64, (i64, tokio::task::JoinHandle<()>)> = HashMap::new();
        loop {
            match pollers.store.mailboxes().await {
                Ok(list) => follow(&pollers, allow_private, &mut running, &list),
                Err(e) => tracing::warn!(error = %e, "reading the console's mailboxes failed"),
            }
            tokio::select! {
                () = pollers.health.changed.notified() => {}
                () = tokio::time::sleep(RELOAD) => {}
            }
        }
    });
}

/// Start what is new or changed, stop what is gone, inactive or changed.
fn follow(
    pollers: &Pollers,
    allow_private: bool,
    running: &mut HashMap<i64, (i64, tokio::task::JoinHandle<()>)>,
    list: &[StoredMailbox],
) {
    let wanted: HashMap<i64, &StoredMailbox> = list
        .iter()
        .filter(|m| m.active)
        .map(|m| (m.id, m))
        .collect();
    running.retain(|id, (version, task)| {
        let keep = wanted.get(id).is_some_and(|m| m.updated_at == *version);
        if !keep {
            // A poll cut short re-reads a few messages next time: duplicates by
            // Message-ID, nothing lost (see `ingest::imap`).
            task.abort();
        }
        keep
    });
    for (id, m) in wanted {
        if let std::collections::hash_map::Entry::Vacant(slot) = running.entry(id) {
            let url = MailboxUrl::console(m, allow_private);
            tracing::info!(mailbox = %url, "polling a console mailbox");
            slot.insert((m.updated_at, pollers.spawn(url)));
        }
    }
}
