//! Who is signed in, and the UI language — the app-wide state kept in context.

use agentdesk_protocol::{Locale, Me, UpdateMe};
use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::i18n::I18n;

const LOCALE_KEY: &str = "agentdesk.locale";

/// The signed-in user, once `/me` (or the login) has answered.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
    /// A language picked on the login page: the user's choice, saved to their profile
    /// at sign-in. Kept here, not in the page, which is rebuilt when the language changes.
    pub picked_locale: RwSignal<Option<Locale>>,
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The language to start in: the one remembered on this device, else the browser's.
pub fn initial_locale() -> Locale {
    if let Ok(saved) = LocalStorage::get::<String>(LOCALE_KEY)
        && let Ok(l) = saved.parse()
    {
        return l;
    }
    let browser = web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_default();
    if browser.starts_with("en") {
        Locale::En
    } else {
        Locale::Es
    }
}

/// Switch language: here, on this device, and in the user's profile when signed in.
pub fn set_locale(i18n: I18n, session: Session, locale: Locale) {
    i18n.locale.set(locale);
    let _ = LocalStorage::set(LOCALE_KEY, locale.as_str());
    if session
        .me
        .get_untracked()
        .is_some_and(|m| m.locale != locale)
    {
        save_locale(session, locale);
    }
}

/// Save the language to the signed-in user's profile.
pub fn save_locale(session: Session, locale: Locale) {
    spawn_local(async move {
        if let Some(me) = store_locale(locale).await {
            session.me.set(Some(me));
        }
    });
}

/// Save the language to the signed-in user's profile and wait for it: the profile as
/// saved, or `None` (logged) when it could not be.
pub async fn store_locale(locale: Locale) -> Option<Me> {
    let update = UpdateMe {
        locale: Some(locale),
        ..UpdateMe::default()
    };
    match api::update_me(update).await {
        Ok(me) => Some(me),
        Err(e) => {
            leptos::logging::warn!("could not save the language: {e:?}");
            None
        }
    }
}

/// Adopt the user's saved language after sign-in.
pub fn signed_in(i18n: I18n, session: Session, me: Me) {
    i18n.locale.set(me.locale);
    let _ = LocalStorage::set(LOCALE_KEY, me.locale.as_str());
    session.me.set(Some(me));
}

/// Where a user owing a password change goes (the back office's page, a full load),
/// to come back to `next` afterwards.
pub fn password_page(next: &str) -> String {
    format!("/account/password?next={}", api::encode(next))
}

/// When an admin's temporary password is still `me`'s, leave for the page that replaces
/// it (the server answers nothing else meanwhile) and say so: the caller does not sign
/// in.
pub fn leave_if_password_owed(me: &Me) -> bool {
    if !me.must_change_password {
        return false;
    }
    let location = leptos::prelude::window().location();
    let here = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    let _ = location.set_href(&password_page(&here));
    true
}

/// The session ended on the server's side: the token is dropped and the page goes to
/// the sign-in page (a full load, which leaves nothing of the session running), to come
/// back here afterwards.
pub fn expired() {
    // Signing out ends the session under the page's own requests (the real-time stream
    // asking for a ticket again): the sign-out leads to the sign-in page itself, without
    // a way back here.
    if api::signing_out() {
        return;
    }
    api::store_token(None);
    let location = leptos::prelude::window().location();
    let here = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    let _ = location.set_href(&format!("/login?next={}", api::encode(&here)));
}

pub fn signed_out(session: Session) {
    api::store_token(None);
    session.me.set(None);
}
