//! The status picker in the top bar: colour dot, label, time in status, a change waiting
//! for the end of a call; a menu of the values the agent may choose, usable from the
//! keyboard (Enter/Space/↓ open, ↑/↓ move, Escape closes).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::time::{since, use_clock};
use crate::i18n::{Msg, use_i18n};
use crate::status::{describe, use_my_status};

#[component]
pub fn StatusPicker() -> impl IntoView {
    let i18n = use_i18n();
    let status = use_my_status();
    let now = use_clock();
    let open = RwSignal::new(false);
    let menu = NodeRef::<leptos::html::Ul>::new();

    let shown = move || {
        let locale = i18n.locale.get();
        status.current.with(|c| {
            status.defs.with(|defs| match c {
                Some(s) => {
                    let (label, color) = describe(defs, &s.value, locale);
                    Some((
                        label,
                        color,
                        s.since,
                        s.pending.clone().map(|p| describe(defs, &p, locale).0),
                    ))
                }
                None => None,
            })
        })
    };
    let label = move || {
        shown()
            .map(|s| s.0)
            .unwrap_or_else(|| i18n.t(Msg::StatusSoon).to_string())
    };
    let color = move || shown().map(|s| s.1).unwrap_or_else(|| "#c4cbd6".into());
    let timer = move || shown().map(|s| since(s.2, now.get())).unwrap_or_default();
    let pending = move || shown().and_then(|s| s.3);

    let focus_item = move |delta: i32| {
        let Some(ul) = menu.get() else { return };
        let Ok(items) = ul.query_selector_all("button") else {
            return;
        };
        let n = items.length() as i32;
        if n == 0 {
            return;
        }
        let active = document().active_element();
        let mut current = -1;
        for i in 0..n {
            if let Some(node) = items.item(i as u32)
                && active.as_ref().map(|a| a.is_same_node(Some(&node))) == Some(true)
            {
                current = i;
            }
        }
        let next = if current < 0 {
            if delta > 0 { 0 } else { n - 1 }
        } else {
            (current + delta).rem_euclid(n)
        };
        if let Some(el) = items
            .item(next as u32)
            .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    };
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() {
            request_animation_frame(move || focus_item(1));
        }
    };
    let on_button_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "ArrowDown" && !open.get_untracked() {
            ev.prevent_default();
            open.set(true);
            request_animation_frame(move || focus_item(1));
        }
    };
    let on_menu_key = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" => {
            ev.prevent_default();
            focus_item(1);
        }
        "ArrowUp" => {
            ev.prevent_default();
            focus_item(-1);
        }
        "Escape" => {
            open.set(false);
            if let Some(b) = document()
                .get_element_by_id("status-button")
                .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = b.focus();
            }
        }
        _ => {}
    };
    let options = move || {
        let locale = i18n.locale.get();
        let current = status.current.with(|c| c.as_ref().map(|c| c.value.clone()));
        status
            .defs
            .get()
            .into_iter()
            .filter(|d| d.selectable())
            .map(|d| {
                let value = d.value.clone();
                let selected = current.as_deref() == Some(d.value.as_str());
                let label = d.label(locale).to_owned();
                let pick = value.clone();
                view! {
                    <li role="none">
                        <button
                            role="menuitemradio"
                            aria-checked=selected.to_string()
                            class="status-option"
                            data-value=value
                            on:click=move |_| {
                                open.set(false);
                                status.choose(pick.clone());
                            }
                        >
                            <span class="status-dot" style:background-color=d.color.clone()></span>
                            {label}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="status-picker" on:focusout=move |ev: web_sys::FocusEvent| {
            // Close when focus leaves the picker altogether.
            let inside = ev
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                .zip(ev.current_target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()))
                .is_some_and(|(t, me)| me.contains(Some(&t)));
            if !inside {
                open.set(false);
            }
        }>
            <button
                id="status-button"
                class="status-button"
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-label=move || format!("{}: {}", i18n.t(Msg::Status), label())
                disabled=move || status.saving.get()
                on:click=toggle
                on:keydown=on_button_key
            >
                <span class="status-dot" aria-hidden="true" style:background-color=color></span>
                <span class="status-label" id="status-label">{label}</span>
                <span class="status-timer" id="status-timer" aria-hidden="true">{timer}</span>
                <Show when=move || pending().is_some()>
                    <span class="status-pending" id="status-pending" title=move || i18n.t(Msg::StatusPendingHint)>
                        {move || format!("→ {}", pending().unwrap_or_default())}
                    </span>
                </Show>
            </button>
            <Show when=move || pending().is_some()>
                <button class="btn btn-ghost btn-small" id="status-cancel-pending"
                    on:click=move |_| status.cancel_pending()
                    aria-label=move || i18n.t(Msg::StatusCancelPending)>"×"</button>
            </Show>
            <Show when=move || open.get()>
                <ul class="status-menu" role="menu" node_ref=menu on:keydown=on_menu_key
                    aria-label=move || i18n.t(Msg::Status)>
                    {options}
                </ul>
            </Show>
            <Show when=move || status.error.with(Option::is_some)>
                <span class="status-error" role="alert">{move || i18n.t(Msg::StatusChangeFailed)}</span>
            </Show>
        </div>
    }
}
