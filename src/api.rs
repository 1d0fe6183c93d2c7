//! The one typed HTTP client of the app: protocol types in, `Result<T, ApiError>` out.
//!
//! The session token lives in the tab's `sessionStorage` and goes out as a bearer
//! header (see the server's `auth` module for why not a cookie).

use agentdesk_protocol::{
    API_PREFIX, Activity, ActivityPage, ActivityQuery, ActivityView, AgentStatus, Board,
    ConnectionEventPage, Contact, ContactList, ErrorBody, ErrorCode, LoginRequest, LoginResponse,
    Me, NewNote, SetStatus, SetStatusResult, StatusDef, StatusTime, StreamTicket, UpdateMe,
    WatchedContacts,
};
use gloo_storage::{SessionStorage, Storage};
use serde::Serialize;
use serde::de::DeserializeOwned;

const TOKEN_KEY: &str = "agentdesk.token";

/// Why a request failed, in a form the UI can explain.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with the JSON error shape.
    Api { status: u16, body: ErrorBody },
    /// The request never got an answer.
    Network(String),
    /// The answer was not what the protocol says.
    Decode(String),
}

impl ApiError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Api { body, .. } => Some(body.error.code),
            _ => None,
        }
    }
}

pub fn stored_token() -> Option<String> {
    SessionStorage::get::<String>(TOKEN_KEY)
        .ok()
        .filter(|t| !t.is_empty())
}

thread_local! {
    /// The user asked to sign out and the request is on its way: a request the server
    /// refuses meanwhile (the session ending under it) is no expiry to report.
    static SIGNING_OUT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this page is signing out (see [`logout`]).
pub fn signing_out() -> bool {
    SIGNING_OUT.with(std::cell::Cell::get)
}

pub fn store_token(token: Option<&str>) {
    match token {
        Some(t) => {
            SIGNING_OUT.with(|s| s.set(false));
            let _ = SessionStorage::set(TOKEN_KEY, t);
        }
        None => SessionStorage::delete(TOKEN_KEY),
    }
}

fn url(path: &str) -> String {
    // Absolute URLs: the API is always on the page's own origin.
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}{API_PREFIX}{path}")
}

fn js_error(e: wasm_bindgen::JsValue) -> ApiError {
    ApiError::Network(format!("{e:?}"))
}

/// One request with the browser's `fetch` (no HTTP client library in the bundle): JSON
/// in, JSON out, the session token as a bearer header.
async fn send<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<T, ApiError> {
    let (status, text) = fetch(method, path, body).await?;
    if (200..300).contains(&status) {
        let text = if status == 204 || text.is_empty() {
            "null"
        } else {
            text.as_str()
        };
        serde_json::from_str(text).map_err(|e| ApiError::Decode(e.to_string()))
    } else {
        Err(error_of(status, &text))
    }
}

fn error_of(status: u16, text: &str) -> ApiError {
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => ApiError::Api { status, body },
        Err(e) => ApiError::Decode(format!("HTTP {status}: {e}")),
    }
}

/// A GET whose answer is not JSON (a CSV export): the text, or the JSON error.
pub async fn get_text(path: &str) -> Result<String, ApiError> {
    let (status, text) = fetch("GET", path, None).await?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(error_of(status, &text))
    }
}

async fn fetch(method: &str, path: &str, body: Option<String>) -> Result<(u16, String), ApiError> {
    let body = body.map(|b| wasm_bindgen::JsValue::from_str(&b));
    let response = request(method, path, body.as_ref().map(|b| (b, "application/json"))).await?;
    let status = response.status();
    Ok((status, text_of(response).await?))
}

/// A download (an export archive): the answer as a `Blob`, or the JSON error.
pub async fn get_blob(path: &str) -> Result<web_sys::Blob, ApiError> {
    use wasm_bindgen::JsCast;
    let response = request("GET", path, None).await?;
    let status = response.status();
    if !(200..300).contains(&status) {
        return Err(error_of(status, &text_of(response).await?));
    }
    wasm_bindgen_futures::JsFuture::from(response.blob().map_err(js_error)?)
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)
}

/// An upload of a file's bytes as they are (an import archive), with a JSON answer.
pub async fn post_file<T: DeserializeOwned>(
    path: &str,
    file: &web_sys::Blob,
    content_type: &str,
) -> Result<T, ApiError> {
    let response = request("POST", path, Some((file.as_ref(), content_type))).await?;
    let status = response.status();
    let text = text_of(response).await?;
    if (200..300).contains(&status) {
        serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))
    } else {
        Err(error_of(status, &text))
    }
}

/// One request with the browser's `fetch`: the session token as a bearer header, `body`
/// with its content type.
async fn request(
    method: &str,
    path: &str,
    body: Option<(&wasm_bindgen::JsValue, &str)>,
) -> Result<web_sys::Response, ApiError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let headers = web_sys::Headers::new().map_err(js_error)?;
    headers
        .set("Accept", "application/json")
        .map_err(js_error)?;
    if let Some(token) = stored_token() {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(js_error)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some((b, content_type)) = body {
        headers
            .set("Content-Type", content_type)
            .map_err(js_error)?;
        init.set_body(b);
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&url(path), &init).map_err(js_error)?;
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    let status = response.status();
    if status >= 500 {
        crate::crash::request_failed(method, path, status);
    }
    if let Ok(Some(date)) = response.headers().get("date") {
        crate::components::time::server_said(&date);
    }
    Ok(response)
}

async fn text_of(response: web_sys::Response) -> Result<String, ApiError> {
    Ok(
        wasm_bindgen_futures::JsFuture::from(response.text().map_err(js_error)?)
            .await
            .map_err(js_error)?
            .as_string()
            .unwrap_or_default(),
    )
}

fn json<B: Serialize>(body: &B) -> Result<Option<String>, ApiError> {
    serde_json::to_string(body)
        .map(Some)
        .map_err(|e| ApiError::Decode(e.to_string()))
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    send("GET", path, None).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    send("POST", path, json(body)?).await
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    send("PUT", path, json(body)?).await
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    send("PATCH", path, json(body)?).await
}

pub async fn login(username: String, password: String) -> Result<LoginResponse, ApiError> {
    post("/auth/login", &LoginRequest { username, password }).await
}

pub async fn logout() -> Result<(), ApiError> {
    SIGNING_OUT.with(|s| s.set(true));
    send::<()>("POST", "/auth/logout", None).await
}

pub async fn me() -> Result<Me, ApiError> {
    get("/me").await
}

pub async fn update_me(update: UpdateMe) -> Result<Me, ApiError> {
    patch("/me", &update).await
}

pub async fn contacts(q: &str, after: Option<&str>) -> Result<ContactList, ApiError> {
    let mut path = format!("/contacts?limit=25&q={}", encode(q));
    if let Some(a) = after {
        path.push_str("&after=");
        path.push_str(&encode(a));
    }
    get(&path).await
}

pub async fn contact(id: i64) -> Result<Contact, ApiError> {
    get(&format!("/contacts/{id}")).await
}

/// The query string of a timeline request (also the app's own URL for the tab).
pub fn activity_query_string(q: &ActivityQuery) -> String {
    let mut parts = Vec::new();
    if let Some(p) = q.page.filter(|p| *p > 1) {
        parts.push(format!("page={p}"));
    }
    if let Some(k) = q.kinds.as_deref().filter(|k| !k.is_empty()) {
        parts.push(format!("kinds={}", encode(k)));
    }
    if let Some(t) = q.q.as_deref().filter(|t| !t.is_empty()) {
        parts.push(format!("q={}", encode(t)));
    }
    if let Some(a) = q.anchor.as_deref().filter(|a| !a.is_empty()) {
        parts.push(format!("anchor={}", encode(a)));
    }
    parts.join("&")
}

pub async fn activities(contact_id: i64, q: &ActivityQuery) -> Result<ActivityPage, ApiError> {
    get(&format!(
        "/contacts/{contact_id}/activities?{}",
        activity_query_string(q)
    ))
    .await
}

pub async fn activity(id: i64) -> Result<ActivityView, ApiError> {
    get(&format!("/activities/{id}")).await
}

pub async fn delete(path: &str) -> Result<(), ApiError> {
    send::<()>("DELETE", path, None).await
}

pub async fn delete_activity(id: i64) -> Result<(), ApiError> {
    delete(&format!("/activities/{id}")).await
}

/// What the composer offers for a contact: senders and the contact's addresses.
pub async fn compose_options(
    contact_id: i64,
) -> Result<agentdesk_protocol::email::ComposeOptions, ApiError> {
    get(&format!("/contacts/{contact_id}/compose")).await
}

/// Write a new message (a draft, or queued with `send`).
pub async fn create_email(
    contact_id: i64,
    d: &agentdesk_protocol::email::EmailDraft,
) -> Result<agentdesk_protocol::email::OutboundEmail, ApiError> {
    post(&format!("/contacts/{contact_id}/emails"), d).await
}

/// Save a draft's new text (and send it with `send`).
pub async fn save_email(
    id: i64,
    d: &agentdesk_protocol::email::EmailDraft,
) -> Result<agentdesk_protocol::email::OutboundEmail, ApiError> {
    put(&format!("/emails/{id}"), d).await
}

pub async fn outbound_email(id: i64) -> Result<agentdesk_protocol::email::OutboundEmail, ApiError> {
    get(&format!("/emails/{id}")).await
}

pub async fn retry_email(id: i64) -> Result<agentdesk_protocol::email::OutboundEmail, ApiError> {
    post_empty(&format!("/emails/{id}/retry")).await
}

/// A POST without a body (an action on the resource at `path`).
pub async fn post_empty<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    send("POST", path, None).await
}

/// The signed-in user's notification centre.
pub async fn notifications() -> Result<agentdesk_protocol::followup::Notifications, ApiError> {
    get("/notifications").await
}

/// Mark the user's notifications read: these, or all (`None`).
pub async fn read_notifications(ids: Option<Vec<i64>>) -> Result<(), ApiError> {
    let body = agentdesk_protocol::followup::ReadNotifications { ids };
    send::<()>("POST", "/notifications/read", json(&body)?).await
}

/// Press button `button` of notification `id`'s card: its follow-up's action is called
/// with the record's values. How it went arrives with the notification (the
/// `notifications` event reloads the list), so the answer is not read here.
pub async fn notification_action(id: i64, button: usize) -> Result<(), ApiError> {
    let path = format!("/notifications/{id}/actions/{button}");
    send::<serde::de::IgnoredAny>("POST", &path, None)
        .await
        .map(|_| ())
}

/// The signed-in user's open callback reminders, soonest first.
pub async fn reminders() -> Result<Vec<agentdesk_protocol::Reminder>, ApiError> {
    get("/reminders").await
}

pub async fn finish_reminder(id: i64) -> Result<(), ApiError> {
    send::<()>("POST", &format!("/reminders/{id}/done"), None).await
}

pub async fn create_note(contact_id: i64, text: String) -> Result<Activity, ApiError> {
    post(&format!("/contacts/{contact_id}/notes"), &NewNote { text }).await
}

pub async fn statuses() -> Result<Vec<StatusDef>, ApiError> {
    get("/statuses").await
}

/// The timeline page on which `date` (YYYY-MM-DD, the user's zone) begins.
pub async fn timeline_position(
    contact_id: i64,
    date: &str,
    kinds: Option<&str>,
) -> Result<agentdesk_protocol::TimelinePosition, ApiError> {
    let mut path = format!(
        "/contacts/{contact_id}/activities/position?date={}",
        encode(date)
    );
    if let Some(k) = kinds {
        path.push_str(&format!("&kinds={}", encode(k)));
    }
    get(&path).await
}

pub async fn my_status() -> Result<AgentStatus, ApiError> {
    get("/status").await
}

pub async fn set_status(value: String) -> Result<SetStatusResult, ApiError> {
    put("/status", &SetStatus { value }).await
}

pub async fn cancel_pending_status() -> Result<AgentStatus, ApiError> {
    send("DELETE", "/status/pending", None).await
}

pub async fn board() -> Result<Board, ApiError> {
    get("/board").await
}

pub async fn agent_status(user_id: i64) -> Result<AgentStatus, ApiError> {
    get(&format!("/agents/{user_id}/status")).await
}

/// `from`/`to` as `YYYY-MM-DD` (empty: open).
pub fn range_query(from: &str, to: &str, page: Option<u32>) -> String {
    let mut parts = Vec::new();
    if !from.is_empty() {
        parts.push(format!("from={}", encode(from)));
    }
    if !to.is_empty() {
        parts.push(format!("to={}", encode(to)));
    }
    if let Some(p) = page {
        parts.push(format!("page={p}"));
    }
    parts.join("&")
}

pub async fn connection_events(user_id: i64, query: &str) -> Result<ConnectionEventPage, ApiError> {
    get(&format!("/agents/{user_id}/connection-events?{query}")).await
}

pub async fn connection_events_csv(user_id: i64, query: &str) -> Result<String, ApiError> {
    get_text(&format!("/agents/{user_id}/connection-events.csv?{query}")).await
}

pub async fn queue_log(
    user_id: i64,
    query: &str,
) -> Result<agentdesk_protocol::QueueLogPage, ApiError> {
    get(&format!("/agents/{user_id}/queue-log?{query}")).await
}

pub async fn status_time(user_id: i64, query: &str) -> Result<StatusTime, ApiError> {
    get(&format!("/agents/{user_id}/status-time?{query}")).await
}

pub async fn stream_ticket() -> Result<StreamTicket, ApiError> {
    send("POST", "/stream-tickets", None).await
}

/// The URL of the event stream for a ticket, resuming after `last_event_id`.
pub fn events_url(ticket: &str, last_event_id: Option<i64>, contacts: &WatchedContacts) -> String {
    let mut u = url(&format!(
        "/events?ticket={}&contacts={}",
        encode(ticket),
        encode(&contacts.to_query())
    ));
    if let Some(id) = last_event_id {
        u.push_str(&format!("&last_event_id={id}"));
    }
    u
}

/// Percent-encode a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(super::encode("José +598"), "Jos%C3%A9%20%2B598");
    }

    #[test]
    fn timeline_query_strings_leave_out_defaults() {
        use agentdesk_protocol::ActivityQuery;
        assert_eq!(super::activity_query_string(&ActivityQuery::default()), "");
        let q = ActivityQuery {
            page: Some(3),
            kinds: Some("email,call".into()),
            q: Some("factura mayo".into()),
            anchor: None,
        };
        assert_eq!(
            super::activity_query_string(&q),
            "page=3&kinds=email%2Ccall&q=factura%20mayo"
        );
    }
}
