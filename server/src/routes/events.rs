//! The real-time stream: `GET /events` (SSE) and the tickets that open it.

use agentdesk_protocol::{StreamTicket, WatchedContacts};
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Caller, new_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};

/// A ticket opens a stream only within this window; reconnecting later takes a new one.
const TICKET_SECS: i64 = 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stream-tickets", post(ticket))
        .route("/events", get(events))
}

async fn ticket(State(state): State<AppState>, caller: Caller) -> ApiResult<ApiJson<StreamTicket>> {
    let ticket = new_token();
    let expires_at = crate::clock::now() + chrono::Duration::seconds(TICKET_SECS);
    state
        .store
        .create_stream_ticket(
            &token_hash(&ticket),
            &caller.token_hash,
            caller.viewer.user_id,
            expires_at,
        )
        .await?;
    Ok(ApiJson(StreamTicket { ticket, expires_at }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    ticket: Option<String>,
    /// For clients that reconnect by hand (a new `EventSource` cannot set the header).
    last_event_id: Option<i64>,
    /// The contacts whose activity events to send (see [`WatchedContacts`]); absent: all.
    contacts: Option<String>,
}

/// Who opens a stream: a bearer token's session (API clients) or a stream ticket's hash
/// (browsers).
enum Opener {
    Session(Caller),
    Ticket(String),
}

/// Authenticated by a bearer token (API clients) or a stream ticket (browsers).
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<impl IntoResponse> {
    let opener = match (caller, q.ticket.as_deref()) {
        (Some(c), _) => Opener::Session(c),
        (None, Some(t)) => Opener::Ticket(token_hash(t)),
        (None, None) => return Err(ApiError::Unauthorized),
    };
    // The request is checked before a ticket is spent or a stream registered.
    let header_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<i64>())
        .transpose()
        .map_err(|_| ApiError::validation("Last-Event-ID", "must be an event id"))?;
    let resume = header_id.or(q.last_event_id);
    let contacts = q
        .contacts
        .as_deref()
        .map(WatchedContacts::parse)
        .transpose()
        .map_err(|why| ApiError::validation("contacts", why))?;
    // An open stream is what makes the user's desktop count as connected.
    let (viewer, presence) = match opener {
        Opener::Session(c) => {
            let guard =
                crate::presence::StreamGuard::open(&state, c.viewer.user_id, &c.token_hash).await?;
            (c.viewer, guard)
        }
        Opener::Ticket(hash) => crate::presence::StreamGuard::open_with_ticket(&state, &hash)
            .await?
            .ok_or(ApiError::Unauthorized)?,
    };
    let sse = crate::events::stream(
        &state.events,
        state.store.clone(),
        viewer,
        contacts,
        resume,
        Some(presence),
    )
    .await?;
    Ok(sse)
}
