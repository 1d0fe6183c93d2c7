//! uContact's settings in the console (admins): `GET /ucontact/settings` says where each
//! one comes from and never returns a secret; `POST /ucontact/webhook-secret` and
//! `POST /ucontact/launch-secret` make a new random secret, shown once in the answer and
//! in effect at once on every instance (the old one refused from then on);
//! `PUT /ucontact/api` sets the REST API's address and sign-in (password write-only);
//! `PUT /ucontact/recording` the address of uContact's call recordings (a template).
//! Every change is audited, never with a secret.

use agentdesk_protocol::ucontact::{
    RECORDING_GUID, RotatedSecret, UcontactApiInput, UcontactRecordingInput, UcontactSettings,
    recording_url,
};
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post, put};

use super::{admin, audit};
use crate::AppState;
use crate::auth::{Caller, ClientIp, new_token};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::ucontact_settings::effective;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ucontact/settings", get(settings))
        .route("/ucontact/webhook-secret", post(rotate_webhook))
        .route("/ucontact/launch-secret", post(rotate_launch))
        .route("/ucontact/api", put(set_api))
        .route("/ucontact/recording", put(set_recording))
}

async fn settings(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<UcontactSettings>> {
    admin(&caller)?;
    Ok(ApiJson(effective(&state).await?.shown()))
}

async fn rotate(
    state: &AppState,
    caller: &Caller,
    ip: String,
    launch: bool,
) -> ApiResult<RotatedSecret> {
    let secret = new_token();
    state.store.set_ucontact_secret(launch, &secret).await?;
    let (action, target) = if launch {
        ("ucontact.launch_secret.rotate", "ucontact:launch_secret")
    } else {
        ("ucontact.webhook_secret.rotate", "ucontact:webhook_secret")
    };
    audit(state, caller, ip, action, target.into()).await?;
    Ok(RotatedSecret { secret })
}

async fn rotate_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
) -> ApiResult<ApiJson<RotatedSecret>> {
    admin(&caller)?;
    Ok(ApiJson(rotate(&state, &caller, ip, false).await?))
}

async fn rotate_launch(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
) -> ApiResult<ApiJson<RotatedSecret>> {
    admin(&caller)?;
    Ok(ApiJson(rotate(&state, &caller, ip, true).await?))
}

/// The longest user or password uContact's API is sent.
const MAX_CREDENTIAL: usize = 256;

async fn set_api(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<UcontactApiInput>,
) -> ApiResult<ApiJson<UcontactSettings>> {
    admin(&caller)?;
    let url = match req.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => Some(checked_url(u)?),
    };
    let user = req.user.trim();
    for (field, v) in [("user", Some(user)), ("password", req.password.as_deref())] {
        let Some(v) = v else { continue };
        if v.chars().count() > MAX_CREDENTIAL || v.chars().any(char::is_control) {
            return Err(ApiError::validation(
                field,
                "at most 256 characters, on one line",
            ));
        }
    }
    // HTTP Basic cannot carry a colon in the user name.
    if user.contains(':') {
        return Err(ApiError::validation("user", "must not contain ':'"));
    }
    // The first save in the console takes over from the environment: a password not
    // typed is the environment's, not none.
    let first_save = state.store.ucontact_stored().await?.api_user.is_none();
    let inherited = state
        .config
        .ucontact_api_password
        .as_ref()
        .filter(|_| first_save && req.password.is_none())
        .map(|p| p.0.as_str());
    state
        .store
        .set_ucontact_api(url.as_deref(), user, req.password.as_deref().or(inherited))
        .await?;
    let target = format!("ucontact:api {}", url.as_deref().unwrap_or("(off)"));
    audit(&state, &caller, ip, "ucontact.api.update", target).await?;
    Ok(ApiJson(effective(&state).await?.shown()))
}

/// uContact's base URL: http(s), a host, no credentials, query or fragment (the API path
/// is appended to it). Private addresses are the outbound client's business (refused
/// unless allowed) when the request is made.
fn checked_url(raw: &str) -> ApiResult<String> {
    let bad = |m: &str| ApiError::validation("url", m.to_string());
    if raw.len() > 2_000 {
        return Err(bad("at most 2000 characters"));
    }
    let u = url::Url::parse(raw).map_err(|_| bad("not a URL (https://acme.ucontact.com)"))?;
    if !matches!(u.scheme(), "https" | "http") || u.host_str().is_none_or(str::is_empty) {
        return Err(bad("must be an https:// (or http://) address"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad(
            "put the user and password in their own fields, not in the URL",
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("no query or fragment: uContact's base address only"));
    }
    Ok(u.to_string())
}

/// The longest recording address template.
const MAX_RECORDING_TEMPLATE: usize = 1_024;

async fn set_recording(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<UcontactRecordingInput>,
) -> ApiResult<ApiJson<UcontactSettings>> {
    admin(&caller)?;
    let url = match req.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(u) => Some(checked_template(u)?),
    };
    state.store.set_ucontact_recording(url.as_deref()).await?;
    let target = format!("ucontact:recording {}", url.as_deref().unwrap_or("(off)"));
    audit(&state, &caller, ip, "ucontact.recording.update", target).await?;
    Ok(ApiJson(effective(&state).await?.shown()))
}

/// A recording address template: one line, `{guid}` in it, and once filled in an http(s)
/// address with a host and no credentials — the browser plays it from there (its origin
/// must also be a recording origin, docs/reports.md).
fn checked_template(raw: &str) -> ApiResult<String> {
    let bad = |m: &str| ApiError::validation("url", m.to_string());
    if raw.len() > MAX_RECORDING_TEMPLATE
        || raw.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(bad("at most 1024 characters, no spaces"));
    }
    if !raw.contains(RECORDING_GUID) {
        return Err(bad("must hold {guid} (the call's guid)"));
    }
    // Filled in twice (another guid, another day): both kept as a recording link (the
    // rule ingest applies), on one origin — a placeholder may not choose the host.
    let samples =
        [("1769875200.42", (2026, 1, 31)), ("x-9", (2027, 12, 1))].map(|(guid, (y, m, d))| {
            let day = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
            recording_url(raw, guid, day)
        });
    if samples[0].contains(['{', '}']) {
        return Err(bad(
            "only {guid}, {date}, {yyyy}, {mm} and {dd} may be filled in",
        ));
    }
    let mut origins = Vec::new();
    for sample in &samples {
        let u = url::Url::parse(sample)
            .map_err(|_| bad("not an address (https://rec.example.com/{guid}.mp3)"))?;
        if !matches!(u.scheme(), "https" | "http") || u.host_str().is_none_or(str::is_empty) {
            return Err(bad("must be an https:// (or http://) address"));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(bad("no user or password in the address"));
        }
        let origin = agentdesk_protocol::origin_of(sample)
            .filter(|_| sample.len() <= agentdesk_protocol::MAX_RECORDING_URL)
            .ok_or_else(|| bad("not an address a recording can play from (https://host/…)"))?;
        origins.push(origin);
    }
    if origins[0] != origins[1] {
        return Err(bad(
            "{guid} and the day go in the path or query, not in the host",
        ));
    }
    Ok(raw.to_owned())
}
