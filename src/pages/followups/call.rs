//! One HTTP call in the wizard — an integration call, a card's action or the
//! recipients' call: its fields as text (headers as `Name: value` lines, the body as
//! JSON), their conversions (pure, tested natively), and the fields that edit it.

use agentdesk_protocol::followup::{Header, HttpMethod, IntegrationCall, Problem};
use leptos::prelude::*;

use super::Draft;
use crate::i18n::{OfficeMsg, use_i18n};

#[derive(Debug, Clone, PartialEq)]
pub struct CallDraft {
    pub name: String,
    pub method: String,
    pub url: String,
    pub headers: String,
    /// The headers' values are secrets (write-only): left empty, the stored ones stay.
    pub secret: bool,
    pub body: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl CallDraft {
    pub fn new(name: &str) -> CallDraft {
        CallDraft {
            name: name.into(),
            method: "GET".into(),
            url: "https://".into(),
            headers: String::new(),
            secret: true,
            body: String::new(),
        }
    }

    /// A stored call (its secrets come back empty).
    pub fn from_call(c: &IntegrationCall) -> CallDraft {
        CallDraft {
            name: c.name.clone(),
            method: match c.method {
                HttpMethod::Post => "POST".into(),
                HttpMethod::Get => "GET".into(),
            },
            url: c.url.clone(),
            headers: c
                .headers
                .iter()
                .map(|h| format!("{}: {}", h.name, h.value.clone().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("\n"),
            secret: c.headers.iter().any(|h| h.secret),
            body: c
                .body
                .as_ref()
                .map(|b| serde_json::to_string_pretty(b).unwrap_or_default())
                .unwrap_or_default(),
        }
    }

    /// The call; problems are named under `prefix` (`calls[1]`, `actions[0]`).
    pub fn to_call(&self, prefix: &str) -> Result<IntegrationCall, Problem> {
        let headers = super::draft::pairs(
            &self.headers,
            ':',
            |i| format!("{prefix}.headers[{i}].name"),
            "write a header as `Name: value`",
        )?
        .into_iter()
        .map(|(name, value)| Header {
            name,
            // A secret left empty keeps the stored value.
            value: if self.secret {
                opt(&value)
            } else {
                Some(value)
            },
            secret: self.secret,
        })
        .collect();
        let body = match self.body.trim() {
            "" => None,
            b => Some(
                serde_json::from_str(b)
                    .map_err(|e| (format!("{prefix}.body"), format!("not JSON: {e}")))?,
            ),
        };
        Ok(IntegrationCall {
            name: self.name.trim().to_string(),
            method: if self.method == "POST" {
                HttpMethod::Post
            } else {
                HttpMethod::Get
            },
            url: self.url.trim().to_string(),
            headers,
            body,
        })
    }
}

/// Which call of the draft a set of fields edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Call(usize),
    Action(usize),
    Lookup,
}

impl Slot {
    /// The element id of one of its fields: the first call's are `fu-url` and the like.
    pub fn id(self, part: &str) -> String {
        match self {
            Slot::Call(0) => format!("fu-{part}"),
            Slot::Call(i) => format!("fu-{part}-{i}"),
            Slot::Action(i) => format!("fu-action-{i}-{part}"),
            Slot::Lookup => format!("fu-lookup-{part}"),
        }
    }
}

impl Draft {
    pub fn slot(&self, slot: Slot) -> Option<&CallDraft> {
        match slot {
            Slot::Call(i) => self.calls.get(i),
            Slot::Action(i) => self.actions.get(i),
            Slot::Lookup => self.lookup.as_ref(),
        }
    }

    pub fn slot_mut(&mut self, slot: Slot) -> Option<&mut CallDraft> {
        match slot {
            Slot::Call(i) => self.calls.get_mut(i),
            Slot::Action(i) => self.actions.get_mut(i),
            Slot::Lookup => self.lookup.as_mut(),
        }
    }
}

/// A text input bound to one field of one call.
fn text(
    draft: RwSignal<Draft>,
    slot: Slot,
    part: &'static str,
    get: fn(&CallDraft) -> &String,
    set: fn(&mut CallDraft, String),
) -> impl IntoView {
    let read = move || draft.with(|d| d.slot(slot).map(|c| get(c).clone()).unwrap_or_default());
    view! {
        <input id=slot.id(part) class="input" prop:value=read
            on:input=move |ev| draft.update(|d| if let Some(c) = d.slot_mut(slot) { set(c, event_target_value(&ev)) }) />
    }
}

fn lines(
    draft: RwSignal<Draft>,
    slot: Slot,
    part: &'static str,
    get: fn(&CallDraft) -> &String,
    set: fn(&mut CallDraft, String),
) -> impl IntoView {
    let read = move || draft.with(|d| d.slot(slot).map(|c| get(c).clone()).unwrap_or_default());
    view! {
        <textarea id=slot.id(part) class="input mono" rows=2 prop:value=read
            on:input=move |ev| draft.update(|d| if let Some(c) = d.slot_mut(slot) { set(c, event_target_value(&ev)) })></textarea>
    }
}

/// The fields of one call: name, method and URL, headers (secret or not), JSON body.
#[component]
pub fn CallFields(draft: RwSignal<Draft>, which: Slot) -> impl IntoView {
    // (`slot` would be Leptos's slot attribute.)
    let slot = which;
    let i18n = use_i18n();
    let secret = move || draft.with(|d| d.slot(slot).is_some_and(|c| c.secret));
    view! {
        <div class="call-fields">
            <label for=slot.id("call-name")>{move || i18n.t(OfficeMsg::CallName)}</label>
            {text(draft, slot, "call-name", |c| &c.name, |c, v| c.name = v)}
            <label for=slot.id("url")>{move || i18n.t(OfficeMsg::CallUrl)}</label>
            <div class="row">
                <select id=slot.id("method") prop:value=move || draft.with(|d| d.slot(slot).map(|c| c.method.clone()).unwrap_or_default())
                    on:change=move |ev| draft.update(|d| if let Some(c) = d.slot_mut(slot) { c.method = event_target_value(&ev) })>
                    <option value="GET">"GET"</option>
                    <option value="POST">"POST"</option>
                </select>
                {text(draft, slot, "url", |c| &c.url, |c, v| c.url = v)}
            </div>
            <label for=slot.id("headers")>{move || i18n.t(OfficeMsg::CallHeaders)}</label>
            {lines(draft, slot, "headers", |c| &c.headers, |c, v| c.headers = v)}
            <label class="check"><input type="checkbox" id=slot.id("secret") prop:checked=secret
                on:change=move |ev| draft.update(|d| if let Some(c) = d.slot_mut(slot) { c.secret = event_target_checked(&ev) }) />
                {move || i18n.t(OfficeMsg::HeadersSecret)}</label>
            <label for=slot.id("body")>{move || i18n.t(OfficeMsg::CallBody)}</label>
            {lines(draft, slot, "body", |c| &c.body, |c, v| c.body = v)}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_comes_back_as_written_and_its_secret_stays_unshown() {
        let draft = CallDraft {
            name: "approve".into(),
            method: "POST".into(),
            url: "https://itsm.example.com/api/tickets/{{number}}/approve".into(),
            headers: "Authorization: Bearer x\n\nX-Source: desk".into(),
            secret: true,
            body: r#"{ "by": "{{approver}}" }"#.into(),
        };
        let call = draft.to_call("actions[0]").expect("valid");
        assert_eq!(call.method, HttpMethod::Post);
        assert_eq!(call.headers.len(), 2, "blank lines are skipped");
        assert!(call.headers.iter().all(|h| h.secret));
        let mut shown = call.clone();
        shown.headers[0].value = None;
        let back = CallDraft::from_call(&shown);
        assert_eq!(back.headers.lines().next(), Some("Authorization: "));
        assert_eq!(back.to_call("actions[0]").unwrap().headers[0].value, None);
        assert_eq!(back.to_call("actions[0]").unwrap().body, call.body);
    }

    #[test]
    fn bad_lines_and_bodies_name_their_call() {
        let mut d = CallDraft::new("owner");
        d.headers = "no colon here".into();
        assert_eq!(
            d.to_call("recipients.lookup.call").unwrap_err().0,
            "recipients.lookup.call.headers[0].name"
        );
        d.headers.clear();
        d.body = "{nope".into();
        assert_eq!(d.to_call("calls[2]").unwrap_err().0, "calls[2].body");
    }

    #[test]
    fn the_first_call_keeps_the_short_ids() {
        assert_eq!(Slot::Call(0).id("url"), "fu-url");
        assert_eq!(Slot::Call(2).id("url"), "fu-url-2");
        assert_eq!(Slot::Action(1).id("url"), "fu-action-1-url");
        assert_eq!(Slot::Lookup.id("url"), "fu-lookup-url");
    }
}
