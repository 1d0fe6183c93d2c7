//! Delivery-status notifications (RFC 3464): the report a mail server sends back when a
//! message could not be delivered. One that reports a failure and names the original
//! message's `Message-ID` marks our outbound message failed instead of landing on a
//! timeline as customer mail (docs/email.md).

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// A failed delivery, as a report says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The undelivered message's `<id@host>`.
    pub message_id: String,
    /// The recipient and the server's words (`Diagnostic-Code`, else `Status`).
    pub reason: String,
    /// The recipient the report is about (`Final-Recipient`), when it names one.
    pub recipient: Option<String>,
    /// The report itself: its `Message-ID`, else `sha256:` of its bytes (a report is
    /// applied once, however often it is delivered).
    pub report_key: String,
}

/// The header field `name` of a line (`Name: value`, name without case), its value.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (n, v) = line.split_once(':')?;
    n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
}

/// The failure `raw` reports, if it is a delivery-status report of a failure that names
/// its original message; `None` for every other message (delays and successes too).
pub fn bounce(raw: &[u8]) -> Option<Bounce> {
    let msg = MessageParser::default().parse(raw)?;
    let ct = msg.content_type()?;
    let is_report = ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        && ct
            .attribute("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"));
    if !is_report {
        return None;
    }
    // The report's parts are plain text in practice (RFC 3464 asks for 7-bit): the
    // fields are read from the delivery-status part only, and the original's Message-ID
    // from the part after it (its headers), never from the human-readable text or the
    // report's own header.
    let text = String::from_utf8_lossy(raw);
    let lower = text.to_ascii_lowercase();
    let status_at = lower.find("message/delivery-status")?;
    let original_at = ["text/rfc822-headers", "message/rfc822"]
        .iter()
        .filter_map(|m| lower[status_at..].find(m).map(|i| status_at + i))
        .min()?;
    let (mut failed, mut recipient, mut diagnostic, mut status) = (false, None, None, None);
    for line in text[status_at..original_at].lines() {
        if field(line, "Action").is_some_and(|a| a.eq_ignore_ascii_case("failed")) {
            failed = true;
        }
        recipient = recipient.or(field(line, "Final-Recipient").map(str::to_owned));
        diagnostic = diagnostic.or(field(line, "Diagnostic-Code").map(str::to_owned));
        status = status.or(field(line, "Status").map(str::to_owned));
    }
    let original = text[original_at..].lines().find_map(|line| {
        field(line, "Message-ID")
            .filter(|v| v.starts_with('<') && v.ends_with('>'))
            .map(str::to_owned)
    });
    if !failed {
        return None;
    }
    let words = diagnostic.or(status.map(|s| format!("status {s}")))?;
    let to = recipient
        .map(|r| {
            r.split_once(';')
                .map_or(r.clone(), |(_, a)| a.trim().to_owned())
        })
        .filter(|a| !a.is_empty());
    let report_key = match msg.message_id() {
        Some(id) if !id.trim().is_empty() => format!("<{}>", id.trim()),
        _ => format!("sha256:{}", hex::encode(Sha256::digest(raw))),
    };
    Some(Bounce {
        message_id: original?,
        reason: match &to {
            Some(to) => format!("bounced by {to}'s server: {words}"),
            None => format!("bounced: {words}"),
        },
        recipient: to,
        report_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report as Postfix writes it, with `action` and the original's headers.
    pub(crate) fn report(action: &str) -> String {
        format!(
            "From: MAILER-DAEMON@mx.example.net\r\nTo: soporte@example.com\r\n\
Message-ID: <report-1@mx.example.net>\r\nSubject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n\
--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
Final-Recipient: rfc822; ana@example.com\r\nAction: {action}\r\nStatus: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <ana@example.com>: Recipient address rejected\r\n\
--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Soporte <soporte@example.com>\r\n\
To: ana@example.com\r\nMessage-ID: <orig-1@example.com>\r\nSubject: Hola\r\n--B--\r\n"
        )
    }

    #[test]
    fn a_failure_report_names_the_original_and_the_servers_words() {
        assert_eq!(
            bounce(report("failed").as_bytes()),
            Some(Bounce {
                message_id: "<orig-1@example.com>".into(),
                reason: "bounced by ana@example.com's server: smtp; 550 5.1.1 \
                         <ana@example.com>: Recipient address rejected"
                    .into(),
                recipient: Some("ana@example.com".into()),
                report_key: "<report-1@mx.example.net>".into(),
            })
        );
    }

    #[test]
    fn delays_successes_and_ordinary_mail_are_no_bounce() {
        assert_eq!(bounce(report("delayed").as_bytes()), None);
        assert_eq!(bounce(report("delivered").as_bytes()), None);
        let plain = "From: a@example.com\r\nMessage-ID: <x@example.com>\r\nSubject: \
                     Action: failed\r\n\r\nAction: failed\r\nMessage-ID: <y@example.com>\r\n";
        assert_eq!(bounce(plain.as_bytes()), None);
        assert_eq!(bounce(b""), None);
        // "Action: failed" and a Message-ID in the human-readable part are not a report.
        let forged = report("delayed").replace(
            "I'm sorry to have to inform you...",
            "Action: failed\r\nMessage-ID: <victim@example.com>",
        );
        assert_eq!(bounce(forged.as_bytes()), None);
        assert_eq!(bounce(b"\xff\xfe garbage"), None);
    }
}
