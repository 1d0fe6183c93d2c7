//! Sending what agents write (docs/email.md): each instance's worker claims queued
//! messages that are due, sends each through its team identity's SMTP server (or the
//! server-wide relay) and writes how it went. A temporary failure (a 4xx answer, a
//! server that cannot be reached) is tried again later ([`backoff`]); a permanent one
//! (a 5xx answer, an address no server takes) fails the message with the server's words.
//!
//! Each message is claimed with a lease ([`LEASE_SECS`]) right before it is sent (an
//! attempt is cut at [`ATTEMPT_LIMIT`]) and its outcome is written only while the lease
//! holds, so two instances never send it both;
//! an instance that dies mid-send leaves it to be sent again when the lease runs out
//! (sent twice only if it died between the server's "250" and the write: the copies
//! carry the same `Message-ID`, which mail clients and our ingest treat as one).

pub mod message;

use std::sync::Arc;

use agentdesk_protocol::email::SenderCheck;
use chrono::{DateTime, Duration, Utc};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::events::EventHub;
use crate::mailer::SmtpUrl;
use crate::store::outbox::{Attempt, ClaimedEmail};
use crate::store::{DynStore, StoreResult};

/// How long a claimed message is the claimer's: well beyond [`ATTEMPT_LIMIT`].
pub const LEASE_SECS: i64 = 120;
/// The longest one attempt may take, name lookup and SMTP conversation together.
const ATTEMPT_LIMIT: std::time::Duration = std::time::Duration::from_secs(90);
/// The waits after the 1st, 2nd… temporary failure; after the last, the message fails.
const BACKOFF_SECS: [i64; 8] = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800];

/// When to try again after `failures` temporary failures in a row; `None`: give up.
pub fn backoff(failures: u32) -> Option<Duration> {
    let i = usize::try_from(failures.checked_sub(1)?).ok()?;
    BACKOFF_SECS.get(i).map(|s| Duration::seconds(*s))
}

/// The attempt after `attempts` earlier ones failed for `reason`, temporarily.
fn temporary(attempts: i64, reason: String, now: DateTime<Utc>) -> Attempt {
    let failures = u32::try_from(attempts + 1).unwrap_or(u32::MAX);
    match backoff(failures) {
        Some(wait) => Attempt::Retry {
            at: now + wait,
            reason,
        },
        None => Attempt::Failed {
            reason: format!("gave up after {failures} attempts: {reason}"),
        },
    }
}

/// Why no transport could be had for a message.
enum Unusable {
    /// No retry changes it (a private address, no server at all).
    Permanent(String),
    /// It may work later (a name that does not resolve now).
    Temporary(String),
}

/// One instance's sender.
#[derive(Clone)]
pub struct Outbox {
    store: DynStore,
    events: EventHub,
    /// This instance, as the holder of leases.
    owner: String,
    /// The server-wide relay, for identities without a server of their own.
    relay: Option<SmtpUrl>,
    allow_private: bool,
    wake: Arc<tokio::sync::Notify>,
}

impl Outbox {
    pub fn new(
        store: DynStore,
        events: EventHub,
        relay: Option<SmtpUrl>,
        allow_private: bool,
    ) -> Outbox {
        Outbox {
            store,
            events,
            owner: uuid::Uuid::new_v4().to_string(),
            relay,
            allow_private,
            wake: Arc::default(),
        }
    }

    /// A message was queued: look now rather than at the next tick.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Send every message due at `now` that no other instance holds; how many attempts
    /// were made. One message is claimed at a time, right before its attempt, and the
    /// clock moves on from `now` as the run goes: a lease never starts already spent,
    /// however long the run (an attempt takes at most [`ATTEMPT_LIMIT`], well within it).
    pub async fn run_due(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        let started = std::time::Instant::now();
        let mut attempts = 0;
        loop {
            let at = now + Duration::from_std(started.elapsed()).unwrap_or_default();
            let claimed = self
                .store
                .claim_outbound(&self.owner, at, Duration::seconds(LEASE_SECS), 1)
                .await?;
            if claimed.is_empty() {
                return Ok(attempts);
            }
            for m in claimed {
                let attempt = match tokio::time::timeout(ATTEMPT_LIMIT, self.attempt(&m, at)).await
                {
                    Ok(a) => a,
                    Err(_) => temporary(
                        m.attempts,
                        format!("no answer within {} s", ATTEMPT_LIMIT.as_secs()),
                        at,
                    ),
                };
                match &attempt {
                    Attempt::Sent => tracing::info!(activity = m.activity_id, "e-mail sent"),
                    Attempt::Retry { reason, .. } | Attempt::Failed { reason } => {
                        tracing::warn!(activity = m.activity_id, %reason, "e-mail not sent")
                    }
                }
                let events = self
                    .store
                    .finish_outbound(m.activity_id, &self.owner, &attempt, at)
                    .await?;
                self.events.publish(events);
                attempts += 1;
            }
        }
    }

    /// The transport for an identity's SMTP URL (`None`: the server-wide relay), and the
    /// server's name for messages.
    async fn transport(
        &self,
        smtp_url: Option<&str>,
    ) -> Result<(AsyncSmtpTransport<Tokio1Executor>, String), Unusable> {
        match (smtp_url, &self.relay) {
            (Some(url), _) => {
                let url: SmtpUrl = url
                    .parse()
                    .map_err(|e| Unusable::Permanent(format!("the sender's SMTP server: {e}")))?;
                match url.guarded_transport(self.allow_private).await {
                    Ok(t) => Ok((t, url.server())),
                    // A name that does not resolve may tomorrow; a private one will not.
                    Err(e) if e.contains("private address") => Err(Unusable::Permanent(e)),
                    Err(e) => Err(Unusable::Temporary(e)),
                }
            }
            (None, Some(relay)) => relay
                .trusted_transport()
                .map(|t| (t, relay.server()))
                .map_err(Unusable::Permanent),
            (None, None) => Err(Unusable::Permanent(
                "no SMTP server: the sender has none and the server has no relay \
                 (AGENTDESK_SMTP_URL)"
                    .into(),
            )),
        }
    }

    /// Whether an identity's SMTP server (`None`: the relay) can be reached and takes
    /// its credentials: connect, greet, TLS and log in as a send would, then quit.
    pub async fn check_sender(&self, smtp_url: Option<&str>) -> SenderCheck {
        let (transport, server) = match self.transport(smtp_url).await {
            Ok(t) => t,
            Err(Unusable::Permanent(e) | Unusable::Temporary(e)) => {
                return SenderCheck {
                    ok: false,
                    message: e,
                };
            }
        };
        match tokio::time::timeout(ATTEMPT_LIMIT, transport.test_connection()).await {
            Ok(Ok(true)) => SenderCheck {
                ok: true,
                message: format!("{server}: connected"),
            },
            Ok(Ok(false)) => SenderCheck {
                ok: false,
                message: format!("{server}: the server did not answer"),
            },
            Ok(Err(e)) => SenderCheck {
                ok: false,
                message: format!("{server}: {e}"),
            },
            Err(_) => SenderCheck {
                ok: false,
                message: format!("{server}: no answer within {} s", ATTEMPT_LIMIT.as_secs()),
            },
        }
    }

    /// One attempt at `m`.
    async fn attempt(&self, m: &ClaimedEmail, now: DateTime<Utc>) -> Attempt {
        let failed = |reason: String| Attempt::Failed { reason };
        let Some(address) = &m.from_address else {
            return failed("its sender identity was deleted".into());
        };
        let from = match address.parse() {
            Ok(a) => Mailbox::new(m.from_name.clone().filter(|n| !n.trim().is_empty()), a),
            Err(e) => return failed(format!("the sender `{address}` is not an address: {e}")),
        };
        let (transport, server) = match self.transport(m.smtp_url.as_deref()).await {
            Ok(t) => t,
            Err(Unusable::Permanent(e)) => return failed(e),
            Err(Unusable::Temporary(e)) => return temporary(m.attempts, e, now),
        };
        let files = match self.store.mail_files(m.activity_id).await {
            Ok(f) => f,
            Err(e) => {
                return temporary(m.attempts, format!("its files could not be read: {e}"), now);
            }
        };
        // Its files go with it or it does not go: fewer than claimed means the message
        // was deleted meanwhile (its outcome is then written nowhere).
        if i64::try_from(files.len()).ok() != Some(m.file_count) {
            return failed("its files were deleted while it was being sent".into());
        }
        let message = match message::build(m, from, files, now.into()) {
            Ok(msg) => msg,
            Err(e) => return failed(e),
        };
        match transport.send(message).await {
            Ok(_) => Attempt::Sent,
            // A refusal for good (5xx), or what no retry changes: the client's side of
            // the conversation (no authentication both sides speak, say).
            Err(e) if e.is_permanent() || e.is_client() => failed(format!("{server}: {e}")),
            Err(e) => temporary(m.attempts, format!("{server}: {e}"), now),
        }
    }
}

/// Run `outbox` every `every`, and at once when woken.
pub fn spawn_worker(outbox: Outbox, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = outbox.wake.notified() => {}
            }
            if let Err(e) = outbox.run_due(crate::clock::now()).await {
                tracing::warn!(error = %e, "the outbox could not be read");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_failures_wait_longer_each_time_then_give_up() {
        assert_eq!(backoff(0), None);
        assert_eq!(backoff(1), Some(Duration::seconds(30)));
        assert_eq!(backoff(2), Some(Duration::minutes(2)));
        assert_eq!(backoff(8), Some(Duration::hours(8)));
        assert_eq!(backoff(9), None);
        let now = Utc::now();
        assert_eq!(
            temporary(0, "451".into(), now),
            Attempt::Retry {
                at: now + Duration::seconds(30),
                reason: "451".into()
            }
        );
        assert!(matches!(
            temporary(8, "451".into(), now),
            Attempt::Failed { reason } if reason == "gave up after 9 attempts: 451"
        ));
    }
}
