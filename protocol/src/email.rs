//! Outbound e-mail: what an agent writes (a draft, sent when they say so), what the
//! timeline and the composer read back, and the team's sender identities an admin sets
//! up. The rules the form and the server both apply live here ([`EmailDraft::problem`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::EmailStatus;

/// Longest subject, in characters (RFC 5322's line limit, before encoding).
pub const MAX_SUBJECT_CHARS: usize = 998;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 100_000;
/// Longest address, in characters (RFC 5321's path limit).
pub const MAX_ADDRESS_CHARS: usize = 254;

/// What the composer sends: a new draft (`POST /contacts/{id}/emails`) or a draft's new
/// text (`PUT /emails/{activity_id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailDraft {
    /// The team's sender identity; absent: the team's first.
    #[serde(default)]
    pub identity_id: Option<i64>,
    /// One address (`ana@example.com`).
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub subject: String,
    /// Plain text; `**bold**`, `_italic_` and `[text](https://…)` become HTML in the
    /// message's HTML part.
    #[serde(default)]
    pub body: String,
    /// The inbound e-mail (activity id) this answers: threading headers follow it.
    #[serde(default)]
    pub reply_to: Option<i64>,
    /// The agent confirms an address the contact is not known by (audit-logged).
    #[serde(default)]
    pub new_address: bool,
    /// Queue it for sending now (a draft is only saved otherwise).
    #[serde(default)]
    pub send: bool,
}

/// A line break in a header field would start another header (injection).
fn breaks_line(s: &str) -> bool {
    s.contains(['\r', '\n', '\0'])
}

/// Whether `s` reads as one bare address `local@domain` (no display name, no spaces,
/// no brackets): what may go to the SMTP envelope.
pub fn is_address(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    s.chars().count() <= MAX_ADDRESS_CHARS
        && !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
}

impl EmailDraft {
    /// The first field that cannot be kept, and why (checked before anything is
    /// saved). A draft may be incomplete; `sending` asks for what a message needs.
    pub fn problem(&self, sending: bool) -> Option<(&'static str, &'static str)> {
        let to = self.to.trim();
        if breaks_line(&self.to) {
            return Some(("to", "an address cannot contain a line break"));
        }
        if breaks_line(&self.subject) {
            return Some(("subject", "the subject cannot contain a line break"));
        }
        if self.subject.chars().count() > MAX_SUBJECT_CHARS {
            return Some(("subject", "the subject is longer than 998 characters"));
        }
        if self.body.chars().count() > MAX_BODY_CHARS {
            return Some(("body", "the message is longer than 100,000 characters"));
        }
        if self.body.contains('\0') {
            return Some(("body", "the message contains a NUL character"));
        }
        if !to.is_empty() && !is_address(to) {
            return Some(("to", "not an e-mail address (name@example.com)"));
        }
        if sending {
            if to.is_empty() {
                return Some(("to", "say who the message is for"));
            }
            if self.subject.trim().is_empty() {
                return Some(("subject", "a message needs a subject"));
            }
        }
        None
    }
}

/// An outbound message as the composer and the timeline item read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboundEmail {
    pub activity_id: i64,
    pub contact_id: i64,
    pub team_id: i64,
    pub identity_id: Option<i64>,
    /// `Name <address>` of the sender identity.
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub reply_to: Option<i64>,
    pub status: EmailStatus,
    /// Sending attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed (the SMTP server's words), if one did.
    pub last_error: Option<String>,
    /// When the next attempt is due, while queued.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The message's `Message-ID` (`<…@…>`), fixed when the draft is made.
    pub message_id: String,
    /// Who wrote it.
    pub author_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
    /// Its files, in the order they were attached.
    #[serde(default)]
    pub attachments: Vec<crate::email_files::OutboundAttachment>,
}

/// A team's sender identity as admins (and composers) read it: the SMTP server is named
/// without its credentials, which are never returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailIdentity {
    pub id: i64,
    pub team_id: i64,
    pub address: String,
    pub display_name: String,
    /// `smtps://host:port` of its own server; `None`: the server-wide relay.
    pub server: Option<String>,
}

/// What the composer offers for a contact (`GET /contacts/{id}/compose`): the team's
/// sender identities and the addresses the contact is known by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComposeOptions {
    pub identities: Vec<MailIdentity>,
    pub addresses: Vec<String>,
    /// The most a message's files may weigh together, in bytes (configured).
    #[serde(default)]
    pub max_attachment_bytes: u64,
}

/// `POST /mail-identities/{id}/test`: whether its SMTP server could be reached and took
/// its credentials, in the server's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SenderCheck {
    pub ok: bool,
    pub message: String,
}

/// An admin's new or changed identity (`POST /teams/{id}/mail-identities`,
/// `PUT /mail-identities/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailIdentityInput {
    pub address: String,
    #[serde(default)]
    pub display_name: String,
    /// Write-only: `smtps://user:pass@host:465` or `smtp://user:pass@host:587?tls=required`.
    /// Absent on a change: the stored one is kept; `""`: none (the server-wide relay).
    #[serde(default)]
    pub smtp_url: Option<String>,
}

impl MailIdentityInput {
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        if !is_address(self.address.trim()) {
            return Some(("address", "not an e-mail address (name@example.com)"));
        }
        if breaks_line(&self.display_name) || self.display_name.chars().count() > 200 {
            return Some(("display_name", "one line of at most 200 characters, please"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(to: &str, subject: &str, body: &str) -> EmailDraft {
        EmailDraft {
            to: to.into(),
            subject: subject.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_line_break_in_any_header_field_is_refused() {
        for (to, subject, field) in [
            ("ana@example.com\r\nBcc: x@evil.test", "hi", "to"),
            ("ana@example.com", "hi\r\nBcc: x@evil.test", "subject"),
            ("ana@example.com", "hi\nthere", "subject"),
            ("ana@example.com\n", "hi", "to"),
            ("ana@example.com", "hi\0", "subject"),
        ] {
            assert_eq!(
                draft(to, subject, "body").problem(false).map(|p| p.0),
                Some(field),
                "{to:?} {subject:?}"
            );
        }
    }

    #[test]
    fn addresses_are_bare_and_whole() {
        for ok in [
            "ana@example.com",
            "a.b+c@sub.example.co.uy",
            "x@xn--bcher-kva.ch",
        ] {
            assert!(is_address(ok), "{ok}");
        }
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "Ana <ana@example.com>",
            "ana@example.com, bea@example.com",
            "ana @example.com",
            "ana@exa@mple.com",
            "ana@.example.com",
            "ana@example.com.",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
        assert!(!is_address(&format!("{}@example.com", "a".repeat(250))));
    }

    #[test]
    fn a_draft_may_be_incomplete_but_a_message_to_send_may_not() {
        assert_eq!(draft("", "", "").problem(false), None);
        assert_eq!(draft("", "s", "b").problem(true).map(|p| p.0), Some("to"));
        assert_eq!(
            draft("ana@example.com", " ", "b")
                .problem(true)
                .map(|p| p.0),
            Some("subject")
        );
        assert_eq!(draft("ana@example.com", "s", "").problem(true), None);
        let long = "x".repeat(MAX_SUBJECT_CHARS + 1);
        assert_eq!(
            draft("ana@example.com", &long, "")
                .problem(false)
                .map(|p| p.0),
            Some("subject")
        );
        let long = "x".repeat(MAX_BODY_CHARS + 1);
        assert_eq!(
            draft("ana@example.com", "s", &long)
                .problem(false)
                .map(|p| p.0),
            Some("body")
        );
    }

    #[test]
    fn an_identity_needs_an_address_and_a_one_line_name() {
        let mut i = MailIdentityInput {
            address: "soporte@example.com".into(),
            display_name: "Soporte".into(),
            smtp_url: None,
        };
        assert_eq!(i.problem(), None);
        i.display_name = "Soporte\r\nBcc: x@evil.test".into();
        assert_eq!(i.problem().map(|p| p.0), Some("display_name"));
        i.address = "soporte".into();
        assert_eq!(i.problem().map(|p| p.0), Some("address"));
    }
}
