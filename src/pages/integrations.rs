//! `/admin/integrations` (admins; back office): the systems that send interactions in,
//! per team — a new one, new credentials for one (the old ones stop at once), revoking
//! one for good. A token and secret are shown once, right after they are made, and
//! never again (the server keeps only the token's hash). Each one's last use, and its
//! recent deliveries one click away (`integration_deliveries`). Below, the IMAP
//! mailboxes (`mailboxes`).

use agentdesk_protocol::{IntegrationCredentials, IntegrationSummary, NewIntegration, TeamSummary};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::components::time::Time;
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::pages::admin::AdminSection;

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    view! {
        <AdminSection title=OfficeMsg::IntegrationsTitle>
            <Integrations />
        </AdminSection>
    }
}

#[component]
fn Integrations() -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let reload = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        reload.track();
        api::get::<Vec<IntegrationSummary>>("/integrations")
    });
    let teams = LocalResource::new(|| api::get::<Vec<TeamSummary>>("/teams/summary"));
    let name = RwSignal::new(String::new());
    let team = RwSignal::new(None::<i64>);
    let status = RwSignal::new(None::<(bool, String)>);
    // Credentials just made: shown until the admin dismisses them.
    let shown = RwSignal::new(None::<IntegrationCredentials>);
    let fail =
        move |e: api::ApiError| status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m)))));
    let made = move |c: IntegrationCredentials| {
        status.set(None);
        shown.set(Some(c));
        reload.update(|n| *n += 1);
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(team_id) = team.get_untracked() else {
            status.set(Some((false, i18n.t(OfficeMsg::PickTeam).to_string())));
            return;
        };
        let req = NewIntegration {
            name: name.get_untracked().trim().to_string(),
            team_id,
        };
        scope.spawn(async move {
            match api::post::<_, IntegrationCredentials>("/integrations", &req).await {
                Ok(c) => {
                    name.set(String::new());
                    made(c);
                }
                Err(e) => fail(e),
            }
        });
    };
    let rotate = move |i: IntegrationSummary| {
        let ask = i18n.t(OfficeMsg::ConfirmRotate).replace("{name}", &i.name);
        if !window().confirm_with_message(&ask).unwrap_or(false) {
            return;
        }
        scope.spawn(async move {
            match api::post_empty::<IntegrationCredentials>(&format!(
                "/integrations/{}/rotate",
                i.id
            ))
            .await
            {
                Ok(c) => made(c),
                Err(e) => fail(e),
            }
        });
    };
    let revoke = move |i: IntegrationSummary| {
        let ask = i18n.t(OfficeMsg::ConfirmRevoke).replace("{name}", &i.name);
        if !window().confirm_with_message(&ask).unwrap_or(false) {
            return;
        }
        scope.spawn(async move {
            match api::delete(&format!("/integrations/{}", i.id)).await {
                Ok(()) => {
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => fail(e),
            }
        });
    };
    let open = RwSignal::new(None::<(i64, String)>);
    let row = move |i: IntegrationSummary| {
        let (rot, rev) = (i.clone(), i.clone());
        let (id, name) = (i.id, i.name.clone());
        view! {
            <tr data-integration=i.name.clone() class:muted=i.revoked>
                <td>{i.name.clone()}</td>
                <td>{i.team.name.clone()}</td>
                <td><Time at=i.created_at /></td>
                <td>{i.rotated_at.map(|at| view! { <Time at=at /> })}</td>
                <td>{i.last_used_at.map(|at| view! { <Time at=at /> })}</td>
                <td>{i18n.t(if i.revoked { OfficeMsg::Revoked } else { OfficeMsg::UserActive })}</td>
                <td>
                    <button class="link-btn integration-deliveries"
                        on:click=move |_| open.set(Some((id, name.clone())))>{i18n.t(OfficeMsg::Deliveries)}</button>
                    " "
                    <Show when=move || !i.revoked>
                        <button class="link-btn integration-rotate" on:click={
                            let rot = rot.clone();
                            move |_| rotate(rot.clone())
                        }>{i18n.t(OfficeMsg::Rotate)}</button>
                        " "
                        <button class="link-btn danger integration-revoke" on:click={
                            let rev = rev.clone();
                            move |_| revoke(rev.clone())
                        }>{i18n.t(OfficeMsg::Revoke)}</button>
                    </Show>
                </td>
            </tr>
        }
    };
    view! {
        <form class="filters users-filters" id="integration-new-form" on:submit=create>
            <input id="integration-name" class="input" required maxlength="128"
                placeholder=move || i18n.t(OfficeMsg::IntegrationName) aria-label=move || i18n.t(OfficeMsg::IntegrationName)
                prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
            <select id="integration-team" class="input" aria-label=move || i18n.t(Msg::Team)
                on:change=move |ev| team.set(event_target_value(&ev).parse().ok())>
                <option value="">{move || i18n.t(OfficeMsg::PickTeam)}</option>
                {move || teams.get().and_then(Result::ok).unwrap_or_default().into_iter()
                    .filter(|t| !t.archived)
                    .map(|t| view! { <option value=t.id.to_string()>{t.name}</option> })
                    .collect_view()}
            </select>
            <button class="btn btn-primary" type="submit" id="integration-new">{move || i18n.t(OfficeMsg::NewIntegration)}</button>
        </form>
        {move || status.get().map(|(ok, m)| view! {
            <p class=if ok { "form-ok" } else { "field-error" } role="status" id="integrations-status">{m}</p>
        })}
        {move || shown.get().map(|c| view! {
            <div class="notice-info credentials" id="integration-credentials" role="status">
                <p>{i18n.t(OfficeMsg::CredentialsOnce).replace("{name}", &c.name)}</p>
                <dl>
                    <dt>{i18n.t(OfficeMsg::IntegrationId)}</dt><dd class="mono" id="credential-id">{c.id}</dd>
                    <dt>{i18n.t(OfficeMsg::Token)}</dt><dd class="mono" id="credential-token">{c.token.clone()}</dd>
                    <dt>{i18n.t(OfficeMsg::SigningSecret)}</dt><dd class="mono" id="credential-secret">{c.secret.clone()}</dd>
                </dl>
                <button class="btn" id="credentials-done" on:click=move |_| shown.set(None)>{i18n.t(OfficeMsg::CredentialsSaved)}</button>
            </div>
        })}
        <table class="table integrations-table" id="integrations-table">
            <thead><tr>
                <th scope="col">{move || i18n.t(OfficeMsg::IntegrationName)}</th>
                <th scope="col">{move || i18n.t(Msg::Team)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::Created)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::Rotated)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::LastUsed)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::UserState)}</th>
                <th></th>
            </tr></thead>
            <tbody>
                {move || match list.get() {
                    None => view! { <tr><td colspan="7" class="muted">{i18n.t(Msg::Loading)}</td></tr> }.into_any(),
                    Some(Err(e)) => view! { <tr><td colspan="7" class="field-error">{describe_for_admin(&e, |m| i18n.t(m))}</td></tr> }.into_any(),
                    Some(Ok(items)) => items.into_iter().map(row).collect_view().into_any(),
                }}
            </tbody>
        </table>
        <crate::pages::mailboxes::Mailboxes />
        {move || open.get().map(|(id, name)| view! {
            <crate::pages::integration_deliveries::DeliveryLog id name on_close=move || open.set(None) />
        })}
    }
}
