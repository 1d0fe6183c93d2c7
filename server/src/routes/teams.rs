//! Teams and users: supervisors read their teams' members, admins create both, rename,
//! archive or delete (only when nothing was ever theirs) teams, and
//! change users (`PATCH /users/{id}`: name, role, teams, e-mail permission, language,
//! time zone; deactivating ends the user's sessions and live streams at once). The last
//! active admin cannot be demoted or deactivated.

use agentdesk_protocol::{
    CreateTeam, CreateUser, Role, TeamRef, TeamSummary, USERS_PAGE_MAX, UpdateTeam, UpdateUser,
    UserSummary, UsersQuery,
};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};

use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::store::accounts::UserChanged;
use crate::store::teams::TeamDeleted;
use crate::store::{AuditEntry, NewUser};
use crate::{AppState, validate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route("/teams/summary", get(team_summaries))
        .route("/teams/{id}", patch(update_team).delete(delete_team))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", patch(update_user))
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

async fn team_summaries(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<TeamSummary>>> {
    require(&caller, &[Role::Admin])?;
    Ok(ApiJson(state.store.team_summaries().await?))
}

async fn update_team(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateTeam>,
) -> ApiResult<ApiJson<TeamRef>> {
    require(&caller, &[Role::Admin])?;
    if req == UpdateTeam::default() {
        return Err(ApiError::validation(
            "name",
            "nothing to change: give `name` or `archived`",
        ));
    }
    if let Some(name) = &req.name {
        validate::short_text("name", name)?;
    }
    let team = state
        .store
        .update_team(id, req.name.as_deref().map(str::trim), req.archived)
        .await?
        .ok_or(ApiError::NotFound("team"))?;
    // One record per change asked for.
    let actions = [
        req.name.as_ref().map(|_| "team_renamed"),
        req.archived.map(|a| {
            if a {
                "team_archived"
            } else {
                "team_unarchived"
            }
        }),
    ];
    for action in actions.into_iter().flatten() {
        super::audit(&state, &caller, ip.clone(), action, format!("team:{id}")).await?;
    }
    Ok(ApiJson(team))
}

async fn delete_team(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    require(&caller, &[Role::Admin])?;
    let message = match state.store.delete_team(id).await? {
        TeamDeleted::Done => {
            super::audit(&state, &caller, ip, "team_deleted", format!("team:{id}")).await?;
            return Ok(StatusCode::NO_CONTENT);
        }
        TeamDeleted::NotFound => return Err(ApiError::NotFound("team")),
        TeamDeleted::InUse {
            members,
            contacts,
            integrations,
        } => format!(
            "the team has {members} members, {contacts} contacts and {integrations} \
             integrations or mailboxes: archive it instead (its history stays readable)"
        ),
        TeamDeleted::HasHistory => "the team has history (calls, e-mail, events or logs): \
                                    archive it instead"
            .to_string(),
    };
    Err(ApiError::ConflictOn {
        field: "team",
        message,
    })
}

/// The users the caller may see that the filters keep, a page of them when asked, and
/// how many match (`x-total-count`).
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> ApiResult<([(&'static str, String); 1], ApiJson<Vec<UserSummary>>)> {
    require(&caller, &[Role::Supervisor, Role::Admin])?;
    if q.limit.is_some_and(|l| !(1..=USERS_PAGE_MAX).contains(&l)) {
        return Err(ApiError::validation(
            "limit",
            format!("from 1 to {USERS_PAGE_MAX}"),
        ));
    }
    if q.q.as_deref().is_some_and(|t| t.chars().count() > 128) {
        return Err(ApiError::validation("q", "at most 128 characters"));
    }
    let found: Vec<UserSummary> = users_seen(&state, &caller)
        .await?
        .into_iter()
        .filter(|u| q.keeps(u))
        .collect();
    let total = found.len();
    let page = found
        .into_iter()
        .skip(q.offset.unwrap_or(0) as usize)
        .take(q.limit.map_or(usize::MAX, |l| l as usize))
        .collect();
    Ok(([("x-total-count", total.to_string())], ApiJson(page)))
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, ApiJson<UserSummary>)> {
    require(&caller, &[Role::Admin])?;
    validate::username(&req.username)?;
    validate::password("password", &req.password, &req.username)?;
    validate::short_text("display_name", &req.display_name)?;
    let time_zone = req.time_zone.clone().unwrap_or_else(|| "UTC".into());
    validate::time_zone(&time_zone)?;
    known_teams(&state, &req.teams, &[]).await?;
    let email = match &req.email {
        Some(e) => crate::validate::user_email("email", e)?,
        None => None,
    };
    let ucontact_agent = match &req.ucontact_agent {
        Some(a) => validate::ucontact_agent(a)?,
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
            password_hash: password_hash.clone(),
            role: req.role,
            can_email: req.can_email,
            locale: req.locale,
            time_zone,
            ucontact_agent,
            email,
            team_ids: req.teams.clone(),
        })
        .await?;
    if req.must_change_password {
        // Flagged right after the insert: a session is checked against the flag on every
        // request, so none opened in between escapes it.
        state
            .store
            .set_password(id, &password_hash, true, None, None)
            .await?;
    }
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
    let user = user_as_seen(&state, &caller, id).await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// User `id` as the caller's list shows them (after a create or a change).
pub(super) async fn user_as_seen(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<UserSummary> {
    users_seen(state, caller)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or(ApiError::NotFound("user"))
}

/// The users the caller sees, each `locked` when the sign-in throttle holds their
/// username back from some address (`auth::check_login_rate`'s rule).
async fn users_seen(state: &AppState, caller: &Caller) -> ApiResult<Vec<UserSummary>> {
    let mut users = state.store.list_users(&caller.viewer).await?;
    let since =
        crate::clock::now() - chrono::Duration::minutes(crate::auth::FAILURE_WINDOW_MINUTES);
    let held: std::collections::HashSet<String> = state
        .store
        .throttled_usernames(since, crate::auth::MAX_USER_FAILURES)
        .await?
        .into_iter()
        .map(|u| u.to_lowercase())
        .collect();
    let admin = caller.viewer.role == Role::Admin;
    for u in &mut users {
        u.locked = held.contains(&u.username.to_lowercase());
        // A supervisor sees who is in their teams, not how to reach or link them nor the
        // state of their credentials: that is the admins' to manage.
        if !admin {
            u.email = None;
            u.ucontact_agent = None;
            u.locked = false;
            u.must_change_password = false;
        }
    }
    Ok(users)
}

/// `teams` checked to be teams the admin sees (all of them), else a 422 naming one; a
/// user joins no archived team (`already`: the teams they are in, who may stay).
async fn known_teams(state: &AppState, teams: &[i64], already: &[i64]) -> ApiResult<()> {
    let known = state.store.team_summaries().await?;
    for t in teams {
        match known.iter().find(|k| k.id == *t) {
            None => {
                return Err(ApiError::validation(
                    "teams",
                    format!("no team with id {t}"),
                ));
            }
            Some(k) if k.archived && !already.contains(t) => {
                return Err(ApiError::validation(
                    "teams",
                    format!("team `{}` is archived: nobody new joins it", k.name),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<ApiJson<UserSummary>> {
    require(&caller, &[Role::Admin])?;
    if let Some(name) = &req.display_name {
        validate::short_text("display_name", name)?;
    }
    if let Some(tz) = &req.time_zone {
        validate::time_zone(tz)?;
    }
    if let Some(teams) = &req.teams {
        let already: Vec<i64> = match user_as_seen(&state, &caller, id).await {
            Ok(u) => u.teams.iter().map(|t| t.id).collect(),
            Err(_) => Vec::new(),
        };
        known_teams(&state, teams, &already).await?;
    }
    if let Some(a) = &req.ucontact_agent {
        validate::ucontact_agent(a)?;
    }
    if let Some(e) = &req.email {
        validate::user_email("email", e)?;
    }
    let ended = match state.store.update_user(id, &req).await? {
        UserChanged::Done { ended_sessions } => ended_sessions,
        UserChanged::NotFound => return Err(ApiError::NotFound("user")),
        UserChanged::LastAdmin => {
            return Err(ApiError::ConflictOn {
                field: if req.active == Some(false) {
                    "active"
                } else {
                    "role"
                },
                message: "this is the last active admin: make another user an admin first".into(),
            });
        }
    };
    super::end_sessions(&state, id, &ended).await?;
    let action = match req.active {
        Some(false) => "user_deactivated",
        Some(true) => "user_reactivated",
        None => "user_updated",
    };
    super::audit(&state, &caller, ip, action, format!("user:{id}")).await?;
    let user = user_as_seen(&state, &caller, id).await?;
    Ok(ApiJson(user))
}
