//! How a failed request is shown: a clear sentence, a retry, and sign-out when the
//! session has ended.

use agentdesk_protocol::ErrorCode;
use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::{Msg, use_i18n};
use crate::session::{self, use_session};

/// The message for an error, in the UI language.
pub fn describe(e: &ApiError, t: impl Fn(Msg) -> &'static str) -> String {
    match e {
        ApiError::Network(_) => t(Msg::NetworkError).to_string(),
        ApiError::Api { body, .. } => match body.error.code {
            ErrorCode::Unauthorized => t(Msg::SessionExpired).to_string(),
            ErrorCode::RateLimited => t(Msg::TooManyAttempts).replace(
                "{n}",
                &body.error.retry_after_secs.unwrap_or(60).to_string(),
            ),
            ErrorCode::Internal | ErrorCode::Unavailable => t(Msg::ServerError).to_string(),
            _ => body.error.message.clone(),
        },
        ApiError::Decode(_) => t(Msg::ServerError).to_string(),
    }
}

/// An error box with an optional retry. An expired session signs the user out, which
/// sends them to the login page.
#[component]
pub fn ErrorNotice(
    error: ApiError,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    if error.code() == Some(ErrorCode::Unauthorized) {
        session::signed_out(use_session());
    }
    let text = move || describe(&error, |m| i18n.t(m));
    view! {
        <div class="notice notice-error" role="alert">
            <span>{text}</span>
            {retry.map(|r| view! {
                <button class="btn btn-small" on:click=move |_| r.run(())>{move || i18n.t(Msg::Retry)}</button>
            })}
        </div>
    }
}
