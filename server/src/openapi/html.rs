//! The reference page at `/api/docs`, rendered on the server from the OpenAPI document:
//! no script, no CDN, readable offline and by screen readers.

use std::fmt::Write;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::text::html_escape as esc;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1d2330}\
h2{border-bottom:2px solid #d8dce6;margin-top:2.5rem}h3{margin:1.6rem 0 .3rem;font-size:1.05rem}\
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f4f5f8;padding:.6rem;overflow:auto}\
table{border-collapse:collapse;margin:.4rem 0;width:100%}td,th{border:1px solid #d8dce6;padding:.25rem .5rem;text-align:left;vertical-align:top}\
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}.get{color:#0b6e4f}.post{color:#1f5fbf}\
.put,.patch{color:#9a5b00}.delete{color:#b3261e}nav ul{columns:2}a{color:#1f5fbf}";

/// The page and its Content-Security-Policy (the one inline style block allowed by hash).
pub(super) fn page(doc: &Value) -> (String, String) {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
    let csp = format!(
        "default-src 'none'; style-src 'sha256-{hash}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );
    let mut h = String::with_capacity(256 * 1024);
    let info = &doc["info"];
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} {version}</title><style>{STYLE}</style></head><body><main>\
         <h1>{title} <small>{version}</small></h1><p>{intro}</p>\
         <p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI {oas}).</p>",
        title = esc(text(&info["title"])),
        version = esc(text(&info["version"])),
        intro = esc(text(&info["description"])),
        oas = esc(text(&doc["openapi"])),
    );
    let ops = operations(doc);
    h.push_str("<nav aria-label=\"Operations\"><ul>");
    for tag in doc["tags"].as_array().into_iter().flatten() {
        let name = text(&tag["name"]);
        let _ = write!(
            h,
            "<li><a href=\"#tag-{0}\">{0}</a> — {1}</li>",
            esc(name),
            esc(text(&tag["description"]))
        );
    }
    h.push_str("<li><a href=\"#schemas\">Schemas</a></li></ul></nav>");
    for tag in doc["tags"].as_array().into_iter().flatten() {
        let name = text(&tag["name"]);
        let _ = write!(
            h,
            "<h2 id=\"tag-{0}\">{0}</h2><p>{1}</p>",
            esc(name),
            esc(text(&tag["description"]))
        );
        for (method, path, op) in ops.iter().filter(|(_, _, op)| op["tags"][0] == *name) {
            operation(&mut h, method, path, op);
        }
    }
    h.push_str("<h2 id=\"schemas\">Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let _ = write!(h, "<h3 id=\"schema-{0}\">{0}</h3>", esc(name));
        describe_schema(&mut h, schema);
    }
    h.push_str("</main></body></html>");
    (h, csp)
}

fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            out.push((method.as_str(), path.as_str(), op));
        }
    }
    out
}

fn operation(h: &mut String, method: &str, path: &str, op: &Value) {
    let _ = write!(
        h,
        "<h3 id=\"{id}\"><span class=\"m {method}\">{method}</span> <code>{path}</code></h3><p><strong>{summary}</strong></p>",
        id = esc(text(&op["operationId"])),
        path = esc(path),
        summary = esc(text(&op["summary"])),
    );
    for para in text(&op["description"]).split("\n\n") {
        let _ = write!(h, "<p>{}</p>", esc(para));
    }
    if let Some(params) = op["parameters"].as_array() {
        h.push_str("<table><caption>Parameters</caption><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>About</th></tr>");
        for p in params {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(text(&p["name"])),
                esc(text(&p["in"])),
                type_of(&p["schema"]),
                if p["required"] == true { "yes" } else { "no" },
                esc(text(&p["description"])),
            );
        }
        h.push_str("</table>");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        for (media, m) in content {
            let _ = write!(
                h,
                "<p>Body (<code>{}</code>): {}</p>",
                esc(media),
                type_of(&m["schema"])
            );
            if !m["example"].is_null() {
                let pretty = serde_json::to_string_pretty(&m["example"]).unwrap_or_default();
                let _ = write!(h, "<pre>{}</pre>", esc(&pretty));
            }
        }
    }
    h.push_str(
        "<table><caption>Responses</caption><tr><th>Status</th><th>Body</th><th>About</th></tr>",
    );
    for (status, r) in op["responses"].as_object().into_iter().flatten() {
        let (body, about) = match r["$ref"].as_str() {
            Some(r) => (
                "<a href=\"#schema-ErrorBody\">ErrorBody</a>".to_string(),
                r.rsplit('/').next().unwrap_or_default().to_string(),
            ),
            None => {
                let bodies: Vec<String> = r["content"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(media, m)| {
                        format!("<code>{}</code> {}", esc(media), type_of(&m["schema"]))
                    })
                    .collect();
                (bodies.join("<br>"), text(&r["description"]).to_string())
            }
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{body}</td><td>{}</td></tr>",
            esc(status),
            esc(&about)
        );
    }
    h.push_str("</table>");
}

fn describe_schema(h: &mut String, s: &Value) {
    if let Some(d) = s["description"].as_str() {
        let _ = write!(h, "<p>{}</p>", esc(d));
    }
    if let Some(props) = s["properties"].as_object() {
        let required: Vec<&str> = s["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        h.push_str("<table><tr><th>Field</th><th>Type</th><th>Required</th><th>About</th></tr>");
        for (name, p) in props {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(name),
                type_of(p),
                if required.contains(&name.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                esc(text(&p["description"])),
            );
        }
        h.push_str("</table>");
    } else if let Some(variants) = s["oneOf"].as_array() {
        h.push_str("<p>One of:</p><ul>");
        for v in variants {
            let _ = write!(h, "<li>{}", type_of(v));
            if v["properties"].is_object() {
                describe_schema(h, v);
            }
            h.push_str("</li>");
        }
        h.push_str("</ul>");
    } else {
        let _ = write!(h, "<p>{}</p>", type_of(s));
    }
}

/// A schema in a few words, with links to the named ones.
fn type_of(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        let name = esc(r.rsplit('/').next().unwrap_or_default());
        return format!("<a href=\"#schema-{name}\">{name}</a>");
    }
    if let Some(values) = s["enum"].as_array() {
        let v: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        return format!("one of {}", v.join(", "));
    }
    for (key, sep) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(list) = s[key].as_array() {
            return list.iter().map(type_of).collect::<Vec<_>>().join(sep);
        }
    }
    let kinds: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => {
            return if s["properties"].is_object() {
                "object".into()
            } else {
                "any".into()
            };
        }
    };
    kinds
        .iter()
        .map(|k| match *k {
            "array" => format!("array of {}", type_of(&s["items"])),
            "object" if s["additionalProperties"].is_object() => {
                format!("map of {}", type_of(&s["additionalProperties"]))
            }
            k => match s["format"].as_str() {
                Some(f) => format!("{k} ({})", esc(f)),
                None => k.to_string(),
            },
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}
