//! RFC 5322 messages (with MIME) into what the timeline keeps: subject, sender,
//! recipients, snippet, text body, attachment names, Message-ID and date.

use std::collections::BTreeMap;

use agentdesk_protocol::{ActivityDetail, Attributes, CustomerRef, Direction, EmailStatus};
use chrono::{DateTime, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// Longest stored body, in characters (the rest of a huge message is not timeline text).
const MAX_BODY_CHARS: usize = 200_000;
const SNIPPET_CHARS: usize = 160;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEmail {
    /// `<id@host>` as in the header, or `sha256:…` of the raw bytes when it has none.
    pub message_id: String,
    pub subject: String,
    /// `Name <address>` (or just the address).
    pub sender: String,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub date: Option<DateTime<Utc>>,
    pub text: String,
    pub snippet: String,
    pub attachments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the message is empty")]
    Empty,
    #[error("not an RFC 5322 message: no header fields")]
    NotAMessage,
    #[error("the message has no sender (From)")]
    NoSender,
}

/// What an email's source says about it besides its bytes.
pub struct Envelope<'a> {
    pub team_id: i64,
    pub direction: Direction,
    /// Outbound only (sent when not given); inbound mail has none.
    pub status: Option<EmailStatus>,
    pub customer: &'a CustomerRef,
    pub conversation_id: Option<String>,
    pub attributes: &'a Attributes,
}

/// A parsed message as an interaction for the one write path, keyed by its Message-ID.
/// Used by the ingest API and the IMAP mailbox connector alike.
pub fn interaction(
    m: &ParsedEmail,
    env: &Envelope<'_>,
    defs: &BTreeMap<String, (String, String)>,
    region: &str,
) -> crate::store::ingest::NewInteraction {
    let status = match env.direction {
        Direction::Inbound => None,
        Direction::Outbound => Some(env.status.unwrap_or(EmailStatus::Sent)),
    };
    // The customer is the sender of inbound mail and the recipients of outbound mail.
    let counterparts: Vec<&str> = match env.direction {
        Direction::Inbound => m.from_address.iter().map(String::as_str).collect(),
        Direction::Outbound => m.to.iter().map(String::as_str).collect(),
    };
    let fallback = match env.direction {
        Direction::Inbound => m.from_name.clone().unwrap_or_default(),
        Direction::Outbound => String::new(),
    };
    let mut body_text = m.text.clone();
    if !m.attachments.is_empty() {
        body_text.push_str(&format!("\n\n[{}]", m.attachments.join(", ")));
    }
    let parts = super::Parts {
        source: "email",
        source_key: m.message_id.clone(),
        team_id: env.team_id,
        customer: env.customer,
        counterparts,
        fallback_name: &fallback,
        conversation_id: env.conversation_id.clone(),
        attributes: env.attributes,
        defs,
        region,
        user_id: None,
        occurred_at: m.date.unwrap_or_else(crate::clock::now),
    };
    parts.build(
        ActivityDetail::Email {
            direction: env.direction,
            status,
            content: None,
        },
        Some(crate::store::NewEmail {
            message_id: Some(m.message_id.clone()),
            subject: m.subject.clone(),
            sender: m.sender.clone(),
            snippet: m.snippet.clone(),
            body: body_text,
        }),
    )
}

/// Collapse whitespace and strip tags, for HTML-only mail.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn parse(raw: &[u8]) -> Result<ParsedEmail, EmailError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(EmailError::Empty);
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or(EmailError::NotAMessage)?;
    // The parser accepts any bytes as a body; a message needs header fields.
    if msg.headers().is_empty()
        || msg.from().is_none() && msg.subject().is_none() && msg.message_id().is_none()
    {
        return Err(EmailError::NotAMessage);
    }
    let from = msg.from().and_then(|a| a.first());
    let from_address = from.and_then(|a| a.address()).map(str::to_owned);
    let from_name = from
        .and_then(|a| a.name())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if from_address.is_none() {
        return Err(EmailError::NoSender);
    }
    let sender = match (&from_name, &from_address) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (None, Some(a)) => a.clone(),
        _ => String::new(),
    };
    let to = msg
        .to()
        .map(|a| {
            a.iter()
                .filter_map(|a| a.address())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let text = match msg.body_text(0) {
        Some(t) => t.into_owned(),
        None => msg
            .body_html(0)
            .map(|h| html_to_text(&h))
            .unwrap_or_default(),
    };
    let text: String = text.trim().chars().take(MAX_BODY_CHARS).collect();
    let snippet: String = squash(&text).chars().take(SNIPPET_CHARS).collect();
    let attachments = msg
        .attachments()
        .map(|a| a.attachment_name().unwrap_or("attachment").to_owned())
        .collect();
    let message_id = match msg.message_id() {
        Some(id) if !id.trim().is_empty() => format!("<{}>", id.trim()),
        _ => format!("sha256:{}", hex::encode(Sha256::digest(raw))),
    };
    let date = msg
        .date()
        .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
    Ok(ParsedEmail {
        message_id,
        subject: squash(msg.subject().unwrap_or("")),
        sender,
        from_address,
        from_name,
        to,
        date,
        text,
        snippet,
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/email")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn a_multipart_message_with_a_comma_in_the_sender_name() {
        let m = parse(&fixture("02-inbound-multipart.eml")).unwrap();
        assert_eq!(m.subject, "Quote for 50 seats");
        assert_eq!(m.from_name.as_deref(), Some("Smith, John"));
        assert_eq!(m.from_address.as_deref(), Some("john.smith@example.com"));
        assert_eq!(m.message_id, "<quote-50@example.com>");
        assert_eq!(m.to, vec!["sales@agentdesk.example"]);
        assert!(m.text.starts_with("Hi team,"), "{}", m.text);
        assert_eq!(
            m.snippet,
            "Hi team, Could you send a quote for 50 seats? John"
        );
        assert_eq!(m.date.unwrap().to_rfc3339(), "2026-03-02T17:15:00+00:00");
    }

    #[test]
    fn encoded_words_html_only_bodies_attachments_and_missing_ids() {
        let raw = "From: =?ISO-8859-1?Q?Jos=E9_P=E9rez?= <jose@example.com>\r\n\
To: soporte@agentdesk.example\r\n\
Subject: =?UTF-8?B?w5NyZGVuIGRlIGNvbXByYQ==?=\r\n\
X-Folded: a\r\n\
 b\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Adjunto la <b>factura</b>&nbsp;de mayo</p>\r\n\
--b\r\n\
Content-Type: application/pdf; name=\"factura.pdf\"\r\n\
Content-Disposition: attachment; filename=\"factura.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--b--\r\n";
        let m = parse(raw.as_bytes()).unwrap();
        assert_eq!(m.from_name.as_deref(), Some("José Pérez"));
        assert_eq!(m.subject, "Órden de compra");
        assert!(m.text.contains("factura"), "{}", m.text);
        assert!(!m.text.contains('<'));
        assert_eq!(m.attachments, vec!["factura.pdf"]);
        assert!(m.message_id.starts_with("sha256:"));
        assert_eq!(
            parse(raw.as_bytes()).unwrap().message_id,
            m.message_id,
            "stable"
        );
    }

    #[test]
    fn bytes_that_are_no_email_are_refused() {
        assert_eq!(parse(b"   "), Err(EmailError::Empty));
        assert!(parse(b"\x00\x01\x02 just bytes").is_err());
        assert_eq!(
            parse(b"Subject: hi\r\n\r\nno sender"),
            Err(EmailError::NoSender)
        );
    }
}
