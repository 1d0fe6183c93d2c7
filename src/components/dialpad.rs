//! The dial pad in the top bar: call any number with one of the campaigns the agent's
//! teams may use. The number is checked as it is typed by the same rule as the server's
//! ([`agentdesk_protocol::dial`]); the server finds the contact with that number in the
//! campaign's teams, or creates one, and the desktop opens its page.

use agentdesk_protocol::bridge::CallRequest;
use agentdesk_protocol::dial::{DialProblem, dial_problem};
use leptos::prelude::*;

use crate::bridge::use_bridge;
use crate::i18n::{Msg, use_i18n};

const KEYS: [&str; 12] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "0", "⌫"];

fn problem_text(p: DialProblem) -> Msg {
    match p {
        DialProblem::Empty => Msg::DialEmpty,
        DialProblem::Characters => Msg::DialCharacters,
        DialProblem::TooShort => Msg::DialTooShort,
        DialProblem::TooLong => Msg::DialTooLong,
    }
}

#[component]
pub fn DialPad() -> impl IntoView {
    let i18n = use_i18n();
    let bridge = use_bridge();
    let open = RwSignal::new(false);
    let number = RwSignal::new(String::new());
    let campaign = RwSignal::new(String::new());
    // Shown once the agent tried to call, then live as they correct it.
    let tried = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let campaigns = move || {
        bridge
            .campaigns
            .with(|cs| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
    };
    // The only campaign is chosen for the agent; a stale choice is dropped.
    Effect::new(move |_| {
        let names = campaigns();
        if !names.contains(&campaign.get_untracked()) {
            campaign.set(if names.len() == 1 {
                names[0].clone()
            } else {
                String::new()
            });
        }
    });
    let problem = move || {
        if !tried.get() {
            return None;
        }
        number
            .with(|n| dial_problem(n))
            .map(problem_text)
            .or_else(|| {
                campaign
                    .with(String::is_empty)
                    .then_some(Msg::DialNoCampaign)
            })
    };
    let busy = move || bridge.calls.with(|c| c.active.is_some());
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() {
            request_animation_frame(move || {
                if let Some(i) = input.get() {
                    let _ = i.focus();
                }
            });
        }
    };
    let press = move |key: &'static str| {
        number.update(|n| {
            if key == "⌫" {
                n.pop();
            } else {
                n.push_str(key);
            }
        });
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if problem().is_some() {
            return;
        }
        bridge.dial(CallRequest {
            destination: number.get_untracked().trim().to_string(),
            campaign: campaign.get_untracked(),
            did: String::new(),
            guid: String::new(),
        });
        open.set(false);
        tried.set(false);
        number.set(String::new());
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
            if let Some(b) = document().get_element_by_id("dial-open") {
                let _ = wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlElement>(b).focus();
            }
        }
    };
    view! {
        <div class="dialpad-wrap">
            <button class="btn btn-ghost" id="dial-open" aria-haspopup="dialog"
                aria-expanded=move || open.get().to_string()
                disabled=busy
                title=move || i18n.t(Msg::DialTitle)
                on:click=toggle>
                <span aria-hidden="true">"☎ "</span>{move || i18n.t(Msg::Dial)}
            </button>
            <Show when=move || open.get()>
                <form class="dialpad" id="dial-pad" role="dialog" aria-label=move || i18n.t(Msg::DialTitle)
                    on:submit=submit on:keydown=on_key novalidate=true>
                    <label class="field">
                        <span>{move || i18n.t(Msg::Phone)}</span>
                        <input class="input dial-number" id="dial-number" type="tel" inputmode="tel"
                            autocomplete="off" maxlength="40" node_ref=input
                            aria-invalid=move || problem().is_some().to_string()
                            aria-describedby="dial-error"
                            prop:value=number on:input=move |ev| number.set(event_target_value(&ev)) />
                    </label>
                    <div class="dial-keys" role="group" aria-label=move || i18n.t(Msg::DialKeys)>
                        {KEYS.iter().map(|k| {
                            let key: &'static str = k;
                            view! {
                                <button type="button" class="btn dial-key" data-key=key
                                    aria-label=move || if key == "⌫" { i18n.t(Msg::DialErase).to_string() } else { key.to_string() }
                                    on:click=move |_| press(key)>{key}</button>
                            }
                        }).collect_view()}
                    </div>
                    <label class="field">
                        <span>{move || i18n.t(Msg::CallCampaign)}</span>
                        <select class="input" id="dial-campaign" prop:value=campaign
                            on:change=move |ev| campaign.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {move || campaigns().into_iter().map(|c| view! {
                                <option value=c.clone()>{c.clone()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <p class="field-error" id="dial-error" role="alert">
                        {move || problem().map(|m| i18n.t(m))}
                    </p>
                    <button class="btn btn-primary" type="submit" id="dial-call">
                        {move || i18n.t(Msg::CallNumber)}
                    </button>
                </form>
            </Show>
        </div>
    }
}
