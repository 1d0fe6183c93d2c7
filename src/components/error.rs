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
            // The server's English stays in the network panel; the agent reads what it
            // means in their language and which field to correct.
            ErrorCode::Forbidden => t(Msg::ErrForbidden).to_string(),
            ErrorCode::NotFound => t(Msg::ErrNotFound).to_string(),
            ErrorCode::Conflict => t(Msg::ErrConflict).to_string(),
            ErrorCode::PayloadTooLarge => t(Msg::ErrTooLarge).to_string(),
            ErrorCode::BadRequest => t(Msg::ErrBadRequest).to_string(),
            ErrorCode::Validation => match body.error.field.as_deref() {
                Some(field) => t(Msg::ErrInvalidField).replace("{field}", &field_label(field, &t)),
                None => t(Msg::ErrInvalid).to_string(),
            },
        },
        ApiError::Decode(_) => t(Msg::ServerError).to_string(),
    }
}

/// [`describe`], and for a refused value or a conflict the server's own reason after it: for admins,
/// whose settings forms need the exact rule (“at most 3 levels”), not for agents.
pub fn describe_for_admin(e: &ApiError, t: impl Fn(Msg) -> &'static str) -> String {
    let text = describe(e, &t);
    match e {
        // What the server said matters to an admin: which rule, why a conflict.
        ApiError::Api { body, .. }
            if matches!(body.error.code, ErrorCode::Validation | ErrorCode::Conflict) =>
        {
            format!("{text} ({})", body.error.message)
        }
        _ => text,
    }
}

/// A request field as the forms name it (the field's own name when no form shows it).
pub fn field_label(field: &str, t: &impl Fn(Msg) -> &'static str) -> String {
    let msg = match field {
        "value" => Msg::Status,
        "destination" | "phone" => Msg::Phone,
        "name" => Msg::Name,
        "email" => Msg::Email,
        "external_id" => Msg::ExternalId,
        "attributes" => Msg::Attributes,
        "team_id" => Msg::Team,
        "campaign" => Msg::CallCampaign,
        "dispositions" => Msg::DispositionTree,
        "d1_label" => Msg::FieldLabelD1,
        "d2_label" => Msg::FieldLabelD2,
        "teams" => Msg::CampaignTeams,
        "url_template" => Msg::CrmTemplate,
        "crm_origins" => Msg::CrmOrigins,
        "ucontact_origin" => Msg::UcontactOrigin,
        "frame_sandbox" => Msg::FrameSandbox,
        "frame_allow" => Msg::FrameAllow,
        "comment" => Msg::Comment,
        "callback_at" => Msg::CallbackAt,
        "callback_note" => Msg::CallbackNote,
        "l1" => Msg::Level1,
        "l2" => Msg::Level2,
        "l3" => Msg::Level3,
        "username" => Msg::Username,
        "password" => Msg::Password,
        "from" => Msg::From,
        "to" => Msg::To,
        _ => return field.to_owned(),
    };
    t(msg).to_owned()
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

#[cfg(test)]
mod tests {
    use super::*;
    use agentdesk_protocol::{ErrorBody, ErrorDetail, Locale};

    fn error(code: ErrorCode, field: Option<&str>) -> ApiError {
        ApiError::Api {
            status: code.http_status(),
            body: ErrorBody {
                error: ErrorDetail {
                    code,
                    message: "SERVER ENGLISH c0ffee-guid".into(),
                    field: field.map(str::to_owned),
                    retry_after_secs: None,
                },
            },
        }
    }

    #[test]
    fn every_error_code_reads_translated_without_the_servers_words() {
        for locale in Locale::ALL {
            let t = |m: Msg| m.text(locale);
            for code in [
                ErrorCode::BadRequest,
                ErrorCode::Validation,
                ErrorCode::Unauthorized,
                ErrorCode::Forbidden,
                ErrorCode::NotFound,
                ErrorCode::Conflict,
                ErrorCode::RateLimited,
                ErrorCode::PayloadTooLarge,
                ErrorCode::Unavailable,
                ErrorCode::Internal,
            ] {
                for field in [None, Some("destination"), Some("unheard_of")] {
                    let text = describe(&error(code, field), t);
                    assert!(!text.contains("SERVER"), "{code:?} {field:?}: {text}");
                    assert!(!text.is_empty());
                }
            }
        }
        let es = describe(&error(ErrorCode::Validation, Some("destination")), |m| {
            m.text(Locale::Es)
        });
        assert_eq!(es, "Revisa «Teléfono»: el valor no es válido.");
        let admin = describe_for_admin(&error(ErrorCode::Validation, Some("teams")), |m| {
            m.text(Locale::En)
        });
        assert!(admin.ends_with("(SERVER ENGLISH c0ffee-guid)"), "{admin}");
    }
}
