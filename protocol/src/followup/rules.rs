//! The rules of follow-up specs: paths into JSON answers, `{{placeholders}}`, and the
//! checks a spec passes before it is stored.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    FollowUpSpec, HttpMethod, IntegrationCall, MAX_ACTIONS, MAX_ATTEMPTS, MAX_ATTRIBUTES,
    MAX_CALLS, MAX_MESSAGE, MAX_MINUTES, MAX_NAME, MIN_ATTEMPTS, MIN_MINUTES, RECORD_TYPE_JSON,
};

/// A problem with a spec: the field (`calls[0].url`) and what is wrong.
pub type Problem = (String, String);

fn problem(field: impl Into<String>, why: impl Into<String>) -> Problem {
    (field.into(), why.into())
}

/// A path, as a JSON Pointer (RFC 6901) that `serde_json::Value::pointer` reads. Two
/// notations are accepted: a JSON Pointer itself (`""`, `/tickets/0/id`, with `~0`/`~1`
/// escapes) or a small JSONPath subset — `$`, then `.name`, `['name']` or `[index]`
/// steps (no wildcards, filters or recursion).
pub fn parse_path(path: &str) -> Result<String, String> {
    let p = path.trim();
    if p.is_empty() || p.starts_with('/') {
        let mut chars = p.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                return Err(format!(
                    "`{p}`: `~` must be followed by 0 or 1 in a JSON Pointer"
                ));
            }
        }
        return Ok(p.to_owned());
    }
    let Some(mut rest) = p.strip_prefix('$') else {
        return Err(format!(
            "`{p}` is neither a JSON Pointer (`/a/0/b`) nor a JSONPath (`$.a[0].b`)"
        ));
    };
    let mut out = String::new();
    let step = |out: &mut String, token: &str| {
        out.push('/');
        out.push_str(&token.replace('~', "~0").replace('/', "~1"));
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || name == "*" || name.starts_with('.') {
                return Err(format!("`{p}`: a `.` must be followed by a name"));
            }
            step(&mut out, name);
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r
                .find(']')
                .ok_or_else(|| format!("`{p}`: a `[` is not closed"))?;
            let inner = r[..end].trim();
            let quoted = inner
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
            match quoted {
                Some(name) => step(&mut out, name),
                None if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) => {
                    step(&mut out, inner)
                }
                None => {
                    return Err(format!(
                        "`{p}`: `[{inner}]` is not an index or a quoted name (wildcards and filters are not supported)"
                    ));
                }
            }
            rest = &r[end + 1..];
        } else {
            return Err(format!("`{p}`: expected `.name` or `[…]` at `{rest}`"));
        }
    }
    Ok(out)
}

/// A JSON value as text: strings as they are, numbers and booleans written out, null
/// as nothing, objects and arrays as compact JSON. Without NUL characters: an external
/// system may send them, no text means anything by them, and PostgreSQL's text cannot
/// hold them (one such record failed a whole poll there).
pub fn value_text(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        other => other.to_string(),
    };
    without_nul(text)
}

fn without_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s
    }
}

/// The `{{name}}` placeholders of `template`, in order (names trimmed). An unclosed
/// `{{` or an empty name is an error.
pub fn placeholders(template: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "a `{{` is not closed by `}}`".to_string())?;
        let name = after[..end].trim();
        if name.is_empty() {
            return Err("a placeholder `{{}}` has no name".into());
        }
        out.push(name.to_owned());
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// Fill `{{name}}` placeholders from `values` (a name without a value: nothing).
/// Call on a template [`placeholders`] accepted; an unclosed `{{` is kept as text.
pub fn render(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push_str(&rest[..start]);
        if let Some(v) = values.get(after[..end].trim()) {
            out.push_str(v);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    without_nul(out)
}

fn check_minutes(field: &str, v: u32) -> Result<(), Problem> {
    if (MIN_MINUTES..=MAX_MINUTES).contains(&v) {
        Ok(())
    } else {
        Err(problem(
            field,
            format!("{v} minutes is outside {MIN_MINUTES} to {MAX_MINUTES} (5 days)"),
        ))
    }
}

fn check_url(field: &str, url: &str) -> Result<(), Problem> {
    let u = url.trim();
    let scheme_ok = u.starts_with("https://") || u.starts_with("http://");
    let host = u.split_once("://").map(|(_, r)| r).unwrap_or("");
    if !scheme_ok || host.is_empty() || host.starts_with('/') || u.chars().any(char::is_whitespace)
    {
        return Err(problem(field, format!("`{u}` is not an http(s) URL")));
    }
    Ok(())
}

/// One HTTP call's name, URL, headers and body (`prefix`: `calls[0]`, `actions[1]`);
/// `placeholder` says whether a `{{…}}` it holds may be used there.
fn check_call(
    prefix: &str,
    c: &IntegrationCall,
    placeholder: &dyn Fn(&str) -> Result<(), String>,
) -> Result<(), Problem> {
    let f = |s: &str| format!("{prefix}.{s}");
    let cname = c.name.trim();
    if cname.is_empty()
        || !cname
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        return Err(problem(f("name"), "letters, digits, `_` or `-`"));
    }
    check_url(&f("url"), &c.url)?;
    if c.body.is_some() && c.method == HttpMethod::Get {
        return Err(problem(f("body"), "a GET call has no body"));
    }
    let mut texts: Vec<(String, &str)> = vec![(f("url"), c.url.as_str())];
    for (h, header) in c.headers.iter().enumerate() {
        let field = f(&format!("headers[{h}].value"));
        let hn = header.name.trim();
        if hn.is_empty()
            || !hn
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(problem(
                f(&format!("headers[{h}].name")),
                "not a header name",
            ));
        }
        match &header.value {
            Some(v) if v.contains(['\r', '\n']) => {
                return Err(problem(field, "a header value is one line"));
            }
            Some(v) => texts.push((field, v)),
            None if !header.secret => return Err(problem(field, "a value is required")),
            None => {}
        }
    }
    let body = c.body.as_ref().map(Value::to_string).unwrap_or_default();
    texts.push((f("body"), &body));
    for (field, text) in texts {
        for ph in placeholders(text).map_err(|e| problem(&field, e))? {
            placeholder(&ph).map_err(|e| problem(&field, e))?;
        }
    }
    Ok(())
}

impl FollowUpSpec {
    /// Attribute names and placeholders the message may use.
    fn names(&self) -> Vec<&str> {
        self.attributes.iter().map(|a| a.name.as_str()).collect()
    }

    /// The first problem, naming its field; `Ok` when the spec can be stored. Secret
    /// values may be missing here (kept from the stored version, or to be entered).
    pub fn check(&self) -> Result<(), Problem> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(problem("name", format!("1 to {MAX_NAME} characters")));
        }
        if name.chars().any(char::is_control) {
            return Err(problem("name", "one line, without control characters"));
        }
        check_minutes("poll_minutes", self.poll_minutes)?;
        check_minutes("notify_minutes", self.notify_minutes)?;
        if !(MIN_ATTEMPTS..=MAX_ATTEMPTS).contains(&self.attempts) {
            return Err(problem(
                "attempts",
                format!(
                    "{} attempts is outside {MIN_ATTEMPTS} to {MAX_ATTEMPTS}",
                    self.attempts
                ),
            ));
        }
        if self.record_type != RECORD_TYPE_JSON {
            return Err(problem(
                "record_type",
                format!("only `{RECORD_TYPE_JSON}` records are supported"),
            ));
        }
        if self.calls.is_empty() || self.calls.len() > MAX_CALLS {
            return Err(problem(
                "calls",
                format!("1 to {MAX_CALLS} integration calls"),
            ));
        }
        let mut earlier: Vec<&str> = Vec::new();
        for (i, c) in self.calls.iter().enumerate() {
            let cname = c.name.trim();
            if earlier.contains(&cname) {
                return Err(problem(
                    format!("calls[{i}].name"),
                    format!("`{cname}` is used twice"),
                ));
            }
            // A call reads `{{call./pointer}}` of the calls before it.
            check_call(&format!("calls[{i}]"), c, &|ph: &str| {
                let (from, path) = ph.split_once('.').unwrap_or((ph, ""));
                if !earlier.contains(&from) {
                    return Err(format!("`{{{{{ph}}}}}` does not name an earlier call"));
                }
                parse_path(path).map(|_| ())
            })?;
            earlier.push(cname);
        }
        parse_path(&self.looping).map_err(|e| problem("looping", e))?;
        parse_path(&self.record_id).map_err(|e| problem("record_id", e))?;
        if self.record_id.trim().is_empty() {
            return Err(problem(
                "record_id",
                "a path to the record's id is required",
            ));
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return Err(problem(
                "attributes",
                format!("at most {MAX_ATTRIBUTES} attributes"),
            ));
        }
        for (i, a) in self.attributes.iter().enumerate() {
            let n = a.name.trim();
            if n.is_empty() || n.contains(['{', '}']) || n != a.name {
                return Err(problem(
                    format!("attributes[{i}].name"),
                    "a name without braces or surrounding spaces",
                ));
            }
            if self.attributes[..i].iter().any(|b| b.name == a.name) {
                return Err(problem(
                    format!("attributes[{i}].name"),
                    format!("`{n}` is set twice"),
                ));
            }
            parse_path(&a.path).map_err(|e| problem(format!("attributes[{i}].path"), e))?;
        }
        let names = self.names();
        // Actions and the recipients' call read the record's attributes.
        let attribute = |ph: &str| {
            if names.contains(&ph) {
                Ok(())
            } else {
                Err(format!("`{{{{{ph}}}}}` is not one of the attributes set"))
            }
        };
        if self.actions.len() > MAX_ACTIONS {
            return Err(problem("actions", format!("at most {MAX_ACTIONS} actions")));
        }
        for (i, a) in self.actions.iter().enumerate() {
            if self.actions[..i]
                .iter()
                .any(|b| b.name.trim() == a.name.trim())
            {
                return Err(problem(
                    format!("actions[{i}].name"),
                    format!("`{}` is used twice", a.name.trim()),
                ));
            }
            check_call(&format!("actions[{i}]"), a, &attribute)?;
        }
        let known = |field: &str, attr: &Option<String>| match attr {
            Some(a) if !names.contains(&a.as_str()) => Err(problem(
                field,
                format!("`{a}` is not one of the attributes set"),
            )),
            _ => Ok(()),
        };
        let r = &self.recipients;
        if r.user.is_none() && r.team.is_none() && r.lookup.is_none() {
            return Err(problem(
                "recipients",
                "a user or a group attribute, or a call that finds them, is required",
            ));
        }
        known("recipients.user", &r.user)?;
        known("recipients.team", &r.team)?;
        if let Some(lookup) = &r.lookup {
            check_call("recipients.lookup.call", &lookup.call, &attribute)?;
            if lookup.user.is_none() && lookup.team.is_none() {
                return Err(problem(
                    "recipients.lookup",
                    "a path to a user or a group in the call's answer is required",
                ));
            }
            for (field, path) in [
                ("recipients.lookup.user", &lookup.user),
                ("recipients.lookup.team", &lookup.team),
            ] {
                if let Some(p) = path {
                    parse_path(p).map_err(|e| problem(field, e))?;
                }
            }
        }
        if let Some(link) = &self.contact {
            if link.external_id.is_none() && link.phone.is_none() && link.email.is_none() {
                return Err(problem(
                    "contact",
                    "an external id, phone or e-mail attribute",
                ));
            }
            known("contact.external_id", &link.external_id)?;
            known("contact.phone", &link.phone)?;
            known("contact.email", &link.email)?;
        }
        let text = self.message.text.trim();
        if text.is_empty() || self.message.text.chars().count() > MAX_MESSAGE {
            return Err(problem(
                "message.text",
                format!("1 to {MAX_MESSAGE} characters"),
            ));
        }
        let mut templates = vec![("message.text".to_string(), self.message.text.as_str())];
        if let Some(card) = &self.message.card {
            if card.title.trim().is_empty() {
                return Err(problem("message.card.title", "a card needs a title"));
            }
            templates.push(("message.card.title".into(), &card.title));
            templates.push(("message.card.text".into(), &card.text));
            if let Some(img) = &card.image_url {
                check_url("message.card.image_url", img)?;
            }
            for (b, button) in card.buttons.iter().enumerate() {
                let field = |f: &str| format!("message.card.buttons[{b}].{f}");
                if button.label.trim().is_empty() {
                    return Err(problem(field("label"), "a label is required"));
                }
                match &button.action {
                    Some(_) if !button.url.is_empty() => {
                        return Err(problem(
                            field("action"),
                            "a button opens a URL or calls an action, not both",
                        ));
                    }
                    Some(a) if !self.actions.iter().any(|x| x.name.trim() == a.trim()) => {
                        return Err(problem(
                            field("action"),
                            format!("`{a}` is not one of the actions"),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        check_url(&field("url"), &button.url)?;
                        templates.push((field("url"), &button.url));
                    }
                }
            }
        }
        for (field, t) in templates {
            for ph in placeholders(t).map_err(|e| problem(&field, e))? {
                if !names.contains(&ph.as_str()) {
                    return Err(problem(
                        &field,
                        format!("`{{{{{ph}}}}}` is not one of the attributes set"),
                    ));
                }
            }
        }
        if let Some(url) = &self.webhook_url {
            check_url("webhook_url", url)?;
        }
        Ok(())
    }

    /// The values of one record: each attribute's text (missing: not there).
    pub fn record_values(&self, record: &Value) -> BTreeMap<String, String> {
        self.attributes
            .iter()
            .filter_map(|a| {
                let p = parse_path(&a.path).ok()?;
                record.pointer(&p).map(|v| (a.name.clone(), value_text(v)))
            })
            .collect()
    }

    /// The record's reconciliation id, if it has a usable one (a string or a number).
    pub fn record_key(&self, record: &Value) -> Option<String> {
        let p = parse_path(&self.record_id).ok()?;
        match record.pointer(&p)? {
            Value::String(s) => {
                let key = without_nul(s.clone()).trim().to_owned();
                (!key.is_empty()).then_some(key)
            }
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}
