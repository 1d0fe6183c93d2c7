//! Create or correct a contact: name, phone, e-mail, external id, attributes (one
//! `name: value` per line) and, for a new contact of a user in several teams, the team.
//! Checked as the server checks it (`ContactInput::problem`) before any request; the
//! server's answer is shown translated.

use std::collections::BTreeMap;

use agentdesk_protocol::{Contact, ContactInput};
use leptos::prelude::*;

use crate::api;
use crate::components::error::{describe, field_label};
use crate::i18n::{Msg, use_i18n};
use crate::session::use_session;

/// `name: value` lines → attributes; `Err(line)` for a line without a colon.
pub fn parse_attributes(text: &str) -> Result<BTreeMap<String, String>, usize> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (k, v) = line.split_once(':').ok_or(i + 1)?;
        out.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(out)
}

fn format_attributes(a: &BTreeMap<String, String>) -> String {
    a.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

#[component]
pub fn ContactForm(
    /// The contact to correct; `None` creates one.
    existing: Option<Contact>,
    on_saved: Callback<Contact>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let editing = existing.as_ref().map(|c| c.id);
    let field = |v: Option<&String>| RwSignal::new(v.cloned().unwrap_or_default());
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
    );
    let phone = field(existing.as_ref().and_then(|c| c.phone.as_ref()));
    let existing_phone = existing.as_ref().and_then(|c| c.phone.clone());
    let email = field(existing.as_ref().and_then(|c| c.email.as_ref()));
    let external_id = field(existing.as_ref().and_then(|c| c.external_id.as_ref()));
    let attributes = RwSignal::new(
        existing
            .as_ref()
            .map(|c| format_attributes(&c.attributes))
            .unwrap_or_default(),
    );
    let teams = session
        .me
        .with_untracked(|m| m.as_ref().map(|m| m.teams.clone()).unwrap_or_default());
    let team = RwSignal::new(teams.first().map(|t| t.id));
    let choose_team = editing.is_none() && teams.len() > 1;
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let scope = crate::task::Scope::here();
    // A save under way finishes on screen: closing now would hide whether it was saved.
    let cancel = move || {
        if !busy.get_untracked() {
            on_cancel.run(())
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let attrs = match parse_attributes(&attributes.get_untracked()) {
            Ok(a) => a,
            Err(line) => {
                error.set(Some(
                    i18n.t(Msg::AttributesLine)
                        .replace("{n}", &line.to_string()),
                ));
                return;
            }
        };
        let input = ContactInput {
            team_id: if choose_team {
                team.get_untracked()
            } else {
                None
            },
            name: name.get_untracked(),
            phone: phone.get_untracked(),
            email: email.get_untracked(),
            external_id: external_id.get_untracked(),
            attributes: attrs,
        };
        if let Some((f, _)) = input.problem_for(existing_phone.as_deref()) {
            let t = |m: Msg| i18n.t(m);
            error.set(Some(
                i18n.t(Msg::ErrInvalidField)
                    .replace("{field}", &field_label(f, &t)),
            ));
            return;
        }
        error.set(None);
        busy.set(true);
        scope.spawn(async move {
            let saved = match editing {
                Some(id) => api::put::<_, Contact>(&format!("/contacts/{id}"), &input).await,
                None => api::post::<_, Contact>("/contacts", &input).await,
            };
            busy.set(false);
            match saved {
                Ok(c) => on_saved.run(c),
                Err(e) => error.set(Some(describe(&e, |m| i18n.t(m)))),
            }
        });
    };
    let input = |id: &'static str, label: Msg, value: RwSignal<String>, kind: &'static str| {
        view! {
            <label class="field" for=id>{move || i18n.t(label)}</label>
            <input class="input" id=id type=kind prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    view! {
        <form class="admin-form contact-form" id="contact-form" on:submit=submit novalidate=true
            on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { cancel() }>
            <h2>{move || i18n.t(if editing.is_some() { Msg::EditContact } else { Msg::NewContact })}</h2>
            <label class="field" for="contact-form-name">{move || i18n.t(Msg::Name)}</label>
            <input class="input" id="contact-form-name" required maxlength="200" autofocus
                prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
            {input("contact-form-phone", Msg::Phone, phone, "tel")}
            {input("contact-form-email", Msg::Email, email, "email")}
            {input("contact-form-external-id", Msg::ExternalId, external_id, "text")}
            {choose_team.then(|| view! {
                <label class="field" for="contact-form-team">{move || i18n.t(Msg::Team)}</label>
                <select class="input" id="contact-form-team"
                    on:change=move |ev| team.set(event_target_value(&ev).parse().ok())>
                    {teams.iter().map(|t| view! { <option value=t.id>{t.name.clone()}</option> }).collect_view()}
                </select>
            })}
            <label class="field" for="contact-form-attributes">{move || i18n.t(Msg::AttributesHelp)}</label>
            <textarea class="input mono" id="contact-form-attributes" rows="3" placeholder="plan: gold"
                prop:value=attributes on:input=move |ev| attributes.set(event_target_value(&ev))></textarea>
            <p class="field-error" id="contact-form-error" role="alert">{move || error.get()}</p>
            <div class="form-actions">
                <button class="btn btn-primary" type="submit" id="contact-form-save" disabled=move || busy.get()>
                    {move || i18n.t(Msg::Save)}
                </button>
                <button class="btn" type="button" id="contact-form-cancel" disabled=move || busy.get()
                    on:click=move |_| cancel()>
                    {move || i18n.t(Msg::Cancel)}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_typed_one_per_line() {
        let a = parse_attributes("plan: gold\n\n city :  Montevideo \n").unwrap();
        assert_eq!(a.get("plan").map(String::as_str), Some("gold"));
        assert_eq!(a.get("city").map(String::as_str), Some("Montevideo"));
        assert_eq!(parse_attributes("plan gold"), Err(1));
        assert_eq!(format_attributes(&a), "city: Montevideo\nplan: gold\n");
        assert_eq!(
            parse_attributes("url: http://x"),
            Ok([("url".into(), "http://x".into())].into())
        );
    }
}
