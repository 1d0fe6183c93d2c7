//! The Activity tab: the contact's timeline, 10 per page, newest first.
//!
//! Page, kinds, search and the server's anchor live in the URL, so reload and
//! back/forward land on the same view; the anchor lets the server walk from the page the
//! user was on instead of from either end. New activities arrive over the real-time
//! stream: page 1 refetches, any other page shows an "N new" notice that leads to page 1.

use agentdesk_protocol::{Activity, ActivityKind, ActivityPage, ActivityQuery, ServerEvent};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use wasm_bindgen::JsCast;

use crate::api;
use crate::components::error::{ErrorNotice, describe};
use crate::i18n::{Msg, use_i18n};
use crate::live::use_live;
use crate::session::use_session;

use super::compose::{Compose, Composer, Start};
use super::item::{ActivityItem, kind_icon, kind_label};
use super::pager::{Pager, Place};
use agentdesk_protocol::text::search_words;

fn focus(el: Option<web_sys::Element>) {
    if let Some(el) = el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

/// The timeline query the URL describes.
fn query_from_url(m: &leptos_router::params::ParamsMap) -> ActivityQuery {
    let page = m
        .get("page")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| *p > 1);
    ActivityQuery {
        page,
        kinds: m.get("kinds").filter(|k| !k.is_empty()),
        q: m.get("q").filter(|q| !q.trim().is_empty()),
        // Page 1 is always read from the start, so new activities show up there.
        anchor: m.get("anchor").filter(|_| page.is_some()),
    }
}

fn selected_kinds(q: &ActivityQuery) -> Vec<ActivityKind> {
    q.parse_kinds().unwrap_or_default()
}

#[component]
pub fn ActivityTab(contact_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let session = use_session();
    let query_map = use_query_map();
    let navigate = StoredValue::new_local(use_navigate());
    let request = Memo::new(move |_| query_map.with(query_from_url));
    let reload = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        let q = request.get();
        reload.track();
        async move { api::activities(contact_id, &q).await }
    });
    // The last page shown, so pager and chips stay put while the next one loads.
    let shown = RwSignal::new(None::<ActivityPage>);
    Effect::new(move |_| {
        if let Some(Ok(p)) = data.get() {
            shown.set(Some(p));
        }
    });
    let new_count = RwSignal::new(0u32);

    let go = move |q: ActivityQuery, replace: bool| {
        let qs = api::activity_query_string(&q);
        let url = if qs.is_empty() {
            format!("/contacts/{contact_id}?tab=activity")
        } else {
            format!("/contacts/{contact_id}?tab=activity&{qs}")
        };
        navigate.with_value(|n| {
            n(
                &url,
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            )
        });
    };
    // After the pager moved, the list's top comes into view once the page is drawn.
    let scroll_to_list = RwSignal::new(false);
    Effect::new(move |_| {
        let page = shown.with(|s| s.as_ref().map(|p| p.page));
        if page.is_some() && scroll_to_list.get_untracked() {
            scroll_to_list.set(false);
            if let Some(head) = document().get_element_by_id("timeline-head") {
                head.scroll_into_view();
            }
        }
    });
    // To page `page`, walking from the page on screen.
    let to_page = move |page: u32| {
        scroll_to_list.set(true);
        let mut q = request.get_untracked();
        q.anchor = shown.with_untracked(|s| s.as_ref().and_then(|p| p.anchor.clone()));
        q.page = Some(page);
        if page == 1 {
            new_count.set(0);
        }
        go(q, false);
    };

    live.watch(contact_id);
    live.subscribe(move |e| match e {
        ServerEvent::ActivityCreated { contact_id: c, .. } if *c == contact_id => {
            if request.get_untracked().page.unwrap_or(1) <= 1 {
                reload.update(|n| *n += 1);
            } else {
                new_count.update(|n| *n += 1);
            }
        }
        ServerEvent::ActivityDeleted { contact_id: c, .. }
        | ServerEvent::ActivityUpdated { contact_id: c, .. }
            if *c == contact_id =>
        {
            reload.update(|n| *n += 1)
        }
        ServerEvent::Resync => reload.update(|n| *n += 1),
        _ => {}
    });

    // Search box: debounced into the URL (replacing history while typing).
    let search_input = RwSignal::new(request.get_untracked().q.unwrap_or_default());
    let timer = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
    let on_search = move |ev| {
        let value = event_target_value(&ev);
        search_input.set(value.clone());
        let t = gloo_timers::callback::Timeout::new(300, move || {
            let mut q = request.get_untracked();
            q.q = Some(value.trim().to_string()).filter(|v| !v.is_empty());
            q.page = None;
            q.anchor = None;
            go(q, true);
        });
        timer.set_value(Some(t));
    };
    let toggle_kind = move |kind: Option<ActivityKind>| {
        let mut q = request.get_untracked();
        let mut kinds = selected_kinds(&q);
        match kind {
            None => kinds.clear(),
            Some(k) if kinds.contains(&k) => kinds.retain(|x| *x != k),
            Some(k) => kinds.push(k),
        }
        kinds.sort();
        q.kinds = Some(
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(","),
        )
        .filter(|s| !s.is_empty());
        q.page = None;
        q.anchor = None;
        go(q, false);
    };

    // Keyboard: ↑/↓ between activities, Home/End to the first/last, ←/→ between pages.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(list) = document().get_element_by_id("timeline") else {
            return;
        };
        let items = list.query_selector_all(".activity-item").ok();
        let n = items.as_ref().map(|i| i.length()).unwrap_or(0);
        let active = document().active_element();
        let current = (0..n).find(|i| {
            items
                .as_ref()
                .and_then(|l| l.item(*i))
                .zip(active.clone())
                .is_some_and(|(a, b)| a == *b.unchecked_ref::<web_sys::Node>())
        });
        let item = |i: u32| {
            items
                .as_ref()
                .and_then(|l| l.item(i))
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        };
        let (page, pages) = shown
            .with_untracked(|s| s.as_ref().map(|p| (p.page, p.pages)))
            .unwrap_or((1, 1));
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                focus(item(current.map_or(0, |c| (c + 1).min(n - 1))));
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                focus(item(current.map_or(0, |c: u32| c.saturating_sub(1))));
            }
            "Home" if n > 0 => {
                ev.prevent_default();
                focus(item(0));
            }
            "End" if n > 0 => {
                ev.prevent_default();
                focus(item(n - 1));
            }
            "ArrowRight" if page < pages => {
                ev.prevent_default();
                to_page(page + 1);
            }
            "ArrowLeft" if page > 1 => {
                ev.prevent_default();
                to_page(page - 1);
            }
            _ => {}
        }
    };

    let words =
        Memo::new(move |_| search_words(&request.with(|q| q.q.clone().unwrap_or_default())));
    let compact = compact_mode(session);
    // "Go to date": the server says on which page that day begins (same kinds).
    let scope = crate::task::Scope::here();
    let go_to_date = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let date = document()
            .get_element_by_id("timeline-date")
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|e| e.value())
            .unwrap_or_default();
        if date.is_empty() {
            return;
        }
        let kinds = request.with_untracked(|q| q.kinds.clone());
        scope.spawn(async move {
            if let Ok(p) = api::timeline_position(contact_id, &date, kinds.as_deref()).await {
                to_page(p.page);
            }
        });
    };
    let can_delete = move || {
        session
            .me
            .with(|m| m.as_ref().is_some_and(|m| m.can_delete))
    };

    let compose = Compose(RwSignal::new(None));
    provide_context(compose);
    let can_email = move || session.me.with(|m| m.as_ref().is_some_and(|m| m.can_email));

    view! {
        <div class="activity-tab" class:compact=move || compact.get()>
        <div class="timeline-tools">
            <Show when=can_email>
                <button class="btn" id="write-email" aria-controls="composer"
                    on:click=move |_| compose.0.set(Some(Start::New))>
                    "✉ " {move || i18n.t(Msg::WriteEmail)}
                </button>
            </Show>
            <NoteForm contact_id=contact_id on_added=Callback::new(move |_| {
                if request.get_untracked().page.unwrap_or(1) > 1 { to_page(1) } else { reload.update(|n| *n += 1) }
            }) />
            <div class="timeline-filters">
                <label class="visually-hidden" for="activity-search">{move || i18n.t(Msg::SearchHistory)}</label>
                <input id="activity-search" type="search" class="input" autocomplete="off"
                    placeholder=move || i18n.t(Msg::SearchHistory)
                    prop:value=search_input on:input=on_search />
                <div class="kind-chips" role="group" aria-label=move || i18n.t(Msg::FilterByKind)>
                    <button class="kind-chip" id="kind-all"
                        aria-pressed=move || request.with(|q| selected_kinds(q).is_empty()).to_string()
                        on:click=move |_| toggle_kind(None)>
                        {move || i18n.t(Msg::AllKinds)}
                        <span class="count">{move || shown.with(|s| s.as_ref().map(|p| p.kind_counts.iter().map(|k| k.count).sum::<u64>()).unwrap_or(0))}</span>
                    </button>
                    {move || shown.with(|s| s.as_ref().map(|p| p.kind_counts.clone()).unwrap_or_default())
                        .into_iter()
                        .map(|k| {
                            let kind = k.kind;
                            view! {
                                <button class=format!("kind-chip kind-{}", kind.as_str()) id=format!("kind-{}", kind.as_str())
                                    aria-pressed=move || request.with(|q| selected_kinds(q).contains(&kind)).to_string()
                                    on:click=move |_| toggle_kind(Some(kind))>
                                    <span aria-hidden="true">{kind_icon(kind)}</span>
                                    {move || i18n.t(kind_label(kind))}
                                    <span class="count">{k.count}</span>
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
            </div>
        </div>
        <Composer contact_id=contact_id />
        <Show when=move || { new_count.get() > 0 }>
            <button class="notice notice-info new-activity" id="new-activities" on:click=move |_| {
                let mut q = request.get_untracked();
                q.page = None;
                q.anchor = None;
                new_count.set(0);
                go(q, false);
            }>
                {move || i18n.tn(Msg::NewActivities, new_count.get())}
            </button>
        </Show>
        {move || match data.get() {
            Some(Err(e)) => view! { <ErrorNotice error=e retry=Callback::new(move |_| data.refetch()) /> }.into_any(),
            None if shown.with(Option::is_none) => view! {
                <p class="muted" aria-busy="true" id="timeline-loading">{i18n.t(Msg::Loading)}</p>
            }.into_any(),
            _ => ().into_any(),
        }}
        // The head, list and pager stay mounted while pages load and live events arrive:
        // the list is keyed, so an update re-renders only the items that changed, and
        // an open source panel or the keyboard focus on any other item survives.
        <Show when=move || shown.with(Option::is_some)>
            <div class="timeline-head" id="timeline-head">
                <span class="muted small" id="activity-total" aria-live="polite">
                    {move || shown.with(|s| s.as_ref().map(|p| if p.capped {
                        i18n.t(Msg::MatchesCapped).replace("{n}", &i18n.count(p.total))
                    } else {
                        i18n.tn(Msg::ActivitiesTotal, p.total)
                    })).unwrap_or_default()}
                </span>
                {move || shown.with(|s| s.as_ref().map(|p| (p.page, p.pages))).map(|(page, pages)| view! {
                    <Pager page=page pages=pages to_page=Callback::new(to_page) place=Place::Top />
                })}
                <span class="timeline-head-tools">
                    <Show when=move || request.with(|q| q.q.is_none())>
                        <form class="go-to-date" on:submit=go_to_date>
                            <label class="visually-hidden" for="timeline-date">{move || i18n.t(Msg::GoToDate)}</label>
                            <input class="input input-small" type="date" id="timeline-date" required
                                title=move || i18n.t(Msg::GoToDate) />
                            <button class="btn btn-small" type="submit" id="timeline-date-go">{move || i18n.t(Msg::GoToDate)}</button>
                        </form>
                    </Show>
                    <button class="btn btn-small" id="density-toggle"
                        aria-pressed=move || compact.get().to_string()
                        title=move || i18n.t(Msg::CompactHint)
                        on:click=move |_| compact.update(|c| *c = !*c)>
                        {move || i18n.t(Msg::Compact)}
                    </button>
                    <span class="live-dot" class:on=move || live.connected.get()
                        title=move || i18n.t(if live.connected.get() { Msg::LiveOn } else { Msg::LiveOff })></span>
                </span>
            </div>
            <Show when=move || shown.with(|s| s.as_ref().is_some_and(|p| !p.items.is_empty()))
                fallback=move || {
                    let searching = request.with(|q| q.q.is_some() || q.kinds.is_some());
                    view! {
                        <p class="empty-state" id="no-activities">
                            {move || i18n.t(if searching { Msg::NoMatches } else { Msg::NoActivities })}
                        </p>
                    }
                }>
                <ol class="timeline" id="timeline" class:loading=move || data.get().is_none()
                    class:compact=move || compact.get()
                    aria-busy=move || data.get().is_none().to_string() on:keydown=on_key>
                    <For each=move || shown.with(|s| s.as_ref().map(|p| p.items.clone()).unwrap_or_default())
                        key=move |a| item_key(a, &words.get_untracked())
                        let:a>
                        <ActivityItem activity=a words=words.get_untracked() can_delete=can_delete() />
                    </For>
                </ol>
            </Show>
            {move || shown.with(|s| s.as_ref().map(|p| (p.page, p.pages))).map(|(page, pages)| view! {
                <Pager page=page pages=pages to_page=Callback::new(to_page) place=Place::Bottom />
            })}
        </Show>
        </div>
    }
}

/// The compact timeline (one line per item), remembered per user on this browser.
fn compact_mode(session: crate::session::Session) -> RwSignal<bool> {
    use gloo_storage::{LocalStorage, Storage};
    let key = move || {
        session
            .me
            .with_untracked(|m| m.as_ref().map(|m| format!("agentdesk.compact.{}", m.id)))
    };
    let compact = RwSignal::new(
        key()
            .and_then(|k| LocalStorage::get::<bool>(&k).ok())
            .unwrap_or(false),
    );
    Effect::new(move |first: Option<()>| {
        let on = compact.get();
        if first.is_some()
            && let Some(k) = key()
        {
            let _ = LocalStorage::set(k, on);
        }
    });
    compact
}

/// An item's identity in the keyed list: its id and what it shows (content and the
/// words highlighted in it). Unchanged items keep their DOM, focus and open panel; an
/// item whose content changed (a call that ended, a disposition saved) is drawn anew.
fn item_key(a: &Activity, words: &[String]) -> (i64, u64) {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{a:?}").hash(&mut h);
    words.hash(&mut h);
    (a.id, h.finish())
}

#[component]
fn NoteForm(contact_id: i64, on_added: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let scope = crate::task::Scope::here();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        if body.trim().is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        scope.spawn(async move {
            match api::create_note(contact_id, body).await {
                Ok(_) => {
                    text.set(String::new());
                    on_added.run(());
                }
                Err(e) => error.set(Some(describe(&e, |m| i18n.t(m)))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="note-form" on:submit=submit>
            <label class="visually-hidden" for="note-text">{move || i18n.t(Msg::AddNote)}</label>
            <input id="note-text" class="input" maxlength="4000" autocomplete="off"
                placeholder=move || i18n.t(Msg::AddNotePlaceholder)
                prop:value=text on:input=move |ev| text.set(event_target_value(&ev)) />
            <button class="btn" type="submit" id="note-submit" disabled=move || busy.get()>{move || i18n.t(Msg::AddNote)}</button>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </form>
    }
}
