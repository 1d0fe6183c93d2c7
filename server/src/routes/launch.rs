//! Screen pop: uContact opens the desktop for an interaction, either by a launch link
//! (`/launch?phone=&agent=&campaign=&guid=…`, optionally signed) or by its Events API's
//! `assignedInteraction`, which the desktop passes on to `POST /screen-pop`. Both find (or
//! create) the contact in the agent's teams and build the CRM URL for the signed-in agent.

use std::collections::BTreeMap;

use agentdesk_protocol::{LaunchRequest, LaunchResult, ScreenPop, fill_template};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::routes::calls::agent_name;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/launch", post(launch))
        .route("/screen-pop", post(screen_pop))
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
    check_params(&params)?;
    let secret = crate::ucontact_settings::effective(&state)
        .await?
        .launch_secret;
    if let Some(secret) = &secret {
        verify_launch(
            secret,
            &params,
            crate::clock::now().timestamp(),
            state.config.launch_max_age_secs,
        )
        .map_err(|m| ApiError::validation("sig", m))?;
    }
    let agent = agent_name(&state, caller.viewer.user_id).await?;
    // A signed link that names an agent was made for that agent: another user signed in
    // on this desk (a shared PC, a forwarded link) must not pop that agent's call.
    if secret.is_some()
        && params
            .get("agent")
            .is_some_and(|a| !a.trim().is_empty() && a.trim() != agent)
    {
        return Err(ApiError::validation(
            "agent",
            "the launch link was made for another agent",
        ));
    }
    params.remove("sig");
    params.remove("ts");
    let client_id = params.get("clientId").cloned().unwrap_or_default();
    let phone = params.get("phone").cloned().unwrap_or_default();
    pop(&state, &caller, agent, &client_id, &phone, params)
        .await
        .map(ApiJson)
}

/// uContact's `assignedInteraction`, passed on by the desktop (which accepted it only
/// from uContact's origin). Not signed: it is the signed-in agent's own desktop asking.
async fn screen_pop(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ScreenPop>,
) -> ApiResult<ApiJson<LaunchResult>> {
    let ScreenPop {
        guid,
        campaign,
        channel,
        client_id,
        phone,
        data,
    } = req;
    let mut params = data;
    for (k, v) in [
        ("guid", guid),
        ("campaign", campaign),
        ("channel", channel),
        ("clientId", client_id.clone()),
        ("phone", phone.clone()),
    ] {
        params.insert(k.into(), v);
    }
    check_params(&params)?;
    let agent = agent_name(&state, caller.viewer.user_id).await?;
    pop(&state, &caller, agent, &client_id, &phone, params)
        .await
        .map(ApiJson)
}

/// Launch parameters within bounds: a link or an event is not a place for documents.
fn check_params(params: &BTreeMap<String, String>) -> ApiResult<()> {
    if params.len() > 40 || params.iter().any(|(k, v)| k.len() > 64 || v.len() > 512) {
        return Err(ApiError::validation(
            "params",
            "too many or too long parameters",
        ));
    }
    Ok(())
}

/// Both screen pops: the contact by the CRM's customer id, else by number (normalised as
/// every stored number is), else a new one; and the CRM URL from the template, with
/// `{agent}` the signed-in agent's uContact name whatever the link or event said (a link
/// with `agent=mallory` must not open the CRM as mallory).
async fn pop(
    state: &AppState,
    caller: &Caller,
    agent: String,
    client_id: &str,
    raw_phone: &str,
    mut params: BTreeMap<String, String>,
) -> ApiResult<LaunchResult> {
    let client_id = client_id.trim();
    let raw_phone = raw_phone.trim();
    if client_id.is_empty() && raw_phone.is_empty() {
        return Err(ApiError::validation(
            "phone",
            "neither a phone nor a clientId to find the customer by",
        ));
    }
    let phone = (!raw_phone.is_empty()).then(|| {
        crate::text::normalize_phone(raw_phone, &state.config.phone_region)
            .unwrap_or_else(|| raw_phone.to_string())
    });
    let (contact_id, _, created) = state
        .store
        .contact_for(
            &caller.viewer,
            (!client_id.is_empty()).then_some(client_id),
            phone.as_deref(),
            &[],
        )
        .await?
        .ok_or(ApiError::Forbidden)?;
    params.insert("agent".into(), agent);
    let settings = state.store.crm_settings().await?;
    let crm_url = fill_template(&settings.url_template, &params);
    Ok(LaunchResult {
        contact_id,
        created,
        campaign: params.get("campaign").cloned().unwrap_or_default(),
        guid: params.get("guid").cloned().unwrap_or_default(),
        phone: phone.unwrap_or_default(),
        crm_url,
    })
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
