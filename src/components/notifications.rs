//! The notification centre in the top bar: a button with how many notifications are
//! unread, and the latest ones (what automated follow-ups told this user: the rule, the
//! message, a card's links, the record's contact). Follows the live `notifications`
//! event, which only this user's streams get.

use agentdesk_protocol::ServerEvent;
use agentdesk_protocol::followup::{ActionState, ActionTaken, Notification, Notifications};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe;
use crate::components::time::Time;
use crate::i18n::{Msg, use_i18n};
use crate::live::use_live;
use crate::nav::NavLink;
use crate::task::Scope;

/// Only web links leave the desk from a card (no `javascript:` and the like, whatever a
/// follow-up's external system put in a record).
pub fn safe_link(url: &str) -> Option<&str> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(u)
}

#[component]
pub fn NotificationCentre() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let scope = Scope::here();
    let state = RwSignal::new(Notifications::default());
    let error = RwSignal::new(None::<String>);
    let open = RwSignal::new(false);
    let load = move || {
        scope.spawn(async move {
            match api::notifications().await {
                Ok(n) => {
                    state.set(n);
                    error.set(None);
                }
                Err(e) => error.set(Some(describe(&e, |m| i18n.t(m)))),
            }
        });
    };
    load();
    live.subscribe(move |e| {
        if matches!(
            e,
            ServerEvent::Notifications { .. } | ServerEvent::Resync | ServerEvent::Ready
        ) {
            load();
        }
    });
    // Read: these, or all of them (the `notifications` event reloads the list).
    let read = move |ids: Option<Vec<i64>>| {
        scope.spawn(async move {
            if let Err(e) = api::read_notifications(ids).await {
                error.set(Some(describe(&e, |m| i18n.t(m))));
            }
        });
    };
    // A card's action button: the server calls the follow-up's action (the `notifications`
    // event reloads the list with its outcome).
    let act = move |id: i64, button: usize| {
        scope.spawn(async move {
            if let Err(e) = api::notification_action(id, button).await {
                error.set(Some(describe(&e, |m| i18n.t(m))));
            }
        });
    };
    let unread = move || u64::from(state.with(|s| s.unread));
    let item = move |n: Notification| {
        // Text only (a follow-up's message comes from another system), and web links.
        let links: Vec<(String, String)> = n
            .card
            .iter()
            .flat_map(|c| &c.buttons)
            .filter(|b| b.action.is_none())
            .filter_map(|b| Some((b.label.clone(), safe_link(&b.url)?.to_owned())))
            .collect();
        // A card's action buttons; the one pressed says how it went in its own text.
        // Done or under way, they rest (a failed one may be pressed again).
        let resting = n
            .action
            .as_ref()
            .is_some_and(|a| a.state != ActionState::Failed);
        let actions: Vec<(usize, String)> = n
            .card
            .iter()
            .flat_map(|c| c.buttons.iter().enumerate())
            .filter(|(_, b)| b.action.is_some())
            .map(|(i, b)| {
                let text = match &n.action {
                    Some(a) if a.label == b.label => action_text(i18n, a),
                    _ => b.label.clone(),
                };
                (i, text)
            })
            .collect();
        let id = n.id;
        let card = n
            .card
            .map(|c| format!("{} {}", c.title, c.text))
            .unwrap_or_default();
        view! {
            <li class="notification" class:unread=!n.read data-notification-id=n.id>
                <strong>{n.title}</strong>
                <Time at=n.created_at full=true />
                <p>{n.text} " " {card}</p>
                {links.into_iter().map(|(label, href)| view! {
                    <a href=href target="_blank" rel="noopener noreferrer">{label}</a>
                }).collect_view()}
                {actions.into_iter().map(|(i, text)| view! {
                    <button type="button" class="btn btn-small card-action" data-button=i
                        disabled=resting on:click=move |_| act(id, i)>{text}</button>
                }).collect_view()}
                {n.contact_id.map(|c| view! {
                    <NavLink href=format!("/contacts/{c}")>{move || i18n.t(Msg::OpenContact)}</NavLink>
                })}
            </li>
        }
    };
    view! {
        <div class="reminders notifications">
            <button class="btn btn-ghost reminders-button" id="notifications-button"
                aria-expanded=move || open.get().to_string()
                aria-label=move || format!("{}: {}", i18n.t(Msg::Notifications), i18n.tn(Msg::NotificationsUnread, unread()))
                on:click=move |_| open.update(|o| *o = !*o)>
                <span aria-hidden="true">{move || i18n.t(Msg::Notifications)}</span>
                <Show when=move || { unread() > 0 }>
                    <span class="badge bad" id="notifications-unread" aria-live="polite">{move || i18n.count(unread())}</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <div class="reminders-panel" id="notifications-panel" role="dialog"
                    aria-label=move || i18n.t(Msg::Notifications)
                    on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
                    <div class="panel-head">
                        <strong>{move || i18n.t(Msg::Notifications)}</strong>
                        <Show when=move || { unread() > 0 }>
                            <button class="link-btn" id="notifications-read-all" on:click=move |_| read(None)>
                                {move || i18n.t(Msg::MarkAllRead)}
                            </button>
                        </Show>
                    </div>
                    {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <Show when=move || state.with(|s| s.items.is_empty())>
                        <p class="muted">{move || i18n.t(Msg::NoNotifications)}</p>
                    </Show>
                    <ul class="reminder-list">
                        <For each=move || state.get().items
                            key=|n| (n.id, n.read, n.action.as_ref().map(|a| (a.state as u8, a.at.timestamp_millis()))) children=item />
                    </ul>
                </div>
            </Show>
        </div>
    }
}

/// "Approve: done" and the like, in the user's language.
fn action_text(i18n: crate::i18n::I18n, a: &ActionTaken) -> String {
    let template = match a.state {
        ActionState::Running => i18n.t(Msg::ActionRunning),
        ActionState::Done => i18n.t(Msg::ActionDone),
        ActionState::Failed => i18n.t(Msg::ActionFailed),
    };
    template
        .replace("{label}", &a.label)
        .replace("{why}", a.message.as_deref().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_leave_the_desk() {
        assert_eq!(
            safe_link(" https://itsm.example.com/t/1 "),
            Some("https://itsm.example.com/t/1")
        );
        assert_eq!(safe_link("HTTP://x.example"), Some("HTTP://x.example"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "//evil",
            "",
        ] {
            assert_eq!(safe_link(bad), None, "{bad}");
        }
    }
}
