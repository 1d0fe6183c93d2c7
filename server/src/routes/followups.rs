//! Automated follow-ups, for admins: `GET/POST /followups`, `GET/PUT/DELETE
//! /followups/{id}`, `GET /followups/{id}/runs`, `POST /followups/{id}/run` ("run now"),
//! `POST /followups/dry-run` (a spec, stored or not: what a poll would send). And every
//! user's notification centre: `GET /notifications`, `POST /notifications/read`, `POST
//! /notifications/{id}/actions/{button}` (a card's button that calls an action).
//!
//! Secrets (secret headers' values, the webhook URL) are write-only: answers carry
//! them as `null`, and a `null` sent back keeps the stored value.

use agentdesk_protocol::followup::{
    ActionTaken, Channel, DryRun, FollowUp, FollowUpRun, FollowUpSpec, ImportReport, Notifications,
    ReadNotifications,
};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use super::admin;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::followups::archive;
use crate::store::followups::StoredFollowUp;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/followups", get(list).post(create))
        .route("/followups/dry-run", post(dry_run))
        .route("/followups/export", get(export))
        .route("/followups/import", post(import))
        .route("/followups/{id}", get(one).put(update).delete(remove))
        .route("/followups/{id}/runs", get(runs))
        .route("/followups/{id}/run", post(run_now))
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(read))
        .route("/notifications/{id}/actions/{button}", post(act))
}

/// Everything a spec must satisfy to be stored, beyond its own rules: a channel this
/// server can deliver on, URLs this server may call, and its secrets when active.
fn check(state: &AppState, spec: &FollowUpSpec) -> ApiResult<()> {
    spec.check()
        .map_err(|(field, why)| ApiError::validation(field, why))?;
    // "Last used" without a sender reaches everyone in the desktop; e-mail alone cannot.
    if spec.channel == Channel::Email && state.mailer.is_none() {
        return Err(ApiError::validation(
            "channel",
            "this server has no SMTP sender (AGENTDESK_SMTP_URL): choose in_app, webhook or \
             last_used",
        ));
    }
    let urls = spec
        .http_calls()
        .into_iter()
        .map(|(prefix, c)| (format!("{prefix}.url"), c.url.as_str()))
        .chain(
            spec.webhook_url
                .as_deref()
                .map(|u| ("webhook_url".to_string(), u)),
        );
    for (field, url) in urls {
        // A URL whose host comes from a placeholder is checked when called.
        if let Ok(u) = url::Url::parse(url.trim()) {
            state
                .outbound
                .check(&u)
                .map_err(|e| ApiError::validation(field, e.to_string()))?;
        }
    }
    if spec.active
        && let Some(field) = spec.missing_secret()
    {
        return Err(ApiError::validation(
            field,
            "a secret is required to activate the follow-up",
        ));
    }
    Ok(())
}

async fn shown(state: &AppState, f: StoredFollowUp) -> ApiResult<FollowUp> {
    let last_run = state.store.followup_runs(f.id, 1).await?.into_iter().next();
    Ok(FollowUp {
        id: f.id,
        needs_secrets: f.spec.missing_secrets(),
        spec: f.spec.without_secrets(),
        next_poll_at: f.next_poll_at,
        updated_at: f.updated_at,
        last_run,
    })
}

async fn stored(state: &AppState, id: i64) -> ApiResult<StoredFollowUp> {
    state
        .store
        .followup(id)
        .await?
        .ok_or(ApiError::NotFound("follow-up"))
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<ApiJson<Vec<FollowUp>>> {
    admin(&caller)?;
    let mut out = Vec::new();
    for f in state.store.followups().await? {
        out.push(shown(&state, f).await?);
    }
    Ok(ApiJson(out))
}

async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<FollowUp>> {
    admin(&caller)?;
    let f = stored(&state, id).await?;
    Ok(ApiJson(shown(&state, f).await?))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(spec): ApiJson<FollowUpSpec>,
) -> ApiResult<(StatusCode, ApiJson<FollowUp>)> {
    admin(&caller)?;
    check(&state, &spec)?;
    let id = state
        .store
        .create_followup(&spec, crate::clock::now())
        .await?;
    let f = stored(&state, id).await?;
    Ok((StatusCode::CREATED, ApiJson(shown(&state, f).await?)))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(mut spec): ApiJson<FollowUpSpec>,
) -> ApiResult<ApiJson<FollowUp>> {
    admin(&caller)?;
    let old = stored(&state, id).await?;
    spec.keep_secrets_of(&old.spec);
    check(&state, &spec)?;
    if !state
        .store
        .update_followup(id, &spec, crate::clock::now())
        .await?
    {
        return Err(ApiError::NotFound("follow-up"));
    }
    let f = stored(&state, id).await?;
    Ok(ApiJson(shown(&state, f).await?))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    admin(&caller)?;
    if state.store.delete_followup(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("follow-up"))
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct RunsQuery {
    /// How many runs (default 20).
    #[serde(default = "twenty")]
    limit: u32,
}

fn twenty() -> u32 {
    20
}

async fn runs(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> ApiResult<ApiJson<Vec<FollowUpRun>>> {
    admin(&caller)?;
    stored(&state, id).await?;
    Ok(ApiJson(
        state.store.followup_runs(id, q.limit.clamp(1, 200)).await?,
    ))
}

async fn run_now(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<FollowUpRun>> {
    admin(&caller)?;
    let f = stored(&state, id).await?;
    if let Some(field) = f.spec.missing_secret() {
        return Err(ApiError::validation(
            field,
            "enter the secret before running it",
        ));
    }
    state
        .followups
        .run_now(id, crate::clock::now())
        .await?
        .map(ApiJson)
        .ok_or_else(|| ApiError::Conflict("the follow-up is being polled right now".into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct DryRunQuery {
    /// The stored follow-up whose records the spec continues (and whose secrets it
    /// keeps).
    id: Option<i64>,
}

async fn dry_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DryRunQuery>,
    ApiJson(mut spec): ApiJson<FollowUpSpec>,
) -> ApiResult<ApiJson<DryRun>> {
    admin(&caller)?;
    if let Some(id) = q.id {
        spec.keep_secrets_of(&stored(&state, id).await?.spec);
    }
    spec.active = false;
    check(&state, &spec)?;
    if let Some(field) = spec.missing_secret() {
        return Err(ApiError::validation(
            field,
            "a secret is required to call the system",
        ));
    }
    Ok(ApiJson(
        state
            .followups
            .dry_run(&spec, q.id, crate::clock::now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct ExportQuery {
    /// Comma-separated follow-up ids; absent: all of them.
    ids: Option<String>,
}

/// The follow-ups asked for (all when none are named) as a zip archive, secrets left out.
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<impl IntoResponse> {
    admin(&caller)?;
    let wanted = match q.ids.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(list) => Some(
            list.split(',')
                .map(|p| p.trim().parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| ApiError::validation("ids", "comma-separated follow-up ids"))?,
        ),
    };
    let all = state.store.followups().await?;
    if let Some(ids) = &wanted
        && let Some(missing) = ids.iter().find(|id| !all.iter().any(|f| f.id == **id))
    {
        return Err(ApiError::validation(
            "ids",
            format!("no follow-up {missing}"),
        ));
    }
    let specs: Vec<FollowUpSpec> = all
        .into_iter()
        .filter(|f| wanted.as_ref().is_none_or(|ids| ids.contains(&f.id)))
        .map(|f| f.spec)
        .collect();
    let zip = archive::write(&specs).map_err(ApiError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"followups.zip\"",
            ),
        ],
        zip,
    ))
}

/// A zip archive of follow-ups (as exported): every file checked first — one problem
/// and nothing is created; names already taken are reported and skipped; the rest are
/// created inactive, to be given their secrets and turned on.
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, ApiJson<ImportReport>)> {
    admin(&caller)?;
    let specs = archive::read(&body).map_err(|problems| {
        let first = &problems[0];
        let field = match (&first.file, &first.field) {
            (f, _) if f.is_empty() => "archive".to_string(),
            (f, Some(field)) => format!("{f}: {field}"),
            (f, None) => f.clone(),
        };
        let more = match problems.len() {
            1 => String::new(),
            n => format!(" (and {} more problems)", n - 1),
        };
        ApiError::validation(field, format!("{}{more}", first.message))
    })?;
    let report = archive::create_all(&state.store, specs, crate::clock::now()).await?;
    let status = if report.created.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, ApiJson(report)))
}

async fn notifications(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Notifications>> {
    Ok(ApiJson(
        state.store.notifications(caller.viewer.user_id, 50).await?,
    ))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ReadNotifications>,
) -> ApiResult<StatusCode> {
    if req.ids.as_ref().is_some_and(|ids| ids.len() > 500) {
        return Err(ApiError::validation("ids", "at most 500 at once"));
    }
    let events = state
        .store
        .read_notifications(caller.viewer.user_id, req.ids.as_deref())
        .await?;
    state.events.publish(events);
    Ok(StatusCode::NO_CONTENT)
}

async fn act(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, button)): ApiPath<(i64, usize)>,
) -> ApiResult<ApiJson<ActionTaken>> {
    let taken = state
        .followups
        .act(caller.viewer.user_id, id, button, crate::clock::now())
        .await?;
    Ok(ApiJson(taken))
}
