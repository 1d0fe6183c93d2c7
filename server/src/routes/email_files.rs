//! Files attached to an outbound e-mail (docs/email.md): the draft's author uploads one
//! at a time — `POST /emails/{id}/attachments?name=…` with the file's bytes as the body
//! and its type as `Content-Type` — and removes them (`DELETE …/{file_id}`) while the
//! message is a draft; whoever may read the message downloads them
//! (`GET …/{file_id}`). Each file passes `protocol::email_files::problem` (its name, its
//! declared type, its first bytes) and the message's files stay within the configured
//! total (`AGENTDESK_EMAIL_ATTACHMENTS_MAX_BYTES`).

use agentdesk_protocol::email_files::{self, OutboundAttachment};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::emails::{changed, may_email, reread};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::store::outbox::{Attached, NewFile};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emails/{id}/attachments", post(upload))
        .route(
            "/emails/{id}/attachments/{file_id}",
            get(download).delete(remove),
        )
}

/// The query of an upload: the file's name as the recipient will see it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Named {
    name: String,
}

/// `n` bytes as people read a size (in the composer's unit: 1 MB = 1,000,000 bytes).
fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1_000_000.0)
}

fn too_large(limit: u64, used: u64) -> ApiError {
    let message = if used == 0 {
        format!(
            "a message's files may weigh {} together; this file alone is over it",
            megabytes(limit)
        )
    } else {
        format!(
            "a message's files may weigh {} together; this one's weigh {} already",
            megabytes(limit),
            megabytes(used)
        )
    };
    ApiError::TooLargeOn {
        field: "file",
        message,
    }
}

/// The body, read only up to `limit` bytes (a longer one is refused as soon as it is
/// longer, without reading the rest).
async fn read_limited(body: axum::body::Body, limit: u64) -> ApiResult<axum::body::Bytes> {
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    axum::body::to_bytes(body, cap).await.map_err(|e| {
        let over =
            std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"));
        if over {
            too_large(limit, 0)
        } else {
            ApiError::BadRequest(format!("the upload broke off: {e}"))
        }
    })
}

async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<Named>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, ApiJson<OutboundAttachment>)> {
    may_email(&caller)?;
    // Scoped first, before a byte is read: another team's message is not found,
    // whoever wrote it.
    reread(&state, &caller, id).await?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .unwrap_or("");
    if let Some((field, problem)) = email_files::problem(&q.name, declared, None) {
        return Err(ApiError::validation(field, problem));
    }
    let limit = state.config.email_attachments_max_bytes;
    let declared_len = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared_len.is_some_and(|n| n > limit) {
        return Err(too_large(limit, 0));
    }
    let body = read_limited(body, limit).await?;
    let head = &body[..body.len().min(16)];
    if let Some((field, problem)) = email_files::problem(&q.name, declared, Some(head)) {
        return Err(ApiError::validation(field, problem));
    }
    if body.is_empty() {
        return Err(ApiError::validation("file", "the file is empty"));
    }
    let file = NewFile {
        name: q.name.trim().to_owned(),
        content_type: email_files::essence(declared),
        data: Vec::from(body),
    };
    let attached = state
        .store
        .attach_file(id, caller.viewer.user_id, &file, limit)
        .await?;
    match attached {
        Attached::Done(shown, events) => {
            state.events.publish(events);
            Ok((StatusCode::CREATED, ApiJson(shown)))
        }
        Attached::Refused(c) => {
            changed(&state, c, false)?;
            Err(ApiError::NotFound("draft"))
        }
        Attached::TooLarge { used } => Err(too_large(limit, used)),
        Attached::TooMany => Err(ApiError::ConflictOn {
            field: "file",
            message: format!("a message carries at most {} files", email_files::MAX_FILES),
        }),
    }
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, file_id)): ApiPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    may_email(&caller)?;
    reread(&state, &caller, id).await?;
    let c = state
        .store
        .detach_file(id, caller.viewer.user_id, file_id)
        .await?;
    changed(&state, c, false)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `Content-Disposition` for a download of `name`: a plain fallback for old clients,
/// the exact name in RFC 6266's `filename*`.
fn disposition(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}")
}

async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, file_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    may_email(&caller)?;
    let (file, data) = state
        .store
        .email_file(&caller.viewer, id, file_id)
        .await?
        .ok_or(ApiError::NotFound("file"))?;
    let mut res = data.into_response();
    let h = res.headers_mut();
    let typed = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, typed);
    if let Ok(v) = HeaderValue::from_str(&disposition(&file.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // Saved, never shown: a file of HTML opened from this origin runs nothing.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_is_named_exactly_and_plainly() {
        assert_eq!(
            disposition("Presupuesto año.pdf"),
            "attachment; filename=\"Presupuesto a_o.pdf\"; \
             filename*=UTF-8''Presupuesto%20a%C3%B1o%2Epdf"
        );
    }
}
