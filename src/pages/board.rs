//! Supervisors: `/board`, a live grid of the agents of their teams, and
//! `/board/agents/:id`, one agent's connection-event log (date range, pages, CSV export)
//! with a chart of time per status per day.

use agentdesk_protocol::{
    Board, ConnectionEventPage, ConnectionEventType, DisconnectReason, ServerEvent, StatusTime,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::{self, ApiError};
use crate::components::error::ErrorNotice;
use crate::components::time::{Time, elapsed};
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::live::use_live;
use agentdesk_protocol::chart::{Bucket, MAX_CHART_DAYS, RangeProblem, bucketed, range_problem};

use crate::pages::board_grid::BoardGrid;
use crate::status::{describe, use_my_status};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    Loading,
    Failed,
    Empty,
    Grid,
}

#[component]
pub fn BoardPage() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let board = RwSignal::new(None::<Board>);
    let error = RwSignal::new(None::<ApiError>);
    // Several events may arrive together (an agent in two teams, a call = two changes):
    // one refetch per burst.
    let pending = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
    let scope = crate::task::Scope::here();
    let load = move || {
        scope.spawn(async move {
            match api::board().await {
                Ok(b) => {
                    board.set(Some(b));
                    // Only a change: setting it again would redraw the grid and lose
                    // the supervisor's filters.
                    if error.with_untracked(Option::is_some) {
                        error.set(None);
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let soon = move || {
        pending.set_value(Some(gloo_timers::callback::Timeout::new(150, load)));
    };
    load();
    live.subscribe(move |e| {
        if matches!(e, ServerEvent::AgentStatus { .. } | ServerEvent::Resync) {
            soon();
        }
    });
    on_cleanup(move || pending.set_value(None));
    // Loaded yet, and empty or not.
    // What the page body shows. A Memo: a failed refetch or its recovery changes the
    // error but not the body, and the grid (with the supervisor's filters) stays.
    let body = Memo::new(move |_| {
        match (
            board.with(|b| b.as_ref().map(|b| b.agents.is_empty())),
            error.with(Option::is_some),
        ) {
            (Some(true), _) => Body::Empty,
            (Some(false), _) => Body::Grid,
            (None, true) => Body::Failed,
            (None, false) => Body::Loading,
        }
    });

    view! {
        <section class="board-page">
            <header class="page-header">
                <h1>{move || i18n.t(Msg::Board)}</h1>
                <span class="muted small" class:live-off=move || !live.connected.get()>
                    {move || if live.connected.get() { i18n.t(Msg::LiveOn) } else { i18n.t(Msg::LiveOff) }}
                </span>
            </header>
            {move || error.get().map(|e| {
                // Not allowed is an answer, not a failure: say who the board is for,
                // without a Retry that cannot help.
                if e.code() == Some(agentdesk_protocol::ErrorCode::Forbidden) {
                    view! { <p class="notice" id="board-forbidden" role="status">{move || i18n.t(OfficeMsg::BoardForbidden)}</p> }.into_any()
                } else {
                    view! { <ErrorNotice error=e retry=Callback::new(move |_| load()) /> }.into_any()
                }
            })}
            // Redrawn only when the board appears or empties: the grid keeps its
            // filters across the live refetches.
            {move || match body.get() {
                Body::Empty => view! { <p class="muted">{move || i18n.t(OfficeMsg::BoardEmpty)}</p> }.into_any(),
                Body::Grid => view! { <BoardGrid board=board /> }.into_any(),
                Body::Failed => ().into_any(),
                Body::Loading => view! { <p class="muted" aria-busy="true">{move || i18n.t(Msg::Loading)}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
pub fn AgentLogPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let navigate = use_navigate();
    let defs = use_my_status().defs;
    let user_id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()));
    // The range asked for in the URL; without one the server picks its default (the
    // last week in the user's time zone) and says which it is, so the browser does no
    // date arithmetic and its own time zone never matters.
    let asked_from = move || query.with(|q| q.get("from").unwrap_or_default());
    let asked_to = move || query.with(|q| q.get("to").unwrap_or_default());
    let shown = RwSignal::new(None::<(String, String)>);
    let from = move || {
        Some(asked_from())
            .filter(|v| !v.is_empty())
            .or_else(|| shown.get().map(|r| r.0))
            .unwrap_or_default()
    };
    let to = move || {
        Some(asked_to())
            .filter(|v| !v.is_empty())
            .or_else(|| shown.get().map(|r| r.1))
            .unwrap_or_default()
    };
    let page = move || query.with(|q| q.get("page").and_then(|p| p.parse::<u32>().ok()));

    let log = RwSignal::new(None::<Result<ConnectionEventPage, ApiError>>);
    let chart = RwSignal::new(None::<Result<StatusTime, ApiError>>);
    let export_error = RwSignal::new(None::<ApiError>);
    let range_error = RwSignal::new(None::<RangeProblem>);
    let agent_name = RwSignal::new(String::new());
    // Each range asked for is a generation: an answer to an earlier one that arrives
    // late (ranges changed quickly) is dropped, or it would draw the old range's rows or
    // chart over the new one's.
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let (Some(id), f, t, p) = (user_id(), asked_from(), asked_to(), page()) else {
            return;
        };
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        let current = move || generation.try_get_value() == Some(mine);
        log.set(None);
        // The rows and the chart are asked for at once (neither waits for the other).
        let q = api::range_query(&f, &t, p);
        spawn_local(async move {
            let answer = api::connection_events(id, &q).await;
            if !current() {
                return;
            }
            if let Ok(page) = &answer {
                shown.set(Some((page.from.to_string(), page.to.to_string())));
            }
            log.set(Some(answer));
        });
        spawn_local(async move {
            let drawn = api::status_time(id, &api::range_query(&f, &t, None)).await;
            if current() {
                chart.set(Some(drawn));
            }
        });
    });
    Effect::new(move |_| {
        let Some(id) = user_id() else { return };
        spawn_local(async move {
            if let Ok(b) = api::board().await
                && let Some(r) = b.agents.into_iter().find(|r| r.user_id == id)
            {
                agent_name.set(r.display_name);
            }
        });
    });
    let go = {
        let navigate = navigate.clone();
        move |f: String, t: String, p: Option<u32>| {
            if let Some(id) = user_id() {
                let q = api::range_query(&f, &t, p);
                navigate(&format!("/board/agents/{id}?{q}"), Default::default());
            }
        }
    };
    let export = move |_| {
        let Some(id) = user_id() else { return };
        let q = api::range_query(&from(), &to(), None);
        export_error.set(None);
        spawn_local(async move {
            match api::connection_events_csv(id, &q).await {
                Ok(csv) => {
                    crate::pages::download_text(&format!("connection-events-{id}.csv"), &csv)
                }
                Err(e) => export_error.set(Some(e)),
            }
        });
    };
    let go_range = go.clone();
    let go_page = go.clone();
    let table = move || {
        let locale = i18n.locale.get();
        let defs = defs.get();
        log.get().map(|r| match r {
            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
            Ok(p) if p.items.is_empty() => view! { <p class="muted" id="log-empty">{move || i18n.t(OfficeMsg::LogEmpty)}</p> }.into_any(),
            Ok(p) => {
                let go_page = go_page.clone();
                let rows = p
                    .items
                    .into_iter()
                    .map(|e| {
                        let (label, color) = describe(&defs, &e.value, locale);
                        view! {
                            <tr>
                                <td><Time at=e.at full=true /></td>
                                // In words; uContact's code (as in the CSV) on hover.
                                <td class="log-type" title=e.kind.as_str()>{i18n.t(match e.kind {
                                    ConnectionEventType::StatusChanged => OfficeMsg::EventStatusChanged,
                                    ConnectionEventType::Acd => OfficeMsg::EventAcd,
                                    ConnectionEventType::StatusChangedUser => OfficeMsg::EventStatusChangedUser,
                                })}</td>
                                <td>
                                    <span class="status-dot" style:background-color=color.clone()></span>
                                    " " {label} <span class="muted small">{format!(" ({})", e.value)}</span>
                                </td>
                                <td class="log-reason" title=e.reason.map(|r| r.as_str())>{e.reason.map(|r| i18n.t(match r {
                                    DisconnectReason::Logout => OfficeMsg::ReasonLogout,
                                    DisconnectReason::Timeout => OfficeMsg::ReasonTimeout,
                                    DisconnectReason::Network => OfficeMsg::ReasonNetwork,
                                })).unwrap_or("")}</td>
                                <td><code class="small">{e.session_id}</code></td>
                            </tr>
                        }
                    })
                    .collect_view();
                let (cur, pages) = (p.page, p.pages);
                let prev = go_page.clone();
                let next = go_page.clone();
                view! {
                    <table class="data-table" id="log-table">
                        <thead><tr>
                            <th scope="col">{move || i18n.t(OfficeMsg::Date)}</th>
                            <th scope="col">{move || i18n.t(OfficeMsg::EventType)}</th>
                            <th scope="col">{move || i18n.t(OfficeMsg::EventValue)}</th>
                            <th scope="col">{move || i18n.t(OfficeMsg::DisconnectReason)}</th>
                            <th scope="col">{move || i18n.t(OfficeMsg::SessionId)}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    <nav class="pager" aria-label=move || i18n.t(Msg::Pages)>
                        <button class="btn btn-small" disabled={cur <= 1}
                            on:click=move |_| prev(from(), to(), Some(cur - 1))>{move || i18n.t(OfficeMsg::Previous)}</button>
                        <span id="log-page">{format!("{cur} / {pages} · {}", p.total)}</span>
                        <button class="btn btn-small" disabled={cur >= pages}
                            on:click=move |_| next(from(), to(), Some(cur + 1))>{move || i18n.t(OfficeMsg::Next)}</button>
                    </nav>
                }
                .into_any()
            }
        })
    };
    view! {
        <section class="agent-log-page">
            <header class="page-header">
                <div>
                    <A href="/board">{move || format!("← {}", i18n.t(Msg::Board))}</A>
                    <h1>{move || if agent_name.with(String::is_empty) { i18n.t(OfficeMsg::ConnectionEvents).to_string() } else { format!("{} · {}", i18n.t(OfficeMsg::ConnectionEvents), agent_name.get()) }}</h1>
                </div>
                <form class="range-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    let get = |id: &str| document().get_element_by_id(id)
                        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(e).ok())
                        .map(|e| e.value()).unwrap_or_default();
                    let (f, t) = (get("log-from"), get("log-to"));
                    // The server refuses these too, but the form says why before any
                    // request.
                    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
                    if let (Some(a), Some(b)) = (day(&f), day(&t))
                        && let Some(problem) = range_problem(a, b)
                    {
                        range_error.set(Some(problem));
                        return;
                    }
                    range_error.set(None);
                    go_range(f, t, None);
                }>
                    <label>{move || i18n.t(Msg::From)}<input type="date" id="log-from" class="input" prop:value=from /></label>
                    <label>{move || i18n.t(Msg::To)}<input type="date" id="log-to" class="input" prop:value=to /></label>
                    <button class="btn" type="submit" id="log-apply">{move || i18n.t(OfficeMsg::Apply)}</button>
                    <button class="btn" type="button" id="log-export" on:click=export>{move || i18n.t(OfficeMsg::ExportCsv)}</button>
                    <p class="field-error" id="log-range-error" role="alert" hidden=move || range_error.get().is_none()>
                        {move || range_error.get().map(|p| match p {
                            RangeProblem::Inverted => i18n.t(OfficeMsg::RangeInverted).to_string(),
                            RangeProblem::TooLong => i18n.tn(OfficeMsg::RangeTooLong, MAX_CHART_DAYS as u64),
                        })}
                    </p>
                </form>
            </header>
            {move || export_error.get().map(|e| view! { <ErrorNotice error=e /> })}
            <StatusChart data=chart range=shown />
            {move || match log.with(Option::is_some) {
                true => table().into_any(),
                false => view! { <p class="muted" aria-busy="true">{move || i18n.t(Msg::Loading)}</p> }.into_any(),
            }}
            {move || user_id().map(|id| view! { <crate::pages::queue_log::AgentQueueLog user_id=id range=shown /> })}
        </section>
    }
}

/// Stacked bars, one per day, of the time spent in each status (SVG, no chart library).
#[component]
fn StatusChart(
    data: RwSignal<Option<Result<StatusTime, ApiError>>>,
    range: RwSignal<Option<(String, String)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let defs = use_my_status().defs;
    move || {
        let locale = i18n.locale.get();
        let defs = defs.get();
        let mut st = match data.get() {
            None => return ().into_any(),
            Some(Err(e)) => {
                return view! { <div id="chart-error"><ErrorNotice error=e /></div> }.into_any();
            }
            Some(Ok(st)) => st,
        };
        if st.days.is_empty() {
            return view! { <p class="muted">{move || i18n.t(OfficeMsg::ChartEmpty)}</p> }
                .into_any();
        }
        // A long range is drawn by week or month: never more than ~31 bars.
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let asked = range.with(|r| r.as_ref().and_then(|(f, t)| day(f).zip(day(t))));
        let bucket = match asked.or_else(|| {
            st.days
                .first()
                .zip(st.days.last())
                .map(|(a, b)| (a.day, b.day))
        }) {
            Some((a, b)) => Bucket::for_range(a, b),
            None => Bucket::Day,
        };
        st.days = bucketed(&st.days, bucket);
        let (caption, label_format) = match bucket {
            Bucket::Day => (OfficeMsg::TimePerStatus, "%d/%m"),
            Bucket::Week => (OfficeMsg::TimePerStatusWeek, "%d/%m"),
            Bucket::Month => (OfficeMsg::TimePerStatusMonth, "%m/%Y"),
        };
        let max = st
            .days
            .iter()
            .map(|d| d.seconds.iter().map(|(_, s)| *s).sum::<u64>())
            .max()
            .unwrap_or(1)
            .max(1);
        let bar_w = 44.0;
        let gap = 16.0;
        let h = 160.0;
        let width = (bar_w + gap) * st.days.len() as f64 + gap;
        let mut legend: Vec<(String, String)> = Vec::new();
        let bars = st
            .days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let x = gap + i as f64 * (bar_w + gap);
                let mut y = h;
                let segs = d
                    .seconds
                    .iter()
                    .map(|(v, s)| {
                        let (label, color) = describe(&defs, v, locale);
                        if !legend.iter().any(|(l, _)| *l == label) {
                            legend.push((label.clone(), color.clone()));
                        }
                        let sh = (*s as f64 / max as f64) * (h - 10.0);
                        y -= sh;
                        view! {
                            <rect x=x y=y width=bar_w height=sh fill=color>
                                <title>{format!("{} · {label}: {}", d.day, elapsed(*s))}</title>
                            </rect>
                        }
                    })
                    .collect_view();
                let day = d.day.format(label_format).to_string();
                view! {
                    <g>{segs}<text x=x + bar_w / 2.0 y=h + 14.0 text-anchor="middle" class="chart-label">{day}</text></g>
                }
            })
            .collect_view();
        let legend = legend
            .into_iter()
            .map(|(l, c)| view! { <li><span class="status-dot" style:background-color=c></span>" "{l}</li> })
            .collect_view();
        view! {
            <figure class="status-chart" id="status-chart" data-bucket=format!("{bucket:?}").to_lowercase()>
                <figcaption>{move || i18n.t(caption)}</figcaption>
                <svg viewBox=format!("0 0 {width} {}", h + 20.0) width=width height=h + 20.0 role="img"
                    aria-label=move || i18n.t(OfficeMsg::TimePerStatus)>{bars}</svg>
                <ul class="chart-legend">{legend}</ul>
            </figure>
        }
        .into_any()
    }
}
