//! The admins' integrations: `POST /integrations` issues credentials for a team (the
//! token and secret shown once), `GET /integrations` lists them (never a token or
//! secret), `POST /integrations/{id}/rotate` replaces both (shown once again; the old
//! ones are refused from then on), `DELETE /integrations/{id}` revokes one for good and
//! `GET /integrations/{id}/deliveries` shows its recent deliveries.

use agentdesk_protocol::{
    IntegrationCredentials, IntegrationDelivery, IntegrationSummary, NewIntegration,
};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};

use super::admin;
use crate::AppState;
use crate::auth::{Caller, ClientIp, new_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/integrations", get(list).post(create))
        .route("/integrations/{id}/rotate", post(rotate))
        .route("/integrations/{id}", delete(revoke))
        .route("/integrations/{id}/deliveries", get(deliveries))
}

/// Its recent deliveries, newest first (this instance's notes written first, so what
/// it just answered is there).
async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<Vec<IntegrationDelivery>>> {
    admin(&caller)?;
    state.deliveries.flush(&state.store).await;
    let found = state.store.deliveries(id).await?;
    Ok(ApiJson(found.ok_or(ApiError::NotFound("integration"))?))
}

/// A new bearer token (recognisable by its prefix in logs and secret scanners) and
/// signing secret.
fn credentials() -> (String, String) {
    (format!("adi_{}", new_token()), new_token())
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<IntegrationSummary>>> {
    admin(&caller)?;
    Ok(ApiJson(state.store.list_integrations().await?))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<NewIntegration>,
) -> ApiResult<(StatusCode, ApiJson<IntegrationCredentials>)> {
    admin(&caller)?;
    crate::validate::short_text("name", &req.name)?;
    super::open_team(&state, req.team_id).await?;
    let (token, secret) = credentials();
    let name = req.name.trim().to_owned();
    let id = state
        .store
        .create_integration(&name, req.team_id, &token_hash(&token), &secret)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(_) => ApiError::ConflictOn {
                field: "name",
                message: "an integration with this name exists".into(),
            },
            other => other.into(),
        })?;
    super::audit(
        &state,
        &caller,
        ip,
        "integration.create",
        format!("integration:{id}"),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(IntegrationCredentials {
            id,
            name,
            team_id: req.team_id,
            token,
            secret,
        }),
    ))
}

async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<IntegrationCredentials>> {
    admin(&caller)?;
    let (token, secret) = credentials();
    let Some((name, team_id)) = state
        .store
        .rotate_integration(id, &token_hash(&token), &secret)
        .await?
    else {
        let listed = state.store.list_integrations().await?;
        return Err(if listed.iter().any(|i| i.id == id) {
            ApiError::ConflictOn {
                field: "integration",
                message: "this integration is revoked: create a new one".into(),
            }
        } else {
            ApiError::NotFound("integration")
        });
    };
    super::audit(
        &state,
        &caller,
        ip,
        "integration.rotate",
        format!("integration:{id}"),
    )
    .await?;
    Ok(ApiJson(IntegrationCredentials {
        id,
        name,
        team_id,
        token,
        secret,
    }))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    admin(&caller)?;
    if !state.store.revoke_integration(id).await? {
        return Err(ApiError::NotFound("integration"));
    }
    super::audit(
        &state,
        &caller,
        ip,
        "integration.revoke",
        format!("integration:{id}"),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
