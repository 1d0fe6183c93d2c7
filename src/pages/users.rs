//! `/admin/users` (admins; back office): every user, found by name and filtered by
//! role, team and state; a new user; a user's changes — name, role, teams, e-mail
//! permission, language, time zone, uContact agent, e-mail — a temporary password
//! (`pages::password`), unlocking a user held back by failed sign-ins, and deactivation (their open desktops are signed
//! out at once) or reactivation. What the server refuses (the last active admin's
//! demotion, a taken username) is said as it says it.

use agentdesk_protocol::{
    CreateUser, Locale, Role, TeamRef, TeamSummary, UpdateUser, UserSummary, UsersQuery,
};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::pages::admin::AdminSection;
use crate::pages::password::ResetPasswordForm;

/// Whether `u` is one the filters keep (the server's rule, `UsersQuery::keeps`).
pub fn shown(
    u: &UserSummary,
    q: &str,
    role: Option<Role>,
    team: Option<i64>,
    active: Option<bool>,
) -> bool {
    UsersQuery {
        q: Some(q.to_owned()),
        role,
        team,
        active,
        ..UsersQuery::default()
    }
    .keeps(u)
}

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <AdminSection title=OfficeMsg::UsersTitle>
            <UsersAdmin />
        </AdminSection>
    }
}

/// What the form below the list edits.
#[derive(Debug, Clone, PartialEq)]
enum Editing {
    New,
    User(UserSummary),
    Password(UserSummary),
}

#[component]
fn UsersAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let reload = RwSignal::new(0_u32);
    let users = LocalResource::new(move || {
        reload.track();
        api::get::<Vec<UserSummary>>("/users")
    });
    let teams = LocalResource::new(|| api::get::<Vec<TeamSummary>>("/teams/summary"));
    let summaries = move || teams.get().and_then(Result::ok).unwrap_or_default();
    let all_teams = move || {
        summaries()
            .into_iter()
            .map(|t| TeamRef {
                id: t.id,
                name: t.name,
            })
            .collect::<Vec<_>>()
    };
    // Nobody new joins an archived team: the form offers one only to its members.
    let joinable = move |user: Option<&UserSummary>| {
        summaries()
            .into_iter()
            .filter(|t| !t.archived || user.is_some_and(|u| u.teams.iter().any(|m| m.id == t.id)))
            .map(|t| TeamRef {
                id: t.id,
                name: t.name,
            })
            .collect::<Vec<_>>()
    };
    let q = RwSignal::new(String::new());
    let role = RwSignal::new(None::<Role>);
    let team = RwSignal::new(None::<i64>);
    let active = RwSignal::new(None::<bool>);
    let editing = RwSignal::new(None::<Editing>);
    let status = RwSignal::new(None::<(bool, String)>);
    let set_active = move |u: UserSummary, on: bool| {
        if !on {
            let ask = i18n
                .t(OfficeMsg::ConfirmDeactivate)
                .replace("{name}", &u.display_name);
            if !window().confirm_with_message(&ask).unwrap_or(false) {
                return;
            }
        }
        let change = UpdateUser {
            active: Some(on),
            ..Default::default()
        };
        scope.spawn(async move {
            match api::patch::<_, UserSummary>(&format!("/users/{}", u.id), &change).await {
                Ok(_) => {
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    let unlock = move |id: i64| {
        scope.spawn(async move {
            match api::post_empty::<UserSummary>(&format!("/users/{id}/unlock")).await {
                Ok(_) => {
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    let done = Callback::new(move |()| {
        editing.set(None);
        status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
        reload.update(|n| *n += 1);
    });
    view! {
        <div class="filters users-filters" role="search">
            <input id="users-q" class="input" type="search" placeholder=move || i18n.t(OfficeMsg::UsersSearch)
                aria-label=move || i18n.t(OfficeMsg::UsersSearch)
                on:input=move |ev| q.set(event_target_value(&ev)) />
            <select id="users-role" class="input" aria-label=move || i18n.t(OfficeMsg::UserRole)
                on:change=move |ev| role.set(event_target_value(&ev).parse().ok())>
                <option value="">{move || i18n.t(OfficeMsg::AnyRole)}</option>
                {[Role::Agent, Role::Supervisor, Role::Admin].map(|r| view! {
                    <option value=r.as_str()>{move || i18n.t(role_name(r))}</option>
                }).collect_view()}
            </select>
            <select id="users-team" class="input" aria-label=move || i18n.t(Msg::Team)
                on:change=move |ev| team.set(event_target_value(&ev).parse().ok())>
                <option value="">{move || i18n.t(OfficeMsg::AnyTeam)}</option>
                {move || all_teams().into_iter().map(|t| view! {
                    <option value=t.id.to_string()>{t.name}</option>
                }).collect_view()}
            </select>
            <select id="users-active" class="input" aria-label=move || i18n.t(OfficeMsg::UserState)
                on:change=move |ev| active.set(match event_target_value(&ev).as_str() {
                    "active" => Some(true),
                    "inactive" => Some(false),
                    _ => None,
                })>
                <option value="">{move || i18n.t(OfficeMsg::AnyState)}</option>
                <option value="active">{move || i18n.t(OfficeMsg::UserActive)}</option>
                <option value="inactive">{move || i18n.t(OfficeMsg::UserInactive)}</option>
            </select>
            <button class="btn btn-primary" id="user-new" on:click=move |_| editing.set(Some(Editing::New))>
                {move || i18n.t(OfficeMsg::NewUser)}
            </button>
        </div>
        {move || status.get().map(|(ok, m)| view! {
            <p class=if ok { "form-ok" } else { "field-error" } role="status" id="users-status">{m}</p>
        })}
        {move || editing.get().map(|e| {
            let cancel = Callback::new(move |()| editing.set(None));
            match e {
                Editing::Password(user) => view! { <ResetPasswordForm user=user done=done cancel=cancel /> }.into_any(),
                e => {
                    let teams = joinable(match &e { Editing::User(u) => Some(u), _ => None });
                    view! { <UserForm editing=e teams=teams done=done cancel=cancel /> }.into_any()
                }
            }
        })}
        <table class="table users-table" id="users-table">
            <thead><tr>
                <th>{move || i18n.t(OfficeMsg::UserName)}</th>
                <th>{move || i18n.t(OfficeMsg::UserRole)}</th>
                <th>{move || i18n.t(OfficeMsg::UserTeams)}</th>
                <th>{move || i18n.t(OfficeMsg::UserState)}</th>
                <th></th>
            </tr></thead>
            <tbody>
                {move || match users.get() {
                    None => view! { <tr><td colspan="5" class="muted">{i18n.t(Msg::Loading)}</td></tr> }.into_any(),
                    Some(Err(e)) => view! { <tr><td colspan="5" class="field-error">{describe_for_admin(&e, |m| i18n.t(m))}</td></tr> }.into_any(),
                    Some(Ok(list)) => {
                        let (q, r, t, a) = (q.get(), role.get(), team.get(), active.get());
                        list.into_iter().filter(|u| shown(u, &q, r, t, a)).map(|u| {
                            let teams = u.teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
                            let (edit_u, toggle_u, on) = (u.clone(), u.clone(), !u.active);
                            let (reset_u, locked, id) = (u.clone(), u.locked, u.id);
                            view! {
                                <tr data-user=u.username.clone() class:muted=!u.active>
                                    <td>{u.display_name.clone()} " " <span class="muted small mono">{u.username.clone()}</span></td>
                                    <td>{i18n.t(role_name(u.role))}</td>
                                    <td>{teams}</td>
                                    <td>
                                        {i18n.t(if u.active { OfficeMsg::UserActive } else { OfficeMsg::UserInactive })}
                                        {locked.then(|| view! { " · " <span class="field-error user-locked">{i18n.t(OfficeMsg::UserLocked)}</span> })}
                                        {u.must_change_password.then(|| view! { " · " <span class="muted user-must-change">{i18n.t(OfficeMsg::UserMustChange)}</span> })}
                                    </td>
                                    <td>
                                        <button class="link-btn user-edit" on:click=move |_| editing.set(Some(Editing::User(edit_u.clone())))>{i18n.t(OfficeMsg::MailEdit)}</button>
                                        " "
                                        <button class="link-btn user-password" on:click=move |_| editing.set(Some(Editing::Password(reset_u.clone())))>{i18n.t(OfficeMsg::ResetPassword)}</button>
                                        {locked.then(|| view! {
                                            " "
                                            <button class="link-btn user-unlock" on:click=move |_| unlock(id)>{i18n.t(OfficeMsg::Unlock)}</button>
                                        })}
                                        " "
                                        <button class=if on { "link-btn user-reactivate" } else { "link-btn danger user-deactivate" }
                                            on:click=move |_| set_active(toggle_u.clone(), on)>
                                            {i18n.t(if on { OfficeMsg::Reactivate } else { OfficeMsg::Deactivate })}
                                        </button>
                                    </td>
                                </tr>
                            }
                        }).collect_view().into_any()
                    }
                }}
            </tbody>
        </table>
    }
}

/// `new` when it is not `old`: a change sends only what changed.
fn differs<T: PartialEq>(new: T, old: T) -> Option<T> {
    (new != old).then_some(new)
}

fn role_name(r: Role) -> OfficeMsg {
    match r {
        Role::Agent => OfficeMsg::RoleAgent,
        Role::Supervisor => OfficeMsg::RoleSupervisor,
        Role::Admin => OfficeMsg::RoleAdmin,
    }
}

/// A new user, or the changes to one: only what changed is sent.
#[component]
fn UserForm(
    editing: Editing,
    teams: Vec<TeamRef>,
    done: Callback<()>,
    cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let before = match &editing {
        Editing::User(u) => Some(u.clone()),
        Editing::New | Editing::Password(_) => None,
    };
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let name = RwSignal::new(
        before
            .as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
    );
    let role = RwSignal::new(before.as_ref().map_or(Role::Agent, |u| u.role));
    let member = RwSignal::new(
        before
            .as_ref()
            .map(|u| u.teams.iter().map(|t| t.id).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    let can_email = RwSignal::new(before.as_ref().is_some_and(|u| u.can_email));
    let locale = RwSignal::new(before.as_ref().map_or(Locale::Es, |u| u.locale));
    let tz = RwSignal::new(
        before
            .as_ref()
            .map_or_else(|| "UTC".to_string(), |u| u.time_zone.clone()),
    );
    let agent = RwSignal::new(
        before
            .as_ref()
            .and_then(|u| u.ucontact_agent.clone())
            .unwrap_or_default(),
    );
    let email = RwSignal::new(
        before
            .as_ref()
            .and_then(|u| u.email.clone())
            .unwrap_or_default(),
    );
    // A new user's first password is a temporary one unless the admin says otherwise.
    let must_change = RwSignal::new(true);
    let error = RwSignal::new(None::<String>);
    let is_new = before.is_none();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let before = before.clone();
        scope.spawn(async move {
            let mut teams = member.get_untracked();
            teams.sort_unstable();
            let res = match &before {
                None => {
                    api::post::<_, UserSummary>(
                        "/users",
                        &CreateUser {
                            username: username.get_untracked().trim().to_string(),
                            display_name: name.get_untracked(),
                            password: password.get_untracked(),
                            role: role.get_untracked(),
                            can_email: can_email.get_untracked(),
                            locale: locale.get_untracked(),
                            time_zone: Some(tz.get_untracked()),
                            ucontact_agent: Some(agent.get_untracked()),
                            email: Some(email.get_untracked()),
                            teams,
                            must_change_password: must_change.get_untracked(),
                        },
                    )
                    .await
                }
                Some(u) => {
                    let mut old: Vec<i64> = u.teams.iter().map(|t| t.id).collect();
                    old.sort_unstable();
                    let change = UpdateUser {
                        display_name: differs(name.get_untracked(), u.display_name.clone()),
                        role: differs(role.get_untracked(), u.role),
                        teams: differs(teams, old),
                        can_email: differs(can_email.get_untracked(), u.can_email),
                        locale: differs(locale.get_untracked(), u.locale),
                        time_zone: differs(tz.get_untracked(), u.time_zone.clone()),
                        active: None,
                        ucontact_agent: differs(
                            agent.get_untracked().trim().to_string(),
                            u.ucontact_agent.clone().unwrap_or_default(),
                        ),
                        email: differs(
                            email.get_untracked().trim().to_string(),
                            u.email.clone().unwrap_or_default(),
                        ),
                    };
                    api::patch::<_, UserSummary>(&format!("/users/{}", u.id), &change).await
                }
            };
            match res {
                Ok(_) => done.run(()),
                Err(e) => error.set(Some(describe_for_admin(&e, |m| i18n.t(m)))),
            }
        });
    };
    view! {
        <form class="admin-form user-form" id="user-form" on:submit=submit>
            <h2>{move || i18n.t(if is_new { OfficeMsg::NewUser } else { OfficeMsg::EditUser })}</h2>
            <Show when=move || is_new>
                <label for="user-username">{move || i18n.t(OfficeMsg::Username)}</label>
                <input id="user-username" class="input" required autocomplete="off" prop:value=username
                    on:input=move |ev| username.set(event_target_value(&ev)) />
                <label for="user-password">{move || i18n.t(OfficeMsg::TemporaryPassword)}</label>
                <input id="user-password" class="input" type="password" required minlength="12" autocomplete="new-password"
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
                <label class="check">
                    <input type="checkbox" id="user-must-change" prop:checked=must_change
                        on:change=move |ev| must_change.set(event_target_checked(&ev)) />
                    " " {move || i18n.t(OfficeMsg::PwMustChange)}
                </label>
            </Show>
            <label for="user-display-name">{move || i18n.t(OfficeMsg::UserName)}</label>
            <input id="user-display-name" class="input" required maxlength="128" prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="user-role">{move || i18n.t(OfficeMsg::UserRole)}</label>
            <select id="user-role" class="input" on:change=move |ev| {
                if let Ok(r) = event_target_value(&ev).parse() { role.set(r) }
            }>
                {[Role::Agent, Role::Supervisor, Role::Admin].map(|r| view! {
                    <option value=r.as_str() selected=move || role.get() == r>{move || i18n.t(role_name(r))}</option>
                }).collect_view()}
            </select>
            <fieldset class="user-teams">
                <legend>{move || i18n.t(OfficeMsg::UserTeams)}</legend>
                {teams.into_iter().map(|t| {
                    let id = t.id;
                    view! {
                        <label class="check">
                            <input type="checkbox" value=id.to_string()
                                prop:checked=move || member.with(|m| m.contains(&id))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    member.update(|m| { m.retain(|x| *x != id); if on { m.push(id) } });
                                } />
                            " " {t.name}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <label class="check">
                <input type="checkbox" id="user-can-email" prop:checked=can_email
                    on:change=move |ev| can_email.set(event_target_checked(&ev)) />
                " " {move || i18n.t(OfficeMsg::UserCanEmail)}
            </label>
            <label for="user-locale">{move || i18n.t(Msg::Language)}</label>
            <select id="user-locale" class="input" on:change=move |ev| {
                if let Ok(l) = event_target_value(&ev).parse() { locale.set(l) }
            }>
                {Locale::ALL.map(|l| view! {
                    <option value=l.as_str() selected=move || locale.get() == l>{l.as_str()}</option>
                }).collect_view()}
            </select>
            <label for="user-tz">{move || i18n.t(OfficeMsg::UserTimeZone)}</label>
            <input id="user-tz" class="input mono" required placeholder="America/Montevideo" prop:value=tz
                on:input=move |ev| tz.set(event_target_value(&ev)) />
            <label for="user-ucontact">{move || i18n.t(OfficeMsg::UserUcontactAgent)}</label>
            <input id="user-ucontact" class="input mono" maxlength="128" autocomplete="off" prop:value=agent
                on:input=move |ev| agent.set(event_target_value(&ev)) />
            <label for="user-email">{move || i18n.t(OfficeMsg::UserEmail)}</label>
            <input id="user-email" class="input" type="email" autocomplete="off" prop:value=email
                on:input=move |ev| email.set(event_target_value(&ev)) />
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" id="user-form-error">{e}</p> })}
            <div class="form-actions">
                <button class="btn btn-primary" type="submit" id="user-save">{move || i18n.t(Msg::Save)}</button>
                <button class="btn" type="button" on:click=move |_| cancel.run(())>{move || i18n.t(Msg::Cancel)}</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, role: Role, teams: &[i64], active: bool) -> UserSummary {
        UserSummary {
            id: 1,
            username: name.to_lowercase(),
            display_name: name.into(),
            role,
            can_email: false,
            teams: teams
                .iter()
                .map(|id| TeamRef {
                    id: *id,
                    name: format!("T{id}"),
                })
                .collect(),
            active,
            locale: Locale::Es,
            time_zone: "UTC".into(),
            ucontact_agent: None,
            email: None,
            must_change_password: false,
            locked: false,
        }
    }

    #[test]
    fn filters_keep_what_they_name_and_search_any_case() {
        let ana = user("Ana Pérez", Role::Agent, &[1, 2], true);
        assert!(shown(&ana, "", None, None, None));
        assert!(shown(
            &ana,
            "  ana ",
            Some(Role::Agent),
            Some(2),
            Some(true)
        ));
        assert!(shown(&ana, "PÉREZ", None, None, None));
        assert!(!shown(&ana, "bruno", None, None, None));
        assert!(!shown(&ana, "", Some(Role::Admin), None, None));
        assert!(!shown(&ana, "", None, Some(3), None));
        assert!(!shown(&ana, "", None, None, Some(false)));
        let gone = user("Bruno", Role::Supervisor, &[], false);
        assert!(shown(&gone, "", None, None, Some(false)));
        assert!(!shown(&gone, "", None, Some(1), None));
    }
}
