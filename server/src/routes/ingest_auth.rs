//! How an integration authenticates a request to the ingest routes, in one of two ways:
//! - `Authorization: Bearer <token>` (the token is stored hashed), or
//! - a signature: `X-Agentdesk-Integration: <id>`, `X-Agentdesk-Timestamp: <unix seconds>`
//!   and `X-Agentdesk-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` with the
//!   integration's secret. A timestamp more than [`REPLAY_WINDOW_SECS`] away from the
//!   server's clock is refused, so a captured request cannot be replayed later (and within
//!   the window a replay is a duplicate by its source key, which changes nothing).
//!
//! uContact's webhook signs the same way (`routes/webhooks.rs`).

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::AppState;
use crate::auth::token_hash;
use crate::error::{ApiError, ApiResult};

/// How far a signed request's timestamp may be from the server's clock.
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// Verify `sha256=<hex>` over `{timestamp}.{body}`.
pub fn verify_signature(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex_sig) = signature.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The integration and its team, or 401 (never saying which part was wrong).
pub(super) async fn integration_team(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<(i64, i64)> {
    if let Some(token) = header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer ")) {
        return state
            .store
            .integration_by_token(&token_hash(token.trim()))
            .await?
            .ok_or(ApiError::Unauthorized);
    }
    let (Some(id), Some(ts), Some(sig)) = (
        header(headers, "x-agentdesk-integration").and_then(|v| v.trim().parse::<i64>().ok()),
        header(headers, "x-agentdesk-timestamp"),
        header(headers, "x-agentdesk-signature"),
    ) else {
        return Err(ApiError::Unauthorized);
    };
    let Ok(secs) = ts.trim().parse::<i64>() else {
        return Err(ApiError::Unauthorized);
    };
    if (crate::clock::now().timestamp() - secs).abs() > REPLAY_WINDOW_SECS {
        tracing::info!(integration = id, "ingest: stale signature timestamp");
        return Err(ApiError::Unauthorized);
    }
    let Some((team, secret)) = state.store.integration_secret(id).await? else {
        return Err(ApiError::Unauthorized);
    };
    if !verify_signature(&secret, ts.trim(), body, sig) {
        tracing::info!(integration = id, "ingest: bad signature");
        return Err(ApiError::Unauthorized);
    }
    Ok((id, team))
}
