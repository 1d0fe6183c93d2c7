//! What both browser apps (the desktop and the back office) are made of around their
//! routes: the contexts every page reads (language, session, live stream, CRM bridge,
//! clock, own status), the signed-in shell (top bar, call bar, page) and the not-found
//! page.

use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use crate::api::{self, ApiError};
use crate::bridge::{Bridge, use_bridge};
use crate::components::callbar::CallBar;
use crate::components::topbar::TopBar;
use crate::i18n::{I18n, Msg, use_i18n};
use crate::live::Live;
use crate::nav::{Leave, NavLink, use_go};
use crate::session::{self, Session, use_session};

/// Provide the contexts and start what runs while signed in; call at the top of an
/// app's root component, before its router.
pub fn provide_desktop() {
    let i18n = I18n {
        locale: RwSignal::new(session::initial_locale()),
    };
    provide_context(i18n);
    let session = Session {
        me: RwSignal::new(None),
        picked_locale: RwSignal::new(None),
    };
    provide_context(session);
    let live = Live::new();
    provide_context(live);
    let bridge = Bridge::new(i18n, session);
    provide_context(bridge);
    provide_context(crate::components::time::Clock::start());
    let my_status = crate::status::MyStatus::new();
    provide_context(my_status);
    my_status.install();
    // One real-time stream while signed in.
    Effect::new(move |was_signed_in: Option<bool>| {
        let signed_in = session.me.with(Option::is_some);
        match (was_signed_in.unwrap_or(false), signed_in) {
            (false, true) => {
                live.start();
                bridge.start();
            }
            (true, false) => {
                live.stop();
                bridge.forget_desk();
            }
            _ => {}
        }
        signed_in
    });
    // Keep <html lang> true to the UI language, for screen readers.
    Effect::new(move |_| {
        let lang = i18n.locale.get().as_str();
        if let Some(el) = document().document_element() {
            let _ = el.set_attribute("lang", lang);
        }
    });
}

/// Everything behind sign-in. Without a token it sends the user to the login page
/// (remembering where they were going); with one it loads `/me` once.
#[component]
pub fn Shell() -> impl IntoView {
    let session = use_session();
    let i18n = use_i18n();
    let location = use_location();
    let next = move || {
        // The raw address: `%2B` in a launch link must survive the round trip.
        let _ = location.pathname.get_untracked();
        let path = window().location().pathname().unwrap_or_default();
        let search = window()
            .location()
            .search()
            .unwrap_or_default()
            .trim_start_matches('?')
            .to_string();
        let target = if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        };
        format!("/login?next={}", api::encode(&target))
    };
    // The bridge navigates (CLOSE_TAB) like a link would.
    let go = use_go();
    use_bridge().set_navigate(move |path| go(path, false));
    let has_token = api::stored_token().is_some();
    let load_error = RwSignal::new(None::<ApiError>);
    if has_token && session.me.get_untracked().is_none() {
        leptos::task::spawn_local(async move {
            match api::me().await {
                Ok(me) if session::leave_if_password_owed(&me) => {}
                Ok(me) => session::signed_in(i18n, session, me),
                Err(e) => {
                    if e.code() == Some(agentdesk_protocol::ErrorCode::Unauthorized) {
                        session::signed_out(session);
                    }
                    load_error.set(Some(e));
                }
            }
        });
    }
    // Rebuild the shell only when signing in or out, never when the profile merely
    // changes (a language or time-zone change updates `me`): rebuilding would dispose
    // the whole page under the handlers and requests still running in it.
    let state = Memo::new(move |_| {
        (
            session.me.with(Option::is_some),
            load_error.with(Option::is_some),
        )
    });
    move || {
        if api::stored_token().is_none() {
            return view! { <Leave path=next() /> }.into_any();
        }
        match state.get() {
            (true, _) => view! {
                <a class="skip-link" href="#main">{move || i18n.t(Msg::SkipToContent)}</a>
                <TopBar />
                <CallBar />
                <main id="main" class="main" tabindex="-1">
                    <Outlet />
                </main>
            }
            .into_any(),
            (false, true) => view! {
                <div class="center-state" role="alert">
                    <p>{move || i18n.t(Msg::NetworkError)}</p>
                    <button class="btn" on:click=|_| { let _ = window().location().reload(); }>
                        {move || i18n.t(Msg::Retry)}
                    </button>
                </div>
            }
            .into_any(),
            (false, false) => view! {
                <div class="center-state" aria-busy="true">{move || i18n.t(Msg::Loading)}</div>
            }
            .into_any(),
        }
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="center-state">
            <p>{move || i18n.t(Msg::PageNotFound)}</p>
            <NavLink href="/contacts" class="btn">{move || i18n.t(Msg::BackToContacts)}</NavLink>
        </div>
    }
}
