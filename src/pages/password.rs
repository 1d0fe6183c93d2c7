//! Passwords in the back office: `/account/password`, where a user changes their own —
//! and must, before anything else, after an admin gave them a temporary one (the desktop
//! sends them here) — and the admin's reset form on the users page. The rules said as the
//! user types are the protocol's (`password_problem`); the server also refuses common
//! passwords, which only it knows.

use agentdesk_protocol::{
    ChangePassword, ErrorCode, PasswordProblem, ResetPassword, UserSummary, password_problem,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{self, ApiError};
use crate::components::error::{describe, describe_for_admin};
use crate::i18n::{Msg, OfficeMsg, use_i18n};

fn problem_text(p: PasswordProblem) -> OfficeMsg {
    match p {
        PasswordProblem::TooShort => OfficeMsg::PwTooShort,
        PasswordProblem::TooLong => OfficeMsg::PwTooLong,
        PasswordProblem::Repetitive => OfficeMsg::PwRepetitive,
        PasswordProblem::HasUsername => OfficeMsg::PwHasUsername,
        PasswordProblem::Common => OfficeMsg::PwCommon,
    }
}

/// The field a refusal names, when it is a password field's.
fn refused_field(e: &ApiError) -> Option<&str> {
    match e {
        ApiError::Api { body, .. } if body.error.code == ErrorCode::Validation => {
            body.error.field.as_deref()
        }
        _ => None,
    }
}

/// The rules, and what the password typed so far breaks (nothing said while empty).
#[component]
fn PasswordRules(
    id: &'static str,
    password: RwSignal<String>,
    #[prop(into)] username: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let problem = move || {
        password.with(|p| {
            (!p.is_empty())
                .then(|| password_problem(p, &username.get()))
                .flatten()
        })
    };
    view! {
        <p class="muted small" id=id aria-live="polite">
            {move || match problem() {
                Some(p) => i18n.t(problem_text(p)),
                None => i18n.t(OfficeMsg::PwRules),
            }}
        </p>
    }
}

/// Only a path of ours is followed after the change (no open redirect).
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| crate::pages::login::own_path(n))
        .unwrap_or_else(|| "/contacts".into())
}

/// `/account/password`: the user's own password, outside the shell (which would start
/// the live stream the server refuses until a temporary password is replaced).
#[component]
pub fn PasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    if api::stored_token().is_none() {
        let here = crate::session::password_page("/contacts");
        return view! { <crate::nav::Leave path=format!("/login?next={}", api::encode(&here)) /> }
            .into_any();
    }
    let query = use_query_map();
    let next = safe_next(query.with_untracked(|q| q.get("next")));
    let me = LocalResource::new(api::me);
    Effect::new(move |_| match me.get() {
        Some(Ok(m)) => i18n.locale.set(m.locale),
        Some(Err(e)) if e.code() == Some(ErrorCode::Unauthorized) => crate::session::expired(),
        _ => {}
    });
    let username = Signal::derive(move || {
        me.get()
            .and_then(Result::ok)
            .map(|m| m.username)
            .unwrap_or_default()
    });
    let forced = move || {
        me.get()
            .and_then(Result::ok)
            .is_some_and(|m| m.must_change_password)
    };
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<(&'static str, String)>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let scope = crate::task::Scope::here();
    let back = next.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (cur, pw) = (current.get_untracked(), new.get_untracked());
        let local = if pw != confirm.get_untracked() {
            Some(OfficeMsg::PwMismatch)
        } else if pw == cur {
            Some(OfficeMsg::PwSame)
        } else {
            password_problem(&pw, &username.get_untracked()).map(problem_text)
        };
        if let Some(m) = local {
            error.set(Some(("new", i18n.t(m).to_string())));
            return;
        }
        error.set(None);
        busy.set(true);
        let next = next.clone();
        scope.spawn(async move {
            let body = ChangePassword {
                current: cur,
                new: pw,
            };
            match api::post::<_, ()>("/me/password", &body).await {
                Ok(()) => {
                    done.set(true);
                    let _ = window().location().set_href(&next);
                }
                Err(e) => {
                    busy.set(false);
                    let said = match refused_field(&e) {
                        Some("current") => ("current", i18n.t(OfficeMsg::PwWrongCurrent).into()),
                        // The browser's rules passed (knowing the username): the server's
                        // list refused it. Before the profile is in, say what it said.
                        Some("new") if !username.get_untracked().is_empty() => {
                            ("new", i18n.t(OfficeMsg::PwCommon).into())
                        }
                        Some("new") => ("new", describe_for_admin(&e, |m| i18n.t(m))),
                        _ => ("form", describe(&e, |m| i18n.t(m))),
                    };
                    error.set(Some(said));
                }
            }
        });
    };
    let error_of = move |field: &'static str| {
        move || {
            error.get().filter(|(f, _)| *f == field).map(|(_, m)| {
                view! { <p class="field-error" role="alert" id=format!("password-error-{field}")>{m}</p> }
            })
        }
    };
    view! {
        <main class="login-page">
            <form class="login-card password-card" id="password-form" on:submit=submit novalidate
                aria-labelledby="password-title">
                <h1 id="password-title">{move || i18n.t(OfficeMsg::PwTitle)}</h1>
                <Show when=forced>
                    <p class="notice-info" id="password-forced" role="status">{move || i18n.t(OfficeMsg::PwForced)}</p>
                </Show>
                <label for="password-current">{move || i18n.t(OfficeMsg::PwCurrent)}</label>
                <input id="password-current" class="input" type="password" required autofocus
                    autocomplete="current-password" prop:value=current
                    on:input=move |ev| current.set(event_target_value(&ev)) />
                {error_of("current")}
                <label for="password-new">{move || i18n.t(OfficeMsg::PwNew)}</label>
                <input id="password-new" class="input" type="password" required
                    autocomplete="new-password" aria-describedby="password-rules" prop:value=new
                    on:input=move |ev| new.set(event_target_value(&ev)) />
                <PasswordRules id="password-rules" password=new username=username />
                <label for="password-confirm">{move || i18n.t(OfficeMsg::PwConfirm)}</label>
                <input id="password-confirm" class="input" type="password" required
                    autocomplete="new-password" prop:value=confirm
                    on:input=move |ev| confirm.set(event_target_value(&ev)) />
                {error_of("new")}
                {error_of("form")}
                <Show when=move || done.get()>
                    <p class="form-ok" role="status">{move || i18n.t(OfficeMsg::PwChanged)}</p>
                </Show>
                <div class="form-actions">
                    <button class="btn btn-primary" type="submit" id="password-save"
                        disabled=move || busy.get()>{move || i18n.t(Msg::Save)}</button>
                    <Show when=move || !forced()
                        fallback=move || view! {
                            // The only other way out of a change owed: signing out.
                            <button class="btn" type="button" id="password-sign-out" on:click=move |_| {
                                leptos::task::spawn_local(async move {
                                    let _ = api::logout().await;
                                    api::store_token(None);
                                    let _ = window().location().set_href("/login");
                                });
                            }>{move || i18n.t(Msg::SignOut)}</button>
                        }>
                        <a class="btn" href=back.clone() id="password-cancel">{move || i18n.t(Msg::Cancel)}</a>
                    </Show>
                </div>
            </form>
        </main>
    }
    .into_any()
}

/// An admin's reset of `user`'s password: a temporary one, which by default the user
/// must replace at their next sign-in; their open sessions end.
#[component]
pub fn ResetPasswordForm(
    user: UserSummary,
    done: Callback<()>,
    cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let password = RwSignal::new(String::new());
    let must_change = RwSignal::new(true);
    let error = RwSignal::new(None::<String>);
    let username = user.username.clone();
    let id = user.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ResetPassword {
            password: password.get_untracked(),
            must_change: must_change.get_untracked(),
        };
        scope.spawn(async move {
            match api::post::<_, UserSummary>(&format!("/users/{id}/password"), &body).await {
                Ok(_) => done.run(()),
                Err(e) => error.set(Some(describe_for_admin(&e, |m| i18n.t(m)))),
            }
        });
    };
    let title = i18n
        .t(OfficeMsg::PwResetTitle)
        .replace("{name}", &user.display_name);
    view! {
        <form class="admin-form" id="reset-password-form" on:submit=submit>
            <h2>{title}</h2>
            <label for="reset-password">{move || i18n.t(OfficeMsg::PwTemporary)}</label>
            <input id="reset-password" class="input" type="password" required autocomplete="new-password"
                aria-describedby="reset-password-rules" prop:value=password
                on:input=move |ev| password.set(event_target_value(&ev)) />
            <PasswordRules id="reset-password-rules" password=password username=Signal::stored(username) />
            <label class="check">
                <input type="checkbox" id="reset-must-change" prop:checked=must_change
                    on:change=move |ev| must_change.set(event_target_checked(&ev)) />
                " " {move || i18n.t(OfficeMsg::PwMustChange)}
            </label>
            <p class="muted small">{move || i18n.t(OfficeMsg::PwResetEnds)}</p>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" id="reset-password-error">{e}</p> })}
            <div class="form-actions">
                <button class="btn btn-primary" type="submit" id="reset-password-save">{move || i18n.t(Msg::Save)}</button>
                <button class="btn" type="button" on:click=move |_| cancel.run(())>{move || i18n.t(Msg::Cancel)}</button>
            </div>
        </form>
    }
}
