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

/// Passwords of at least 8 characters (and at most 1024, to bound hashing work).
pub fn password(pw: &str) -> Result<(), ApiError> {
    if (8..=1024).contains(&pw.chars().count()) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "password",
            "use at least 8 characters",
        ))
    }
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

/// A non-empty display text of at most 128 characters.
pub fn short_text(field: &str, value: &str) -> Result<(), ApiError> {
    let n = value.trim().chars().count();
    if (1..=128).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::validation(field, "must be 1 to 128 characters"))
    }
}
