//! Calls, campaigns with their disposition trees, CRM settings and the screen-pop launch.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Direction;
use crate::bridge::{CallDisposition, CallRequest};

/// One level of a campaign's disposition tree (L1 → L2 → L3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispositionNode {
    pub label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<DispositionNode>,
}

/// A campaign as the desktop knows it (the same name as in uContact, suffix included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub name: String,
    /// The agent must disposition a call of this campaign before making the next one.
    #[serde(default)]
    pub require_disposition: bool,
    #[serde(default)]
    pub dispositions: Vec<DispositionNode>,
}

impl Campaign {
    /// Whether L1/L2/L3 is a path of the tree: each level must name a child of the
    /// previous one, a level with children must be chosen, and a leaf takes nothing below.
    pub fn check(&self, l1: &str, l2: &str, l3: &str) -> Result<(), String> {
        let mut level = &self.dispositions;
        for (n, value) in [l1, l2, l3].into_iter().enumerate() {
            if level.is_empty() {
                if value.is_empty() {
                    continue;
                }
                return Err(format!(
                    "`{value}` is not a level {} disposition of {}",
                    n + 1,
                    self.name
                ));
            }
            match level.iter().find(|d| d.label == value) {
                Some(node) => level = &node.children,
                None if value.is_empty() => {
                    return Err(format!("{} needs a level {} disposition", self.name, n + 1));
                }
                None => {
                    return Err(format!(
                        "`{value}` is not a level {} disposition of {}",
                        n + 1,
                        self.name
                    ));
                }
            }
        }
        Ok(())
    }
}

/// How the desktop embeds and talks to the CRM and uContact (admin settings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmSettings {
    /// e.g. `https://crm.example/customers?searchByPhoneNumber={phone}`; placeholders
    /// `{phone}`, `{agent}`, `{campaign}`, `{guid}` and any dialer-data key. Empty: no CRM.
    #[serde(default)]
    pub url_template: String,
    /// Origins allowed to send messages from the CRM frame (the template's origin is
    /// always allowed).
    #[serde(default)]
    pub crm_origins: Vec<String>,
    /// uContact's origin: messages from the parent window are accepted from it, and
    /// actions are relayed to it. Empty: not embedded in uContact.
    #[serde(default)]
    pub ucontact_origin: String,
}

/// `POST /api/v1/calls`: MAKE_CALL, from the CRM or the agent's own button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartCall {
    /// The contact the call is for; found (or created) by the destination when absent.
    #[serde(default)]
    pub contact_id: Option<i64>,
    pub call: CallRequest,
}

/// `POST /api/v1/calls/hangup`: the caller's active call, or the one with this guid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HangUp {
    #[serde(default)]
    pub guid: Option<String>,
}

/// `POST /api/v1/calls/disposition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisposeCall {
    pub disposition: CallDisposition,
}

/// A call as the desktop tracks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallInfo {
    pub guid: String,
    pub contact_id: i64,
    pub activity_id: Option<i64>,
    pub campaign: String,
    pub destination: String,
    pub did: String,
    pub direction: Direction,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: u32,
    /// `agent` or `customer`.
    pub hung_up_by: Option<String>,
    pub disposition: Option<CallDisposition>,
    /// The campaign wants a disposition before the next call.
    pub requires_disposition: bool,
}

/// `GET /api/v1/calls/current`: the agent's active call, and the last ended call still
/// waiting for its disposition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentCalls {
    pub active: Option<CallInfo>,
    pub pending_disposition: Option<CallInfo>,
}

/// `POST /api/v1/launch`: uContact opened the desktop with `?phone=&agent=&campaign=&guid=`
/// (+ dialer data, and `ts` + `sig` when launches must be signed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchRequest {
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchResult {
    pub contact_id: i64,
    /// No contact had this phone: one was created.
    pub created: bool,
    pub phone: String,
    pub campaign: String,
    pub guid: String,
    /// The CRM URL built from the template and the launch parameters (empty: no CRM).
    pub crm_url: String,
}

/// Fill a CRM URL template: `{key}` takes the URL-encoded value of `key` in `values`;
/// unknown placeholders become empty. Only templates starting with `https://` or
/// `http://` produce a URL (no `javascript:` and the like).
pub fn fill_template(template: &str, values: &BTreeMap<String, String>) -> String {
    let t = template.trim();
    if !(t.starts_with("https://") || t.starts_with("http://")) {
        return String::new();
    }
    let mut out = String::with_capacity(t.len());
    let mut rest = t;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let key = &rest[start + 1..start + end];
                if let Some(v) = values.get(key) {
                    out.push_str(&encode_component(v));
                }
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Percent-encode everything but unreserved characters.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The origin (`scheme://host[:port]`) of an http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() || host.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Campaign {
        let leaf = |l: &str| DispositionNode {
            label: l.into(),
            children: vec![],
        };
        Campaign {
            name: "Ventas->".into(),
            require_disposition: true,
            dispositions: vec![
                DispositionNode {
                    label: "Venta".into(),
                    children: vec![DispositionNode {
                        label: "Plan anual".into(),
                        children: vec![leaf("Tarjeta"), leaf("Débito")],
                    }],
                },
                leaf("No interesado"),
            ],
        }
    }

    #[test]
    fn dispositions_must_be_a_path_of_the_tree() {
        let c = tree();
        assert!(c.check("Venta", "Plan anual", "Tarjeta").is_ok());
        assert!(c.check("No interesado", "", "").is_ok());
        assert!(c.check("Venta", "", "").is_err(), "L2 required under Venta");
        assert!(c.check("Venta", "Plan anual", "").is_err());
        assert!(c.check("Venta", "Plan mensual", "Tarjeta").is_err());
        assert!(
            c.check("No interesado", "Algo", "").is_err(),
            "a leaf takes nothing below"
        );
        assert!(c.check("Inventado", "", "").is_err());
        let open = Campaign {
            name: "x".into(),
            require_disposition: false,
            dispositions: vec![],
        };
        assert!(open.check("", "", "").is_ok());
    }

    #[test]
    fn templates_fill_url_encoded_values_and_refuse_other_schemes() {
        let v = BTreeMap::from([
            ("phone".to_string(), "+598 99 123".to_string()),
            ("agent".to_string(), "ana&bruno".to_string()),
        ]);
        assert_eq!(
            fill_template("https://crm.example/c?p={phone}&a={agent}&x={unknown}", &v),
            "https://crm.example/c?p=%2B598%2099%20123&a=ana%26bruno&x="
        );
        assert_eq!(fill_template("javascript:alert({phone})", &v), "");
        assert_eq!(fill_template("", &v), "");
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://CRM.example:8443/a?b#c").as_deref(),
            Some("https://crm.example:8443")
        );
        assert_eq!(
            origin_of("http://localhost:9/sample-crm/").as_deref(),
            Some("http://localhost:9")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://user@evil.example"), None);
    }
}
