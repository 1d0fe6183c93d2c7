//! The one JSON error shape every API failure uses.

use serde::{Deserialize, Serialize};

/// Machine-readable error category; the HTTP status follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or query could not be read (malformed JSON, wrong content type).
    BadRequest,
    /// The request was readable but a value is not acceptable (wrong type, out of range).
    Validation,
    /// No valid session or token.
    Unauthorized,
    /// Authenticated, but this user may not do this.
    Forbidden,
    /// The thing does not exist, or is outside the caller's teams.
    NotFound,
    /// The request conflicts with the current state (e.g. a duplicate username).
    Conflict,
    /// Too many attempts; `retry_after_secs` says when to try again.
    RateLimited,
    /// The request body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// A dependency (the database) is unavailable, or the server is too busy to take the
    /// request now (`retry_after_secs` then says when to come back); try again later.
    Unavailable,
    /// Something failed on the server; details are in its log, never in the response.
    Internal,
}

impl ErrorCode {
    /// The HTTP status code that carries this error.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Validation => 422,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

/// The body of every non-2xx API response: `{"error": {"code", "message", ...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A human-readable explanation in English, safe to show to the user.
    pub message: String,
    /// The request field the error is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `rate_limited`: seconds until a new attempt may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}
