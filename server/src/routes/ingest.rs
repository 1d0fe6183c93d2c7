//! The integrators' ingest API (`/ingest/{email,chat,ticket,sms}`; calls in `ingest_call`), authenticated per
//! integration (`ingest_auth`; the admins issue the credentials: `routes/integrations.rs`).
//! What each authenticated delivery became is noted for the integration's admins
//! (`ingest::deliveries`).

use agentdesk_protocol::{
    ActivityDetail, ChatParty, IngestChat, IngestEmail, IngestResult, IngestSms, IngestTicket,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use super::ingest_auth::integration_team;
pub use super::ingest_auth::{REPLAY_WINDOW_SECS, verify_signature};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, RawBody};
use crate::ingest::{Parts, email};

/// Largest body accepted (a raw email with attachments).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ingest/email", post(ingest_email))
        .route("/ingest/chat", post(ingest_chat))
        .route("/ingest/ticket", post(ingest_ticket))
        .route("/ingest/sms", post(ingest_sms))
        .route("/ingest/call", post(super::ingest_call::ingest_call))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The body as JSON, with the API's 400/422 errors.
pub(super) fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    let axum::Json(v) = axum::Json::<T>::from_bytes(body)?;
    crate::extract::refuse_nul(body)?;
    Ok(v)
}

/// 201 for a new interaction, 200 for a replay that changed nothing.
pub(super) type Answer = (StatusCode, ApiJson<IngestResult>);

fn answer(r: IngestResult) -> Answer {
    let status = if r.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, ApiJson(r))
}

pub(super) async fn store_one(
    state: &AppState,
    i: crate::store::ingest::NewInteraction,
) -> ApiResult<Answer> {
    let dropped = i.attributes_dropped;
    let (mut results, events) = state.store.ingest(&[i], true).await?;
    state.events.publish(events);
    crate::ingest::report_conflicts(&state.store, &results, "ingest").await;
    let mut r = results
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no ingest result")))?;
    // A replay keeps nothing new: nothing to report about its attributes (a call's
    // replay adds its attributes and reports them itself: `ingest_call`).
    if !r.duplicate {
        r.attributes_dropped = dropped;
    }
    Ok(answer(r))
}

pub(super) fn required(field: &str, v: &str, max: usize) -> ApiResult<()> {
    let n = v.trim().chars().count();
    if n == 0 {
        return Err(ApiError::validation(field, "is required"));
    }
    if n > max {
        return Err(ApiError::validation(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(())
}

async fn ingest_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Answer> {
    let (integration, team_id) = integration_team(&state, &headers, &body).await?;
    let out = deliver_email(&state, team_id, &body).await;
    state.deliveries.note(integration, "email", &out);
    out
}

async fn deliver_email(state: &AppState, team_id: i64, body: &Bytes) -> ApiResult<Answer> {
    let req: IngestEmail = parse(body)?;
    let (field, bytes): (&'static str, std::borrow::Cow<[u8]>) = match (&req.raw, &req.raw_base64) {
        (Some(raw), None) => ("raw", raw.as_bytes().into()),
        (None, Some(b64)) => {
            use base64::Engine;
            // Line breaks (as MIME tools wrap base64) are not part of the data.
            let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| ApiError::validation("raw_base64", format!("not base64: {e}")))?;
            ("raw_base64", bytes.into())
        }
        _ => {
            return Err(ApiError::validation(
                "raw",
                "send the message in exactly one of `raw` and `raw_base64`",
            ));
        }
    };
    // A report that one of the team's own messages bounced marks it failed, and answers
    // with that message (200: nothing new is stored).
    if let Some((activity_id, contact_id)) =
        crate::ingest::take_bounce(&state.store, &state.events, team_id, &bytes).await?
    {
        return Ok((
            StatusCode::OK,
            ApiJson(IngestResult {
                activity_id,
                contact_id,
                duplicate: false,
                contact_created: false,
                grouped: true,
                link_conflict: None,
                attributes_dropped: None,
            }),
        ));
    }
    let m = email::parse(&bytes).map_err(|e| ApiError::validation(field, e.to_string()))?;
    let defs = state.store.attribute_defs().await?;
    let i = email::interaction(
        &m,
        &email::Envelope {
            team_id,
            direction: req.direction,
            status: req.status,
            customer: &req.customer,
            conversation_id: req.conversation_id.clone(),
            attributes: &req.attributes,
        },
        &defs,
        &state.config.phone_region,
    );
    store_one(state, i).await
}

async fn ingest_chat(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Answer> {
    let (integration, team_id) = integration_team(&state, &headers, &body).await?;
    let out = deliver_chat(&state, team_id, &body).await;
    state.deliveries.note(integration, "chat", &out);
    out
}

async fn deliver_chat(state: &AppState, team_id: i64, body: &Bytes) -> ApiResult<Answer> {
    let req: IngestChat = parse(body)?;
    let defs = state.store.attribute_defs().await?;
    let start = |session_id: &str,
                 at,
                 customer: &agentdesk_protocol::CustomerRef,
                 conversation_id: Option<String>,
                 attributes: &agentdesk_protocol::Attributes| {
        Parts {
            source: "chat",
            source_key: session_id.trim().to_owned(),
            team_id,
            customer,
            counterparts: vec![],
            fallback_name: "",
            conversation_id,
            attributes,
            defs: &defs,
            region: &state.config.phone_region,
            user_id: None,
            occurred_at: at,
        }
        .build(
            ActivityDetail::Chat {
                session_id: session_id.trim().to_owned(),
                first_message: String::new(),
                duration_secs: 0,
                message_count: 0,
            },
            None,
        )
    };
    match req {
        IngestChat::Start {
            session_id,
            at,
            customer,
            conversation_id,
            attributes,
        } => {
            required("session_id", &session_id, 200)?;
            store_one(
                state,
                start(&session_id, at, &customer, conversation_id, &attributes),
            )
            .await
        }
        IngestChat::Message {
            session_id,
            message_id,
            at,
            from,
            text,
            customer,
        } => {
            required("session_id", &session_id, 200)?;
            required("message_id", &message_id, 200)?;
            if text.chars().count() > 20_000 {
                return Err(ApiError::validation("text", "at most 20000 characters"));
            }
            // A message of a session whose start never arrived starts it (the widget
            // creates the contact when unknown).
            let (_, events) = state
                .store
                .ingest(
                    &[start(&session_id, at, &customer, None, &Default::default())],
                    true,
                )
                .await?;
            state.events.publish(events);
            let first: String = text.trim().chars().take(300).collect();
            let merge = move |d: &ActivityDetail, started: chrono::DateTime<chrono::Utc>| match d {
                ActivityDetail::Chat {
                    session_id,
                    first_message,
                    duration_secs,
                    message_count,
                } => Some(ActivityDetail::Chat {
                    session_id: session_id.clone(),
                    first_message: if first_message.is_empty() && from == ChatParty::Customer {
                        first.clone()
                    } else {
                        first_message.clone()
                    },
                    duration_secs: (*duration_secs).max(
                        u32::try_from((at - started).num_seconds().max(0)).unwrap_or(u32::MAX),
                    ),
                    message_count: message_count.saturating_add(1),
                }),
                _ => None,
            };
            part(
                state,
                team_id,
                "chat-message",
                &format!("{}/{}", session_id.trim(), message_id.trim()),
                &session_id,
                &merge,
            )
            .await
        }
        IngestChat::End { session_id, at } => {
            required("session_id", &session_id, 200)?;
            let merge = move |d: &ActivityDetail, started: chrono::DateTime<chrono::Utc>| match d {
                ActivityDetail::Chat {
                    session_id,
                    first_message,
                    message_count,
                    ..
                } => Some(ActivityDetail::Chat {
                    session_id: session_id.clone(),
                    first_message: first_message.clone(),
                    duration_secs: u32::try_from((at - started).num_seconds().max(0))
                        .unwrap_or(u32::MAX),
                    message_count: *message_count,
                }),
                _ => None,
            };
            part(
                state,
                team_id,
                "chat-end",
                session_id.trim(),
                &session_id,
                &merge,
            )
            .await
        }
    }
}

async fn part(
    state: &AppState,
    team_id: i64,
    source: &'static str,
    key: &str,
    session_id: &str,
    merge: crate::store::ingest::Merge<'_>,
) -> ApiResult<Answer> {
    let Some((r, events)) = state
        .store
        .ingest_part(Some(team_id), source, key, "chat", session_id.trim(), merge)
        .await?
    else {
        return Err(ApiError::NotFound("chat session"));
    };
    state.events.publish(events);
    Ok(answer(r))
}

async fn ingest_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Answer> {
    let (integration, team_id) = integration_team(&state, &headers, &body).await?;
    let out = deliver_ticket(&state, team_id, &body).await;
    state.deliveries.note(integration, "ticket", &out);
    out
}

async fn deliver_ticket(state: &AppState, team_id: i64, body: &Bytes) -> ApiResult<Answer> {
    let req: IngestTicket = parse(body)?;
    required("ticket_id", &req.ticket_id, 200)?;
    required("subject", &req.subject, 500)?;
    let defs = state.store.attribute_defs().await?;
    // One activity per lifecycle step; a status change is keyed by its new status and
    // time so that each real change counts once.
    let key = match req.event {
        agentdesk_protocol::TicketEvent::StatusChanged => format!(
            "{}:{}:{}:{}",
            req.ticket_id.trim(),
            req.event.as_str(),
            serde_json::to_value(req.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            req.at.timestamp()
        ),
        e => format!("{}:{}", req.ticket_id.trim(), e.as_str()),
    };
    let i = Parts {
        source: "ticket",
        source_key: key,
        team_id,
        customer: &req.customer,
        counterparts: vec![],
        fallback_name: "",
        conversation_id: req.conversation_id.clone(),
        attributes: &req.attributes,
        defs: &defs,
        region: &state.config.phone_region,
        user_id: None,
        occurred_at: req.at,
    }
    .build(
        ActivityDetail::Ticket {
            ticket_id: req.ticket_id.trim().to_owned(),
            subject: req.subject.trim().to_owned(),
            status: req.status,
            event: req.event.as_str().to_owned(),
        },
        None,
    );
    store_one(state, i).await
}

async fn ingest_sms(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Answer> {
    let (integration, team_id) = integration_team(&state, &headers, &body).await?;
    let out = deliver_sms(&state, team_id, &body).await;
    state.deliveries.note(integration, "sms", &out);
    out
}

async fn deliver_sms(state: &AppState, team_id: i64, body: &Bytes) -> ApiResult<Answer> {
    let req: IngestSms = parse(body)?;
    required("id", &req.id, 200)?;
    required("number", &req.number, 40)?;
    if req.text.chars().count() > 5_000 {
        return Err(ApiError::validation("text", "at most 5000 characters"));
    }
    let defs = state.store.attribute_defs().await?;
    let empty = Default::default();
    let i = Parts {
        source: "sms",
        source_key: req.id.trim().to_owned(),
        team_id,
        customer: &req.customer,
        counterparts: vec![req.number.as_str()],
        fallback_name: "",
        conversation_id: None,
        attributes: &empty,
        defs: &defs,
        region: &state.config.phone_region,
        user_id: None,
        occurred_at: req.at,
    }
    .build(
        ActivityDetail::Sms {
            direction: req.direction,
            text: req.text.clone(),
        },
        None,
    );
    store_one(state, i).await
}

#[cfg(test)]
mod tests {
    use super::verify_signature;
    use hmac::{Hmac, Mac};

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(b"1700000000.{\"a\":1}");
        let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(verify_signature("s3cret", "1700000000", b"{\"a\":1}", &sig));
        assert!(!verify_signature(
            "s3cret",
            "1700000001",
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify_signature(
            "s3cret",
            "1700000000",
            b"{\"a\":2}",
            &sig
        ));
        assert!(!verify_signature("other", "1700000000", b"{\"a\":1}", &sig));
        assert!(!verify_signature(
            "s3cret",
            "1700000000",
            b"{\"a\":1}",
            "md5=00"
        ));
    }
}
