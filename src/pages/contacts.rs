//! `/contacts?q=`: search contacts by name, phone or email; the query lives in the URL
//! so reload and back/forward keep it.

use agentdesk_protocol::ContactSummary;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{self, ApiError};
use crate::components::contact_form::ContactForm;
use crate::components::error::ErrorNotice;
use crate::components::time::Time;
use crate::i18n::{Msg, use_i18n};

#[component]
pub fn ContactsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let navigate = use_navigate();
    let navigate_to = StoredValue::new_local(navigate.clone());
    let creating = RwSignal::new(false);
    let q = Memo::new(move |_| query.with(|m| m.get("q").unwrap_or_default()));
    let input = RwSignal::new(q.get_untracked());

    // Debounce typing: the URL (and so the search) follows 250 ms after the last key.
    let pending_timer = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        input.set(value.clone());
        let navigate = navigate.clone();
        let timer = gloo_timers::callback::Timeout::new(250, move || {
            let url = if value.trim().is_empty() {
                "/contacts".to_string()
            } else {
                format!("/contacts?q={}", api::encode(value.trim()))
            };
            navigate(
                &url,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        });
        pending_timer.set_value(Some(timer));
    };

    let extra = RwSignal::new(Vec::<ContactSummary>::new());
    let next = RwSignal::new(None::<String>);
    let more_error = RwSignal::new(None::<ApiError>);
    let first_page = LocalResource::new(move || {
        let q = q.get();
        async move { api::contacts(&q, None).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(list)) = first_page.get() {
            extra.set(Vec::new());
            next.set(list.next.clone());
        }
    });
    let load_more = Action::new_local(move |after: &String| {
        let (q, after) = (q.get_untracked(), after.clone());
        async move { api::contacts(&q, Some(&after)).await }
    });
    Effect::new(move |_| match load_more.value().get() {
        Some(Ok(list)) => {
            extra.update(|v| v.extend(list.items));
            next.set(list.next);
        }
        Some(Err(e)) => more_error.set(Some(e)),
        None => {}
    });

    view! {
        <section class="page contacts-page" aria-labelledby="contacts-title">
            <header class="page-header">
                <h1 id="contacts-title">{move || i18n.t(Msg::Contacts)}</h1>
                <button class="btn" id="new-contact" on:click=move |_| creating.update(|c| *c = !*c)>
                    {move || format!("+ {}", i18n.t(Msg::NewContact))}
                </button>
                <label class="search">
                    <span class="visually-hidden">{move || i18n.t(Msg::SearchLabel)}</span>
                    <input id="contact-search" type="search" autocomplete="off" autofocus
                        placeholder=move || i18n.t(Msg::SearchContacts)
                        prop:value=move || input.get()
                        on:input=on_input />
                </label>
            </header>
            <Show when=move || creating.get()>
                <ContactForm existing=None
                    on_saved=Callback::new(move |c: agentdesk_protocol::Contact| {
                        creating.set(false);
                        navigate_to.with_value(|n| n(&format!("/contacts/{}", c.id), Default::default()));
                    })
                    on_cancel=Callback::new(move |_| creating.set(false)) />
            </Show>
            <Transition fallback=move || view! { <p class="muted" aria-busy="true">{i18n.t(Msg::Loading)}</p> }>
                {move || first_page.get().map(|res| match res {
                    Err(e) => view! { <ErrorNotice error=e retry=Callback::new(move |_| first_page.refetch()) /> }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <p class="empty-state" id="no-contacts">{move || i18n.t(Msg::NoContacts)}</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="contact-list" id="contact-list">
                            {list.items.into_iter().map(|c| view! { <ContactRow contact=c /> }).collect_view()}
                            <For each=move || extra.get() key=|c| c.id let(c)>
                                <ContactRow contact=c />
                            </For>
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            {move || more_error.get().map(|e| view! { <ErrorNotice error=e /> })}
            <Show when=move || next.get().is_some()>
                <button class="btn" id="load-more" prop:disabled=move || load_more.pending().get()
                    on:click=move |_| {
                        if let Some(after) = next.get_untracked() {
                            load_more.dispatch(after);
                        }
                    }>
                    {move || i18n.t(Msg::LoadMore)}
                </button>
            </Show>
        </section>
    }
}

#[component]
fn ContactRow(contact: ContactSummary) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/contacts/{}", contact.id);
    view! {
        <li class="contact-row">
            <A href=href attr:class="contact-link">
                <span class="contact-avatar" aria-hidden="true">{initials(&contact.name)}</span>
                <span class="contact-main">
                    <span class="contact-name">{contact.name.clone()}</span>
                    <span class="contact-meta">
                        {contact.phone.clone().unwrap_or_default()}
                        <span class="sep" aria-hidden="true">" · "</span>
                        {contact.email.clone().unwrap_or_default()}
                    </span>
                </span>
                <span class="contact-side">
                    <span class="chip">{contact.team.name.clone()}</span>
                    <span class="muted small">
                        {match contact.last_activity_at {
                            Some(at) => view! { <Time at=at /> }.into_any(),
                            None => view! { <span>{move || i18n.t(Msg::Never)}</span> }.into_any(),
                        }}
                    </span>
                </span>
            </A>
        </li>
    }
}

/// Up to two initials for the avatar.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}
