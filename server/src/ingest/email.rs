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
    pub attachments: Vec<agentdesk_protocol::Attachment>,
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
    // The names stay searchable with the text; the list (name, type, size) is shown.
    let mut body_text = m.text.clone();
    if !m.attachments.is_empty() {
        let names: Vec<&str> = m.attachments.iter().map(|a| a.name.as_str()).collect();
        body_text.push_str(&format!("\n\n[{}]", names.join(", ")));
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
            attachments: m.attachments.clone(),
        }),
    )
}

/// The text of an HTML-only message, keeping word boundaries: block elements, `<br>` and
/// table rows become line breaks, cells and list items spaces, inline tags nothing
/// (`<b>fac</b>tura` is one word); `<script>`, `<style>` and `<head>` are dropped;
/// entities, named and numeric, are decoded.
pub fn html_to_text(html: &str) -> String {
    const BLOCK: &[&str] = &[
        "p",
        "div",
        "br",
        "tr",
        "li",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "dl",
        "dt",
        "dd",
        "title",
        "body",
        "html",
    ];
    const CELL: &[&str] = &["td", "th"];
    const SKIP: &[&str] = &["script", "style", "head"];
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let after = &rest[lt + 1..];
        // A comment runs to `-->`.
        if let Some(c) = after.strip_prefix("!--") {
            rest = c.find("-->").map(|e| &c[e + 3..]).unwrap_or("");
            continue;
        }
        let Some(gt) = after.find('>') else {
            // A lone `<`: text.
            out.push('<');
            rest = after;
            continue;
        };
        let tag = &after[..gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        rest = &after[gt + 1..];
        if SKIP.contains(&name.as_str()) && !tag.starts_with('/') && !tag.ends_with('/') {
            let close = format!("</{name}");
            rest = match rest.to_ascii_lowercase().find(&close) {
                Some(i) => rest[i..]
                    .find('>')
                    .map(|e| &rest[i + e + 1..])
                    .unwrap_or(""),
                None => "",
            };
        } else if BLOCK.contains(&name.as_str()) {
            out.push('\n');
        } else if CELL.contains(&name.as_str()) {
            out.push(' ');
        }
    }
    out.push_str(&decode_entities(rest));
    // Tidy: spaces collapsed within lines, at most one empty line in a row.
    let mut tidy = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        let line = squash(line);
        if line.is_empty() {
            blank += 1;
            if blank > 1 || tidy.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        tidy.push_str(&line);
        tidy.push('\n');
    }
    tidy.trim().to_string()
}

/// `&amp;`, `&aacute;`, `&#233;`, `&#xE9;` … as characters; unknown entities stay.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&e| e <= 10).and_then(|e| {
            let name = &after[..e];
            let c = if let Some(num) = name.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse().ok(),
                };
                n.and_then(char::from_u32)
            } else {
                named_entity(name)
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "aacute" => 'á',
        "eacute" => 'é',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "Aacute" => 'Á',
        "Eacute" => 'É',
        "Iacute" => 'Í',
        "Oacute" => 'Ó',
        "Uacute" => 'Ú',
        "ntilde" => 'ñ',
        "Ntilde" => 'Ñ',
        "uuml" => 'ü',
        "Uuml" => 'Ü',
        "ccedil" => 'ç',
        "Ccedil" => 'Ç',
        "agrave" => 'à',
        "egrave" => 'è',
        "ograve" => 'ò',
        "atilde" => 'ã',
        "otilde" => 'õ',
        "acirc" => 'â',
        "ecirc" => 'ê',
        "ocirc" => 'ô',
        "iexcl" => '¡',
        "iquest" => '¿',
        "ordf" => 'ª',
        "ordm" => 'º',
        "deg" => '°',
        "euro" => '€',
        "laquo" => '«',
        "raquo" => '»',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "middot" => '·',
        "bull" => '•',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        _ => return None,
    })
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The key of a message without a Message-ID: what re-delivery does not change — the
/// date, sender, recipients (any order, any case), subject and body text with its
/// whitespace collapsed — so line-end changes and added `Received:` headers find the
/// same message, and a different message never does.
fn content_key(
    date: Option<DateTime<Utc>>,
    from: Option<&str>,
    to: &[String],
    subject: &str,
    text: &str,
) -> String {
    let mut to: Vec<String> = to.iter().map(|a| a.trim().to_ascii_lowercase()).collect();
    to.sort();
    let fields = [
        date.map(|d| d.timestamp().to_string()).unwrap_or_default(),
        from.unwrap_or("").trim().to_ascii_lowercase(),
        to.join(","),
        squash(subject),
        squash(text),
    ];
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(fields.join("\u{1f}").as_bytes()))
    )
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
    let to: Vec<String> = msg
        .to()
        .map(|a| {
            a.iter()
                .filter_map(|a| a.address())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    // An HTML-only message is converted here, not by the parser (whose conversion joins
    // words across block elements): its words must stay searchable one by one.
    let text = match msg.text_part(0).map(|p| &p.body) {
        Some(mail_parser::PartType::Html(html)) => html_to_text(html),
        _ => match msg.body_text(0) {
            Some(t) => t.into_owned(),
            None => msg
                .body_html(0)
                .map(|h| html_to_text(&h))
                .unwrap_or_default(),
        },
    };
    let text: String = text.trim().chars().take(MAX_BODY_CHARS).collect();
    let snippet: String = squash(&text).chars().take(SNIPPET_CHARS).collect();
    let attachments = msg
        .attachments()
        .map(|a| agentdesk_protocol::Attachment {
            name: a.attachment_name().unwrap_or("attachment").to_owned(),
            content_type: a
                .content_type()
                .map(|t| match t.subtype() {
                    Some(sub) => format!("{}/{sub}", t.ctype()),
                    None => t.ctype().to_owned(),
                })
                .unwrap_or_else(|| "application/octet-stream".into())
                .to_ascii_lowercase(),
            size: a.contents().len() as u64,
        })
        .collect();
    let date = msg
        .date()
        .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
    let subject = squash(msg.subject().unwrap_or(""));
    let message_id = match msg.message_id() {
        Some(id) if !id.trim().is_empty() => format!("<{}>", id.trim()),
        _ => content_key(date, from_address.as_deref(), &to, &subject, &text),
    };
    Ok(ParsedEmail {
        message_id,
        subject,
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
        assert_eq!(
            m.attachments,
            vec![agentdesk_protocol::Attachment {
                name: "factura.pdf".into(),
                content_type: "application/pdf".into(),
                size: 9,
            }]
        );
        assert_eq!(m.text, "Adjunto la factura de mayo");
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

    #[test]
    fn html_only_text_keeps_word_boundaries_and_decodes_entities() {
        let html = "<html><head><title>t</title><style>p{color:red}</style></head><body>\
            <p>Factura</p><p>pendiente</p>uno<br>dos<br/>tres\
            <table><tr><td>celda</td><td>otra</td></tr></table>\
            <script>var x = 1;</script><!-- nota -->\
            <div>Informaci&oacute;n &#233;xito &#xE9;poca &amp;amp; &unknown; a &lt; b</div>\
            <p>Adjunto la <b>fac</b>tura&nbsp;de mayo</p></body></html>";
        assert_eq!(
            html_to_text(html),
            "Factura\n\npendiente\nuno\ndos\ntres\n\ncelda otra\n\n\
             Información éxito época &amp; &unknown; a < b\n\nAdjunto la factura de mayo"
        );
        let words: Vec<String> = agentdesk_protocol::text::words(&html_to_text(html)).collect();
        for w in [
            "factura",
            "pendiente",
            "uno",
            "dos",
            "celda",
            "otra",
            "informacion",
        ] {
            assert!(words.iter().any(|x| x == w), "{w} in {words:?}");
        }
        assert!(
            !words.iter().any(|x| x == "color" || x == "var"),
            "{words:?}"
        );
    }

    #[test]
    fn a_message_without_message_id_is_the_same_message_when_delivered_again() {
        let lf = "From: Ana <ana@example.com>\nTo: b@example.com, C@Example.com\n\
                  Subject: Hola  mundo\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n\n\
                  Primera línea\nsegunda\n";
        let crlf = lf.replace('\n', "\r\n");
        let relayed = format!(
            "Received: from mx.example.com by mail.example.com; Mon, 2 Mar 2026 10:00:05 +0000\r\n\
             Received: from relay; Mon, 2 Mar 2026 10:00:03 +0000\r\n{crlf}"
        );
        let reordered = lf.replace(
            "b@example.com, C@Example.com",
            "c@example.com, b@example.com",
        );
        let key = parse(lf.as_bytes()).unwrap().message_id;
        assert!(key.starts_with("sha256:"));
        for other in [&crlf, &relayed, &reordered] {
            assert_eq!(
                parse(other.as_bytes()).unwrap().message_id,
                key,
                "{other:?}"
            );
        }
        let different = lf.replace("segunda", "tercera");
        assert_ne!(parse(different.as_bytes()).unwrap().message_id, key);
    }
}
