//! `/launch?phone=&agent=&campaign=&guid=…`: uContact's screen pop. The server finds (or
//! creates) the contact by phone — checking the link's signature when launches must be
//! signed — and builds the CRM URL; the desktop then opens that contact in interaction
//! context, on its CRM tab.

use agentdesk_protocol::{LaunchRequest, LaunchResult};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::bridge::{Interaction, use_bridge};
use crate::components::error::ErrorNotice;
use crate::i18n::{Msg, use_i18n};

#[component]
pub fn LaunchPage() -> impl IntoView {
    let i18n = use_i18n();
    let bridge = use_bridge();
    let navigate = use_navigate();
    let params = launch_params(&window().location().search().unwrap_or_default());
    let result = LocalResource::new(move || {
        let params = params.clone();
        async move { api::post::<_, LaunchResult>("/launch", &LaunchRequest { params }).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(r)) = result.get() {
            bridge.interaction.set(Some(Interaction {
                contact_id: r.contact_id,
                crm_url: r.crm_url.clone(),
                campaign: r.campaign.clone(),
                guid: r.guid.clone(),
                ..Default::default()
            }));
            navigate(
                &format!("/contacts/{}?tab=crm", r.contact_id),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    view! {
        <section class="page">
            {move || match result.get() {
                Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
                _ => view! { <p class="muted" aria-busy="true">{i18n.t(Msg::Launching)}</p> }.into_any(),
            }}
        </section>
    }
}

/// The launch parameters, percent-decoded but with `+` kept as `+`: uContact passes
/// phone numbers like `?phone=+59899…` unencoded, and form decoding would turn that `+`
/// into a space.
fn launch_params(search: &str) -> std::collections::BTreeMap<String, String> {
    let decode = |s: &str| {
        js_sys::decode_uri_component(s)
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| s.to_string())
    };
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}
