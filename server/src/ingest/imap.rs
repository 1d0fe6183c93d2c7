//! The mailbox connector: poll IMAP mailboxes for inbound mail and feed each message to
//! the same email write path as the ingest API (so a message seen twice — by two polls,
//! two server instances, or the API as well — is still one activity).
//!
//! Messages are fetched with `BODY.PEEK[]`, so the mailbox is left as it was (nothing is
//! marked read or moved). Progress is a per-mailbox cursor in the database — the
//! mailbox's UIDVALIDITY and the last UID handled — written after the messages up to it
//! are stored; a crash in between re-fetches a few messages, which are duplicates by
//! their Message-ID. A new UIDVALIDITY (the mailbox was recreated) starts over from the
//! first message, again safely.
//!
//! A message that is not RFC 5322 is skipped with a warning naming its UID; it never stops
//! the messages after it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use agentdesk_protocol::{Attributes, CustomerRef, Direction};
use anyhow::anyhow;
use futures_util::TryStreamExt;
use tokio_rustls::rustls;

use crate::events::EventHub;
use crate::store::DynStore;
use crate::store::mailboxes::Polled;

use super::email;
pub use super::imap_conn::tls_config;
use super::imap_conn::{self, IO_TIMEOUT, Stream, timed};
pub(crate) use super::imap_url::is_loopback;
pub use super::imap_url::{MailboxUrl, key_of};

/// Messages fetched per round trip.
const FETCH_BATCH: usize = 50;
/// Longest wait between attempts when a mailbox keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// New messages seen on the server.
    pub fetched: u64,
    /// Stored as new activities.
    pub imported: u64,
    /// Already stored (by an earlier poll, another instance or the ingest API).
    pub duplicates: u64,
    /// Not RFC 5322 messages: skipped.
    pub rejected: u64,
    /// Reports that one of the team's sent messages bounced: marked failed.
    pub bounces: u64,
}

impl fmt::Display for PollSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fetched, {} imported, {} duplicates, {} rejected, {} bounces",
            self.fetched, self.imported, self.duplicates, self.rejected, self.bounces
        )
    }
}

/// Poll one mailbox once: every message after the stored cursor into the timeline.
pub async fn poll_once(
    store: &DynStore,
    events: &EventHub,
    mailbox: &MailboxUrl,
    tls: &Arc<rustls::ClientConfig>,
    region: &str,
) -> anyhow::Result<PollSummary> {
    poll(store, events, mailbox, tls, region, None).await
}

/// A console mailbox's lease, held while a poll runs: renewed before each batch is
/// stored, so a poll on settings changed meanwhile (another team, say) stops before it
/// stores mail or moves the cursor.
struct Hold<'a> {
    lease: Lease,
    owner: &'a str,
    /// How long each renewal holds, from the moment it is made.
    span: Duration,
}

impl Hold<'_> {
    async fn renew(&self, store: &DynStore) -> anyhow::Result<bool> {
        let until = crate::clock::now() + chrono::Duration::from_std(self.span).unwrap_or_default();
        Ok(store
            .claim_mailbox(
                self.lease.id,
                self.lease.version,
                self.owner,
                until.timestamp_millis(),
            )
            .await?)
    }
}

async fn poll(
    store: &DynStore,
    events: &EventHub,
    mailbox: &MailboxUrl,
    tls: &Arc<rustls::ClientConfig>,
    region: &str,
    hold: Option<Hold<'_>>,
) -> anyhow::Result<PollSummary> {
    let team_id = match mailbox.team_id {
        Some(id) => id,
        None => {
            store
                .team_by_name(&mailbox.team)
                .await?
                .ok_or_else(|| anyhow!("{mailbox}: there is no team named {:?}", mailbox.team))?
                .id
        }
    };
    let mut session = imap_conn::open(mailbox, tls).await?;
    let ctx = Poll {
        store,
        events,
        mailbox,
        team_id,
        region,
        hold,
    };
    let result = ctx.fetch_new(&mut session).await;
    // Best effort: the result is what matters, and the connection closes anyway.
    let _ = tokio::time::timeout(IO_TIMEOUT, session.logout()).await;
    result
}

struct Poll<'a> {
    store: &'a DynStore,
    events: &'a EventHub,
    mailbox: &'a MailboxUrl,
    team_id: i64,
    region: &'a str,
    hold: Option<Hold<'a>>,
}

impl Poll<'_> {
    async fn fetch_new(
        &self,
        session: &mut async_imap::Session<Stream>,
    ) -> anyhow::Result<PollSummary> {
        let key = self.mailbox.key();
        let selected = timed(
            "selecting the mailbox",
            session.examine(&self.mailbox.mailbox),
        )
        .await?;
        let validity = selected.uid_validity.unwrap_or(0);
        let after = match self.store.imap_cursor(&key).await? {
            Some((v, last)) if v == validity => last,
            Some(_) => {
                tracing::warn!(mailbox = %key, "UIDVALIDITY changed: reading the mailbox again");
                0
            }
            None => 0,
        };
        // `n:*` always includes the newest message, even when its UID is below n.
        let mut uids: Vec<u32> = timed(
            "searching for new mail",
            session.uid_search(format!("UID {}:*", after.saturating_add(1))),
        )
        .await?
        .into_iter()
        .filter(|u| *u > after)
        .collect();
        uids.sort_unstable();

        let defs = self.store.attribute_defs().await?;
        let customer = CustomerRef::default();
        let attributes = Attributes::default();
        let envelope = email::Envelope {
            team_id: self.team_id,
            direction: Direction::Inbound,
            status: None,
            customer: &customer,
            conversation_id: None,
            attributes: &attributes,
        };
        let mut summary = PollSummary::default();
        for chunk in uids.chunks(FETCH_BATCH) {
            let set = chunk
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let fetched: Vec<(u32, Vec<u8>)> = timed("fetching messages", async {
                session
                    .uid_fetch(&set, "(UID BODY.PEEK[])")
                    .await?
                    .try_filter_map(|f| async move {
                        Ok(f.uid.map(|u| (u, f.body().unwrap_or_default().to_vec())))
                    })
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
            if let Some(h) = &self.hold
                && !h.renew(self.store).await?
            {
                anyhow::bail!(
                    "the mailbox's settings changed or another instance took it over: this poll stops"
                );
            }
            summary.fetched += fetched.len() as u64;
            let mut items = Vec::with_capacity(fetched.len());
            for (uid, raw) in &fetched {
                // A report that one of the team's own messages bounced marks it failed.
                if super::take_bounce(self.store, self.events, self.team_id, raw)
                    .await?
                    .is_some()
                {
                    summary.bounces += 1;
                    continue;
                }
                match email::parse(raw) {
                    Ok(m) => items.push(email::interaction(&m, &envelope, &defs, self.region)),
                    Err(e) => {
                        summary.rejected += 1;
                        tracing::warn!(mailbox = %key, uid, error = %e, "skipping a message that is not RFC 5322");
                    }
                }
            }
            if !items.is_empty() {
                let (results, events) = self.store.ingest(&items, true).await?;
                self.events.publish(events);
                super::report_conflicts(self.store, &results, "mailbox").await;
                for r in results {
                    if r.duplicate {
                        summary.duplicates += 1;
                    } else {
                        summary.imported += 1;
                    }
                }
            }
            // Everything up to the chunk's last UID is handled (a UID the server no longer
            // had simply did not come back).
            if let Some(last) = chunk.last() {
                self.store.set_imap_cursor(&key, validity, *last).await?;
            }
        }
        Ok(summary)
    }
}

/// What every poller shares: where mail goes, how to reach servers, how often, and
/// this instance's name in the console mailboxes' leases.
#[derive(Clone)]
pub struct Pollers {
    pub store: DynStore,
    pub events: EventHub,
    pub tls: Arc<rustls::ClientConfig>,
    pub region: String,
    pub every: Duration,
    pub health: super::mailboxes::MailboxHealth,
    pub owner: String,
}

/// A console mailbox's row and settings version: polled only while this instance holds
/// its lease, and its polls kept with it (every instance shows the same).
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub id: i64,
    pub version: i64,
}

/// How long a lease outlives the pause before the next poll: another instance takes
/// the mailbox over this long after its poller stops (the instance went away).
const LEASE_MARGIN: Duration = Duration::from_secs(30);

impl Pollers {
    /// Poll `mailbox` forever (until the task is aborted), every `every`; a failing
    /// mailbox is retried with growing pauses (up to five minutes) and logged without
    /// its password. With a `lease`, each poll first takes or renews it, and a mailbox
    /// another instance holds is left to that instance.
    pub fn spawn(&self, mailbox: MailboxUrl, lease: Option<Lease>) -> tokio::task::JoinHandle<()> {
        let p = self.clone();
        tokio::spawn(async move {
            let mut pause = p.every;
            loop {
                let hold = lease.map(|lease| Hold {
                    lease,
                    owner: &p.owner,
                    span: pause * 2 + LEASE_MARGIN,
                });
                if let Some(h) = &hold {
                    match h.renew(&p.store).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tokio::time::sleep(p.every).await;
                            continue;
                        }
                        Err(e) => {
                            tracing::warn!(mailbox = %mailbox, error = format!("{e:#}"), "claiming the mailbox failed");
                            tokio::time::sleep(p.every).await;
                            continue;
                        }
                    }
                }
                let out = poll(&p.store, &p.events, &mailbox, &p.tls, &p.region, hold).await;
                match lease {
                    None => p.health.polled(&mailbox, &out),
                    Some(l) => {
                        let error = out.as_ref().err().map(super::mailboxes::error_text);
                        let polled = Polled {
                            at: crate::clock::now().timestamp_millis(),
                            error: error.as_deref(),
                            fetched: out.as_ref().map_or(0, |s| s.fetched),
                        };
                        if let Err(e) = p
                            .store
                            .mailbox_polled(l.id, l.version, &p.owner, &polled)
                            .await
                        {
                            tracing::warn!(mailbox = %mailbox, error = %e, "keeping the poll's outcome failed");
                        }
                    }
                }
                match out {
                    Ok(s) => {
                        if s.fetched > 0 {
                            tracing::info!(mailbox = %mailbox, summary = %s, "mail polled");
                        }
                        pause = p.every;
                    }
                    Err(e) => {
                        tracing::warn!(mailbox = %mailbox, error = format!("{e:#}"), "polling the mailbox failed");
                        pause = (pause * 2).min(MAX_BACKOFF.max(p.every));
                    }
                }
                tokio::time::sleep(pause).await;
            }
        })
    }
}
