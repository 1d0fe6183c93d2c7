//! An agent's rows of uContact's queue_log (the desktop's own call steps and imported
//! exports) for the range the agent log shows, with a pager of its own.

use agentdesk_protocol::QueueLogPage;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::error::ErrorNotice;
use crate::components::time::Time;
use crate::i18n::{Msg, OfficeMsg, use_i18n};

/// `range`: the (from, to) dates the log above shows; `None` until it has loaded.
#[component]
pub fn AgentQueueLog(user_id: i64, range: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let i18n = use_i18n();
    let page = RwSignal::new(1u32);
    // A new range starts at its first page.
    Effect::new(move |_| {
        range.track();
        page.set(1);
    });
    let rows = LocalResource::new(move || {
        let (r, p) = (range.get(), page.get());
        async move {
            match r {
                Some((from, to)) => {
                    Some(api::queue_log(user_id, &api::range_query(&from, &to, Some(p))).await)
                }
                None => None,
            }
        }
    });
    let table = move |p: QueueLogPage| {
        let (cur, pages, total) = (p.page, p.pages, p.total);
        let body = p
            .items
            .into_iter()
            .map(|e| {
                let data = e
                    .data
                    .iter()
                    .filter(|d| !d.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" · ");
                view! {
                    <tr>
                        <td><Time at=e.at full=true /></td>
                        <td class="ql-event"><code>{e.event}</code></td>
                        <td>{e.queue}</td>
                        <td><code class="small">{e.callid}</code></td>
                        <td class="muted small">{data}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="data-table" id="queue-log-table">
                <thead><tr>
                    <th scope="col">{move || i18n.t(OfficeMsg::Date)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::QueueEvent)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::Queue)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::CallId)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::QueueData)}</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
            <nav class="pager" aria-label=move || i18n.t(Msg::Pages)>
                <button class="btn btn-small" disabled={cur <= 1}
                    on:click=move |_| page.set(cur - 1)>{move || i18n.t(OfficeMsg::Previous)}</button>
                <span id="queue-log-page">{format!("{cur} / {pages} · {total}")}</span>
                <button class="btn btn-small" disabled={cur >= pages}
                    on:click=move |_| page.set(cur + 1)>{move || i18n.t(OfficeMsg::Next)}</button>
            </nav>
        }
    };
    view! {
        <section class="queue-log" aria-labelledby="queue-log-title">
            <h2 id="queue-log-title">{move || i18n.t(OfficeMsg::QueueLogTitle)}</h2>
            {move || match rows.get() {
                None | Some(None) => view! { <p class="muted" aria-busy="true">{move || i18n.t(Msg::Loading)}</p> }.into_any(),
                Some(Some(Err::<_, ApiError>(e))) => view! { <ErrorNotice error=e /> }.into_any(),
                Some(Some(Ok(p))) if p.items.is_empty() => view! { <p class="muted" id="queue-log-empty">{move || i18n.t(OfficeMsg::QueueLogEmpty)}</p> }.into_any(),
                Some(Some(Ok(p))) => table(p).into_any(),
            }}
        </section>
    }
}
