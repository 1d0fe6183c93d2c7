//! `/admin/teams` (admins; back office): every team with its members (named under their
//! count) and contacts; a new team; a new name; archiving (its history stays readable,
//! nobody new joins, its integrations stop) and back; deleting one nothing was ever in —
//! the server says why not otherwise, and the screen says it as it says it.

use agentdesk_protocol::{CreateTeam, TeamRef, TeamSummary, UpdateTeam, UserSummary};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::pages::admin::AdminSection;

#[component]
pub fn TeamsPage() -> impl IntoView {
    view! {
        <AdminSection title=OfficeMsg::TeamsTitle>
            <TeamsAdmin />
        </AdminSection>
    }
}

#[component]
fn TeamsAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let reload = RwSignal::new(0_u32);
    let teams = LocalResource::new(move || {
        reload.track();
        api::get::<Vec<TeamSummary>>("/teams/summary")
    });
    // Who is in each team, opened under its member count (users change on their screen).
    let users = LocalResource::new(move || {
        reload.track();
        api::get::<Vec<UserSummary>>("/users")
    });
    let members_of = move |team: i64| {
        let mut names: Vec<(String, bool)> = users
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|u| u.teams.iter().any(|t| t.id == team))
            .map(|u| (format!("{} ({})", u.display_name, u.username), u.active))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|(name, active)| view! { <li class:muted=!active>{name}</li> })
            .collect_view()
    };
    let status = RwSignal::new(None::<(bool, String)>);
    let new_name = RwSignal::new(String::new());
    // The team being renamed, and the name typed.
    let renaming = RwSignal::new(None::<(i64, String)>);
    let finish = move |res: Result<(), api::ApiError>| match res {
        Ok(()) => {
            status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
            renaming.set(None);
            reload.update(|n| *n += 1);
        }
        Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
    };
    let change = move |id: i64, update: UpdateTeam| {
        scope.spawn(async move {
            let res = api::patch::<_, TeamRef>(&format!("/teams/{id}"), &update).await;
            finish(res.map(|_| ()));
        });
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked().trim().to_string();
        scope.spawn(async move {
            let res = api::post::<_, TeamRef>("/teams", &CreateTeam { name }).await;
            if res.is_ok() {
                new_name.set(String::new());
            }
            finish(res.map(|_| ()));
        });
    };
    let remove = move |t: TeamSummary| {
        let ask = i18n
            .t(OfficeMsg::ConfirmDeleteTeam)
            .replace("{name}", &t.name);
        if !window().confirm_with_message(&ask).unwrap_or(false) {
            return;
        }
        scope.spawn(async move { finish(api::delete(&format!("/teams/{}", t.id)).await) });
    };
    let row = move |t: TeamSummary| {
        let id = t.id;
        let (rename_t, remove_t) = (t.clone(), t.clone());
        let (name, archived) = (t.name.clone(), t.archived);
        let editing = move || renaming.with(|r| r.as_ref().is_some_and(|(i, _)| *i == id));
        view! {
            <tr data-team=t.name.clone() class:muted=t.archived>
                <td>
                    <Show when=editing fallback=move || view! { <span>{rename_t.name.clone()}</span> }>
                        <form class="inline-form" on:submit=move |ev| {
                            ev.prevent_default();
                            let name = renaming.get_untracked().map(|(_, n)| n.trim().to_string());
                            change(id, UpdateTeam { name, archived: None });
                        }>
                            <input class="input team-rename-input" required maxlength="128"
                                aria-label=move || i18n.t(OfficeMsg::TeamName)
                                prop:value=move || renaming.with(|r| r.as_ref().map(|(_, n)| n.clone()).unwrap_or_default())
                                on:input=move |ev| renaming.set(Some((id, event_target_value(&ev)))) />
                            <button class="btn btn-primary team-rename-save" type="submit">{move || i18n.t(Msg::Save)}</button>
                            <button class="btn" type="button" on:click=move |_| renaming.set(None)>{move || i18n.t(Msg::Cancel)}</button>
                        </form>
                    </Show>
                </td>
                <td class="num team-members">
                    <Show when=move || { t.members > 0 } fallback=|| "0">
                        <details>
                            <summary>{t.members}</summary>
                            <ul>{move || members_of(id)}</ul>
                        </details>
                    </Show>
                </td>
                <td class="num">{t.contacts}</td>
                <td>{i18n.t(if t.archived { OfficeMsg::TeamArchived } else { OfficeMsg::UserActive })}</td>
                <td>
                    <button class="link-btn team-rename" on:click=move |_| renaming.set(Some((id, name.clone())))>
                        {i18n.t(OfficeMsg::Rename)}
                    </button>
                    " "
                    <button class="link-btn team-archive" on:click=move |_| change(id, UpdateTeam { name: None, archived: Some(!archived) })>
                        {i18n.t(if t.archived { OfficeMsg::Unarchive } else { OfficeMsg::Archive })}
                    </button>
                    " "
                    <button class="link-btn danger team-delete" on:click=move |_| remove(remove_t.clone())>
                        {i18n.t(Msg::Delete)}
                    </button>
                </td>
            </tr>
        }
    };
    view! {
        <form class="filters users-filters" id="team-new-form" on:submit=create>
            <input id="team-new-name" class="input" required maxlength="128"
                placeholder=move || i18n.t(OfficeMsg::TeamName) aria-label=move || i18n.t(OfficeMsg::TeamName)
                prop:value=new_name on:input=move |ev| new_name.set(event_target_value(&ev)) />
            <button class="btn btn-primary" type="submit" id="team-new">{move || i18n.t(OfficeMsg::NewTeam)}</button>
        </form>
        {move || status.get().map(|(ok, m)| view! {
            <p class=if ok { "form-ok" } else { "field-error" } role="status" id="teams-status">{m}</p>
        })}
        <p class="muted small">{move || i18n.t(OfficeMsg::TeamsHelp)}</p>
        <table class="table teams-table" id="teams-table">
            <thead><tr>
                <th scope="col">{move || i18n.t(OfficeMsg::TeamName)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::TeamMembers)}</th>
                <th scope="col">{move || i18n.t(Msg::Contacts)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::UserState)}</th>
                <th></th>
            </tr></thead>
            <tbody>
                {move || match teams.get() {
                    None => view! { <tr><td colspan="5" class="muted">{i18n.t(Msg::Loading)}</td></tr> }.into_any(),
                    Some(Err(e)) => view! { <tr><td colspan="5" class="field-error">{describe_for_admin(&e, |m| i18n.t(m))}</td></tr> }.into_any(),
                    Some(Ok(list)) => list.into_iter().map(row).collect_view().into_any(),
                }}
            </tbody>
        </table>
    }
}
