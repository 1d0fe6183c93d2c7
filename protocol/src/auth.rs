//! Login and session tokens.

use serde::{Deserialize, Serialize};

use crate::Me;

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The answer to a successful login. The client sends `token` as
/// `Authorization: Bearer <token>` on every later request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    /// When the session ends unless renewed by use (RFC 3339).
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub me: Me,
}

/// The shortest password accepted, in characters (a passphrase of a few words is the
/// easy way to reach it).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest, in characters (hashing cost is bounded).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Fewer different characters than this is a pattern, not a password (`aaaaaaaaaaaa`,
/// `abababababab`, `121212121212`).
pub const MIN_DISTINCT_PASSWORD_CHARS: usize = 5;

/// Why a new password is refused, by the rules both sides know (the server also checks
/// a list of common passwords, which the browser does not carry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    /// Made of too few different characters.
    Repetitive,
    /// Holds the username (or is it).
    HasUsername,
    /// On the list of common passwords, or one of them with digits or symbols added.
    Common,
}

impl PasswordProblem {
    /// The problem in English, for the API's error message.
    pub fn message(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => {
                "use at least 12 characters (a few words make an easy passphrase)"
            }
            PasswordProblem::TooLong => "use at most 1,024 characters",
            PasswordProblem::Repetitive => "use more than a repeated pattern of a few characters",
            PasswordProblem::HasUsername => "do not use the username in the password",
            PasswordProblem::Common => "this password is too common; choose another",
        }
    }
}

/// The rules of [`PasswordProblem`] except the common list: length in characters (not
/// bytes), variety, and not containing `username` (ignoring case; usernames under 3
/// characters are too short to matter).
pub fn password_problem(password: &str, username: &str) -> Option<PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some(PasswordProblem::TooLong);
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_DISTINCT_PASSWORD_CHARS {
        return Some(PasswordProblem::Repetitive);
    }
    let user = username.trim().to_lowercase();
    if user.chars().count() >= 3 && password.to_lowercase().contains(&user) {
        return Some(PasswordProblem::HasUsername);
    }
    None
}

/// `POST /api/v1/me/password`: a user changes their own password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current: String,
    pub new: String,
}

/// `POST /api/v1/users/{id}/password` (admins only): a temporary password for the user.
/// Their sessions end; with `must_change` (the default) they must choose their own at
/// their next sign-in before anything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub password: String,
    #[serde(default = "yes")]
    pub must_change: bool,
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules_count_characters_not_bytes() {
        // 12 characters, 24 bytes: long enough.
        assert_eq!(password_problem("ñandúárbolés", "ana"), None);
        // 11 characters of 2 bytes each (22 bytes): too short.
        assert_eq!(
            password_problem("ñandúárbolé", "ana"),
            Some(PasswordProblem::TooShort)
        );
        assert_eq!(
            password_problem(&"ab1c-".repeat(205), "x"),
            Some(PasswordProblem::TooLong)
        );
        assert_eq!(password_problem(&"ab1c-".repeat(204), "x"), None);
    }

    #[test]
    fn patterns_and_the_username_are_refused() {
        for p in [
            "aaaaaaaaaaaa",
            "abababababab",
            "121212121212",
            "abcdabcdabcd",
        ] {
            assert_eq!(
                password_problem(p, "x"),
                Some(PasswordProblem::Repetitive),
                "{p}"
            );
        }
        assert_eq!(
            password_problem("my-MARIA.G-password", "maria.g"),
            Some(PasswordProblem::HasUsername)
        );
        // Too short a username to match on.
        assert_eq!(password_problem("correct horse ab", "ab"), None);
        assert_eq!(password_problem("correct horse battery", "agent_a"), None);
    }
}
