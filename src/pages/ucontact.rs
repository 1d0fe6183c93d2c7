//! The admin's uContact settings (docs/crm-integration.md, "uContact settings"): where the
//! webhook and launch-link secrets come from, rotating each (the new one shown once, to
//! paste into uContact), the REST API's address and sign-in (the password typed,
//! never read back), and the address of uContact's call recordings (a template). Part of `/admin/crm`, so it loads with the back office only.

use agentdesk_protocol::ucontact::{
    RotatedSecret, SecretState, SettingSource, UcontactApiInput, UcontactRecordingInput,
    UcontactSettings,
};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::components::time::Time;
use crate::i18n::{OfficeMsg, use_i18n};

#[component]
pub fn UcontactSettingsForm() -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let reload = RwSignal::new(0_u32);
    let current = LocalResource::new(move || {
        reload.track();
        api::get::<UcontactSettings>("/ucontact/settings")
    });
    let status = RwSignal::new(None::<(bool, String)>);
    // The secret just made, and which one: shown until dismissed.
    let shown = RwSignal::new(None::<(OfficeMsg, String)>);
    let (url, user, password) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let recording = RwSignal::new(String::new());
    // The form starts from what is in effect.
    Effect::new(move || {
        if let Some(Ok(s)) = current.get() {
            url.set(s.api_url.unwrap_or_default());
            user.set(s.api_user);
            recording.set(s.recording_url.unwrap_or_default());
        }
    });
    let failed = move |e: api::ApiError| {
        status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m)))));
    };
    let rotate = move |path: &'static str, which: OfficeMsg| {
        if !window()
            .confirm_with_message(i18n.t(OfficeMsg::ConfirmRotateSecret))
            .unwrap_or(false)
        {
            return;
        }
        scope.spawn(async move {
            match api::post_empty::<RotatedSecret>(path).await {
                Ok(r) => {
                    shown.set(Some((which, r.secret)));
                    reload.update(|n| *n += 1);
                }
                Err(e) => failed(e),
            }
        });
    };
    let clear_password = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = password.get_untracked();
        let body = UcontactApiInput {
            url: Some(url.get_untracked()),
            user: user.get_untracked(),
            // Nothing typed: the stored password stays, unless asked to remove it.
            password: if clear_password.get_untracked() {
                Some(String::new())
            } else {
                (!typed.is_empty()).then_some(typed)
            },
        };
        scope.spawn(async move {
            match api::put::<_, UcontactSettings>("/ucontact/api", &body).await {
                Ok(_) => {
                    password.set(String::new());
                    clear_password.set(false);
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => failed(e),
            }
        });
    };
    let recording_status = RwSignal::new(None::<(bool, String)>);
    let save_recording = move |_| {
        let body = UcontactRecordingInput {
            url: Some(recording.get_untracked()),
        };
        scope.spawn(async move {
            match api::put::<_, UcontactSettings>("/ucontact/recording", &body).await {
                Ok(_) => {
                    recording_status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    recording_status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m)))))
                }
            }
        });
    };
    let source = move |s: SettingSource| {
        i18n.t(match s {
            SettingSource::Console => OfficeMsg::SourceConsole,
            SettingSource::Environment => OfficeMsg::SourceEnvironment,
            SettingSource::Unset => OfficeMsg::SourceUnset,
        })
    };
    let secret_row = move |label: OfficeMsg,
                           state: SecretState,
                           id: &'static str,
                           path: &'static str| {
        view! {
            <li id=id>
                <strong>{i18n.t(label)}</strong>": "{source(state.source)}
                {state.rotated_at.map(|at| view! { " · " {i18n.t(OfficeMsg::Rotated)} " " <Time at=at /> })}
                " "
                <button type="button" class="link-btn ucontact-rotate" on:click=move |_| rotate(path, label)>
                    {i18n.t(OfficeMsg::RotateSecret)}
                </button>
            </li>
        }
    };
    view! {
        <form class="admin-form" id="ucontact-form" on:submit=save>
            <h2>{move || i18n.t(OfficeMsg::UcontactTitle)}</h2>
            <p class="muted small">{move || i18n.t(OfficeMsg::UcontactHelp)}</p>
            <ul id="ucontact-secrets">
                {move || match current.get() {
                    None => None,
                    Some(Err(e)) => Some(view! { <li class="field-error">{describe_for_admin(&e, |m| i18n.t(m))}</li> }.into_any()),
                    Some(Ok(s)) => Some(view! {
                        {secret_row(OfficeMsg::WebhookSecret, s.webhook_secret, "ucontact-webhook", "/ucontact/webhook-secret")}
                        {secret_row(OfficeMsg::LaunchSecret, s.launch_secret, "ucontact-launch", "/ucontact/launch-secret")}
                        <li id="ucontact-api-source">
                            <strong>{i18n.t(OfficeMsg::UcontactApi)}</strong>": "{source(s.api_source)}
                            {s.api_password_set.then(|| view! { " · " {i18n.t(OfficeMsg::PasswordSet)} })}
                        </li>
                    }.into_any()),
                }}
            </ul>
            {move || shown.get().map(|(which, secret)| view! {
                <div class="notice-info credentials" id="ucontact-new-secret" role="status">
                    <p>{i18n.t(OfficeMsg::SecretOnce).replace("{name}", i18n.t(which))}</p>
                    <dl><dt>{i18n.t(which)}</dt><dd class="mono" id="ucontact-secret-value">{secret}</dd></dl>
                    <button type="button" class="btn" id="ucontact-secret-done" on:click=move |_| shown.set(None)>
                        {i18n.t(OfficeMsg::CredentialsSaved)}
                    </button>
                </div>
            })}
            <label for="ucontact-url">{move || i18n.t(OfficeMsg::UcontactApiUrl)}</label>
            <input id="ucontact-url" class="input" type="url" maxlength="2000" placeholder="https://acme.ucontact.com"
                prop:value=url on:input=move |ev| url.set(event_target_value(&ev)) />
            <label for="ucontact-user">{move || i18n.t(OfficeMsg::UcontactApiUser)}</label>
            <input id="ucontact-user" class="input" maxlength="256" autocomplete="off"
                prop:value=user on:input=move |ev| user.set(event_target_value(&ev)) />
            <label for="ucontact-password">{move || i18n.t(OfficeMsg::UcontactApiPassword)}</label>
            <input id="ucontact-password" class="input" type="password" maxlength="256" autocomplete="new-password"
                placeholder=move || i18n.t(OfficeMsg::PasswordKept)
                prop:value=password on:input=move |ev| password.set(event_target_value(&ev)) />
            <label class="check">
                <input type="checkbox" id="ucontact-clear-password" prop:checked=clear_password
                    on:change=move |ev| clear_password.set(event_target_checked(&ev)) />
                {move || i18n.t(OfficeMsg::RemovePassword)}
            </label>
            <button class="btn btn-primary" type="submit" id="ucontact-save">{move || i18n.t(OfficeMsg::SaveUcontactApi)}</button>
            {move || status.get().map(|(ok, m)| view! {
                <p class=if ok { "form-ok" } else { "field-error" } role="status" id="ucontact-status">{m}</p>
            })}
            <label for="ucontact-recording">{move || i18n.t(OfficeMsg::UcontactRecording)}</label>
            <input id="ucontact-recording" class="input" maxlength="1024" placeholder="https://rec.acme.example/{yyyy}/{mm}/{dd}/{guid}.mp3"
                prop:value=recording on:input=move |ev| recording.set(event_target_value(&ev)) />
            <p class="muted small">{move || i18n.t(OfficeMsg::UcontactRecordingHelp)}</p>
            <button class="btn" type="button" id="ucontact-recording-save" on:click=save_recording>{move || i18n.t(OfficeMsg::SaveRecordingAddress)}</button>
            {move || recording_status.get().map(|(ok, m)| view! {
                <p class=if ok { "form-ok" } else { "field-error" } role="status" id="ucontact-recording-status">{m}</p>
            })}
        </form>
    }
}
