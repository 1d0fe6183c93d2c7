//! The JSON API under `/api/v1`, one module per resource, and the health probes.

mod audit;
mod auth;
mod calls;
mod contact_edit;
mod contacts;
mod email_files;
mod emails;
mod events;
mod followups;
pub mod ingest;
mod ingest_auth;
mod ingest_call;
mod integrations;
mod launch;
mod mailboxes;
pub use launch::launch_canonical;
mod me;
mod passwords;
pub mod reminders;
mod reports;
mod status;
mod status_defs;
mod teams;
mod ucontact;
mod webhooks;

pub(crate) use email_files::Named as AttachmentName;
pub(crate) use events::EventsQuery;
pub(crate) use followups::{DryRunQuery, ExportQuery, RunsQuery};

use axum::Router;
use axum::routing::get;

use crate::AppState;

/// The most the configured total of one e-mail's files may be, in bytes (an upload
/// reads its body only up to the configured total).
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;
use crate::error::ApiError;

/// `Ok` for an admin, else 403: the one check of the admin-only routes.
/// Team `id` as a new integration or mailbox may name it: one that exists and is not
/// archived (422 on `team_id` otherwise).
pub(crate) async fn open_team(
    state: &AppState,
    id: i64,
) -> crate::error::ApiResult<agentdesk_protocol::TeamSummary> {
    use crate::error::ApiError;
    let team = state
        .store
        .team_summaries()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::validation("team_id", "no such team"))?;
    if team.archived {
        return Err(ApiError::validation(
            "team_id",
            format!("team `{}` is archived", team.name),
        ));
    }
    Ok(team)
}

pub(crate) fn admin(caller: &crate::auth::Caller) -> crate::error::ApiResult<()> {
    if caller.viewer.role == agentdesk_protocol::Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Record in the audit log that `caller` did `action` to `target`, from `ip`.
pub(crate) async fn audit(
    state: &AppState,
    caller: &crate::auth::Caller,
    ip: String,
    action: &'static str,
    target: String,
) -> crate::error::ApiResult<()> {
    state
        .store
        .audit(crate::store::AuditEntry {
            user_id: Some(caller.viewer.user_id),
            username: None,
            action,
            target: Some(target),
            ip: Some(ip),
        })
        .await?;
    Ok(())
}

/// End user `user_id`'s sessions `tokens` (already deleted) as a sign-out does: the
/// presence rows go (the user is disconnected), then the streams end, on this instance
/// at once and on the others when the status event reaches them.
pub(crate) async fn end_sessions(
    state: &AppState,
    user_id: i64,
    tokens: &[String],
) -> crate::error::ApiResult<()> {
    let now = crate::clock::now();
    let restore_ms = i64::from(state.config.presence_restore_secs) * 1000;
    for token in tokens {
        let events = state
            .store
            .end_session_presence(token, user_id, now, restore_ms)
            .await?;
        state.events.publish(events);
        state.events.end_session(token);
    }
    Ok(())
}

/// Every API route. All but `POST /auth/login` require a session (the [`crate::auth::Caller`]
/// extractor); unknown paths answer 404 in the JSON error shape.
pub fn api() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(audit::router())
        .merge(me::router())
        .merge(passwords::router())
        .merge(contacts::router())
        .merge(contact_edit::router())
        .merge(emails::router())
        .merge(email_files::router())
        .merge(calls::router())
        .merge(launch::router())
        .merge(events::router())
        .merge(status::router())
        .merge(status_defs::router())
        .merge(reminders::router())
        .merge(reports::router())
        .merge(followups::router())
        .merge(teams::router())
        .merge(ingest::router())
        .merge(integrations::router())
        .merge(mailboxes::router())
        .merge(webhooks::router())
        .merge(ucontact::router())
        .fallback(|| async { ApiError::NotFound("route") })
}

/// `/healthz` (the process is up) and `/readyz` (the database answers), for load balancers.
pub fn probes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(
                |axum::extract::State(state): axum::extract::State<AppState>| async move {
                    state
                        .store
                        .ping()
                        .await
                        .map(|_| "ready")
                        .map_err(ApiError::from)
                },
            ),
        )
}

/// `/sample-crm/`: the reference CRM page for vendors (static, built into the binary). It
/// stands in for a vendor's site on another origin, so any page may frame it.
pub fn sample_crm() -> Router<AppState> {
    use axum::http::header;
    const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors *; object-src 'none'; base-uri 'none'";
    let page = |body: &'static str, ct: &'static str| {
        move || async move {
            (
                [
                    (header::CONTENT_TYPE, ct),
                    (header::CONTENT_SECURITY_POLICY, CSP),
                ],
                body,
            )
        }
    };
    Router::new()
        .route(
            "/sample-crm/",
            get(page(
                include_str!("../../static/sample-crm/index.html"),
                "text/html; charset=utf-8",
            )),
        )
        .route(
            "/sample-crm/crm.js",
            get(page(
                include_str!("../../static/sample-crm/crm.js"),
                "text/javascript; charset=utf-8",
            )),
        )
        .route(
            "/sample-crm/crm.css",
            get(page(
                include_str!("../../static/sample-crm/crm.css"),
                "text/css; charset=utf-8",
            )),
        )
}
