//! Under the top bar: the open contact tabs, bridge notices, the active call with its
//! hang-up button, and the wrap-up form (cascading L1/L2/L3, d1, d2, comment) for a call
//! that owes a disposition. Every button goes through [`Bridge::dispatch`], the same path
//! as the CRM's messages.

use agentdesk_protocol::bridge::{CallDisposition, UcAction};
use agentdesk_protocol::{CallInfo, DispositionNode};
use leptos::prelude::*;

use crate::bridge::{From, use_bridge};
use crate::i18n::{Msg, use_i18n};
use crate::nav::NavLink;

#[component]
pub fn CallBar() -> impl IntoView {
    let bridge = use_bridge();
    let i18n = use_i18n();
    view! {
        <div class="callbar">
            <nav class="contact-tabs" id="contact-tabs" aria-label=move || i18n.t(Msg::OpenContacts)>
                <For each=move || bridge.tabs.get() key=|t| (t.id, t.name.clone()) let:tab>
                    {
                        let id = tab.id;
                        view! {
                            <span class="contact-tab" class:current=move || bridge.current_contact.get() == Some(id)
                                data-contact-id=id>
                                <NavLink href=format!("/contacts/{id}")>{tab.name.clone()}</NavLink>
                                <button class="tab-close" aria-label=move || i18n.t(Msg::CloseTab)
                                    title=move || i18n.t(Msg::CloseTab)
                                    on:click=move |_| {
                                        if bridge.current_contact.get_untracked() == Some(id) {
                                            bridge.dispatch(UcAction::CloseTab, From::Agent, None);
                                        } else {
                                            bridge.close_tab(id);
                                        }
                                    }>"×"</button>
                            </span>
                        }
                    }
                </For>
            </nav>
            {move || bridge.notice.get().map(|n| view! {
                <div class="bridge-notice" class:bad=!n.ok id="bridge-notice" role=if n.ok { "status" } else { "alert" }>
                    <span>{n.text}</span>
                    <button class="link-btn" on:click=move |_| bridge.notice.set(None)
                        aria-label=move || i18n.t(Msg::Dismiss)>"×"</button>
                </div>
            })}
            {move || bridge.calls.get().active.map(|c| view! { <ActiveCall call=c /> })}
            {move || {
                let calls = bridge.calls.get();
                calls.pending_disposition.filter(|_| calls.active.is_none()).map(|c| view! { <WrapUp call=c /> })
            }}
        </div>
    }
}

#[component]
fn ActiveCall(call: CallInfo) -> impl IntoView {
    let bridge = use_bridge();
    let i18n = use_i18n();
    let started = call.started_at;
    let now = crate::components::time::use_clock();
    let elapsed = move || crate::components::time::since(started, now.get());
    view! {
        <div class="active-call" id="active-call" role="status">
            <span class="call-dot" aria-hidden="true"></span>
            <strong>{move || i18n.t(Msg::InCall)}</strong>
            <span>{call.destination.clone()}</span>
            <span class="muted">{call.campaign.clone()}</span>
            <span class="call-timer" aria-label=move || i18n.t(Msg::Duration)>{elapsed}</span>
            <button class="btn btn-danger" id="hang-up"
                on:click=move |_| bridge.dispatch(UcAction::HangUp, From::Agent, None)>
                {move || i18n.t(Msg::HangUp)}
            </button>
        </div>
    }
}

fn children_of(nodes: &[DispositionNode], label: &str) -> Vec<DispositionNode> {
    nodes
        .iter()
        .find(|n| n.label == label)
        .map(|n| n.children.clone())
        .unwrap_or_default()
}

#[component]
fn WrapUp(call: CallInfo) -> impl IntoView {
    let bridge = use_bridge();
    let i18n = use_i18n();
    let campaign = call.campaign.clone();
    let found = Memo::new(move |_| {
        bridge
            .campaigns
            .with(|cs| cs.iter().find(|c| c.name == campaign).cloned())
    });
    let tree = Memo::new(move |_| {
        found
            .with(|c| c.as_ref().map(|c| c.dispositions.clone()))
            .unwrap_or_default()
    });
    // The campaign names uContact's free fields (e.g. "Order number"); else d1 / d2.
    let field_label = move |which: u8| {
        found.with(|c| {
            let named = c.as_ref().map(|c| match which {
                1 => c.options.d1_label.clone(),
                _ => c.options.d2_label.clone(),
            });
            named
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| format!("d{which}"))
        })
    };
    let (l1, l2, l3) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let (d1, d2, comment) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    // A disposition marked "schedule callback" asks when (the agent's local time).
    let (callback_at, callback_note) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let callback_error = RwSignal::new(None::<Msg>);
    let session = crate::session::use_session();
    let zone = move || {
        session
            .me
            .with_untracked(|m| m.as_ref().map(|m| m.time_zone.clone()).unwrap_or_default())
    };
    let wants_callback = move || {
        found.with(|c| {
            c.as_ref()
                .is_some_and(|c| c.wants_callback(&l1.get(), &l2.get(), &l3.get()))
        })
    };
    let level2 = move || tree.with(|t| children_of(t, &l1.get()));
    let level3 = move || children_of(&level2(), &l2.get());
    let options = |nodes: Vec<DispositionNode>| {
        nodes
            .into_iter()
            .map(|n| view! { <option value=n.label.clone()>{n.label.clone()}</option> })
            .collect_view()
    };
    let guid = call.guid.clone();
    let callerid = call.destination.clone();
    let campaign_name = call.campaign.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let callback = if wants_callback() {
            let at = callback_at.get_untracked();
            // In the agent's zone, on the app's clock, as the server will read it.
            // Unknown here (an old browser): the server decides alone.
            let now = crate::components::time::local_now(&zone());
            if at.trim().is_empty()
                || now.is_some_and(|now| !crate::components::time::is_later_local(&at, &now))
            {
                callback_error.set(Some(Msg::CallbackInPast));
                return;
            }
            Some(agentdesk_protocol::CallbackRequest {
                at,
                note: callback_note.get_untracked(),
            })
        } else {
            None
        };
        callback_error.set(None);
        bridge.next_callback.set_value(callback);
        let disposition = CallDisposition {
            campaign: campaign_name.clone(),
            callerid: callerid.clone(),
            guid: guid.clone(),
            l1: l1.get_untracked(),
            l2: l2.get_untracked(),
            l3: l3.get_untracked(),
            d1: d1.get_untracked(),
            d2: d2.get_untracked(),
            comment: comment.get_untracked(),
        };
        bridge.dispatch(UcAction::DispositionCall { disposition }, From::Agent, None);
    };
    view! {
        <form class="wrap-up" id="wrap-up" on:submit=submit>
            <strong>{move || i18n.t(Msg::WrapUp)}</strong>
            <span class="muted">{call.destination.clone()} " · " {call.campaign.clone()}</span>
            {call.ended_at.map(|ended| {
                let now = crate::components::time::use_clock();
                view! {
                    <span class="call-timer" id="wrap-up-timer" role="timer"
                        aria-label=move || i18n.t(Msg::WrapUpTime)>
                        {move || crate::components::time::since(ended, now.get())}
                    </span>
                }
            })}
            <label>{move || i18n.t(Msg::Level1)}
                <select id="wrap-l1" required on:change=move |ev| { l1.set(event_target_value(&ev)); l2.set(String::new()); l3.set(String::new()); }>
                    <option value="">"—"</option>
                    {move || options(tree.get())}
                </select>
            </label>
            <Show when=move || !level2().is_empty()>
                <label>{move || i18n.t(Msg::Level2)}
                    <select id="wrap-l2" required on:change=move |ev| { l2.set(event_target_value(&ev)); l3.set(String::new()); }>
                        <option value="">"—"</option>
                        {move || options(level2())}
                    </select>
                </label>
            </Show>
            <Show when=move || !level3().is_empty()>
                <label>{move || i18n.t(Msg::Level3)}
                    <select id="wrap-l3" required on:change=move |ev| l3.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || options(level3())}
                    </select>
                </label>
            </Show>
            <label><span id="wrap-d1-label">{move || field_label(1)}</span><input class="input" id="wrap-d1" maxlength="200" on:input=move |ev| d1.set(event_target_value(&ev)) /></label>
            <label><span id="wrap-d2-label">{move || field_label(2)}</span><input class="input" id="wrap-d2" maxlength="200" on:input=move |ev| d2.set(event_target_value(&ev)) /></label>
            <Show when=wants_callback>
                <label>{move || i18n.t(Msg::CallbackAt)}
                    <input class="input" type="datetime-local" id="wrap-callback-at" required
                        prop:value=callback_at
                        on:input=move |ev| { callback_at.set(event_target_value(&ev)); callback_error.set(None); } />
                </label>
                <label>{move || i18n.t(Msg::CallbackNote)}
                    <input class="input" id="wrap-callback-note" maxlength="500"
                        on:input=move |ev| callback_note.set(event_target_value(&ev)) />
                </label>
                {move || callback_error.get().map(|m| view! { <p class="field-error" role="alert" id="wrap-callback-error">{move || i18n.t(m)}</p> })}
            </Show>
            <label class="grow">{move || i18n.t(Msg::Comment)}
                <input class="input" id="wrap-comment" maxlength="2000" on:input=move |ev| comment.set(event_target_value(&ev)) />
            </label>
            <button class="btn btn-primary" type="submit" id="wrap-save">{move || i18n.t(Msg::SaveDisposition)}</button>
        </form>
    }
}
