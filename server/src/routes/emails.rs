//! Writing e-mail from the desktop (docs/email.md): `POST /contacts/{id}/emails` makes a
//! draft (or queues it with `send`), `PUT /emails/{id}` saves it or sends it,
//! `DELETE /emails/{id}` discards it, `POST /emails/{id}/retry` queues a failed one
//! again; `GET /contacts/{id}/compose` says from and to what. Only users with the e-mail
//! permission; only to an address the contact is known by unless the user confirms a new
//! one (audit-logged). Admins manage the teams' sender identities
//! (`/teams/{id}/mail-identities`, `/mail-identities/{id}`, and `…/test` to try one's
//! server).

use agentdesk_protocol::EmailStatus;
use agentdesk_protocol::email::{
    ComposeOptions, EmailDraft, MailIdentity, MailIdentityInput, OutboundEmail, SenderCheck,
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
use crate::mailer::SmtpUrl;
use crate::store::StoreError;
use crate::store::outbox::{Changed, DraftUpdate, IdentityRow, NewOutbound};

use super::audit;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts/{id}/compose", get(options))
        .route("/contacts/{id}/emails", post(create))
        .route("/emails/{id}", get(show).put(save).delete(discard))
        .route("/emails/{id}/retry", post(retry))
        .route(
            "/teams/{id}/mail-identities",
            get(list_identities).post(create_identity),
        )
        .route(
            "/mail-identities/{id}",
            put(update_identity).delete(delete_identity),
        )
        .route("/mail-identities/{id}/test", post(test_identity))
}

pub(super) fn may_email(caller: &Caller) -> ApiResult<()> {
    if caller.viewer.can_email {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// An identity as anyone may read it: its server named, its credentials not.
fn shown(i: IdentityRow) -> MailIdentity {
    MailIdentity {
        id: i.id,
        team_id: i.team_id,
        server: i
            .smtp_url
            .as_deref()
            .and_then(|u| u.parse::<SmtpUrl>().ok())
            .map(|u| u.server()),
        address: i.address,
        display_name: i.display_name,
    }
}

fn from_of(i: &IdentityRow) -> String {
    match i.display_name.trim() {
        "" => i.address.clone(),
        name => format!("{name} <{}>", i.address),
    }
}

/// The identity a draft names (or the team's first), checked to be the team's.
async fn identity(state: &AppState, team_id: i64, asked: Option<i64>) -> ApiResult<IdentityRow> {
    let all = state.store.mail_identities(team_id).await?;
    match asked {
        Some(id) => all.into_iter().find(|i| i.id == id).ok_or_else(|| {
            ApiError::validation("identity_id", "not a sender address of this contact's team")
        }),
        None => all.into_iter().next().ok_or_else(|| ApiError::ConflictOn {
            field: "identity_id",
            message: "this team has no sender address yet: an admin adds one".into(),
        }),
    }
}

/// The draft checked against its rule; when it is to be sent, its address against the
/// contact's known ones (a draft may hold any address while it is written), and an
/// address the user confirmed as new is audit-logged.
async fn check(
    state: &AppState,
    caller: &Caller,
    ip: String,
    contact_id: i64,
    d: &EmailDraft,
) -> ApiResult<()> {
    if let Some((field, problem)) = d.problem(d.send) {
        return Err(ApiError::validation(field, problem));
    }
    let to = d.to.trim();
    if !d.send || to.is_empty() {
        return Ok(());
    }
    let known = state.store.contact_addresses(contact_id).await?;
    if known.iter().any(|k| k.eq_ignore_ascii_case(to)) {
        return Ok(());
    }
    if !d.new_address {
        return Err(ApiError::validation(
            "to",
            "not an address of this contact: confirm it as a new address to use it",
        ));
    }
    audit(
        state,
        caller,
        ip,
        "email_new_address",
        format!("contact:{contact_id} to:{to}"),
    )
    .await
}

pub(super) fn changed(state: &AppState, c: Changed, queued: bool) -> ApiResult<()> {
    match c {
        Changed::Done(events) => {
            state.events.publish(events);
            if queued {
                state.outbox.wake();
            }
            Ok(())
        }
        Changed::NotFound => Err(ApiError::NotFound("draft")),
        Changed::WrongState(s) => Err(ApiError::ConflictOn {
            field: "status",
            message: match s {
                EmailStatus::Draft => "this message is a draft".into(),
                EmailStatus::Queued => "this message is queued for sending already".into(),
                EmailStatus::Sent => "this message was sent already".into(),
                EmailStatus::Failed => "this message failed: retry it instead".into(),
            },
        }),
    }
}

pub(super) async fn reread(state: &AppState, caller: &Caller, id: i64) -> ApiResult<OutboundEmail> {
    state
        .store
        .outbound(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("e-mail"))
}

async fn options(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<ComposeOptions>> {
    may_email(&caller)?;
    let contact = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    let identities = state.store.mail_identities(contact.team.id).await?;
    Ok(ApiJson(ComposeOptions {
        identities: identities.into_iter().map(shown).collect(),
        addresses: state.store.contact_addresses(contact.id).await?,
        max_attachment_bytes: state.config.email_attachments_max_bytes,
    }))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<EmailDraft>,
) -> ApiResult<(StatusCode, ApiJson<OutboundEmail>)> {
    may_email(&caller)?;
    let contact = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    check(&state, &caller, ip, contact.id, &d).await?;
    let sender = identity(&state, contact.team.id, d.identity_id).await?;
    let answered = match d.reply_to {
        Some(r) => Some(
            state
                .store
                .email_to_answer(contact.id, r)
                .await?
                .ok_or_else(|| ApiError::validation("reply_to", "not an e-mail of this contact"))?,
        ),
        None => None,
    };
    let domain = sender.address.rsplit_once('@').map_or("agentdesk", |p| p.1);
    let new = NewOutbound {
        team_id: contact.team.id,
        contact_id: contact.id,
        author_id: caller.viewer.user_id,
        identity_id: sender.id,
        from: from_of(&sender),
        to: d.to.trim().to_owned(),
        subject: d.subject.trim().to_owned(),
        body: d.body.clone(),
        reply_to: d.reply_to,
        // A key made up for a message without one (`sha256:…`) threads nothing.
        in_reply_to: answered
            .and_then(|a| a.message_id)
            .filter(|m| m.starts_with('<')),
        message_id: format!("<{}@{domain}>", uuid::Uuid::new_v4()),
        queue: d.send,
    };
    let (activity_id, events) = state.store.create_outbound(&new).await?;
    state.events.publish(events);
    if d.send {
        state.outbox.wake();
    }
    Ok((
        StatusCode::CREATED,
        ApiJson(reread(&state, &caller, activity_id).await?),
    ))
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<OutboundEmail>> {
    may_email(&caller)?;
    Ok(ApiJson(reread(&state, &caller, id).await?))
}

async fn save(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<EmailDraft>,
) -> ApiResult<ApiJson<OutboundEmail>> {
    may_email(&caller)?;
    let current = reread(&state, &caller, id).await?;
    check(&state, &caller, ip, current.contact_id, &d).await?;
    let sender = identity(
        &state,
        current.team_id,
        d.identity_id.or(current.identity_id),
    )
    .await?;
    let update = DraftUpdate {
        identity_id: sender.id,
        from: from_of(&sender),
        to: d.to.trim().to_owned(),
        subject: d.subject.trim().to_owned(),
        body: d.body.clone(),
        queue: d.send,
    };
    let c = state
        .store
        .save_draft(id, caller.viewer.user_id, &update)
        .await?;
    changed(&state, c, d.send)?;
    Ok(ApiJson(reread(&state, &caller, id).await?))
}

async fn discard(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    may_email(&caller)?;
    // Scoped first: a draft of another team is not found, whatever its author.
    reread(&state, &caller, id).await?;
    let c = state.store.discard_draft(id, caller.viewer.user_id).await?;
    changed(&state, c, false)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<OutboundEmail>> {
    may_email(&caller)?;
    let c = state.store.retry_outbound(&caller.viewer, id).await?;
    changed(&state, c, true)?;
    Ok(ApiJson(reread(&state, &caller, id).await?))
}

/// An admin's identity input, checked: the address, the name, and an SMTP URL that is
/// one and does not name a private address (host names are checked when they resolve,
/// at each send).
fn checked(state: &AppState, input: &MailIdentityInput) -> ApiResult<Option<Option<String>>> {
    if let Some((field, problem)) = input.problem() {
        return Err(ApiError::validation(field, problem));
    }
    let Some(raw) = input.smtp_url.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if raw.is_empty() {
        return Ok(Some(None));
    }
    // The parser's message never repeats the URL (credentials included).
    raw.parse::<SmtpUrl>()
        .map_err(|e| ApiError::validation("smtp_url", e))?;
    let literal = url::Url::parse(raw).ok().and_then(|u| {
        u.host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
    });
    if let Some(ip) = literal.and_then(|h| h.parse::<std::net::IpAddr>().ok())
        && !state.config.outbound_allow_private
        && !crate::outbound::is_public(ip)
    {
        return Err(ApiError::validation(
            "smtp_url",
            format!("{ip} is a private address (allowed only with --outbound-allow-private)"),
        ));
    }
    Ok(Some(Some(raw.to_owned())))
}

fn taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(m) => ApiError::ConflictOn {
            field: "address",
            message: m,
        },
        other => other.into(),
    }
}

async fn team_exists(state: &AppState, caller: &Caller, team_id: i64) -> ApiResult<()> {
    let teams = state.store.list_teams(&caller.viewer).await?;
    if teams.iter().any(|t| t.id == team_id) {
        Ok(())
    } else {
        Err(ApiError::NotFound("team"))
    }
}

async fn list_identities(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(team_id): ApiPath<i64>,
) -> ApiResult<ApiJson<Vec<MailIdentity>>> {
    admin(&caller)?;
    team_exists(&state, &caller, team_id).await?;
    let all = state.store.mail_identities(team_id).await?;
    Ok(ApiJson(all.into_iter().map(shown).collect()))
}

async fn create_identity(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(team_id): ApiPath<i64>,
    ApiJson(input): ApiJson<MailIdentityInput>,
) -> ApiResult<(StatusCode, ApiJson<MailIdentity>)> {
    admin(&caller)?;
    team_exists(&state, &caller, team_id).await?;
    let url = checked(&state, &input)?.flatten();
    let id = state
        .store
        .create_mail_identity(
            team_id,
            input.address.trim(),
            input.display_name.trim(),
            url.as_deref(),
        )
        .await
        .map_err(taken)?;
    audit(
        &state,
        &caller,
        ip,
        "mail_identity_created",
        format!("mail_identity:{id}"),
    )
    .await?;
    let row = state
        .store
        .mail_identity(id)
        .await?
        .ok_or(ApiError::NotFound("sender"))?;
    Ok((StatusCode::CREATED, ApiJson(shown(row))))
}

async fn update_identity(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MailIdentityInput>,
) -> ApiResult<ApiJson<MailIdentity>> {
    admin(&caller)?;
    let url = checked(&state, &input)?;
    let done = state
        .store
        .update_mail_identity(
            id,
            input.address.trim(),
            input.display_name.trim(),
            url.as_ref().map(|u| u.as_deref()),
        )
        .await
        .map_err(taken)?;
    if !done {
        return Err(ApiError::NotFound("sender"));
    }
    audit(
        &state,
        &caller,
        ip,
        "mail_identity_updated",
        format!("mail_identity:{id}"),
    )
    .await?;
    let row = state
        .store
        .mail_identity(id)
        .await?
        .ok_or(ApiError::NotFound("sender"))?;
    Ok(ApiJson(shown(row)))
}

async fn delete_identity(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    admin(&caller)?;
    if !state.store.delete_mail_identity(id).await? {
        return Err(ApiError::NotFound("sender"));
    }
    audit(
        &state,
        &caller,
        ip,
        "mail_identity_deleted",
        format!("mail_identity:{id}"),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test_identity(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<SenderCheck>> {
    admin(&caller)?;
    let row = state
        .store
        .mail_identity(id)
        .await?
        .ok_or(ApiError::NotFound("sender"))?;
    Ok(ApiJson(
        state.outbox.check_sender(row.smtp_url.as_deref()).await,
    ))
}
