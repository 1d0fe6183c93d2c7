//! The wizard's form as text fields, and its conversions to and from a spec: headers as
//! `Name: value` lines, attributes as `name = path` lines, numbers as typed. Pure, so
//! that the conversions are tested natively.

use agentdesk_protocol::followup::{
    Attribute, Card, Channel, ContactLink, FollowUp, FollowUpSpec, Header, HttpMethod,
    IntegrationCall, Message, Problem, RECORD_TYPE_JSON, Recipients,
};

/// What the wizard edits: the first integration call; later calls and a message card
/// (set through the API) are kept as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: Option<i64>,
    pub call_name: String,
    pub more_calls: Vec<IntegrationCall>,
    pub card: Option<Card>,
    pub name: String,
    pub active: bool,
    pub poll: String,
    pub method: String,
    pub url: String,
    pub headers: String,
    /// The headers' values are secrets (write-only).
    pub secret: bool,
    pub body: String,
    pub attributes: String,
    pub looping: String,
    pub record_id: String,
    pub user: String,
    pub team: String,
    pub link_team: String,
    pub link_phone: String,
    pub link_email: String,
    pub link_external: String,
    pub message: String,
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
        "message" | "channel" | "webhook_url" => 4,
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

impl Draft {
    pub fn new() -> Draft {
        Draft {
            id: None,
            call_name: "records".into(),
            more_calls: Vec::new(),
            card: None,
            name: String::new(),
            active: true,
            poll: "10".into(),
            method: "GET".into(),
            url: "https://".into(),
            headers: String::new(),
            secret: true,
            body: String::new(),
            attributes: String::new(),
            looping: "$.items".into(),
            record_id: "$.id".into(),
            user: String::new(),
            team: String::new(),
            link_team: String::new(),
            link_phone: String::new(),
            link_email: String::new(),
            link_external: String::new(),
            message: String::new(),
            channel: "in_app".into(),
            webhook_url: String::new(),
            notify: "60".into(),
            attempts: "3".into(),
        }
    }

    /// A stored follow-up, to edit (its secrets come back empty: left empty, kept).
    pub fn from_followup(f: &FollowUp) -> Draft {
        let s = &f.spec;
        let call = s.calls.first();
        let headers = call
            .map(|c| {
                c.headers
                    .iter()
                    .map(|h| format!("{}: {}", h.name, h.value.clone().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        let link = s.contact.clone().unwrap_or_default();
        Draft {
            id: Some(f.id),
            call_name: call.map_or_else(|| "records".into(), |c| c.name.clone()),
            more_calls: s.calls.iter().skip(1).cloned().collect(),
            card: s.message.card.clone(),
            name: s.name.clone(),
            active: s.active,
            poll: s.poll_minutes.to_string(),
            method: match call.map(|c| c.method) {
                Some(HttpMethod::Post) => "POST".into(),
                _ => "GET".into(),
            },
            url: call.map(|c| c.url.clone()).unwrap_or_default(),
            headers,
            secret: call.is_some_and(|c| c.headers.iter().any(|h| h.secret)),
            body: call
                .and_then(|c| c.body.as_ref())
                .map(|b| serde_json::to_string_pretty(b).unwrap_or_default())
                .unwrap_or_default(),
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
            link_team: s
                .contact
                .as_ref()
                .map(|l| l.team_id.to_string())
                .unwrap_or_default(),
            link_phone: link.phone.unwrap_or_default(),
            link_email: link.email.unwrap_or_default(),
            link_external: link.external_id.unwrap_or_default(),
            message: s.message.text.clone(),
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

    /// The spec, checked by the server's rules; or the first problem, by field.
    pub fn to_spec(&self) -> Result<FollowUpSpec, Problem> {
        let mut headers = Vec::new();
        for (i, line) in self.headers.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err((
                    format!("calls[0].headers[{i}].name"),
                    "write a header as `Name: value`".into(),
                ));
            };
            headers.push(Header {
                name: name.trim().to_string(),
                // A secret left empty keeps the stored value.
                value: if self.secret {
                    opt(value)
                } else {
                    Some(value.trim().to_string())
                },
                secret: self.secret,
            });
        }
        let body = match self.body.trim() {
            "" => None,
            b => Some(
                serde_json::from_str(b)
                    .map_err(|e| ("calls[0].body".to_string(), format!("not JSON: {e}")))?,
            ),
        };
        let mut attributes = Vec::new();
        for (i, line) in self.attributes.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((name, path)) = line.split_once('=') else {
                return Err((
                    format!("attributes[{i}].name"),
                    "write an attribute as `name = path`".into(),
                ));
            };
            attributes.push(Attribute {
                name: name.trim().to_string(),
                path: path.trim().to_string(),
            });
        }
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
        let spec = FollowUpSpec {
            name: self.name.trim().to_string(),
            active: self.active,
            poll_minutes: number("poll_minutes", &self.poll)?,
            calls: std::iter::once(IntegrationCall {
                name: self.call_name.clone(),
                method: if self.method == "POST" {
                    HttpMethod::Post
                } else {
                    HttpMethod::Get
                },
                url: self.url.trim().to_string(),
                headers,
                body,
            })
            .chain(self.more_calls.iter().cloned())
            .collect(),
            attributes,
            looping: self.looping.trim().to_string(),
            record_id: self.record_id.trim().to_string(),
            record_type: RECORD_TYPE_JSON.into(),
            recipients: Recipients {
                user: opt(&self.user),
                team: opt(&self.team),
            },
            contact,
            message: Message {
                text: self.message.clone(),
                card: self.card.clone(),
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

    fn filled() -> Draft {
        Draft {
            name: "Pending approval".into(),
            url: "https://itsm.example.com/api/tickets".into(),
            headers: "Authorization: Bearer x".into(),
            attributes: "number = $.number\napprover = /approver/login".into(),
            looping: "$.data.items".into(),
            record_id: "/number".into(),
            user: "approver".into(),
            message: "Ticket {{number}} waits for you".into(),
            ..Draft::new()
        }
    }

    #[test]
    fn a_filled_draft_is_a_valid_spec_and_comes_back_the_same() {
        let mut spec = filled().to_spec().expect("valid");
        // What only the API sets: a second call, a card. Kept through the wizard.
        spec.calls.push(IntegrationCall {
            name: "owner".into(),
            method: HttpMethod::Get,
            url: "https://itsm.example.com/api/owners/{{records./data/items/0/number}}".into(),
            headers: Vec::new(),
            body: None,
        });
        spec.message.card = Some(Card {
            title: "Ticket {{number}}".into(),
            ..Card::default()
        });
        spec.check().expect("still valid");
        assert_eq!(spec.attributes[1].path, "/approver/login");
        assert!(spec.calls[0].headers[0].secret);
        let shown = FollowUp {
            id: 7,
            spec: spec.without_secrets(),
            needs_secrets: false,
            next_poll_at: None,
            updated_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            last_run: None,
        };
        let back = Draft::from_followup(&shown);
        assert_eq!(back.headers, "Authorization: ", "the secret is not shown");
        let again = back.to_spec().expect("valid");
        assert_eq!(again.calls[1], spec.calls[1]);
        assert_eq!(again.message.card, spec.message.card);
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
            let shown = FollowUp {
                id: 1,
                spec,
                needs_secrets: false,
                next_poll_at: None,
                updated_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
                last_run: None,
            };
            let mut back = Draft::from_followup(&shown);
            back.webhook_url = "https://hooks.example.com/x".into();
            assert_eq!(back.to_spec().expect("valid").channel, channel);
        }
    }

    #[test]
    fn bad_input_names_its_field_and_step() {
        type Change = fn(&mut Draft);
        let cases: [(Change, &str, u8); 6] = [
            (|d| d.poll = "ten".into(), "poll_minutes", 2),
            (|d| d.poll = "9".into(), "poll_minutes", 2),
            (|d| d.attempts = "11".into(), "attempts", 5),
            (|d| d.body = "{nope".into(), "calls[0].body", 2),
            (
                |d| d.attributes = "number $.n".into(),
                "attributes[0].name",
                2,
            ),
            (|d| d.user = "manager".into(), "recipients.user", 3),
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
