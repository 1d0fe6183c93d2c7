//! The mailboxes admins set in the console, polled like the ones of the server's
//! environment, and how each one is faring: when it was last polled, when a poll last
//! succeeded, the last error and how many messages it took in.
//!
//! Console mailboxes are read from the database by one task per instance that starts,
//! restarts (new settings) and stops their pollers: at once on this instance when a
//! route changes one, within [`RELOAD`] on the others. Each is polled by one instance at
//! a time, the holder of its lease, which keeps the polls' outcome with the mailbox, so
//! every instance shows the same. The environment's mailboxes are polled by every
//! instance (a message read twice is one activity, by its Message-ID) and their record
//! is this instance's, in memory.

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
            Err(e) => h.last_error = Some(error_text(e)),
        }
    }

    /// Have this instance's console pollers follow a change at once.
    pub fn changed(&self) {
        self.changed.notify_one();
    }

    /// An environment mailbox's line, from this instance's record.
    pub fn status(&self, m: &MailboxUrl) -> MailboxStatus {
        let all = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        let h = all.get(&m.key()).cloned().unwrap_or_default();
        MailboxStatus {
            id: None,
            mailbox: m.key(),
            team: m.team.clone(),
            settings: None,
            last_poll_at: h.last_poll_at,
            last_ok_at: h.last_ok_at,
            last_error: h.last_error,
            fetched: h.fetched,
        }
    }
}

/// A poll's error as kept: the chain names the step (resolving, connecting, TLS,
/// login…), never the password; one line of at most 500 characters.
pub fn error_text(e: &anyhow::Error) -> String {
    format!("{e:#}")
        .replace(['\r', '\n'], " ")
        .chars()
        .take(500)
        .collect()
}

/// A console mailbox's line: its settings (no password) and how its polls go, as kept
/// with it by whichever instance polls it.
pub fn console_status(m: &StoredMailbox, allow_private: bool) -> MailboxStatus {
    let at = |ms: Option<i64>| ms.and_then(DateTime::<Utc>::from_timestamp_millis);
    MailboxStatus {
        id: Some(m.id),
        mailbox: MailboxUrl::console(m, allow_private).key(),
        team: m.team.clone(),
        settings: Some(settings(m)),
        last_poll_at: at(m.last_poll_at),
        last_ok_at: at(m.last_ok_at),
        last_error: m.last_error.clone(),
        fetched: u64::try_from(m.fetched).unwrap_or(0),
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
            let lease = super::imap::Lease {
                id,
                version: m.updated_at,
            };
            slot.insert((m.updated_at, pollers.spawn(url, Some(lease))));
        }
    }
}
