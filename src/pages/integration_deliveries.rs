//! An integration's recent deliveries on the integrations screen: when, which channel,
//! accepted / duplicate / rejected with the reason the integration was given — what an
//! admin reads first when a vendor says "we sent it".

use agentdesk_protocol::{DeliveryOutcome, IntegrationDelivery};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::components::time::Time;
use crate::i18n::{Msg, OfficeMsg, use_i18n};

#[component]
pub fn DeliveryLog(id: i64, name: String, on_close: impl Fn() + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0_u32);
    let log = LocalResource::new(move || {
        reload.track();
        let path = format!("/integrations/{id}/deliveries");
        async move { api::get::<Vec<IntegrationDelivery>>(&path).await }
    });
    let outcome = move |o: DeliveryOutcome| {
        i18n.t(match o {
            DeliveryOutcome::Accepted => OfficeMsg::DeliveryAccepted,
            DeliveryOutcome::Duplicate => OfficeMsg::DeliveryDuplicate,
            DeliveryOutcome::Rejected => OfficeMsg::DeliveryRejected,
        })
    };
    let row = move |d: IntegrationDelivery| {
        view! {
            <tr class:delivery-rejected=d.outcome == DeliveryOutcome::Rejected>
                <td><Time at=d.at /></td>
                <td>{d.channel.clone()}</td>
                <td class="delivery-outcome">{outcome(d.outcome)}</td>
                <td class="num">{d.status}</td>
                <td class="delivery-reason">{d.reason.clone().unwrap_or_default()}</td>
            </tr>
        }
    };
    let title = i18n.t(OfficeMsg::DeliveriesOf).replace("{name}", &name);
    view! {
        <section class="card delivery-log" id="delivery-log" aria-labelledby="delivery-log-title">
            <h2 id="delivery-log-title">{title}</h2>
            <p class="muted small">{move || i18n.t(OfficeMsg::DeliveriesHelp)}</p>
            <p>
                <button class="btn" id="deliveries-refresh" on:click=move |_| reload.update(|n| *n += 1)>
                    {move || i18n.t(OfficeMsg::Refresh)}
                </button>
                " "
                <button class="btn" id="deliveries-close" on:click=move |_| on_close()>{move || i18n.t(Msg::EmailClose)}</button>
            </p>
            <table class="table" id="deliveries-table">
                <thead><tr>
                    <th scope="col">{move || i18n.t(Msg::When)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::Channel)}</th>
                    <th scope="col">{move || i18n.t(Msg::Status)}</th>
                    <th scope="col">"HTTP"</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::Reason)}</th>
                </tr></thead>
                <tbody>
                    {move || match log.get() {
                        None => view! { <tr><td colspan="5" class="muted">{i18n.t(Msg::Loading)}</td></tr> }.into_any(),
                        Some(Err(e)) => view! { <tr><td colspan="5" class="field-error">{describe_for_admin(&e, |m| i18n.t(m))}</td></tr> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! {
                            <tr><td colspan="5" class="muted">{i18n.t(OfficeMsg::DeliveriesNone)}</td></tr>
                        }.into_any(),
                        Some(Ok(list)) => list.into_iter().map(row).collect_view().into_any(),
                    }}
                </tbody>
            </table>
        </section>
    }
}
