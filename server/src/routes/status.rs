//! Agent status: the picker (`/status`), the supervisor's
//! board (`/board`) and each agent's connection-event log, CSV export and time per status.

use agentdesk_protocol::{
    AgentStatus, Board, ConnectionEventPage, ConnectionEventQuery, Role, SetStatus,
    SetStatusResult, StatusTime,
};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

use crate::AppState;
use crate::auth::Caller;
use crate::calendar;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::presence::{self, Change};
use crate::text::csv_field;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/status", get(mine).put(set))
        .route("/status/pending", delete(cancel_pending))
        .route("/board", get(board))
        .route("/agents/{id}/status", get(agent_status))
        .route("/agents/{id}/connection-events", get(log))
        .route("/agents/{id}/connection-events.csv", get(log_csv))
        .route("/agents/{id}/status-time", get(status_time))
        .route("/agents/{id}/queue-log", get(queue_log))
}

async fn mine(State(state): State<AppState>, caller: Caller) -> ApiResult<ApiJson<AgentStatus>> {
    Ok(ApiJson(
        state.store.agent_status(caller.viewer.user_id).await?,
    ))
}

/// The picker: a custom value (or `available`); queued while the agent is in a call.
async fn set(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SetStatus>,
) -> ApiResult<ApiJson<SetStatusResult>> {
    let defs = state.store.status_defs().await?;
    presence::check_choice(&defs, &req.value)?;
    let (status, queued) = presence::apply(
        &state,
        caller.viewer.user_id,
        Change::Choose { value: req.value },
    )
    .await?;
    Ok(ApiJson(SetStatusResult { status, queued }))
}

async fn cancel_pending(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<AgentStatus>> {
    let (status, _) = presence::apply(&state, caller.viewer.user_id, Change::CancelPending).await?;
    Ok(ApiJson(status))
}

fn supervisor(caller: &Caller) -> ApiResult<()> {
    match caller.viewer.role {
        Role::Supervisor | Role::Admin => Ok(()),
        Role::Agent => Err(ApiError::Forbidden),
    }
}

async fn board(State(state): State<AppState>, caller: Caller) -> ApiResult<ApiJson<Board>> {
    supervisor(&caller)?;
    Ok(ApiJson(state.store.board(&caller.viewer).await?))
}

/// 404 (not 403) for an agent the caller may not watch: ids of other teams stay unknown.
async fn watched(state: &AppState, caller: &Caller, user_id: i64) -> ApiResult<()> {
    if state.store.can_watch(&caller.viewer, user_id).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound("agent"))
    }
}

async fn agent_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<AgentStatus>> {
    watched(&state, &caller, id).await?;
    Ok(ApiJson(state.store.agent_status(id).await?))
}

/// The viewer's time zone, for day boundaries.
pub(super) async fn viewer_tz(state: &AppState, caller: &Caller) -> ApiResult<Tz> {
    let me = state
        .store
        .me(caller.viewer.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(me.time_zone.parse().unwrap_or(Tz::UTC))
}

/// The inclusive local date range a per-day view shows: the one asked for, completed
/// with the defaults (the last [`DEFAULT_DAYS`] days up to today, in the viewer's zone,
/// on the server's clock); 422 when reversed.
fn dates(tz: &Tz, q: &ConnectionEventQuery) -> ApiResult<(NaiveDate, NaiveDate)> {
    let (default_from, today) = calendar::last_days(tz, crate::clock::now(), DEFAULT_DAYS);
    // A start after today alone shows that one day (and a start after an end is a 422).
    let to = q.to.unwrap_or(today.max(q.from.unwrap_or(today)));
    let from = match (q.from, q.to) {
        (Some(f), _) => f,
        (None, None) => default_from,
        (None, Some(t)) => t
            .checked_sub_days(chrono::Days::new(u64::from(DEFAULT_DAYS) - 1))
            .unwrap_or(NaiveDate::MIN),
    };
    if from > to {
        return Err(ApiError::validation("from", "must not be after `to`"));
    }
    Ok((from, to))
}

/// `[from, to)` in ms of an inclusive local date range.
fn range(tz: &Tz, (from, to): (NaiveDate, NaiveDate)) -> (i64, i64) {
    let (a, b) = calendar::range(tz, from, to);
    (a.timestamp_millis(), b.timestamp_millis())
}

async fn log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ConnectionEventQuery>,
) -> ApiResult<ApiJson<ConnectionEventPage>> {
    watched(&state, &caller, id).await?;
    if q.page == Some(0) {
        return Err(ApiError::validation("page", "pages start at 1"));
    }
    let tz = viewer_tz(&state, &caller).await?;
    let days = dates(&tz, &q)?;
    let (from, to) = range(&tz, days);
    let mut page = state
        .store
        .connection_events(id, Some(from), Some(to), q.page.unwrap_or(1))
        .await?;
    (page.from, page.to) = days;
    Ok(ApiJson(page))
}

/// The agent's rows of uContact's queue_log (imported exports and the desktop's own
/// calls) in the viewer's teams, by the same date range as the connection log.
async fn queue_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ConnectionEventQuery>,
) -> ApiResult<ApiJson<agentdesk_protocol::QueueLogPage>> {
    watched(&state, &caller, id).await?;
    if q.page == Some(0) {
        return Err(ApiError::validation("page", "pages start at 1"));
    }
    let tz = viewer_tz(&state, &caller).await?;
    let days = dates(&tz, &q)?;
    let (from, to) = range(&tz, days);
    let me = state
        .store
        .me(id)
        .await?
        .ok_or(ApiError::NotFound("agent"))?;
    let agent = me.ucontact_agent.unwrap_or(me.username);
    let teams = state.store.viewer_teams(&caller.viewer).await?;
    let page = q.page.unwrap_or(1);
    let (items, total) = state
        .store
        .queue_log_page(&agent, teams.as_deref(), from, to, page)
        .await?;
    let size = u64::from(agentdesk_protocol::CONNECTION_EVENTS_PAGE_SIZE);
    let pages = u32::try_from(total.div_ceil(size).max(1)).unwrap_or(u32::MAX);
    Ok(ApiJson(agentdesk_protocol::QueueLogPage {
        items,
        total,
        page: page.min(pages),
        pages,
        from: days.0,
        to: days.1,
    }))
}

/// Rows read from the store per round while streaming an export.
const CSV_BATCH: u32 = 2000;

/// The log as CSV (uContact's columns: date, type, value, reason, session id), streamed
/// in batches so a long range never sits in memory. Dates are ISO 8601 in the viewer's
/// time zone.
async fn log_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ConnectionEventQuery>,
) -> ApiResult<Response> {
    watched(&state, &caller, id).await?;
    let tz = viewer_tz(&state, &caller).await?;
    let (from, to) = range(&tz, dates(&tz, &q)?);
    let store = state.store.clone();
    let body = async_stream::stream! {
        yield Ok::<_, std::io::Error>("date,type,value,reason,session_id\r\n".to_string());
        let mut after = 0;
        loop {
            let batch = match store.connection_events_range(id, from, to, after, CSV_BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "connection-event export failed");
                    yield Err(std::io::Error::other("export failed"));
                    break;
                }
            };
            let mut out = String::new();
            for e in &batch {
                after = e.id;
                out.push_str(&format!(
                    "{},{},{},{},{}\r\n",
                    e.at.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                    e.kind.as_str(),
                    csv_field(&e.value),
                    e.reason.map(|r| r.as_str()).unwrap_or(""),
                    csv_field(&e.session_id),
                ));
            }
            if !out.is_empty() {
                yield Ok(out);
            }
            if batch.len() < CSV_BATCH as usize {
                break;
            }
        }
    };
    let name = format!("connection-events-{id}.csv");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// Days a per-day view shows when no range is asked for: the last week.
pub const DEFAULT_DAYS: u32 = 7;

/// Time per status per day of a range (`protocol::chart` says how long a range may be;
/// the browser groups long ones by week or month).
async fn status_time(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ConnectionEventQuery>,
) -> ApiResult<ApiJson<StatusTime>> {
    watched(&state, &caller, id).await?;
    let tz = viewer_tz(&state, &caller).await?;
    let (from_day, to_day) = dates(&tz, &q)?;
    if agentdesk_protocol::chart::range_problem(from_day, to_day).is_some() {
        return Err(ApiError::validation(
            "to",
            format!(
                "at most {} days at a time",
                agentdesk_protocol::chart::MAX_CHART_DAYS
            ),
        ));
    }
    let (from, to) = range(&tz, (from_day, to_day));
    let start = state.store.status_at(id, from).await?;
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let batch = state
            .store
            .connection_events_range(id, from, to, after, CSV_BATCH)
            .await?;
        let n = batch.len();
        for e in batch {
            after = e.id;
            events.push((e.at.timestamp_millis(), e.value));
        }
        if n < CSV_BATCH as usize {
            break;
        }
    }
    let ms = |v: i64| DateTime::from_timestamp_millis(v).unwrap_or_default();
    Ok(ApiJson(StatusTime {
        days: presence::status_time(&tz, start, &events, ms(from), ms(to), crate::clock::now()),
    }))
}
