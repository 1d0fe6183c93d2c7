//! The Reports page's "Communication" tab: a team's interactions over the range
//! (`/reports/teams/{id}`, computed by the server): totals, interactions per interval
//! by channel (chart and table), channel mix, first-response times and their
//! distribution, and the busiest contacts.

use agentdesk_protocol::ActivityKind;
use agentdesk_protocol::report::{RESPONSE_BUCKETS, ResponseBucket, TeamAnalytics};
use chrono::{DateTime, FixedOffset};
use leptos::prelude::*;

use super::contact::kind_label;
use super::reports::{StackedChart, start_label};
use crate::components::time::{Time, elapsed};
use crate::i18n::{Msg, OfficeMsg, use_i18n};

/// Chart colours by channel, in the order the chart stacks them.
const CHANNELS: [(ActivityKind, &str); 5] = [
    (ActivityKind::Email, "#1565c0"),
    (ActivityKind::Chat, "#6a1b9a"),
    (ActivityKind::Ticket, "#ef6c00"),
    (ActivityKind::Call, "#2e7d32"),
    (ActivityKind::Sms, "#00838f"),
];

fn bucket_label(b: &ResponseBucket) -> String {
    match b.up_to {
        Some(s) => format!("≤ {}", elapsed(s)),
        None => format!(
            "> {}",
            elapsed(RESPONSE_BUCKETS[RESPONSE_BUCKETS.len() - 1])
        ),
    }
}

#[component]
pub fn TeamView(report: TeamAnalytics) -> impl IntoView {
    let i18n = use_i18n();
    if report.total == 0 {
        return view! { <p class="muted" id="report-empty">{move || i18n.t(OfficeMsg::ReportEmpty)}</p> }.into_any();
    }
    let interval = report.interval;
    // The chart: a bar per interval, a segment per channel.
    let mut bars: Vec<(DateTime<FixedOffset>, Vec<u64>)> = Vec::new();
    for r in &report.rows {
        let i = CHANNELS.iter().position(|(k, _)| *k == r.kind).unwrap_or(0);
        if bars.last().is_none_or(|(s, _)| *s != r.start) {
            bars.push((r.start, vec![0; CHANNELS.len()]));
        }
        if let Some((_, v)) = bars.last_mut() {
            v[i] += r.inbound + r.outbound;
        }
    }
    let series = CHANNELS
        .map(|(k, c)| (c, Signal::derive(move || i18n.t(kind_label(k)).to_string())))
        .to_vec();
    let caption = Signal::derive(move || i18n.t(OfficeMsg::InteractionsPerInterval).to_string());
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let k = r.kind;
            view! {
                <tr data-kind=k.as_str()>
                    <th scope="row">{start_label(&r.start, interval)}</th>
                    <td>{move || i18n.t(kind_label(k))}</td>
                    <td class="num">{r.inbound}</td>
                    <td class="num">{r.outbound}</td>
                    <td class="num">{r.inbound + r.outbound}</td>
                </tr>
            }
        })
        .collect_view();
    let totals = report
        .channels
        .iter()
        .map(|c| {
            let k = c.kind;
            view! {
                <tr class="total" data-kind=k.as_str()>
                    <th scope="row">{move || i18n.t(OfficeMsg::Total)}</th>
                    <td>{move || i18n.t(kind_label(k))}</td>
                    <td class="num">{c.inbound}</td>
                    <td class="num">{c.outbound}</td>
                    <td class="num">{c.count}</td>
                </tr>
            }
        })
        .collect_view();
    let answered = report.first_response.answered.max(1);
    let replies = report
        .response_buckets
        .iter()
        .map(|b| {
            let share = (b.count * 100 + answered / 2) / answered;
            view! {
                <li>
                    <span class="mix-label">{bucket_label(b)}</span>
                    <span class="mix-bar" style:width=format!("{share}%")></span>
                    <span class="mix-value">{format!("{} · {share} %", b.count)}</span>
                </li>
            }
        })
        .collect_view();
    let r = &report.first_response;
    let response = match (r.median, r.p90) {
        (Some(m), Some(p)) => format!("{} · p90 {}", elapsed(m), elapsed(p)),
        _ => "—".to_string(),
    };
    let top = report
        .top_contacts
        .iter()
        .map(|t| {
            let name = if t.name.is_empty() {
                format!("#{}", t.contact_id)
            } else {
                t.name.clone()
            };
            view! {
                <tr>
                    <th scope="row"><a href=format!("/contacts/{}", t.contact_id)>{name}</a></th>
                    <td class="num">{t.count}</td>
                    <td class="num">{format!("{} / {}", t.inbound, t.outbound)}</td>
                    <td><Time at=t.last_contact /></td>
                </tr>
            }
        })
        .collect_view();
    let head = |m: OfficeMsg| view! { <th scope="col">{move || i18n.t(m)}</th> };
    let head_msg = |m: Msg| view! { <th scope="col">{move || i18n.t(m)}</th> };
    view! {
        <div class="analytics" id="team-analytics">
            <dl class="attr-table">
                <div class="attr-row"><dt>{move || i18n.t(OfficeMsg::InteractionsTotal)}</dt><dd id="team-total">{report.total}</dd></div>
                <div class="attr-row"><dt>{move || i18n.t(Msg::InboundOutbound)}</dt><dd>{format!("{} / {}", report.inbound, report.outbound)}</dd></div>
                <div class="attr-row"><dt>{move || i18n.t(Msg::FirstResponse)}</dt>
                    <dd id="team-first-response" title=format!("{} / {}", r.answered, r.unanswered)>{response}</dd></div>
                <div class="attr-row"><dt>{move || i18n.t(OfficeMsg::Unanswered)}</dt><dd>{r.unanswered}</dd></div>
            </dl>
            <StackedChart id="team-chart" bars series caption interval />
            <div class="table-scroll">
                <table class="data-table" id="team-table">
                    <thead><tr>{head(OfficeMsg::Date)}{head(OfficeMsg::Channel)}{head_msg(Msg::Inbound)}{head_msg(Msg::Outbound)}{head(OfficeMsg::Total)}</tr></thead>
                    <tbody>{rows}</tbody>
                    <tfoot>{totals}</tfoot>
                </table>
            </div>
            <h2>{move || i18n.t(OfficeMsg::ResponseTimes)}</h2>
            <ul class="mix" id="team-replies">{replies}</ul>
            <h2>{move || i18n.t(OfficeMsg::TopContacts)}</h2>
            <table class="data-table" id="team-top">
                <thead><tr>{head(OfficeMsg::Contact)}{head(OfficeMsg::InteractionsTotal)}{head_msg(Msg::InboundOutbound)}{head_msg(Msg::LastContact)}</tr></thead>
                <tbody>{top}</tbody>
            </table>
        </div>
    }
    .into_any()
}
