//! Login and session tokens.

use serde::{Deserialize, Serialize};

use crate::Me;

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The answer to a successful login. The client sends `token` as
/// `Authorization: Bearer <token>` on every later request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    /// When the session ends unless renewed by use (RFC 3339).
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub me: Me,
}
