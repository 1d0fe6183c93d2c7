//! The postMessage bridge: the CRM iframe ⇄ the desktop ⇄ uContact (the parent window).
//!
//! Inbound messages are accepted only when `event.source` is the CRM frame's window and
//! `event.origin` is the CRM's origin (or a configured CRM origin), or when the source
//! is the parent window and the origin is uContact's. Everything else is dropped and
//! logged. Accepted messages are parsed into typed actions ([`agentdesk_protocol::bridge`])
//! and handled by the same code as the agent's own buttons ([`Bridge::dispatch`]):
//! the server records the call, the action is relayed to uContact in its exact shape and
//! with its exact origin, the CRM gets a RESULT/ERROR reply when it sent an `id`, and the
//! agent sees what happened.

use std::rc::Rc;

use agentdesk_protocol::bridge::{
    BridgeError, CrmEvent, CrmReply, Inbound, UcAction, UcEvent, parse_inbound,
};
use agentdesk_protocol::{
    Campaign, CrmSettings, CurrentCalls, DisposeCall, ErrorCode, HangUp, StartCall, origin_of,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{HtmlIFrameElement, MessageEvent};

use crate::api::{self, ApiError};
use crate::i18n::Msg;

/// Who asked for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// The CRM in the iframe (gets replies).
    Crm,
    /// The agent's own buttons.
    Agent,
}

/// Which contact a MAKE_CALL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The contact on screen (the CRM's and the contact page's call buttons); none when
    /// no contact page is open, and the server finds the contact by number.
    ContactOnScreen,
    /// Whoever has the number (the dial pad), even with a contact page open.
    ByNumber,
}

/// A message for the agent about bridge activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

/// An open contact tab.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OpenTab {
    pub id: i64,
    pub name: String,
}

/// The interaction uContact launched the desktop for (screen pop).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interaction {
    pub contact_id: i64,
    pub crm_url: String,
    pub campaign: String,
    pub guid: String,
    /// uContact's channel (`telephony`, `webchat`, …), for an Events API screen pop.
    #[serde(default)]
    pub channel: String,
    /// uContact said the interaction is over (`finishedInteraction`).
    #[serde(default)]
    pub finished: bool,
}

#[derive(Clone, Copy)]
pub struct Bridge {
    pub settings: RwSignal<Option<CrmSettings>>,
    pub campaigns: RwSignal<Vec<Campaign>>,
    pub calls: RwSignal<CurrentCalls>,
    pub notice: RwSignal<Option<Notice>>,
    pub tabs: RwSignal<Vec<OpenTab>>,
    /// The contact whose page is on screen.
    pub current_contact: RwSignal<Option<i64>>,
    pub interaction: RwSignal<Option<Interaction>>,
    frame: StoredValue<Option<HtmlIFrameElement>, LocalStorage>,
    listener: StoredValue<Option<Rc<Listener>>, LocalStorage>,
    /// Navigation, provided by the shell (the router's navigate function).
    navigate: StoredValue<Option<Rc<Navigate>>, LocalStorage>,
    /// The callback the agent's own wrap-up form asked for, sent with the next
    /// DISPOSITION_CALL (the CRM's own dispositions carry none).
    pub next_callback: StoredValue<Option<agentdesk_protocol::CallbackRequest>>,
    i18n: crate::i18n::I18n,
    session: crate::session::Session,
}

type Listener = Closure<dyn FnMut(MessageEvent)>;
type Navigate = dyn Fn(&str);

/// Where the open contact tabs and the screen-pop context are kept, so that a reload of
/// the desk (F5 inside uContact) brings them back. Session storage: per browser tab, and
/// gone when the tab closes.
const TABS_KEY: &str = "agentdesk.tabs";
const INTERACTION_KEY: &str = "agentdesk.interaction";

/// A signal restored from session storage and written back on every change. A value
/// that cannot be read (an older shape, tampering) is dropped, never a failure.
fn kept<T>(key: &'static str) -> RwSignal<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Default + Clone + Send + Sync + 'static,
{
    use gloo_storage::{SessionStorage, Storage};
    let signal = RwSignal::new(SessionStorage::get::<T>(key).unwrap_or_default());
    Effect::new(move |_| {
        signal.with(|v| {
            let _ = SessionStorage::set(key, v);
        })
    });
    signal
}

pub fn use_bridge() -> Bridge {
    expect_context::<Bridge>()
}

fn js_value<T: serde::Serialize>(v: &T) -> Option<wasm_bindgen::JsValue> {
    let text = serde_json::to_string(v).ok()?;
    js_sys::JSON::parse(&text).ok()
}

/// The bridge's error for an API failure, by what the server said.
fn bridge_error(action: &UcAction, e: &ApiError) -> BridgeError {
    let code = match (e, action) {
        (ApiError::Api { body, .. }, _) => match (body.error.code, body.error.field.as_deref()) {
            (ErrorCode::NotFound, _) if !matches!(action, UcAction::MakeCall { .. }) => {
                "no_active_call"
            }
            (ErrorCode::Validation, Some("disposition")) => "unknown_disposition",
            (ErrorCode::Validation, Some("campaign")) => "unknown_campaign",
            (ErrorCode::Validation, Some("destination")) => "bad_number",
            (ErrorCode::Conflict, Some("disposition")) => "disposition_required",
            (ErrorCode::Conflict, Some("call")) => "call_in_progress",
            (ErrorCode::Conflict, Some("guid")) => "duplicate_call",
            (ErrorCode::Validation | ErrorCode::BadRequest, _) => "malformed",
            _ => "server_error",
        },
        _ => "server_error",
    };
    let message = match e {
        ApiError::Api { body, .. } => body.error.message.clone(),
        ApiError::Network(m) | ApiError::Decode(m) => m.clone(),
    };
    BridgeError {
        code: code.into(),
        message,
    }
}

impl Bridge {
    pub fn new(i18n: crate::i18n::I18n, session: crate::session::Session) -> Self {
        Bridge {
            i18n,
            session,
            settings: RwSignal::new(None),
            campaigns: RwSignal::new(Vec::new()),
            calls: RwSignal::new(CurrentCalls::default()),
            notice: RwSignal::new(None),
            tabs: kept(TABS_KEY),
            current_contact: RwSignal::new(None),
            interaction: kept(INTERACTION_KEY),
            frame: StoredValue::new_local(None),
            listener: StoredValue::new_local(None),
            navigate: StoredValue::new_local(None),
            next_callback: StoredValue::new(None),
        }
    }

    /// Sign-out: the next user of this browser tab starts with no tabs and no screen pop.
    pub fn forget_desk(&self) {
        self.tabs.set(Vec::new());
        self.interaction.set(None);
        self.current_contact.set(None);
    }

    pub fn set_navigate(&self, f: impl Fn(&str) + 'static) {
        self.navigate.set_value(Some(Rc::new(f)));
    }

    fn go(&self, path: &str) {
        if let Some(n) = self.navigate.get_value() {
            n(path);
        }
    }

    /// Load settings, campaigns and calls, and start listening (after sign-in).
    pub fn start(&self) {
        let this = *self;
        spawn_local(async move {
            match api::get::<CrmSettings>("/crm/settings").await {
                Ok(s) => this.settings.set(Some(s)),
                Err(e) => leptos::logging::warn!("CRM settings unavailable: {e:?}"),
            }
            if let Ok(c) = api::get::<Vec<Campaign>>("/campaigns").await {
                this.campaigns.set(c);
            }
            this.refresh_calls().await;
        });
        if self.listener.with_value(Option::is_some) {
            return;
        }
        let cb =
            Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| this.on_message(ev));
        let _ = window().add_event_listener_with_callback("message", cb.as_ref().unchecked_ref());
        self.listener.set_value(Some(Rc::new(cb)));
    }

    pub async fn refresh_calls(&self) {
        if let Ok(c) = api::get::<CurrentCalls>("/calls/current").await {
            self.calls.set(c);
        }
    }

    /// The CRM tab registers its iframe here (and `None` when it goes away).
    pub fn set_frame(&self, frame: Option<HtmlIFrameElement>) {
        self.frame.set_value(frame);
    }

    fn frame_origin(&self) -> Option<String> {
        self.frame
            .with_value(|f| f.as_ref().map(|f| f.src()))
            .and_then(|src| origin_of(&src))
    }

    fn embedded() -> bool {
        window()
            .parent()
            .ok()
            .flatten()
            .is_some_and(|p| !js_sys::Object::is(&p, &window()))
    }

    fn ucontact_origin(&self) -> Option<String> {
        self.settings
            .with_untracked(|s| s.as_ref().map(|s| s.ucontact_origin.clone()))
            .filter(|o| !o.is_empty())
    }

    fn on_message(&self, ev: MessageEvent) {
        let origin = ev.origin();
        let Some(source) = ev.source() else {
            leptos::logging::warn!("postMessage dropped: no source window (origin {origin})");
            return;
        };
        let from_frame = self.frame.with_value(|f| {
            f.as_ref()
                .and_then(|f| f.content_window())
                .is_some_and(|w| js_sys::Object::is(&w, &source))
        });
        let from_parent = Self::embedded()
            && window()
                .parent()
                .ok()
                .flatten()
                .is_some_and(|p| js_sys::Object::is(&p, &source));
        let allowed = if from_frame {
            let extra = self.settings.with_untracked(|s| {
                s.as_ref()
                    .map(|s| s.crm_origins.clone())
                    .unwrap_or_default()
            });
            self.frame_origin().as_deref() == Some(origin.as_str()) || extra.contains(&origin)
        } else if from_parent {
            self.ucontact_origin().as_deref() == Some(origin.as_str())
        } else {
            false
        };
        if !allowed {
            leptos::logging::warn!(
                "postMessage dropped: from {origin} ({})",
                if from_frame || from_parent {
                    "origin not allowed"
                } else {
                    "not the CRM frame nor uContact"
                }
            );
            return;
        }
        let data = ev.data();
        let text = match data.as_string() {
            Some(s) => serde_json::to_string(&s).unwrap_or_default(),
            None => js_sys::JSON::stringify(&data)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default(),
        };
        match parse_inbound(&text) {
            Ok(Inbound::Request(req)) if from_frame => self.dispatch(req.action, From::Crm, req.id),
            Ok(Inbound::Request(req)) => {
                // uContact does not send actions to us; an echo is dropped.
                leptos::logging::warn!(
                    "postMessage dropped: action {} from uContact",
                    req.action.name()
                );
            }
            Ok(Inbound::Event(e)) => self.on_ucontact_event(e),
            Err(e) => {
                leptos::logging::warn!("postMessage dropped: {e}");
                if from_frame && e.action {
                    let error = BridgeError {
                        code: "malformed".into(),
                        message: e.message.clone(),
                    };
                    self.reply_crm(&CrmReply::Error {
                        reply_to: e.id,
                        error: error.clone(),
                    });
                    self.notice.set(Some(Notice {
                        ok: false,
                        text: self.i18n.t(Msg::BridgeMalformed).to_string(),
                    }));
                }
            }
        }
    }

    fn on_ucontact_event(&self, e: UcEvent) {
        match e {
            UcEvent::AssignedInteraction(a) => self.screen_pop(a.screen_pop()),
            UcEvent::FinishedInteraction(v) => {
                let guid = agentdesk_protocol::bridge::event_guid(&v);
                let ours = self.interaction.with_untracked(|i| {
                    i.as_ref()
                        .is_some_and(|i| guid.is_none() || guid.as_deref() == Some(i.guid.as_str()))
                });
                if ours {
                    // The CRM stays as it is (the agent may still be typing in it); the
                    // interaction's context ends.
                    self.interaction.update(|i| {
                        if let Some(i) = i {
                            i.finished = true;
                        }
                    });
                    self.notice.set(Some(Notice {
                        ok: true,
                        text: self.i18n.t(Msg::InteractionFinished).to_string(),
                    }));
                }
            }
            UcEvent::SentDisposition(v) => match agentdesk_protocol::bridge::sent_disposition(&v) {
                // Recorded on the call when the desktop knows it; uContact already has it,
                // so it is marked as made there and not sent back.
                Some(d) => self.dispose_from_ucontact(d),
                None => leptos::logging::warn!("sentDisposition without a guid and l1: {v}"),
            },
            UcEvent::ChangedTheme(v) => match agentdesk_protocol::bridge::changed_theme(&v) {
                Some(t) => crate::theme::set(t),
                None => leptos::logging::warn!("changedTheme: no theme the desk has: {v}"),
            },
            UcEvent::ChangedLanguage(v) => match agentdesk_protocol::bridge::changed_language(&v) {
                // Saved to the profile too, as a change from the desk's own picker is.
                Some(locale) => crate::session::set_locale(self.i18n, self.session, locale),
                None => leptos::logging::warn!("changedLanguage: no language the desk speaks: {v}"),
            },
        }
    }

    /// `assignedInteraction`: find or create the contact, open its tab on the CRM.
    fn screen_pop(&self, pop: agentdesk_protocol::ScreenPop) {
        let this = *self;
        spawn_local(async move {
            match api::post::<_, agentdesk_protocol::LaunchResult>("/screen-pop", &pop).await {
                Ok(r) => {
                    this.interaction.set(Some(Interaction {
                        contact_id: r.contact_id,
                        crm_url: r.crm_url,
                        campaign: r.campaign,
                        guid: r.guid,
                        channel: pop.channel,
                        finished: false,
                    }));
                    this.notice.set(Some(Notice {
                        ok: true,
                        text: this.i18n.t(Msg::InteractionAssigned).to_string(),
                    }));
                    this.go(&format!("/contacts/{}?tab=crm", r.contact_id));
                }
                Err(e) => {
                    leptos::logging::warn!("assignedInteraction: {e:?}");
                    this.notice.set(Some(Notice {
                        ok: false,
                        text: crate::components::error::describe(&e, |m| this.i18n.t(m)),
                    }));
                }
            }
        });
    }

    /// `sentDisposition`: the agent dispositioned in uContact's own screen.
    fn dispose_from_ucontact(&self, d: agentdesk_protocol::bridge::CallDisposition) {
        let this = *self;
        spawn_local(async move {
            let body = DisposeCall {
                disposition: d,
                from_ucontact: true,
                callback: None,
            };
            match api::post::<_, agentdesk_protocol::CallInfo>("/calls/disposition", &body).await {
                Ok(_) => this.refresh_calls().await,
                // A call the desktop never saw: uContact's webhook records it.
                Err(e) => leptos::logging::warn!("sentDisposition not recorded here: {e:?}"),
            }
        });
    }

    /// Post to the CRM frame, to its own origin only.
    fn post_crm<T: serde::Serialize>(&self, msg: &T) {
        let (Some(origin), Some(value)) = (self.frame_origin(), js_value(msg)) else {
            return;
        };
        self.frame.with_value(|f| {
            if let Some(w) = f.as_ref().and_then(|f| f.content_window()) {
                let _ = w.post_message(&value, &origin);
            }
        });
    }

    fn reply_crm(&self, reply: &CrmReply) {
        self.post_crm(reply);
    }

    /// Tell the CRM about something that happened (for CRMs that listen).
    pub fn event_crm(&self, e: &CrmEvent) {
        self.post_crm(e);
    }

    /// Relay an action to uContact, in its exact shape, to its exact origin, when the
    /// desktop runs inside it.
    fn relay(&self, action: &UcAction) {
        let Some(origin) = self.ucontact_origin() else {
            return;
        };
        if !Self::embedded() {
            return;
        }
        if let (Ok(Some(parent)), Some(value)) = (window().parent(), js_value(action)) {
            let _ = parent.post_message(&value, &origin);
        }
    }

    /// The agent's status changed: tell uContact (when embedded) and the CRM.
    pub fn status_changed(&self, status: &str, defs: &[agentdesk_protocol::StatusDef]) {
        // Not uContact's protocol: only when an admin turned it on.
        let relay = self
            .settings
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.agent_status_relay));
        if let (Some(origin), true, true) = (self.ucontact_origin(), Self::embedded(), relay)
            && let (Ok(Some(parent)), Some(value)) = (
                window().parent(),
                js_value(&agentdesk_protocol::bridge::AgentStatusRelay::new(
                    status, defs,
                )),
            )
        {
            let _ = parent.post_message(&value, &origin);
        }
        self.event_crm(&CrmEvent::AgentStatusChanged {
            status: status.to_owned(),
        });
    }

    /// What the agent reads for a refused action: translated, by the error's code, never
    /// the server's English nor a call's guid (the CRM gets those in the ERROR reply).
    fn agent_text(&self, error: &BridgeError, action: &UcAction) -> String {
        let campaign = match action {
            UcAction::MakeCall { call } => call.campaign.as_str(),
            UcAction::DispositionCall { disposition } => disposition.campaign.as_str(),
            _ => "",
        };
        let msg = match error.code.as_str() {
            "malformed" => Msg::BridgeMalformed,
            "no_active_call" => Msg::BridgeNoActiveCall,
            "unknown_disposition" => Msg::BridgeUnknownDisposition,
            "unknown_campaign" => Msg::BridgeUnknownCampaign,
            "call_in_progress" => Msg::BridgeCallInProgress,
            "duplicate_call" => Msg::BridgeDuplicateCall,
            "disposition_required" => Msg::BridgeDispositionRequired,
            "no_tab" => Msg::BridgeNoTab,
            "bad_number" => Msg::DialInvalidNumber,
            _ => Msg::ServerError,
        };
        self.i18n.t(msg).replace("{campaign}", campaign)
    }

    /// Handle an action from the CRM or the agent's buttons: one code path for both.
    pub fn dispatch(&self, action: UcAction, from: From, id: Option<String>) {
        self.dispatch_to(action, from, id, Target::ContactOnScreen);
    }

    /// The dial pad: call a number; the server finds the contact with that number (or
    /// creates one) and the desktop opens its page.
    pub fn dial(&self, call: agentdesk_protocol::bridge::CallRequest) {
        self.dispatch_to(
            UcAction::MakeCall { call },
            From::Agent,
            None,
            Target::ByNumber,
        );
    }

    fn dispatch_to(&self, action: UcAction, from: From, id: Option<String>, target: Target) {
        let this = *self;
        spawn_local(async move {
            let outcome: Result<serde_json::Value, BridgeError> = this.run(&action, target).await;
            match &outcome {
                Ok(result) => {
                    this.relay(&action);
                    if let (From::Crm, Some(id)) = (from, id.clone()) {
                        this.reply_crm(&CrmReply::Result {
                            reply_to: id,
                            result: result.clone(),
                        });
                    }
                }
                Err(error) => {
                    if from == From::Crm {
                        this.reply_crm(&CrmReply::Error {
                            reply_to: id.clone(),
                            error: error.clone(),
                        });
                    }
                    this.notice.set(Some(Notice {
                        ok: false,
                        text: this.agent_text(error, &action),
                    }));
                }
            }
        });
    }

    async fn run(
        &self,
        action: &UcAction,
        target: Target,
    ) -> Result<serde_json::Value, BridgeError> {
        let to_err = |e: ApiError| bridge_error(action, &e);
        match action {
            UcAction::MakeCall { call } => {
                let req = StartCall {
                    contact_id: match target {
                        Target::ContactOnScreen => self.current_contact.get_untracked(),
                        Target::ByNumber => None,
                    },
                    call: call.clone(),
                };
                let info: agentdesk_protocol::CallInfo =
                    api::post("/calls", &req).await.map_err(to_err)?;
                if target == Target::ByNumber {
                    self.go(&format!("/contacts/{}", info.contact_id));
                }
                self.notice.set(Some(Notice {
                    ok: true,
                    text: format!("☎ {} · {}", info.destination, info.campaign),
                }));
                self.event_crm(&CrmEvent::CallConnected {
                    guid: info.guid.clone(),
                    destination: info.destination.clone(),
                    campaign: info.campaign.clone(),
                });
                self.refresh_calls().await;
                Ok(serde_json::json!({ "guid": info.guid, "contact_id": info.contact_id }))
            }
            UcAction::HangUp => {
                let info: agentdesk_protocol::CallInfo =
                    api::post("/calls/hangup", &HangUp::default())
                        .await
                        .map_err(to_err)?;
                self.event_crm(&CrmEvent::CallEnded {
                    guid: info.guid.clone(),
                    duration_secs: info.duration_secs,
                });
                self.notice.set(Some(Notice {
                    ok: true,
                    text: format!("☎ {} ✓ {}s", info.destination, info.duration_secs),
                }));
                self.refresh_calls().await;
                Ok(serde_json::json!({ "guid": info.guid, "duration_secs": info.duration_secs }))
            }
            UcAction::DispositionCall { disposition } => {
                let info: agentdesk_protocol::CallInfo = api::post(
                    "/calls/disposition",
                    &DisposeCall {
                        disposition: disposition.clone(),
                        from_ucontact: false,
                        callback: self.next_callback.try_update_value(Option::take).flatten(),
                    },
                )
                .await
                .map_err(to_err)?;
                let d = info
                    .disposition
                    .clone()
                    .unwrap_or_else(|| disposition.clone());
                self.event_crm(&CrmEvent::DispositionSaved {
                    guid: info.guid.clone(),
                    l1: d.l1.clone(),
                    l2: d.l2.clone(),
                    l3: d.l3.clone(),
                });
                self.notice.set(Some(Notice {
                    ok: true,
                    text: format!(
                        "✓ {}",
                        [d.l1, d.l2, d.l3]
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" › ")
                    ),
                }));
                self.refresh_calls().await;
                Ok(serde_json::json!({ "guid": info.guid }))
            }
            UcAction::CloseTab => {
                let Some(current) = self.current_contact.get_untracked() else {
                    return Err(BridgeError {
                        code: "no_tab".into(),
                        message: "no contact tab is open".into(),
                    });
                };
                self.close_tab(current);
                Ok(serde_json::json!({ "closed": current }))
            }
        }
    }

    pub fn open_tab(&self, id: i64, name: String) {
        self.tabs
            .update(|t| match t.iter_mut().find(|x| x.id == id) {
                // A corrected name shows on its tab too.
                Some(tab) => tab.name = name,
                None => t.push(OpenTab { id, name }),
            });
    }

    /// Close a contact tab; when it is the one on screen, show the next open tab (or
    /// the contact list).
    pub fn close_tab(&self, id: i64) {
        let mut next = None;
        self.tabs.update(|t| {
            if let Some(i) = t.iter().position(|x| x.id == id) {
                t.remove(i);
                next = t.get(i).or_else(|| t.last()).map(|x| x.id);
            }
        });
        if self.current_contact.get_untracked() == Some(id) {
            match next {
                Some(n) => self.go(&format!("/contacts/{n}")),
                None => self.go("/contacts"),
            }
        }
    }
}
