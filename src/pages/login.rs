//! `/login`: username and password; back to where the user was going afterwards.

use agentdesk_protocol::{ErrorCode, Locale};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{self, ApiError};
use crate::components::error::describe;
use crate::i18n::{Msg, use_i18n};
use crate::session::{self, use_session};

/// Only same-site paths are followed after login (no open redirect).
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/login"))
        .unwrap_or_else(|| "/contacts".into())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);

    let submit = Action::new_local(move |(u, p): &(String, String)| {
        let (u, p) = (u.clone(), p.clone());
        async move { api::login(u, p).await }
    });
    let pending = submit.pending();

    Effect::new(move |_| {
        if let Some(result) = submit.value().get() {
            match result {
                Ok(res) => {
                    api::store_token(Some(&res.token));
                    session::signed_in(i18n, session, res.me);
                    let next = safe_next(query.with_untracked(|q| q.get("next")));
                    navigate(
                        &next,
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(e) => {
                    error.set(Some(e));
                    password.set(String::new());
                }
            }
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
    }
}
