//! The admin's list of each team's e-mail sender addresses (docs/email.md): add one
//! (with an SMTP server of its own, whose URL is written and never read back), change
//! one (its URL kept unless a new one is typed, or dropped for the relay), test its
//! server, remove one. Part of `/admin/crm`, so it loads with the back office only.

use agentdesk_protocol::TeamRef;
use agentdesk_protocol::email::{MailIdentity, MailIdentityInput, SenderCheck};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::i18n::{Msg, OfficeMsg, use_i18n};

#[component]
pub fn MailSendersForm() -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let teams = LocalResource::new(|| api::get::<Vec<TeamRef>>("/teams"));
    let team = RwSignal::new(None::<i64>);
    let reload = RwSignal::new(0_u32);
    let senders = LocalResource::new(move || {
        reload.track();
        let t = team.get();
        async move {
            match t {
                Some(t) => api::get::<Vec<MailIdentity>>(&format!("/teams/{t}/mail-identities"))
                    .await
                    .map(Some),
                None => Ok(None),
            }
        }
    });
    // The first team until the admin picks another.
    Effect::new(move || {
        if team.get().is_none()
            && let Some(Ok(ts)) = teams.get()
        {
            team.set(ts.first().map(|t| t.id));
        }
    });
    let address = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let status = RwSignal::new(None::<(bool, String)>);
    // The sender being changed (the form shows it), and whether it goes to the relay.
    let editing = RwSignal::new(None::<i64>);
    let relay = RwSignal::new(false);
    let reset = move || {
        editing.set(None);
        relay.set(false);
        address.set(String::new());
        name.set(String::new());
        url.set(String::new());
    };
    let edit = move |s: MailIdentity| {
        editing.set(Some(s.id));
        relay.set(false);
        address.set(s.address);
        name.set(s.display_name);
        url.set(String::new());
        status.set(None);
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(t) = team.get_untracked() else {
            return;
        };
        let url_text = url.get_untracked();
        let changing = editing.get_untracked();
        // New: a URL or none. Changed: a new URL, "" for the relay, absent to keep it.
        let smtp_url = if relay.get_untracked() {
            changing.map(|_| String::new())
        } else {
            (!url_text.trim().is_empty()).then_some(url_text)
        };
        let body = MailIdentityInput {
            address: address.get_untracked(),
            display_name: name.get_untracked(),
            smtp_url,
        };
        scope.spawn(async move {
            let done = match changing {
                Some(id) => {
                    api::put::<_, MailIdentity>(&format!("/mail-identities/{id}"), &body).await
                }
                None => {
                    api::post::<_, MailIdentity>(&format!("/teams/{t}/mail-identities"), &body)
                        .await
                }
            };
            match done {
                Ok(_) => {
                    reset();
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    // The outcome of the last "Test" per sender, in the server's words.
    let checks = RwSignal::new(std::collections::BTreeMap::<i64, SenderCheck>::new());
    let test = move |id: i64| {
        scope.spawn(async move {
            let path = format!("/mail-identities/{id}/test");
            match api::post_empty::<SenderCheck>(&path).await {
                Ok(c) => checks.update(|m| {
                    m.insert(id, c);
                }),
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    let remove = move |id: i64| {
        scope.spawn(async move {
            match api::delete(&format!("/mail-identities/{id}")).await {
                Ok(()) => reload.update(|n| *n += 1),
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    view! {
        <form class="admin-form" id="mail-senders-form" on:submit=add>
            <h2>{move || i18n.t(OfficeMsg::MailSenders)}</h2>
            <p class="muted small">{move || i18n.t(OfficeMsg::MailSendersHelp)}</p>
            <label for="mail-team">{move || i18n.t(Msg::Team)}</label>
            <select id="mail-team" class="input" on:change=move |ev| { reset(); team.set(event_target_value(&ev).parse().ok()); }>
                {move || teams.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| view! {
                    <option value=t.id.to_string() selected=move || team.get() == Some(t.id)>{t.name}</option>
                }).collect_view()}
            </select>
            <ul class="mail-senders" id="mail-senders">
                {move || match senders.get() {
                    None => view! { <li class="muted">{i18n.t(Msg::Loading)}</li> }.into_any(),
                    Some(Err(e)) => view! { <li class="field-error">{describe_for_admin(&e, |m| i18n.t(m))}</li> }.into_any(),
                    Some(Ok(None)) => ().into_any(),
                    Some(Ok(Some(list))) if list.is_empty() => view! { <li class="muted">{i18n.t(OfficeMsg::MailNone)}</li> }.into_any(),
                    Some(Ok(Some(list))) => list.into_iter().map(|s| {
                        let id = s.id;
                        let server = s.server.clone().unwrap_or_else(|| i18n.t(OfficeMsg::MailServerRelay).to_string());
                        view! {
                            <li data-sender=s.address.clone()>
                                <span>{if s.display_name.is_empty() { s.address.clone() } else { format!("{} <{}>", s.display_name, s.address) }}</span>
                                " · " <span class="muted mono small">{server}</span> " "
                                <button type="button" class="link-btn mail-test" on:click=move |_| test(id)>{i18n.t(OfficeMsg::MailTest)}</button>
                                " "
                                <button type="button" class="link-btn mail-edit" on:click={
                                    let s = s.clone();
                                    move |_| edit(s.clone())
                                }>{i18n.t(OfficeMsg::MailEdit)}</button>
                                " "
                                <button type="button" class="link-btn danger" on:click=move |_| remove(id)>{i18n.t(OfficeMsg::MailRemove)}</button>
                                {move || checks.with(|m| m.get(&id).cloned()).map(|c| view! {
                                    " " <span class=if c.ok { "form-ok mail-check" } else { "field-error mail-check" }>{c.message}</span>
                                })}
                            </li>
                        }
                    }).collect_view().into_any(),
                }}
            </ul>
            <label for="mail-address">{move || i18n.t(OfficeMsg::MailAddress)}</label>
            <input id="mail-address" class="input" type="email" required prop:value=address
                on:input=move |ev| address.set(event_target_value(&ev)) />
            <label for="mail-name">{move || i18n.t(OfficeMsg::MailDisplayName)}</label>
            <input id="mail-name" class="input" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="mail-smtp">{move || i18n.t(OfficeMsg::MailSmtpUrl)}</label>
            // A password field: the URL holds credentials, kept off the screen.
            <input id="mail-smtp" class="input mono" type="password" autocomplete="off"
                placeholder="smtps://user:password@mail.example.com:465" prop:value=url
                disabled=move || relay.get()
                on:input=move |ev| url.set(event_target_value(&ev)) />
            <Show when=move || editing.get().is_some()>
                <p class="muted small">{move || i18n.t(OfficeMsg::MailKeepServer)}</p>
                <label class="check small">
                    <input type="checkbox" id="mail-relay" prop:checked=relay
                        on:change=move |ev| relay.set(event_target_checked(&ev)) />
                    " " {move || i18n.t(OfficeMsg::MailUseRelay)}
                </label>
            </Show>
            <div class="form-actions">
                <button class="btn btn-primary" type="submit" id="mail-add">
                    {move || i18n.t(if editing.get().is_some() { OfficeMsg::MailSaveChanges } else { OfficeMsg::MailAdd })}
                </button>
                <Show when=move || editing.get().is_some()>
                    <button class="btn" type="button" id="mail-cancel" on:click=move |_| reset()>{move || i18n.t(Msg::Cancel)}</button>
                </Show>
                {move || status.get().map(|(ok, m)| view! {
                    <span class=if ok { "form-ok" } else { "field-error" } role="status">{m}</span>
                })}
            </div>
        </form>
    }
}
