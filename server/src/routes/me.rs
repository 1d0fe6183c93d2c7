//! The caller's own profile and preferences.

use agentdesk_protocol::{Me, UpdateMe};
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

pub fn router() -> Router<AppState> {
    Router::new().route("/me", get(me).patch(update_me))
}

async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<ApiJson<Me>> {
    Ok(ApiJson(profile(&state, caller.viewer.user_id).await?))
}

/// The user's profile as the desktop gets it (at login and from `/me`), with what the
/// server's settings allow them.
pub async fn profile(state: &AppState, user_id: i64) -> ApiResult<Me> {
    let mut me = state
        .store
        .me(user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    me.can_delete = state.config.delete_roles.contains(&me.role);
    Ok(me)
}

async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(update): ApiJson<UpdateMe>,
) -> ApiResult<ApiJson<Me>> {
    if let Some(tz) = &update.time_zone {
        crate::validate::time_zone(tz)?;
    }
    if let Some(e) = &update.email {
        crate::validate::user_email("email", e)?;
    }
    if let Some(problem) = update
        .signature
        .as_deref()
        .and_then(agentdesk_protocol::signature_problem)
    {
        return Err(ApiError::validation("signature", problem));
    }
    state
        .store
        .update_me(caller.viewer.user_id, &update)
        .await?;
    me(State(state), caller).await
}
