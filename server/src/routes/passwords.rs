//! Passwords: a user changes their own (`POST /me/password`, which also clears a change
//! an admin made them owe), an admin sets a temporary one (`POST /users/{id}/password`)
//! or lifts the sign-in back-off of a username (`POST /users/{id}/unlock`). The rules
//! are `validate::password`'s; a new password ends every other session of the user.

use agentdesk_protocol::{ChangePassword, ResetPassword, UserSummary};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use super::admin;
use crate::auth::{self, Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::{AppState, validate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/password", post(change_own))
        .route("/users/{id}/password", post(reset))
        .route("/users/{id}/unlock", post(unlock))
}

/// Argon2 off the async workers.
async fn hash(password: String) -> ApiResult<String> {
    Ok(
        tokio::task::spawn_blocking(move || auth::hash_password(&password))
            .await
            .map_err(|e| anyhow::anyhow!("hashing: {e}"))??,
    )
}

async fn change_own(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    let user_id = caller.viewer.user_id;
    let (username, stored) = state
        .store
        .password_hash(user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // A session left open is not the password: guessing the current one here is held
    // back exactly as at sign-in.
    auth::check_login_rate(&state.store, &username, &ip).await?;
    let current = req.current.clone();
    let proved = stored.clone();
    let known = tokio::task::spawn_blocking(move || auth::verify_password(&current, &stored))
        .await
        .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    if !known {
        state.store.record_login_failure(&username, &ip).await?;
        super::audit(
            &state,
            &caller,
            ip,
            "password_change_refused",
            format!("user:{user_id}"),
        )
        .await?;
        return Err(ApiError::validation(
            "current",
            "this is not your current password",
        ));
    }
    if req.new == req.current {
        return Err(ApiError::validation(
            "new",
            "choose a password other than the current one",
        ));
    }
    validate::password("new", &req.new, &username)?;
    let ended = state
        .store
        .set_password(
            user_id,
            &hash(req.new).await?,
            false,
            Some(&caller.token_hash),
            Some(&proved),
        )
        .await?
        // An admin's reset came in between: theirs stands, and this session is over.
        .ok_or(ApiError::Unauthorized)?;
    super::end_sessions(&state, user_id, &ended).await?;
    super::audit(
        &state,
        &caller,
        ip,
        "password_changed",
        format!("user:{user_id}"),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ResetPassword>,
) -> ApiResult<ApiJson<UserSummary>> {
    admin(&caller)?;
    let username = username_of(&state, id).await?;
    validate::password("password", &req.password, &username)?;
    let ended = state
        .store
        .set_password(id, &hash(req.password).await?, req.must_change, None, None)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    super::end_sessions(&state, id, &ended).await?;
    // A new password is also the way back in for a user held back by failed attempts.
    state.store.unlock(&username).await?;
    super::audit(&state, &caller, ip, "password_reset", format!("user:{id}")).await?;
    Ok(ApiJson(
        super::teams::user_as_seen(&state, &caller, id).await?,
    ))
}

/// User `id`'s username, or 404.
async fn username_of(state: &AppState, id: i64) -> ApiResult<String> {
    let (username, _) = state
        .store
        .password_hash(id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok(username)
}

async fn unlock(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<UserSummary>> {
    admin(&caller)?;
    let username = username_of(&state, id).await?;
    let forgotten = state.store.unlock(&username).await?;
    tracing::info!(user_id = id, forgotten, "sign-in unlocked");
    super::audit(&state, &caller, ip, "user_unlocked", format!("user:{id}")).await?;
    Ok(ApiJson(
        super::teams::user_as_seen(&state, &caller, id).await?,
    ))
}
