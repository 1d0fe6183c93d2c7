//! Request extractors whose rejections use the API's JSON error shape instead of
//! axum's plain-text bodies.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// JSON body in, JSON body out. Text with a NUL character is refused (422) before any
/// handler sees it: no field needs one, and PostgreSQL cannot store one.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::BadRequest(
                "expected a JSON body (Content-Type: application/json)".into(),
            ));
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        let axum::Json(v) = axum::Json::<T>::from_bytes(&bytes)?;
        refuse_nul(&bytes)?;
        Ok(ApiJson(v))
    }
}

/// A 422 naming the field when a JSON body (already parsed, so valid JSON) holds text
/// with a NUL character. No field needs one, and PostgreSQL cannot store one.
pub fn refuse_nul(body: &[u8]) -> Result<(), ApiError> {
    if !has_nul(body) {
        return Ok(());
    }
    fn holds_nul(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(a) => a.iter().any(holds_nul),
            serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
            _ => false,
        }
    }
    let field = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(o)) => o
            .iter()
            .find(|(k, v)| k.contains('\0') || holds_nul(v))
            .map(|(k, _)| k.replace('\0', "")),
        Ok(v) if !holds_nul(&v) => return Ok(()),
        Ok(_) => None,
        // Not JSON: the caller's parser has already said so.
        Err(_) => return Ok(()),
    };
    Err(ApiError::Validation {
        field,
        message: "text must not contain NUL characters".into(),
    })
}

/// Whether a JSON text may hold a NUL character: the escape `\u0000` preceded by an even
/// number of backslashes (a cheap test before parsing the body again).
fn has_nul(body: &[u8]) -> bool {
    body.windows(6).enumerate().any(|(i, w)| {
        w == b"\\u0000" && body[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    })
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The raw body, for endpoints that check a signature over the exact bytes; a body over
/// the limit is a 413 in the JSON error shape. Callers parse it, then [`refuse_nul`].
#[derive(Debug, Clone, Default)]
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Ok(RawBody(axum::body::Bytes::from_request(req, state).await?))
    }
}

#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn nul_is_found_raw_and_escaped_but_not_in_an_escaped_backslash() {
        assert!(has_nul(b"{\"a\":\"x\\u0000\"}"));
        assert!(has_nul(b"\"\\\\\\u0000\""));
        assert!(!has_nul(b"{\"a\":\"x\\\\u0000\"}"));
        assert!(!has_nul(b"{\"a\":\"x\\u0001\"}"));
    }
}
