//! `/contacts/:id?tab=`: the contact's header and its tabs — Activity (the timeline),
//! Details (attributes) and CRM (the embedded CRM). The tab lives in the URL.

mod activity;

use agentdesk_protocol::Contact;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api;
use crate::components::error::ErrorNotice;
use crate::components::time::Time;
use crate::i18n::{Msg, use_i18n};
use crate::pages::contacts::initials;
use activity::ActivityTab;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Activity,
    Details,
    Crm,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Activity, Tab::Details, Tab::Crm];

    fn slug(self) -> &'static str {
        match self {
            Tab::Activity => "activity",
            Tab::Details => "details",
            Tab::Crm => "crm",
        }
    }

    fn label(self) -> Msg {
        match self {
            Tab::Activity => Msg::TabActivity,
            Tab::Details => Msg::TabDetails,
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
                    Ok(Some(c)) => view! { <ContactView contact=c /> }.into_any(),
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
fn ContactView(contact: Contact) -> impl IntoView {
    let i18n = use_i18n();
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

    view! {
        <header class="contact-header">
            <span class="contact-avatar large" aria-hidden="true">{initials(&contact.name)}</span>
            <div class="contact-headline">
                <h1 id="contact-name">{contact.name.clone()}</h1>
                <dl class="contact-facts">
                    {contact.phone.clone().map(|p| view! {
                        <div><dt>{move || i18n.t(Msg::Phone)}</dt><dd><a href=format!("tel:{p}")>{p.clone()}</a></dd></div>
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
                Tab::Crm => view! {
                    <div class="empty-state" id="crm-empty"><p>{move || i18n.t(Msg::CrmNotConfigured)}</p></div>
                }.into_any(),
            }}
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
