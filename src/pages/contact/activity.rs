//! The Activity tab: the newest activities of the contact, rendered per kind.

use agentdesk_protocol::{
    Activity, ActivityDetail, ActivityKind, Direction, EmailStatus, TicketStatus,
};
use leptos::prelude::*;

use crate::api;
use crate::components::error::ErrorNotice;
use crate::components::time::Time;
use crate::i18n::{Msg, use_i18n};

pub fn kind_label(kind: ActivityKind) -> Msg {
    match kind {
        ActivityKind::Email => Msg::KindEmail,
        ActivityKind::Chat => Msg::KindChat,
        ActivityKind::Ticket => Msg::KindTicket,
        ActivityKind::Call => Msg::KindCall,
        ActivityKind::Sms => Msg::KindSms,
    }
}

fn kind_icon(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Email => "✉",
        ActivityKind::Chat => "💬",
        ActivityKind::Ticket => "🎫",
        ActivityKind::Call => "☎",
        ActivityKind::Sms => "✆",
    }
}

fn direction_label(d: Direction) -> Msg {
    match d {
        Direction::Inbound => Msg::Inbound,
        Direction::Outbound => Msg::Outbound,
    }
}

fn duration(secs: u32) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

#[component]
pub fn ActivityTab(contact_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let page = LocalResource::new(move || api::activities(contact_id));
    view! {
        <Transition fallback=move || view! { <p class="muted" aria-busy="true">{i18n.t(Msg::Loading)}</p> }>
            {move || page.get().map(|res| match res {
                Err(e) => view! { <ErrorNotice error=e retry=Callback::new(move |_| page.refetch()) /> }.into_any(),
                Ok(p) if p.items.is_empty() => view! {
                    <p class="empty-state" id="no-activities">{move || i18n.t(Msg::NoActivities)}</p>
                }.into_any(),
                Ok(p) => {
                    let total = p.total;
                    view! {
                        <div class="timeline-head">
                            <h2>{move || i18n.t(Msg::NewestActivities)}</h2>
                            <span class="muted small" id="activity-total">{move || i18n.tn(Msg::ActivitiesTotal, total)}</span>
                        </div>
                        <ol class="timeline" id="timeline">
                            {p.items.into_iter().map(|a| view! { <ActivityItem activity=a /> }).collect_view()}
                        </ol>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn ActivityItem(activity: Activity) -> impl IntoView {
    let i18n = use_i18n();
    let kind = activity.kind;
    let author = activity.user.as_ref().map(|u| u.display_name.clone());
    let (title, body, badges): (String, String, Vec<(Msg, &'static str)>) = match &activity.detail {
        ActivityDetail::Email {
            direction,
            status,
            content,
        } => {
            let mut badges = vec![(direction_label(*direction), "")];
            if let Some(s) = status {
                badges.push(match s {
                    EmailStatus::Sent => (Msg::StatusSent, "ok"),
                    EmailStatus::Failed => (Msg::StatusFailed, "bad"),
                    EmailStatus::Queued => (Msg::StatusQueued, "warn"),
                    EmailStatus::Draft => (Msg::StatusDraft, ""),
                });
            }
            match content {
                Some(c) => (
                    c.subject.clone(),
                    format!("{} — {}", c.sender, c.snippet),
                    badges,
                ),
                None => (String::new(), String::new(), badges),
            }
        }
        ActivityDetail::Chat {
            first_message,
            duration_secs,
            message_count,
            ..
        } => (
            first_message.clone(),
            format!("{} · {message_count}", duration(*duration_secs)),
            vec![],
        ),
        ActivityDetail::Ticket {
            ticket_id,
            subject,
            status,
            event,
        } => (
            format!("{ticket_id} · {subject}"),
            String::new(),
            vec![
                (
                    match event.as_str() {
                        "created" => Msg::TicketCreated,
                        "closed" => Msg::TicketClosedEvent,
                        _ => Msg::TicketChanged,
                    },
                    "",
                ),
                match status {
                    TicketStatus::Open => (Msg::TicketOpen, "warn"),
                    TicketStatus::Pending => (Msg::TicketPending, "warn"),
                    TicketStatus::Solved => (Msg::TicketSolved, "ok"),
                    TicketStatus::Closed => (Msg::TicketClosed, ""),
                },
            ],
        ),
        ActivityDetail::Call {
            direction,
            number,
            campaign,
            duration_secs,
            disposition,
        } => {
            let mut badges = vec![(direction_label(*direction), "")];
            if *duration_secs == 0 {
                badges.push((Msg::NotAnswered, "bad"));
            }
            let dispo = disposition
                .as_ref()
                .map(|d| {
                    [d.l1.as_str(), d.l2.as_str(), d.l3.as_str()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" › ")
                })
                .unwrap_or_default();
            (
                format!("{number} · {campaign}"),
                format!("{} {dispo}", duration(*duration_secs)),
                badges,
            )
        }
        ActivityDetail::Sms { direction, text } => (
            text.clone(),
            String::new(),
            vec![(direction_label(*direction), "")],
        ),
    };
    let redacted = activity.redacted;
    let is_chat = kind == ActivityKind::Chat;
    view! {
        <li class=format!("activity-item kind-{}", kind.as_str()) data-activity-id=activity.id tabindex="0">
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
                    view! { <p class="activity-title">{title}</p> }.into_any()
                }}
                <Show when={let b = body.clone(); move || !b.is_empty()}>
                    <p class="activity-snippet">
                        {body.clone()}
                        {is_chat.then(|| view! { " " {move || i18n.t(Msg::Messages)} })}
                    </p>
                </Show>
                <p class="activity-author muted small">
                    {match author.clone() {
                        Some(a) => view! { <span>{a}</span> }.into_any(),
                        None => view! { <span>{move || i18n.t(if kind == ActivityKind::Email { Msg::Customer } else { Msg::System })}</span> }.into_any(),
                    }}
                </p>
            </div>
        </li>
    }
}
