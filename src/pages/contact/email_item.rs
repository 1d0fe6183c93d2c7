//! What an e-mail on the timeline offers the agent: reply to the customer's, go on
//! writing one's own draft, see why a message was not sent (or is being retried) and
//! send it again.

use agentdesk_protocol::{Activity, ActivityDetail, Direction, EmailStatus};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe;
use crate::i18n::{Msg, use_i18n};
use crate::session::use_session;

use super::compose::{Compose, Start};
use super::compose_files::{FileList, Files};

/// The actions of e-mail item `a` (nothing for other kinds, or without the e-mail
/// permission, or outside the contact page).
#[component]
pub fn EmailActions(a: Activity) -> impl IntoView {
    let i18n = use_i18n();
    let compose = use_context::<Compose>();
    let me = use_session().me;
    let (can_email, my_id) =
        me.with_untracked(|m| m.as_ref().map_or((false, 0), |m| (m.can_email, m.id)));
    let has_files = matches!(&a.detail, ActivityDetail::Email { content: Some(c), .. } if !c.attachments.is_empty());
    let ActivityDetail::Email {
        direction, status, ..
    } = a.detail
    else {
        return ().into_any();
    };
    let (Some(compose), true, false) = (compose, can_email, a.redacted) else {
        return ().into_any();
    };
    let id = a.id;
    let mine = a.user.as_ref().is_some_and(|u| u.id == my_id);
    // A message of ours with files: they are listed to download (a draft of the user's
    // shows them in the composer instead).
    let files = (direction == Direction::Outbound
        && has_files
        && !(mine && status == Some(EmailStatus::Draft)))
    .then(|| view! { <SentFiles id=id /> });
    let actions = match (direction, status) {
        (Direction::Inbound, _) => view! {
            <button class="link-btn email-reply" on:click=move |_| compose.0.set(Some(Start::Reply(id)))>
                {move || i18n.t(Msg::ReplyEmail)}
            </button>
        }
        .into_any(),
        (Direction::Outbound, Some(EmailStatus::Draft)) if mine => view! {
            <button class="link-btn email-continue" on:click=move |_| compose.0.set(Some(Start::Resume(id)))>
                {move || i18n.t(Msg::ContinueDraft)}
            </button>
        }
        .into_any(),
        (Direction::Outbound, Some(s @ (EmailStatus::Failed | EmailStatus::Queued))) => {
            view! { <Delivery id=id failed=s == EmailStatus::Failed /> }.into_any()
        }
        _ => ().into_any(),
    };
    view! { {actions} {files} }.into_any()
}

/// The files of message `id`, to download.
#[component]
fn SentFiles(id: i64) -> impl IntoView {
    let files = Files::new();
    let scope = crate::task::Scope::here();
    scope.spawn(async move {
        if let Ok(m) = api::outbound_email(id).await {
            files.list.set(m.attachments);
        }
    });
    view! { <FileList files=files draft_id=RwSignal::new(Some(id)) editable=false /> }
}

/// Why message `id` failed (with a retry button), or how its retries go.
#[component]
fn Delivery(id: i64, failed: bool) -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let message = LocalResource::new(move || api::outbound_email(id));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let retry = move |_| {
        busy.set(true);
        scope.spawn(async move {
            // The stream's activity.updated redraws the item as queued.
            if let Err(e) = api::retry_email(id).await {
                error.set(Some(describe(&e, |m| i18n.t(m))));
                busy.set(false);
            }
        });
    };
    view! {
        <span class="email-delivery">
            {move || message.get().and_then(Result::ok).and_then(|m| {
                let reason = m.last_error.clone()?;
                Some(if failed {
                    view! { <span class="field-error email-failed">{i18n.t(Msg::EmailFailedBecause).replace("{reason}", &reason)}</span> }.into_any()
                } else {
                    view! { <span class="muted email-retrying">{i18n.t(Msg::EmailWillRetry).replace("{n}", &m.attempts.to_string()).replace("{reason}", &reason)}</span> }.into_any()
                })
            })}
            {failed.then(|| view! {
                " "
                <button class="link-btn email-retry" disabled=move || busy.get() on:click=retry>
                    {move || i18n.t(Msg::RetrySend)}
                </button>
            })}
            {move || error.get().map(|e| view! { <span class="field-error" role="alert">{e}</span> })}
        </span>
    }
}
