//! The IMAP mailboxes on the integrations screen (admins; back office): each one's last
//! poll, last success, messages read and last error; the console's own can be added per
//! team, changed (the password written, never read back: empty keeps it), tested step by
//! step and removed. The ones of the server's configuration are shown, read-only.

use agentdesk_protocol::{
    MailboxCheck, MailboxInput, MailboxSettings, MailboxStatus, MailboxStep, TeamSummary,
};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::components::time::Time;
use crate::i18n::{Msg, OfficeMsg, use_i18n};

fn step_text(step: MailboxStep) -> OfficeMsg {
    match step {
        MailboxStep::Resolve => OfficeMsg::StepResolve,
        MailboxStep::Connect => OfficeMsg::StepConnect,
        MailboxStep::Tls => OfficeMsg::StepTls,
        MailboxStep::Greeting => OfficeMsg::StepGreeting,
        MailboxStep::Login => OfficeMsg::StepLogin,
        MailboxStep::Folder => OfficeMsg::StepFolder,
    }
}

/// The form's fields (text as typed).
#[derive(Clone, Default)]
struct Fields {
    team: Option<i64>,
    host: String,
    port: String,
    tls: bool,
    username: String,
    password: String,
    folder: String,
    active: bool,
}

impl Fields {
    fn new() -> Fields {
        Fields {
            tls: true,
            active: true,
            ..Fields::default()
        }
    }

    fn of(s: &MailboxSettings) -> Fields {
        Fields {
            team: Some(s.team_id),
            host: s.host.clone(),
            port: s.port.to_string(),
            tls: s.tls,
            username: s.username.clone(),
            password: String::new(),
            folder: s.folder.clone(),
            active: s.active,
        }
    }
}

#[component]
pub fn Mailboxes() -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let reload = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        reload.track();
        api::get::<Vec<MailboxStatus>>("/mailboxes")
    });
    let teams = LocalResource::new(|| api::get::<Vec<TeamSummary>>("/teams/summary"));
    let form = RwSignal::new(Fields::new());
    let editing = RwSignal::new(None::<i64>);
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let checks = RwSignal::new(std::collections::BTreeMap::<i64, Option<MailboxCheck>>::new());
    let fail =
        move |e: api::ApiError| status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m)))));
    let reset = move || {
        editing.set(None);
        form.set(Fields::new());
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let f = form.get_untracked();
        let Some(team_id) = f.team else {
            status.set(Some((false, i18n.t(OfficeMsg::PickTeam).to_string())));
            return;
        };
        let port = f.port.trim();
        let port = if port.is_empty() {
            None
        } else if let Ok(p) = port.parse::<u16>().map(u32::from) {
            Some(p)
        } else {
            status.set(Some((false, i18n.t(OfficeMsg::MailboxBadPort).to_string())));
            return;
        };
        let body = MailboxInput {
            team_id,
            host: f.host,
            port,
            tls: f.tls,
            username: f.username,
            // Empty on an edit: the stored one is kept.
            password: (!f.password.is_empty()).then_some(f.password),
            folder: Some(f.folder),
            active: f.active,
        };
        let id = editing.get_untracked();
        busy.set(true);
        scope.spawn(async move {
            let done = match id {
                Some(id) => api::put::<_, MailboxStatus>(&format!("/mailboxes/{id}"), &body).await,
                None => api::post::<_, MailboxStatus>("/mailboxes", &body).await,
            };
            busy.set(false);
            match done {
                Ok(saved) => {
                    // An earlier test's outcome was about the old settings.
                    if let Some(id) = saved.id {
                        checks.update(|m| {
                            m.remove(&id);
                        });
                    }
                    reset();
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => fail(e),
            }
        });
    };
    let test = move |id: i64| {
        // One test at a time per mailbox: it may take a while against a slow server.
        if checks.with_untracked(|m| matches!(m.get(&id), Some(None))) {
            return;
        }
        checks.update(|m| {
            m.insert(id, None);
        });
        scope.spawn(async move {
            match api::post_empty::<MailboxCheck>(&format!("/mailboxes/{id}/test")).await {
                Ok(c) => checks.update(|m| {
                    m.insert(id, Some(c));
                }),
                Err(e) => {
                    checks.update(|m| {
                        m.remove(&id);
                    });
                    fail(e);
                }
            }
        });
    };
    let remove = move |id: i64, name: String| {
        let ask = i18n
            .t(OfficeMsg::ConfirmRemoveMailbox)
            .replace("{name}", &name);
        if !window().confirm_with_message(&ask).unwrap_or(false) {
            return;
        }
        scope.spawn(async move {
            match api::delete(&format!("/mailboxes/{id}")).await {
                Ok(()) => {
                    checks.update(|m| {
                        m.remove(&id);
                    });
                    if editing.get_untracked() == Some(id) {
                        reset();
                    }
                    reload.update(|n| *n += 1);
                }
                Err(e) => fail(e),
            }
        });
    };
    let check_line = move |id: i64| {
        checks.with(|m| m.get(&id).cloned()).map(|c| match c {
            None => view! { <p class="muted small mailbox-check">{i18n.t(OfficeMsg::Testing)}</p> }.into_any(),
            Some(c) if c.ok => view! {
                <p class="form-ok small mailbox-check" role="status">
                    {i18n.t(OfficeMsg::MailboxOk).replace("{n}", &c.messages.unwrap_or(0).to_string())}
                </p>
            }.into_any(),
            Some(c) => view! {
                <p class="field-error small mailbox-check" role="status">
                    {format!("{}: {}", c.step.map(|s| i18n.t(step_text(s))).unwrap_or_default(), c.error.unwrap_or_default())}
                </p>
            }.into_any(),
        })
    };
    let row = move |m: MailboxStatus| {
        let failing = m.last_error.is_some();
        let state = match (&m.id, &m.settings) {
            (None, _) => i18n.t(OfficeMsg::SourceEnvironment),
            (Some(_), Some(s)) if !s.active => i18n.t(OfficeMsg::MailboxPaused),
            _ => i18n.t(OfficeMsg::Active),
        };
        let actions = m.id.map(|id| {
            let settings = m.settings.clone();
            let name = m.mailbox.clone();
            view! {
                <button type="button" class="link-btn mailbox-test" on:click=move |_| test(id)>{i18n.t(OfficeMsg::MailTest)}</button>
                " "
                <button type="button" class="link-btn mailbox-edit" on:click=move |_| {
                    if let Some(s) = &settings {
                        form.set(Fields::of(s));
                        editing.set(Some(id));
                        status.set(None);
                    }
                }>{i18n.t(Msg::Edit)}</button>
                " "
                <button type="button" class="link-btn danger mailbox-remove"
                    on:click=move |_| remove(id, name.clone())>{i18n.t(OfficeMsg::MailRemove)}</button>
                {move || check_line(id)}
            }
        });
        let key = m.mailbox.clone();
        view! {
            <tr class:delivery-rejected=failing data-mailbox=key>
                <td class="mono">{m.mailbox}</td>
                <td>{m.team}</td>
                <td>{state}</td>
                <td>{m.last_poll_at.map(|at| view! { <Time at=at /> })}</td>
                <td>{m.last_ok_at.map(|at| view! { <Time at=at /> })}</td>
                <td class="num">{m.fetched}</td>
                <td class="mailbox-error">{m.last_error.unwrap_or_default()}</td>
                <td>{actions}</td>
            </tr>
        }
    };
    let text_field = move |id: &'static str,
                           label: OfficeMsg,
                           get: fn(&Fields) -> String,
                           set: fn(&mut Fields, String)| {
        view! {
            <label for=id>{move || i18n.t(label)}</label>
            <input id=id class="input" autocomplete="off" prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
        }
    };
    view! {
        <section class="card" id="mailboxes" aria-labelledby="mailboxes-title">
            <h2 id="mailboxes-title">{move || i18n.t(OfficeMsg::MailboxesTitle)}</h2>
            <p class="muted small">{move || i18n.t(OfficeMsg::MailboxesHelp)}</p>
            <p><button class="btn" type="button" id="mailboxes-refresh" on:click=move |_| reload.update(|n| *n += 1)>
                {move || i18n.t(OfficeMsg::Refresh)}
            </button></p>
            <table class="table" id="mailboxes-table">
                <thead><tr>
                    <th scope="col">{move || i18n.t(OfficeMsg::Mailbox)}</th>
                    <th scope="col">{move || i18n.t(Msg::Team)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::UserState)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::LastPoll)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::LastOk)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::Fetched)}</th>
                    <th scope="col">{move || i18n.t(OfficeMsg::LastError)}</th>
                    <th></th>
                </tr></thead>
                <tbody>
                    {move || match list.get() {
                        None => view! { <tr><td colspan="8" class="muted">{i18n.t(Msg::Loading)}</td></tr> }.into_any(),
                        Some(Err(e)) => view! { <tr><td colspan="8" class="field-error">{describe_for_admin(&e, |m| i18n.t(m))}</td></tr> }.into_any(),
                        Some(Ok(l)) if l.is_empty() => view! {
                            <tr><td colspan="8" class="muted">{i18n.t(OfficeMsg::MailboxesNone)}</td></tr>
                        }.into_any(),
                        Some(Ok(l)) => l.into_iter().map(row).collect_view().into_any(),
                    }}
                </tbody>
            </table>
            <form class="admin-form" id="mailbox-form" on:submit=save>
                <h3>{move || i18n.t(if editing.get().is_some() { OfficeMsg::EditMailbox } else { OfficeMsg::NewMailbox })}</h3>
                <label for="mailbox-team">{move || i18n.t(Msg::Team)}</label>
                <select id="mailbox-team" class="input"
                    on:change=move |ev| form.update(|f| f.team = event_target_value(&ev).parse().ok())>
                    <option value="" prop:selected=move || form.with(|f| f.team.is_none())>{move || i18n.t(OfficeMsg::PickTeam)}</option>
                    {move || teams.get().and_then(Result::ok).unwrap_or_default().into_iter()
                        .filter(|t| !t.archived)
                        .map(|t| view! {
                            <option value=t.id.to_string() prop:selected=move || form.with(|f| f.team == Some(t.id))>{t.name}</option>
                        })
                        .collect_view()}
                </select>
                {move || teams.get().and_then(Result::err).map(|e| view! {
                    <p class="field-error small">{describe_for_admin(&e, |m| i18n.t(m))}</p>
                })}
                {text_field("mailbox-host", OfficeMsg::MailboxHost, |f| f.host.clone(), |f, v| f.host = v)}
                {text_field("mailbox-port", OfficeMsg::MailboxPort, |f| f.port.clone(), |f, v| f.port = v)}
                <label class="check small">
                    <input type="checkbox" id="mailbox-tls" prop:checked=move || form.with(|f| f.tls)
                        on:change=move |ev| form.update(|f| f.tls = event_target_checked(&ev)) />
                    " " {move || i18n.t(OfficeMsg::MailboxTls)}
                </label>
                {text_field("mailbox-user", OfficeMsg::MailboxUser, |f| f.username.clone(), |f, v| f.username = v)}
                <label for="mailbox-password">{move || i18n.t(OfficeMsg::MailboxPassword)}</label>
                <input id="mailbox-password" class="input" type="password" autocomplete="new-password"
                    placeholder=move || editing.get().map(|_| i18n.t(OfficeMsg::PasswordKept))
                    prop:value=move || form.with(|f| f.password.clone())
                    on:input=move |ev| form.update(|f| f.password = event_target_value(&ev)) />
                {text_field("mailbox-folder", OfficeMsg::MailboxFolder, |f| f.folder.clone(), |f, v| f.folder = v)}
                <label class="check small">
                    <input type="checkbox" id="mailbox-active" prop:checked=move || form.with(|f| f.active)
                        on:change=move |ev| form.update(|f| f.active = event_target_checked(&ev)) />
                    " " {move || i18n.t(OfficeMsg::MailboxActive)}
                </label>
                <div class="form-actions">
                    <button class="btn btn-primary" type="submit" id="mailbox-save" disabled=move || busy.get()>
                        {move || i18n.t(if editing.get().is_some() { OfficeMsg::MailSaveChanges } else { OfficeMsg::NewMailbox })}
                    </button>
                    <Show when=move || editing.get().is_some()>
                        <button class="btn" type="button" id="mailbox-cancel" on:click=move |_| reset()>{move || i18n.t(Msg::Cancel)}</button>
                    </Show>
                    {move || status.get().map(|(ok, m)| view! {
                        <span class=if ok { "form-ok" } else { "field-error" } role="status" id="mailbox-status">{m}</span>
                    })}
                </div>
            </form>
        </section>
    }
}
