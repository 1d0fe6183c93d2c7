//! Calls, campaigns with their disposition trees, CRM settings and the screen-pop launch.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Direction;
use crate::bridge::{CallDisposition, CallRequest};

/// One level of a campaign's disposition tree (L1 → L2 → L3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispositionNode {
    pub label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Vec<DispositionNode>,
    /// "Schedule callback": choosing this disposition (or one below it) asks the agent
    /// when to call back, and the desktop reminds them then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub callback: bool,
}

/// A campaign as the desktop knows it (the same name as in uContact, suffix included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub name: String,
    /// The agent must disposition a call of this campaign before making the next one.
    #[serde(default)]
    pub require_disposition: bool,
    #[serde(default)]
    pub dispositions: Vec<DispositionNode>,
    /// Who may use it and how its wrap-up form reads (see [`crate::dial`]).
    #[serde(flatten)]
    pub options: crate::dial::CampaignOptions,
}

/// A disposition tree has at most L1 → L2 → L3.
pub const MAX_DISPOSITION_LEVELS: usize = 3;
/// Longest label of a disposition (and of a campaign name).
pub const MAX_DISPOSITION_LABEL: usize = 80;

impl Campaign {
    /// Why this tree cannot be saved, if it cannot: more than three levels, an empty or
    /// over-long label, or two siblings with the same label. A level-3 leaf's (empty)
    /// list of children is not a fourth level.
    pub fn tree_problem(&self) -> Option<String> {
        fn walk(nodes: &[DispositionNode], level: usize) -> Option<String> {
            if nodes.is_empty() {
                return None;
            }
            if level > MAX_DISPOSITION_LEVELS {
                return Some(format!(
                    "at most {MAX_DISPOSITION_LEVELS} levels; `{}` is at level {level}",
                    nodes[0].label
                ));
            }
            let mut labels: Vec<&str> = nodes.iter().map(|n| n.label.as_str()).collect();
            labels.sort_unstable();
            if let Some(w) = labels.windows(2).find(|w| w[0] == w[1]) {
                return Some(format!("`{}` appears twice at level {level}", w[0]));
            }
            nodes.iter().find_map(|n| {
                if n.label.trim().is_empty() {
                    Some(format!("an empty label at level {level}"))
                } else if n.label.chars().count() > MAX_DISPOSITION_LABEL {
                    Some(format!(
                        "labels have at most {MAX_DISPOSITION_LABEL} characters (level {level})"
                    ))
                } else {
                    walk(&n.children, level + 1)
                }
            })
        }
        walk(&self.dispositions, 1)
    }

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

impl Campaign {
    /// Whether the disposition L1/L2/L3 (a path of the tree) schedules a callback: some
    /// node on its path is marked so.
    pub fn wants_callback(&self, l1: &str, l2: &str, l3: &str) -> bool {
        let mut level = &self.dispositions;
        for value in [l1, l2, l3] {
            let Some(node) = level.iter().find(|d| !value.is_empty() && d.label == value) else {
                return false;
            };
            if node.callback {
                return true;
            }
            level = &node.children;
        }
        false
    }
}

/// How the desktop embeds and talks to the CRM and uContact (admin settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Send uContact the desktop's own `AGENT_STATUS` message on every status change.
    /// Not part of uContact's protocol, so off unless an admin turns it on.
    #[serde(default)]
    pub agent_status_relay: bool,
    /// The CRM iframe's `sandbox` tokens ([`crate::embed`]); absent: today's default set.
    #[serde(default = "crate::embed::default_frame_sandbox")]
    pub frame_sandbox: Vec<String>,
    /// Features delegated to the CRM iframe through `allow=` (e.g. `clipboard-write`,
    /// `microphone`); none by default.
    #[serde(default)]
    pub frame_allow: Vec<String>,
    /// Origins call recordings may play from (CSP `media-src`): a conversation's
    /// `segment_link` on one of them gets a player on its timeline item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recording_origins: Vec<String>,
}

/// The conversation attribute that carries a recording's address (Flex-style
/// `conversations.segment_link`).
pub const RECORDING_ATTRIBUTE: &str = "segment_link";
/// The longest recording address kept (it is kept whole: a cut URL plays nothing).
pub const MAX_RECORDING_URL: usize = 2048;

impl CrmSettings {
    /// The recording to play for these conversation attributes: their `segment_link`,
    /// when it is an http(s) address on one of the recording origins (one with a user
    /// or password in it has no origin: never played, nor its credentials shown).
    pub fn recording<'a>(
        &self,
        attributes: &'a std::collections::BTreeMap<String, String>,
    ) -> Option<&'a str> {
        let link = attributes.get(RECORDING_ATTRIBUTE)?;
        let origin = origin_of(link)?;
        self.recording_origins
            .contains(&origin)
            .then_some(link.as_str())
    }
}

impl Default for CrmSettings {
    fn default() -> Self {
        CrmSettings {
            url_template: String::new(),
            crm_origins: Vec::new(),
            ucontact_origin: String::new(),
            agent_status_relay: false,
            frame_sandbox: crate::embed::default_frame_sandbox(),
            frame_allow: Vec::new(),
            recording_origins: Vec::new(),
        }
    }
}

/// `POST /api/v1/calls`: MAKE_CALL, from the CRM or the agent's own button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartCall {
    /// The contact the call is for; found (or created) by the destination when absent.
    #[serde(default)]
    pub contact_id: Option<i64>,
    pub call: CallRequest,
}

/// `POST /api/v1/calls/hangup`: the caller's active call, or the one with this guid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HangUp {
    #[serde(default)]
    pub guid: Option<String>,
}

/// `POST /api/v1/calls/disposition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisposeCall {
    pub disposition: CallDisposition,
    /// Made in uContact's own screen (its `sentDisposition` event): recorded here, and
    /// not sent back to uContact's REST API.
    #[serde(default)]
    pub from_ucontact: bool,
    /// When to call the customer back (a disposition marked "schedule callback" asks
    /// for it): the agent is reminded at that time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackRequest>,
}

/// A callback to schedule with a disposition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackRequest {
    /// The local date and time in the agent's time zone, as a date-time input gives
    /// it: `2026-12-07T09:30`. The server reads it in the agent's zone (a time the clocks
    /// skip is refused; a time they repeat is the first one).
    pub at: String,
    /// What to say or do, for the agent's eyes.
    #[serde(default)]
    pub note: String,
}

/// Longest note of a callback.
pub const MAX_CALLBACK_NOTE: usize = 500;
/// How far ahead a callback may be scheduled, in days.
pub const MAX_CALLBACK_DAYS: i64 = 366;

/// A reminder to call a customer back (`GET /api/v1/reminders`: the signed-in agent's
/// own, not yet done, soonest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reminder {
    pub id: i64,
    pub contact_id: i64,
    pub contact_name: String,
    /// The call it follows up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_guid: Option<String>,
    pub due_at: DateTime<Utc>,
    #[serde(default)]
    pub note: String,
    /// Its time has come (the agent was or is being notified).
    pub due: bool,
}

/// A call as the desktop tracks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The disposition's delivery to uContact's REST API (see [`crate::RemoteSync`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<crate::RemoteSync>,
}

/// `GET /api/v1/calls/current`: the agent's active call, and the last ended call still
/// waiting for its disposition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentCalls {
    pub active: Option<CallInfo>,
    pub pending_disposition: Option<CallInfo>,
}

/// `POST /api/v1/launch`: uContact opened the desktop with `?phone=&agent=&campaign=&guid=`
/// (+ dialer data, and `ts` + `sig` when launches must be signed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaunchRequest {
    pub params: BTreeMap<String, String>,
}

/// `POST /api/v1/screen-pop`: uContact's `assignedInteraction` (Events API), passed on by
/// the desktop. The contact is found by `client_id` (its external id), else by `phone`,
/// else created; the answer is a [`LaunchResult`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreenPop {
    #[serde(default)]
    pub guid: String,
    #[serde(default)]
    pub campaign: String,
    #[serde(default)]
    pub channel: String,
    /// The customer's id in the CRM (uContact's `clientId`).
    #[serde(default)]
    pub client_id: String,
    /// The customer's number, when the event carries one.
    #[serde(default)]
    pub phone: String,
    /// The event's other text fields (dialer data), for the CRM URL's placeholders.
    #[serde(default)]
    pub data: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// The origin (`scheme://host[:port]`) of an http(s) URL, normalised as browsers report
/// `MessageEvent.origin`: lower case, default port dropped. `None` when the URL has no
/// such origin (another scheme, user info, a host with spaces, wildcards or other
/// characters a host cannot have, a port out of range).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let (host, port) = match authority.strip_prefix('[') {
        // IPv6 literal: `[::1]:8080`.
        Some(v6) => {
            let (addr, after) = v6.split_once(']')?;
            if addr.is_empty()
                || !addr
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            {
                return None;
            }
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?),
            };
            (format!("[{addr}]"), port)
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority.as_str(), None),
            };
            let label_ok = |l: &str| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            };
            if host.len() > 253 || !host.split('.').all(label_ok) {
                return None;
            }
            (host.to_string(), port)
        }
    };
    let port = match port {
        None => None,
        Some(p) if p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()) => {
            return None;
        }
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return None,
            Ok(n) if n.to_string() == default_port => None,
            Ok(n) => Some(n),
        },
    };
    Some(match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

/// A setting that must be an origin and nothing more (`https://crm.example:8443`; a
/// trailing `/` is tolerated): the normalised origin, or why it is not one. Used for
/// every origin an admin or the command line configures, so a path, a space-separated
/// list or a wildcard can never reach a Content-Security-Policy.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let refuse = || format!("`{text}` is not an origin like https://crm.example[:port]");
    let bare = text.strip_suffix('/').unwrap_or(text);
    let (_, rest) = bare.split_once("://").ok_or_else(refuse)?;
    if rest.contains(['/', '?', '#']) {
        return Err(refuse());
    }
    origin_of(bare).ok_or_else(refuse)
}

#[cfg(test)]
mod recording_tests {
    use super::*;

    #[test]
    fn a_recording_plays_only_from_a_listed_origin() {
        let settings = CrmSettings {
            recording_origins: vec!["https://rec.example".into()],
            ..CrmSettings::default()
        };
        let with = |link: &str| {
            std::collections::BTreeMap::from([(RECORDING_ATTRIBUTE.to_owned(), link.to_owned())])
        };
        for ok in [
            "https://rec.example/r/RE1.mp3",
            "HTTPS://REC.EXAMPLE:443/r?id=1",
        ] {
            assert_eq!(settings.recording(&with(ok)), Some(ok), "{ok}");
        }
        for bad in [
            "https://other.example/r.mp3",
            "http://rec.example/r.mp3",
            "https://user:pw@rec.example/r.mp3",
            "https://rec.example.evil.example/r.mp3",
            "javascript:alert(1)",
            "data:audio/mp3;base64,AAAA",
            "//rec.example/r.mp3",
            "",
        ] {
            assert_eq!(settings.recording(&with(bad)), None, "{bad}");
        }
        assert_eq!(
            CrmSettings::default().recording(&with("https://rec.example/r")),
            None
        );
        assert_eq!(settings.recording(&Default::default()), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Campaign {
        let leaf = |l: &str| DispositionNode {
            label: l.into(),
            children: vec![],
            callback: false,
        };
        Campaign {
            name: "Ventas->".into(),
            options: Default::default(),
            require_disposition: true,
            dispositions: vec![
                DispositionNode {
                    label: "Venta".into(),
                    callback: false,
                    children: vec![DispositionNode {
                        label: "Plan anual".into(),
                        children: vec![leaf("Tarjeta"), leaf("Débito")],
                        callback: true,
                    }],
                },
                leaf("No interesado"),
            ],
        }
    }

    fn chain(depth: usize) -> Vec<DispositionNode> {
        (0..depth).rev().fold(vec![], |children, n| {
            vec![DispositionNode {
                label: format!("L{}", n + 1),
                children,
                callback: false,
            }]
        })
    }

    #[test]
    fn trees_of_one_two_and_three_levels_are_valid_and_four_is_not() {
        for depth in 1..=3 {
            let c = Campaign {
                name: "x".into(),
                options: Default::default(),
                require_disposition: true,
                dispositions: chain(depth),
            };
            assert_eq!(c.tree_problem(), None, "depth {depth}");
            let path = ["L1", "L2", "L3"].map(|l| {
                if l[1..].parse::<usize>().unwrap() <= depth {
                    l
                } else {
                    ""
                }
            });
            assert_eq!(c.check(path[0], path[1], path[2]), Ok(()), "depth {depth}");
        }
        let c = Campaign {
            name: "x".into(),
            options: Default::default(),
            require_disposition: true,
            dispositions: chain(4),
        };
        assert!(c.tree_problem().unwrap().contains("level 4"));
        assert_eq!(tree().tree_problem(), None);
    }

    #[test]
    fn tree_labels_must_be_distinct_non_empty_and_short() {
        let mut c = tree();
        c.dispositions[0].children[0].children[1].label = "Tarjeta".into();
        assert!(c.tree_problem().unwrap().contains("twice at level 3"));
        let mut c = tree();
        c.dispositions[1].label = " ".into();
        assert!(c.tree_problem().unwrap().contains("empty"));
        let mut c = tree();
        c.dispositions[0].children[0].label = "x".repeat(81);
        assert!(c.tree_problem().unwrap().contains("80"));
    }

    #[test]
    fn a_callback_mark_covers_the_dispositions_below_it() {
        let c = tree();
        assert!(c.wants_callback("Venta", "Plan anual", "Tarjeta"));
        assert!(c.wants_callback("Venta", "Plan anual", "Débito"));
        assert!(!c.wants_callback("No interesado", "", ""));
        assert!(!c.wants_callback("Otra", "", ""), "not a path of the tree");
        assert!(!c.wants_callback("", "", ""));
        // Old trees (no mark in the JSON) read as no callback.
        let node: DispositionNode = serde_json::from_str(r#"{"label":"x"}"#).unwrap();
        assert!(!node.callback);
        assert_eq!(serde_json::to_string(&node).unwrap(), r#"{"label":"x"}"#);
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
            options: Default::default(),
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
        assert_eq!(
            origin_of("HTTPS://crm.example:443/x").as_deref(),
            Some("https://crm.example"),
            "default port dropped, as MessageEvent.origin reports it"
        );
        assert_eq!(
            origin_of("http://[::1]:8080/").as_deref(),
            Some("http://[::1]:8080")
        );
    }

    #[test]
    fn an_origin_setting_is_an_origin_and_nothing_more() {
        for good in [
            ("https://crm.example", "https://crm.example"),
            ("https://crm.example/", "https://crm.example"),
            ("https://CRM.Example:8443", "https://crm.example:8443"),
            ("http://127.0.0.2:9000", "http://127.0.0.2:9000"),
            ("http://localhost", "http://localhost"),
        ] {
            assert_eq!(parse_origin(good.0).as_deref(), Ok(good.1), "{}", good.0);
        }
        for bad in [
            "https://uc.example *",
            "https://uc.example https://evil.example",
            "*",
            "https://*.crm.example",
            "https://crm.example/path",
            "https://crm.example?x",
            "https://crm.example#x",
            "https://crm.example:0",
            "https://crm.example:65536",
            "https://crm.example:80a",
            "https://crm.example:",
            "https://user@crm.example",
            "https://crm.example;script-src",
            "https://crm.example'",
            " https://crm.example",
            "https://crm..example",
            "https://-crm.example",
            "ftp://crm.example",
            "crm.example",
            "https://",
            "https://[zz]",
            "https://crm.exam\\ple",
            "https://crmé.example",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad:?} accepted");
        }
    }
}
