//! Real-time fan-out to browsers (server-sent events).
//!
//! Every event is first written to the store's event log, in the same transaction as the
//! change it reports; the log gives it an id. After the commit the writer hands the
//! stored events to [`EventHub::publish`], which broadcasts them in process to every open
//! stream. Each stream filters by the teams of its user, and a stream that falls behind
//! (or resumes with `Last-Event-ID`) reads the missed events back from the log, scoped in
//! the query like every other read. Events carry ids, never content.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use agentdesk_protocol::ServerEvent;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast;

use crate::store::{DynStore, StoredEvent, Viewer};

/// How many events a stream may lag before it falls back to reading the log.
const CHANNEL_CAPACITY: usize = 1024;
/// Events read from the log per round when catching up.
const CATCH_UP_BATCH: u32 = 500;

#[derive(Clone)]
pub struct EventHub {
    tx: broadcast::Sender<Arc<StoredEvent>>,
}

impl Default for EventHub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        EventHub { tx }
    }
}

impl EventHub {
    /// Fan out events already committed to the log.
    pub fn publish(&self, events: impl IntoIterator<Item = StoredEvent>) {
        for e in events {
            // No receiver is not an error: nobody is watching right now.
            let _ = self.tx.send(Arc::new(e));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.tx.subscribe()
    }
}

fn to_sse(e: &StoredEvent) -> Event {
    Event::default()
        .id(e.id.to_string())
        .event(e.event.name())
        .json_data(&e.event)
        .unwrap_or_else(|_| Event::default().comment("unencodable event"))
}

fn visible(teams: &Option<Vec<i64>>, e: &StoredEvent) -> bool {
    match (teams, e.team_id) {
        (None, _) | (_, None) => true,
        (Some(teams), Some(t)) => teams.contains(&t),
    }
}

/// The SSE response for one viewer. With `resume_after`, events after that id are
/// replayed from the log first (or a `resync` is sent when they are no longer kept).
pub async fn stream(
    hub: &EventHub,
    store: DynStore,
    viewer: Viewer,
    resume_after: Option<i64>,
    presence: Option<crate::presence::StreamGuard>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, crate::store::StoreError> {
    // Subscribe before reading the log so that nothing falls between the two.
    let mut rx = hub.subscribe();
    let teams = store.viewer_teams(&viewer).await?;
    let (newest, oldest) = store.event_bounds().await?;
    let mut last = match resume_after {
        Some(after) if after >= newest => newest.min(after),
        Some(after) => after,
        None => newest,
    };
    let mut resync = false;
    if let Some(after) = resume_after
        && after + 1 < oldest
    {
        // The events after `after` were pruned: the client must refetch, then follow.
        resync = true;
        last = newest;
    }

    let s = async_stream::stream! {
        // Owned by the stream: dropped (the desktop went away) when the client disconnects.
        let presence = presence;
        let mut heartbeat = tokio::time::interval(crate::presence::HEARTBEAT);
        heartbeat.tick().await;
        if resync {
            yield Ok(Event::default().id(last.to_string()).event(ServerEvent::Resync.name())
                .json_data(ServerEvent::Resync).unwrap_or_default());
        }
        // Events up to `floor` are known to be committed (they were published), so the
        // stream may move past them even when none of them is visible to this viewer.
        let mut floor = newest;
        let mut catch_up = last < newest;
        loop {
            if catch_up {
                match store.events_since(&viewer, last, CATCH_UP_BATCH).await {
                    Ok(batch) => {
                        let full = batch.len() == CATCH_UP_BATCH as usize;
                        for e in &batch {
                            last = e.id;
                            yield Ok(to_sse(e));
                        }
                        if full {
                            continue;
                        }
                        last = last.max(floor);
                        catch_up = false;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "event stream: catching up failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
            let received = tokio::select! {
                r = rx.recv() => r,
                _ = heartbeat.tick() => {
                    if let Some(p) = &presence && !p.touch().await {
                        // Signed out or swept: this stream no longer speaks for anyone.
                        break;
                    }
                    continue;
                }
            };
            match received {
                Ok(e) if e.id <= last => {} // already sent while catching up
                Ok(e) if e.id == last + 1 => {
                    last = e.id;
                    if visible(&teams, &e) {
                        yield Ok(to_sse(&e));
                    }
                }
                Ok(e) => {
                    // A gap: published out of order, before this stream subscribed, or
                    // on another instance. Read it from the log.
                    floor = floor.max(e.id);
                    catch_up = true;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => catch_up = true,
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    };
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
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
pub fn spawn_relay(hub: EventHub, store: DynStore) {
    tokio::spawn(async move {
        use futures_util::StreamExt;
        // Reads all teams' events: the streams scope them per viewer.
        let system = Viewer {
            user_id: 0,
            role: agentdesk_protocol::Role::Admin,
            can_email: true,
        };
        let mut after = None;
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
