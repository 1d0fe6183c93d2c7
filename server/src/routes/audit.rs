//! The audit log as admins read it: `GET /audit` (JSON, newest first, paged by
//! `before`) and `GET /audit.csv` (every record the filters keep, up to
//! `AUDIT_CSV_MAX`), filtered by actor, action prefix, target and a date range in the
//! admin's time zone (`AuditQuery`).

use agentdesk_protocol::{
    AUDIT_CSV_MAX, AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, AuditQuery, AuditRecord,
};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::SecondsFormat;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::store::accounts::AuditFilter;
use crate::text::csv_field;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/audit.csv", get(csv))
}

/// The store's filter for `q`, checked: dates in the caller's zone (a day is its local
/// midnight to the next, whatever its length), `from` not after `to`, text bounded.
async fn filter(state: &AppState, caller: &Caller, q: &AuditQuery) -> ApiResult<AuditFilter> {
    super::admin(caller)?;
    for (field, v) in [("action", &q.action), ("target", &q.target)] {
        if v.as_ref().is_some_and(|v| v.chars().count() > 128) {
            return Err(ApiError::validation(field, "at most 128 characters"));
        }
    }
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        return Err(ApiError::validation("from", "must not be after `to`"));
    }
    let tz = super::status::viewer_tz(state, caller).await?;
    let from_ms = q
        .from
        .map(|d| crate::calendar::range(&tz, d, d).0.timestamp_millis());
    let to_ms =
        q.to.map(|d| crate::calendar::range(&tz, d, d).1.timestamp_millis());
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(AuditFilter {
        user_id: q.user,
        action_prefix: text(&q.action),
        target: text(&q.target),
        from_ms,
        to_ms,
        before: q.before,
    })
}

async fn page(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<ApiJson<Vec<AuditRecord>>> {
    let f = filter(&state, &caller, &q).await?;
    let limit = q.limit.unwrap_or(AUDIT_PAGE_DEFAULT);
    if !(1..=AUDIT_PAGE_MAX).contains(&limit) {
        return Err(ApiError::validation("limit", "from 1 to 1000"));
    }
    Ok(ApiJson(state.store.audit_log(&f, limit).await?))
}

async fn csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<impl IntoResponse> {
    let f = filter(&state, &caller, &q).await?;
    if q.limit.is_some() || q.before.is_some() {
        return Err(ApiError::validation(
            if q.limit.is_some() { "limit" } else { "before" },
            "the export holds every record the filters keep; it is not paged",
        ));
    }
    let rows = state.store.audit_log(&f, AUDIT_CSV_MAX + 1).await?;
    if rows.len() > AUDIT_CSV_MAX as usize {
        return Err(ApiError::validation(
            "from",
            "more than 100,000 records: narrow the dates or the filters",
        ));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        lines(&rows),
    ))
}

/// The records as CSV: a header, then one line each; text fields quoted as needed and
/// defused for spreadsheets (`csv_field`), times in UTC (RFC 3339).
fn lines(rows: &[AuditRecord]) -> String {
    let mut out = String::from("id,at,user_id,username,action,target,ip\r\n");
    for r in rows {
        let cells = [
            r.id.to_string(),
            r.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            r.user_id.map(|u| u.to_string()).unwrap_or_default(),
            csv_field(r.username.as_deref().unwrap_or("")),
            csv_field(&r.action),
            csv_field(r.target.as_deref().unwrap_or("")),
            csv_field(r.ip.as_deref().unwrap_or("")),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}
