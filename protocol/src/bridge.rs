//! The postMessage protocol between the CRM iframe, the desktop and uContact.
//!
//! uContact's four actions keep exactly the shapes of its integration guide:
//!
//! ```text
//! { action: 'MAKE_CALL', call: { destination, campaign, did, guid } }
//! { action: 'HANG_UP' }
//! { action: 'DISPOSITION_CALL', disposition: { campaign, callerid, guid, l1, l2, l3, d1, d2, comment } }
//! { action: 'CLOSE_TAB' }
//! ```
//!
//! A message may arrive as a structured-clone object or as a JSON string; `l2, l3, d1,
//! d2, comment` (and `did`, `guid`) may be empty or absent; phone numbers may come as
//! numbers. Serialising an action gives back exactly the guide's shape, so the desktop
//! relays to uContact what a CRM built for uContact would have sent.
//!
//! Beyond that, a request may carry an `id`; the desktop then answers
//! `{action:'RESULT', replyTo:id, result}` or `{action:'ERROR', replyTo:id, error}`, and it
//! tells the CRM about interactions with `{event, data}` messages ([`CrmEvent`]). A CRM that
//! knows only the four actions works unchanged. uContact's own Events API messages
//! (`{event, data}`: `assignedInteraction`, `finishedInteraction`, `sentDisposition`,
//! `changedTheme`, `changedLanguage`) are understood when uContact sends them.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

pub use crate::uc_events::*;

/// A string that may have been sent as a JSON number (`destination: 11111111`).
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(untagged)]
    enum S {
        Str(String),
        Int(i64),
        UInt(u64),
        Float(f64),
        Null(()),
    }
    Ok(match S::deserialize(d)? {
        S::Str(s) => s,
        S::Int(n) => n.to_string(),
        S::UInt(n) => n.to_string(),
        S::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        S::Float(_) => {
            return Err(de::Error::custom(
                "a number with a fraction is not a phone or id",
            ));
        }
        S::Null(()) => String::new(),
    })
}

/// `MAKE_CALL`'s `call`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallRequest {
    #[serde(deserialize_with = "lenient_string")]
    pub destination: String,
    /// Kept verbatim, including uContact's direction suffix (`TestCampaign->`).
    #[serde(deserialize_with = "lenient_string")]
    pub campaign: String,
    /// The number the call is made from.
    #[serde(default, deserialize_with = "lenient_string")]
    pub did: String,
    /// The call's id, when the CRM has one.
    #[serde(default, deserialize_with = "lenient_string")]
    pub guid: String,
}

/// `DISPOSITION_CALL`'s `disposition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallDisposition {
    #[serde(deserialize_with = "lenient_string")]
    pub campaign: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub callerid: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub guid: String,
    #[serde(deserialize_with = "lenient_string")]
    pub l1: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub l2: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub l3: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub d1: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub d2: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub comment: String,
}

/// uContact's four actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action")]
pub enum UcAction {
    #[serde(rename = "MAKE_CALL")]
    MakeCall { call: CallRequest },
    #[serde(rename = "HANG_UP")]
    HangUp,
    #[serde(rename = "DISPOSITION_CALL")]
    DispositionCall { disposition: CallDisposition },
    #[serde(rename = "CLOSE_TAB")]
    CloseTab,
}

impl UcAction {
    pub fn name(&self) -> &'static str {
        match self {
            UcAction::MakeCall { .. } => "MAKE_CALL",
            UcAction::HangUp => "HANG_UP",
            UcAction::DispositionCall { .. } => "DISPOSITION_CALL",
            UcAction::CloseTab => "CLOSE_TAB",
        }
    }
}

/// An action with the desktop's optional request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmRequest {
    /// When present, the desktop answers with a [`CrmReply`] carrying it.
    pub id: Option<String>,
    pub action: UcAction,
}

/// Anything the desktop accepts through postMessage.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Request(CrmRequest),
    Event(UcEvent),
}

/// Why a message was dropped (logged, and answered when it had an id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The request id, when one could be read, so that the error can be answered.
    pub id: Option<String>,
    pub message: String,
    /// The message carried an `action`: it was meant for the desktop, so the CRM gets an
    /// ERROR and the agent a notice. Anything else (iframe-resizer strings, analytics
    /// pings, other libraries' objects) is only logged to the console.
    pub action: bool,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Largest message the desktop reads; anything bigger is not a uContact action.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

fn request_id(v: &serde_json::Value) -> Option<String> {
    match v.get("id")? {
        serde_json::Value::String(s) if s.len() <= 128 => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parse a message given as JSON text (a structured-clone object serialised, or the
/// string a CRM posted). A JSON string holding JSON is unwrapped once. Never panics.
pub fn parse_inbound(json: &str) -> Result<Inbound, ParseError> {
    let err = |id: Option<String>, m: String| ParseError {
        id,
        message: m,
        action: false,
    };
    if json.len() > MAX_MESSAGE_BYTES {
        return Err(err(None, "message too large".into()));
    }
    let mut value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| err(None, format!("not JSON: {e}")))?;
    if let serde_json::Value::String(inner) = &value {
        if inner.len() > MAX_MESSAGE_BYTES {
            return Err(err(None, "message too large".into()));
        }
        value = serde_json::from_str(inner)
            .map_err(|e| err(None, format!("a string that is not JSON: {e}")))?;
    }
    if !value.is_object() {
        return Err(err(None, "not an object".into()));
    }
    let id = request_id(&value);
    if value.get("action").is_some() {
        let action: UcAction = serde_json::from_value(value).map_err(|e| ParseError {
            action: true,
            ..err(id.clone(), format!("invalid action: {e}"))
        })?;
        return Ok(Inbound::Request(CrmRequest { id, action }));
    }
    if value.get("event").is_some() {
        let event: UcEvent = serde_json::from_value(value)
            .map_err(|e| err(id.clone(), format!("invalid event: {e}")))?;
        return Ok(Inbound::Event(event));
    }
    Err(err(id, "neither an action nor an event".into()))
}

/// The desktop's answer to a request that carried an `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action")]
pub enum CrmReply {
    #[serde(rename = "RESULT")]
    Result {
        #[serde(rename = "replyTo")]
        reply_to: String,
        result: serde_json::Value,
    },
    #[serde(rename = "ERROR")]
    Error {
        #[serde(rename = "replyTo")]
        reply_to: Option<String>,
        error: BridgeError,
    },
}

/// An error told to the CRM (and shown to the agent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BridgeError {
    /// `malformed`, `no_active_call`, `unknown_disposition`, `unknown_campaign`,
    /// `call_in_progress`, `duplicate_call`, `disposition_required`, `no_tab`,
    /// `server_error`.
    pub code: String,
    pub message: String,
}

/// The agent's status, relayed to uContact when the desktop runs inside it:
/// `{action: "AGENT_STATUS", status, isBreak, motive}`. `motive` is uContact's break reason
/// (`BATHROOM`, `LUNCH`, `TRAINING`, `PERSONAL`, `OTHER`) for a break, else absent.
/// uContact's bare protocol has no such message; a parent that does not know it ignores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename = "AGENT_STATUS", rename_all = "camelCase")]
pub struct AgentStatusRelay {
    pub status: String,
    pub is_break: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motive: Option<crate::UcBreak>,
}

impl AgentStatusRelay {
    /// The relay for `status`: the break reason its definition in `defs` sets (an admin's
    /// choice), the built-in one while the definitions are not known.
    pub fn new(status: &str, defs: &[crate::StatusDef]) -> Self {
        // System values never carry a reason (the store refuses to set one).
        let motive = match defs.iter().find(|d| d.value == status) {
            Some(d) => d.motive(),
            None => crate::UcBreak::for_status(status),
        };
        AgentStatusRelay {
            status: status.to_owned(),
            is_break: motive.is_some(),
            motive,
        }
    }
}

/// Events the desktop sends the CRM (`{event, data}`), for CRMs that want them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", content = "data", rename_all = "camelCase")]
pub enum CrmEvent {
    InteractionAssigned {
        guid: String,
        phone: String,
        campaign: String,
        contact_id: i64,
    },
    CallConnected {
        guid: String,
        destination: String,
        campaign: String,
    },
    CallEnded {
        guid: String,
        duration_secs: u32,
    },
    DispositionSaved {
        guid: String,
        l1: String,
        l2: String,
        l3: String,
    },
    AgentStatusChanged {
        status: String,
    },
}

#[cfg(test)]
mod relay_tests {
    use super::AgentStatusRelay;

    #[test]
    fn status_relay_names_the_ucontact_break_reason() {
        let v = serde_json::to_value(AgentStatusRelay::new("meal", &[])).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"action": "AGENT_STATUS", "status": "meal", "isBreak": true, "motive": "LUNCH"})
        );
        let v = serde_json::to_value(AgentStatusRelay::new("available", &[])).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"action": "AGENT_STATUS", "status": "available", "isBreak": false})
        );
    }

    #[test]
    fn status_relay_follows_the_admins_settings_once_known() {
        let def = |value: &str, motive: Option<&str>| crate::StatusDef {
            value: value.into(),
            label_es: value.into(),
            label_en: value.into(),
            color: "#000000".into(),
            system: false,
            motive: motive.map(Into::into),
            retired: false,
        };
        let defs = [
            def("coffee", Some("LUNCH")),
            def("meal", None),
            def("odd", Some("SMOKING")),
        ];
        let relay = |s: &str| {
            let r = AgentStatusRelay::new(s, &defs);
            (r.is_break, r.motive)
        };
        assert_eq!(relay("coffee"), (true, Some(crate::UcBreak::Lunch)));
        assert_eq!(relay("meal"), (false, None), "an admin said: not a break");
        assert_eq!(relay("odd"), (true, Some(crate::UcBreak::Other)));
        // Not (yet) defined: the built-in reading.
        assert_eq!(relay("bath"), (true, Some(crate::UcBreak::Bathroom)));
        assert_eq!(relay("in-call"), (false, None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(json: &str) -> CrmRequest {
        match parse_inbound(json).unwrap() {
            Inbound::Request(r) => r,
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn make_call_of_the_guide_parses_and_serialises_back_exactly() {
        let seed = r#"{
          "action": "MAKE_CALL",
          "call": {
            "destination": "11111111",
            "campaign": "TestCampaign->",
            "did": "22222222",
            "guid": "72e50982-9983-4e27-b9af-ae5c9f518cfb"
          }
        }"#;
        let r = request(seed);
        assert_eq!(r.id, None);
        let UcAction::MakeCall { call } = &r.action else {
            panic!()
        };
        assert_eq!(call.campaign, "TestCampaign->", "kept verbatim");
        assert_eq!(
            serde_json::to_value(&r.action).unwrap(),
            serde_json::from_str::<serde_json::Value>(seed).unwrap()
        );
    }

    #[test]
    fn hang_up_and_close_tab_are_bare_actions() {
        assert_eq!(request(r#"{"action":"HANG_UP"}"#).action, UcAction::HangUp);
        assert_eq!(
            request(r#"{"action":"CLOSE_TAB"}"#).action,
            UcAction::CloseTab
        );
        assert_eq!(
            serde_json::to_value(UcAction::HangUp).unwrap(),
            json!({"action": "HANG_UP"})
        );
        assert_eq!(
            serde_json::to_value(UcAction::CloseTab).unwrap(),
            json!({"action": "CLOSE_TAB"})
        );
    }

    #[test]
    fn disposition_with_comment_and_with_the_optional_fields_absent() {
        let seed = r#"{
          "action": "DISPOSITION_CALL",
          "disposition": {
            "campaign": "TestCampaign->",
            "callerid": "111111111",
            "guid": "72e50982-9983-4e27-b9af-ae5c9f518cfb",
            "l1": "Disposition1", "l2": "", "l3": "", "d1": "", "d2": "",
            "comment": ""
          }
        }"#;
        let r = request(seed);
        assert_eq!(
            serde_json::to_value(&r.action).unwrap(),
            serde_json::from_str::<serde_json::Value>(seed).unwrap()
        );
        let with_comment = request(
            r#"{"action":"DISPOSITION_CALL","disposition":{"campaign":"Ventas<-","callerid":"099123456","guid":"g1","l1":"Venta","l2":"Plan anual","comment":"Cliente conforme"}}"#,
        );
        let UcAction::DispositionCall { disposition } = &with_comment.action else {
            panic!()
        };
        assert_eq!(disposition.comment, "Cliente conforme");
        assert_eq!((disposition.l3.as_str(), disposition.d1.as_str()), ("", ""));
        // Serialised back with every key of the guide present.
        let v = serde_json::to_value(&with_comment.action).unwrap();
        for k in [
            "campaign", "callerid", "guid", "l1", "l2", "l3", "d1", "d2", "comment",
        ] {
            assert!(v["disposition"].get(k).is_some(), "{k}");
        }
    }

    #[test]
    fn a_json_string_a_request_id_and_numeric_phones_are_accepted() {
        let inner =
            r#"{"action":"MAKE_CALL","id":"req-7","call":{"destination":11111111,"campaign":"C"}}"#;
        let as_string = serde_json::to_string(inner).unwrap();
        let r = request(&as_string);
        assert_eq!(r.id.as_deref(), Some("req-7"));
        let UcAction::MakeCall { call } = r.action else {
            panic!()
        };
        assert_eq!(
            (
                call.destination.as_str(),
                call.did.as_str(),
                call.guid.as_str()
            ),
            ("11111111", "", "")
        );
    }

    #[test]
    fn malformed_messages_are_errors_that_keep_the_request_id() {
        for bad in [
            "",
            "null",
            "42",
            "[]",
            "\"hola\"",
            r#"{"action":"DIAL"}"#,
            r#"{"action":"MAKE_CALL"}"#,
            r#"{"action":"MAKE_CALL","call":{"campaign":"x"}}"#,
            r#"{"foo":1}"#,
            r#"{"action":"DISPOSITION_CALL","disposition":{"campaign":"c","l1":{"x":1}}}"#,
        ] {
            assert!(parse_inbound(bad).is_err(), "{bad}");
        }
        let e = parse_inbound(r#"{"action":"DIAL","id":"r1"}"#).unwrap_err();
        assert_eq!(e.id.as_deref(), Some("r1"));
        assert!(e.action, "a message with an action is answered");
    }

    #[test]
    fn other_libraries_messages_are_not_protocol_errors() {
        // What CRM pages post besides our protocol: iframe-resizer, analytics, devtools.
        for foreign in [
            "\"[iFrameSizer]crm:480:640:init\"",
            "\"[iFrameResizerChild]Ready\"",
            r#"{"type":"analytics","event":"page_view"}"#,
            r#"{"source":"react-devtools-content-script","payload":{}}"#,
            r#"{"id":"x1","method":"ping"}"#,
            "42",
            "null",
        ] {
            let e = parse_inbound(foreign).unwrap_err();
            assert!(!e.action, "{foreign} would be answered with an ERROR");
        }
        let huge = format!(
            "{{\"action\":\"HANG_UP\",\"pad\":\"{}\"}}",
            "x".repeat(MAX_MESSAGE_BYTES)
        );
        assert!(parse_inbound(&huge).is_err());
    }

    #[test]
    fn ucontact_events_are_understood() {
        let m = r#"{"event":"assignedInteraction","data":{"guid":"g","campaign":"Soporte<-","channel":"telephony","clientId":"123","extra":true}}"#;
        match parse_inbound(m).unwrap() {
            Inbound::Event(UcEvent::AssignedInteraction(a)) => {
                assert_eq!((a.guid.as_str(), a.client_id.as_str()), ("g", "123"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_inbound(r#"{"event":"changedLanguage","data":{"language":"en"}}"#),
            Ok(Inbound::Event(UcEvent::ChangedLanguage(_)))
        ));
        assert!(parse_inbound(r#"{"event":"somethingElse","data":{}}"#).is_err());
    }

    #[test]
    fn changed_language_reads_every_shape_ucontact_sends() {
        use crate::Locale;
        for (data, want) in [
            (r#"{"language":"en"}"#, Some(Locale::En)),
            (r#""en""#, Some(Locale::En)),
            (r#"{"lang":"ES"}"#, Some(Locale::Es)),
            (r#"{"language":"es-UY"}"#, Some(Locale::Es)),
            (r#"{"locale":"en_US"}"#, Some(Locale::En)),
            (r#"" En-gb ""#, Some(Locale::En)),
            (r#"{"language":"pt-BR"}"#, None),
            (r#"{"language":5}"#, None),
            (r#"null"#, None),
            (r#""""#, None),
        ] {
            let v: serde_json::Value = serde_json::from_str(data).unwrap();
            assert_eq!(changed_language(&v), want, "{data}");
        }
        // Through the parser, as a message.
        match parse_inbound(r#"{"event":"changedLanguage","data":"en"}"#) {
            Ok(Inbound::Event(UcEvent::ChangedLanguage(v))) => {
                assert_eq!(changed_language(&v), Some(crate::Locale::En))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn replies_and_events_have_the_documented_shapes() {
        let r = CrmReply::Error {
            reply_to: Some("r1".into()),
            error: BridgeError {
                code: "unknown_disposition".into(),
                message: "m".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"action":"ERROR","replyTo":"r1","error":{"code":"unknown_disposition","message":"m"}})
        );
        let e = CrmEvent::CallEnded {
            guid: "g".into(),
            duration_secs: 5,
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"event":"callEnded","data":{"guid":"g","duration_secs":5}})
        );
    }

    /// Every byte string and every mutation of valid messages: an error or a value,
    /// never a panic.
    #[test]
    fn no_input_panics_the_parser() {
        let seeds = [
            r#"{"action":"MAKE_CALL","call":{"destination":"1","campaign":"c","did":"2","guid":"g"}}"#,
            r#"{"action":"DISPOSITION_CALL","disposition":{"campaign":"c","callerid":"1","guid":"g","l1":"a","l2":"","l3":"","d1":"","d2":"","comment":""}}"#,
            r#"{"event":"assignedInteraction","data":{"guid":"g"}}"#,
        ];
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let alphabet: &[u8] = b"{}[]\":,0123456789.-eEtrufalsn \\abcdACTIONMAKE_CL\x00\xff";
        for _ in 0..20_000 {
            let seed = seeds[(next() % 3) as usize].as_bytes();
            let mut bytes = seed.to_vec();
            for _ in 0..(next() % 6) {
                let i = (next() as usize) % bytes.len().max(1);
                match next() % 3 {
                    0 => bytes[i] = alphabet[(next() as usize) % alphabet.len()],
                    1 => bytes.insert(i, alphabet[(next() as usize) % alphabet.len()]),
                    _ => {
                        bytes.remove(i);
                    }
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_inbound(&text);
        }
        for len in 0..64 {
            let random: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = parse_inbound(&String::from_utf8_lossy(&random));
        }
    }
}
