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

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::AppState;

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
            "Hex HMAC-SHA256 of `{timestamp}.{raw body}` with the secret."),
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

/// The document under construction: component schemas and operations by path.
#[derive(Default)]
pub(crate) struct Spec {
    schemas: Map<String, Value>,
    paths: BTreeMap<String, Map<String, Value>>,
}

impl Spec {
    /// Adds `T` and every schema it refers to; returns a reference to it.
    pub(crate) fn schema<T: ToSchema>(&mut self) -> Value {
        let mut found = vec![(T::name().to_string(), T::schema())];
        T::schemas(&mut found);
        for (name, schema) in found {
            let schema = serde_json::to_value(schema).expect("a schema serializes");
            match self.schemas.get(&name) {
                // Two protocol types of one name would silently share a schema.
                Some(known) if *known != schema => panic!("two schemas named {name}"),
                Some(_) => {}
                None => {
                    self.schemas.insert(name, schema);
                }
            }
        }
        json!({"$ref": format!("#/components/schemas/{}", T::name())})
    }

    /// Starts an operation; it is added when the returned value is dropped, so each table
    /// row is one statement.
    pub(crate) fn op(
        &mut self,
        method: &'static str,
        path: &'static str,
        tag: &'static str,
        summary: &'static str,
    ) -> Op<'_> {
        Op {
            spec: self,
            method,
            path,
            tag,
            summary,
            auth: Auth::Session,
            about: None,
            parameters: Vec::new(),
            body: None,
            responses: Map::new(),
            errors: Vec::new(),
        }
    }
}

/// One operation being described (see [`Spec::op`]).
pub(crate) struct Op<'s> {
    spec: &'s mut Spec,
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    auth: Auth,
    about: Option<&'static str>,
    parameters: Vec<Value>,
    body: Option<Value>,
    responses: Map<String, Value>,
    errors: Vec<u16>,
}

impl Op<'_> {
    pub(crate) fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub(crate) fn about(mut self, text: &'static str) -> Self {
        self.about = Some(text);
        self
    }

    /// Query parameters: the fields of `Q` (a flat struct), each one parameter.
    pub(crate) fn query<Q: ToSchema>(mut self) -> Self {
        self.spec.schema::<Q>();
        let schema = serde_json::to_value(Q::schema()).expect("a schema serializes");
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("query {} is not a flat object", Q::name()));
        for (name, prop) in properties {
            let mut prop = prop.clone();
            let about = prop.as_object_mut().and_then(|p| p.remove("description"));
            let mut p = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": prop,
            });
            if let Some(about) = about {
                p["description"] = about;
            }
            self.parameters.push(p);
        }
        self.errors.extend([400, 422]);
        self
    }

    /// A JSON request body of type `B`, with an example checked against it by a test.
    pub(crate) fn body<B: ToSchema>(mut self, example: Option<Value>) -> Self {
        let schema = self.spec.schema::<B>();
        let mut media = json!({"schema": schema});
        if let Some(e) = example {
            media["example"] = e;
        }
        self.body = Some(json!({"required": true, "content": {"application/json": media}}));
        self.errors.extend([400, 413, 422]);
        self
    }

    /// A request body that is a file (`content_type`), not JSON.
    pub(crate) fn file_body(mut self, content_type: &'static str, about: &'static str) -> Self {
        self.body = Some(json!({
            "required": true,
            "description": about,
            "content": {content_type: {"schema": {"type": "string", "contentMediaType": content_type}}},
        }));
        self.errors.extend([400, 413, 422]);
        self
    }

    fn respond(mut self, status: u16, about: &str, content: Option<Value>) -> Self {
        let mut r = json!({"description": about});
        if let Some(c) = content {
            r["content"] = c;
        }
        self.responses.insert(status.to_string(), r);
        self
    }

    /// Answers `status` with a JSON `T`.
    pub(crate) fn ok<T: ToSchema>(self, status: u16, about: &str) -> Self {
        let schema = self.spec.schema::<T>();
        self.respond(
            status,
            about,
            Some(json!({"application/json": {"schema": schema}})),
        )
    }

    /// Answers 200 with a JSON array of `T`.
    pub(crate) fn list<T: ToSchema>(self, about: &str) -> Self {
        let item = self.spec.schema::<T>();
        let schema = json!({"type": "array", "items": item});
        self.respond(
            200,
            about,
            Some(json!({"application/json": {"schema": schema}})),
        )
    }

    /// Answers 200 with a JSON `T`, or CSV when asked (`Accept: text/csv` or `format=csv`).
    pub(crate) fn ok_or_csv<T: ToSchema>(self, about: &str) -> Self {
        let schema = self.spec.schema::<T>();
        self.respond(
            200,
            about,
            Some(json!({
                "application/json": {"schema": schema},
                "text/csv": {"schema": {"type": "string"}},
            })),
        )
    }

    /// Answers 200 with a file of `content_type`.
    pub(crate) fn file(self, content_type: &'static str, about: &str) -> Self {
        let schema = json!({"type": "string", "contentMediaType": content_type});
        self.respond(200, about, Some(json!({content_type: {"schema": schema}})))
    }

    /// Answers 204 with no body.
    pub(crate) fn done(self, about: &str) -> Self {
        self.respond(204, about, None)
    }

    /// Answers 200 with a server-sent event stream whose `data` lines are JSON `T`.
    pub(crate) fn events<T: ToSchema>(self, about: &str) -> Self {
        let item = self.spec.schema::<T>();
        let schema = json!({"type": "string", "description": "text/event-stream; each event's data is JSON", "x-event-data": item});
        self.respond(
            200,
            about,
            Some(json!({"text/event-stream": {"schema": schema}})),
        )
    }

    /// One more error status this operation answers.
    pub(crate) fn error(mut self, status: u16) -> Self {
        self.errors.push(status);
        self
    }
}

impl Drop for Op<'_> {
    fn drop(&mut self) {
        let mut parameters: Vec<Value> = path_parameters(self.path);
        if !parameters.is_empty() {
            self.errors.extend([404, 422]);
        }
        parameters.append(&mut self.parameters);
        match self.auth {
            Auth::Public => {}
            Auth::Supervisor | Auth::Admin | Auth::Email => self.errors.extend([401, 403]),
            _ => self.errors.push(401),
        }
        self.errors.push(503);
        self.errors.sort_unstable();
        self.errors.dedup();
        let mut responses = std::mem::take(&mut self.responses);
        for status in &self.errors {
            responses.insert(status.to_string(), error_ref(*status));
        }
        let mut description = self.auth.who().to_string();
        if let Some(about) = self.about {
            description = format!("{about}\n\n{description}");
        }
        let mut op = json!({
            "tags": [self.tag],
            "summary": self.summary,
            "description": description,
            "operationId": operation_id(self.method, self.path),
            "security": self.auth.security(),
            "responses": responses,
        });
        if !parameters.is_empty() {
            op["parameters"] = Value::Array(parameters);
        }
        if let Some(body) = self.body.take() {
            op["requestBody"] = body;
        }
        let ops = self.spec.paths.entry(self.path.to_string()).or_default();
        assert!(
            ops.insert(self.method.to_string(), op).is_none(),
            "{} {} described twice",
            self.method,
            self.path
        );
    }
}

/// `{name}` segments: integer ids, except the few named by text.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = match name {
                "name" => json!({"type": "string", "description": "A campaign's name."}),
                "value" => json!({"type": "string", "description": "A status's value."}),
                "button" => json!({"type": "integer", "minimum": 0}),
                _ => json!({"type": "integer", "format": "int64"}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

/// `get` + `/contacts/{id}/activities` → `getContactsByIdActivities`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for seg in path.split(['/', '-', '.']).filter(|s| !s.is_empty()) {
        let seg = match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(p) => format!("by_{p}"),
            None => seg.to_string(),
        };
        for word in seg.split('_') {
            let mut c = word.chars();
            if let Some(first) = c.next() {
                id.push(first.to_ascii_uppercase());
                id.extend(c);
            }
        }
    }
    id
}
