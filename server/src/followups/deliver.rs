//! Who gets a notification how (in the desktop, by e-mail), and the deliveries that
//! leave the database after a run is stored: e-mail and webhook posts. Each is sent once
//! (the run's transaction claimed its attempt); one that fails is recorded on the run.

use std::collections::{BTreeMap, BTreeSet};

use agentdesk_protocol::followup::{Channel, Delivery, FollowUpSpec};
use serde_json::json;

use crate::mailer::{Mail, Mailer};
use crate::outbound::Outbound;
use crate::store::followups::{Notify, Reach};

/// How one notification reaches its recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// Users notified in the desktop.
    pub in_app: Vec<i64>,
    /// Addresses written to.
    pub mail: Vec<String>,
    /// What the timeline says it went by.
    pub delivery: Delivery,
    /// Recipients an e-mail follow-up could not write to (notified in the desktop).
    pub notes: Vec<String>,
}

/// Route a notification to `users` on `channel`. E-mail goes to the users' addresses;
/// "last used" reaches a user in the desktop when they have one open, else by e-mail.
/// Whoever e-mail cannot reach (no address, or no SMTP sender on this server) is
/// notified in the desktop instead, so nobody is left out; for an e-mail follow-up that
/// is noted on the run. The timeline says e-mail when everyone got one, else in-app.
pub fn route(
    channel: Channel,
    users: &BTreeSet<i64>,
    reach: &BTreeMap<i64, Reach>,
    can_mail: bool,
) -> Routed {
    let mut out = Routed {
        in_app: Vec::new(),
        mail: Vec::new(),
        delivery: channel.delivery(),
        notes: Vec::new(),
    };
    for &id in users {
        let r = reach.get(&id).cloned().unwrap_or_default();
        match channel {
            Channel::Webhook => {}
            Channel::InApp => out.in_app.push(id),
            Channel::LastUsed if r.online => out.in_app.push(id),
            Channel::Email | Channel::LastUsed => match r.email {
                Some(address) if can_mail => out.mail.push(address),
                missing => {
                    out.in_app.push(id);
                    if channel == Channel::Email {
                        out.notes.push(if missing.is_none() {
                            format!("user #{id} has no e-mail address: notified in the desktop")
                        } else {
                            "this server has no SMTP sender: notified in the desktop".into()
                        });
                    }
                }
            },
        }
    }
    if matches!(channel, Channel::Email | Channel::LastUsed) {
        out.delivery = if !out.mail.is_empty() && out.in_app.is_empty() {
            Delivery::Email
        } else {
            Delivery::InApp
        };
    }
    out
}

/// The e-mail for notification `n` of follow-up `name` to `to`: the follow-up's name and
/// the text's first line as the subject; the text, then the card's title, text and
/// link buttons (label: URL), as the body. (An action button is pressed in the desktop:
/// a mail has no way to call it as its user.)
pub fn mail(name: &str, n: &Notify, to: &str) -> Mail {
    let first = n.text.lines().next().unwrap_or("").trim();
    let mut subject: String = format!("[{name}] {first}");
    if subject.chars().count() > 140 {
        subject = subject.chars().take(139).chain(['…']).collect();
    }
    let mut text = n.text.clone();
    if let Some(card) = &n.card {
        text.push_str("\n\n");
        text.push_str(&card.title);
        if !card.text.is_empty() {
            text.push('\n');
            text.push_str(&card.text);
        }
        for b in card.buttons.iter().filter(|b| b.action.is_none()) {
            text.push_str(&format!("\n{}: {}", b.label, b.url));
        }
    }
    Mail {
        to: to.to_string(),
        subject,
        text,
    }
}

/// Write each notification's e-mails; what failed.
pub async fn send_mail<'a>(
    mailer: Option<&Mailer>,
    spec: &FollowUpSpec,
    sent: impl Iterator<Item = &'a Notify>,
) -> Vec<String> {
    let mut errors = Vec::new();
    for n in sent.filter(|n| !n.mail.is_empty()) {
        let Some(mailer) = mailer else {
            errors.push(format!(
                "record `{}`: this server has no SMTP sender",
                n.key
            ));
            continue;
        };
        for to in &n.mail {
            if let Err(e) = mailer.send(&mail(&spec.name, n, to)).await {
                errors.push(format!("record `{}`: e-mail to {to} failed: {e}", n.key));
            }
        }
    }
    errors
}

/// Post each notification to the follow-up's webhook; what failed.
pub async fn post_webhook<'a>(
    outbound: &Outbound,
    spec: &FollowUpSpec,
    sent: impl Iterator<Item = &'a Notify>,
) -> Vec<String> {
    let Some(url) = spec
        .webhook_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
    else {
        return vec!["the webhook channel has no URL (enter it again)".into()];
    };
    let mut errors = Vec::new();
    for n in sent {
        // Link buttons only: an action is pressed in the desktop, as its user.
        let card = n.card.clone().map(|mut c| {
            c.buttons.retain(|b| b.action.is_none());
            c
        });
        let body = json!({
            "text": n.text,
            "followup": spec.name,
            "record": n.key,
            "attempt": n.attempt,
            "recipients": n.recipients,
            "card": card,
        });
        let r = outbound
            .send_json(reqwest::Method::POST, &url, &[], Some(&body), 64 * 1024)
            .await;
        match r {
            Ok(a) if (200..300).contains(&a.status) => {}
            Ok(a) => errors.push(format!(
                "record `{}`: the webhook answered HTTP {}",
                n.key, a.status
            )),
            // The URL is a secret: the reason only.
            Err(e) => errors.push(format!("record `{}`: the webhook failed: {e}", n.key)),
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach() -> BTreeMap<i64, Reach> {
        BTreeMap::from([
            (
                1,
                Reach {
                    email: Some("ana@example.com".into()),
                    online: true,
                },
            ),
            (
                2,
                Reach {
                    email: Some("bruno@example.com".into()),
                    online: false,
                },
            ),
            (
                3,
                Reach {
                    email: None,
                    online: false,
                },
            ),
        ])
    }

    #[test]
    fn each_channel_reaches_every_recipient_once_and_says_how() {
        let all = BTreeSet::from([1, 2, 3]);
        let r = route(Channel::InApp, &all, &reach(), true);
        assert_eq!(
            (r.in_app, r.mail.len(), r.delivery),
            (vec![1, 2, 3], 0, Delivery::InApp)
        );

        let r = route(Channel::Email, &all, &reach(), true);
        assert_eq!(r.mail, ["ana@example.com", "bruno@example.com"]);
        assert_eq!(r.in_app, [3]);
        assert_eq!(r.delivery, Delivery::InApp);
        assert_eq!(r.notes.len(), 1);
        assert!(r.notes[0].contains("#3"), "{:?}", r.notes);

        let both = BTreeSet::from([1, 2]);
        let r = route(Channel::Email, &both, &reach(), true);
        assert_eq!((r.in_app.len(), r.delivery), (0, Delivery::Email));

        // Last used: the one online in the desktop, the others by e-mail when they can.
        let r = route(Channel::LastUsed, &all, &reach(), true);
        assert_eq!(r.in_app, [1, 3]);
        assert_eq!(r.mail, ["bruno@example.com"]);
        assert!(r.notes.is_empty());
        let r = route(Channel::LastUsed, &BTreeSet::from([2]), &reach(), true);
        assert_eq!(r.delivery, Delivery::Email);

        // No SMTP sender: everyone in the desktop, noted for an e-mail follow-up.
        let r = route(Channel::Email, &both, &reach(), false);
        assert_eq!((r.in_app, r.mail.len()), (vec![1, 2], 0));
        assert!(r.notes.iter().all(|n| n.contains("no SMTP sender")));
        let r = route(Channel::LastUsed, &both, &reach(), false);
        assert_eq!((r.in_app, r.notes.len()), (vec![1, 2], 0));

        let r = route(Channel::Webhook, &all, &reach(), true);
        assert_eq!(
            (r.in_app.len(), r.mail.len(), r.delivery),
            (0, 0, Delivery::Webhook)
        );
    }

    #[test]
    fn a_mail_has_the_followups_name_and_first_line_as_subject_and_the_card_below() {
        let n = Notify {
            key: "T-1".into(),
            attempt: 1,
            users: vec![],
            recipients: vec![],
            text: "Ticket T-1 waits for you\nsecond line".into(),
            card: Some(agentdesk_protocol::followup::Card {
                title: "T-1".into(),
                text: "Approve it".into(),
                image_url: None,
                buttons: vec![
                    agentdesk_protocol::followup::CardButton {
                        label: "Open".into(),
                        url: "https://crm.example.com/t/T-1".into(),
                        action: None,
                    },
                    agentdesk_protocol::followup::CardButton {
                        label: "Approve".into(),
                        url: String::new(),
                        action: Some("approve".into()),
                    },
                ],
            }),
            values: None,
            delivery: Delivery::Email,
            mail: vec![],
            contact: None,
        };
        let m = mail("Approvals", &n, "ana@example.com");
        assert_eq!(m.subject, "[Approvals] Ticket T-1 waits for you");
        assert_eq!(
            m.text,
            "Ticket T-1 waits for you\nsecond line\n\nT-1\nApprove it\nOpen: https://crm.example.com/t/T-1"
        );
        let long = Notify {
            text: "x".repeat(300),
            ..n
        };
        assert_eq!(mail("A", &long, "a@b.co").subject.chars().count(), 140);
    }
}
