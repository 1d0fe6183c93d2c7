//! One browser's real-time stream: what it is sent (its viewer's scope, the contacts it
//! watches), resuming from the log, catching up after a gap or an overflow, and ending
//! with its session.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::Duration;

use agentdesk_protocol::{ServerEvent, WatchedContacts};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast;

use super::route::Delivery;
use super::{CATCH_UP_BATCH, EventHub};
use crate::store::{DynStore, StoredEvent, Viewer};

fn to_sse(e: &StoredEvent) -> Event {
    Event::default()
        .id(e.id.to_string())
        .event(e.event.name())
        .json_data(&e.event)
        .unwrap_or_else(|_| Event::default().comment("unencodable event"))
}

/// A stream's own message (`ready`, `resync`) at log position `id`; never stored.
fn position(id: i64, event: ServerEvent) -> StoredEvent {
    StoredEvent {
        id,
        team_id: None,
        event,
    }
}

/// What one stream is sent: the viewer's events, scoped to their teams, and — when the
/// client named them — only the activity events of the contacts it shows.
struct Scope {
    viewer: Viewer,
    /// `None`: every team (admins).
    teams: Option<Vec<i64>>,
    /// `None`: every contact.
    contacts: Option<WatchedContacts>,
}

impl Scope {
    fn wants(&self, e: &StoredEvent) -> bool {
        visible(&self.viewer, &self.teams, e)
            && self.contacts.as_ref().is_none_or(|c| c.wants(&e.event))
    }
}

fn visible(viewer: &Viewer, teams: &Option<Vec<i64>>, e: &StoredEvent) -> bool {
    // Other agents' status changes are for supervisors' boards; an agent's desktop only
    // follows its own (500 agents changing status would otherwise reach 500 desktops).
    if let ServerEvent::AgentStatus { user_id } = e.event
        && viewer.role == agentdesk_protocol::Role::Agent
        && user_id != viewer.user_id
    {
        return false;
    }
    // A user's reminders and notifications are theirs alone, whatever their role.
    if e.event.private_to().is_some_and(|u| u != viewer.user_id) {
        return false;
    }
    match (teams, e.team_id) {
        (None, _) | (_, None) => true,
        (Some(teams), Some(t)) => teams.contains(&t),
    }
}

/// The SSE response for one viewer. With `resume_after`, events after that id are
/// replayed from the log first (or a `resync` is sent when they are no longer kept).
/// With `contacts`, activity events of other contacts are left out.
pub async fn stream(
    hub: &EventHub,
    store: DynStore,
    viewer: Viewer,
    contacts: Option<WatchedContacts>,
    resume_after: Option<i64>,
    presence: Option<crate::presence::StreamGuard>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, crate::store::StoreError> {
    // Subscribe before reading the log so that nothing falls between the two.
    let mut sub = hub
        .routes
        .subscribe(viewer.user_id, viewer.role, contacts.as_ref());
    let mut ended = hub.ended.subscribe();
    let dispatched = hub.dispatched.clone();
    let teams = store.viewer_teams(&viewer).await?;
    let scope = Scope {
        viewer,
        teams,
        contacts,
    };
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
        // Where this stream starts, so that the client can resume from here.
        yield Ok(to_sse(&position(last, ServerEvent::Ready)));
        let mut announced = last;
        if resync {
            yield Ok(to_sse(&position(last, ServerEvent::Resync)));
        }
        // Events up to `floor` are known to be committed (they were published), so the
        // stream may move past them even when none of them is visible to this viewer.
        let mut floor = newest;
        let mut catch_up = last < newest;
        loop {
            if sub.take_lagged() {
                // Its queue overflowed: what did not fit is in the log.
                floor = floor.max(dispatched.load(Ordering::Acquire));
                catch_up = true;
            }
            if catch_up {
                match store.events_since(&scope.viewer, last, CATCH_UP_BATCH).await {
                    Ok(batch) => {
                        let full = batch.len() == CATCH_UP_BATCH as usize;
                        let mut gone = false;
                        for e in &batch {
                            last = e.id;
                            if scope.wants(e) {
                                yield Ok(to_sse(e));
                            }
                            gone = gone || signed_out(e, presence.as_ref()).await;
                        }
                        if gone {
                            break;
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
                d = sub.rx.recv() => d,
                e = ended.recv() => {
                    match (e, &presence) {
                        (Ok(hash), Some(p)) if *hash == *p.session_hash() => break,
                        // Missed some: whether ours was among them, the row tells.
                        (Err(broadcast::error::RecvError::Lagged(_)), Some(p))
                            if !p.touch().await => break,
                        _ => {}
                    }
                    continue;
                }
                _ = heartbeat.tick() => {
                    if let Some(p) = &presence && !p.touch().await {
                        // Signed out or swept: this stream no longer speaks for anyone.
                        break;
                    }
                    // Every event up to what the hub has handed out that this stream
                    // wants is in its queue by now: take those, then it is past the rest.
                    let through = dispatched.load(Ordering::Acquire);
                    let mut gone = false;
                    while let Ok(d) = sub.rx.try_recv() {
                        match d {
                            Delivery::Event(e) if e.id > last => {
                                last = e.id;
                                if scope.wants(&e) {
                                    yield Ok(to_sse(&e));
                                }
                                gone = gone || signed_out(&e, presence.as_ref()).await;
                            }
                            Delivery::Event(_) => {}
                            Delivery::CatchUp(upto) => {
                                floor = floor.max(upto);
                                catch_up = true;
                            }
                        }
                    }
                    if gone {
                        break;
                    }
                    if !catch_up {
                        last = last.max(through);
                    }
                    if last > announced {
                        // A filtered stream may pass many events without sending one:
                        // tell the client how far it is, so that a reopen resumes from
                        // here instead of replaying (or outliving) the log.
                        announced = last;
                        yield Ok(to_sse(&position(last, ServerEvent::Ready)));
                    }
                    continue;
                }
            };
            match received {
                Some(Delivery::Event(e)) if e.id <= last => {} // already sent from the log
                Some(Delivery::Event(e)) => {
                    last = e.id;
                    if scope.wants(&e) {
                        yield Ok(to_sse(&e));
                    }
                    if signed_out(&e, presence.as_ref()).await {
                        break;
                    }
                }
                Some(Delivery::CatchUp(upto)) => {
                    // The hub gave up on a gap below `upto`: read it from the log.
                    floor = floor.max(upto);
                    catch_up = true;
                }
                None => break,
            }
        }
    };
    Ok(Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Whether `e`, an `agent.status` of the stream's own user (a sign-out on any instance
/// disconnects the user and writes one), found the stream's session gone. Other events
/// cost nothing; this one a single-row check.
async fn signed_out(e: &StoredEvent, presence: Option<&crate::presence::StreamGuard>) -> bool {
    match (&e.event, presence) {
        (ServerEvent::AgentStatus { user_id }, Some(p)) if *user_id == p.user_id() => {
            !p.touch().await
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64) -> StoredEvent {
        StoredEvent {
            id,
            team_id: Some(1),
            event: ServerEvent::AgentStatus { user_id: id },
        }
    }

    #[test]
    fn agents_follow_their_own_status_and_supervisors_everyones() {
        let agent = Viewer {
            user_id: 7,
            role: agentdesk_protocol::Role::Agent,
            can_email: false,
        };
        let supervisor = Viewer {
            role: agentdesk_protocol::Role::Supervisor,
            ..agent
        };
        let teams = Some(vec![1]);
        assert!(visible(&agent, &teams, &ev(7)));
        assert!(!visible(&agent, &teams, &ev(8)));
        assert!(visible(&supervisor, &teams, &ev(8)));
        let other_team = StoredEvent {
            team_id: Some(2),
            ..ev(7)
        };
        assert!(!visible(&agent, &teams, &other_team));
    }
}
