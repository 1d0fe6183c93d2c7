//! `/contacts/:id?tab=`: the contact's header and its tabs — Activity (the timeline),
//! Details (attributes), Analytics (the contact's communication) and CRM (the embedded
//! CRM). The tab lives in the URL.

mod activity;
mod analytics;
mod compose;
mod compose_files;
mod email_item;
mod item;
mod pager;
mod summary;
pub use summary::kind_label;

use agentdesk_protocol::Contact;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use agentdesk_protocol::bridge::UcAction;

use crate::api;
use crate::bridge::{From as BridgeFrom, use_bridge};
use crate::components::contact_form::ContactForm;
use crate::components::error::ErrorNotice;
use crate::components::time::Time;
use crate::i18n::{Msg, use_i18n};
use crate::pages::contacts::initials;
use crate::session::use_session;
use activity::ActivityTab;
use analytics::AnalyticsTab;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Activity,
    Details,
    Analytics,
    Crm,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Activity, Tab::Details, Tab::Analytics, Tab::Crm];

    fn slug(self) -> &'static str {
        match self {
            Tab::Activity => "activity",
            Tab::Details => "details",
            Tab::Analytics => "analytics",
            Tab::Crm => "crm",
        }
    }

    fn label(self) -> Msg {
        match self {
            Tab::Activity => Msg::TabActivity,
            Tab::Details => Msg::TabDetails,
            Tab::Analytics => Msg::TabAnalytics,
            Tab::Crm => Msg::TabCrm,
        }
    }

    fn from_slug(s: &str) -> Tab {
        Tab::ALL
            .into_iter()
            .find(|t| t.slug() == s)
            .unwrap_or(Tab::Activity)
    }
}

#[component]
pub fn ContactPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let contact = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api::contact(id).await.map(Some),
                None => Ok(None),
            }
        }
    });

    view! {
        <section class="page contact-page">
            <Transition fallback=move || view! { <p class="muted" aria-busy="true">{i18n.t(Msg::Loading)}</p> }>
                {move || contact.get().map(|res| match res {
                    Ok(Some(c)) => view! { <ContactView contact=c on_changed=Callback::new(move |_| contact.refetch()) /> }.into_any(),
                    Ok(None) => view! { <NotVisible /> }.into_any(),
                    Err(e) if e.code() == Some(agentdesk_protocol::ErrorCode::NotFound) => view! { <NotVisible /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e retry=Callback::new(move |_| contact.refetch()) /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn NotVisible() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="empty-state" role="alert" id="contact-not-found">
            <p>{move || i18n.t(Msg::ContactNotFound)}</p>
            <A href="/contacts">{move || i18n.t(Msg::BackToContacts)}</A>
        </div>
    }
}

#[component]
fn ContactView(contact: Contact, on_changed: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let editing = RwSignal::new(false);
    let for_form = contact.clone();
    let query = use_query_map();
    let navigate = use_navigate();
    let tab = Memo::new(move |_| Tab::from_slug(&query.with(|q| q.get("tab").unwrap_or_default())));
    let contact_id = contact.id;
    let select = move |t: Tab| {
        let url = format!("/contacts/{contact_id}?tab={}", t.slug());
        navigate(
            &url,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
        // Keep focus on the newly selected tab for keyboard users.
        if let Some(el) = document().get_element_by_id(&format!("tab-{}", t.slug())) {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    let on_key = {
        let select = select.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            let i = Tab::ALL
                .iter()
                .position(|t| *t == tab.get_untracked())
                .unwrap_or(0);
            let n = Tab::ALL.len();
            let to = match ev.key().as_str() {
                "ArrowRight" => Some((i + 1) % n),
                "ArrowLeft" => Some((i + n - 1) % n),
                "Home" => Some(0),
                "End" => Some(n - 1),
                _ => None,
            };
            if let Some(to) = to {
                ev.prevent_default();
                select(Tab::ALL[to]);
            }
        }
    };
    let attributes = contact.attributes.clone();
    let details = contact.clone();

    // This contact is an open tab, and the one on screen, while this view lives.
    let bridge = use_bridge();
    let session = use_session();
    bridge.open_tab(contact_id, contact.name.clone());
    bridge.current_contact.set(Some(contact_id));
    on_cleanup(move || {
        if bridge.current_contact.get_untracked() == Some(contact_id) {
            bridge.current_contact.set(None);
        }
    });
    // The campaign for the agent's own calls: the interaction's, else the first known.
    let campaign = move || {
        bridge
            .interaction
            .with(|i| {
                i.as_ref()
                    .filter(|i| i.contact_id == contact_id)
                    .map(|i| i.campaign.clone())
            })
            .filter(|c| !c.is_empty())
            .or_else(|| bridge.campaigns.with(|c| c.first().map(|c| c.name.clone())))
            .unwrap_or_else(|| "Manual".to_string())
    };
    let phone_for_crm = contact.phone.clone().unwrap_or_default();
    let crm_url = Memo::new(move |_| {
        if let Some(url) = bridge
            .interaction
            .with(|i| {
                i.as_ref()
                    .filter(|i| i.contact_id == contact_id)
                    .map(|i| i.crm_url.clone())
            })
            .filter(|u| !u.is_empty())
        {
            return url;
        }
        let template = bridge.settings.with(|s| {
            s.as_ref()
                .map(|s| s.url_template.clone())
                .unwrap_or_default()
        });
        let agent = session
            .me
            .with(|m| {
                m.as_ref().map(|m| {
                    m.ucontact_agent
                        .clone()
                        .unwrap_or_else(|| m.username.clone())
                })
            })
            .unwrap_or_default();
        let values = std::collections::BTreeMap::from([
            ("phone".to_string(), phone_for_crm.clone()),
            ("agent".to_string(), agent),
            ("campaign".to_string(), String::new()),
            ("guid".to_string(), String::new()),
        ]);
        agentdesk_protocol::fill_template(&template, &values)
    });
    let frame_ref = NodeRef::<leptos::html::Iframe>::new();
    Effect::new(move |_| {
        bridge.set_frame(frame_ref.get());
    });
    on_cleanup(move || bridge.set_frame(None));

    view! {
        <Show when=move || editing.get()>
            <ContactForm existing=Some(for_form.clone())
                on_saved=Callback::new(move |_| { editing.set(false); on_changed.run(()); })
                on_cancel=Callback::new(move |_| editing.set(false)) />
        </Show>
        <header class="contact-header" class:hidden=move || editing.get()>
            <span class="contact-avatar large" aria-hidden="true">{initials(&contact.name)}</span>
            <div class="contact-headline">
                <h1 id="contact-name">{contact.name.clone()}</h1>
                <dl class="contact-facts">
                    {contact.phone.clone().map(|p| {
                        let number = p.clone();
                        view! {
                            <div><dt>{move || i18n.t(Msg::Phone)}</dt><dd>
                                <span class="phone">{p.clone()}</span>
                                " "
                                <button class="btn btn-small btn-call" id="call-phone"
                                    title=move || format!("{} {}", i18n.t(Msg::CallNumber), campaign())
                                    on:click=move |_| {
                                        let call = agentdesk_protocol::bridge::CallRequest {
                                            destination: number.clone(),
                                            campaign: campaign(),
                                            did: String::new(),
                                            guid: String::new(),
                                        };
                                        bridge.dispatch(UcAction::MakeCall { call }, BridgeFrom::Agent, None);
                                    }>
                                    "☎ " {move || i18n.t(Msg::CallNumber)}
                                </button>
                            </dd></div>
                        }
                    })}
                    {contact.email.clone().map(|e| view! {
                        <div><dt>{move || i18n.t(Msg::Email)}</dt><dd>{e}</dd></div>
                    })}
                    {contact.external_id.clone().map(|x| view! {
                        <div><dt>{move || i18n.t(Msg::ExternalId)}</dt><dd>{x}</dd></div>
                    })}
                    <div><dt>{move || i18n.t(Msg::Team)}</dt><dd>{contact.team.name.clone()}</dd></div>
                </dl>
                <ul class="chips" aria-label=move || i18n.t(Msg::Attributes)>
                    {attributes.into_iter().take(4).map(|(k, v)| view! { <li class="chip" title=k>{v}</li> }).collect_view()}
                </ul>
            </div>
            <button class="btn btn-small" id="edit-contact" on:click=move |_| editing.set(true)>
                {move || i18n.t(Msg::Edit)}
            </button>
        </header>
        <div class="tabs" role="tablist" aria-label=contact.name.clone() on:keydown=on_key>
            {Tab::ALL.into_iter().map(|t| {
                let select = select.clone();
                view! {
                    <button role="tab" class="tab" id=format!("tab-{}", t.slug())
                        aria-controls="tabpanel"
                        aria-selected=move || (tab.get() == t).to_string()
                        tabindex=move || if tab.get() == t { "0" } else { "-1" }
                        on:click=move |_| select(t)>
                        {move || i18n.t(t.label())}
                    </button>
                }
            }).collect_view()}
        </div>
        <div class="tabpanel" id="tabpanel" role="tabpanel"
            aria-labelledby=move || format!("tab-{}", tab.get().slug())>
            {move || match tab.get() {
                Tab::Activity => view! { <ActivityTab contact_id=contact_id /> }.into_any(),
                Tab::Details => view! { <DetailsTab contact=details.clone() /> }.into_any(),
                Tab::Analytics => view! { <AnalyticsTab contact_id=contact_id /> }.into_any(),
                Tab::Crm => view! {
                    <Show when=move || crm_url.with(String::is_empty)>
                        <div class="empty-state" id="crm-empty"><p>{move || i18n.t(Msg::CrmNotConfigured)}</p></div>
                    </Show>
                }.into_any(),
            }}
            // The CRM stays loaded while the agent looks at other tabs: its messages
            // (and its state) must not depend on which tab is shown.
            <Show when=move || !crm_url.with(String::is_empty)>
                <iframe id="crm-frame" class="crm-frame" node_ref=frame_ref
                    class:hidden=move || tab.get() != Tab::Crm
                    title=move || i18n.t(Msg::CrmFrameTitle)
                    src=move || crm_url.get()
                    sandbox=move || bridge.settings.with(|s| agentdesk_protocol::embed::sandbox_attribute(
                        &s.as_ref().map(|s| s.frame_sandbox.clone()).unwrap_or_else(agentdesk_protocol::embed::default_frame_sandbox)))
                    allow=move || bridge.settings.with(|s| s.as_ref().map(|s| agentdesk_protocol::embed::allow_attribute(&s.frame_allow)).unwrap_or_default())
                    referrerpolicy="strict-origin-when-cross-origin"></iframe>
            </Show>
        </div>
    }
}

#[component]
fn DetailsTab(contact: Contact) -> impl IntoView {
    let i18n = use_i18n();
    let empty = contact.attributes.is_empty();
    view! {
        <div class="details">
            <h2>{move || i18n.t(Msg::Attributes)}</h2>
            <Show when=move || !empty fallback=move || view! { <p class="muted">{i18n.t(Msg::NoAttributes)}</p> }>
                <dl class="attr-table">
                    {contact.attributes.clone().into_iter().map(|(k, v)| view! {
                        <div class="attr-row"><dt>{k}</dt><dd>{v}</dd></div>
                    }).collect_view()}
                </dl>
            </Show>
            <p class="muted small">{move || i18n.t(Msg::CreatedAt)}": " <Time at=contact.created_at /></p>
        </div>
    }
}
