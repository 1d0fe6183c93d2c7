//! The API's machine-readable description: an OpenAPI 3.1 document at
//! `/api/openapi.json` and a reference page rendered from it at `/api/docs`.
//!
//! Schemas come from the protocol types themselves (`utoipa` derives behind the
//! protocol's `openapi` feature, which only the server enables — the browser bundle never
//! carries them). Operations are one table in [`operations`], kept equal to the router by
//! a test that reads the router's source; a second test checks every example, and the
//! server's real answers, against the schemas. Both pages are public, like the app's own
//! files: they describe what integrators may call and hold no data.

mod html;
mod operations;
mod operations_office;
mod spec;

pub(crate) use spec::Spec;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Map, Value, json};

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";
/// Where the reference page is served.
pub const DOCS_PATH: &str = "/api/docs";

/// The document, built once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

/// `/api/openapi.json` and `/api/docs`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            DOCUMENT_PATH,
            get(|| async {
                static BODY: OnceLock<String> = OnceLock::new();
                let body = BODY.get_or_init(|| document().to_string());
                ([(header::CONTENT_TYPE, "application/json")], body.as_str())
            }),
        )
        .route(
            DOCS_PATH,
            get(|| async {
                static PAGE: OnceLock<(String, String)> = OnceLock::new();
                let (page, csp) = PAGE.get_or_init(|| html::page(document()));
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                        (header::CONTENT_SECURITY_POLICY, csp.clone()),
                    ],
                    page.as_str(),
                )
                    .into_response()
            }),
        )
}

fn build() -> Value {
    let mut spec = Spec::default();
    spec.schema::<agentdesk_protocol::ErrorBody>();
    operations::describe(&mut spec);
    let paths: Map<String, Value> = spec
        .paths
        .into_iter()
        .map(|(path, ops)| {
            (
                format!("{}{path}", agentdesk_protocol::API_PREFIX),
                Value::Object(ops),
            )
        })
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "agentdesk API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": INTRO,
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": operations::TAGS.iter().map(|(name, about)| json!({"name": name, "description": about})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": spec.schemas,
            "securitySchemes": security_schemes(),
            "responses": error_responses(),
        },
    })
}

const INTRO: &str = "Every route under /api/v1 answers JSON. Failures use one shape, \
ErrorBody: a machine-readable code (its HTTP status follows from it), an English message \
safe to show, the field it is about when there is one, and for rate_limited / unavailable \
the seconds to wait (also in Retry-After). Sessions are bearer tokens from POST \
/api/v1/auth/login; integrations send their own token, or sign the body (HMAC-SHA256 of \
`timestamp.body` with the integration's secret); uContact's webhook sends its shared \
secret or the same signature. Times are RFC 3339 in UTC; dates in query strings are \
YYYY-MM-DD in the caller's time zone unless a time_zone parameter says otherwise.";

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// No credentials (signing in).
    Public,
    /// Any signed-in user.
    Session,
    /// Supervisors and admins.
    Supervisor,
    /// Admins only.
    Admin,
    /// Signed-in users whose e-mail permission is on.
    Email,
    /// An integration's token, or its HMAC signature.
    Integration,
    /// uContact's webhook secret, or the HMAC signature.
    Webhook,
    /// A session token, or a stream ticket in the query (browsers' EventSource).
    Stream,
}

impl Auth {
    fn security(self) -> Value {
        match self {
            Auth::Public => json!([]),
            Auth::Session | Auth::Supervisor | Auth::Admin | Auth::Email => {
                json!([{"session": []}])
            }
            Auth::Integration => json!([
                {"integrationToken": []},
                {"integrationId": [], "signatureTimestamp": [], "signature": []},
            ]),
            Auth::Webhook => json!([
                {"webhookSecret": []},
                {"signatureTimestamp": [], "signature": []},
            ]),
            Auth::Stream => json!([{"session": []}, {"streamTicket": []}]),
        }
    }

    fn who(self) -> &'static str {
        match self {
            Auth::Public => "Anyone.",
            Auth::Session => "Any signed-in user (scoped to their teams).",
            Auth::Supervisor => "Supervisors and admins (scoped to their teams).",
            Auth::Admin => "Admins.",
            Auth::Email => "Signed-in users allowed to send e-mail (scoped to their teams).",
            Auth::Integration => "An integration (its team's data only).",
            Auth::Webhook => "uContact's webhook.",
            Auth::Stream => "A signed-in user, by token or stream ticket.",
        }
    }
}

fn security_schemes() -> Value {
    let header = |name: &str, about: &str| json!({"type": "apiKey", "in": "header", "name": name, "description": about});
    json!({
        "session": {"type": "http", "scheme": "bearer",
            "description": "The token POST /api/v1/auth/login returns."},
        "integrationToken": {"type": "http", "scheme": "bearer",
            "description": "An integration's token (shown once when created or rotated)."},
        "integrationId": header("X-Agentdesk-Integration", "The integration's id, with a signature."),
        "signatureTimestamp": header("X-Agentdesk-Timestamp",
            "Unix seconds; refused when more than 5 minutes from the server's clock."),
        "signature": header("X-Agentdesk-Signature",
            "`sha256=` and the hex HMAC-SHA256 of `{timestamp}.{raw body}` with the secret."),
        "webhookSecret": header("X-Webhook-Secret", "uContact's shared webhook secret."),
        "streamTicket": {"type": "apiKey", "in": "query", "name": "ticket",
            "description": "A one-use ticket from POST /api/v1/stream-tickets."},
    })
}

/// The error statuses operations name, each the one error shape.
const ERRORS: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "The body or query could not be read (code bad_request).",
    ),
    (
        401,
        "Unauthorized",
        "No valid session or credentials (code unauthorized).",
    ),
    (
        403,
        "Forbidden",
        "Signed in, but not allowed (code forbidden).",
    ),
    (
        404,
        "NotFound",
        "No such thing in the caller's teams (code not_found).",
    ),
    (
        409,
        "Conflict",
        "Conflicts with the current state (code conflict); the message says why.",
    ),
    (
        413,
        "PayloadTooLarge",
        "The body is larger than this route accepts (code payload_too_large).",
    ),
    (
        422,
        "Invalid",
        "A value is not acceptable; `field` names it (code validation).",
    ),
    (
        429,
        "RateLimited",
        "Too many attempts; `retry_after_secs` and Retry-After say when to retry.",
    ),
    (
        503,
        "Unavailable",
        "The database is down or the server is shedding load; retry after Retry-After.",
    ),
];

fn error_responses() -> Value {
    let example = |code: &str, message: &str, field: Option<&str>| {
        let mut e = json!({"error": {"code": code, "message": message}});
        if let Some(f) = field {
            e["error"]["field"] = json!(f);
        }
        e
    };
    let examples = BTreeMap::from([
        (
            400,
            example("bad_request", "request body is not valid JSON", None),
        ),
        (
            401,
            example("unauthorized", "authentication required", None),
        ),
        (403, example("forbidden", "not allowed", None)),
        (404, example("not_found", "contact not found", None)),
        (
            409,
            example("conflict", "username already taken", Some("username")),
        ),
        (
            413,
            example("payload_too_large", "request body too large", None),
        ),
        (
            422,
            example(
                "validation",
                "must be at least 12 characters",
                Some("password"),
            ),
        ),
        (
            429,
            json!({"error": {"code": "rate_limited", "message": "too many attempts", "retry_after_secs": 60}}),
        ),
        (
            503,
            json!({"error": {"code": "unavailable", "message": "busy, try again", "retry_after_secs": 1}}),
        ),
    ]);
    ERRORS
        .iter()
        .map(|(status, name, about)| {
            let body = json!({
                "description": about,
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorBody"},
                    "example": examples[status],
                }},
            });
            (name.to_string(), body)
        })
        .collect::<Map<_, _>>()
        .into()
}

fn error_ref(status: u16) -> Value {
    let (_, name, _) = ERRORS
        .iter()
        .find(|(s, _, _)| *s == status)
        .unwrap_or_else(|| panic!("no error response {status}"));
    json!({"$ref": format!("#/components/responses/{name}")})
}
