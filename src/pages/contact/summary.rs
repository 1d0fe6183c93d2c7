//! What a timeline item says, by kind: its title, body and badges — a pure function of
//! the activity's detail, so that every kind's wording is tested natively.

use agentdesk_protocol::followup::Delivery;
use agentdesk_protocol::{
    ActivityDetail, ActivityKind, CallOutcome, Direction, EmailStatus, SyncState, TicketStatus,
};

use crate::i18n::Msg;

/// A badge: its message and its tone (a CSS class: `ok`, `bad`, `warn`, `live`, none).
pub type Badge = (Msg, &'static str);

/// An item's text: the title and body (searched words are marked in both) and badges.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub title: String,
    pub body: String,
    pub badges: Vec<Badge>,
}

pub fn kind_label(kind: ActivityKind) -> Msg {
    match kind {
        ActivityKind::Email => Msg::KindEmail,
        ActivityKind::Chat => Msg::KindChat,
        ActivityKind::Ticket => Msg::KindTicket,
        ActivityKind::Call => Msg::KindCall,
        ActivityKind::Sms => Msg::KindSms,
        ActivityKind::Note => Msg::KindNote,
        ActivityKind::FollowUp => Msg::KindFollowUp,
    }
}

fn delivery_label(d: Delivery) -> Msg {
    match d {
        Delivery::InApp => Msg::DeliveryInApp,
        Delivery::Webhook => Msg::DeliveryWebhook,
        Delivery::Email => Msg::KindEmail,
        Delivery::Sms => Msg::KindSms,
        Delivery::Chat => Msg::KindChat,
    }
}

fn direction_label(d: Direction) -> Msg {
    match d {
        Direction::Inbound => Msg::Inbound,
        Direction::Outbound => Msg::Outbound,
    }
}

/// `512 B`, `12 KB`, `3.4 MB`.
pub(super) fn byte_size(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{} KB", n / 1_000),
        _ => format!("{:.1} MB", n as f64 / 1_000_000.0),
    }
}

pub fn duration(secs: u32) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The summary of an activity's detail. A call in progress says so (its running time
/// is shown apart, from the app clock); an email whose content is withheld has none.
pub fn summary(detail: &ActivityDetail) -> Summary {
    let (title, body, badges) = match detail {
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
                Some(c) => {
                    let mut body = format!("{} — {}", c.sender, c.snippet);
                    // Attachments: name, type and size, after the text.
                    for a in &c.attachments {
                        body.push_str(&format!(
                            " · 📎 {} ({}, {})",
                            a.name,
                            a.content_type,
                            byte_size(a.size)
                        ));
                    }
                    (c.subject.clone(), body, badges)
                }
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
            outcome,
        } => {
            let mut badges = vec![(direction_label(*direction), "")];
            match outcome {
                Some(CallOutcome::InProgress) => badges.push((Msg::CallInProgress, "live")),
                Some(CallOutcome::NoAnswer) => badges.push((Msg::NotAnswered, "bad")),
                Some(CallOutcome::Busy) => badges.push((Msg::CallBusy, "bad")),
                Some(CallOutcome::Failed) => badges.push((Msg::CallFailed, "bad")),
                Some(CallOutcome::Answered) => {}
                // Older records say nothing: 0 seconds billed reads as not answered.
                None if *duration_secs == 0 => badges.push((Msg::NotAnswered, "bad")),
                None => {}
            }
            let mut dispo = disposition
                .as_ref()
                .map(|d| {
                    let path = [d.l1.as_str(), d.l2.as_str(), d.l3.as_str()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" › ");
                    if d.comment.is_empty() {
                        path
                    } else {
                        format!("{path} — «{}»", d.comment)
                    }
                })
                .unwrap_or_default();
            // The disposition's delivery to uContact's REST API, when the server sends it.
            match disposition.as_ref().and_then(|d| d.sync.as_ref()) {
                Some(s) if s.state == SyncState::Sent => badges.push((Msg::SyncSent, "ok")),
                Some(s) if s.state == SyncState::Failed => {
                    badges.push((Msg::SyncFailed, "bad"));
                    if let Some(why) = &s.reason {
                        dispo = format!("{dispo} ({why})");
                    }
                }
                Some(_) => badges.push((Msg::SyncPending, "warn")),
                None => {}
            }
            // A call in progress shows its running time instead (below).
            let shown = if *outcome == Some(CallOutcome::InProgress) {
                dispo
            } else {
                format!("{} {dispo}", duration(*duration_secs))
            };
            (
                format!("{number} · {campaign}"),
                shown.trim().to_string(),
                badges,
            )
        }
        ActivityDetail::Sms { direction, text } => (
            text.clone(),
            String::new(),
            vec![(direction_label(*direction), "")],
        ),
        ActivityDetail::Note { text } => (text.clone(), String::new(), vec![]),
        ActivityDetail::FollowUp {
            rule,
            channel,
            message,
            ..
        } => (
            message.clone(),
            rule.clone(),
            vec![(Msg::Automated, ""), (delivery_label(*channel), "")],
        ),
    };
    Summary {
        title,
        body,
        badges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentdesk_protocol::{Attachment, Disposition, EmailContent, RemoteSync};

    fn call(outcome: Option<CallOutcome>, secs: u32, disposition: Option<Disposition>) -> Summary {
        summary(&ActivityDetail::Call {
            direction: Direction::Outbound,
            number: "+59899123456".into(),
            campaign: "Ventas".into(),
            duration_secs: secs,
            disposition,
            outcome,
        })
    }

    fn disposition(sync: Option<RemoteSync>) -> Disposition {
        Disposition {
            l1: "Venta".into(),
            l2: "Plan".into(),
            l3: String::new(),
            comment: "llamar el lunes".into(),
            sync,
        }
    }

    #[test]
    fn a_call_in_progress_says_so_and_shows_no_frozen_duration() {
        let s = call(Some(CallOutcome::InProgress), 0, None);
        assert_eq!(s.title, "+59899123456 · Ventas");
        assert_eq!(s.body, "");
        assert_eq!(
            s.badges,
            vec![(Msg::Outbound, ""), (Msg::CallInProgress, "live")]
        );
    }

    #[test]
    fn an_ended_call_shows_its_duration_and_disposition_path() {
        let s = call(Some(CallOutcome::Answered), 125, Some(disposition(None)));
        assert_eq!(s.body, "2:05 Venta › Plan — «llamar el lunes»");
        assert_eq!(s.badges, vec![(Msg::Outbound, "")]);
    }

    #[test]
    fn a_failed_delivery_to_ucontact_is_a_red_badge_with_its_reason() {
        let failed = RemoteSync {
            state: SyncState::Failed,
            reason: Some("HTTP 500".into()),
            attempts: 3,
        };
        let s = call(
            Some(CallOutcome::Answered),
            60,
            Some(disposition(Some(failed))),
        );
        assert!(s.badges.contains(&(Msg::SyncFailed, "bad")));
        assert!(s.body.ends_with("(HTTP 500)"), "{}", s.body);
        let pending = RemoteSync {
            state: SyncState::Pending,
            reason: None,
            attempts: 1,
        };
        let s = call(
            Some(CallOutcome::Answered),
            60,
            Some(disposition(Some(pending))),
        );
        assert!(s.badges.contains(&(Msg::SyncPending, "warn")));
    }

    #[test]
    fn an_older_call_of_zero_seconds_reads_as_not_answered() {
        assert!(
            call(None, 0, None)
                .badges
                .contains(&(Msg::NotAnswered, "bad"))
        );
        assert!(
            !call(None, 30, None)
                .badges
                .contains(&(Msg::NotAnswered, "bad"))
        );
        assert!(
            call(Some(CallOutcome::Busy), 0, None)
                .badges
                .contains(&(Msg::CallBusy, "bad"))
        );
    }

    #[test]
    fn an_email_shows_sender_snippet_and_attachments_and_nothing_when_withheld() {
        let s = summary(&ActivityDetail::Email {
            direction: Direction::Inbound,
            status: Some(EmailStatus::Failed),
            content: Some(EmailContent {
                subject: "Factura".into(),
                sender: "ana@example.com".into(),
                snippet: "Adjunto".into(),
                attachments: vec![Attachment {
                    name: "f.pdf".into(),
                    content_type: "application/pdf".into(),
                    size: 12_345,
                }],
            }),
        });
        assert_eq!(s.title, "Factura");
        assert_eq!(
            s.body,
            "ana@example.com — Adjunto · 📎 f.pdf (application/pdf, 12 KB)"
        );
        assert_eq!(
            s.badges,
            vec![(Msg::Inbound, ""), (Msg::StatusFailed, "bad")]
        );
        let hidden = summary(&ActivityDetail::Email {
            direction: Direction::Inbound,
            status: None,
            content: None,
        });
        assert_eq!((hidden.title.as_str(), hidden.body.as_str()), ("", ""));
    }

    #[test]
    fn a_ticket_names_its_event_and_status() {
        let s = summary(&ActivityDetail::Ticket {
            ticket_id: "T-9".into(),
            subject: "Sin servicio".into(),
            status: TicketStatus::Solved,
            event: "closed".into(),
        });
        assert_eq!(s.title, "T-9 · Sin servicio");
        assert_eq!(
            s.badges,
            vec![(Msg::TicketClosedEvent, ""), (Msg::TicketSolved, "ok")]
        );
    }

    #[test]
    fn a_chat_shows_its_length_and_messages() {
        let s = summary(&ActivityDetail::Chat {
            session_id: "c1".into(),
            first_message: "Hola".into(),
            duration_secs: 61,
            message_count: 7,
        });
        assert_eq!((s.title.as_str(), s.body.as_str()), ("Hola", "1:01 · 7"));
    }

    #[test]
    fn attachment_sizes_read_as_people_say_them() {
        assert_eq!(byte_size(8), "8 B");
        assert_eq!(byte_size(12_345), "12 KB");
        assert_eq!(byte_size(3_400_000), "3.4 MB");
    }
}
