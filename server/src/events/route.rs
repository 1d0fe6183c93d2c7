//! Which open streams an event is for. The hub hands each event only to the streams that
//! may want it — an activity event to the streams watching its contact, a status event
//! to its agent's own streams and to supervisors', a reminder to its user's — so an event
//! costs in proportion to its audience, not to every open desktop (2,000 desktops of one
//! team woke up 2,000 times per event when each filtered a broadcast itself). Each stream
//! still checks its scope (teams) on what it gets.
//!
//! Events reach a stream in id order (the hub sends them in order). A stream whose queue
//! is full gets a catch-up flag instead of the event and reads what it missed from the
//! log; when the hub gives up on a gap in the ids, every stream is told to read the log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use agentdesk_protocol::{Role, ServerEvent, WatchedContacts};
use tokio::sync::mpsc;

use crate::store::StoredEvent;

/// Events a stream may have waiting before it reads the log instead.
const QUEUE: usize = 1024;

/// What a stream is handed.
#[derive(Debug, Clone)]
pub enum Delivery {
    Event(Arc<StoredEvent>),
    /// Events up to this id may be missing: read the log.
    CatchUp(i64),
}

#[derive(Default)]
pub struct Routes {
    table: Mutex<Table>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Table {
    subs: HashMap<u64, Sub>,
    by_contact: HashMap<i64, Vec<u64>>,
    by_user: HashMap<i64, Vec<u64>>,
    /// Streams that named no contacts: every activity event they may see.
    every_contact: Vec<u64>,
    /// Supervisors' and admins' streams: every agent's status.
    every_status: Vec<u64>,
}

struct Sub {
    tx: mpsc::Sender<Delivery>,
    lagged: Arc<AtomicBool>,
    user_id: i64,
    contacts: Option<Vec<i64>>,
    every_status: bool,
}

/// One stream's place in the table; leaves it when dropped.
pub struct Subscription {
    id: u64,
    routes: Arc<Routes>,
    pub rx: mpsc::Receiver<Delivery>,
    lagged: Arc<AtomicBool>,
}

impl Subscription {
    /// Whether an event could not be queued since the last look (then read the log).
    pub fn take_lagged(&self) -> bool {
        self.lagged.swap(false, Ordering::AcqRel)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.routes.remove(self.id);
    }
}

fn unlist(list: &mut Vec<u64>, id: u64) {
    list.retain(|x| *x != id);
}

impl Routes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(
        self: &Arc<Self>,
        user_id: i64,
        role: Role,
        contacts: Option<&WatchedContacts>,
    ) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE);
        let lagged = Arc::new(AtomicBool::new(false));
        let sub = Sub {
            tx,
            lagged: lagged.clone(),
            user_id,
            contacts: contacts.map(|c| c.0.clone()),
            every_status: role != Role::Agent,
        };
        let mut t = self.lock();
        match &sub.contacts {
            Some(ids) => {
                for c in ids {
                    t.by_contact.entry(*c).or_default().push(id);
                }
            }
            None => t.every_contact.push(id),
        }
        t.by_user.entry(user_id).or_default().push(id);
        if sub.every_status {
            t.every_status.push(id);
        }
        t.subs.insert(id, sub);
        drop(t);
        Subscription {
            id,
            routes: self.clone(),
            rx,
            lagged,
        }
    }

    fn remove(&self, id: u64) {
        let mut t = self.lock();
        let Some(sub) = t.subs.remove(&id) else {
            return;
        };
        let t = &mut *t;
        let unlist_in = |map: &mut HashMap<i64, Vec<u64>>, key: i64| {
            if let Some(list) = map.get_mut(&key) {
                unlist(list, id);
                if list.is_empty() {
                    map.remove(&key);
                }
            }
        };
        for c in sub.contacts.iter().flatten() {
            unlist_in(&mut t.by_contact, *c);
        }
        unlist_in(&mut t.by_user, sub.user_id);
        unlist(&mut t.every_contact, id);
        unlist(&mut t.every_status, id);
    }

    /// Hand `e` to the streams it may be for.
    pub fn dispatch(&self, e: &Arc<StoredEvent>) {
        let t = self.lock();
        let list =
            |map: &HashMap<i64, Vec<u64>>, key: i64| map.get(&key).cloned().unwrap_or_default();
        let mut targets: Vec<u64> = if let Some(c) = e.event.contact_id() {
            let mut v = list(&t.by_contact, c);
            v.extend_from_slice(&t.every_contact);
            v
        } else if let Some(user_id) = e.event.private_to() {
            list(&t.by_user, user_id)
        } else {
            match &e.event {
                ServerEvent::AgentStatus { user_id } => {
                    let mut v = list(&t.by_user, *user_id);
                    v.extend_from_slice(&t.every_status);
                    v
                }
                _ => t.subs.keys().copied().collect(),
            }
        };
        targets.sort_unstable();
        targets.dedup();
        for id in targets {
            if let Some(sub) = t.subs.get(&id) {
                t.give(sub, Delivery::Event(e.clone()));
            }
        }
    }

    /// Tell every stream to read the log up to `upto` (the hub gave up on a gap).
    pub fn catch_up_all(&self, upto: i64) {
        let t = self.lock();
        for sub in t.subs.values() {
            t.give(sub, Delivery::CatchUp(upto));
        }
    }

    /// Open streams.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().subs.len()
    }
}

impl Table {
    fn give(&self, sub: &Sub, d: Delivery) {
        if let Err(mpsc::error::TrySendError::Full(_)) = sub.tx.try_send(d) {
            sub.lagged.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, event: ServerEvent) -> Arc<StoredEvent> {
        Arc::new(StoredEvent {
            id,
            team_id: Some(1),
            event,
        })
    }

    fn got(s: &mut Subscription) -> Vec<i64> {
        let mut ids = Vec::new();
        while let Ok(d) = s.rx.try_recv() {
            match d {
                Delivery::Event(e) => ids.push(e.id),
                Delivery::CatchUp(upto) => ids.push(-upto),
            }
        }
        ids
    }

    #[test]
    fn each_event_reaches_only_the_streams_it_is_for() {
        let routes = Arc::new(Routes::default());
        let watching = WatchedContacts(vec![10, 11]);
        let mut agent = routes.subscribe(1, Role::Agent, Some(&watching));
        let mut other = routes.subscribe(2, Role::Agent, Some(&WatchedContacts(vec![12])));
        let mut boss = routes.subscribe(3, Role::Supervisor, None);
        let created = |id, contact_id| ServerEvent::ActivityCreated {
            contact_id,
            activity_id: id,
            kind: agentdesk_protocol::ActivityKind::Sms,
        };
        routes.dispatch(&ev(1, created(1, 10)));
        routes.dispatch(&ev(2, created(2, 12)));
        routes.dispatch(&ev(3, ServerEvent::AgentStatus { user_id: 1 }));
        routes.dispatch(&ev(4, ServerEvent::AgentStatus { user_id: 3 }));
        routes.dispatch(&ev(5, ServerEvent::Reminders { user_id: 2 }));
        routes.dispatch(&ev(6, ServerEvent::SettingsChanged));
        assert_eq!(got(&mut agent), vec![1, 3, 6]);
        assert_eq!(got(&mut other), vec![2, 5, 6]);
        assert_eq!(
            got(&mut boss),
            vec![1, 2, 3, 4, 6],
            "once each, its own status too"
        );
        routes.catch_up_all(6);
        assert_eq!(got(&mut agent), vec![-6]);
        drop(other);
        assert_eq!(routes.len(), 2);
        routes.dispatch(&ev(7, created(7, 12)));
        assert_eq!(got(&mut boss), vec![-6, 7]);
    }

    #[test]
    fn a_full_queue_turns_into_a_catch_up() {
        let routes = Arc::new(Routes::default());
        let mut s = routes.subscribe(1, Role::Agent, None);
        for id in 1..=(QUEUE as i64 + 5) {
            routes.dispatch(&ev(id, ServerEvent::SettingsChanged));
        }
        assert!(s.take_lagged(), "told to read the log");
        assert!(!s.take_lagged(), "once");
        assert_eq!(got(&mut s).len(), QUEUE);
    }
}
