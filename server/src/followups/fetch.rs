//! A follow-up's data extraction: its integration calls in order (a later one may use
//! values of an earlier one's answer), then the looping element of the last answer.
//! Every failure is a sentence for the admin's run history; none carries a secret.

use std::collections::BTreeMap;

use agentdesk_protocol::encode_component;
use agentdesk_protocol::followup::{
    FollowUpSpec, HttpMethod, IntegrationCall, parse_path, placeholders, render, value_text,
};
use serde_json::Value;

use crate::outbound::Outbound;

/// The answers so far, by call name.
type Answers = BTreeMap<String, Value>;

/// The values `template`'s `{{call./pointer}}` placeholders name, from `answers`; with
/// `url`, each URL-encoded.
fn values(template: &str, answers: &Answers, url: bool) -> BTreeMap<String, String> {
    placeholders(template)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|ph| {
            let (call, path) = ph.split_once('.').unwrap_or((ph.as_str(), ""));
            let pointer = parse_path(path).ok()?;
            let v = value_text(answers.get(call)?.pointer(&pointer)?);
            Some((ph.clone(), if url { encode_component(&v) } else { v }))
        })
        .collect()
}

/// Fill the placeholders of every string inside a JSON body.
fn fill_body(body: &Value, fill: &dyn Fn(&str, bool) -> BTreeMap<String, String>) -> Value {
    match body {
        Value::String(s) => Value::String(render(s, &fill(s, false))),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_body(v, fill)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_body(v, fill)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What a call's answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// JSON, read.
    Json,
    /// Any 2xx; the body is not read (an action: the system acted whatever it says).
    Status,
}

/// Make one call, its placeholders filled by `fill` (a template and whether it is a
/// URL, whose values are then URL-encoded), and read its answer.
pub async fn call(
    outbound: &Outbound,
    c: &IntegrationCall,
    fill: &(dyn Fn(&str, bool) -> BTreeMap<String, String> + Sync),
    limit: usize,
    expect: Expect,
) -> Result<Value, String> {
    let name = &c.name;
    let url_text = render(&c.url, &fill(&c.url, true));
    let url = url::Url::parse(url_text.trim())
        .map_err(|e| format!("call `{name}`: the URL is not valid ({e})"))?;
    let mut headers = Vec::with_capacity(c.headers.len());
    for h in &c.headers {
        let Some(v) = &h.value else {
            return Err(format!(
                "call `{name}`: the secret header `{}` has no value (enter it again)",
                h.name
            ));
        };
        headers.push((h.name.clone(), render(v, &fill(v, false))));
    }
    let method = match c.method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
    };
    let body = c.body.as_ref().map(|b| fill_body(b, fill));
    let answer = match expect {
        Expect::Json => {
            outbound
                .send_json(method, &url, &headers, body.as_ref(), limit)
                .await
        }
        // The status is the answer: the body is not read.
        Expect::Status => outbound
            .send_json_cut(method, &url, &headers, body.as_ref(), 0)
            .await
            .map(|(a, _)| a),
    }
    .map_err(|e| format!("call `{name}`: {e}"))?;
    if !(200..300).contains(&answer.status) {
        return Err(format!(
            "call `{name}`: the system answered HTTP {}",
            answer.status
        ));
    }
    if expect == Expect::Status {
        return Ok(Value::Null);
    }
    serde_json::from_str(&answer.body)
        .map_err(|e| format!("call `{name}`: the answer is not JSON ({e})"))
}

/// Make `c` with a record's values as its `{{attribute}}` placeholders (a card's
/// action, the recipients' call).
pub async fn call_with(
    outbound: &Outbound,
    c: &IntegrationCall,
    values: &BTreeMap<String, String>,
    limit: usize,
    expect: Expect,
) -> Result<Value, String> {
    let fill = |template: &str, url: bool| -> BTreeMap<String, String> {
        placeholders(template)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|ph| {
                let v = values.get(&ph)?;
                let v = if url { encode_component(v) } else { v.clone() };
                Some((ph, v))
            })
            .collect()
    };
    call(outbound, c, &fill, limit, expect).await
}

/// Run `spec`'s calls and return the records of the last answer's looping element.
pub async fn records(
    outbound: &Outbound,
    spec: &FollowUpSpec,
    limit: usize,
) -> Result<Vec<Value>, String> {
    let mut answers = Answers::new();
    let mut last = Value::Null;
    for c in &spec.calls {
        let fill = |t: &str, url: bool| values(t, &answers, url);
        last = call(outbound, c, &fill, limit, Expect::Json).await?;
        answers.insert(c.name.clone(), last.clone());
    }
    let pointer = parse_path(&spec.looping).map_err(|e| format!("looping element: {e}"))?;
    match last.pointer(&pointer) {
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => Err(format!(
            "the looping element `{}` is not an array of records",
            spec.looping
        )),
        None => Err(format!(
            "the answer has no looping element `{}`",
            spec.looping
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_calls_read_earlier_answers_encoded_in_urls_and_raw_in_bodies() {
        let mut answers = Answers::new();
        answers.insert("login".into(), json!({ "token": "a b&c", "n": 3 }));
        let url = "https://x.example/api?t={{login./token}}&n={{ login.$.n }}";
        assert_eq!(
            render(url, &values(url, &answers, true)),
            "https://x.example/api?t=a%20b%26c&n=3"
        );
        let body = json!({ "auth": "{{login./token}}", "list": ["{{login./n}}", 7] });
        assert_eq!(
            fill_body(&body, &|t, url| values(t, &answers, url)),
            json!({ "auth": "a b&c", "list": ["3", 7] })
        );
    }
}
