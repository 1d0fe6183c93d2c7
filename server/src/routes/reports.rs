//! `GET /reports/queue`, `GET /reports/agents`, `GET /reports/teams/{id}`,
//! `GET /reports/conversations` (docs/reports.md): supervisors' and admins' reports of
//! one of their teams, as JSON or
//! as CSV (`?format=csv` or `Accept: text/csv`); `GET /reports/contacts/{id}`, a
//! contact's analytics for anyone who may open it. The numbers come from `crate::report`, like the `report` command's.

use agentdesk_protocol::Role;
use agentdesk_protocol::report::ReportQuery;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono_tz::Tz;

use super::status::viewer_tz;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::report::{self, Scope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/queue", get(queue))
        .route("/reports/agents", get(agents))
        .route("/reports/contacts/{id}", get(contact))
        .route("/reports/teams/{id}", get(team))
        .route("/reports/conversations", get(conversations))
}

/// Longest campaign or agent name a filter may name.
const MAX_FILTER: usize = 200;

/// A filter's value: trimmed, blank is none; NUL and overlong values are refused.
fn filter(field: &'static str, v: Option<&str>) -> ApiResult<Option<String>> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.contains('\0') || v.chars().count() > MAX_FILTER {
        return Err(ApiError::validation(
            field,
            format!("at most {MAX_FILTER} characters, no NUL"),
        ));
    }
    Ok(Some(v.to_owned()))
}

/// The report's team, zone and range for this caller: a team of theirs (404 for any
/// other: ids of other teams stay unknown), the only one when they have one.
async fn scope(state: &AppState, caller: &Caller, q: &ReportQuery) -> ApiResult<Scope> {
    if caller.viewer.role == Role::Agent {
        return Err(ApiError::Forbidden);
    }
    let visible = state.store.list_teams(&caller.viewer).await?;
    let team = match q.team {
        Some(t) if visible.iter().any(|v| v.id == t) => t,
        Some(_) => return Err(ApiError::NotFound("team")),
        None => match visible.as_slice() {
            [one] => one.id,
            _ => return Err(ApiError::validation("team", "choose a team")),
        },
    };
    let tz = zone(state, caller, q).await?;
    let mut s = Scope::new(team, q.from, q.to, q.interval, tz)
        .map_err(|(field, message)| ApiError::validation(field, message))?;
    s.campaign = filter("campaign", q.campaign.as_deref())?;
    s.agent = filter("agent", q.agent.as_deref())?;
    Ok(s)
}

/// The asked time zone, else the viewer's.
async fn zone(state: &AppState, caller: &Caller, q: &ReportQuery) -> ApiResult<Tz> {
    match q
        .time_zone
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty())
    {
        Some(z) => z
            .parse::<Tz>()
            .map_err(|_| ApiError::validation("time_zone", "not a known time zone")),
        None => viewer_tz(state, caller).await,
    }
}

/// CSV when asked by `format` or `Accept`; 422 for a format neither JSON nor CSV.
fn wants_csv(q: &ReportQuery, headers: &HeaderMap) -> ApiResult<bool> {
    match q.format.as_deref().map(str::trim) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ApiError::validation("format", "csv or json")),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv"))),
    }
}

fn csv(name: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The agent report's page the query asks for, checked.
fn page(q: &ReportQuery) -> ApiResult<report::Page> {
    use agentdesk_protocol::report::{AGENT_PAGE_ROWS, AGENT_PAGE_ROWS_MAX};
    let number = q.page.unwrap_or(1);
    if number == 0 {
        return Err(ApiError::validation("page", "from 1 on"));
    }
    let size = q.page_size.unwrap_or(AGENT_PAGE_ROWS);
    if !(1..=AGENT_PAGE_ROWS_MAX).contains(&size) {
        return Err(ApiError::validation(
            "page_size",
            format!("from 1 to {AGENT_PAGE_ROWS_MAX}"),
        ));
    }
    Ok(report::Page { number, size })
}

enum Report {
    Queue,
    Agents,
    Team,
    /// With its `filter` values (the query's, each `name:value`).
    Conversations(Vec<String>),
}

/// A report as JSON or CSV, named for its team and range.
async fn answer(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    q: &ReportQuery,
    which: Report,
) -> ApiResult<Response> {
    let csv_out = wants_csv(q, headers)?;
    let s = scope(state, caller, q).await?;
    // The CSV's text, or the JSON answer: only the one asked for is built.
    let (name, out) = match which {
        Report::Queue => {
            let r = report::queue(&state.store, &s).await?;
            let out = if csv_out {
                Err(report::csv::queue(&r))
            } else {
                Ok(Json(r).into_response())
            };
            ("queue", out)
        }
        Report::Agents => {
            // The CSV holds every row; JSON a page when one is asked for (the back
            // office always asks), else every row as before pages existed.
            let paged = !csv_out && (q.page.is_some() || q.page_size.is_some());
            let page = if paged { Some(page(q)?) } else { None };
            let r = report::agents(&state.store, &s, page).await?;
            let out = if csv_out {
                Err(report::csv::agents(&r))
            } else {
                Ok(Json(r).into_response())
            };
            ("agents", out)
        }
        Report::Team => {
            let r = report::team::team(&state.store, &s).await?;
            let out = if csv_out {
                Err(report::csv::team(&r))
            } else {
                Ok(Json(r).into_response())
            };
            ("team", out)
        }
        Report::Conversations(filters) => {
            let defs = state.store.attribute_defs().await?;
            let slice = report::conversations::Slice::new(
                &defs,
                q.group_by.as_deref(),
                q.channel.as_deref(),
                q.direction.as_deref(),
                filters,
            )
            .map_err(|(field, message)| ApiError::validation(field, message))?;
            let r = report::conversations::conversations(&state.store, &s, &slice, &defs).await?;
            let out = if csv_out {
                Err(report::csv::conversations(&r))
            } else {
                Ok(Json(r).into_response())
            };
            ("conversations", out)
        }
    };
    Ok(out.unwrap_or_else(|body| csv(format!("{name}-{}-{}-{}.csv", s.team, s.from, s.to), body)))
}

async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    answer(&state, &caller, &headers, &q, Report::Queue).await
}

async fn agents(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    answer(&state, &caller, &headers, &q, Report::Agents).await
}

/// A team's communication analytics: its supervisors and admins (404 for a team that is
/// not theirs, as for one that does not exist; 403 for agents).
async fn team(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(mut q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    q.team = Some(id);
    answer(&state, &caller, &headers, &q, Report::Team).await
}

/// A team's interactions by conversation attribute (docs/reports.md, "Conversations by
/// attribute"): `filter=name:value` may repeat, so it is read from the raw query.
async fn conversations(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let filters = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| v.into_owned())
        .collect();
    answer(
        &state,
        &caller,
        &headers,
        &q,
        Report::Conversations(filters),
    )
    .await
}

/// A contact's analytics: anyone who may open the contact (404 otherwise, as for one that
/// does not exist). The range defaults to the last twelve months.
async fn contact(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<agentdesk_protocol::report::ContactAnalytics>> {
    if state.store.contact(&caller.viewer, id).await?.is_none() {
        return Err(ApiError::NotFound("contact"));
    }
    let tz = zone(&state, &caller, &q).await?;
    let to =
        q.to.unwrap_or_else(|| crate::calendar::today(&tz, crate::clock::now()));
    let from = q.from.unwrap_or_else(|| to - chrono::Duration::days(365));
    if from > to {
        return Err(ApiError::validation("from", "must not be after `to`"));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::validation("to", "at most 366 days"));
    }
    Ok(Json(
        report::contact::contact(&state.store, &caller.viewer, id, (from, to), tz).await?,
    ))
}
