//! The admins' IMAP mailboxes: `GET /mailboxes` lists the server environment's (read-only
//! here) and the console's, each with how this instance polls it; `POST /mailboxes`
//! adds one for a team, `PUT /mailboxes/{id}` changes it (the password write-only: absent
//! keeps it), `DELETE /mailboxes/{id}` removes it, and `POST /mailboxes/{id}/test`
//! connects now and says which step fails. A change is polled at once on this instance
//! and within seconds on the others (`ingest::mailboxes`); every change is audited,
//! never with the password.

use agentdesk_protocol::{MailboxCheck, MailboxInput, MailboxStatus};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};

use super::{admin, audit};
use crate::AppState;
use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::ingest::imap::{MailboxUrl, is_loopback, key_of};
use crate::store::StoreError;
use crate::store::mailboxes::{NewMailbox, StoredMailbox};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mailboxes", get(list).post(create))
        .route("/mailboxes/{id}", put(update).delete(remove))
        .route("/mailboxes/{id}/test", post(test))
}

/// The longest user, password or folder name kept.
const MAX_CREDENTIAL: usize = 256;

fn console_status(state: &AppState, m: &StoredMailbox) -> MailboxStatus {
    crate::ingest::mailboxes::console_status(m, state.config.outbound_allow_private)
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<MailboxStatus>>> {
    admin(&caller)?;
    let mut all: Vec<MailboxStatus> = state
        .config
        .imap_mailboxes
        .iter()
        .map(|m| state.mailboxes.status(m))
        .collect();
    for m in state.store.mailboxes().await? {
        all.push(console_status(&state, &m));
    }
    Ok(ApiJson(all))
}

/// Text on one line, of at most [`MAX_CREDENTIAL`] characters.
fn one_line(field: &'static str, value: &str, what: &str) -> ApiResult<()> {
    if value.is_empty() {
        return Err(ApiError::validation(field, format!("{what} is required")));
    }
    if value.chars().count() > MAX_CREDENTIAL || value.chars().any(char::is_control) {
        return Err(ApiError::validation(
            field,
            format!("{what}: at most {MAX_CREDENTIAL} characters, on one line"),
        ));
    }
    Ok(())
}

/// The host as kept: an IP address, or a domain name (lower case, IDNA).
fn host(raw: &str) -> ApiResult<String> {
    let raw = raw.trim();
    let bad = || {
        ApiError::validation(
            "host",
            "a host name or IP address (no scheme, port, user or path)",
        )
    };
    if raw.is_empty() || raw.len() > 253 {
        return Err(bad());
    }
    if let Ok(ip) = raw
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
    {
        return Ok(ip.to_string());
    }
    if raw.contains(|c: char| c.is_whitespace() || c.is_control() || "/@?#:[]\\".contains(c)) {
        return Err(bad());
    }
    // A name's final dot (the root) names the same host.
    let raw = raw.strip_suffix('.').unwrap_or(raw);
    match url::Host::parse(raw) {
        Ok(url::Host::Domain(d)) if !d.is_empty() => Ok(d.to_ascii_lowercase()),
        Ok(ip) => Ok(ip.to_string()),
        Err(_) => Err(bad()),
    }
}

/// `req` checked and normalised for storing; `creating`: a password is required.
async fn checked(state: &AppState, req: MailboxInput, creating: bool) -> ApiResult<NewMailbox> {
    super::open_team(state, req.team_id).await?;
    let host = host(&req.host)?;
    if let Ok(ip) = host.parse::<std::net::IpAddr>()
        && !state.config.outbound_allow_private
        && !crate::outbound::is_public(ip)
    {
        return Err(ApiError::validation(
            "host",
            format!(
                "{host} is a private address: allowed only when the server is started with --outbound-allow-private"
            ),
        ));
    }
    if !req.tls && !is_loopback(&host) {
        return Err(ApiError::validation(
            "tls",
            format!("plain IMAP sends the password in the clear: use TLS for {host}"),
        ));
    }
    let port = match req.port.map(u16::try_from) {
        Some(Ok(0) | Err(_)) => {
            return Err(ApiError::validation("port", "a port from 1 to 65535"));
        }
        Some(Ok(p)) => p,
        None if req.tls => 993,
        None => 143,
    };
    let username = req.username.trim().to_owned();
    one_line("username", &username, "the user")?;
    match &req.password {
        Some(p) => one_line("password", p, "the password")?,
        None if creating => one_line("password", "", "the password")?,
        None => {}
    }
    let folder = req
        .folder
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or("INBOX");
    // INBOX is INBOX in any case (RFC 3501); other folders' names are the server's.
    let folder = if folder.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_owned()
    } else {
        folder.to_owned()
    };
    one_line("folder", &folder, "the folder")?;
    let new = NewMailbox {
        team_id: req.team_id,
        host,
        port,
        tls: req.tls,
        username,
        password: req.password,
        folder,
        active: req.active,
    };
    // The same folder of the same account as one of the environment's: polled twice.
    let key = key_of(new.tls, &new.username, &new.host, new.port, &new.folder);
    if state
        .config
        .imap_mailboxes
        .iter()
        .any(|m| same_account(&m.key(), &key))
    {
        return Err(ApiError::ConflictOn {
            field: "host",
            message: "this mailbox is already polled from the server's environment".into(),
        });
    }
    Ok(new)
}

/// Two keys name the same folder of the same account, TLS or not.
fn same_account(a: &str, b: &str) -> bool {
    let rest = |k: &str| k.split_once("://").map(|(_, r)| r.to_owned());
    rest(a) == rest(b)
}

fn duplicate(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::ConflictOn {
            field: "host",
            message: "this folder of this account is already set as a mailbox".into(),
        },
        other => other.into(),
    }
}

async fn stored(state: &AppState, id: i64) -> ApiResult<StoredMailbox> {
    state
        .store
        .mailboxes()
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(ApiError::NotFound("mailbox"))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<MailboxInput>,
) -> ApiResult<(StatusCode, ApiJson<MailboxStatus>)> {
    admin(&caller)?;
    let new = checked(&state, req, true).await?;
    let id = state.store.create_mailbox(&new).await.map_err(duplicate)?;
    audit(
        &state,
        &caller,
        ip,
        "mailbox.create",
        format!("mailbox:{id}"),
    )
    .await?;
    state.mailboxes.changed();
    let m = stored(&state, id).await?;
    Ok((StatusCode::CREATED, ApiJson(console_status(&state, &m))))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MailboxInput>,
) -> ApiResult<ApiJson<MailboxStatus>> {
    admin(&caller)?;
    // An unknown id is a 404 before its body is judged.
    let before = stored(&state, id).await?;
    let new = checked(&state, req, false).await?;
    // The stored password goes only where it went before: sent to another server or
    // for another user, it would be read there.
    let same_account = (new.host.as_str(), new.port, new.tls, new.username.as_str())
        == (
            before.host.as_str(),
            u16::try_from(before.port).unwrap_or(0),
            before.tls,
            before.username.as_str(),
        );
    if new.password.is_none() && !same_account {
        return Err(ApiError::validation(
            "password",
            "type the password again: the server, port, TLS or user changed",
        ));
    }
    if !state
        .store
        .update_mailbox(id, &new)
        .await
        .map_err(duplicate)?
    {
        return Err(ApiError::NotFound("mailbox"));
    }
    audit(
        &state,
        &caller,
        ip,
        "mailbox.update",
        format!("mailbox:{id}"),
    )
    .await?;
    state.mailboxes.changed();
    Ok(ApiJson(console_status(&state, &stored(&state, id).await?)))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    admin(&caller)?;
    if !state.store.delete_mailbox(id).await? {
        return Err(ApiError::NotFound("mailbox"));
    }
    audit(
        &state,
        &caller,
        ip,
        "mailbox.delete",
        format!("mailbox:{id}"),
    )
    .await?;
    state.mailboxes.changed();
    Ok(StatusCode::NO_CONTENT)
}

/// Connect now with the stored settings (active or not).
async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<MailboxCheck>> {
    admin(&caller)?;
    let m = stored(&state, id).await?;
    let url = MailboxUrl::console(&m, state.config.outbound_allow_private);
    Ok(ApiJson(
        crate::ingest::imap_conn::check(&url, &state.imap_tls).await,
    ))
}
