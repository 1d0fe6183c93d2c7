//! Telephony: CRM settings, campaigns and their disposition trees, calls (MAKE_CALL,
//! HANG_UP, DISPOSITION_CALL as the bridge and the agent's own buttons send them).

use agentdesk_protocol::{
    CallInfo, Campaign, CrmSettings, CurrentCalls, Direction, DisposeCall, HangUp, StartCall,
    origin_of, parse_origin,
};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};

use super::admin;
use crate::AppState;
use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::presence::{self, Change};
use crate::store::AuditEntry;
use crate::store::calls::{CallRefusal, NewCall};
use crate::store::reminders::Callback;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/crm/settings", get(settings).put(set_settings))
        .route("/campaigns", get(campaigns))
        .route("/campaigns/{name}", put(put_campaign))
        .route("/calls", post(start))
        .route("/calls/current", get(current))
        .route("/calls/hangup", post(hang_up))
        .route("/calls/disposition", post(dispose))
}

async fn settings(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<ApiJson<CrmSettings>> {
    Ok(ApiJson(state.store.crm_settings().await?))
}

fn check_origin(field: &'static str, o: &str) -> ApiResult<String> {
    parse_origin(o.trim()).map_err(|m| ApiError::validation(field, m))
}

/// A list of origins, blank lines left out.
fn check_origins(field: &'static str, list: &[String]) -> ApiResult<Vec<String>> {
    list.iter()
        .filter(|o| !o.trim().is_empty())
        .map(|o| check_origin(field, o))
        .collect()
}

async fn set_settings(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(s): ApiJson<CrmSettings>,
) -> ApiResult<ApiJson<CrmSettings>> {
    admin(&caller)?;
    let url_template = s.url_template.trim().to_string();
    if !url_template.is_empty() && origin_of(&url_template).is_none() {
        return Err(ApiError::validation(
            "url_template",
            "must start with https:// (or http:// for local testing)",
        ));
    }
    let crm_origins = check_origins("crm_origins", &s.crm_origins)?;
    let ucontact_origin = if s.ucontact_origin.trim().is_empty() {
        String::new()
    } else {
        check_origin("ucontact_origin", &s.ucontact_origin)?
    };
    let recording_origins = check_origins("recording_origins", &s.recording_origins)?;
    let frame_sandbox = agentdesk_protocol::embed::check_sandbox(&s.frame_sandbox)
        .map_err(|m| ApiError::validation("frame_sandbox", m))?;
    let frame_allow = agentdesk_protocol::embed::check_allow(&s.frame_allow)
        .map_err(|m| ApiError::validation("frame_allow", m))?;
    let clean = CrmSettings {
        url_template,
        crm_origins,
        ucontact_origin,
        agent_status_relay: s.agent_status_relay,
        frame_sandbox,
        frame_allow,
        recording_origins,
    };
    let events = state.store.set_crm_settings(&clean).await?;
    state.web.apply_crm_settings(&clean);
    // Other instances rebuild their policy from this event (`web::follow_settings`).
    state.events.publish(events);
    state
        .store
        .audit(AuditEntry {
            user_id: Some(caller.viewer.user_id),
            username: None,
            action: "crm_settings_changed",
            target: None,
            ip: Some(ip),
        })
        .await?;
    Ok(ApiJson(clean))
}

/// The campaigns the caller may use: every one for an admin (who edits them), for
/// everyone else those open to one of their teams.
async fn campaigns(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<Campaign>>> {
    let mut all = state.store.campaigns().await?;
    if !caller.viewer.all_teams() {
        let mine = my_team_ids(&state, caller.viewer.user_id).await?;
        all.retain(|c| c.options.open_to_any(&mine));
        // Which other teams share a campaign is not the agent's to know.
        for c in &mut all {
            c.options.teams.retain(|t| mine.contains(t));
        }
    }
    Ok(ApiJson(all))
}

async fn my_team_ids(state: &AppState, user_id: i64) -> ApiResult<Vec<i64>> {
    let me = state
        .store
        .me(user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(me.teams.iter().map(|t| t.id).collect())
}

async fn put_campaign(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(name): ApiPath<String>,
    ApiJson(c): ApiJson<Campaign>,
) -> ApiResult<ApiJson<Campaign>> {
    admin(&caller)?;
    if c.name != name {
        return Err(ApiError::validation(
            "name",
            "must match the campaign in the path",
        ));
    }
    if name.trim().is_empty() || name.chars().count() > 80 {
        return Err(ApiError::validation("name", "1 to 80 characters"));
    }
    if let Some(problem) = c.tree_problem() {
        return Err(ApiError::validation("dispositions", problem));
    }
    if let Some((field, problem)) = c.options.problem() {
        return Err(ApiError::validation(field, problem));
    }
    state.store.upsert_campaign(&c).await?;
    state
        .store
        .audit(AuditEntry {
            user_id: Some(caller.viewer.user_id),
            username: None,
            action: "campaign_saved",
            target: Some(format!("campaign:{name}")),
            ip: Some(ip),
        })
        .await?;
    Ok(ApiJson(c))
}

/// The name the queue log records for the caller: their uContact agent name, else the
/// username.
pub(super) async fn agent_name(state: &AppState, user_id: i64) -> ApiResult<String> {
    let me = state
        .store
        .me(user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(me.ucontact_agent.unwrap_or(me.username))
}

fn refusal(r: CallRefusal) -> ApiError {
    match r {
        CallRefusal::InProgress(guid) => ApiError::ConflictOn {
            field: "call",
            message: format!("a call is already in progress ({guid}); hang up first"),
        },
        CallRefusal::DuplicateGuid(_) => ApiError::ConflictOn {
            field: "guid",
            message: "a call with this guid was already made; send a new guid".into(),
        },
        CallRefusal::DispositionRequired(guid) => ApiError::ConflictOn {
            field: "disposition",
            message: format!("the previous call ({guid}) needs a disposition first"),
        },
        CallRefusal::NoCall => ApiError::NotFound("active call"),
        CallRefusal::UnknownDisposition(m) => ApiError::validation("disposition", m),
        CallRefusal::NoCallback => ApiError::validation(
            "callback_at",
            "this disposition does not schedule a callback (no `callback` mark in its tree)",
        ),
    }
}

/// MAKE_CALL: record the call and its timeline activity. The browser relays the action
/// to uContact; uContact dials.
async fn start(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<StartCall>,
) -> ApiResult<(StatusCode, ApiJson<CallInfo>)> {
    let call = req.call;
    if let Some(problem) = agentdesk_protocol::dial::dial_problem(&call.destination) {
        return Err(ApiError::validation("destination", problem.message()));
    }
    if call.campaign.trim().is_empty() || call.campaign.len() > 80 {
        return Err(ApiError::validation("campaign", "a campaign is required"));
    }
    // A campaign the caller may not use reads as unknown: another team's campaigns are
    // not revealed.
    let unknown =
        || ApiError::validation("campaign", format!("unknown campaign `{}`", call.campaign));
    let known = state.store.campaigns().await?;
    let campaign = known.iter().find(|c| c.name == call.campaign);
    let teams = match campaign {
        None if !known.is_empty() => return Err(unknown()),
        None => Vec::new(),
        Some(c) => {
            // Whoever sees every team is offered every campaign (GET /campaigns), and
            // may use it; the contact's team is still checked below.
            if !caller.viewer.all_teams() {
                let mine = my_team_ids(&state, caller.viewer.user_id).await?;
                if !c.options.open_to_any(&mine) {
                    return Err(unknown());
                }
            }
            c.options.teams.clone()
        }
    };
    let (contact_id, team_id) = match req.contact_id {
        Some(id) => {
            let c = state
                .store
                .contact(&caller.viewer, id)
                .await?
                .ok_or(ApiError::NotFound("contact"))?;
            if !teams.is_empty() && !teams.contains(&c.team.id) {
                return Err(unknown());
            }
            (c.id, c.team.id)
        }
        None => {
            let phone = crate::text::normalize_phone(&call.destination, &state.config.phone_region)
                .unwrap_or_else(|| call.destination.trim().to_string());
            let (id, team, _) = state
                .store
                .contact_for_phone(&caller.viewer, &phone, &teams)
                .await?
                .ok_or(ApiError::Forbidden)?;
            (id, team)
        }
    };
    let guid = if call.guid.trim().is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        call.guid.trim().to_string()
    };
    let new = NewCall {
        guid,
        team_id,
        contact_id,
        user_id: caller.viewer.user_id,
        agent: agent_name(&state, caller.viewer.user_id).await?,
        campaign: call.campaign,
        did: call.did,
        destination: call.destination.trim().to_string(),
        direction: Direction::Outbound,
    };
    let (info, events) = state.store.start_call(new).await?.map_err(refusal)?;
    state.events.publish(events);
    call_status(&state, caller.viewer.user_id, Change::CallStarted).await;
    Ok((StatusCode::CREATED, ApiJson(info)))
}

async fn current(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<CurrentCalls>> {
    let (active, pending_disposition) = state.store.current_calls(caller.viewer.user_id).await?;
    Ok(ApiJson(CurrentCalls {
        active,
        pending_disposition,
    }))
}

/// HANG_UP: end the caller's active call.
async fn hang_up(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<HangUp>,
) -> ApiResult<ApiJson<CallInfo>> {
    let agent = agent_name(&state, caller.viewer.user_id).await?;
    let guid = req.guid.as_deref().map(str::trim).filter(|g| !g.is_empty());
    let (info, events) = state
        .store
        .end_call(caller.viewer.user_id, &agent, guid, "agent")
        .await?
        .map_err(refusal)?;
    state.events.publish(events);
    // A campaign that wants a disposition puts the agent in after-call work until it is
    // saved (a disposition sent before the hang-up needs none).
    let wrap_up = info.requires_disposition && info.disposition.is_none();
    call_status(&state, caller.viewer.user_id, Change::CallEnded { wrap_up }).await;
    if wrap_up {
        // A disposition saved between the hang-up and here found no wrap-up to end.
        settle_wrap_up(&state, caller.viewer.user_id).await;
    }
    Ok(ApiJson(info))
}

/// End after-call work when no call of the agent still owes a disposition. Read after
/// the status change, so that of a hang-up and a disposition racing each other, the
/// later one sees both and the agent is neither stuck in wrap-up nor let out early.
async fn settle_wrap_up(state: &AppState, user_id: i64) {
    match state.store.current_calls(user_id).await {
        Ok((_, None)) => call_status(state, user_id, Change::WrapUpDone).await,
        Ok((_, Some(_))) => {}
        Err(e) => tracing::warn!(error = %e, user_id, "could not check a call's disposition"),
    }
}

/// Move the agent to `in-call` / back. The call is already recorded: a failure here is
/// logged rather than turning a successful call into an error.
async fn call_status(state: &AppState, user_id: i64, change: Change) {
    if let Err(e) = presence::apply(state, user_id, change).await {
        tracing::warn!(error = %e, user_id, "could not update the agent's status for a call");
    }
}

/// DISPOSITION_CALL: checked against the campaign's tree, stored on the call and its
/// timeline activity.
async fn dispose(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<DisposeCall>,
) -> ApiResult<ApiJson<CallInfo>> {
    let d = &req.disposition;
    for (field, v, max) in [
        ("l1", &d.l1, 80),
        ("l2", &d.l2, 80),
        ("l3", &d.l3, 80),
        ("d1", &d.d1, 200),
        ("d2", &d.d2, 200),
        ("comment", &d.comment, 2000),
    ] {
        if v.chars().count() > max {
            return Err(ApiError::validation(
                field,
                format!("at most {max} characters"),
            ));
        }
    }
    // A callback is checked before anything is saved: a refused time saves nothing.
    let callback = match &req.callback {
        Some(cb) => Some((callback_zone(&state, caller.viewer.user_id).await?, cb)),
        None => None,
    }
    .map(|(zone, cb)| {
        super::reminders::callback_due(cb, zone, crate::clock::now()).map(|due_at| Callback {
            due_at,
            note: cb.note.trim().to_string(),
        })
    })
    .transpose()?;
    let agent = agent_name(&state, caller.viewer.user_id).await?;
    let (info, events) = state
        .store
        .dispose_call(caller.viewer.user_id, &agent, d, callback.as_ref())
        .await?
        .map_err(refusal)?;
    // A replay changes nothing and is not sent again; a new or corrected disposition
    // goes to uContact's REST API too, when it is configured.
    // (A replay that only moves its callback is no new disposition.)
    if events
        .iter()
        .any(|e| !matches!(e.event, agentdesk_protocol::ServerEvent::Reminders { .. }))
        && !req.from_ucontact
        && let Some(stored) = info.disposition.clone()
    {
        crate::ucontact_api::spawn_disposition(state.clone(), caller.viewer.user_id, agent, stored);
    }
    state.events.publish(events);
    // Disposing an older call leaves the agent in wrap-up while another is still owed.
    settle_wrap_up(&state, caller.viewer.user_id).await;
    Ok(ApiJson(info))
}

/// The agent's time zone, which a callback's local time is read in.
async fn callback_zone(state: &AppState, user_id: i64) -> ApiResult<chrono_tz::Tz> {
    let me = state
        .store
        .me(user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // A zone stored before it was checked is UTC rather than a refusal.
    Ok(me.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC))
}
