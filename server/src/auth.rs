//! Passwords, session tokens and the extractor that turns a bearer token into a caller.
//!
//! Sessions are bearer tokens, not cookies: the desktop usually runs inside uContact's
//! iframe, where browsers may block third-party cookies, while a token kept in the tab's
//! `sessionStorage` works the same framed or not — and cannot be ridden by cross-site
//! requests (no ambient credentials, so no CSRF). Only a SHA-256 of each token is stored.

use std::net::SocketAddr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;
use crate::store::{DynStore, Viewer};

/// Hash a password with Argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Check a password against a stored hash. A malformed hash verifies nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a password nobody has, verified when the username is unknown so that the
/// response time does not tell which usernames exist.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

/// A new random session token (256 bits, URL-safe base64).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The authenticated caller of a request. Adding it to a handler's arguments is what
/// makes the route require a session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub viewer: Viewer,
    pub token_hash: String,
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let hash = token_hash(token);
        let now = crate::clock::now();
        let renew_to = now + session_ttl(&state);
        let session = state
            .store
            .session_user(&hash, now, renew_to)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if session.must_change_password && !open_before_password_change(parts) {
            return Err(ApiError::PasswordChangeRequired);
        }
        Ok(Caller {
            viewer: session.viewer,
            token_hash: hash,
        })
    }
}

/// What a caller owing a password change may still do: change it, read their profile
/// (the browser learns from it that a change is owed) and sign out. Everything else
/// waits: the temporary password was chosen by an admin, so until it is replaced the
/// session proves less than a user's own password would.
fn open_before_password_change(parts: &Parts) -> bool {
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(parts.uri.path(), |u| u.0.path());
    let Some(route) = path.strip_prefix(agentdesk_protocol::API_PREFIX) else {
        return false;
    };
    matches!(
        (parts.method.as_str(), route),
        ("GET", "/me") | ("POST", "/me/password") | ("POST", "/auth/logout")
    )
}

/// `Option<Caller>`: `None` without an `Authorization` header (routes with another way in,
/// like the event stream's ticket); a header that does not hold a live session is still
/// rejected.
impl<S> OptionalFromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(None);
        }
        <Caller as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

pub fn session_ttl(state: &AppState) -> Duration {
    Duration::hours(i64::from(state.config.session_hours.max(1)))
}

/// The client's address, for rate limits and the audit log. Behind a trusted proxy the
/// first `X-Forwarded-For` entry is used.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        if state.config.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        {
            return Ok(ClientIp(ip.to_string()));
        }
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientIp(ip))
    }
}

/// Login throttling, kept in the database so that it holds across server instances.
/// A username is throttled per client address: after [`MAX_USER_FAILURES`] failures from
/// one address, that address waits [`FIRST_BACKOFF_SECS`] after its latest failure, twice
/// as long for each further one, at most the window — while the user still signs in
/// from anywhere else (five wrong guesses by someone else must not lock out the admin).
/// An address is limited to [`MAX_IP_FAILURES`] failures, whatever the usernames, within
/// [`FAILURE_WINDOW_MINUTES`].
pub const MAX_USER_FAILURES: u32 = 5;
pub const FIRST_BACKOFF_SECS: i64 = 30;
pub const MAX_IP_FAILURES: u32 = 30;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

/// How long (seconds) a (username, address) pair with `failures` recent failures waits
/// after its latest one: 0 below the limit, then 30 s, 60 s, 120 s … capped at the window.
pub fn backoff_secs(failures: u32) -> i64 {
    if failures < MAX_USER_FAILURES {
        return 0;
    }
    let doublings = (failures - MAX_USER_FAILURES).min(10);
    (FIRST_BACKOFF_SECS << doublings).min(FAILURE_WINDOW_MINUTES * 60)
}

/// `Err(RateLimited)` when this username from this address, or this address, has failed
/// too often recently.
pub async fn check_login_rate(store: &DynStore, username: &str, ip: &str) -> Result<(), ApiError> {
    let window = Duration::minutes(FAILURE_WINDOW_MINUTES);
    let now = crate::clock::now();
    let (by_pair, by_ip) = store.login_failures(username, ip, now - window).await?;
    let pair_wait = by_pair
        .latest
        .map(|latest| (latest + Duration::seconds(backoff_secs(by_pair.count)) - now).num_seconds())
        .filter(|s| *s > 0);
    let ip_wait = by_ip
        .oldest
        .filter(|_| by_ip.count >= MAX_IP_FAILURES)
        .map(|oldest| (oldest + window - now).num_seconds().max(1));
    let blocked = pair_wait.into_iter().chain(ip_wait).max();
    if blocked.is_some() {
        tracing::warn!(
            username,
            ip,
            failures_from_ip = by_pair.count,
            failures_of_ip = by_ip.count,
            "login throttled"
        );
    }
    match blocked {
        Some(secs) => Err(ApiError::RateLimited {
            retry_after_secs: u64::try_from(secs).unwrap_or(1),
        }),
        None => Ok(()),
    }
}
