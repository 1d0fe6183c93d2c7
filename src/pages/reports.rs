//! `/reports` (back office): the queue/campaign report, the agent report, the team's
//! communication (`team_report`) and its conversations by attribute
//! (`conversation_report`) of one of the viewer's teams — range, interval, campaign filter, a stacked-bar chart with the same
//! numbers as a table beside it (the accessible view), and the CSV export. The server
//! computes every figure (`/reports/queue`, `/reports/agents`); this page only shows them.

use agentdesk_protocol::TeamRef;
use agentdesk_protocol::report::{
    AgentReport, ConversationReport, Interval, QueueReport, QueueRow, TeamAnalytics,
};
use chrono::{DateTime, FixedOffset};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::error::ErrorNotice;
use crate::components::time::elapsed;
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::pages::agent_report::AgentView;
use crate::pages::conversation_report::{ConversationView, Slice, SliceControls};
use crate::pages::team_report::TeamView;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Queue,
    Agents,
    Team,
    Conversations,
}

#[derive(Clone)]
enum Shown {
    Queue(Box<QueueReport>),
    Agents(AgentReport),
    Team(Box<TeamAnalytics>),
    Conversations(Box<ConversationReport>),
}

/// The query string of a report: only what was chosen (the server fills in the rest).
fn query(team: Option<i64>, from: &str, to: &str, interval: Interval, filter: &str) -> String {
    let mut q = vec![format!("interval={}", interval.as_str())];
    if let Some(t) = team {
        q.push(format!("team={t}"));
    }
    for (k, v) in [("from", from), ("to", to), ("campaign", filter)] {
        if !v.is_empty() {
            q.push(format!("{k}={}", api::encode(v)));
        }
    }
    q.join("&")
}

pub fn start_label(start: &DateTime<FixedOffset>, interval: Interval) -> String {
    match interval {
        Interval::Quarter | Interval::Hour => start.format("%d/%m %H:%M").to_string(),
        Interval::Day | Interval::Week => start.format("%d/%m/%Y").to_string(),
    }
}

pub fn secs(v: Option<f64>) -> String {
    v.map(|s| elapsed(s.round() as u64))
        .unwrap_or_else(|| "—".into())
}

pub fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into())
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let i18n = use_i18n();
    let teams = LocalResource::new(|| api::get::<Vec<TeamRef>>("/teams"));
    let team = RwSignal::new(None::<i64>);
    let kind = RwSignal::new(Kind::Queue);
    let interval = RwSignal::new(Interval::Day);
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let filter = RwSignal::new(String::new());
    // The agent report's page: back to the first whenever what is asked changes.
    let page = RwSignal::new(1u32);
    Effect::new(move |before: Option<_>| {
        let asked = (kind.get(), team.get(), from.get(), to.get(), interval.get());
        if before.is_some_and(|b| b != asked) && page.get_untracked() != 1 {
            page.set(1);
        }
        asked
    });
    let data = RwSignal::new(None::<Result<Shown, ApiError>>);
    let export_error = RwSignal::new(None::<ApiError>);
    let generation = StoredValue::new(0u64);
    let slice = Slice::default();
    // A team is needed when the viewer has several: the first, until another is chosen.
    Effect::new(move |_| {
        if let Some(Ok(ts)) = teams.get()
            && team.get_untracked().is_none()
            && let Some(first) = ts.first()
        {
            team.set(Some(first.id));
        }
    });
    let path = move || match kind.get() {
        Kind::Queue => format!(
            "/reports/queue?{}",
            query(
                team.get(),
                &from.get(),
                &to.get(),
                interval.get(),
                &filter.get()
            )
        ),
        // Neither is filtered by campaign; the team's analytics name the team in the path.
        Kind::Agents => format!(
            "/reports/agents?{}&page={}",
            query(team.get(), &from.get(), &to.get(), interval.get(), ""),
            page.get()
        ),
        Kind::Team => format!(
            "/reports/teams/{}?{}",
            team.get().unwrap_or_default(),
            query(None, &from.get(), &to.get(), interval.get(), "")
        ),
        Kind::Conversations => format!(
            "/reports/conversations?{}{}",
            query(team.get(), &from.get(), &to.get(), interval.get(), ""),
            slice.query()
        ),
    };
    Effect::new(move |_| {
        if team.get().is_none() {
            return;
        }
        let p = path();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        data.set(None);
        let which = kind.get_untracked();
        spawn_local(async move {
            let answer = match which {
                Kind::Queue => api::get::<QueueReport>(&p)
                    .await
                    .map(|r| Shown::Queue(Box::new(r))),
                Kind::Agents => api::get::<AgentReport>(&p).await.map(Shown::Agents),
                Kind::Team => api::get::<TeamAnalytics>(&p)
                    .await
                    .map(|r| Shown::Team(Box::new(r))),
                Kind::Conversations => api::get::<ConversationReport>(&p)
                    .await
                    .map(|r| Shown::Conversations(Box::new(r))),
            };
            if generation.try_get_value() != Some(mine) {
                return;
            }
            // The range the server chose, shown in the inputs.
            if let Ok(r) = &answer {
                let (f, t) = match r {
                    Shown::Queue(r) => (r.from, r.to),
                    Shown::Agents(r) => (r.from, r.to),
                    Shown::Team(r) => (r.from, r.to),
                    Shown::Conversations(r) => {
                        if slice.attributes.get_untracked() != r.attributes {
                            slice.attributes.set(r.attributes.clone());
                        }
                        (r.from, r.to)
                    }
                };
                // Only when they differ: setting them asks again.
                let (f, t) = (f.to_string(), t.to_string());
                if from.get_untracked() != f {
                    from.set(f);
                }
                if to.get_untracked() != t {
                    to.set(t);
                }
            }
            data.set(Some(answer));
        });
    });
    let export = move |_| {
        let p = format!("{}&format=csv", path());
        let name = format!(
            "{}-{}-{}.csv",
            match kind.get_untracked() {
                Kind::Queue => "queue",
                Kind::Agents => "agents",
                Kind::Team => "team",
                Kind::Conversations => "conversations",
            },
            from.get_untracked(),
            to.get_untracked()
        );
        export_error.set(None);
        spawn_local(async move {
            match api::get_text(&p).await {
                Ok(csv) => crate::pages::download_text(&name, &csv),
                Err(e) => export_error.set(Some(e)),
            }
        });
    };
    let interval_name = move |i: Interval| {
        i18n.t(match i {
            Interval::Quarter => OfficeMsg::Interval15,
            Interval::Hour => OfficeMsg::IntervalHour,
            Interval::Day => OfficeMsg::IntervalDay,
            Interval::Week => OfficeMsg::IntervalWeek,
        })
    };
    let campaigns = move || match data.get() {
        Some(Ok(Shown::Queue(r))) => r.campaigns,
        _ => Vec::new(),
    };
    view! {
        <section class="reports-page">
            <header class="page-header">
                <h1>{move || i18n.t(OfficeMsg::Reports)}</h1>
                <div class="tabs" role="tablist">
                    <button role="tab" id="report-tab-queue" class="btn btn-small"
                        aria-selected=move || (kind.get() == Kind::Queue).to_string()
                        on:click=move |_| kind.set(Kind::Queue)>{move || i18n.t(OfficeMsg::QueueReport)}</button>
                    <button role="tab" id="report-tab-agents" class="btn btn-small"
                        aria-selected=move || (kind.get() == Kind::Agents).to_string()
                        on:click=move |_| kind.set(Kind::Agents)>{move || i18n.t(OfficeMsg::AgentReport)}</button>
                    <button role="tab" id="report-tab-team" class="btn btn-small"
                        aria-selected=move || (kind.get() == Kind::Team).to_string()
                        on:click=move |_| kind.set(Kind::Team)>{move || i18n.t(OfficeMsg::TabCommunication)}</button>
                    <button role="tab" id="report-tab-conversations" class="btn btn-small"
                        aria-selected=move || (kind.get() == Kind::Conversations).to_string()
                        on:click=move |_| kind.set(Kind::Conversations)>{move || i18n.t(OfficeMsg::TabConversations)}</button>
                </div>
            </header>
            <form class="range-form" id="report-form" on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()>
                <Show when=move || teams.get().and_then(Result::ok).is_some_and(|t| t.len() > 1)>
                    <label>{move || i18n.t(Msg::Team)}
                        <select id="report-team" class="input" on:change=move |ev| {
                            // Another team's campaigns are its own: the filter starts over.
                            filter.set(String::new());
                            team.set(event_target_value(&ev).parse().ok());
                        }
                            prop:value=move || team.get().map(|t| t.to_string()).unwrap_or_default()>
                            {move || teams.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                .map(|t| view! { <option value=t.id.to_string()>{t.name}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <label>{move || i18n.t(Msg::From)}<input type="date" id="report-from" class="input" prop:value=from
                    on:change=move |ev| from.set(event_target_value(&ev)) /></label>
                <label>{move || i18n.t(Msg::To)}<input type="date" id="report-to" class="input" prop:value=to
                    on:change=move |ev| to.set(event_target_value(&ev)) /></label>
                <label>{move || i18n.t(OfficeMsg::Interval)}
                    <select id="report-interval" class="input"
                        on:change=move |ev| if let Some(i) = Interval::parse(&event_target_value(&ev)) { interval.set(i) }
                        prop:value=move || interval.get().as_str()>
                        {Interval::ALL.into_iter().map(|i| view! { <option value=i.as_str()>{move || interval_name(i)}</option> }).collect_view()}
                    </select>
                </label>
                <Show when=move || kind.get() == Kind::Queue>
                    <label>{move || i18n.t(Msg::CallCampaign)}
                        <select id="report-campaign" class="input" on:change=move |ev| filter.set(event_target_value(&ev))
                            prop:value=move || filter.get()>
                            <option value="">{move || i18n.t(OfficeMsg::AllCampaigns)}</option>
                            {move || campaigns().into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <Show when=move || kind.get() == Kind::Conversations>
                    <SliceControls slice />
                </Show>
                <button class="btn" type="button" id="report-export" on:click=export>{move || i18n.t(OfficeMsg::ExportCsv)}</button>
            </form>
            {move || export_error.get().map(|e| view! { <ErrorNotice error=e /> })}
            {move || match data.get() {
                None => view! { <p class="muted" aria-busy="true">{move || i18n.t(Msg::Loading)}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
                Some(Ok(Shown::Queue(r))) => view! { <QueueView report=*r /> }.into_any(),
                Some(Ok(Shown::Agents(r))) => view! { <AgentView report=r page /> }.into_any(),
                Some(Ok(Shown::Team(r))) => view! { <TeamView report=*r /> }.into_any(),
                Some(Ok(Shown::Conversations(r))) => view! { <ConversationView report=*r /> }.into_any(),
            }}
        </section>
    }
}

/// Answered, abandoned and exited calls per interval (all campaigns shown), stacked.
#[component]
fn QueueChart(rows: Vec<QueueRow>, interval: Interval) -> impl IntoView {
    let i18n = use_i18n();
    let mut bars: Vec<(DateTime<FixedOffset>, Vec<u64>)> = Vec::new();
    for r in &rows {
        let v = [
            r.answered,
            r.abandoned,
            r.exit_empty + r.exit_with_key + r.exit_with_timeout,
        ];
        match bars.last_mut() {
            Some((s, sum)) if *s == r.start => sum.iter_mut().zip(v).for_each(|(a, b)| *a += b),
            _ => bars.push((r.start, v.to_vec())),
        }
    }
    let series = [
        ("#2e7d32", OfficeMsg::Answered),
        ("#c62828", OfficeMsg::Abandoned),
        ("#ef6c00", OfficeMsg::Exits),
    ]
    .map(|(c, m)| (c, Signal::derive(move || i18n.t(m).to_string())))
    .to_vec();
    let caption = Signal::derive(move || i18n.t(OfficeMsg::CallsPerInterval).to_string());
    view! { <StackedChart id="report-chart" bars series caption interval /> }
}

/// A stacked-bar chart: a bar per interval, a segment per series (colour and name), a
/// tooltip on each segment, labels where they fit and a legend. The numbers are also in
/// the table beside it (the accessible view).
#[component]
pub fn StackedChart(
    id: &'static str,
    bars: Vec<(DateTime<FixedOffset>, Vec<u64>)>,
    series: Vec<(&'static str, Signal<String>)>,
    caption: Signal<String>,
    interval: Interval,
) -> impl IntoView {
    let max = bars
        .iter()
        .map(|(_, v)| v.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (h, gap) = (160.0, 4.0);
    let bar_w = (720.0 / bars.len().max(1) as f64 - gap).clamp(3.0, 40.0);
    let width = (bar_w + gap) * bars.len() as f64 + 40.0;
    // A label where it fits: every few bars, by the label's width (~7 px a character).
    let chars = match interval {
        Interval::Quarter | Interval::Hour => 11,
        Interval::Day | Interval::Week => 5,
    };
    let every = ((chars as f64 * 7.0) / (bar_w + gap)).ceil().max(1.0) as usize;
    let drawn = bars
        .iter()
        .enumerate()
        .map(|(i, (start, v))| {
            let x = 36.0 + i as f64 * (bar_w + gap);
            let mut y = h;
            let label = start_label(start, interval);
            let short = match interval {
                Interval::Quarter | Interval::Hour => start.format("%d/%m %H:%M").to_string(),
                Interval::Day | Interval::Week => start.format("%d/%m").to_string(),
            };
            let segs = v
                .iter()
                .zip(&series)
                .filter(|(n, _)| **n > 0)
                .map(|(n, (color, name))| {
                    let sh = *n as f64 / max as f64 * (h - 10.0);
                    y -= sh;
                    let (label, name, n) = (label.clone(), *name, *n);
                    let tip = move || format!("{label} · {}: {n}", name.get());
                    view! { <rect x=x y=y width=bar_w height=sh fill=*color><title>{tip}</title></rect> }
                })
                .collect_view();
            let text = (i % every == 0).then(|| view! {
                <text x=x + bar_w / 2.0 y=h + 14.0 text-anchor="middle" class="chart-label">{short.clone()}</text>
            });
            view! { <g>{segs}{text}</g> }
        })
        .collect_view();
    let legend = series
        .iter()
        .map(|(c, n)| {
            let n = *n;
            view! { <li><span class="status-dot" style:background-color=*c></span>" "{n}</li> }
        })
        .collect_view();
    view! {
        <figure class="status-chart" id=id>
            <figcaption>{caption}</figcaption>
            <svg viewBox=format!("0 0 {width} {}", h + 20.0) width=width height=h + 20.0 role="img"
                aria-label=caption>
                <line x1="32" y1=h x2=width y2=h stroke="currentColor" />
                <text x="28" y="14" text-anchor="end" class="chart-label">{max}</text>
                <text x="28" y=h text-anchor="end" class="chart-label">"0"</text>
                {drawn}
            </svg>
            <ul class="chart-legend">{legend}</ul>
        </figure>
    }
}

fn queue_cells(r: &QueueRow, first: String) -> impl IntoView + use<> {
    view! {
        <th scope="row">{first}</th>
        <td>{r.campaign.clone()}</td>
        <td class="num">{r.offered}</td>
        <td class="num">{r.answered}</td>
        <td class="num">{r.abandoned}</td>
        <td class="num" title=format!("EXITEMPTY {} · EXITWITHKEY {} · EXITWITHTIMEOUT {}", r.exit_empty, r.exit_with_key, r.exit_with_timeout)>
            {r.exit_empty + r.exit_with_key + r.exit_with_timeout}</td>
        <td class="num">{pct(r.abandon_rate)}</td>
        <td class="num">{secs(r.avg_answer_wait)}</td>
        <td class="num">{secs(r.p90_answer_wait.map(|v| v as f64))}</td>
        <td class="num" title=format!("≤ {} s", r.service_level_secs)>{pct(r.service_level)}</td>
        <td class="num">{secs(r.avg_talk)}</td>
        <td class="num">{format!("{} · {}", r.holds, secs(r.avg_hold))}</td>
        <td class="num">{secs(r.avg_wrap_up)}</td>
        <td class="num">{r.transfers}</td>
        <td class="num">{r.ring_no_answer}</td>
        <td class="num" title=format!("ANSWER {} · BUSY {} · NOANSWER {} · {}", r.outbound_answered, r.outbound_busy, r.outbound_no_answer, r.outbound_other)>{r.outbound}</td>
    }
}

#[component]
fn QueueView(report: QueueReport) -> impl IntoView {
    let i18n = use_i18n();
    if report.rows.is_empty() {
        return view! { <p class="muted" id="report-empty">{move || i18n.t(OfficeMsg::ReportEmpty)}</p> }.into_any();
    }
    let interval = report.interval;
    let heads = [
        OfficeMsg::Date,
        OfficeMsg::Campaign,
        OfficeMsg::Offered,
        OfficeMsg::Answered,
        OfficeMsg::Abandoned,
        OfficeMsg::Exits,
        OfficeMsg::AbandonRate,
        OfficeMsg::AvgWait,
        OfficeMsg::P90Wait,
        OfficeMsg::ServiceLevel,
        OfficeMsg::AvgTalk,
        OfficeMsg::Holds,
        OfficeMsg::AvgWrapUp,
        OfficeMsg::Transfers,
        OfficeMsg::RingNoAnswer,
        OfficeMsg::OutboundCalls,
    ]
    .map(|m| view! { <th scope="col">{move || i18n.t(m)}</th> });
    let rows = report
        .rows
        .iter()
        .map(|r| view! { <tr>{queue_cells(r, start_label(&r.start, interval))}</tr> })
        .collect_view();
    let totals = report
        .totals
        .iter()
        .chain(std::iter::once(&report.total))
        .map(|r| view! { <tr class="total">{queue_cells(r, i18n.t(OfficeMsg::Total).to_string())}</tr> })
        .collect_view();
    view! {
        <QueueChart rows=report.rows.clone() interval=interval />
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
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_carries_only_what_was_chosen() {
        assert_eq!(query(None, "", "", Interval::Day, ""), "interval=day");
        assert_eq!(
            query(
                Some(2),
                "2026-03-01",
                "2026-03-31",
                Interval::Quarter,
                "Ventas, turno 1"
            ),
            "interval=15min&team=2&from=2026-03-01&to=2026-03-31&campaign=Ventas%2C%20turno%201"
        );
    }
}
