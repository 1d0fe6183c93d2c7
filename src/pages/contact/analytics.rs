//! The Analytics tab: the contact's last twelve months of interactions (computed by the
//! server, `/reports/contacts/{id}`) — channel mix, inbound vs outbound, first-response
//! times, interactions per month and the last contact. Bars are plain CSS widths: no
//! chart code in the agent's bundle.

use agentdesk_protocol::report::ContactAnalytics;
use chrono::Datelike;
use leptos::prelude::*;

use super::summary::kind_label;
use crate::api;
use crate::components::error::ErrorNotice;
use crate::components::time::{Time, elapsed};
use crate::i18n::{Msg, use_i18n};

#[component]
pub fn AnalyticsTab(contact_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let data = LocalResource::new(move || async move {
        api::get::<ContactAnalytics>(&format!("/reports/contacts/{contact_id}")).await
    });
    move || match data.get() {
        None => view! { <p class="muted" aria-busy="true">{i18n.t(Msg::Loading)}</p> }.into_any(),
        Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
        Some(Ok(a)) if a.total == 0 => {
            view! { <p class="muted" id="analytics-empty">{i18n.t(Msg::NoInteractions)}</p> }
                .into_any()
        }
        Some(Ok(a)) => {
            // Whole percentages: integer arithmetic keeps float formatting out of the
            // agent's bundle.
            let total = a.total.max(1);
            let percent = |n: u64, of: u64| (n * 100 + of / 2) / of.max(1);
            let mix = a
                .channels
                .iter()
                .map(|c| {
                    let share = percent(c.count, total);
                    view! {
                        <li data-kind=c.kind.as_str()>
                            <span class="mix-label">{i18n.t(kind_label(c.kind))}</span>
                            <span class="mix-bar" style:width=format!("{share}%")></span>
                            <span class="mix-value">{format!("{} · {share} %", c.count)}</span>
                        </li>
                    }
                })
                .collect_view();
            let most = a.months.iter().map(|m| m.count).max().unwrap_or(1).max(1);
            let months = a
                .months
                .iter()
                .map(|m| {
                    let share = percent(m.count, most);
                    view! {
                        <li>
                            <span class="mix-label">{format!("{:02}/{}", m.start.month(), m.start.year())}</span>
                            <span class="mix-bar" style:width=format!("{share}%")></span>
                            <span class="mix-value">{m.count}</span>
                        </li>
                    }
                })
                .collect_view();
            let r = &a.first_response;
            let response = match (r.median, r.p90) {
                (Some(m), Some(p)) => format!("{} · p90 {}", elapsed(m), elapsed(p)),
                _ => "—".to_string(),
            };
            view! {
                <div class="analytics" id="analytics">
                    <dl class="attr-table">
                        <div class="attr-row"><dt>{i18n.t(Msg::Interactions)}</dt><dd id="analytics-total">{a.total}</dd></div>
                        <div class="attr-row"><dt>{i18n.t(Msg::InboundOutbound)}</dt><dd>{format!("{} / {}", a.inbound, a.outbound)}</dd></div>
                        <div class="attr-row"><dt>{i18n.t(Msg::FirstResponse)}</dt>
                            <dd title=format!("{} / {}", r.answered, r.unanswered)>{response}</dd></div>
                        <div class="attr-row"><dt>{i18n.t(Msg::LastContact)}</dt>
                            <dd>{a.last_contact.map(|t| view! { <Time at=t /> })}</dd></div>
                    </dl>
                    <h2>{i18n.t(Msg::ChannelMix)}</h2>
                    <ul class="mix" id="channel-mix">{mix}</ul>
                    <h2>{i18n.t(Msg::PerMonth)}</h2>
                    <ul class="mix" id="per-month">{months}</ul>
                </div>
            }
            .into_any()
        }
    }
}
