//! The document under construction: component schemas from the protocol types, and
//! operations added one table row at a time.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{Auth, error_ref};

/// The document under construction: component schemas and operations by path.
#[derive(Default)]
pub(crate) struct Spec {
    pub(super) schemas: Map<String, Value>,
    pub(super) paths: BTreeMap<String, Map<String, Value>>,
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
