//! Agent status, connection events and the supervisor's board.
//!
//! Values follow uContact's connection-event dictionary: lowercase words separated by
//! hyphens, no accents. System values are set by the desktop itself (presence, calls,
//! the ACD); custom values are what an agent picks, and admins may add more.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::TeamRef;

/// Who changed a status, as uContact's `Tipo` column names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionEventType {
    /// Changed by the system (presence, calls).
    StatusChanged,
    /// Changed by the automatic call distributor.
    Acd,
    /// Chosen by the agent in the status picker.
    StatusChangedUser,
}

impl ConnectionEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionEventType::StatusChanged => "status-changed",
            ConnectionEventType::Acd => "acd",
            ConnectionEventType::StatusChangedUser => "status-changed-user",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ConnectionEventType::StatusChanged,
            ConnectionEventType::Acd,
            ConnectionEventType::StatusChangedUser,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// Why a desktop went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DisconnectReason {
    /// The agent signed out.
    Logout,
    /// The desktop stopped answering (no heartbeat, or its session expired).
    Timeout,
    /// The real-time connection closed without a sign-out (tab closed, network lost).
    Network,
}

impl DisconnectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::Logout => "logout",
            DisconnectReason::Timeout => "timeout",
            DisconnectReason::Network => "network",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            DisconnectReason::Logout,
            DisconnectReason::Timeout,
            DisconnectReason::Network,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Values only the system sets, from uContact's "Estados por sistema".
pub const SYSTEM_VALUES: &[&str] = &[
    "connected",
    "reconnected",
    "disconnected",
    "available",
    "occupying",
    "releasing",
    "timeout",
    "in-call",
    "end-call",
    "dismiss",
    "meeting",
    "meeting-end",
    "wrap-up",
];

/// The one system value an agent may also choose: coming back from a break.
pub const AVAILABLE: &str = "available";
pub const IN_CALL: &str = "in-call";
pub const END_CALL: &str = "end-call";
/// After-call work: the call ended and its campaign wants a disposition. Saving it
/// returns the agent to the status chosen meanwhile, or to the one before the call.
pub const WRAP_UP: &str = "wrap-up";
pub const DISCONNECTED: &str = "disconnected";
/// A new console session began (the desktop's first stream, uContact's login).
pub const CONNECTED: &str = "connected";
/// The desktop came back within the grace period: the status before returns.
pub const RECONNECTED: &str = "reconnected";

/// Is `v` a well-formed status value: 1–40 characters of `a-z`/`0-9` in words joined by
/// single hyphens? (uContact: "minúsculas separados por guiones, sin tildes").
pub fn valid_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 40
        && v.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

pub fn is_system(v: &str) -> bool {
    SYSTEM_VALUES.contains(&v)
}

/// uContact's break reasons (queue-log `BREAK` data1, `AgentBreak.motive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UcBreak {
    Bathroom,
    Lunch,
    Training,
    Personal,
    Other,
}

impl UcBreak {
    pub const ALL: [UcBreak; 5] = [
        UcBreak::Bathroom,
        UcBreak::Lunch,
        UcBreak::Training,
        UcBreak::Personal,
        UcBreak::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UcBreak::Bathroom => "BATHROOM",
            UcBreak::Lunch => "LUNCH",
            UcBreak::Training => "TRAINING",
            UcBreak::Personal => "PERSONAL",
            UcBreak::Other => "OTHER",
        }
    }

    /// Case-insensitive, surrounding spaces ignored (uContact exports vary).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(s))
    }

    /// The desktop's status for this break.
    pub fn status(self) -> &'static str {
        match self {
            UcBreak::Bathroom => "bath",
            UcBreak::Lunch => "meal",
            UcBreak::Training => "training",
            UcBreak::Personal => "break",
            UcBreak::Other => "busy",
        }
    }

    /// The status an `AgentBreak` with this reason sets: the first one offered (in
    /// picker order) that an admin gave this reason, else the first offered with
    /// `OTHER`, else (every break retired) the built-in one.
    pub fn status_in(self, defs: &[StatusDef]) -> &str {
        let offered = |reason: UcBreak| {
            defs.iter()
                .find(|d| d.selectable() && d.value != AVAILABLE && d.motive() == Some(reason))
        };
        offered(self)
            .or_else(|| offered(UcBreak::Other))
            .map_or(self.status(), |d| d.value.as_str())
    }

    /// The break uContact should show for a desktop status: the five mapped values
    /// exactly, and `OTHER` for any other custom status (it is still a break for the
    /// ACD). `None` for system values: they are not breaks.
    pub fn for_status(value: &str) -> Option<Self> {
        if is_system(value) {
            return None;
        }
        Some(
            Self::ALL
                .into_iter()
                .find(|b| b.status() == value)
                .unwrap_or(UcBreak::Other),
        )
    }
}

/// A status value with its labels, as the picker and the board show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusDef {
    pub value: String,
    pub label_es: String,
    pub label_en: String,
    /// CSS colour (`#rrggbb`).
    pub color: String,
    /// Set by the system only (not offered in the picker, except `available`).
    pub system: bool,
    /// A break for uContact's ACD, and its reason there (`None`: not a break). Sent in
    /// the AGENT_STATUS relay; an `AgentBreak` webhook with this reason selects the
    /// first status (in order) that has it.
    /// Kept as text here (read with [`StatusDef::motive`]): the agent's bundle then
    /// decodes it as it decodes any string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<UcBreak>))]
    pub motive: Option<String>,
    /// Retired by an admin: no longer offered, still named in history and on the board.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

impl StatusDef {
    pub fn label(&self, locale: crate::Locale) -> &str {
        match locale {
            crate::Locale::Es => &self.label_es,
            crate::Locale::En => &self.label_en,
        }
    }

    /// uContact's break reason, `None` when it is not a break (an unknown reason is
    /// `OTHER`: still a break).
    pub fn motive(&self) -> Option<UcBreak> {
        let m = self.motive.as_deref()?;
        Some(UcBreak::parse(m).unwrap_or(UcBreak::Other))
    }

    /// May an agent choose it in the picker? A built-in system value never, even where
    /// a custom status once took its name (a database older than the value).
    pub fn selectable(&self) -> bool {
        !self.retired && (self.value == AVAILABLE || !(self.system || is_system(&self.value)))
    }
}

/// `PUT /api/v1/statuses/{value}` (admins): add or change a custom status. A new one is
/// a break with reason `OTHER` unless `motive` says otherwise, and goes last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpsertStatus {
    pub label_es: String,
    pub label_en: String,
    pub color: String,
    /// uContact's break reason; `null` for a status that is not a break; absent: kept
    /// (`OTHER` for a new status).
    #[serde(default, with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<UcBreak>))]
    pub motive: Option<Option<UcBreak>>,
    /// Retire (`true`) or bring back (`false`); absent: kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<bool>,
}

/// `PUT /api/v1/status-order` (admins): the statuses in the order the picker shows them;
/// values not named keep their place after these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StatusOrder {
    pub values: Vec<String>,
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
mod present {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// An agent's status now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStatus {
    pub user_id: i64,
    /// The current value (`disconnected` when no desktop is open).
    pub value: String,
    /// When the agent entered it.
    pub since: DateTime<Utc>,
    /// A change chosen during a call, applied when the call ends.
    pub pending: Option<String>,
    pub connected: bool,
    /// The console session (constant while the desktop stays open or reconnects in time).
    pub session_id: Option<String>,
}

/// `PUT /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetStatus {
    pub value: String,
}

/// The answer to a status change: the status now, and whether the change waits for
/// the end of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetStatusResult {
    pub status: AgentStatus,
    pub queued: bool,
}

/// One row of an agent's connection-event log, uContact's five columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionEvent {
    pub id: i64,
    pub user_id: i64,
    pub at: DateTime<Utc>,
    #[serde(rename = "type")]
    pub kind: ConnectionEventType,
    pub value: String,
    pub reason: Option<DisconnectReason>,
    pub session_id: String,
}

/// Rows per page of a connection-event log.
pub const CONNECTION_EVENTS_PAGE_SIZE: u32 = 50;

/// `GET /api/v1/agents/{id}/connection-events?from=&to=&page=` (dates inclusive, in
/// the viewer's time zone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionEventQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionEventPage {
    pub items: Vec<ConnectionEvent>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
    /// The range shown, inclusive: the one asked for, or the server's default (the last
    /// seven days up to today in the viewer's time zone), so that the app never does
    /// date arithmetic of its own.
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// One row of uContact's `queue_log_repo` kept for a team (imported, or written by the
/// desktop's own calls), as an agent's log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueLogEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    /// The call (uContact's guid).
    pub callid: String,
    /// The queue or campaign.
    pub queue: String,
    /// ENTERQUEUE, CONNECT, COMPLETEAGENT, PHONECOMPLETEAGENT, FINISHWRAPUP…
    pub event: String,
    /// data1..data5, as uContact defines them per event.
    pub data: [String; 5],
}

/// `GET /api/v1/agents/{id}/queue-log?from=&to=&page=`: the agent's queue_log rows of the
/// viewer's teams, newest first, [`CONNECTION_EVENTS_PAGE_SIZE`] a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueLogPage {
    pub items: Vec<QueueLogEntry>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Seconds spent in each status on one day (the viewer's time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayStatusTime {
    pub day: NaiveDate,
    /// (value, seconds), largest first.
    pub seconds: Vec<(String, u64)>,
}

/// `GET /api/v1/agents/{id}/status-time?from=&to=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusTime {
    pub days: Vec<DayStatusTime>,
}

/// The call an agent is on, for the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardCall {
    pub guid: String,
    pub number: String,
    pub campaign: String,
    pub contact_id: i64,
    pub contact_name: String,
    pub started_at: DateTime<Utc>,
}

/// One agent on the supervisor's board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardRow {
    pub user_id: i64,
    pub display_name: String,
    pub username: String,
    pub teams: Vec<TeamRef>,
    pub status: AgentStatus,
    pub call: Option<BoardCall>,
}

/// `GET /api/v1/board`: the agents of the viewer's teams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub agents: Vec<BoardRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_lowercase_hyphenated_ascii() {
        for ok in ["busy", "in-call", "meeting-end", "break-2", "a"] {
            assert!(valid_value(ok), "{ok}");
        }
        for bad in [
            "", "Busy", "in_call", "-busy", "busy-", "in--call", "baño", "in call", "comida!",
        ] {
            assert!(!valid_value(bad), "{bad}");
        }
        assert!(!valid_value(&"a".repeat(41)));
        assert!(SYSTEM_VALUES.iter().all(|v| valid_value(v)));
    }

    #[test]
    fn an_upsert_round_trips_absent_null_and_a_reason_apart() {
        let base = serde_json::json!({"label_es": "a", "label_en": "a", "color": "#000000"});
        let read = |extra: serde_json::Value| {
            let mut v = base.clone();
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            serde_json::from_value::<UpsertStatus>(v).unwrap()
        };
        for u in [
            read(serde_json::json!({})),
            read(serde_json::json!({"motive": null})),
            read(serde_json::json!({"motive": "LUNCH", "retired": true})),
        ] {
            let again: UpsertStatus =
                serde_json::from_value(serde_json::to_value(&u).unwrap()).unwrap();
            assert_eq!(again, u);
        }
        assert_eq!(read(serde_json::json!({})).motive, None, "absent: kept");
        assert_eq!(read(serde_json::json!({"motive": null})).motive, Some(None));
    }

    #[test]
    fn a_system_value_is_never_selectable_even_if_stored_as_custom() {
        let def = |value: &str, system| StatusDef {
            value: value.into(),
            label_es: value.into(),
            label_en: value.into(),
            color: "#000000".into(),
            system,
            motive: None,
            retired: false,
        };
        assert!(def("busy", false).selectable());
        assert!(
            !StatusDef {
                retired: true,
                ..def("busy", false)
            }
            .selectable()
        );
        assert!(
            !StatusDef {
                retired: true,
                ..def("available", true)
            }
            .selectable()
        );
        assert!(def("available", true).selectable());
        assert!(!def("in-call", true).selectable());
        // A custom `wrap-up` made before the system value existed.
        assert!(!def("wrap-up", false).selectable());
        assert!(!def("end-call", false).selectable());
    }

    #[test]
    fn ucontact_breaks_map_both_ways() {
        for (b, s) in [
            (UcBreak::Bathroom, "bath"),
            (UcBreak::Lunch, "meal"),
            (UcBreak::Training, "training"),
            (UcBreak::Personal, "break"),
            (UcBreak::Other, "busy"),
        ] {
            assert_eq!(b.status(), s);
            assert_eq!(UcBreak::for_status(s), Some(b));
            assert_eq!(UcBreak::parse(&b.as_str().to_lowercase()), Some(b));
        }
        assert_eq!(UcBreak::for_status("gathering"), Some(UcBreak::Other));
        assert_eq!(UcBreak::for_status("in-call"), None);
        assert_eq!(UcBreak::parse("NAP"), None);
    }

    #[test]
    fn event_types_use_ucontact_names() {
        assert_eq!(
            serde_json::to_string(&ConnectionEventType::StatusChangedUser).unwrap(),
            "\"status-changed-user\""
        );
        for t in ["status-changed", "acd", "status-changed-user"] {
            assert_eq!(ConnectionEventType::parse(t).unwrap().as_str(), t);
        }
    }
}
