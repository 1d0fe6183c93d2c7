//! The Activity tab: the contact's timeline, 10 per page, newest first.
//!
//! Page, kinds, search and the server's anchor live in the URL, so reload and
//! back/forward land on the same view; the anchor lets the server walk from the page the
//! user was on instead of from either end. New activities arrive over the real-time
//! stream: page 1 refetches, any other page shows an "N new" notice that leads to page 1.

use agentdesk_protocol::{
    Activity, ActivityDetail, ActivityKind, ActivityPage, ActivityQuery, CallOutcome, Direction,
    EmailStatus, ServerEvent, SyncState, TicketStatus,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use wasm_bindgen::JsCast;

use crate::api;
use crate::components::error::{ErrorNotice, describe};
use crate::components::time::Time;
use crate::i18n::{Msg, use_i18n};
use crate::live::use_live;
use crate::session::use_session;

pub fn kind_label(kind: ActivityKind) -> Msg {
    match kind {
        ActivityKind::Email => Msg::KindEmail,
        ActivityKind::Chat => Msg::KindChat,
        ActivityKind::Ticket => Msg::KindTicket,
        ActivityKind::Call => Msg::KindCall,
        ActivityKind::Sms => Msg::KindSms,
        ActivityKind::Note => Msg::KindNote,
        ActivityKind::FollowUp => Msg::KindFollowUp,
    }
}

fn kind_icon(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Email => "✉",
        ActivityKind::Chat => "❝",
        ActivityKind::Ticket => "⚑",
        ActivityKind::Call => "☎",
        ActivityKind::Sms => "✆",
        ActivityKind::Note => "✎",
        ActivityKind::FollowUp => "↻",
    }
}

fn direction_label(d: Direction) -> Msg {
    match d {
        Direction::Inbound => Msg::Inbound,
        Direction::Outbound => Msg::Outbound,
    }
}

/// `512 B`, `12 KB`, `3.4 MB`.
fn byte_size(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{} KB", n / 1_000),
        _ => format!("{:.1} MB", n as f64 / 1_000_000.0),
    }
}

fn duration(secs: u32) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

pub use agentdesk_protocol::text::{highlight_runs, search_words};

fn highlighted(text: String, words: &[String]) -> impl IntoView + use<> {
    highlight_runs(&text, words)
        .into_iter()
        .map(|(s, m)| {
            if m {
                view! { <mark>{s}</mark> }.into_any()
            } else {
                s.into_any()
            }
        })
        .collect_view()
}

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
    // To page `page`, walking from the page on screen.
    let to_page = move |page: u32| {
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
    let can_delete = move || {
        session
            .me
            .with(|m| m.as_ref().is_some_and(|m| m.can_delete))
    };

    view! {
        <div class="timeline-tools">
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
            <div class="timeline-head">
                <span class="muted small" id="activity-total" aria-live="polite">
                    {move || shown.with(|s| s.as_ref().map(|p| if p.capped {
                        i18n.t(Msg::MatchesCapped).replace("{n}", &i18n.count(p.total))
                    } else {
                        i18n.tn(Msg::ActivitiesTotal, p.total)
                    })).unwrap_or_default()}
                </span>
                <span class="live-dot" class:on=move || live.connected.get()
                    title=move || i18n.t(if live.connected.get() { Msg::LiveOn } else { Msg::LiveOff })></span>
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
                    aria-busy=move || data.get().is_none().to_string() on:keydown=on_key>
                    <For each=move || shown.with(|s| s.as_ref().map(|p| p.items.clone()).unwrap_or_default())
                        key=move |a| item_key(a, &words.get_untracked())
                        let:a>
                        <ActivityItem activity=a words=words.get_untracked() can_delete=can_delete() />
                    </For>
                </ol>
            </Show>
            {move || shown.with(|s| s.as_ref().map(|p| (p.page, p.pages))).map(|(page, pages)| view! {
                <Pager page=page pages=pages to_page=Callback::new(to_page) />
            })}
        </Show>
    }
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

/// First, previous, a window of numbered pages, next, last.
#[component]
fn Pager(page: u32, pages: u32, to_page: Callback<u32>) -> impl IntoView {
    let i18n = use_i18n();
    if pages <= 1 {
        return ().into_any();
    }
    let lo = page.saturating_sub(2).max(1);
    let hi = (page + 2).min(pages);
    let button = move |label: Msg, target: u32, id: &'static str, disabled: bool| {
        view! {
            <button class="btn btn-small pager-btn" id=id disabled=disabled
                aria-label=move || i18n.t(label)
                on:click=move |_| to_page.run(target)>
                {match label {
                    Msg::FirstPage => "«",
                    Msg::PreviousPage => "‹",
                    Msg::NextPage => "›",
                    _ => "»",
                }}
            </button>
        }
    };
    view! {
        <nav class="pager" aria-label=move || i18n.t(Msg::Pages)>
            {button(Msg::FirstPage, 1, "page-first", page == 1)}
            {button(Msg::PreviousPage, page.saturating_sub(1).max(1), "page-prev", page == 1)}
            {(lo..=hi).map(|n| view! {
                <button class="btn btn-small pager-num" class:current=n == page
                    aria-current=(n == page).then_some("page")
                    data-page=n
                    on:click=move |_| to_page.run(n)>{n}</button>
            }).collect_view()}
            {button(Msg::NextPage, (page + 1).min(pages), "page-next", page == pages)}
            {button(Msg::LastPage, pages, "page-last", page == pages)}
            <span class="muted small" id="page-status">{move || i18n.t(Msg::PageOf).replace("{n}", &page.to_string()).replace("{m}", &pages.to_string())}</span>
        </nav>
    }
    .into_any()
}

#[component]
fn NoteForm(contact_id: i64, on_added: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = text.get_untracked();
        if body.trim().is_empty() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
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

#[component]
fn ActivityItem(activity: Activity, words: Vec<String>, can_delete: bool) -> impl IntoView {
    let i18n = use_i18n();
    let kind = activity.kind;
    let id = activity.id;
    let author = activity.user.as_ref().map(|u| u.display_name.clone());
    let (title, body, badges): (String, String, Vec<(Msg, &'static str)>) = match &activity.detail {
        ActivityDetail::Email {
            direction,
            status,
            content,
        } => {
            let mut badges = vec![(direction_label(*direction), "")];
            if let Some(s) = status {
                badges.push(match s {
                    EmailStatus::Sent => (Msg::StatusSent, "ok"),
                    EmailStatus::Failed => (Msg::StatusFailed, "bad"),
                    EmailStatus::Queued => (Msg::StatusQueued, "warn"),
                    EmailStatus::Draft => (Msg::StatusDraft, ""),
                });
            }
            match content {
                Some(c) => {
                    let mut body = format!("{} — {}", c.sender, c.snippet);
                    // Attachments: name, type and size, after the text.
                    for a in &c.attachments {
                        body.push_str(&format!(
                            " · 📎 {} ({}, {})",
                            a.name,
                            a.content_type,
                            byte_size(a.size)
                        ));
                    }
                    (c.subject.clone(), body, badges)
                }
                None => (String::new(), String::new(), badges),
            }
        }
        ActivityDetail::Chat {
            first_message,
            duration_secs,
            message_count,
            ..
        } => (
            first_message.clone(),
            format!("{} · {message_count}", duration(*duration_secs)),
            vec![],
        ),
        ActivityDetail::Ticket {
            ticket_id,
            subject,
            status,
            event,
        } => (
            format!("{ticket_id} · {subject}"),
            String::new(),
            vec![
                (
                    match event.as_str() {
                        "created" => Msg::TicketCreated,
                        "closed" => Msg::TicketClosedEvent,
                        _ => Msg::TicketChanged,
                    },
                    "",
                ),
                match status {
                    TicketStatus::Open => (Msg::TicketOpen, "warn"),
                    TicketStatus::Pending => (Msg::TicketPending, "warn"),
                    TicketStatus::Solved => (Msg::TicketSolved, "ok"),
                    TicketStatus::Closed => (Msg::TicketClosed, ""),
                },
            ],
        ),
        ActivityDetail::Call {
            direction,
            number,
            campaign,
            duration_secs,
            disposition,
            outcome,
        } => {
            let mut badges = vec![(direction_label(*direction), "")];
            match outcome {
                Some(CallOutcome::InProgress) => badges.push((Msg::CallInProgress, "live")),
                Some(CallOutcome::NoAnswer) => badges.push((Msg::NotAnswered, "bad")),
                Some(CallOutcome::Busy) => badges.push((Msg::CallBusy, "bad")),
                Some(CallOutcome::Failed) => badges.push((Msg::CallFailed, "bad")),
                Some(CallOutcome::Answered) => {}
                // Older records say nothing: 0 seconds billed reads as not answered.
                None if *duration_secs == 0 => badges.push((Msg::NotAnswered, "bad")),
                None => {}
            }
            let mut dispo = disposition
                .as_ref()
                .map(|d| {
                    let path = [d.l1.as_str(), d.l2.as_str(), d.l3.as_str()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" › ");
                    if d.comment.is_empty() {
                        path
                    } else {
                        format!("{path} — «{}»", d.comment)
                    }
                })
                .unwrap_or_default();
            // The disposition's delivery to uContact's REST API, when the server sends it.
            match disposition.as_ref().and_then(|d| d.sync.as_ref()) {
                Some(s) if s.state == SyncState::Sent => badges.push((Msg::SyncSent, "ok")),
                Some(s) if s.state == SyncState::Failed => {
                    badges.push((Msg::SyncFailed, "bad"));
                    if let Some(why) = &s.reason {
                        dispo = format!("{dispo} ({why})");
                    }
                }
                Some(_) => badges.push((Msg::SyncPending, "warn")),
                None => {}
            }
            // A call in progress shows its running time instead (below).
            let shown = if *outcome == Some(CallOutcome::InProgress) {
                dispo
            } else {
                format!("{} {dispo}", duration(*duration_secs))
            };
            (
                format!("{number} · {campaign}"),
                shown.trim().to_string(),
                badges,
            )
        }
        ActivityDetail::Sms { direction, text } => (
            text.clone(),
            String::new(),
            vec![(direction_label(*direction), "")],
        ),
        ActivityDetail::Note { text } => (text.clone(), String::new(), vec![]),
        ActivityDetail::FollowUp {
            rule,
            channel,
            message,
        } => (
            message.clone(),
            rule.clone(),
            vec![(kind_label(*channel), "")],
        ),
    };
    let in_progress_since = match &activity.detail {
        ActivityDetail::Call {
            outcome: Some(CallOutcome::InProgress),
            ..
        } => Some(activity.occurred_at.timestamp_millis()),
        _ => None,
    };
    let redacted = activity.redacted;
    let is_chat = kind == ActivityKind::Chat;
    let open = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let title_words = words.clone();
    let body_words = words;
    let delete = move |_| {
        let confirmed = window()
            .confirm_with_message(i18n.t(Msg::ConfirmDelete))
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        deleting.set(true);
        spawn_local(async move {
            // The stream's activity.deleted refreshes the page.
            if let Err(e) = api::delete_activity(id).await {
                delete_error.set(Some(describe(&e, |m| i18n.t(m))));
                deleting.set(false);
            }
        });
    };
    view! {
        <li class=format!("activity-item kind-{}", kind.as_str()) data-activity-id=id tabindex="0"
            class:deleting=move || deleting.get()>
            <span class="activity-icon" aria-hidden="true">{kind_icon(kind)}</span>
            <div class="activity-body">
                <div class="activity-top">
                    <span class="activity-kind">{move || i18n.t(kind_label(kind))}</span>
                    {badges.into_iter().map(|(m, tone)| view! {
                        <span class=format!("badge {tone}")>{move || i18n.t(m)}</span>
                    }).collect_view()}
                    <span class="activity-when"><Time at=activity.occurred_at /></span>
                </div>
                {if redacted {
                    view! { <p class="activity-title muted redacted">{move || i18n.t(Msg::EmailHidden)}</p> }.into_any()
                } else {
                    view! { <p class="activity-title">{highlighted(title, &title_words)}</p> }.into_any()
                }}
                {in_progress_since.map(|since| {
                    let second = expect_context::<crate::components::time::Clock>().second;
                    view! {
                        <p class="activity-snippet call-running">
                            <span class="call-timer" role="timer">
                                {move || duration(((second.get() - since).max(0) / 1000) as u32)}
                            </span>
                        </p>
                    }
                })}
                {(!body.is_empty()).then(|| view! {
                    <p class="activity-snippet">
                        {highlighted(body, &body_words)}
                        {is_chat.then(|| view! { " " {move || i18n.t(Msg::Messages)} })}
                    </p>
                })}
                <p class="activity-meta muted small">
                    <span class="activity-author">
                        {match author {
                            Some(a) => a.into_any(),
                            None => (move || i18n.t(if kind == ActivityKind::Email { Msg::Customer } else { Msg::System })).into_any(),
                        }}
                    </span>
                    " · "
                    <button class="link-btn activity-source" aria-expanded=move || open.get().to_string()
                        on:click=move |_| open.update(|o| *o = !*o)>
                        {activity.model_id.clone()}
                    </button>
                    {can_delete.then(|| view! {
                        " · "
                        <button class="link-btn danger activity-delete" on:click=delete disabled=move || deleting.get()>
                            {move || i18n.t(Msg::Delete)}
                        </button>
                    })}
                </p>
                {move || delete_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <Show when=move || open.get()>
                    <ActivitySource id=id />
                </Show>
            </div>
        </li>
    }
}

/// The source interaction of an activity, loaded on demand (with the email's full text
/// for users allowed to read it).
#[component]
fn ActivitySource(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let view_res = LocalResource::new(move || api::activity(id));
    view! {
        <div class="activity-source-panel">
            {move || match view_res.get() {
                None => view! { <p class="muted" aria-busy="true">{i18n.t(Msg::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
                Some(Ok(v)) => view! {
                    <dl class="attr-table">
                        <div><dt>{move || i18n.t(Msg::Source)}</dt><dd>{v.activity.model_id.clone()}</dd></div>
                        <div><dt>{move || i18n.t(Msg::When)}</dt><dd><Time at=v.activity.occurred_at full=true /></dd></div>
                    </dl>
                    <AttributeList title=Msg::ConversationAttributes attrs=v.conversation_attributes.clone() />
                    <AttributeList title=Msg::CustomerAttributes attrs=v.customer_attributes.clone() />
                    {v.email_body.map(|b| view! { <pre class="email-body">{b}</pre> })}
                }.into_any(),
            }}
        </div>
    }
}

/// The readable label of an attribute the desktop defines; others keep their name.
pub fn attribute_label(name: &str) -> Option<Msg> {
    Some(match name {
        "plan" => Msg::AttrPlan,
        "segment" => Msg::AttrSegment,
        "city" => Msg::AttrCity,
        "document_id" => Msg::AttrDocumentId,
        "birth_date" => Msg::AttrBirthDate,
        "customer_since" => Msg::AttrCustomerSince,
        "lifetime_value" => Msg::AttrLifetimeValue,
        "reason" => Msg::AttrReason,
        "order_id" => Msg::AttrOrderId,
        "promised_date" => Msg::AttrPromisedDate,
        "amount" => Msg::AttrAmount,
        _ => return None,
    })
}

/// Attributes as a labelled list (nothing when there are none).
#[component]
fn AttributeList(title: Msg, attrs: std::collections::BTreeMap<String, String>) -> impl IntoView {
    let i18n = use_i18n();
    (!attrs.is_empty()).then(|| {
        let rows = attrs
            .into_iter()
            .map(|(name, value)| {
                let label = move || match attribute_label(&name) {
                    Some(m) => i18n.t(m).to_string(),
                    None => name.clone(),
                };
                view! { <div><dt>{label}</dt><dd>{value}</dd></div> }
            })
            .collect_view();
        view! {
            <h4 class="attr-title">{move || i18n.t(title)}</h4>
            <dl class="attr-table attributes">{rows}</dl>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defined_attribute_has_a_label() {
        for name in [
            "plan",
            "segment",
            "city",
            "document_id",
            "birth_date",
            "customer_since",
            "lifetime_value",
            "reason",
            "order_id",
            "promised_date",
            "amount",
        ] {
            assert!(attribute_label(name).is_some(), "{name}");
        }
        assert_eq!(attribute_label("conversation_attribute_1"), None);
    }

    #[test]
    fn matches_are_word_prefixes_ignoring_case_and_accents() {
        let words = search_words("fact LUCIA");
        let runs = highlight_runs("Factura de Lucía, artefacto", &words);
        let marked: Vec<&str> = runs
            .iter()
            .filter(|(_, m)| *m)
            .map(|(s, _)| s.as_str())
            .collect();
        assert_eq!(marked, vec!["Factura", "Lucía"]);
        let joined: String = runs.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(joined, "Factura de Lucía, artefacto");
    }

    #[test]
    fn attachment_sizes_read_as_people_say_them() {
        assert_eq!(byte_size(8), "8 B");
        assert_eq!(byte_size(12_345), "12 KB");
        assert_eq!(byte_size(3_400_000), "3.4 MB");
    }

    #[test]
    fn empty_search_marks_nothing() {
        let runs = highlight_runs("hola", &[]);
        assert_eq!(runs, vec![("hola".to_string(), false)]);
        assert!(highlight_runs("", &search_words("x")).is_empty());
    }
}
