//! uContact's Events API as the desktop reads it: `{event, data}` messages
//! (`assignedInteraction`, `finishedInteraction`, `sentDisposition`, `changedTheme`,
//! `changedLanguage`). uContact documents only part of each payload, so every reader
//! here takes the shapes seen in the field (flat or nested, strings or numbers, any case)
//! and ignores what it does not know.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bridge::{CallDisposition, lenient_string};

/// `assignedInteraction`'s data (uContact Events API); unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AssignedInteraction {
    #[serde(default, deserialize_with = "lenient_string")]
    pub guid: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub campaign: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub channel: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub client_id: String,
    /// Everything else the event carries (the customer's number under one of several
    /// names, dialer data); kept for the screen pop and the CRM URL.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Where an `assignedInteraction` may carry the customer's number, most specific first.
const PHONE_KEYS: [&str; 7] = [
    "phone",
    "callerid",
    "callerId",
    "callerIdNum",
    "clientPhone",
    "destination",
    "number",
];

impl AssignedInteraction {
    /// An extra field as text: strings trimmed, whole numbers written out; anything else
    /// (objects, lists, `null`, `true`) is not text.
    fn text(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            _ => None,
        }
    }

    /// The customer's number, when the event has one.
    pub fn phone(&self) -> Option<String> {
        PHONE_KEYS
            .iter()
            .find_map(|k| self.extra.get(*k).and_then(Self::text))
    }

    /// What the server needs for the screen pop.
    pub fn screen_pop(&self) -> crate::ScreenPop {
        crate::ScreenPop {
            guid: self.guid.trim().to_string(),
            campaign: self.campaign.trim().to_string(),
            channel: self.channel.trim().to_string(),
            client_id: self.client_id.trim().to_string(),
            phone: self.phone().unwrap_or_default(),
            data: self
                .extra
                .iter()
                .filter(|(k, _)| k.len() <= 64)
                .filter_map(|(k, v)| Some((k.clone(), Self::text(v)?)))
                .take(32)
                .collect(),
        }
    }
}

/// `finishedInteraction`'s and `sentDisposition`'s data: the interaction's guid, and for
/// a disposition its levels (flat, or under `disposition`), in uContact's names.
pub fn event_guid(data: &serde_json::Value) -> Option<String> {
    let d = data.get("disposition").unwrap_or(data);
    [d.get("guid"), data.get("guid")]
        .into_iter()
        .flatten()
        .find_map(AssignedInteraction::text)
}

/// The disposition a `sentDisposition` event reports, as a DISPOSITION_CALL would carry
/// it; `None` without a guid and an `l1`.
pub fn sent_disposition(data: &serde_json::Value) -> Option<CallDisposition> {
    let d = data
        .get("disposition")
        .filter(|d| d.is_object())
        .unwrap_or(data);
    let mut d: CallDisposition = serde_json::from_value(d.clone()).ok()?;
    if d.guid.trim().is_empty() {
        d.guid = event_guid(data)?;
    }
    (!d.l1.trim().is_empty()).then_some(d)
}

/// The theme a `changedTheme` event names: `{theme: 'dark'}`, `{mode: …}`, `{dark: true}`
/// or the bare string, in any case. `None` for anything else.
pub fn changed_theme(data: &serde_json::Value) -> Option<Theme> {
    let text = match data {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(dark) => {
            return Some(if *dark { Theme::Dark } else { Theme::Light });
        }
        serde_json::Value::Object(m) => {
            if let Some(dark) = m.get("dark").and_then(|v| v.as_bool()) {
                return Some(if dark { Theme::Dark } else { Theme::Light });
            }
            ["theme", "mode", "name"]
                .iter()
                .find_map(|k| m.get(*k).and_then(|v| v.as_str()))?
                .to_string()
        }
        _ => return None,
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "dark" | "oscuro" | "night" => Some(Theme::Dark),
        "light" | "claro" | "day" | "default" => Some(Theme::Light),
        _ => None,
    }
}

/// The desktop's colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
}

/// uContact's Events API messages the desktop understands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", content = "data", rename_all = "camelCase")]
pub enum UcEvent {
    AssignedInteraction(AssignedInteraction),
    FinishedInteraction(#[serde(default)] serde_json::Value),
    SentDisposition(#[serde(default)] serde_json::Value),
    ChangedTheme(#[serde(default)] serde_json::Value),
    ChangedLanguage(#[serde(default)] serde_json::Value),
}

/// The language a `changedLanguage` event names, in any of the shapes uContact sends:
/// `{language: 'en'}`, `{lang: 'en'}`, `{locale: …}`, the bare string `'en'`, with a region
/// (`es-UY`, `en_US`) and in any case. `None` for a language the desktop does not speak.
pub fn changed_language(data: &serde_json::Value) -> Option<crate::Locale> {
    let text = match data {
        serde_json::Value::String(s) => s.as_str(),
        serde_json::Value::Object(m) => ["language", "lang", "locale"]
            .iter()
            .find_map(|k| m.get(*k).and_then(|v| v.as_str()))?,
        _ => return None,
    };
    let primary = text.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    primary.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn assigned(v: serde_json::Value) -> AssignedInteraction {
        serde_json::from_value(v).expect("assignedInteraction")
    }

    #[test]
    fn the_number_is_found_under_any_of_its_names_and_dialer_data_is_kept() {
        let a = assigned(
            json!({"guid": "g1", "campaign": "Soporte<-", "channel": "telephony",
            "clientId": 4711, "callerIdNum": 59899111222u64, "producto": "Fibra", "nested": {"x": 1}}),
        );
        assert_eq!(a.client_id, "4711");
        assert_eq!(a.phone().as_deref(), Some("59899111222"));
        let pop = a.screen_pop();
        assert_eq!(pop.phone, "59899111222");
        assert_eq!(pop.data.get("producto").map(String::as_str), Some("Fibra"));
        assert!(!pop.data.contains_key("nested"), "objects are not text");
        // `phone` wins over the others; blanks are no number at all.
        let a = assigned(json!({"phone": " +59899000111 ", "destination": "123"}));
        assert_eq!(a.phone().as_deref(), Some("+59899000111"));
        let a = assigned(json!({"guid": "g", "phone": "  ", "callerid": null}));
        assert_eq!(a.phone(), None);
    }

    #[test]
    fn sent_dispositions_are_read_flat_or_nested() {
        let flat = sent_disposition(&json!({"guid": "g1", "campaign": "Ventas->", "l1": "Venta",
            "l2": "Plan anual", "l3": "Tarjeta"}))
        .expect("flat");
        assert_eq!((flat.guid.as_str(), flat.l3.as_str()), ("g1", "Tarjeta"));
        let nested = sent_disposition(
            &json!({"guid": "g2", "disposition": {"campaign": "Ventas->", "l1": "No interesado"}}),
        )
        .expect("nested");
        assert_eq!(
            (nested.guid.as_str(), nested.l1.as_str()),
            ("g2", "No interesado")
        );
        assert_eq!(
            sent_disposition(&json!({"guid": "g3", "campaign": "x"})),
            None,
            "no l1"
        );
        assert_eq!(
            sent_disposition(&json!({"l1": "Venta", "campaign": "x"})),
            None,
            "no guid"
        );
        assert_eq!(sent_disposition(&json!("Venta")), None);
        assert_eq!(event_guid(&json!({"guid": 42})).as_deref(), Some("42"));
    }

    #[test]
    fn themes_are_read_in_every_shape() {
        for (v, t) in [
            (json!("dark"), Some(Theme::Dark)),
            (json!({"theme": "DARK"}), Some(Theme::Dark)),
            (json!({"mode": "light"}), Some(Theme::Light)),
            (json!({"dark": false}), Some(Theme::Light)),
            (json!(true), Some(Theme::Dark)),
            (json!({"theme": "solarized"}), None),
            (json!(7), None),
        ] {
            assert_eq!(changed_theme(&v), t, "{v}");
        }
    }
}
