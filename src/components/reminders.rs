//! Callback reminders in the top bar: a button with how many are due, the list of the
//! agent's scheduled callbacks (each opens its contact and can be marked done), and an
//! alert the moment one falls due. The list follows the live `reminders` event, which
//! the server sends when one is scheduled, falls due or is done.

use std::collections::HashSet;

use agentdesk_protocol::{Reminder, ServerEvent};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe;
use crate::components::time::Time;
use crate::i18n::{Msg, use_i18n};
use crate::live::use_live;
use crate::nav::NavLink;
use crate::task::Scope;

/// A reminder at its time: moved to another time, it is another alert.
type Due = (i64, chrono::DateTime<chrono::Utc>);

/// The reminders newly due in `items`: due, and not in `seen` (which they join).
pub fn newly_due(items: &[Reminder], seen: &mut HashSet<Due>) -> Vec<Reminder> {
    items
        .iter()
        .filter(|r| r.due && seen.insert((r.id, r.due_at)))
        .cloned()
        .collect()
}

#[component]
pub fn Reminders() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let scope = Scope::here();
    let items = RwSignal::new(Vec::<Reminder>::new());
    let alerts = RwSignal::new(Vec::<Reminder>::new());
    let error = RwSignal::new(None::<String>);
    let open = RwSignal::new(false);
    let seen = StoredValue::new(HashSet::<Due>::new());
    let load = move || {
        scope.spawn(async move {
            match api::reminders().await {
                Ok(list) => {
                    let fresh = seen
                        .try_update_value(|s| newly_due(&list, s))
                        .unwrap_or_default();
                    if !fresh.is_empty() {
                        alerts.update(|a| a.extend(fresh));
                    }
                    // Done elsewhere (another tab) or moved: its alert goes too.
                    alerts.update(|a| {
                        a.retain(|r| list.iter().any(|l| l.id == r.id && l.due_at == r.due_at))
                    });
                    items.set(list);
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
            ServerEvent::Reminders { .. } | ServerEvent::Resync | ServerEvent::Ready
        ) {
            load();
        }
    });
    let finish = move |id: i64| {
        scope.spawn(async move {
            match api::finish_reminder(id).await {
                // The `reminders` event reloads the list.
                Ok(()) => alerts.update(|a| a.retain(|r| r.id != id)),
                Err(e) => error.set(Some(describe(&e, |m| i18n.t(m)))),
            }
        });
    };
    let due = move || items.with(|l| l.iter().filter(|r| r.due).count() as u64);
    view! {
        <div class="reminders">
            <button class="btn btn-ghost reminders-button" id="reminders-button"
                class=("has-due", move || due() > 0)
                aria-expanded=move || open.get().to_string()
                aria-label=move || format!("{}: {}", i18n.t(Msg::Callbacks), i18n.tn(Msg::CallbacksDue, due()))
                on:click=move |_| open.update(|o| *o = !*o)>
                <span aria-hidden="true">{move || i18n.t(Msg::Callbacks)}</span>
                <Show when=move || { due() > 0 }>
                    <span class="badge bad" id="reminders-due">{move || i18n.count(due())}</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <div class="reminders-panel" id="reminders-panel" role="dialog"
                    aria-label=move || i18n.t(Msg::Callbacks)
                    on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
                    <strong>{move || i18n.t(Msg::Callbacks)}</strong>
                    {move || error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <Show when=move || items.with(|l| l.is_empty())>
                        <p class="muted">{move || i18n.t(Msg::NoCallbacks)}</p>
                    </Show>
                    <ul class="reminder-list">
                        <For each=move || items.get() key=|r| (r.id, r.due_at, r.due) let:r>
                            <li class="reminder" class:due=r.due data-reminder-id=r.id>
                                <NavLink href=format!("/contacts/{}", r.contact_id)>{r.contact_name.clone()}</NavLink>
                                " · "
                                <Time at=r.due_at full=true />
                                {(!r.note.is_empty()).then(|| view! { <span class="muted">" — " {r.note.clone()}</span> })}
                                <button class="link-btn reminder-done" on:click=move |_| finish(r.id)>
                                    {move || i18n.t(Msg::MarkDone)}
                                </button>
                            </li>
                        </For>
                    </ul>
                </div>
            </Show>
            <div class="reminder-alerts">
                <For each=move || alerts.get() key=|r| r.id let:r>
                    <div class="reminder-alert" role="alert" data-reminder-id=r.id>
                        <span>{move || i18n.t(Msg::CallbackNow).replace("{name}", &r.contact_name)}</span>
                        {(!r.note.is_empty()).then(|| view! { <span class="muted">{r.note.clone()}</span> })}
                        <NavLink href=format!("/contacts/{}", r.contact_id)>{move || i18n.t(Msg::OpenContact)}</NavLink>
                        <button class="btn btn-primary reminder-done" on:click=move |_| finish(r.id)>
                            {move || i18n.t(Msg::MarkDone)}
                        </button>
                        <button class="link-btn" aria-label=move || i18n.t(Msg::Dismiss)
                            on:click=move |_| alerts.update(|a| a.retain(|x| x.id != r.id))>"×"</button>
                    </div>
                </For>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reminder(id: i64, due: bool) -> Reminder {
        Reminder {
            id,
            contact_id: 1,
            contact_name: "Ana".into(),
            call_guid: None,
            due_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            note: String::new(),
            due,
        }
    }

    #[test]
    fn each_due_reminder_alerts_once() {
        let mut seen = HashSet::new();
        let first = newly_due(&[reminder(1, true), reminder(2, false)], &mut seen);
        assert_eq!(first.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1]);
        // Reloaded after another event: 1 again, and 2 now due.
        let next = newly_due(&[reminder(1, true), reminder(2, true)], &mut seen);
        assert_eq!(next.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2]);
        // 1 moved to a later time and due again: it alerts again.
        let mut moved = reminder(1, true);
        moved.due_at += chrono::Duration::hours(1);
        let again = newly_due(&[moved, reminder(2, true)], &mut seen);
        assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1]);
    }
}
