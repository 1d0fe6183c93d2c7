//! `POST /ingest/call`: a call from a telephony platform other than uContact's live
//! events, with its conversation attributes — among them a recording's `segment_link`,
//! which the platform may only have after the call: the same call id sent again adds
//! the attributes it brings (200, the timeline told), nothing else changes.

use agentdesk_protocol::{ActivityDetail, IngestCall};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;

use super::ingest::{Answer, parse, required, store_one};
use super::ingest_auth::integration_team;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::RawBody;
use crate::ingest::{Parts, clean_attributes};

pub(super) async fn ingest_call(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Answer> {
    let (integration, team_id) = integration_team(&state, &headers, &body).await?;
    let out = deliver_call(&state, team_id, &body).await;
    state.deliveries.note(integration, "call", &out);
    out
}

async fn deliver_call(state: &AppState, team_id: i64, body: &Bytes) -> ApiResult<Answer> {
    let req: IngestCall = parse(body)?;
    required("id", &req.id, 200)?;
    required("number", &req.number, 40)?;
    if req.campaign.chars().count() > 200 {
        return Err(crate::error::ApiError::validation(
            "campaign",
            "at most 200 characters",
        ));
    }
    let defs = state.store.attribute_defs().await?;
    let key = req.id.trim().to_owned();
    let attributes = &req.attributes;
    let i = Parts {
        source: "call",
        source_key: key.clone(),
        team_id,
        customer: &req.customer,
        counterparts: vec![req.number.as_str()],
        fallback_name: "",
        conversation_id: req.conversation_id.clone(),
        attributes,
        defs: &defs,
        region: &state.config.phone_region,
        user_id: None,
        occurred_at: req.at,
    }
    .build(
        ActivityDetail::Call {
            direction: req.direction,
            number: req.number.trim().to_owned(),
            campaign: req.campaign.trim().to_owned(),
            duration_secs: req.duration_secs,
            disposition: None,
            outcome: None,
        },
        None,
    );
    let (status, mut answer) = store_one(state, i).await?;
    // A call known already: the attributes it brings now are added to it, and what was
    // not kept of them is said (as for a new call).
    if answer.0.duplicate {
        answer.0.attributes_dropped = crate::ingest::attributes_dropped(&defs, &req.attributes);
        let attributes = clean_attributes(&defs, "conversation", attributes);
        if !attributes.is_empty()
            && let Some((true, events)) = state
                .store
                .add_interaction_attributes(team_id, "call", &key, &attributes)
                .await?
        {
            state.events.publish(events);
        }
    }
    Ok((status, answer))
}
