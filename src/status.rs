//! The signed-in user's own status: the values they may pick, their status now, and
//! changes. Shared by the top bar's picker and the bridge (which relays the status to
//! uContact and the CRM).
//!
//! The server decides everything (queued changes during calls, reconnect restore); the
//! client shows what it answers and refetches when the real-time stream says the status
//! changed or when the stream (re)opens, since opening it is what connects the agent.

use agentdesk_protocol::{AgentStatus, Locale, ServerEvent, StatusDef};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::bridge::use_bridge;
use crate::live::use_live;
use crate::session::use_session;

#[derive(Clone, Copy)]
pub struct MyStatus {
    pub defs: RwSignal<Vec<StatusDef>>,
    pub current: RwSignal<Option<AgentStatus>>,
    /// The last change that failed, for the picker to explain.
    pub error: RwSignal<Option<ApiError>>,
    pub saving: RwSignal<bool>,
}

pub fn use_my_status() -> MyStatus {
    expect_context::<MyStatus>()
}

/// The label and colour of a value (the value itself for one not (yet) known).
pub fn describe(defs: &[StatusDef], value: &str, locale: Locale) -> (String, String) {
    defs.iter()
        .find(|d| d.value == value)
        .map(|d| (d.label(locale).to_owned(), d.color.clone()))
        .unwrap_or_else(|| (value.to_owned(), "#6b7280".to_owned()))
}

impl MyStatus {
    pub fn new() -> Self {
        MyStatus {
            defs: RwSignal::new(Vec::new()),
            current: RwSignal::new(None),
            error: RwSignal::new(None),
            saving: RwSignal::new(false),
        }
    }

    /// Wire it up (once, in the app root): follow the stream and relay changes.
    pub fn install(&self) {
        let this = *self;
        let live = use_live();
        let session = use_session();
        let bridge = use_bridge();
        live.subscribe(move |e| {
            let me = session.me.with_untracked(|m| m.as_ref().map(|m| m.id));
            match e {
                ServerEvent::AgentStatus { user_id } if Some(*user_id) == me => this.refresh(),
                ServerEvent::Resync => this.refresh(),
                _ => {}
            }
        });
        Effect::new(move |_| {
            if live.connected.get() {
                this.refresh();
                if this.defs.with_untracked(Vec::is_empty) {
                    spawn_local(async move {
                        match api::statuses().await {
                            Ok(d) => this.defs.set(d),
                            Err(e) => leptos::logging::warn!("status values: {e:?}"),
                        }
                    });
                }
            }
        });
        // Tell uContact and the CRM whenever the value changes.
        Effect::new(move |prev: Option<Option<String>>| {
            let value = this.current.with(|c| c.as_ref().map(|c| c.value.clone()));
            if let Some(v) = &value
                && prev.flatten().as_ref() != Some(v)
            {
                this.defs.with_untracked(|d| bridge.status_changed(v, d));
            }
            value
        });
    }

    pub fn refresh(&self) {
        let this = *self;
        spawn_local(async move {
            match api::my_status().await {
                Ok(s) => this.current.set(Some(s)),
                Err(e) => leptos::logging::warn!("status: {e:?}"),
            }
        });
    }

    pub fn choose(&self, value: String) {
        let this = *self;
        self.saving.set(true);
        self.error.set(None);
        spawn_local(async move {
            match api::set_status(value).await {
                Ok(r) => this.current.set(Some(r.status)),
                Err(e) => this.error.set(Some(e)),
            }
            this.saving.set(false);
        });
    }

    pub fn cancel_pending(&self) {
        let this = *self;
        spawn_local(async move {
            match api::cancel_pending_status().await {
                Ok(s) => this.current.set(Some(s)),
                Err(e) => this.error.set(Some(e)),
            }
        });
    }

    pub fn clear(&self) {
        self.current.set(None);
    }
}

impl Default for MyStatus {
    fn default() -> Self {
        Self::new()
    }
}
