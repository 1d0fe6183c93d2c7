//! The conversations report (docs/reports.md, "Conversations by attribute"): a team's
//! interactions grouped by a conversation attribute — or their channel or direction —,
//! filtered by attribute values, channel and direction, with the numeric attributes
//! (measures) summed and averaged, by interval. The API, the back office and the
//! `report conversations` command all call [`conversations`].

use std::collections::{BTreeMap, HashMap};

use agentdesk_protocol::report::{
    AttributeDef, AttributeFilter, ConversationReport, ConversationRow, GROUP_BY_CHANNEL,
    GROUP_BY_DIRECTION, MAX_ATTRIBUTE_FILTERS, MAX_GROUPS, MeasureStat,
};
use agentdesk_protocol::{ActivityKind, Direction, parse_direction};

use super::{Scope, ScopeProblem, round2};
use crate::store::reports::{ConversationQuery, Group};
use crate::store::{DynStore, StoreResult};

/// The conversation attributes (`attribute_defs` whose scope is `conversation`) and
/// whether each is a number (a measure): each is a column of the table the report reads
/// (`store/shared/conversation_report.rs`). A migration that defines another adds its
/// column (a test compares this list with the definitions and the table on both
/// backends).
pub const ATTRIBUTES: &[(&str, bool)] = &[
    ("reason", false),
    ("order_id", false),
    ("promised_date", false),
    ("amount", true),
    ("segment_link", false),
    ("abandoned", false),
    ("abandoned_phase", false),
    ("activity", false),
    ("campaign", false),
    ("case", false),
    ("content", false),
    ("destination", false),
    ("external_contact", false),
    ("followed_by", false),
    ("handling_department_id", false),
    ("handling_department_name", false),
    ("handling_department_name_in_hierarchy", false),
    ("handling_team_id", false),
    ("handling_team_name", false),
    ("handling_team_name_in_hierarchy", false),
    ("hang_up_by", false),
    ("in_business_hours", false),
    ("initiated_by", false),
    ("initiative", false),
    ("ivr_path", false),
    ("language", false),
    ("outcome", false),
    ("preceded_by", false),
    ("productive", false),
    ("queue", false),
    ("service_level", false),
    ("source", false),
    ("virtual", false),
    ("workflow", false),
    ("conversation_attribute_1", false),
    ("conversation_attribute_2", false),
    ("conversation_attribute_3", false),
    ("conversation_attribute_4", false),
    ("conversation_attribute_5", false),
    ("conversation_attribute_6", false),
    ("conversation_attribute_7", false),
    ("conversation_attribute_8", false),
    ("conversation_attribute_9", false),
    ("conversation_attribute_10", false),
    ("conversation_label_1", false),
    ("conversation_label_2", false),
    ("conversation_label_3", false),
    ("conversation_label_4", false),
    ("conversation_label_5", false),
    ("conversation_label_6", false),
    ("conversation_label_7", false),
    ("conversation_label_8", false),
    ("conversation_label_9", false),
    ("conversation_label_10", false),
    ("order", true),
    ("activity_time", true),
    ("average_response_time", true),
    ("first_response_time", true),
    ("focus_time", true),
    ("hold_time", true),
    ("ivr_time", true),
    ("conversation_measure_1", true),
    ("conversation_measure_2", true),
    ("conversation_measure_3", true),
    ("conversation_measure_4", true),
    ("conversation_measure_5", true),
    ("conversation_measure_6", true),
    ("conversation_measure_7", true),
    ("conversation_measure_8", true),
    ("conversation_measure_9", true),
    ("conversation_measure_10", true),
];

/// Longest attribute value a filter may name (an attribute's value is at most 128
/// characters; a recording's link, 2,048).
const MAX_FILTER_VALUE: usize = 2_048;

/// What a conversations report groups and filters by, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub group_by: String,
    pub channel: Option<ActivityKind>,
    pub direction: Option<Direction>,
    pub filters: Vec<AttributeFilter>,
}

/// The conversation attributes a report may name, by name: (name, kind).
pub fn attribute_defs(defs: &BTreeMap<String, (String, String)>) -> Vec<AttributeDef> {
    defs.iter()
        .filter(|(_, (_, scope))| scope == "conversation")
        .map(|(name, (kind, _))| AttributeDef {
            name: name.clone(),
            kind: kind.clone(),
        })
        .collect()
}

impl Slice {
    /// Check what was asked against the defined attributes (`defs`: name → (kind,
    /// scope)). Blank values are not asked.
    pub fn new(
        defs: &BTreeMap<String, (String, String)>,
        group_by: Option<&str>,
        channel: Option<&str>,
        direction: Option<&str>,
        filters: Vec<String>,
    ) -> Result<Slice, ScopeProblem> {
        let conversation = |name: &str| {
            defs.get(name)
                .is_some_and(|(_, scope)| scope == "conversation")
        };
        let group_by = blank(group_by).unwrap_or(GROUP_BY_CHANNEL).to_owned();
        if group_by != GROUP_BY_CHANNEL
            && group_by != GROUP_BY_DIRECTION
            && !conversation(&group_by)
        {
            return Err((
                "group_by",
                format!(
                    "`channel`, `direction` or a conversation attribute (not `{}`)",
                    short(&group_by)
                ),
            ));
        }
        let channel = match blank(channel) {
            None => None,
            Some(c) => match c.parse::<ActivityKind>() {
                Ok(k) if !matches!(k, ActivityKind::Note | ActivityKind::FollowUp) => Some(k),
                _ => {
                    return Err(("channel", "email, chat, ticket, call or sms".into()));
                }
            },
        };
        let direction = match blank(direction) {
            None => None,
            Some(d) => {
                Some(parse_direction(d).ok_or(("direction", "inbound or outbound".to_owned()))?)
            }
        };
        let filters = filters
            .iter()
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                let parsed = AttributeFilter::parse(f).ok_or((
                    "filter",
                    "name:value (an empty value: without it)".to_owned(),
                ))?;
                if !conversation(&parsed.name) {
                    return Err((
                        "filter",
                        format!("`{}` is not a conversation attribute", short(&parsed.name)),
                    ));
                }
                if parsed.value.contains('\0') || parsed.value.chars().count() > MAX_FILTER_VALUE {
                    return Err((
                        "filter",
                        format!("a value of at most {MAX_FILTER_VALUE} characters, no NUL"),
                    ));
                }
                Ok(parsed)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if filters.len() > MAX_ATTRIBUTE_FILTERS {
            return Err(("filter", format!("at most {MAX_ATTRIBUTE_FILTERS} filters")));
        }
        let mut names: Vec<&str> = filters.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(("filter", "one filter per attribute".into()));
        }
        Ok(Slice {
            group_by,
            channel,
            direction,
            filters,
        })
    }
}

/// A value trimmed; blank is none.
fn blank(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// A name as an error message quotes it: at most 64 characters, no control characters.
fn short(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// A row's sums.
#[derive(Debug, Clone, Default)]
struct Acc {
    n: u64,
    inbound: u64,
    measures: BTreeMap<String, (u64, f64)>,
}

impl Acc {
    fn merge(&mut self, o: &Acc) {
        self.n += o.n;
        self.inbound += o.inbound;
        for (name, (n, sum)) in &o.measures {
            let m = self.measures.entry(name.clone()).or_default();
            m.0 += n;
            m.1 += sum;
        }
    }

    fn row(
        &self,
        start: chrono::DateTime<chrono::FixedOffset>,
        value: Option<String>,
        other: bool,
    ) -> ConversationRow {
        ConversationRow {
            start,
            value,
            other,
            conversations: self.n,
            inbound: self.inbound,
            outbound: self.n.saturating_sub(self.inbound),
            measures: self
                .measures
                .iter()
                .map(|(name, (n, sum))| {
                    let stat = MeasureStat {
                        count: *n,
                        sum: round2(*sum),
                        avg: (*n > 0).then(|| round2(sum / *n as f64)),
                    };
                    (name.clone(), stat)
                })
                .collect(),
        }
    }
}

/// The conversations report of `scope` sliced by `slice`; `defs` are the attribute
/// definitions it was checked against.
pub async fn conversations(
    store: &DynStore,
    scope: &Scope,
    slice: &Slice,
    defs: &BTreeMap<String, (String, String)>,
) -> StoreResult<ConversationReport> {
    let range = scope.range();
    let key = scope.key_sql();
    let filters: Vec<(String, String)> = slice
        .filters
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    let q = ConversationQuery {
        team: scope.team,
        range,
        key: &key,
        group: match slice.group_by.as_str() {
            GROUP_BY_CHANNEL => Group::Channel,
            GROUP_BY_DIRECTION => Group::Direction,
            name => Group::Attribute(name),
        },
        channel: slice.channel.map(ActivityKind::as_str),
        inbound: slice.direction.map(|d| d == Direction::Inbound),
        filters: &filters,
    };
    // (interval start, group) → sums; the start of two keys of one interval (the repeated
    // hour of an autumn change) stays two.
    let mut cells: BTreeMap<(i64, Option<String>), Acc> = BTreeMap::new();
    for c in store.conversation_sums(&q).await? {
        let acc = cells.entry((c.k, c.value)).or_default();
        acc.n += c.n.max(0) as u64;
        acc.inbound += c.inbound.max(0) as u64;
        for (name, n, total) in c.measures {
            let e = acc.measures.entry(name.to_owned()).or_default();
            e.0 += n.max(0) as u64;
            e.1 += total;
        }
    }
    let mut per_group: HashMap<Option<String>, Acc> = HashMap::new();
    let mut all = Acc::default();
    for ((_, value), acc) in &cells {
        per_group.entry(value.clone()).or_default().merge(acc);
        all.merge(acc);
    }
    // The busiest groups by name; the rest summed as one.
    let mut ranked: Vec<(Option<String>, Acc)> = per_group.into_iter().collect();
    // Ties by value, conversations without the attribute after those with one.
    ranked.sort_by(|a, b| {
        b.1.n
            .cmp(&a.1.n)
            .then_with(|| a.0.is_none().cmp(&b.0.is_none()))
            .then_with(|| a.0.cmp(&b.0))
    });
    let others: Vec<(Option<String>, Acc)> = if ranked.len() > MAX_GROUPS {
        ranked.split_off(MAX_GROUPS)
    } else {
        Vec::new()
    };
    let rank: HashMap<Option<String>, usize> = ranked
        .iter()
        .enumerate()
        .map(|(i, (v, _))| (v.clone(), i))
        .collect();
    let start = scope.local(range.0);
    let mut totals: Vec<ConversationRow> = ranked
        .iter()
        .map(|(v, acc)| acc.row(start, v.clone(), false))
        .collect();
    if !others.is_empty() {
        let mut rest = Acc::default();
        for (_, acc) in &others {
            rest.merge(acc);
        }
        totals.push(rest.row(start, None, true));
    }
    // Rows: by interval, then the group's rank (other last).
    let mut by_interval: BTreeMap<(i64, usize), (Option<String>, Acc)> = BTreeMap::new();
    for ((k, value), acc) in cells {
        let at = scope.start_of(k);
        let r = rank.get(&value).copied().unwrap_or(MAX_GROUPS);
        let slot = by_interval
            .entry((at, r))
            .or_insert_with(|| (if r == MAX_GROUPS { None } else { value }, Acc::default()));
        slot.1.merge(&acc);
    }
    let rows = by_interval
        .into_iter()
        .map(|((at, r), (value, acc))| acc.row(scope.local(at), value, r == MAX_GROUPS))
        .collect();
    Ok(ConversationReport {
        team: scope.team,
        from: scope.from,
        to: scope.to,
        interval: scope.interval,
        time_zone: scope.tz.name().to_owned(),
        start,
        group_by: slice.group_by.clone(),
        channel: slice.channel,
        direction: slice.direction,
        filters: slice.filters.clone(),
        rows,
        totals,
        total: all.row(start, None, false),
        other_groups: others.len() as u64,
        attributes: attribute_defs(defs),
    })
}
