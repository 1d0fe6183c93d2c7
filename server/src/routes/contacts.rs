//! Contacts and their activities. Team scoping happens in the store queries.

use agentdesk_protocol::{Activity, ActivityPage, Contact, ContactList, ContactQuery};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// Activities per timeline page (SPEC: 10).
pub const PAGE_SIZE: u32 = 10;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list))
        .route("/contacts/{id}", get(one))
        .route("/contacts/{id}/activities", get(activities))
        .route("/activities/{id}", get(activity))
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn encode_cursor(name: &str, id: i64) -> String {
    B64.encode(serde_json::to_vec(&(name, id)).unwrap_or_default())
}

fn decode_cursor(cursor: &str) -> Result<(String, i64), ApiError> {
    B64.decode(cursor)
        .ok()
        .and_then(|b| serde_json::from_slice::<(String, i64)>(&b).ok())
        .ok_or_else(|| ApiError::validation("after", "not a cursor this server issued"))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> ApiResult<ApiJson<ContactList>> {
    let limit = q.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 100"));
    }
    if q.q.as_deref().is_some_and(|s| s.chars().count() > 128) {
        return Err(ApiError::validation("q", "at most 128 characters"));
    }
    let after = q.after.as_deref().map(decode_cursor).transpose()?;
    // One extra row tells whether there is a next page.
    let mut items = state
        .store
        .search_contacts(
            &caller.viewer,
            q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()),
            after.as_ref().map(|(n, id)| (n.as_str(), *id)),
            limit + 1,
        )
        .await?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|c| encode_cursor(&c.name, c.id))
    } else {
        None
    };
    Ok(ApiJson(ContactList { items, next }))
}

async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<Contact>> {
    let contact = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    Ok(ApiJson(contact))
}

/// The newest page of a contact's timeline. (Paging, filters and search come with the
/// timeline work; this answers page 1.)
async fn activities(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<ActivityPage>> {
    let items = state
        .store
        .recent_activities(&caller.viewer, id, PAGE_SIZE)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    let total = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .map(|c| c.activity_count)
        .unwrap_or(0);
    Ok(ApiJson(ActivityPage { items, total }))
}

async fn activity(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<Activity>> {
    let a = state
        .store
        .activity(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("activity"))?;
    Ok(ApiJson(a))
}
