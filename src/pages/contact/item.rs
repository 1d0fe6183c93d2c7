//! One timeline item: its summary (`summary.rs`), the running clock of a call in
//! progress, the source panel (opened on demand) and delete.

use agentdesk_protocol::{Activity, ActivityDetail, ActivityKind, CallOutcome};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::error::{ErrorNotice, describe};
use crate::components::time::Time;
use crate::i18n::{Msg, use_i18n};

use super::email_item::EmailActions;
use super::summary::{Summary, summary};
pub use super::summary::{duration, kind_label};

pub fn kind_icon(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Email => "✉",
        ActivityKind::Chat => "❝",
        ActivityKind::Ticket => "⚑",
        ActivityKind::Call => "☎",
        ActivityKind::Sms => "✆",
        ActivityKind::Note => "✎",
        ActivityKind::FollowUp => "↻",
    }
}

use agentdesk_protocol::text::highlight_runs;

fn highlighted(text: String, words: &[String]) -> impl IntoView + use<> {
    highlight_runs(&text, words)
        .into_iter()
        .map(|(s, m)| {
            if m {
                view! { <mark>{s}</mark> }.into_any()
            } else {
                s.into_any()
            }
        })
        .collect_view()
}

#[component]
pub fn ActivityItem(activity: Activity, words: Vec<String>, can_delete: bool) -> impl IntoView {
    let i18n = use_i18n();
    let kind = activity.kind;
    let id = activity.id;
    let author = activity.user.as_ref().map(|u| u.display_name.clone());
    let Summary {
        title,
        body,
        badges,
    } = summary(&activity.detail);
    let in_progress_since = match &activity.detail {
        ActivityDetail::Call {
            outcome: Some(CallOutcome::InProgress),
            ..
        } => Some(activity.occurred_at.timestamp_millis()),
        _ => None,
    };
    let redacted = activity.redacted;
    let email_of = activity.clone();
    let is_chat = kind == ActivityKind::Chat;
    let open = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let title_words = words.clone();
    let body_words = words;
    let delete = move |_| {
        let confirmed = window()
            .confirm_with_message(i18n.t(Msg::ConfirmDelete))
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        deleting.set(true);
        spawn_local(async move {
            // The stream's activity.deleted refreshes the page.
            if let Err(e) = api::delete_activity(id).await {
                delete_error.set(Some(describe(&e, |m| i18n.t(m))));
                deleting.set(false);
            }
        });
    };
    view! {
        <li class=format!("activity-item kind-{}", kind.as_str()) data-activity-id=id tabindex="0"
            class:deleting=move || deleting.get()>
            <span class="activity-icon" aria-hidden="true">{kind_icon(kind)}</span>
            <div class="activity-body">
                <div class="activity-top">
                    <span class="activity-kind">{move || i18n.t(kind_label(kind))}</span>
                    {badges.into_iter().map(|(m, tone)| view! {
                        <span class=format!("badge {tone}")>{move || i18n.t(m)}</span>
                    }).collect_view()}
                    <span class="activity-when"><Time at=activity.occurred_at /></span>
                </div>
                {if redacted {
                    view! { <p class="activity-title muted redacted">{move || i18n.t(Msg::EmailHidden)}</p> }.into_any()
                } else {
                    view! { <p class="activity-title">{highlighted(title, &title_words)}</p> }.into_any()
                }}
                {in_progress_since.map(|since| {
                    let second = expect_context::<crate::components::time::Clock>().second;
                    view! {
                        <p class="activity-snippet call-running">
                            <span class="call-timer" role="timer">
                                {move || duration(((second.get() - since).max(0) / 1000) as u32)}
                            </span>
                        </p>
                    }
                })}
                {(!body.is_empty()).then(|| view! {
                    <p class="activity-snippet">
                        {highlighted(body, &body_words)}
                        {is_chat.then(|| view! { " " {move || i18n.t(Msg::Messages)} })}
                    </p>
                })}
                <p class="activity-meta muted small">
                    <span class="activity-author">
                        {match author {
                            Some(a) => a.into_any(),
                            None => (move || i18n.t(if kind == ActivityKind::Email { Msg::Customer } else { Msg::System })).into_any(),
                        }}
                    </span>
                    " · "
                    // The source record's id (a call's guid…) is for support, not for
                    // the agent: the link says what it opens.
                    <button class="link-btn activity-source" aria-expanded=move || open.get().to_string()
                        on:click=move |_| open.update(|o| *o = !*o)>
                        {move || i18n.t(Msg::ShowSource)}
                    </button>
                    {(kind == ActivityKind::Email).then(|| view! {
                        " · " <EmailActions a=email_of.clone() />
                    })}
                    {can_delete.then(|| view! {
                        " · "
                        <button class="link-btn danger activity-delete" on:click=delete disabled=move || deleting.get()>
                            {move || i18n.t(Msg::Delete)}
                        </button>
                    })}
                </p>
                {move || delete_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                <Show when=move || open.get()>
                    <ActivitySource id=id />
                </Show>
            </div>
        </li>
    }
}

/// The source interaction of an activity, loaded on demand (with the email's full text
/// for users allowed to read it).
#[component]
fn ActivitySource(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let is_agent = crate::session::use_session().me.with_untracked(|m| {
        m.as_ref()
            .is_none_or(|m| m.role == agentdesk_protocol::Role::Agent)
    });
    let view_res = LocalResource::new(move || api::activity(id));
    view! {
        <div class="activity-source-panel">
            {move || match view_res.get() {
                None => view! { <p class="muted" aria-busy="true">{i18n.t(Msg::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
                Some(Ok(v)) => view! {
                    <dl class="attr-table">
                        {(!is_agent).then(|| view! {
                            <div><dt>{move || i18n.t(Msg::Source)}</dt><dd class="mono small">{v.activity.model_id.clone()}</dd></div>
                        })}
                        <div><dt>{move || i18n.t(Msg::When)}</dt><dd><Time at=v.activity.occurred_at full=true /></dd></div>
                    </dl>
                    {v.recording.map(|src| view! {
                        <audio class="recording" controls preload="none" src=src
                            aria-label=move || i18n.t(Msg::Recording)></audio>
                    })}
                    <AttributeList title=Msg::ConversationAttributes attrs=v.conversation_attributes.clone() />
                    <AttributeList title=Msg::CustomerAttributes attrs=v.customer_attributes.clone() />
                    {v.email_body.map(|b| view! { <pre class="email-body">{b}</pre> })}
                }.into_any(),
            }}
        </div>
    }
}

/// The readable label of an attribute the desktop defines; others keep their name.
pub fn attribute_label(name: &str) -> Option<Msg> {
    Some(match name {
        "plan" => Msg::AttrPlan,
        "segment" => Msg::AttrSegment,
        "city" => Msg::AttrCity,
        "document_id" => Msg::AttrDocumentId,
        "birth_date" => Msg::AttrBirthDate,
        "customer_since" => Msg::AttrCustomerSince,
        "lifetime_value" => Msg::AttrLifetimeValue,
        "reason" => Msg::AttrReason,
        "order_id" => Msg::AttrOrderId,
        "promised_date" => Msg::AttrPromisedDate,
        "amount" => Msg::AttrAmount,
        agentdesk_protocol::RECORDING_ATTRIBUTE => Msg::Recording,
        _ => return None,
    })
}

/// Attributes as a labelled list (nothing when there are none).
#[component]
fn AttributeList(title: Msg, attrs: std::collections::BTreeMap<String, String>) -> impl IntoView {
    let i18n = use_i18n();
    (!attrs.is_empty()).then(|| {
        let rows = attrs
            .into_iter()
            .map(|(name, value)| {
                let label = move || match attribute_label(&name) {
                    Some(m) => i18n.t(m).to_string(),
                    None => name.clone(),
                };
                view! { <div><dt>{label}</dt><dd>{value}</dd></div> }
            })
            .collect_view();
        view! {
            <h4 class="attr-title">{move || i18n.t(title)}</h4>
            <dl class="attr-table attributes">{rows}</dl>
        }
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use agentdesk_protocol::text::search_words;

    #[test]
    fn every_defined_attribute_has_a_label() {
        for name in [
            "plan",
            "segment",
            "city",
            "document_id",
            "birth_date",
            "customer_since",
            "lifetime_value",
            "reason",
            "order_id",
            "promised_date",
            "amount",
            "segment_link",
        ] {
            assert!(attribute_label(name).is_some(), "{name}");
        }
        assert_eq!(attribute_label("conversation_attribute_1"), None);
    }

    #[test]
    fn matches_are_word_prefixes_ignoring_case_and_accents() {
        let words = search_words("fact LUCIA");
        let runs = highlight_runs("Factura de Lucía, artefacto", &words);
        let marked: Vec<&str> = runs
            .iter()
            .filter(|(_, m)| *m)
            .map(|(s, _)| s.as_str())
            .collect();
        assert_eq!(marked, vec!["Factura", "Lucía"]);
        let joined: String = runs.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(joined, "Factura de Lucía, artefacto");
    }

    #[test]
    fn empty_search_marks_nothing() {
        let runs = highlight_runs("hola", &[]);
        assert_eq!(runs, vec![("hola".to_string(), false)]);
        assert!(highlight_runs("", &search_words("x")).is_empty());
    }
}
