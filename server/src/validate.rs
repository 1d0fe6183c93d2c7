//! Input rules shared by routes and the command line, each returning a field-named error.

use crate::error::ApiError;

/// An IANA time zone name such as `America/Montevideo`.
pub fn time_zone(tz: &str) -> Result<(), ApiError> {
    tz.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| ApiError::validation("time_zone", format!("unknown time zone `{tz}`")))
}

/// A user name: 1 to 64 letters, digits, `.`, `_` or `-`.
pub fn username(name: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            "username",
            "use 1 to 64 letters, digits, '.', '_' or '-'",
        ))
    }
}

/// A new password (`field`) for `username`: the rules of
/// [`agentdesk_protocol::password_problem`], and not a common password
/// ([`is_common_password`]).
pub fn password(field: &str, pw: &str, username: &str) -> Result<(), ApiError> {
    let problem = agentdesk_protocol::password_problem(pw, username)
        .or_else(|| is_common_password(pw).then_some(agentdesk_protocol::PasswordProblem::Common));
    match problem {
        Some(p) => Err(ApiError::validation(field, p.message())),
        None => Ok(()),
    }
}

/// Whether `pw`, ignoring case, is on the shipped list of common passwords, or is one
/// of them with digits or symbols before or after (`Password2026!`, `!!dragon123`):
/// the list keeps the letter stems of its short entries, and the stem of `pw` is looked
/// up there too.
pub fn is_common_password(pw: &str) -> bool {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let list = LIST.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("# "))
            .collect()
    });
    let lower = pw.to_lowercase();
    let stem = lower.trim_matches(|c: char| !c.is_alphabetic());
    list.contains(lower.as_str()) || (stem.chars().count() >= 4 && list.contains(stem))
}

/// A user's e-mail address (`field`): trimmed; empty is none. It becomes a mail header,
/// so anything with a line break or another control character is refused.
pub fn user_email(field: &str, value: &str) -> Result<Option<String>, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        Ok(None)
    } else if agentdesk_protocol::plausible_email(v) {
        Ok(Some(v.to_string()))
    } else {
        Err(ApiError::validation(
            field,
            "not an e-mail address (name@domain.tld, on one line)",
        ))
    }
}

/// A user's agent name in uContact: trimmed, empty is none; at most 128 characters, on
/// one line (uContact matches it exactly in its events and API calls).
pub fn ucontact_agent(value: &str) -> Result<Option<String>, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        Ok(None)
    } else if v.chars().count() <= 128 && !v.chars().any(char::is_control) {
        Ok(Some(v.to_string()))
    } else {
        Err(ApiError::validation(
            "ucontact_agent",
            "at most 128 characters, on one line",
        ))
    }
}

/// A non-empty display text of at most 128 characters.
pub fn short_text(field: &str, value: &str) -> Result<(), ApiError> {
    let n = value.trim().chars().count();
    if (1..=128).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::validation(field, "must be 1 to 128 characters"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused_with_or_without_padding() {
        for pw in [
            "qwerty123456",
            "QWERTY123456",
            "Password2026!!",
            "!!dragon123456",
            "1qaz2wsx3edc",
            "Sunshine.2026",
            "  monkey  1234",
        ] {
            assert!(is_common_password(pw), "{pw}");
            assert!(password("password", pw, "agent").is_err(), "{pw}");
        }
        for pw in [
            "correct horse battery",
            "monkey-island-1987x",
            "Tomás y su perro 7",
        ] {
            assert!(!is_common_password(pw), "{pw}");
            assert!(password("password", pw, "agent").is_ok(), "{pw}");
        }
    }
}
