//! `/login`: username and password; back to where the user was going afterwards.

use agentdesk_protocol::apps::is_back_office_path;
use agentdesk_protocol::{ErrorCode, Locale, Role};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{self, ApiError};
use crate::components::error::describe;
use crate::i18n::{Msg, use_i18n};
use crate::session::{self, use_session};

/// Only paths of this app are followed after login (no open redirect).
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| own_path(n))
        .unwrap_or_else(|| "/contacts".into())
}

/// A path the URL parser can only read as a path on our own origin. Browsers drop tabs
/// and new lines anywhere in a URL and read `\` as `/`, so `/\evil`, `/\t/evil` and
/// `/%09/evil`-style tricks become `//evil`: any control character, white space or
/// backslash is refused outright, and in the browser the URL API must agree that the
/// result is same-origin.
pub(crate) fn own_path(n: &str) -> bool {
    n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/login")
        && !n
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && same_origin(n)
}

#[cfg(target_arch = "wasm32")]
fn same_origin(path: &str) -> bool {
    let Ok(origin) = web_sys::window().expect("window").location().origin() else {
        return false;
    };
    web_sys::Url::new_with_base(path, &origin).is_ok_and(|u| u.origin() == origin)
}

/// Outside the browser (unit tests) the string rule above is the whole check.
#[cfg(not(target_arch = "wasm32"))]
fn same_origin(_: &str) -> bool {
    true
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let query = use_query_map();
    let go = crate::nav::use_go();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let password_input = NodeRef::<leptos::html::Input>::new();

    let submit = Action::new_local(move |(u, p): &(String, String)| {
        let (u, p) = (u.clone(), p.clone());
        async move { api::login(u, p).await }
    });
    let pending = submit.pending();

    // Tracks the login's answer only: what it does (signing in, navigating) reads other
    // signals, and a re-run would sign in a second time with the stale answer.
    Effect::new(move |_| {
        if let Some(result) = submit.value().get() {
            untrack(|| match result {
                Ok(res) => {
                    api::store_token(Some(&res.token));
                    // Read before signing in: that unmounts this page and its signals.
                    let mut next = safe_next(query.with_untracked(|q| q.get("next")));
                    let mut me = res.me;
                    // An agent has no back office: a link to it (left by the last user of
                    // this browser, say) would load a second bundle to say "forbidden".
                    if me.role == Role::Agent && is_back_office_path(&next) {
                        next = "/contacts".into();
                    }
                    // An admin's temporary password: the user chooses their own first.
                    if me.must_change_password {
                        next = session::password_page(&next);
                    }
                    let save = session
                        .picked_locale
                        .get_untracked()
                        .filter(|l| *l != me.locale);
                    session.picked_locale.set(None);
                    if let Some(locale) = save {
                        me.locale = locale;
                    }
                    if !crate::nav::is_ours(&next) {
                        // The other app: a full page load, which would cancel the
                        // language's saving if it were still under way.
                        let go = go.clone();
                        leptos::task::spawn_local(async move {
                            if let Some(locale) = save {
                                session::store_locale(locale).await;
                            }
                            go(&next, true);
                        });
                        return;
                    }
                    session::signed_in(i18n, session, me);
                    if let Some(locale) = save {
                        session::save_locale(session, locale);
                    }
                    go(&next, true);
                }
                Err(e) => {
                    error.set(Some(e));
                    password.set(String::new());
                    // Ready for the next try without reaching for the mouse.
                    if let Some(input) = password_input.get_untracked() {
                        let _ = input.focus();
                    }
                }
            })
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        submit.dispatch((
            username.get_untracked().trim().to_string(),
            password.get_untracked(),
        ));
    };

    view! {
        <main class="login-page">
            <form class="login-card" on:submit=on_submit aria-labelledby="login-title" novalidate>
                <div class="login-brand">
                    <span class="brand-mark" aria-hidden="true">"a"</span>
                    <div>
                        <h1 id="login-title">{move || i18n.t(Msg::SignInTitle)}</h1>
                        <p class="muted">{move || i18n.t(Msg::Tagline)}</p>
                    </div>
                </div>
                <label for="username">{move || i18n.t(Msg::Username)}</label>
                <input id="username" name="username" type="text" autocomplete="username" required autofocus
                    prop:value=move || username.get()
                    on:input=move |ev| username.set(event_target_value(&ev)) />
                <label for="password">{move || i18n.t(Msg::Password)}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    node_ref=password_input
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev)) />
                <div class="login-error" role="alert" aria-live="assertive">
                    {move || error.get().map(|e| {
                        // Rendered from the error itself, so it follows a language switch.
                        let text = if e.code() == Some(ErrorCode::Unauthorized) {
                            i18n.t(Msg::WrongCredentials).to_string()
                        } else {
                            describe(&e, |m| i18n.t(m))
                        };
                        view! { <p class="notice notice-error">{text}</p> }
                    })}
                </div>
                <button type="submit" class="btn btn-primary" prop:disabled=move || pending.get()>
                    {move || if pending.get() { i18n.t(Msg::SigningIn) } else { i18n.t(Msg::SignIn) }}
                </button>
                <div class="login-footer">
                    <label for="login-locale" class="muted">{move || i18n.t(Msg::Language)}</label>
                    <select id="login-locale"
                        prop:value=move || i18n.locale.get().as_str()
                        on:change=move |ev| {
                            if let Ok(l) = event_target_value(&ev).parse::<Locale>() {
                                session.picked_locale.set(Some(l));
                                session::set_locale(i18n, session, l);
                            }
                        }>
                        <option value="es">"Español"</option>
                        <option value="en">"English"</option>
                    </select>
                </div>
            </form>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/contacts/7".into())), "/contacts/7");
        assert_eq!(safe_next(Some("//evil.example".into())), "/contacts");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/contacts");
        assert_eq!(safe_next(None), "/contacts");
        // Forms browsers read as `//evil.example` (another host).
        for bypass in [
            "/\\evil.example",
            "/\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "\\/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/ /evil.example",
            "/\u{0}/evil.example",
            "javascript:alert(1)",
            "/login?next=//evil.example",
        ] {
            assert_eq!(safe_next(Some(bypass.into())), "/contacts", "{bypass:?}");
        }
        assert_eq!(
            safe_next(Some("/contacts/7?tab=2#x".into())),
            "/contacts/7?tab=2#x"
        );
    }
}
