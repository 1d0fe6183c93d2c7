//! The top bar, always visible: product, navigation, the status picker's slot, language
//! and the user with sign-out.

use agentdesk_protocol::Locale;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::dialpad::DialPad;
use crate::components::notifications::NotificationCentre;
use crate::components::reminders::Reminders;
use crate::components::status_picker::StatusPicker;
use crate::i18n::{Msg, use_i18n};
use crate::nav::NavLink;
use crate::session::{self, use_session};

#[component]
pub fn TopBar() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let location = leptos_router::hooks::use_location();
    let name = move || {
        session.me.with(|m| {
            m.as_ref()
                .map(|m| m.display_name.clone())
                .unwrap_or_default()
        })
    };
    let teams = move || {
        session.me.with(|m| {
            m.as_ref()
                .map(|m| {
                    m.teams
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        })
    };
    let my_status = crate::status::use_my_status();
    let go = StoredValue::new_local(crate::nav::use_go());
    let logout = move |_| {
        spawn_local(async move {
            // Sign out locally even when the server cannot be reached.
            let _ = api::logout().await;
            my_status.clear();
            api::store_token(None);
            if !crate::nav::is_ours("/login") {
                // The back office has no sign-in page: a full load of the desktop's, with
                // nothing redrawn here meanwhile (a redraw would leave for
                // `/login?next=` this page, and the next person would land on it).
                let _ = window().location().replace("/login");
                return;
            }
            // Leave the signed-in pages through the router first, and only then forget
            // the user: dropping `me` while this page is mounted would tear it down from
            // under its own running handlers (a WebAssembly panic).
            let _ = go.try_with_value(|go| go("/login", false));
            gloo_timers::future::TimeoutFuture::new(0).await;
            session::signed_out(session);
        });
    };
    view! {
        <header class="topbar">
            <NavLink href="/contacts" class="brand">
                <span class="brand-mark" aria-hidden="true">"a"</span>
                <span class="brand-name">{move || i18n.t(Msg::AppName)}</span>
            </NavLink>
            <nav class="topnav" aria-label=move || i18n.t(Msg::AppName)>
                <NavLink href="/contacts" id="nav-contacts">{move || i18n.t(Msg::Contacts)}</NavLink>
                <Show when=move || session.me.with(|m| m.as_ref().is_some_and(|m| m.role != agentdesk_protocol::Role::Agent))>
                    <NavLink href="/board" id="nav-board">{move || i18n.t(Msg::Board)}</NavLink>
                    <NavLink href="/reports" id="nav-reports">{move || i18n.t(Msg::Reports)}</NavLink>
                </Show>
                <Show when=move || session.me.with(|m| m.as_ref().is_some_and(|m| m.role == agentdesk_protocol::Role::Admin))>
                    <NavLink href="/admin/crm" id="nav-admin">{move || i18n.t(Msg::Admin)}</NavLink>
                    <NavLink href="/admin/followups" id="nav-followups">{move || i18n.t(Msg::FollowUps)}</NavLink>
                    <NavLink href="/admin/users" id="nav-users">{move || i18n.t(Msg::Users)}</NavLink>
                </Show>
            </nav>
            <div class="topbar-spacer"></div>
            <NotificationCentre />
            <Reminders />
            <DialPad />
            <StatusPicker />
            <label class="locale-picker">
                <span class="visually-hidden">{move || i18n.t(Msg::Language)}</span>
                <select
                    id="locale-select"
                    on:change=move |ev| {
                        if let Ok(l) = event_target_value(&ev).parse::<Locale>() {
                            session::set_locale(i18n, session, l);
                        }
                    }
                    prop:value=move || i18n.locale.get().as_str()
                >
                    <option value="es">"Español"</option>
                    <option value="en">"English"</option>
                </select>
            </label>
            <div class="user-box" aria-label=move || i18n.t(Msg::UserMenu)>
                // The way to one's password (the back office's page; back here after).
                <a class="user-name" id="user-name" rel="external"
                    title=move || i18n.t(Msg::ChangeMyPassword)
                    href=move || session::password_page(&location.pathname.get())>{name}</a>
                <span class="user-teams">{teams}</span>
            </div>
            <button id="logout" class="btn btn-ghost" on:click=logout>{move || i18n.t(Msg::SignOut)}</button>
        </header>
    }
}
