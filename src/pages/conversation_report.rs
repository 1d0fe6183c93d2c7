//! The Reports page's "Conversations by attribute" tab: a team's interactions grouped by
//! a conversation attribute, channel or direction and filtered by an attribute's value
//! (`/reports/conversations`, computed by the server): a chart of the busiest groups per
//! interval, the same numbers as a table, and the measures of each group.

use agentdesk_protocol::report::{
    AttributeDef, ConversationReport, ConversationRow, GROUP_BY_CHANNEL, GROUP_BY_DIRECTION,
    Interval,
};
use chrono::{DateTime, FixedOffset};
use leptos::prelude::*;

use super::reports::{StackedChart, start_label};
use crate::api;
use crate::i18n::{I18n, Msg, OfficeMsg, use_i18n};

/// Colours of the groups the chart shows one by one (the busiest), then the rest's.
const COLOURS: [&str; 8] = [
    "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#c62828", "#5d4037", "#ad1457",
];
const REST: &str = "#9e9e9e";

/// What the tab asks besides range and interval.
#[derive(Clone, Copy)]
pub struct Slice {
    pub group_by: RwSignal<String>,
    pub filter_name: RwSignal<String>,
    pub filter_value: RwSignal<String>,
    /// The attributes the last answer listed (what may be grouped or filtered by).
    pub attributes: RwSignal<Vec<AttributeDef>>,
}

impl Default for Slice {
    fn default() -> Slice {
        Slice {
            group_by: RwSignal::new(GROUP_BY_CHANNEL.to_owned()),
            filter_name: RwSignal::new(String::new()),
            filter_value: RwSignal::new(String::new()),
            attributes: RwSignal::new(Vec::new()),
        }
    }
}

impl Slice {
    /// The query's own part (`&group_by=…&filter=…`).
    pub fn query(&self) -> String {
        let mut q = format!("&group_by={}", api::encode(&self.group_by.get()));
        let name = self.filter_name.get();
        // Asked once a value is typed (the API's `name:` — without it — is not offered).
        if !name.is_empty() && !self.filter_value.get().trim().is_empty() {
            let f = format!("{name}:{}", self.filter_value.get().trim());
            q.push_str(&format!("&filter={}", api::encode(&f)));
        }
        q
    }
}

/// An attribute's name as shown: Insights' common ones and the numbered custom ones
/// translated, the others as they are named.
pub fn attribute_name(i18n: I18n, name: &str) -> String {
    let numbered = |prefix: &str, m: OfficeMsg| {
        name.strip_prefix(prefix)
            .filter(|n| n.parse::<u8>().is_ok())
            .map(|n| i18n.t(m).replace("{n}", n))
    };
    if let Some(s) = numbered("conversation_attribute_", OfficeMsg::AttrCustom)
        .or_else(|| numbered("conversation_label_", OfficeMsg::AttrLabel))
        .or_else(|| numbered("conversation_measure_", OfficeMsg::AttrMeasure))
    {
        return s;
    }
    let m = match name {
        GROUP_BY_CHANNEL => OfficeMsg::ByChannel,
        GROUP_BY_DIRECTION => OfficeMsg::ByDirection,
        "campaign" => OfficeMsg::AttrCampaign,
        "queue" => OfficeMsg::AttrQueue,
        "outcome" => OfficeMsg::AttrOutcome,
        "abandoned" => OfficeMsg::AttrAbandoned,
        "abandoned_phase" => OfficeMsg::AttrAbandonedPhase,
        "hang_up_by" => OfficeMsg::AttrHangUpBy,
        "handling_team_name" => OfficeMsg::AttrHandlingTeam,
        "handling_department_name" => OfficeMsg::AttrHandlingDepartment,
        "language" => OfficeMsg::AttrLanguage,
        "in_business_hours" => OfficeMsg::AttrInBusinessHours,
        "initiated_by" => OfficeMsg::AttrInitiatedBy,
        "hold_time" => OfficeMsg::AttrHoldTime,
        "ivr_time" => OfficeMsg::AttrIvrTime,
        _ => return name.to_owned(),
    };
    i18n.t(m).to_owned()
}

/// A group's name as shown: channels and directions translated, no value said so.
fn group_label(i18n: I18n, group_by: &str, row: &ConversationRow, others: u64) -> String {
    if row.other {
        return i18n
            .t(OfficeMsg::OtherGroups)
            .replace("{n}", &others.to_string());
    }
    let Some(v) = &row.value else {
        return i18n.t(OfficeMsg::NoValue).to_owned();
    };
    match group_by {
        GROUP_BY_CHANNEL => v
            .parse()
            .map(|k| i18n.t(super::contact::kind_label(k)).to_owned())
            .unwrap_or_else(|_| v.clone()),
        GROUP_BY_DIRECTION if v == "inbound" => i18n.t(Msg::Inbound).to_owned(),
        GROUP_BY_DIRECTION if v == "outbound" => i18n.t(Msg::Outbound).to_owned(),
        _ => v.clone(),
    }
}

/// The group-by and filter controls.
#[component]
pub fn SliceControls(slice: Slice) -> impl IntoView {
    let i18n = use_i18n();
    let names = move || slice.attributes.get().into_iter().map(|a| a.name);
    view! {
        <label>{move || i18n.t(OfficeMsg::GroupBy)}
            <select id="report-group-by" class="input"
                on:change=move |ev| slice.group_by.set(event_target_value(&ev))>
                // `selected` on each option: the list of attributes arrives after the select.
                {move || [GROUP_BY_CHANNEL.to_owned(), GROUP_BY_DIRECTION.to_owned()].into_iter().chain(names()).map(|n| {
                    let chosen = slice.group_by.get() == n;
                    view! { <option value=n.clone() selected=chosen>{attribute_name(i18n, &n)}</option> }
                }).collect_view()}
            </select>
        </label>
        <label>{move || i18n.t(OfficeMsg::FilterBy)}
            <select id="report-filter-name" class="input"
                on:change=move |ev| {
                    // Another attribute's values are its own.
                    slice.filter_value.set(String::new());
                    slice.filter_name.set(event_target_value(&ev));
                }>
                <option value="" selected=move || slice.filter_name.get().is_empty()>{move || i18n.t(OfficeMsg::NoFilter)}</option>
                {move || names().map(|n| {
                    let chosen = slice.filter_name.get() == n;
                    view! { <option value=n.clone() selected=chosen>{attribute_name(i18n, &n)}</option> }
                }).collect_view()}
            </select>
        </label>
        <Show when=move || !slice.filter_name.get().is_empty()>
            <label>{move || i18n.t(OfficeMsg::FilterValue)}
                <input id="report-filter-value" class="input" maxlength="2048"
                    prop:value=move || slice.filter_value.get()
                    on:change=move |ev| slice.filter_value.set(event_target_value(&ev)) />
            </label>
        </Show>
    }
}

#[component]
pub fn ConversationView(report: ConversationReport) -> impl IntoView {
    let i18n = use_i18n();
    if report.total.conversations == 0 {
        return view! { <p class="muted" id="report-empty">{move || i18n.t(OfficeMsg::ReportEmpty)}</p> }.into_any();
    }
    let interval: Interval = report.interval;
    let (group_by, others) = (report.group_by.clone(), report.other_groups);
    // The chart: the busiest groups one by one, the rest as one segment.
    let shown: Vec<Option<String>> = report
        .totals
        .iter()
        .filter(|t| !t.other)
        .take(COLOURS.len())
        .map(|t| t.value.clone())
        .collect();
    let rest = report.totals.len() > shown.len();
    let mut bars: Vec<(DateTime<FixedOffset>, Vec<u64>)> = Vec::new();
    let width = shown.len() + usize::from(rest);
    for r in &report.rows {
        if bars.last().is_none_or(|(s, _)| *s != r.start) {
            bars.push((r.start, vec![0; width]));
        }
        let i = match shown.iter().position(|v| *v == r.value && !r.other) {
            Some(i) => i,
            None => shown.len(),
        };
        if let Some((_, v)) = bars.last_mut()
            && let Some(cell) = v.get_mut(i)
        {
            *cell += r.conversations;
        }
    }
    let mut series: Vec<(&'static str, Signal<String>)> = report
        .totals
        .iter()
        .filter(|t| !t.other)
        .take(COLOURS.len())
        .zip(COLOURS)
        .map(|(t, c)| {
            let (t, g) = (t.clone(), group_by.clone());
            (c, Signal::derive(move || group_label(i18n, &g, &t, others)))
        })
        .collect();
    if rest {
        series.push((
            REST,
            Signal::derive(move || i18n.t(OfficeMsg::Others).to_owned()),
        ));
    }
    let caption = Signal::derive(move || i18n.t(OfficeMsg::ConversationsPerInterval).to_string());
    let measures: Vec<String> = report.total.measures.keys().cloned().collect();
    let head = |m: OfficeMsg| view! { <th scope="col">{move || i18n.t(m)}</th> };
    let head_msg = |m: Msg| view! { <th scope="col">{move || i18n.t(m)}</th> };
    let line = {
        let (g, measures) = (group_by.clone(), measures.clone());
        move |r: &ConversationRow, first: AnyView, class: &'static str| {
            let label = group_label(i18n, &g, r, others);
            let cells = measures
                .iter()
                .map(|m| {
                    let text = r
                        .measures
                        .get(m)
                        .and_then(|s| s.avg)
                        .map(|a| format!("{a}"))
                        .unwrap_or_else(|| "—".into());
                    view! { <td class="num">{text}</td> }
                })
                .collect_view();
            view! {
                <tr class=class>
                    {first}
                    <td>{label}</td>
                    <td class="num">{r.conversations}</td>
                    <td class="num">{r.inbound}</td>
                    <td class="num">{r.outbound}</td>
                    {cells}
                </tr>
            }
        }
    };
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let first = view! { <th scope="row">{start_label(&r.start, interval)}</th> };
            line(r, first.into_any(), "")
        })
        .collect_view();
    let totals = report
        .totals
        .iter()
        .chain(std::iter::once(&report.total))
        .map(|r| {
            let first = view! { <th scope="row">{move || i18n.t(OfficeMsg::Total)}</th> };
            line(r, first.into_any(), "total")
        })
        .collect_view();
    let measure_heads = measures
        .iter()
        .map(|m| {
            let m = m.clone();
            view! { <th scope="col" title=move || i18n.t(OfficeMsg::MeasureAvg)>{move || attribute_name(i18n, &m)}</th> }
        })
        .collect_view();
    let sums = report
        .totals
        .iter()
        .flat_map(|t| {
            let label = group_label(i18n, &group_by, t, others);
            t.measures.iter().map(move |(m, s)| {
                view! {
                    <tr>
                        <th scope="row">{label.clone()}</th>
                        <td>{attribute_name(i18n, m)}</td>
                        <td class="num">{s.count}</td>
                        <td class="num">{s.sum}</td>
                        <td class="num">{s.avg.map(|a| a.to_string()).unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }
            })
        })
        .collect_view();
    let (g1, g2) = (report.group_by.clone(), report.group_by.clone());
    view! {
        <div class="analytics" id="conversation-report">
            <StackedChart id="conversation-chart" bars series caption interval />
            <div class="table-scroll">
                <table class="data-table" id="conversation-table">
                    <thead><tr>{head(OfficeMsg::Date)}<th scope="col">{move || attribute_name(i18n, &g1)}</th>
                        {head(OfficeMsg::Conversations)}{head_msg(Msg::Inbound)}{head_msg(Msg::Outbound)}{measure_heads}</tr></thead>
                    <tbody>{rows}</tbody>
                    <tfoot>{totals}</tfoot>
                </table>
            </div>
            <h2>{move || i18n.t(OfficeMsg::Measures)}</h2>
            <table class="data-table" id="conversation-measures">
                <thead><tr><th scope="col">{move || attribute_name(i18n, &g2)}</th><th scope="col">{move || i18n.t(OfficeMsg::Measures)}</th>
                    {head(OfficeMsg::MeasureCount)}{head(OfficeMsg::MeasureSum)}{head(OfficeMsg::MeasureAvg)}</tr></thead>
                <tbody>{sums}</tbody>
            </table>
        </div>
    }
    .into_any()
}
