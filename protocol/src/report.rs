//! Reports (docs/reports.md): the queue/campaign report and the agent report built from
//! uContact's queue_log, their query and their rows. The server computes every figure;
//! the back office shows them and the CSV carries the same numbers.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

/// How a report's rows are grouped in time (in the report's time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Interval {
    #[serde(rename = "15min")]
    Quarter,
    #[serde(rename = "hour")]
    Hour,
    #[default]
    #[serde(rename = "day")]
    Day,
    /// Weeks start on Monday.
    #[serde(rename = "week")]
    Week,
}

impl Interval {
    pub const ALL: [Interval; 4] = [
        Interval::Quarter,
        Interval::Hour,
        Interval::Day,
        Interval::Week,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Quarter => "15min",
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Week => "week",
        }
    }

    pub fn parse(s: &str) -> Option<Interval> {
        Interval::ALL.into_iter().find(|i| i.as_str() == s)
    }

    /// The longest range (in days) a report of this interval covers: a month of quarter
    /// hours is 2,976 rows per campaign already.
    pub fn max_days(self) -> u32 {
        match self {
            Interval::Quarter => 31,
            Interval::Hour => 92,
            Interval::Day | Interval::Week => 366,
        }
    }
}

/// The campaign's service-level threshold when it sets none (seconds).
pub const DEFAULT_SERVICE_LEVEL_SECS: u32 = 20;

/// `GET /reports/queue`, `/reports/agents`: every parameter is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportQuery {
    /// The team (default: the viewer's only team; required when the viewer has several).
    pub team: Option<i64>,
    /// First local day (default: 6 days before `to`).
    pub from: Option<NaiveDate>,
    /// Last local day, inclusive (default: today in the report's zone).
    pub to: Option<NaiveDate>,
    pub interval: Option<Interval>,
    /// IANA zone (default: the viewer's).
    pub time_zone: Option<String>,
    /// Only this campaign (queue report) — exact name.
    pub campaign: Option<String>,
    /// Only this agent (agent report) — uContact's agent name.
    pub agent: Option<String>,
    /// `csv` for a CSV answer (as `Accept: text/csv`).
    pub format: Option<String>,
    /// Agent report: the page of interval rows, from 1 (default 1; the CSV has them all).
    pub page: Option<u32>,
    /// Agent report: about how many interval rows a page holds — whole intervals, at
    /// least one (default [`AGENT_PAGE_ROWS`], at most [`AGENT_PAGE_ROWS_MAX`]).
    pub page_size: Option<u32>,
    /// Conversations report: what its rows are grouped by — `channel`, `direction` or a
    /// conversation attribute's name (default `channel`).
    pub group_by: Option<String>,
    /// Conversations report: only this channel (`email`, `chat`, `ticket`, `call`, `sms`).
    pub channel: Option<String>,
    /// Conversations report: only `inbound` or `outbound` interactions.
    pub direction: Option<String>,
}

/// One row of the queue report: a campaign in an interval (or, in `totals`, over the
/// whole range). Counts are of events in the interval; rates and averages are `None`
/// where their denominator is 0. Times in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueRow {
    /// Start of the interval (of the range, for totals), local time with its offset.
    pub start: DateTime<FixedOffset>,
    /// Campaign (uContact's queuename); empty in the grand total.
    pub campaign: String,
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub exit_empty: u64,
    pub exit_with_key: u64,
    pub exit_with_timeout: u64,
    /// Abandoned and exited ÷ calls that left the queue (answered + abandoned + exits).
    pub abandon_rate: Option<f64>,
    /// Mean wait of answered calls (CONNECT's holdtime).
    pub avg_answer_wait: Option<f64>,
    /// 90th percentile of the answered calls' wait (nearest rank, whole seconds).
    pub p90_answer_wait: Option<u64>,
    /// Mean wait of abandoned and exited calls.
    pub avg_abandon_wait: Option<f64>,
    /// Answered within `service_level_secs` ÷ calls that left the queue, in %.
    pub service_level: Option<f64>,
    pub service_level_secs: u32,
    /// Calls completed (COMPLETEAGENT, COMPLETECALLER, transfers).
    pub completed: u64,
    pub avg_talk: Option<f64>,
    pub agent_hung_up: u64,
    pub caller_hung_up: u64,
    pub transfers: u64,
    pub ring_no_answer: u64,
    /// OUTCALL rows, by dialstatus.
    pub outbound: u64,
    pub outbound_answered: u64,
    pub outbound_busy: u64,
    pub outbound_no_answer: u64,
    pub outbound_other: u64,
    pub avg_outbound_duration: Option<f64>,
    /// HOLD periods and their mean length (UNHOLD, else the call's end, closes one).
    pub holds: u64,
    pub avg_hold: Option<f64>,
    pub wrap_ups: u64,
    pub avg_wrap_up: Option<f64>,
    /// Rows whose event no report knows (kept, not counted anywhere else).
    pub unknown_events: u64,
    /// Rows with a number that could not be read (counted as 0).
    pub unreadable_values: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueReport {
    pub team: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    pub time_zone: String,
    /// By interval, then campaign.
    pub rows: Vec<QueueRow>,
    /// One per campaign over the whole range.
    pub totals: Vec<QueueRow>,
    /// Every campaign over the whole range.
    pub total: QueueRow,
    /// Every campaign with data in the range (for the filter), whatever `campaign` asked.
    pub campaigns: Vec<String>,
}

/// One row of the agent report: an agent in an interval. Times in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentRow {
    pub start: DateTime<FixedOffset>,
    /// uContact's agent name.
    pub agent: String,
    /// Logged in (AGENTLOGOFF's session, split at interval bounds).
    pub login: f64,
    /// On break (UNBREAK's breaktime, split at interval bounds), and by reason.
    pub on_break: f64,
    pub break_reasons: BTreeMap<String, f64>,
    /// Breaks started (BREAK).
    pub breaks: u64,
    pub answered: u64,
    /// Calls completed (COMPLETEAGENT, COMPLETECALLER, transfers).
    pub handled: u64,
    pub talk: f64,
    pub hold: f64,
    pub wrap_up: f64,
    /// (talk + hold + wrap-up) ÷ handled.
    pub avg_handle: Option<f64>,
    pub ring_no_answer: u64,
    pub outbound: u64,
    /// (talk + hold + wrap-up) ÷ (login − break), in %.
    pub occupancy: Option<f64>,
    /// On the desktop, by our own connection events: time in any status but
    /// `disconnected` (seconds; the status in force now counted up to now).
    #[serde(default)]
    pub connected: f64,
    /// Seconds per status of our own presence (the picker's values, calls, after-call
    /// work, the ACD's), `disconnected` left out.
    #[serde(default)]
    pub statuses: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentReport {
    pub team: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    pub time_zone: String,
    /// By interval, then agent: the intervals of page `page` (all of them in the CSV).
    pub rows: Vec<AgentRow>,
    /// One per agent over the whole range (every page carries all of them).
    pub totals: Vec<AgentRow>,
    /// This page's number, from 1.
    #[serde(default = "first_page")]
    pub page: u32,
    /// How many pages the range's intervals make (at least 1).
    #[serde(default = "first_page")]
    pub pages: u32,
}

fn first_page() -> u32 {
    1
}

/// The agent report's rows per page when the query sets none, and the most it may set.
pub const AGENT_PAGE_ROWS: u32 = 1_000;
pub const AGENT_PAGE_ROWS_MAX: u32 = 10_000;

/// How an activity counts in analytics — the one rule the write path, the rebuild and
/// every analytics read follow: `None` when it is not an interaction (notes and
/// follow-up notifications are the desk's own; an e-mail still a draft, or whose send
/// failed, reached no one), else its direction (a chat or a ticket is opened by the
/// customer: inbound).
pub fn interaction_direction(detail: &crate::ActivityDetail) -> Option<crate::Direction> {
    use crate::{ActivityDetail as D, Direction, EmailStatus};
    match detail {
        D::Email {
            status: Some(EmailStatus::Draft | EmailStatus::Failed),
            ..
        } => None,
        D::Email { direction, .. } | D::Call { direction, .. } | D::Sms { direction, .. } => {
            Some(*direction)
        }
        D::Chat { .. } | D::Ticket { .. } => Some(Direction::Inbound),
        D::Note { .. } | D::FollowUp { .. } => None,
    }
}

/// Channels whose inbound messages wait for a reply (first-response times): an inbound
/// e-mail or SMS is answered by the next outbound one of the same channel, contact and
/// team.
pub fn awaits_reply(kind: crate::ActivityKind) -> bool {
    matches!(kind, crate::ActivityKind::Email | crate::ActivityKind::Sms)
}

/// Interactions in a period: its local start (midnight of its first day, with the
/// offset; a date-time, not a date, so that the agent's bundle needs no date parser).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodCount {
    pub start: DateTime<FixedOffset>,
    pub count: u64,
}

/// One channel's interactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelCount {
    pub kind: crate::ActivityKind,
    pub count: u64,
    pub inbound: u64,
    pub outbound: u64,
}

/// First-response times: each inbound e-mail or SMS to the next outbound one of the same
/// channel (seconds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseTimes {
    /// Inbound messages that got a reply in the range.
    pub answered: u64,
    /// Inbound messages with no reply yet.
    pub unanswered: u64,
    pub median: Option<u64>,
    pub p90: Option<u64>,
}

/// `GET /reports/contacts/{id}`: a contact's communication over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactAnalytics {
    pub contact_id: i64,
    /// `[from, to)`: the start of the first day and of the day after the last, local.
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
    pub time_zone: String,
    /// Interactions per week (Mondays) and per month (first days), oldest first, only
    /// periods with some.
    pub weeks: Vec<PeriodCount>,
    pub months: Vec<PeriodCount>,
    /// By channel, most used first.
    pub channels: Vec<ChannelCount>,
    pub total: u64,
    pub inbound: u64,
    pub outbound: u64,
    pub first_response: ResponseTimes,
    /// The latest interaction of the range.
    pub last_contact: Option<DateTime<chrono::Utc>>,
    /// More interactions than one answer reads ([`MAX_ANALYTICS_ACTIVITIES`]): only the
    /// newest were counted.
    pub truncated: bool,
}

/// Upper bounds (seconds, inclusive) of the response-time distribution's buckets; one
/// more bucket holds the slower replies.
pub const RESPONSE_BUCKETS: [u64; 5] = [300, 900, 3_600, 14_400, 86_400];

/// Replies within a bucket of [`RESPONSE_BUCKETS`] (`up_to: None`: slower than the last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseBucket {
    pub up_to: Option<u64>,
    pub count: u64,
}

/// One channel's interactions in one interval of a team's volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeRow {
    pub start: DateTime<FixedOffset>,
    pub kind: crate::ActivityKind,
    pub inbound: u64,
    pub outbound: u64,
}

/// One of a team's busiest contacts in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopContact {
    pub contact_id: i64,
    pub name: String,
    pub count: u64,
    pub inbound: u64,
    pub outbound: u64,
    pub last_contact: DateTime<chrono::Utc>,
}

/// How many contacts [`TeamAnalytics::top_contacts`] lists.
pub const TOP_CONTACTS: u32 = 10;

/// `GET /reports/teams/{id}`: a team's communication over a range (its own activities:
/// what its agents and integrations wrote for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamAnalytics {
    pub team: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    pub time_zone: String,
    /// The range's local start (midnight of `from`, with its offset).
    pub start: DateTime<FixedOffset>,
    /// By interval, then channel; only intervals with interactions.
    pub rows: Vec<VolumeRow>,
    /// By channel over the range, most used first.
    pub channels: Vec<ChannelCount>,
    pub total: u64,
    pub inbound: u64,
    pub outbound: u64,
    /// Inbound e-mails and SMS of the range and their replies (whenever they came).
    pub first_response: ResponseTimes,
    /// Answered ones by reply time, fastest first (every bucket, empty ones too).
    pub response_buckets: Vec<ResponseBucket>,
    /// Busiest contacts first (ties: the most recent first), at most [`TOP_CONTACTS`].
    pub top_contacts: Vec<TopContact>,
}

/// What a conversations report may group by besides attributes: the interaction's own
/// channel and direction.
pub const GROUP_BY_CHANNEL: &str = "channel";
pub const GROUP_BY_DIRECTION: &str = "direction";

/// The most attribute filters one conversations report takes.
pub const MAX_ATTRIBUTE_FILTERS: usize = 5;

/// The most group values a conversations report lists one by one (the busiest); the
/// rest are summed in one row marked `other`.
pub const MAX_GROUPS: usize = 100;

/// `GET /reports/conversations`'s repeatable parameter, besides [`ReportQuery`]'s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationFilters {
    /// `name:value`, up to five, each a different conversation attribute: only
    /// conversations whose attribute is exactly that value (`name:` — an empty value —
    /// only those without it).
    pub filter: Option<Vec<String>>,
}

/// `filter=name:value`: only conversations whose attribute `name` is exactly `value`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributeFilter {
    pub name: String,
    pub value: String,
}

impl AttributeFilter {
    /// `name:value` (the first `:` separates them; a value may hold more).
    pub fn parse(s: &str) -> Option<AttributeFilter> {
        let (name, value) = s.split_once(':')?;
        let name = name.trim();
        (!name.is_empty()).then(|| AttributeFilter {
            name: name.to_owned(),
            value: value.trim().to_owned(),
        })
    }
}

/// A measure (a numeric conversation attribute) over a row's conversations: how many
/// carried it, its sum and its mean over those (`None` when none did).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasureStat {
    pub count: u64,
    pub sum: f64,
    pub avg: Option<f64>,
}

/// One group of a conversations report in an interval (or, in `totals`, over the range).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationRow {
    pub start: DateTime<FixedOffset>,
    /// The group's value; `None` for conversations without the attribute (and for the
    /// `other` row and the grand total).
    pub value: Option<String>,
    /// The sum of the groups beyond the [`MAX_GROUPS`] busiest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub other: bool,
    pub conversations: u64,
    pub inbound: u64,
    pub outbound: u64,
    /// By measure name, the measures any of the row's conversations carried.
    pub measures: BTreeMap<String, MeasureStat>,
}

/// A conversation attribute a report may group or filter by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributeDef {
    pub name: String,
    /// `text`, `number` (a measure: summed and averaged) or `date`.
    pub kind: String,
}

/// `GET /reports/conversations`: a team's interactions (docs/reports.md, "What an
/// interaction is") grouped by a conversation attribute, its channel or direction,
/// filtered by attributes, with the numeric attributes (measures) summed and averaged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationReport {
    pub team: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    pub time_zone: String,
    pub start: DateTime<FixedOffset>,
    pub group_by: String,
    pub channel: Option<crate::ActivityKind>,
    pub direction: Option<crate::Direction>,
    pub filters: Vec<AttributeFilter>,
    /// By interval, then group (busiest first); only intervals with conversations.
    pub rows: Vec<ConversationRow>,
    /// By group over the range, busiest first (ties: by value, no value last), the
    /// `other` row last.
    pub totals: Vec<ConversationRow>,
    pub total: ConversationRow,
    /// How many group values the `other` row sums (0: none).
    pub other_groups: u64,
    /// What may be grouped or filtered by.
    pub attributes: Vec<AttributeDef>,
}

/// The most activities a contact's analytics read (the newest of the range).
pub const MAX_ANALYTICS_ACTIVITIES: u32 = 50_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_split_at_its_first_colon() {
        let f = AttributeFilter::parse(" campaign : Ventas: 2026 ").unwrap();
        assert_eq!(
            (f.name.as_str(), f.value.as_str()),
            ("campaign", "Ventas: 2026")
        );
        assert_eq!(AttributeFilter::parse("abandoned:").unwrap().value, "");
        assert_eq!(AttributeFilter::parse("campaign"), None);
        assert_eq!(AttributeFilter::parse(":x"), None);
    }

    #[test]
    fn intervals_read_their_own_names() {
        for i in Interval::ALL {
            assert_eq!(Interval::parse(i.as_str()), Some(i));
            let json = serde_json::to_string(&i).unwrap();
            assert_eq!(json, format!("\"{}\"", i.as_str()));
        }
        assert_eq!(Interval::parse("minute"), None);
    }
}
