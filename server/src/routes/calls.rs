//! Telephony: CRM settings, campaigns and their disposition trees, calls (MAKE_CALL,
//! HANG_UP, DISPOSITION_CALL as the bridge and the agent's own buttons send them), and
//! the screen-pop launch.

use std::collections::BTreeMap;

use agentdesk_protocol::{
    CallInfo, Campaign, CrmSettings, CurrentCalls, Direction, DisposeCall, HangUp, LaunchRequest,
    LaunchResult, Role, StartCall, fill_template, origin_of, parse_origin,
};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::AppState;
use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::presence::{self, Change};
use crate::store::AuditEntry;
use crate::store::calls::{CallRefusal, NewCall};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/crm/settings", get(settings).put(set_settings))
        .route("/campaigns", get(campaigns))
        .route("/campaigns/{name}", put(put_campaign))
        .route("/calls", post(start))
        .route("/calls/current", get(current))
        .route("/calls/hangup", post(hang_up))
        .route("/calls/disposition", post(dispose))
        .route("/launch", post(launch))
}

fn admin(caller: &Caller) -> ApiResult<()> {
    if caller.viewer.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
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
    let crm_origins = s
        .crm_origins
        .iter()
        .filter(|o| !o.trim().is_empty())
        .map(|o| check_origin("crm_origins", o))
        .collect::<ApiResult<Vec<_>>>()?;
    let ucontact_origin = if s.ucontact_origin.trim().is_empty() {
        String::new()
    } else {
        check_origin("ucontact_origin", &s.ucontact_origin)?
    };
    let clean = CrmSettings {
        url_template,
        crm_origins,
        ucontact_origin,
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

async fn campaigns(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<ApiJson<Vec<Campaign>>> {
    Ok(ApiJson(state.store.campaigns().await?))
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
async fn agent_name(state: &AppState, user_id: i64) -> ApiResult<String> {
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
    if call.destination.trim().is_empty() || call.destination.len() > 40 {
        return Err(ApiError::validation(
            "destination",
            "a phone number is required",
        ));
    }
    if call.campaign.trim().is_empty() || call.campaign.len() > 80 {
        return Err(ApiError::validation("campaign", "a campaign is required"));
    }
    let known = state.store.campaigns().await?;
    if !known.is_empty() && !known.iter().any(|c| c.name == call.campaign) {
        return Err(ApiError::validation(
            "campaign",
            format!("unknown campaign `{}`", call.campaign),
        ));
    }
    let (contact_id, team_id) = match req.contact_id {
        Some(id) => {
            let c = state
                .store
                .contact(&caller.viewer, id)
                .await?
                .ok_or(ApiError::NotFound("contact"))?;
            (c.id, c.team.id)
        }
        None => {
            let phone = crate::text::normalize_phone(&call.destination, &state.config.phone_region)
                .unwrap_or_else(|| call.destination.trim().to_string());
            let (id, team, _) = state
                .store
                .contact_for_phone(&caller.viewer, &phone)
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
    call_status(&state, caller.viewer.user_id, Change::CallEnded).await;
    Ok(ApiJson(info))
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
    let agent = agent_name(&state, caller.viewer.user_id).await?;
    let (info, events) = state
        .store
        .dispose_call(caller.viewer.user_id, &agent, d)
        .await?
        .map_err(refusal)?;
    // A replay changes nothing and is not sent again; a new or corrected disposition
    // goes to uContact's REST API too, when it is configured.
    if !events.is_empty()
        && let Some(stored) = info.disposition.clone()
    {
        crate::ucontact_api::spawn_disposition(state.clone(), caller.viewer.user_id, agent, stored);
    }
    state.events.publish(events);
    Ok(ApiJson(info))
}

/// RFC 3986's unreserved characters stay; every other byte is `%XX` (upper-case hex).
const LAUNCH_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What a launch link's signature covers: every parameter but `sig`, sorted by name,
/// names and values percent-encoded (RFC 3986, unreserved characters kept), as
/// `k=v&k=v`. Encoded, an `&` or `=` inside a value cannot pass for another parameter
/// set (`a=1&b=2` signed once stands for exactly one pair of parameters).
pub fn launch_canonical(params: &BTreeMap<String, String>) -> String {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, LAUNCH_ENCODE).to_string();
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "sig")
        .map(|(k, v)| (enc(k), enc(v)))
        .collect();
    // Sorted by the encoded name: the order a signer in any language gets from bytes.
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Check a signed launch: `ts` within the allowed age and `sig` = hex HMAC-SHA256 of
/// [`launch_canonical`].
pub fn verify_launch(
    secret: &str,
    params: &BTreeMap<String, String>,
    now_secs: i64,
    max_age_secs: u64,
) -> Result<(), &'static str> {
    let sig = params.get("sig").ok_or("the launch link is not signed")?;
    let ts: i64 = params
        .get("ts")
        .and_then(|t| t.parse().ok())
        .ok_or("the launch link has no valid ts")?;
    if (now_secs - ts).unsigned_abs() > max_age_secs {
        return Err("the launch link has expired");
    }
    let expected = hex::decode(sig).map_err(|_| "the launch signature is not hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| "bad secret")?;
    mac.update(launch_canonical(params).as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&expected)
        .map_err(|_| "the launch signature does not match")
}

/// Screen pop: uContact opened the desktop with `?phone=&agent=&campaign=&guid=` (+ dialer
/// data). Find (or create) the contact and build the CRM URL. The agent is the signed-in
/// user, whatever the URL says; with a launch secret configured, unsigned or stale links
/// are refused.
async fn launch(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<LaunchRequest>,
) -> ApiResult<ApiJson<LaunchResult>> {
    let mut params = req.params;
    if params.len() > 40 || params.iter().any(|(k, v)| k.len() > 64 || v.len() > 512) {
        return Err(ApiError::validation(
            "params",
            "too many or too long parameters",
        ));
    }
    if let Some(secret) = &state.config.launch_secret {
        verify_launch(
            &secret.0,
            &params,
            crate::clock::now().timestamp(),
            state.config.launch_max_age_secs,
        )
        .map_err(|m| ApiError::validation("sig", m))?;
    }
    let raw_phone = params
        .get("phone")
        .map(|p| p.trim().to_string())
        .unwrap_or_default();
    if raw_phone.is_empty() {
        return Err(ApiError::validation(
            "phone",
            "the launch link has no phone",
        ));
    }
    let phone =
        crate::text::normalize_phone(&raw_phone, &state.config.phone_region).unwrap_or(raw_phone);
    let (contact_id, _, created) = state
        .store
        .contact_for_phone(&caller.viewer, &phone)
        .await?
        .ok_or(ApiError::Forbidden)?;
    params.remove("sig");
    params.remove("ts");
    let agent = agent_name(&state, caller.viewer.user_id).await?;
    // A signed link that names an agent was made for that agent: another user signed in
    // on this desk (a shared PC, a forwarded link) must not pop that agent's call.
    if state.config.launch_secret.is_some()
        && params
            .get("agent")
            .is_some_and(|a| !a.trim().is_empty() && a.trim() != agent)
    {
        return Err(ApiError::validation(
            "agent",
            "the launch link was made for another agent",
        ));
    }
    // `{agent}` is who is signed in here, whatever the link says: a link with
    // `agent=mallory` must not open the CRM as mallory.
    params.insert("agent".into(), agent);
    let settings = state.store.crm_settings().await?;
    let crm_url = fill_template(&settings.url_template, &params);
    Ok(ApiJson(LaunchResult {
        contact_id,
        created,
        campaign: params.get("campaign").cloned().unwrap_or_default(),
        guid: params.get("guid").cloned().unwrap_or_default(),
        phone,
        crm_url,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, params: &BTreeMap<String, String>) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(launch_canonical(params).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn the_canonical_form_encodes_names_and_values_so_no_value_passes_for_parameters() {
        let p = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            launch_canonical(&p(&[("phone", "+598 99"), ("ts", "1"), ("sig", "x")])),
            "phone=%2B598%2099&ts=1"
        );
        assert_eq!(launch_canonical(&p(&[("a", "ñ~._-")])), "a=%C3%B1~._-");
        // One value holding `&b=2` vs two parameters: signed apart.
        assert_ne!(
            launch_canonical(&p(&[("a", "1&b=2")])),
            launch_canonical(&p(&[("a", "1"), ("b", "2")]))
        );
        assert_ne!(
            launch_canonical(&p(&[("a=b", "c")])),
            launch_canonical(&p(&[("a", "b=c")]))
        );
    }

    #[test]
    fn launch_signatures_are_checked_for_content_and_age() {
        let secret = "0123456789abcdef-secret";
        let mut p = BTreeMap::from([
            ("phone".to_string(), "099123456".to_string()),
            ("agent".to_string(), "ana".to_string()),
            ("ts".to_string(), "1000".to_string()),
        ]);
        let sig = sign(secret, &p);
        p.insert("sig".into(), sig);
        assert_eq!(verify_launch(secret, &p, 1100, 300), Ok(()));
        assert!(verify_launch(secret, &p, 2000, 300).is_err(), "expired");
        assert!(verify_launch("another-secret-of-16", &p, 1100, 300).is_err());
        let mut tampered = p.clone();
        tampered.insert("agent".into(), "bruno".into());
        assert!(verify_launch(secret, &tampered, 1100, 300).is_err());
        let mut unsigned = p.clone();
        unsigned.remove("sig");
        assert!(verify_launch(secret, &unsigned, 1100, 300).is_err());
    }
}
