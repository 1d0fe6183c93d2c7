//! The agent report's table (`/reports`, back office): a page of interval rows — the
//! server pages them (a month by quarter hour of a large team is hundreds of thousands of
//! rows) — with a pager, and every agent's totals over the range.

use agentdesk_protocol::report::{AgentReport, AgentRow};
use leptos::prelude::*;

use crate::components::time::elapsed;
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::pages::reports::{pct, secs, start_label};

fn agent_cells(r: &AgentRow, first: String) -> impl IntoView + use<> {
    let reasons = r
        .break_reasons
        .iter()
        .map(|(k, v)| format!("{k} {}", elapsed(v.round() as u64)))
        .collect::<Vec<_>>()
        .join(" · ");
    // Longest first: what the agent's time went to.
    let mut by_time: Vec<(&String, &f64)> = r.statuses.iter().collect();
    by_time.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let statuses = by_time
        .iter()
        .map(|(k, v)| format!("{k} {}", elapsed(v.round() as u64)))
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <th scope="row">{first}</th>
        <td>{r.agent.clone()}</td>
        <td class="num">{elapsed(r.login.round() as u64)}</td>
        <td class="num" title=reasons>{elapsed(r.on_break.round() as u64)}</td>
        <td class="num">{r.answered}</td>
        <td class="num">{r.handled}</td>
        <td class="num">{elapsed(r.talk.round() as u64)}</td>
        <td class="num">{elapsed(r.hold.round() as u64)}</td>
        <td class="num">{elapsed(r.wrap_up.round() as u64)}</td>
        <td class="num">{secs(r.avg_handle)}</td>
        <td class="num">{r.ring_no_answer}</td>
        <td class="num">{r.outbound}</td>
        <td class="num">{pct(r.occupancy)}</td>
        <td class="num">{elapsed(r.connected.round() as u64)}</td>
        <td class="status-times">{statuses}</td>
    }
}

/// The agent report's page of interval rows, a pager when there are more pages (the
/// totals, below, always cover the whole range).
#[component]
pub fn AgentView(report: AgentReport, page: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    if report.rows.is_empty() && report.pages <= 1 {
        return view! { <p class="muted" id="report-empty">{move || i18n.t(OfficeMsg::ReportEmpty)}</p> }.into_any();
    }
    let interval = report.interval;
    let heads = [
        OfficeMsg::Date,
        OfficeMsg::Agent,
        OfficeMsg::LoggedIn,
        OfficeMsg::OnBreak,
        OfficeMsg::Answered,
        OfficeMsg::Handled,
        OfficeMsg::TalkTime,
        OfficeMsg::HoldTime,
        OfficeMsg::WrapUpTime,
        OfficeMsg::AvgHandle,
        OfficeMsg::RingNoAnswer,
        OfficeMsg::OutboundCalls,
        OfficeMsg::Occupancy,
        OfficeMsg::OnDesktop,
        OfficeMsg::StatusTimes,
    ]
    .map(|m| view! { <th scope="col">{move || i18n.t(m)}</th> });
    let rows = report
        .rows
        .iter()
        .map(|r| view! { <tr>{agent_cells(r, start_label(&r.start, interval))}</tr> })
        .collect_view();
    let totals = report
        .totals
        .iter()
        .map(|r| view! { <tr class="total">{agent_cells(r, i18n.t(OfficeMsg::Total).to_string())}</tr> })
        .collect_view();
    view! {
        <ReportPager shown=report.page pages=report.pages page />
        <div class="table-scroll">
            <table class="data-table" id="report-table">
                <thead><tr>{heads.collect_view()}</tr></thead>
                <tbody>{rows}</tbody>
                <tfoot>{totals}</tfoot>
            </table>
        </div>
    }
    .into_any()
}

/// Previous, "page n of m", next — only when there is more than one page. (Its own, not
/// the timeline's: that one lives in the agent's bundle, and sharing it grew it.)
#[component]
fn ReportPager(shown: u32, pages: u32, page: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    (pages > 1).then(|| {
        let status = i18n
            .t(Msg::PageOf)
            .replace("{n}", &shown.to_string())
            .replace("{m}", &pages.to_string());
        view! {
            <nav class="pager" aria-label=move || i18n.t(Msg::Pages)>
                <button class="btn btn-small pager-btn" id="report-page-prev" disabled=shown <= 1
                    aria-label=move || i18n.t(Msg::PreviousPage)
                    on:click=move |_| page.set(shown.saturating_sub(1).max(1))>"‹"</button>
                <span class="muted small" id="report-page-status">{status}</span>
                <button class="btn btn-small pager-btn" id="report-page-next" disabled=shown >= pages
                    aria-label=move || i18n.t(Msg::NextPage)
                    on:click=move |_| page.set((shown + 1).min(pages))>"›"</button>
            </nav>
        }
    })
}
