//! The one error type of the API. Every failure becomes [`agentdesk_protocol::ErrorBody`]
//! with the matching status; 5xx causes are logged here and never sent to the client.

use agentdesk_protocol::{ErrorBody, ErrorCode, ErrorDetail};
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Validation {
        field: Option<String>,
        message: String,
    },
    #[error("authentication required")]
    Unauthorized,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("you do not have permission to do this")]
    Forbidden,
    /// An admin gave the caller a temporary password: only changing it is allowed.
    #[error("choose a new password first (an administrator set a temporary one)")]
    PasswordChangeRequired,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// A conflict about one thing the client can name (`field`), e.g. a call in progress.
    #[error("{message}")]
    ConflictOn {
        field: &'static str,
        message: String,
    },
    #[error("the request body is too large for this endpoint")]
    TooLarge,
    /// Over a limit the client can name (`field`), e.g. what a message's files weigh.
    #[error("{message}")]
    TooLargeOn {
        field: &'static str,
        message: String,
    },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// The overload guard turned the request away before it did anything.
    #[error("the server is busy; try again in a moment")]
    Overloaded,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// When to come back, for answers that say "later" (also the `Retry-After` header).
    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Overloaded => Some(1),
            _ => None,
        }
    }

    fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Validation { .. } => ErrorCode::Validation,
            ApiError::Unauthorized | ApiError::BadCredentials => ErrorCode::Unauthorized,
            ApiError::Forbidden | ApiError::PasswordChangeRequired => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict(_)
            | ApiError::ConflictOn { .. }
            | ApiError::Store(StoreError::Conflict(_)) => ErrorCode::Conflict,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::TooLarge | ApiError::TooLargeOn { .. } => ErrorCode::PayloadTooLarge,
            ApiError::Store(StoreError::Unavailable(_)) | ApiError::Overloaded => {
                ErrorCode::Unavailable
            }
            ApiError::Store(StoreError::Other(_)) | ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The body sent to the client: never the internal cause of a 5xx.
    pub fn body(&self) -> ErrorBody {
        let code = self.code();
        let message = match (code, self) {
            (ErrorCode::Internal, _) => "internal error; it has been logged".to_string(),
            (_, ApiError::Overloaded) => self.to_string(),
            (ErrorCode::Unavailable, _) => "the database is unavailable; try again shortly".into(),
            (_, ApiError::Store(StoreError::Conflict(what))) => what.clone(),
            _ => self.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field: match self {
                    ApiError::Validation { field, .. } => field.clone(),
                    ApiError::PasswordChangeRequired => Some("password".into()),
                    ApiError::ConflictOn { field, .. } | ApiError::TooLargeOn { field, .. } => {
                        Some((*field).to_string())
                    }
                    _ => None,
                },
                retry_after_secs: self.retry_after_secs(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let status = StatusCode::from_u16(body.error.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let mut res = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs()
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            // Well-formed JSON whose values do not fit the expected type.
            JsonRejection::JsonDataError(e) => ApiError::Validation {
                field: None,
                message: e.body_text(),
            },
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::BadRequest("expected a JSON body (Content-Type: application/json)".into())
            }
            JsonRejection::BytesRejection(b) => b.into(),
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        // The body limit shows as 413; anything else is a body the client broke off.
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadRequest(r.body_text())
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::Validation {
            field: None,
            message: r.body_text(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}
