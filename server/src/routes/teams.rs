//! Teams and users: supervisors read their teams' members, admins create both.

use agentdesk_protocol::{AuditRecord, CreateTeam, CreateUser, Role, TeamRef, UserSummary};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::store::{AuditEntry, NewUser};
use crate::{AppState, validate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route("/users", get(list_users).post(create_user))
        .route("/audit", get(audit_log))
}

fn require(caller: &Caller, roles: &[Role]) -> ApiResult<()> {
    if roles.contains(&caller.viewer.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<TeamRef>>> {
    Ok(ApiJson(state.store.list_teams(&caller.viewer).await?))
}

async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<CreateTeam>,
) -> ApiResult<(StatusCode, ApiJson<TeamRef>)> {
    require(&caller, &[Role::Admin])?;
    validate::short_text("name", &req.name)?;
    let team = state.store.create_team(req.name.trim()).await?;
    state
        .store
        .audit(AuditEntry {
            user_id: Some(caller.viewer.user_id),
            username: None,
            action: "team_created",
            target: Some(format!("team:{}", team.id)),
            ip: Some(ip),
        })
        .await?;
    Ok((StatusCode::CREATED, ApiJson(team)))
}

async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<UserSummary>>> {
    require(&caller, &[Role::Supervisor, Role::Admin])?;
    Ok(ApiJson(state.store.list_users(&caller.viewer).await?))
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, ApiJson<UserSummary>)> {
    require(&caller, &[Role::Admin])?;
    validate::username(&req.username)?;
    validate::password(&req.password)?;
    validate::short_text("display_name", &req.display_name)?;
    let time_zone = req.time_zone.clone().unwrap_or_else(|| "UTC".into());
    validate::time_zone(&time_zone)?;
    let known = state.store.list_teams(&caller.viewer).await?;
    if let Some(bad) = req
        .teams
        .iter()
        .find(|t| !known.iter().any(|k| k.id == **t))
    {
        return Err(ApiError::validation(
            "teams",
            format!("no team with id {bad}"),
        ));
    }
    let email = match &req.email {
        Some(e) => crate::validate::user_email("email", e)?,
        None => None,
    };
    let password = req.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))??;
    let id = state
        .store
        .create_user(NewUser {
            username: req.username.clone(),
            display_name: req.display_name.trim().to_string(),
            password_hash,
            role: req.role,
            can_email: req.can_email,
            locale: req.locale,
            time_zone,
            ucontact_agent: req.ucontact_agent.clone(),
            email,
            team_ids: req.teams.clone(),
        })
        .await?;
    state
        .store
        .audit(AuditEntry {
            user_id: Some(caller.viewer.user_id),
            username: None,
            action: "user_created",
            target: Some(format!("user:{id}")),
            ip: Some(ip),
        })
        .await?;
    let user = state
        .store
        .list_users(&caller.viewer)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or(ApiError::NotFound("user"))?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// The newest 200 audit records (admins only).
async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<AuditRecord>>> {
    require(&caller, &[Role::Admin])?;
    Ok(ApiJson(state.store.audit_log(200).await?))
}
