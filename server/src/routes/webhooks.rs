//! `POST /api/v1/webhooks/ucontact`: uContact's webhooks (`{event, date, …}`), each
//! mapped onto the same code paths as the desktop's own actions — status changes through
//! [`crate::presence`], calls through the ingest write path.
//!
//! The request must carry the configured secret: `X-Webhook-Secret: <secret>`, or a
//! signature (`X-Agentdesk-Timestamp` + `X-Agentdesk-Signature`, as for integrations,
//! keyed with the same secret). Without a configured secret every request is refused.

use agentdesk_protocol::{
    ActivityDetail, CustomerRef, Direction, Disposition, IN_CALL, UcBreak, UcWebhook, WebhookResult,
};
use axum::Router;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Utc;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, RawBody};
use crate::ingest::Parts;
use crate::presence::{self, Change};
use crate::routes::ingest::{REPLAY_WINDOW_SECS, verify_signature};

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/ucontact", post(receive))
}

fn authentic(secret: Option<&str>, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(secret) = secret else {
        tracing::warn!("uContact webhook refused: no webhook secret is configured");
        return false;
    };
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    if let Some(given) = h("x-webhook-secret") {
        use subtle_eq::ct_eq;
        return ct_eq(given.trim().as_bytes(), secret.as_bytes());
    }
    match (h("x-agentdesk-timestamp"), h("x-agentdesk-signature")) {
        (Some(ts), Some(sig)) => {
            let fresh = ts
                .trim()
                .parse::<i64>()
                .is_ok_and(|t| (crate::clock::now().timestamp() - t).abs() <= REPLAY_WINDOW_SECS);
            fresh && verify_signature(secret, ts.trim(), body, sig)
        }
        _ => false,
    }
}

/// Constant-time comparison (lengths may differ: that alone is not secret).
mod subtle_eq {
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// uContact dates: `2026-03-02 10:00:00` (server-local; taken as UTC) or RFC 3339.
/// A date that cannot be read is a 422 naming the field: filing the call at "now" would
/// put it on the wrong day of the contact's history without anyone noticing. uContact
/// writes its server's local time: read in `--ucontact-time-zone`.
fn webhook_time(state: &AppState, s: &str) -> ApiResult<chrono::DateTime<Utc>> {
    crate::ingest::ucontact_time(&state.config.ucontact_time_zone, s).map_err(|why| {
        ApiError::validation(
            "date",
            format!("is not a date uContact sends (`2026-03-02 10:00:00` or RFC 3339): {why}"),
        )
    })
}

async fn agent(state: &AppState, name: &str) -> ApiResult<(i64, Option<i64>)> {
    state
        .store
        .user_by_agent(name.trim())
        .await?
        .ok_or_else(|| {
            ApiError::validation("agent", "no desktop user is linked to this uContact agent")
        })
}

async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, ApiJson<WebhookResult>)> {
    let secret = crate::ucontact_settings::effective(&state)
        .await?
        .webhook_secret;
    if !authentic(secret.as_deref(), &headers, &body) {
        return Err(ApiError::Unauthorized);
    }
    let axum::Json(hook) = axum::Json::<UcWebhook>::from_bytes(&body)?;
    crate::extract::refuse_nul(&body)?;
    let event = hook.name().to_owned();
    let result = |duplicate, activity_id, status| WebhookResult {
        event: event.clone(),
        duplicate,
        activity_id,
        status,
    };
    match &hook {
        UcWebhook::AgentRingNoAnswer {
            agent: name,
            guid,
            date,
        } => {
            let (user, _) = agent(&state, name).await?;
            // It carries no id: the call's guid (else its date) names this ring for
            // this agent, so a re-delivery logs no second `timeout`.
            let at = webhook_time(&state, date)?;
            let key = match guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
                Some(g) => format!("AgentRingNoAnswer|{user}|guid|{g}"),
                None => format!("AgentRingNoAnswer|{user}|at|{}", at.timestamp_millis()),
            };
            if !state
                .store
                .first_delivery(&key, crate::clock::now())
                .await?
            {
                let s = state.store.agent_status(user).await?;
                return Ok((StatusCode::OK, ApiJson(result(true, None, Some(s)))));
            }
            let applied = presence::apply(
                &state,
                user,
                Change::Acd {
                    value: "timeout".into(),
                },
            )
            .await;
            match applied {
                Ok((s, _)) => Ok((StatusCode::OK, ApiJson(result(false, None, Some(s))))),
                Err(e) => {
                    // Not applied: uContact's retry must not be taken for a replay.
                    let _ = state.store.forget_delivery(&key).await;
                    Err(e)
                }
            }
        }
        UcWebhook::AgentLog {
            agent: name,
            is_login,
            ..
        } => {
            let (user, _) = agent(&state, name).await?;
            let change = if *is_login {
                Change::Connect {
                    fresh_session: presence::new_session_id(),
                }
            } else {
                Change::Disconnect {
                    reason: agentdesk_protocol::DisconnectReason::Logout,
                }
            };
            let (s, _) = presence::apply(&state, user, change).await?;
            Ok((StatusCode::OK, ApiJson(result(false, None, Some(s)))))
        }
        UcWebhook::AgentBreak {
            agent: name,
            motive,
            is_break,
            ..
        } => {
            let (user, _) = agent(&state, name).await?;
            // Unknown or missing reasons are still a break: OTHER → busy.
            let defs = state.store.status_defs().await?;
            let value = if *is_break {
                motive
                    .as_deref()
                    .and_then(UcBreak::parse)
                    .unwrap_or(UcBreak::Other)
                    .status_in(&defs)
            } else {
                agentdesk_protocol::AVAILABLE
            };
            let (s, _) = presence::apply(
                &state,
                user,
                Change::Choose {
                    value: value.into(),
                },
            )
            .await?;
            Ok((StatusCode::OK, ApiJson(result(false, None, Some(s)))))
        }
        UcWebhook::FinishInteraction {
            date,
            guid,
            agent: name,
            campaign,
            channel,
            client,
            duration,
            direction,
        } => {
            if channel.as_deref().is_some_and(|c| {
                !matches!(
                    c.to_ascii_lowercase().as_str(),
                    "call" | "voice" | "telephony" | "phone"
                )
            }) {
                // Chats, SMS and mail arrive through their own ingest with their content.
                return Ok((StatusCode::ACCEPTED, ApiJson(result(false, None, None))));
            }
            if guid.trim().is_empty() || client.trim().is_empty() {
                return Err(ApiError::validation(
                    "guid",
                    "a guid and the customer's number are required",
                ));
            }
            let (user, team) = match name.as_deref().filter(|n| !n.trim().is_empty()) {
                Some(n) => agent(&state, n).await?,
                None => return Err(ApiError::validation("agent", "is required")),
            };
            let team =
                team.ok_or_else(|| ApiError::validation("agent", "the agent has no team"))?;
            let direction = match direction
                .as_deref()
                .and_then(agentdesk_protocol::parse_direction)
            {
                Some(d) => d,
                None if campaign.ends_with("->") => Direction::Outbound,
                None => Direction::Inbound,
            };
            let occurred_at =
                webhook_time(&state, date)? - chrono::Duration::seconds(i64::from(*duration));
            let defs = state.store.attribute_defs().await?;
            let customer = CustomerRef::default();
            // The call's recording is where the admin's template says.
            let mut attributes = agentdesk_protocol::Attributes::new();
            if let Some(template) = state.store.ucontact_stored().await?.recording_url {
                let day = occurred_at
                    .with_timezone(&state.config.ucontact_time_zone)
                    .date_naive();
                let link = agentdesk_protocol::ucontact::recording_url(&template, guid.trim(), day);
                attributes.insert(
                    agentdesk_protocol::RECORDING_ATTRIBUTE.to_owned(),
                    serde_json::Value::String(link),
                );
            }
            let i = Parts {
                source: "call",
                source_key: guid.trim().to_owned(),
                team_id: team,
                customer: &customer,
                counterparts: vec![client.as_str()],
                fallback_name: "",
                conversation_id: None,
                attributes: &attributes,
                defs: &defs,
                region: &state.config.phone_region,
                user_id: Some(user),
                occurred_at,
            }
            .build(
                ActivityDetail::Call {
                    direction,
                    number: client.trim().to_owned(),
                    campaign: campaign.clone(),
                    duration_secs: *duration,
                    disposition: None,
                    outcome: None,
                },
                None,
            );
            let (mut r, events) = state.store.ingest(&[i], true).await?;
            state.events.publish(events);
            crate::ingest::report_conflicts(&state.store, &r, "webhook").await;
            let r = r
                .pop()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no ingest result")))?;
            // A call the desktop placed (or one told twice): its recording is added to it.
            if r.duplicate && !attributes.is_empty() {
                let kept = crate::ingest::clean_attributes(&defs, "conversation", &attributes);
                if let Some((true, events)) = state
                    .store
                    .add_interaction_attributes(team, "call", guid.trim(), &kept)
                    .await?
                {
                    state.events.publish(events);
                }
            }
            // The call is over for the agent too (no-op when the desktop already knew).
            let status = state.store.agent_status(user).await?;
            if status.value == IN_CALL {
                presence::apply(&state, user, Change::CallEnded { wrap_up: false }).await?;
            }
            let code = if r.duplicate {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((
                code,
                ApiJson(result(r.duplicate, Some(r.activity_id), None)),
            ))
        }
        UcWebhook::InteractionDisposition {
            guid,
            l1,
            l2,
            l3,
            comment,
            ..
        } => {
            let d = Disposition {
                l1: l1.trim().to_owned(),
                l2: l2.trim().to_owned(),
                l3: l3.trim().to_owned(),
                comment: comment.trim().to_owned(),
                // Made in uContact: nothing to send there.
                sync: None,
            };
            let merge = move |detail: &ActivityDetail, _| match detail {
                ActivityDetail::Call {
                    direction,
                    number,
                    campaign,
                    duration_secs,
                    outcome,
                    ..
                } => Some(ActivityDetail::Call {
                    direction: *direction,
                    number: number.clone(),
                    campaign: campaign.clone(),
                    duration_secs: *duration_secs,
                    disposition: Some(d.clone()),
                    outcome: *outcome,
                }),
                _ => None,
            };
            let key = format!("{}:{}:{}:{}", guid.trim(), l1.trim(), l2.trim(), l3.trim());
            let Some((r, events)) = state
                .store
                .ingest_part(None, "call-disposition", &key, "call", guid.trim(), &merge)
                .await?
            else {
                return Err(ApiError::NotFound("call"));
            };
            state.events.publish(events);
            Ok((
                StatusCode::OK,
                ApiJson(result(r.duplicate, Some(r.activity_id), None)),
            ))
        }
    }
}
