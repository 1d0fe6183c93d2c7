//! Login and logout.

use agentdesk_protocol::{LoginRequest, LoginResponse};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use crate::AppState;
use crate::auth::{self, Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::store::AuditEntry;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<LoginResponse>> {
    let username = req.username.trim();
    if username.is_empty() || username.len() > 128 || req.password.len() > 1024 {
        return Err(ApiError::BadCredentials);
    }
    auth::check_login_rate(&state.store, username, &ip).await?;

    let creds = state.store.credentials(username).await?;
    // Argon2 is CPU-heavy: keep it off the async worker threads.
    let password = req.password.clone();
    let hash = creds.as_ref().map(|c| c.1.clone());
    let ok = tokio::task::spawn_blocking(move || {
        auth::verify_password(&password, hash.as_deref().unwrap_or(auth::dummy_hash()))
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check: {e}"))?;

    let (user_id, checked_hash) = match (ok, creds) {
        (true, Some(found)) => found,
        _ => {
            state.store.record_login_failure(username, &ip).await?;
            state
                .store
                .audit(AuditEntry {
                    user_id: None,
                    username: Some(username.to_string()),
                    action: "login_failed",
                    target: None,
                    ip: Some(ip.clone()),
                })
                .await?;
            // The failure that starts a back-off is recorded on its own, so that lockouts
            // can be counted and looked into.
            let since =
                crate::clock::now() - chrono::Duration::minutes(auth::FAILURE_WINDOW_MINUTES);
            let (pair, _) = state.store.login_failures(username, &ip, since).await?;
            if pair.count == auth::MAX_USER_FAILURES {
                tracing::warn!(username, ip, "login locked for this address");
                state
                    .store
                    .audit(AuditEntry {
                        user_id: None,
                        username: Some(username.to_string()),
                        action: "login_locked",
                        target: None,
                        ip: Some(ip),
                    })
                    .await?;
            }
            return Err(ApiError::BadCredentials);
        }
    };

    state.store.clear_login_failures(username, &ip).await?;
    let token = auth::new_token();
    let expires_at = crate::clock::now() + auth::session_ttl(&state);
    if !state
        .store
        .create_session(
            &auth::token_hash(&token),
            user_id,
            &checked_hash,
            expires_at,
            Some(&ip),
        )
        .await?
    {
        // The password changed between the check and now: the one given is no longer
        // the user's.
        return Err(ApiError::BadCredentials);
    }
    state
        .store
        .audit(AuditEntry {
            user_id: Some(user_id),
            username: Some(username.to_string()),
            action: "login",
            target: None,
            ip: Some(ip),
        })
        .await?;
    let me = super::me::profile(&state, user_id).await?;
    tracing::info!(user_id, "login");
    Ok(ApiJson(LoginResponse {
        token,
        expires_at,
        me,
    }))
}

async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
) -> ApiResult<StatusCode> {
    state.store.delete_session(&caller.token_hash).await?;
    let events = state
        .store
        .end_session_presence(
            &caller.token_hash,
            caller.viewer.user_id,
            crate::clock::now(),
            i64::from(state.config.presence_restore_secs) * 1000,
        )
        .await?;
    state.events.publish(events);
    // After the presence rows are gone, so that the ended streams' own clean-up finds
    // nothing left to disconnect (the reason stays `logout`).
    state.events.end_session(&caller.token_hash);
    state
        .store
        .audit(AuditEntry {
            user_id: Some(caller.viewer.user_id),
            username: None,
            action: "logout",
            target: None,
            ip: Some(ip),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
