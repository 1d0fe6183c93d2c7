//! Real-time fan-out to browsers (server-sent events).
//!
//! Every event is first written to the store's event log, in the same transaction as the
//! change it reports; the log gives it an id. After the commit the writer hands the
//! stored events to [`EventHub::publish`], which puts them in id order and hands each to
//! the open streams it may be for (`route.rs`). Each stream (`stream.rs`) checks the
//! teams of its user, and a stream that falls behind (or resumes with `Last-Event-ID`)
//! reads the missed events back from the log, scoped in the query like every other
//! read. Events carry ids, never content.

mod route;
mod stream;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

pub use stream::stream;

use crate::store::{DynStore, StoredEvent, Viewer};

/// How many events the in-process followers of every event (`subscribe`) may lag.
const CHANNEL_CAPACITY: usize = 1024;
/// Events read from the log per round when catching up.
const CATCH_UP_BATCH: u32 = 500;
/// How long the hub holds an event back while an older id is still missing (a writer
/// that committed first but has not published yet, or another instance's event on its
/// way through the relay). After this the held events go out and streams read whatever
/// is missing from the log.
const GAP_WAIT: Duration = Duration::from_millis(250);

/// The in-process fan-out. Writers publish after their commit, so concurrent writers can
/// publish out of id order, and with several instances the relay republishes this
/// instance's own events. Streams need ids in order (a gap makes a stream read the log:
/// with 500 streams, 500 queries for one event), so the hub puts events in order first:
/// it sends the next expected id at once, holds later ones up to [`GAP_WAIT`] for the
/// missing ones, and drops ids it has already sent.
#[derive(Clone)]
pub struct EventHub {
    /// Every event, for the server's own followers (settings); streams use `routes`.
    tx: broadcast::Sender<Arc<StoredEvent>>,
    routes: Arc<route::Routes>,
    /// The highest id handed out in order: every stream has been given what it may want
    /// up to here.
    dispatched: Arc<AtomicI64>,
    order: Arc<Mutex<Sequencer>>,
    /// Sessions signed out on this instance (token hashes): their streams end at once.
    /// Other instances' streams learn it from the user's `agent.status` event (a sign-out
    /// disconnects), which makes them check their session, or at the next heartbeat.
    ended: broadcast::Sender<Arc<str>>,
}

#[derive(Default)]
struct Sequencer {
    /// The id the streams expect next; `None` until [`EventHub::start_after`] (events are
    /// then passed through as they come).
    next: Option<i64>,
    held: BTreeMap<i64, StoredEvent>,
    /// When the oldest held event started waiting.
    waiting_since: Option<Instant>,
}

impl Default for EventHub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (ended, _) = broadcast::channel(64);
        EventHub {
            tx,
            routes: Arc::default(),
            dispatched: Arc::default(),
            order: Arc::default(),
            ended,
        }
    }
}

impl EventHub {
    /// Events up to `newest` are in the log already: the next one published is `newest+1`.
    pub fn start_after(&self, newest: i64) {
        let mut order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        order.next = Some(newest + 1);
        self.dispatched.store(newest, Ordering::Release);
    }

    /// Fan out events already committed to the log.
    pub fn publish(&self, events: impl IntoIterator<Item = StoredEvent>) {
        let mut order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        let Some(mut next) = order.next else {
            // Unordered (the log could not be read at start): every stream reads the log
            // after each event instead of trusting the order.
            drop(order);
            for e in events {
                let id = e.id;
                self.send(e);
                self.routes.catch_up_all(id);
            }
            return;
        };
        for e in events {
            if e.id >= next {
                order.held.insert(e.id, e);
            }
        }
        while let Some(e) = order.held.remove(&next) {
            next += 1;
            self.send(e);
        }
        let stale = order.waiting_since.is_some_and(|t| t.elapsed() >= GAP_WAIT);
        if stale {
            // Give up on the gap: send what is held, in order.
            let held = std::mem::take(&mut order.held);
            if let Some((&last, _)) = held.last_key_value() {
                next = last + 1;
            }
            for (_, e) in held {
                self.send(e);
            }
            // What was missing may concern anyone: every stream reads the log for it.
            self.routes.catch_up_all(next - 1);
        }
        order.next = Some(next);
        if order.held.is_empty() {
            order.waiting_since = None;
        } else if order.waiting_since.is_none() {
            order.waiting_since = Some(Instant::now());
            // Nothing else may publish soon: look again when the wait is over.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let hub = self.clone();
                rt.spawn(async move {
                    tokio::time::sleep(GAP_WAIT).await;
                    hub.publish([]);
                });
            }
        }
    }

    fn send(&self, e: StoredEvent) {
        let (id, e) = (e.id, Arc::new(e));
        self.routes.dispatch(&e);
        self.dispatched.fetch_max(id, Ordering::AcqRel);
        // No receiver is not an error: nobody is following right now.
        let _ = self.tx.send(e);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.tx.subscribe()
    }

    /// A session was signed out here: end its streams on this instance now.
    pub fn end_session(&self, session_hash: &str) {
        let _ = self.ended.send(Arc::from(session_hash));
    }
}

/// How long the relay waits for a notification before looking at the log anyway: a
/// notification lost while the listening connection was re-established costs at most
/// this much delay, never an event.
const RELAY_POLL: Duration = Duration::from_secs(2);

/// Events written by other server instances on a shared database (PostgreSQL): on each
/// notification — and every [`RELAY_POLL`] regardless — read the log after the last event
/// relayed and publish it here. Local events come back through the log too; streams drop
/// what they have already sent (ids are ordered), so that costs nothing but the read.
/// Backends that serve one process only offer no notifications, and no relay runs.
///
/// `start`: the newest event when this instance began serving (`None`: read when the
/// relay first listens). Relaying from there, not from whatever is newest once the
/// listening connection is up, keeps the events written in between: a stream opened
/// on this instance meanwhile would otherwise never get them (seen when connecting
/// took longer, over TLS).
pub fn spawn_relay(hub: EventHub, store: DynStore, start: Option<i64>) {
    tokio::spawn(async move {
        use futures_util::StreamExt;
        // Reads all teams' events: the streams scope them per viewer.
        let system = Viewer {
            user_id: 0,
            role: agentdesk_protocol::Role::Admin,
            can_email: true,
        };
        let mut after = start;
        loop {
            let mut wakeups = match store.event_notifications().await {
                Ok(Some(s)) => s,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "event relay: cannot listen; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let mut last = match after {
                Some(a) => a,
                None => match store.event_bounds().await {
                    Ok((newest, _)) => newest,
                    Err(e) => {
                        tracing::warn!(error = %e, "event relay: cannot read the log; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                },
            };
            after = Some(last);
            loop {
                // Read everything after `last` (also what was missed while reconnecting).
                loop {
                    match store.events_since(&system, last, CATCH_UP_BATCH).await {
                        Ok(batch) => {
                            let full = batch.len() == CATCH_UP_BATCH as usize;
                            if let Some(e) = batch.last() {
                                last = e.id;
                                after = Some(last);
                            }
                            hub.publish(batch);
                            if !full {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event relay: reading the log failed");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
                match tokio::time::timeout(RELAY_POLL, wakeups.next()).await {
                    Ok(Some(Ok(_))) | Err(_) => {}
                    Ok(Some(Err(e))) => {
                        tracing::warn!(error = %e, "event relay: notifications lost; reconnecting");
                        break;
                    }
                    Ok(None) => break,
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use agentdesk_protocol::ServerEvent;

    use super::*;

    fn ev(id: i64) -> StoredEvent {
        StoredEvent {
            id,
            team_id: Some(1),
            event: ServerEvent::AgentStatus { user_id: id },
        }
    }

    fn drain(rx: &mut broadcast::Receiver<Arc<StoredEvent>>) -> Vec<i64> {
        let mut ids = Vec::new();
        while let Ok(e) = rx.try_recv() {
            ids.push(e.id);
        }
        ids
    }

    #[tokio::test]
    async fn events_published_out_of_order_reach_streams_in_order_and_once() {
        let hub = EventHub::default();
        hub.start_after(10);
        let mut rx = hub.subscribe();
        hub.publish([ev(12), ev(13)]);
        assert!(drain(&mut rx).is_empty(), "12 and 13 wait for 11");
        hub.publish([ev(11)]);
        assert_eq!(drain(&mut rx), vec![11, 12, 13]);
        // The relay's copies of events already sent are dropped.
        hub.publish([ev(9), ev(11), ev(13), ev(14)]);
        assert_eq!(drain(&mut rx), vec![14]);
    }

    #[tokio::test]
    async fn a_gap_that_never_fills_is_given_up_after_the_wait() {
        let hub = EventHub::default();
        hub.start_after(0);
        let mut rx = hub.subscribe();
        hub.publish([ev(3), ev(2)]);
        assert!(drain(&mut rx).is_empty());
        tokio::time::sleep(GAP_WAIT * 2).await;
        assert_eq!(
            drain(&mut rx),
            vec![2, 3],
            "sent in order once the wait is over"
        );
        // Id 1 comes late: the streams have moved past it (they read gaps from the log).
        hub.publish([ev(1), ev(4)]);
        assert_eq!(drain(&mut rx), vec![4]);
    }
}
