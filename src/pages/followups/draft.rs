//! The wizard's form as text fields, and its conversions to and from a spec: each HTTP
//! call as a [`CallDraft`], attributes as `name = path` lines, a card's buttons as
//! `Label | https://…` or `Label | action:name` lines, numbers as typed. Pure, so that
//! the conversions are tested natively.

use agentdesk_protocol::followup::{
    Attribute, Card, CardButton, Channel, ContactLink, FollowUp, FollowUpSpec, Message, Problem,
    RECORD_TYPE_JSON, RecipientLookup, Recipients,
};

use super::call::CallDraft;

/// What the wizard edits: the whole spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: Option<i64>,
    pub name: String,
    pub active: bool,
    pub poll: String,
    /// The integration calls, in order (at least one).
    pub calls: Vec<CallDraft>,
    pub attributes: String,
    pub looping: String,
    pub record_id: String,
    pub user: String,
    pub team: String,
    /// The recipients' further call, and where its answer names a user and a group.
    pub lookup: Option<CallDraft>,
    pub lookup_user: String,
    pub lookup_team: String,
    pub link_team: String,
    pub link_phone: String,
    pub link_email: String,
    pub link_external: String,
    pub message: String,
    pub card_title: String,
    pub card_text: String,
    pub card_image: String,
    pub card_buttons: String,
    /// Calls the card's buttons may make.
    pub actions: Vec<CallDraft>,
    pub channel: String,
    pub webhook_url: String,
    pub notify: String,
    pub attempts: String,
}

/// The wizard's step (1–5) that holds a field the rules refused.
pub fn step_of(field: &str) -> u8 {
    let head = field.split(['.', '[']).next().unwrap_or(field);
    match head {
        "name" | "active" => 1,
        "recipients" | "contact" => 3,
        "message" | "channel" | "webhook_url" | "actions" => 4,
        "notify_minutes" | "attempts" => 5,
        _ => 2,
    }
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn number(field: &str, s: &str) -> Result<u32, Problem> {
    s.trim().parse().map_err(|_| {
        (
            field.to_string(),
            format!("`{}` is not a whole number", s.trim()),
        )
    })
}

/// The non-blank lines of `text` as trimmed `name <sep> value` pairs; a line without
/// `sep` is refused under `field(line index)` with `hint`.
pub(super) fn pairs(
    text: &str,
    sep: char,
    field: impl Fn(usize) -> String,
    hint: &str,
) -> Result<Vec<(String, String)>, Problem> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(sep) else {
            return Err((field(i), hint.to_string()));
        };
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(out)
}

/// What a button line says after its `|`: an action, or a URL.
const ACTION_PREFIX: &str = "action:";

fn button_line(b: &CardButton) -> String {
    match &b.action {
        Some(a) => format!("{} | {ACTION_PREFIX}{a}", b.label),
        None => format!("{} | {}", b.label, b.url),
    }
}

fn parse_buttons(text: &str) -> Result<Vec<CardButton>, Problem> {
    let mut out = Vec::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let Some((label, target)) = line.split_once('|') else {
            return Err((
                format!("message.card.buttons[{i}].label"),
                "write a button as `Label | https://…` or `Label | action:name`".into(),
            ));
        };
        let target = target.trim();
        let (url, action) = match target.strip_prefix(ACTION_PREFIX) {
            Some(a) => (String::new(), Some(a.trim().to_string())),
            None => (target.to_string(), None),
        };
        out.push(CardButton {
            label: label.trim().to_string(),
            url,
            action,
        });
    }
    Ok(out)
}

impl Draft {
    pub fn new() -> Draft {
        Draft {
            id: None,
            name: String::new(),
            active: true,
            poll: "10".into(),
            calls: vec![CallDraft::new("records")],
            attributes: String::new(),
            looping: "$.items".into(),
            record_id: "$.id".into(),
            user: String::new(),
            team: String::new(),
            lookup: None,
            lookup_user: String::new(),
            lookup_team: String::new(),
            link_team: String::new(),
            link_phone: String::new(),
            link_email: String::new(),
            link_external: String::new(),
            message: String::new(),
            card_title: String::new(),
            card_text: String::new(),
            card_image: String::new(),
            card_buttons: String::new(),
            actions: Vec::new(),
            channel: "in_app".into(),
            webhook_url: String::new(),
            notify: "60".into(),
            attempts: "3".into(),
        }
    }

    /// A stored follow-up, to edit (its secrets come back empty: left empty, kept).
    pub fn from_followup(f: &FollowUp) -> Draft {
        let s = &f.spec;
        let link = s.contact.clone().unwrap_or_default();
        let card = s.message.card.clone().unwrap_or_default();
        let lookup = s.recipients.lookup.as_ref();
        let mut calls: Vec<CallDraft> = s.calls.iter().map(CallDraft::from_call).collect();
        if calls.is_empty() {
            calls.push(CallDraft::new("records"));
        }
        Draft {
            id: Some(f.id),
            name: s.name.clone(),
            active: s.active,
            poll: s.poll_minutes.to_string(),
            calls,
            attributes: s
                .attributes
                .iter()
                .map(|a| format!("{} = {}", a.name, a.path))
                .collect::<Vec<_>>()
                .join("\n"),
            looping: s.looping.clone(),
            record_id: s.record_id.clone(),
            user: s.recipients.user.clone().unwrap_or_default(),
            team: s.recipients.team.clone().unwrap_or_default(),
            lookup: lookup.map(|l| CallDraft::from_call(&l.call)),
            lookup_user: lookup.and_then(|l| l.user.clone()).unwrap_or_default(),
            lookup_team: lookup.and_then(|l| l.team.clone()).unwrap_or_default(),
            link_team: s
                .contact
                .as_ref()
                .map(|l| l.team_id.to_string())
                .unwrap_or_default(),
            link_phone: link.phone.unwrap_or_default(),
            link_email: link.email.unwrap_or_default(),
            link_external: link.external_id.unwrap_or_default(),
            message: s.message.text.clone(),
            card_title: card.title,
            card_text: card.text,
            card_image: card.image_url.unwrap_or_default(),
            card_buttons: card
                .buttons
                .iter()
                .map(button_line)
                .collect::<Vec<_>>()
                .join("\n"),
            actions: s.actions.iter().map(CallDraft::from_call).collect(),
            channel: match s.channel {
                Channel::InApp => "in_app".into(),
                Channel::Webhook => "webhook".into(),
                Channel::Email => "email".into(),
                Channel::LastUsed => "last_used".into(),
            },
            webhook_url: s.webhook_url.clone().unwrap_or_default(),
            notify: s.notify_minutes.to_string(),
            attempts: s.attempts.to_string(),
        }
    }

    /// The card, if any of its fields is filled.
    fn card(&self) -> Result<Option<Card>, Problem> {
        let buttons = parse_buttons(&self.card_buttons)?;
        let image_url = opt(&self.card_image);
        if self.card_title.trim().is_empty()
            && self.card_text.trim().is_empty()
            && image_url.is_none()
            && buttons.is_empty()
        {
            return Ok(None);
        }
        Ok(Some(Card {
            title: self.card_title.trim().to_string(),
            text: self.card_text.trim().to_string(),
            image_url,
            buttons,
        }))
    }

    /// The spec, checked by the server's rules; or the first problem, by field.
    pub fn to_spec(&self) -> Result<FollowUpSpec, Problem> {
        let attributes = pairs(
            &self.attributes,
            '=',
            |i| format!("attributes[{i}].name"),
            "write an attribute as `name = path`",
        )?
        .into_iter()
        .map(|(name, path)| Attribute { name, path })
        .collect();
        let contact = match self.link_team.trim() {
            "" => None,
            t => Some(ContactLink {
                team_id: t
                    .parse()
                    .map_err(|_| ("contact".to_string(), "pick a team".to_string()))?,
                external_id: opt(&self.link_external),
                phone: opt(&self.link_phone),
                email: opt(&self.link_email),
            }),
        };
        let calls = self
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| c.to_call(&format!("calls[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let actions = self
            .actions
            .iter()
            .enumerate()
            .map(|(i, c)| c.to_call(&format!("actions[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let lookup = match &self.lookup {
            Some(c) => Some(RecipientLookup {
                call: c.to_call("recipients.lookup.call")?,
                user: opt(&self.lookup_user),
                team: opt(&self.lookup_team),
            }),
            None => None,
        };
        let spec = FollowUpSpec {
            name: self.name.trim().to_string(),
            active: self.active,
            poll_minutes: number("poll_minutes", &self.poll)?,
            calls,
            attributes,
            looping: self.looping.trim().to_string(),
            record_id: self.record_id.trim().to_string(),
            actions,
            record_type: RECORD_TYPE_JSON.into(),
            recipients: Recipients {
                user: opt(&self.user),
                team: opt(&self.team),
                lookup,
            },
            contact,
            message: Message {
                text: self.message.clone(),
                card: self.card()?,
            },
            channel: match self.channel.as_str() {
                "webhook" => Channel::Webhook,
                "email" => Channel::Email,
                "last_used" => Channel::LastUsed,
                _ => Channel::InApp,
            },
            webhook_url: opt(&self.webhook_url),
            notify_minutes: number("notify_minutes", &self.notify)?,
            attempts: number("attempts", &self.attempts)?,
        };
        spec.check()?;
        Ok(spec)
    }
}

impl Default for Draft {
    fn default() -> Self {
        Draft::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentdesk_protocol::followup::{HttpMethod, IntegrationCall};

    fn filled() -> Draft {
        let mut call = CallDraft::new("records");
        call.url = "https://itsm.example.com/api/tickets".into();
        call.headers = "Authorization: Bearer x".into();
        Draft {
            name: "Pending approval".into(),
            calls: vec![call],
            attributes: "number = $.number\napprover = /approver/login".into(),
            looping: "$.data.items".into(),
            record_id: "/number".into(),
            user: "approver".into(),
            message: "Ticket {{number}} waits for you".into(),
            ..Draft::new()
        }
    }

    fn shown(spec: FollowUpSpec) -> FollowUp {
        FollowUp {
            id: 7,
            spec,
            needs_secrets: false,
            next_poll_at: None,
            updated_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            last_run: None,
        }
    }

    #[test]
    fn a_filled_draft_is_a_valid_spec_and_comes_back_the_same() {
        let mut spec = filled().to_spec().expect("valid");
        // Everything the wizard edits beyond one call: a second call, a card with a link
        // and an action, the action, the recipients' call.
        spec.calls.push(IntegrationCall {
            name: "owner".into(),
            method: HttpMethod::Get,
            url: "https://itsm.example.com/api/owners/{{records./data/items/0/number}}".into(),
            headers: Vec::new(),
            body: None,
        });
        spec.actions.push(IntegrationCall {
            name: "approve".into(),
            method: HttpMethod::Post,
            url: "https://itsm.example.com/api/tickets/{{number}}/approve".into(),
            headers: Vec::new(),
            body: Some(serde_json::json!({ "by": "{{approver}}" })),
        });
        spec.message.card = Some(Card {
            title: "Ticket {{number}}".into(),
            text: "Waiting".into(),
            image_url: Some("https://itsm.example.com/logo.png".into()),
            buttons: vec![
                CardButton {
                    label: "Open".into(),
                    url: "https://itsm.example.com/t/{{number}}".into(),
                    action: None,
                },
                CardButton {
                    label: "Approve".into(),
                    url: String::new(),
                    action: Some("approve".into()),
                },
            ],
        });
        spec.recipients.lookup = Some(RecipientLookup {
            call: IntegrationCall {
                name: "who".into(),
                method: HttpMethod::Get,
                url: "https://crm.example.com/owners/{{number}}".into(),
                headers: Vec::new(),
                body: None,
            },
            user: Some("/login".into()),
            team: None,
        });
        spec.check().expect("still valid");
        assert!(spec.calls[0].headers[0].secret);
        let back = Draft::from_followup(&shown(spec.without_secrets()));
        assert_eq!(
            back.calls[0].headers, "Authorization: ",
            "the secret is not shown"
        );
        assert_eq!(
            back.card_buttons.lines().nth(1),
            Some("Approve | action:approve")
        );
        let again = back.to_spec().expect("valid");
        assert_eq!(again.calls[1], spec.calls[1]);
        assert_eq!(again.actions, spec.actions);
        assert_eq!(again.message.card, spec.message.card);
        assert_eq!(again.recipients, spec.recipients);
        assert_eq!(
            again.calls[0].headers[0].value, None,
            "left empty: kept by the server"
        );
        assert_eq!(again.attributes, spec.attributes);
    }

    #[test]
    fn every_channel_comes_back_as_chosen() {
        for channel in [
            Channel::InApp,
            Channel::Webhook,
            Channel::Email,
            Channel::LastUsed,
        ] {
            let mut spec = filled().to_spec().expect("valid");
            spec.channel = channel;
            let mut back = Draft::from_followup(&shown(spec));
            back.webhook_url = "https://hooks.example.com/x".into();
            assert_eq!(back.to_spec().expect("valid").channel, channel);
        }
    }

    #[test]
    fn bad_input_names_its_field_and_step() {
        type Change = fn(&mut Draft);
        let cases: [(Change, &str, u8); 11] = [
            (|d| d.poll = "ten".into(), "poll_minutes", 2),
            (|d| d.poll = "9".into(), "poll_minutes", 2),
            (|d| d.attempts = "11".into(), "attempts", 5),
            (|d| d.calls[0].body = "{nope".into(), "calls[0].body", 2),
            (
                |d| d.attributes = "number $.n".into(),
                "attributes[0].name",
                2,
            ),
            (|d| d.user = "manager".into(), "recipients.user", 3),
            (
                |d| d.card_buttons = "Approve action:approve".into(),
                "message.card.buttons[0].label",
                4,
            ),
            (
                |d| {
                    d.card_title = "T".into();
                    d.card_buttons = "Approve | action:nope".into();
                },
                "message.card.buttons[0].action",
                4,
            ),
            (
                |d| d.card_buttons = "Open | https://x.example".into(),
                "message.card.title",
                4,
            ),
            (
                |d| {
                    let mut a = CallDraft::new("approve");
                    a.url = "https://x.example/{{missing}}".into();
                    d.actions.push(a);
                },
                "actions[0].url",
                4,
            ),
            (
                |d| {
                    d.lookup = Some(CallDraft::new("who"));
                    d.lookup.as_mut().unwrap().url = "https://crm.example/{{number}}".into();
                },
                "recipients.lookup",
                3,
            ),
        ];
        for (change, field, step) in cases {
            let mut d = filled();
            change(&mut d);
            let (f, _) = d.to_spec().expect_err(field);
            assert_eq!(f, field);
            assert_eq!(step_of(&f), step);
        }
    }
}
