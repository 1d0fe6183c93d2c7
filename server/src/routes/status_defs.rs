//! The status values (`/statuses`): every one, in picker order, for anyone signed in;
//! admins add and change custom ones — labels, colour, uContact's break reason,
//! retiring — and set their order (`/status-order`). System values are fixed.

use agentdesk_protocol::{StatusDef, StatusOrder, UpsertStatus};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};

use super::{admin, audit};
use crate::AppState;
use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};

/// The most custom statuses an order may name (the picker is a short list).
const MAX_ORDERED: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/statuses", get(defs))
        .route("/statuses/{value}", put(put_def))
        .route("/status-order", put(order))
}

async fn defs(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<ApiJson<Vec<StatusDef>>> {
    Ok(ApiJson(state.store.status_defs().await?))
}

/// Add a custom value or change one (absent settings are kept).
async fn put_def(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(value): ApiPath<String>,
    ApiJson(def): ApiJson<UpsertStatus>,
) -> ApiResult<StatusCode> {
    admin(&caller)?;
    if !agentdesk_protocol::valid_value(&value) {
        return Err(ApiError::validation(
            "value",
            "must be lowercase words joined by hyphens, without accents",
        ));
    }
    for (field, label) in [("label_es", &def.label_es), ("label_en", &def.label_en)] {
        let n = label.trim().chars().count();
        if n == 0 || n > 40 || label.chars().any(char::is_control) {
            return Err(ApiError::validation(
                field,
                "1 to 40 characters on one line",
            ));
        }
    }
    let hex = def.color.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::validation("color", "must be #rrggbb"));
    }
    let def = UpsertStatus {
        label_es: def.label_es.trim().to_owned(),
        label_en: def.label_en.trim().to_owned(),
        color: def.color.to_ascii_lowercase(),
        ..def
    };
    if agentdesk_protocol::is_system(&value) || !state.store.upsert_status_def(&value, &def).await?
    {
        return Err(ApiError::ConflictOn {
            field: "value",
            message: "system statuses cannot be changed".into(),
        });
    }
    let action = match def.retired {
        Some(true) => "status.retire",
        Some(false) => "status.restore",
        None => "status.define",
    };
    audit(&state, &caller, ip, action, value).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The custom statuses in the order given; those not named follow in their old order.
async fn order(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<StatusOrder>,
) -> ApiResult<ApiJson<Vec<StatusDef>>> {
    admin(&caller)?;
    if req.values.is_empty() || req.values.len() > MAX_ORDERED {
        return Err(ApiError::validation(
            "values",
            "name 1 to 200 custom statuses",
        ));
    }
    let defs = state.store.status_defs().await?;
    let custom: Vec<&str> = defs
        .iter()
        .filter(|d| !d.system && !agentdesk_protocol::is_system(&d.value))
        .map(|d| d.value.as_str())
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for v in &req.values {
        if !custom.contains(&v.as_str()) {
            return Err(ApiError::validation(
                "values",
                "only custom statuses that exist can be ordered",
            ));
        }
        if !seen.insert(v.as_str()) {
            return Err(ApiError::validation("values", "a status is named twice"));
        }
    }
    let mut all = req.values.clone();
    all.extend(
        custom
            .iter()
            .filter(|v| !seen.contains(*v))
            .map(|v| v.to_string()),
    );
    state.store.order_statuses(&all).await?;
    audit(&state, &caller, ip, "status.order", all.join(",")).await?;
    Ok(ApiJson(state.store.status_defs().await?))
}
