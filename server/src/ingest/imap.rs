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
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use agentdesk_protocol::{Attributes, CustomerRef, Direction};
use anyhow::anyhow;
use futures_util::TryStreamExt;
use tokio_rustls::rustls;

use crate::events::EventHub;
use crate::store::DynStore;
use crate::store::mailboxes::StoredMailbox;

use super::email;
pub use super::imap_conn::tls_config;
use super::imap_conn::{self, IO_TIMEOUT, Stream, timed};

/// Messages fetched per round trip.
const FETCH_BATCH: usize = 50;
/// Longest wait between attempts when a mailbox keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// One mailbox to poll, from a URL of the server's environment:
/// `imaps://user:password@host[:993]/MAILBOX?team=TEAM` (TLS), or `imap://…[:143]…` —
/// plain text, accepted only for a loopback host, since it would send the password in
/// the clear. User, password and mailbox are percent-decoded; the mailbox defaults to
/// `INBOX`. Or from the console ([`MailboxUrl::console`]). The password never appears
/// in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct MailboxUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub username: String,
    password: String,
    pub mailbox: String,
    /// Name of the team whose contacts the mail links to (and creates).
    pub team: String,
    /// The team by id (console mailboxes: a renamed team keeps its mail).
    team_id: Option<i64>,
    /// Only addresses the outbound policy allows (console mailboxes: an admin typed
    /// the host); the operator's own URLs may name any address.
    pub(crate) guarded: bool,
}

impl MailboxUrl {
    /// A console mailbox; `allow_private`: the server's outbound policy.
    pub fn console(m: &StoredMailbox, allow_private: bool) -> MailboxUrl {
        MailboxUrl {
            tls: m.tls,
            host: m.host.clone(),
            port: u16::try_from(m.port).unwrap_or(0),
            username: m.username.clone(),
            password: m.password.clone(),
            mailbox: m.folder.clone(),
            team: m.team.clone(),
            team_id: Some(m.team_id),
            guarded: !allow_private,
        }
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    /// The mailbox's identity without its password: the cursor's key and the log name.
    pub fn key(&self) -> String {
        key_of(
            self.tls,
            &self.username,
            &self.host,
            self.port,
            &self.mailbox,
        )
    }
}

impl fmt::Debug for MailboxUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}?team={}", self.key(), self.team)
    }
}

impl fmt::Display for MailboxUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

fn decode(s: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "an IMAP mailbox URL has bad percent-encoding".to_owned())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl FromStr for MailboxUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Errors never echo the URL: it holds a password.
        let u = url::Url::parse(s.trim())
            .map_err(|e| format!("an IMAP mailbox URL is not a URL ({e})"))?;
        let tls = match u.scheme() {
            "imaps" => true,
            "imap" => false,
            other => {
                return Err(format!(
                    "an IMAP mailbox URL starts with imaps:// (not {other}://)"
                ));
            }
        };
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("an IMAP mailbox URL needs a host")?
            .to_owned();
        if !tls && !is_loopback(&host) {
            return Err(format!(
                "imap:// sends the password in the clear: use imaps:// for {host}"
            ));
        }
        let username = decode(u.username())?;
        let password = decode(u.password().unwrap_or_default())?;
        if username.is_empty() || password.is_empty() {
            return Err("an IMAP mailbox URL needs user:password@".into());
        }
        let mailbox = decode(u.path().trim_start_matches('/'))?;
        let mailbox = if mailbox.is_empty() {
            "INBOX".to_owned()
        } else {
            mailbox
        };
        let team = u
            .query_pairs()
            .find(|(k, _)| k == "team")
            .map(|(_, v)| v.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or("an IMAP mailbox URL needs ?team=NAME (the team its mail belongs to)")?;
        Ok(MailboxUrl {
            tls,
            port: u.port().unwrap_or(if tls { 993 } else { 143 }),
            host,
            username,
            password,
            mailbox,
            team,
            team_id: None,
            guarded: false,
        })
    }
}

/// A mailbox's identity without its password: `imap(s)://user@host:port/folder`.
pub fn key_of(tls: bool, username: &str, host: &str, port: u16, folder: &str) -> String {
    let scheme = if tls { "imaps" } else { "imap" };
    format!("{scheme}://{username}@{host}:{port}/{folder}")
}

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

/// What every poller shares: where mail goes, how to reach servers, how often.
#[derive(Clone)]
pub struct Pollers {
    pub store: DynStore,
    pub events: EventHub,
    pub tls: Arc<rustls::ClientConfig>,
    pub region: String,
    pub every: Duration,
    pub health: super::mailboxes::MailboxHealth,
}

impl Pollers {
    /// Poll `mailbox` forever (until the task is aborted), every `every`; a failing
    /// mailbox is retried with growing pauses (up to five minutes) and logged without
    /// its password.
    pub fn spawn(&self, mailbox: MailboxUrl) -> tokio::task::JoinHandle<()> {
        let p = self.clone();
        tokio::spawn(async move {
            let mut pause = p.every;
            loop {
                let out = poll_once(&p.store, &p.events, &mailbox, &p.tls, &p.region).await;
                p.health.polled(&mailbox, &out);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_url_gives_its_parts_and_never_shows_its_password() {
        let m: MailboxUrl =
            "imaps://soporte%40acme.com:p%40ss+w@mail.acme.com/Soporte%20Web?team=Team%20A"
                .parse()
                .unwrap();
        assert!(m.tls);
        assert_eq!(m.port, 993);
        assert_eq!(m.username, "soporte@acme.com");
        assert_eq!(m.password, "p@ss+w");
        assert_eq!(m.mailbox, "Soporte Web");
        assert_eq!(m.team, "Team A");
        assert_eq!(
            m.key(),
            "imaps://soporte@acme.com@mail.acme.com:993/Soporte Web"
        );
        assert!(!format!("{m:?} {m}").contains("p@ss"));
    }

    #[test]
    fn plain_imap_only_on_loopback_and_every_part_required() {
        let ok: MailboxUrl = "imap://u:p@127.0.0.1:10143?team=T".parse().unwrap();
        assert_eq!(
            (ok.tls, ok.port, ok.mailbox.as_str()),
            (false, 10143, "INBOX")
        );
        for (bad, says) in [
            ("imap://u:p@mail.acme.com/INBOX?team=T", "in the clear"),
            ("imaps://mail.acme.com/INBOX?team=T", "user:password"),
            ("imaps://u:p@mail.acme.com/INBOX", "?team="),
            ("pop3://u:p@mail.acme.com/?team=T", "imaps://"),
            ("not a url", "not a URL"),
        ] {
            let e = bad.parse::<MailboxUrl>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(!e.contains(":p@"), "the error repeats the password: {e}");
        }
    }
}
