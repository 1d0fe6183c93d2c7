//! The real-time connection: one `EventSource` per signed-in tab, shared by every page.
//!
//! `EventSource` cannot send an `Authorization` header, so each connection starts with a
//! short-lived ticket from `POST /stream-tickets`. The browser reconnects by itself after
//! a network blip (sending `Last-Event-ID`); when it gives up (the ticket expired, the
//! server restarted) we take a new ticket and reconnect with backoff, resuming after the
//! last event seen. Pages subscribe with [`Live::subscribe`] and get every event once.
//!
//! Activity events come only for the contacts pages [`Live::watch`]: the stream names
//! them (`contacts=…`), and is reopened — resuming after the last event, so nothing is
//! missed — when the set changes. The server then writes out to each desktop only what
//! it shows, not every activity of the team.

use std::cell::RefCell;
use std::rc::Rc;

use std::collections::BTreeMap;

use agentdesk_protocol::{ServerEvent, WatchedContacts};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

use crate::api;

type Handler = Rc<dyn Fn(&ServerEvent)>;

#[derive(Default)]
struct Inner {
    subscribers: Vec<(u64, Handler)>,
    next_id: u64,
    last_event_id: Option<i64>,
    source: Option<EventSource>,
    // Kept alive as long as the source that calls them.
    closures: Vec<Closure<dyn FnMut(MessageEvent)>>,
    on_error: Option<Closure<dyn FnMut(web_sys::Event)>>,
    on_open: Option<Closure<dyn FnMut(web_sys::Event)>>,
    /// Bumped on stop, so that a reconnect scheduled earlier does nothing.
    generation: u64,
    failures: u32,
    /// Between `start` and `stop`.
    started: bool,
    /// Contacts on screen, with how many views watch each.
    watched: BTreeMap<i64, u32>,
    /// The contacts the open stream was asked for.
    streaming: Option<WatchedContacts>,
    /// A reopen for a changed watch set, waiting for the set to settle (navigating from
    /// one contact to another unwatches one and watches the other).
    reopen: Option<gloo_timers::callback::Timeout>,
}

impl Inner {
    fn watch_list(&self) -> WatchedContacts {
        WatchedContacts(self.watched.keys().copied().collect())
    }
}

/// Handle to the tab's real-time connection (in context from the app shell).
#[derive(Clone, Copy)]
pub struct Live {
    inner: StoredValue<Rc<RefCell<Inner>>, LocalStorage>,
    /// True while the stream is open; the UI shows when it is not.
    pub connected: RwSignal<bool>,
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

impl Live {
    pub fn new() -> Self {
        let live = Live {
            inner: StoredValue::new_local(Rc::new(RefCell::new(Inner::default()))),
            connected: RwSignal::new(false),
        };
        live.close_on_pagehide();
        live
    }

    /// Close the stream when the page goes away (reload, navigation, the page kept in
    /// the back/forward cache) instead of leaving the browser to do it: an open stream
    /// held by a page being left counts against the browser's six connections per host,
    /// and a few reloads would leave the next page waiting for a free one. A page shown
    /// again from the cache reconnects and resumes from its last event.
    fn close_on_pagehide(&self) {
        let this = *self;
        let hide = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let inner = this.inner();
            let mut i = inner.borrow_mut();
            i.generation += 1;
            i.reopen = None;
            if let Some(s) = i.source.take() {
                s.close();
            }
        });
        let show = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let generation = {
                let inner = this.inner();
                let i = inner.borrow();
                (i.started && i.source.is_none()).then_some(i.generation)
            };
            if let Some(g) = generation {
                this.connect(g);
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("pagehide", hide.as_ref().unchecked_ref());
            let _ = w.add_event_listener_with_callback("pageshow", show.as_ref().unchecked_ref());
        }
        // For the page's whole life.
        hide.forget();
        show.forget();
    }

    fn inner(&self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    /// Call `f` for every event until the calling component is cleaned up.
    pub fn subscribe(&self, f: impl Fn(&ServerEvent) + 'static) {
        let inner = self.inner();
        let id = {
            let mut i = inner.borrow_mut();
            i.next_id += 1;
            let id = i.next_id;
            i.subscribers.push((id, Rc::new(f)));
            id
        };
        let this = *self;
        on_cleanup(move || {
            if let Some(inner) = this.inner.try_get_value() {
                inner.borrow_mut().subscribers.retain(|(s, _)| *s != id);
            }
        });
    }

    /// Receive `contact_id`'s activity events while the calling component lives.
    pub fn watch(&self, contact_id: i64) {
        *self
            .inner()
            .borrow_mut()
            .watched
            .entry(contact_id)
            .or_default() += 1;
        self.watch_changed();
        let this = *self;
        on_cleanup(move || {
            let Some(inner) = this.inner.try_get_value() else {
                return;
            };
            {
                let mut i = inner.borrow_mut();
                if let Some(n) = i.watched.get_mut(&contact_id) {
                    *n -= 1;
                    if *n == 0 {
                        i.watched.remove(&contact_id);
                    }
                }
            }
            this.watch_changed();
        });
    }

    /// Reopen the stream for the new set once it settles, if it differs from the open one.
    fn watch_changed(&self) {
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        if !i.started {
            return;
        }
        let this = *self;
        let generation = i.generation;
        i.reopen = Some(gloo_timers::callback::Timeout::new(50, move || {
            let inner = this.inner();
            let (differs, positioned) = {
                let mut i = inner.borrow_mut();
                i.reopen = None;
                // No source yet: the open under way reads the set when it opens.
                let differs = i.generation == generation
                    && i.source.is_some()
                    && i.streaming.as_ref() != Some(&i.watch_list());
                (differs, i.last_event_id.is_some())
            };
            if differs && !positioned {
                // The open stream has not said where it starts (`ready`) yet; a new one
                // opened now could not resume from it. Look again shortly.
                this.watch_changed();
            } else if differs {
                this.connect(generation);
            }
        }));
    }

    fn dispatch(&self, event: &ServerEvent) {
        // Clone the handlers out first: a handler may subscribe or unsubscribe.
        let handlers: Vec<Handler> = self
            .inner()
            .borrow()
            .subscribers
            .iter()
            .map(|(_, h)| h.clone())
            .collect();
        for h in handlers {
            h(event);
        }
    }

    /// Open the stream (after sign-in).
    pub fn start(&self) {
        let generation = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            i.started = true;
            i.generation
        };
        self.connect(generation);
    }

    /// Close the stream (sign-out).
    pub fn stop(&self) {
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        i.generation += 1;
        i.started = false;
        i.streaming = None;
        i.reopen = None;
        if let Some(s) = i.source.take() {
            s.close();
        }
        i.closures.clear();
        i.on_error = None;
        i.on_open = None;
        i.last_event_id = None;
        self.connected.set(false);
    }

    fn connect(&self, generation: u64) {
        let this = *self;
        spawn_local(async move {
            if this.inner().borrow().generation != generation {
                return;
            }
            match api::stream_ticket().await {
                Ok(t) => this.open(generation, &t.ticket),
                // The session is gone (signed out elsewhere, deactivated by an admin):
                // back to the sign-in page rather than asking again forever.
                Err(e) if e.code() == Some(agentdesk_protocol::ErrorCode::Unauthorized) => {
                    crate::session::expired();
                }
                Err(e) => {
                    leptos::logging::warn!("real-time stream: no ticket: {e:?}");
                    this.retry_later(generation);
                }
            }
        });
    }

    fn retry_later(&self, generation: u64) {
        let this = *self;
        let delay = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            i.failures = (i.failures + 1).min(6);
            // 1, 2, 4 … 30 s.
            (1000u32 << (i.failures - 1)).min(30_000)
        };
        gloo_timers::callback::Timeout::new(delay, move || this.connect(generation)).forget();
    }

    fn open(&self, generation: u64, ticket: &str) {
        let inner = self.inner();
        let (last, watched) = {
            let i = inner.borrow();
            (i.last_event_id, i.watch_list())
        };
        let source = match EventSource::new(&api::events_url(ticket, last, &watched)) {
            Ok(s) => s,
            Err(e) => {
                leptos::logging::warn!("real-time stream: cannot open: {e:?}");
                self.retry_later(generation);
                return;
            }
        };
        let this = *self;
        let mut closures = Vec::new();
        for name in ServerEvent::NAMES {
            let cb = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| {
                if let Ok(id) = m.last_event_id().parse::<i64>() {
                    this.inner().borrow_mut().last_event_id = Some(id);
                }
                let Some(data) = m.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<ServerEvent>(&data) {
                    Ok(e) => this.dispatch(&e),
                    Err(e) => leptos::logging::warn!("real-time stream: unreadable event: {e}"),
                }
            });
            let _ = source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            closures.push(cb);
        }
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            this.inner().borrow_mut().failures = 0;
            // A reopen for other contacts is no reconnect: nothing to refresh.
            if !this.connected.get_untracked() {
                this.connected.set(true);
            }
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            this.connected.set(false);
            let inner = this.inner();
            let closed = inner
                .borrow()
                .source
                .as_ref()
                .is_some_and(|s| s.ready_state() == EventSource::CLOSED);
            // CONNECTING: the browser retries by itself. CLOSED: it gave up; we take over.
            if closed && inner.borrow().generation == generation {
                if let Some(s) = inner.borrow_mut().source.take() {
                    s.close();
                }
                this.retry_later(generation);
            }
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut i = inner.borrow_mut();
        i.streaming = Some(watched);
        if let Some(old) = i.source.replace(source) {
            old.close();
        }
        i.closures = closures;
        i.on_open = Some(on_open);
        i.on_error = Some(on_error);
    }
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}
