//! The board's grid: totals per status (each a filter), a team filter, sorting, and a
//! highlight for pauses longer than the supervisor's limit. The arranging is pure
//! ([`arrange`], [`totals`], [`long_pause`]) and tested natively; the component draws it.

use agentdesk_protocol::{Board, BoardRow, is_system};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::time::{since, use_clock};
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::nav::NavLink;
use crate::status::{describe, use_my_status};

/// How the supervisor wants the grid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GridView {
    pub team: Option<i64>,
    pub status: Option<String>,
    pub sort: Sort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// By name.
    #[default]
    Name,
    /// By status, then name.
    Status,
    /// Longest in their status first.
    Longest,
}

impl Sort {
    fn parse(s: &str) -> Sort {
        match s {
            "status" => Sort::Status,
            "longest" => Sort::Longest,
            _ => Sort::Name,
        }
    }
}

/// The rows the view selects, in its order.
pub fn arrange(rows: &[BoardRow], v: &GridView) -> Vec<BoardRow> {
    let mut out: Vec<BoardRow> = rows
        .iter()
        .filter(|r| v.team.is_none_or(|t| r.teams.iter().any(|x| x.id == t)))
        .filter(|r| v.status.as_ref().is_none_or(|s| &r.status.value == s))
        .cloned()
        .collect();
    let name = |r: &BoardRow| r.display_name.to_lowercase();
    match v.sort {
        Sort::Name => out.sort_by_key(|r| (name(r), r.user_id)),
        Sort::Status => out.sort_by_key(|r| (r.status.value.clone(), name(r), r.user_id)),
        Sort::Longest => out.sort_by_key(|r| (r.status.since, name(r), r.user_id)),
    }
    out
}

/// Agents per status value, most first (ties by value).
pub fn totals(rows: &[BoardRow]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for r in rows {
        match counts.iter_mut().find(|(v, _)| *v == r.status.value) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.status.value.clone(), 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

/// A pause (a status the agent chose that is not a system one: break, meal, bath…)
/// held longer than `limit_mins` by a connected agent, at `now_ms`.
pub fn long_pause(r: &BoardRow, now_ms: i64, limit_mins: u32) -> bool {
    r.status.connected
        && !is_system(&r.status.value)
        && now_ms - r.status.since.timestamp_millis() > i64::from(limit_mins) * 60_000
}

/// The limit for a long pause, kept on this browser (minutes, 1–480; default 15).
const LIMIT_KEY: &str = "agentdesk.board.pause-limit";
const DEFAULT_LIMIT: u32 = 15;

fn saved_limit() -> u32 {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::get::<u32>(LIMIT_KEY)
        .ok()
        .filter(|m| (1..=480).contains(m))
        .unwrap_or(DEFAULT_LIMIT)
}

#[component]
pub fn BoardGrid(board: RwSignal<Option<Board>>) -> impl IntoView {
    let i18n = use_i18n();
    let now = use_clock();
    let defs = use_my_status().defs;
    let view = RwSignal::new(GridView::default());
    let limit = RwSignal::new(saved_limit());
    // Kept here, across the live refetches of `board`: the filter stays as chosen.
    let with_rows = move |f: &mut dyn FnMut(&[BoardRow])| {
        board.with(|b| f(b.as_ref().map(|b| b.agents.as_slice()).unwrap_or(&[])))
    };
    let teams = move || {
        let mut t: Vec<(i64, String)> = Vec::new();
        with_rows(&mut |rows| {
            t = rows
                .iter()
                .flat_map(|r| r.teams.iter().map(|t| (t.id, t.name.clone())))
                .collect();
        });
        t.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        t.dedup();
        t
    };
    let chips = move || {
        let locale = i18n.locale.get();
        let defs = defs.get();
        let team = view.with(|v| v.team);
        let mut counts = Vec::new();
        with_rows(&mut |rows| {
            let in_team: Vec<BoardRow> = rows
                .iter()
                .filter(|r| team.is_none_or(|t| r.teams.iter().any(|x| x.id == t)))
                .cloned()
                .collect();
            counts = totals(&in_team);
        });
        // The chosen filter stays on screen (at 0) so that it can be cleared.
        if let Some(v) = view.with(|x| x.status.clone())
            && !counts.iter().any(|(c, _)| *c == v)
        {
            counts.push((v, 0));
        }
        counts
            .into_iter()
            .map(|(value, n)| {
                let (label, color) = describe(&defs, &value, locale);
                let v = value.clone();
                view! {
                    <button class="kind-chip board-total" data-status=value.clone()
                        aria-pressed=move || view.with(|x| x.status.as_deref() == Some(v.as_str())).to_string()
                        on:click=move |_| view.update(|x| {
                            x.status = if x.status.as_deref() == Some(value.as_str()) { None } else { Some(value.clone()) };
                        })>
                        <span class="status-dot" style:background-color=color></span>
                        {label}
                        <span class="count">{i18n.count(n as u64)}</span>
                    </button>
                }
            })
            .collect_view()
    };
    let shown = move || {
        let mut out = Vec::new();
        with_rows(&mut |rows| out = view.with(|v| arrange(rows, v)));
        out
    };
    let body = move || {
        let locale = i18n.locale.get();
        let defs = defs.get();
        shown()
            .into_iter()
            .map(|r| {
                let (label, color) = describe(&defs, &r.status.value, locale);
                let pending = r.status.pending.as_ref().map(|p| describe(&defs, p, locale).0);
                let since_at = r.status.since;
                let team_names = r.teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
                let call = r.call.clone();
                let user_id = r.user_id;
                let row = r.clone();
                let overdue = Memo::new(move |_| long_pause(&row, now.get(), limit.get()));
                view! {
                    <tr data-user=r.username.clone() class:offline=!r.status.connected class:overdue=move || overdue.get()>
                        <td>
                            <A href=format!("/board/agents/{user_id}")>{r.display_name.clone()}</A>
                            <div class="muted small">{team_names}</div>
                        </td>
                        <td>
                            <span class="status-chip" data-status=r.status.value.clone()>
                                <span class="status-dot" style:background-color=color.clone()></span>
                                <span class="board-status">{label}</span>
                            </span>
                            {pending.map(|p| view! { <span class="status-pending">{format!("→ {p}")}</span> })}
                            <Show when=move || overdue.get()>
                                <span class="badge bad long-pause">{move || i18n.t(OfficeMsg::LongPause)}</span>
                            </Show>
                        </td>
                        <td class="num">{move || since(since_at, now.get())}</td>
                        <td>
                            {match call {
                                Some(c) => view! {
                                    <div class="board-call">
                                        <span>{c.number.clone()}</span>
                                        " · "
                                        <NavLink href=format!("/contacts/{}", c.contact_id)>{c.contact_name.clone()}</NavLink>
                                        <span class="muted small">{format!(" {} · ", c.campaign)}</span>
                                        <span class="num">{move || since(c.started_at, now.get())}</span>
                                    </div>
                                }.into_any(),
                                None => view! { <span class="muted">"—"</span> }.into_any(),
                            }}
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="board-tools">
            <div class="kind-chips" id="board-totals" role="group" aria-label=move || i18n.t(OfficeMsg::BoardTotals)>
                {chips}
            </div>
            <label>{move || i18n.t(Msg::Team)}
                <select class="input" id="board-team" on:change=move |ev| {
                    let t = event_target_value(&ev).parse::<i64>().ok();
                    view.update(|v| v.team = t);
                }>
                    <option value="">{move || i18n.t(OfficeMsg::AllTeams)}</option>
                    {move || teams().into_iter().map(|(id, name)| view! {
                        <option value=id prop:selected=move || view.with(|v| v.team == Some(id))>{name}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{move || i18n.t(OfficeMsg::SortBy)}
                <select class="input" id="board-sort" on:change=move |ev| {
                    let s = Sort::parse(&event_target_value(&ev));
                    view.update(|v| v.sort = s);
                }>
                    <option value="name">{move || i18n.t(OfficeMsg::SortName)}</option>
                    <option value="status">{move || i18n.t(Msg::Status)}</option>
                    <option value="longest">{move || i18n.t(OfficeMsg::SortLongest)}</option>
                </select>
            </label>
            <label>{move || i18n.t(OfficeMsg::PauseLimit)}
                <input class="input" id="board-pause-limit" type="number" min="1" max="480"
                    prop:value=move || limit.get().to_string()
                    on:change=move |ev| {
                        if let Ok(m) = event_target_value(&ev).parse::<u32>()
                            && (1..=480).contains(&m)
                        {
                            use gloo_storage::{LocalStorage, Storage};
                            let _ = LocalStorage::set(LIMIT_KEY, m);
                            limit.set(m);
                        }
                    } />
            </label>
        </div>
        <table class="data-table" id="board-table">
            <thead>
                <tr>
                    <th scope="col">{move || i18n.t(OfficeMsg::Agent)}</th>
                    <th scope="col">{move || i18n.t(Msg::Status)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::TimeInStatus)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::CurrentCall)}</th>
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentdesk_protocol::{AgentStatus, TeamRef};
    use chrono::{DateTime, Utc};

    fn row(id: i64, name: &str, team: i64, value: &str, since_min: i64) -> BoardRow {
        BoardRow {
            user_id: id,
            display_name: name.into(),
            username: name.to_lowercase(),
            teams: vec![TeamRef {
                id: team,
                name: format!("T{team}"),
            }],
            status: AgentStatus {
                user_id: id,
                value: value.into(),
                since: DateTime::<Utc>::from_timestamp_millis(since_min * 60_000).unwrap(),
                pending: None,
                connected: value != "disconnected",
                session_id: None,
            },
            call: None,
        }
    }

    fn names(rows: &[BoardRow]) -> Vec<&str> {
        rows.iter().map(|r| r.display_name.as_str()).collect()
    }

    #[test]
    fn rows_filter_by_team_and_status_and_sort_three_ways() {
        let rows = vec![
            row(1, "carla", 2, "break", 5),
            row(2, "Ana", 1, "available", 10),
            row(3, "bruno", 1, "break", 1),
            row(4, "David", 1, "in-call", 3),
        ];
        let all = GridView::default();
        assert_eq!(
            names(&arrange(&rows, &all)),
            ["Ana", "bruno", "carla", "David"]
        );
        let team1 = GridView {
            team: Some(1),
            ..Default::default()
        };
        assert_eq!(names(&arrange(&rows, &team1)), ["Ana", "bruno", "David"]);
        let breaks = GridView {
            status: Some("break".into()),
            sort: Sort::Longest,
            ..Default::default()
        };
        assert_eq!(names(&arrange(&rows, &breaks)), ["bruno", "carla"]);
        let by_status = GridView {
            sort: Sort::Status,
            ..Default::default()
        };
        assert_eq!(
            names(&arrange(&rows, &by_status)),
            ["Ana", "bruno", "carla", "David"]
        );
    }

    #[test]
    fn totals_count_each_status_most_first() {
        let rows = vec![
            row(1, "a", 1, "break", 0),
            row(2, "b", 1, "available", 0),
            row(3, "c", 1, "break", 0),
        ];
        assert_eq!(
            totals(&rows),
            [("break".to_string(), 2), ("available".to_string(), 1)]
        );
        assert!(totals(&[]).is_empty());
    }

    #[test]
    fn only_chosen_pauses_past_the_limit_are_long() {
        let now = 30 * 60_000;
        assert!(long_pause(&row(1, "a", 1, "break", 10), now, 15));
        assert!(!long_pause(&row(1, "a", 1, "break", 20), now, 15));
        // System statuses (a call, wrap-up, available) are never a pause.
        assert!(!long_pause(&row(1, "a", 1, "in-call", 0), now, 15));
        assert!(!long_pause(&row(1, "a", 1, "wrap-up", 0), now, 15));
        assert!(!long_pause(&row(1, "a", 1, "available", 0), now, 15));
        assert!(!long_pause(&row(1, "a", 1, "disconnected", 0), now, 15));
    }
}
