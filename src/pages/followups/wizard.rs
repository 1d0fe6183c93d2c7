//! The wizard that creates or edits a follow-up, in the order an admin thinks it
//! through — name; data extraction (its calls); recipients (attributes, or a call that
//! finds them); message, card, its buttons' actions and channel; schedule — with a dry
//! run before saving. A refused field shows its step and the rule's reason.

use agentdesk_protocol::TeamRef;
use agentdesk_protocol::followup::{DryRun, FollowUp, FollowUpSpec, MAX_ACTIONS, MAX_CALLS};
use leptos::prelude::*;

use super::call::CallFields;
use super::{CallDraft, Draft, Slot, step_of};
use crate::api;
use crate::components::error::describe_for_admin;
use crate::i18n::{I18n, Msg, OfficeMsg, use_i18n};
use crate::task::Scope;

/// A refused field in the admin's language, with the rule's exact reason.
fn refused(i18n: I18n, field: &str, why: &str) -> String {
    let label = match field.split(['.', '[']).next().unwrap_or(field) {
        "name" => i18n.t(Msg::Name).to_string(),
        "poll_minutes" => i18n.t(OfficeMsg::PollMinutes).to_string(),
        "calls" => i18n.t(OfficeMsg::CallUrl).to_string(),
        "attributes" => i18n.t(OfficeMsg::SetAttributes).to_string(),
        "looping" => i18n.t(OfficeMsg::LoopingElement).to_string(),
        "record_id" => i18n.t(OfficeMsg::ReconciliationId).to_string(),
        "recipients" => i18n.t(OfficeMsg::StepRecipients).to_string(),
        "contact" => i18n.t(OfficeMsg::LinkContacts).to_string(),
        "actions" => i18n.t(OfficeMsg::Actions).to_string(),
        "message" => i18n.t(OfficeMsg::MessageText).to_string(),
        "channel" => i18n.t(OfficeMsg::Channel).to_string(),
        "webhook_url" => i18n.t(OfficeMsg::WebhookUrl).to_string(),
        "notify_minutes" => i18n.t(OfficeMsg::NotifyMinutes).to_string(),
        "attempts" => i18n.t(OfficeMsg::Attempts).to_string(),
        _ => field.to_string(),
    };
    format!(
        "{} ({field}: {why})",
        i18n.t(Msg::ErrInvalidField).replace("{field}", &label)
    )
}

/// A text input bound to one field of the draft.
fn field(
    draft: RwSignal<Draft>,
    id: &'static str,
    get: fn(&Draft) -> String,
    set: fn(&mut Draft, String),
) -> impl IntoView {
    view! {
        <input id=id class="input" prop:value=move || draft.with(get)
            on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev))) />
    }
}

/// A textarea bound to one field of the draft.
fn area(
    draft: RwSignal<Draft>,
    id: &'static str,
    rows: u32,
    get: fn(&Draft) -> String,
    set: fn(&mut Draft, String),
) -> impl IntoView {
    view! {
        <textarea id=id class="input mono" rows=rows prop:value=move || draft.with(get)
            on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))></textarea>
    }
}

#[component]
pub fn Wizard(
    draft: Draft,
    on_done: impl Fn(bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let scope = Scope::here();
    let draft = RwSignal::new(draft);
    let step = RwSignal::new(1_u8);
    let status = RwSignal::new(None::<(bool, String)>);
    let preview = RwSignal::new(None::<DryRun>);
    let teams = LocalResource::new(|| api::get::<Vec<TeamRef>>("/teams"));
    let busy = RwSignal::new(false);
    // The spec, or the refused field shown on its step.
    let spec = move || -> Option<FollowUpSpec> {
        match draft.with_untracked(Draft::to_spec) {
            Ok(s) => Some(s),
            Err((field, why)) => {
                step.set(step_of(&field));
                status.set(Some((false, refused(i18n, &field, &why))));
                None
            }
        }
    };
    let failed = move |e: api::ApiError| {
        if let api::ApiError::Api { body, .. } = &e
            && let Some(f) = &body.error.field
        {
            step.set(step_of(f));
            if body.error.code == agentdesk_protocol::ErrorCode::Validation {
                status.set(Some((false, refused(i18n, f, &body.error.message))));
                return;
            }
        }
        status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m)))));
    };
    let dry_run = move |_| {
        let Some(s) = spec() else { return };
        let id = draft.with_untracked(|d| d.id);
        busy.set(true);
        scope.spawn(async move {
            let path = match id {
                Some(id) => format!("/followups/dry-run?id={id}"),
                None => "/followups/dry-run".to_string(),
            };
            match api::post::<_, DryRun>(&path, &s).await {
                Ok(d) => {
                    preview.set(Some(d));
                    status.set(None);
                }
                Err(e) => failed(e),
            }
            busy.set(false);
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(s) = spec() else { return };
        let id = draft.with_untracked(|d| d.id);
        busy.set(true);
        scope.spawn(async move {
            let r = match id {
                Some(id) => api::put::<_, FollowUp>(&format!("/followups/{id}"), &s).await,
                None => api::post::<_, FollowUp>("/followups", &s).await,
            };
            busy.set(false);
            match r {
                Ok(_) => on_done(true),
                Err(e) => failed(e),
            }
        });
    };
    let steps = [
        OfficeMsg::StepName,
        OfficeMsg::StepData,
        OfficeMsg::StepRecipients,
        OfficeMsg::StepMessage,
        OfficeMsg::StepSchedule,
    ];
    let shown = move |n: u8| move || step.get() == n;
    view! {
        <form class="admin-form wizard" id="followup-wizard" on:submit=save>
            <h2>{move || i18n.t(if draft.with(|d| d.id.is_some()) { OfficeMsg::EditFollowUp } else { OfficeMsg::NewFollowUp })}</h2>
            <ol class="wizard-steps">
                {steps.into_iter().enumerate().map(|(i, m)| {
                    let n = i as u8 + 1;
                    view! { <li><button type="button" class="link-btn" class:current=move || step.get() == n
                        aria-current=move || (step.get() == n).then_some("step")
                        on:click=move |_| step.set(n)>{move || i18n.t(m)}</button></li> }
                }).collect_view()}
            </ol>
            <fieldset hidden=move || !shown(1)()>
                <label for="fu-name">{move || i18n.t(Msg::Name)}</label>
                {field(draft, "fu-name", |d| d.name.clone(), |d, v| d.name = v)}
                <label class="check"><input type="checkbox" id="fu-active" prop:checked=move || draft.with(|d| d.active)
                    on:change=move |ev| draft.update(|d| d.active = event_target_checked(&ev)) />
                    {move || i18n.t(OfficeMsg::Active)}</label>
            </fieldset>
            <fieldset hidden=move || !shown(2)()>
                <label for="fu-poll">{move || i18n.t(OfficeMsg::PollMinutes)}</label>
                {field(draft, "fu-poll", |d| d.poll.clone(), |d, v| d.poll = v)}
                <p class="muted small">{move || i18n.t(OfficeMsg::IntegrationCalls)}</p>
                {move || (0..draft.with(|d| d.calls.len())).map(|i| view! {
                    <div class="call-block" data-call=i>
                        <CallFields draft which=Slot::Call(i) />
                        <Show when=move || { i > 0 }>
                            <button type="button" class="link-btn" id=Slot::Call(i).id("remove")
                                on:click=move |_| draft.update(|d| { d.calls.remove(i); })>{move || i18n.t(OfficeMsg::RemoveCall)}</button>
                        </Show>
                    </div>
                }).collect_view()}
                <Show when=move || draft.with(|d| d.calls.len() < MAX_CALLS)>
                    <button type="button" class="btn btn-ghost" id="fu-add-call"
                        on:click=move |_| draft.update(|d| { let n = d.calls.len(); d.calls.push(CallDraft::new(&format!("call{}", n + 1))); })>
                        {move || i18n.t(OfficeMsg::AddCall)}</button>
                </Show>
                <label for="fu-attributes">{move || i18n.t(OfficeMsg::SetAttributes)}</label>
                {area(draft, "fu-attributes", 4, |d| d.attributes.clone(), |d, v| d.attributes = v)}
                <label for="fu-looping">{move || i18n.t(OfficeMsg::LoopingElement)}</label>
                {field(draft, "fu-looping", |d| d.looping.clone(), |d, v| d.looping = v)}
                <label for="fu-record-id">{move || i18n.t(OfficeMsg::ReconciliationId)}</label>
                {field(draft, "fu-record-id", |d| d.record_id.clone(), |d, v| d.record_id = v)}
                <p class="muted small">{move || i18n.t(OfficeMsg::PathHelp)}</p>
            </fieldset>
            <fieldset hidden=move || !shown(3)()>
                <label for="fu-user">{move || i18n.t(OfficeMsg::RecipientUser)}</label>
                {field(draft, "fu-user", |d| d.user.clone(), |d, v| d.user = v)}
                <label for="fu-team">{move || i18n.t(OfficeMsg::RecipientTeam)}</label>
                {field(draft, "fu-team", |d| d.team.clone(), |d, v| d.team = v)}
                <Show when=move || draft.with(|d| d.lookup.is_some()) fallback=move || view! {
                    <button type="button" class="btn btn-ghost" id="fu-add-lookup"
                        on:click=move |_| draft.update(|d| d.lookup = Some(CallDraft::new("recipients")))>
                        {move || i18n.t(OfficeMsg::AddLookup)}</button>
                }>
                    <div class="call-block">
                        <p class="muted small">{move || i18n.t(OfficeMsg::LookupCall)}</p>
                        <CallFields draft which=Slot::Lookup />
                        <label for="fu-lookup-user">{move || i18n.t(OfficeMsg::LookupUser)}</label>
                        {field(draft, "fu-lookup-user", |d| d.lookup_user.clone(), |d, v| d.lookup_user = v)}
                        <label for="fu-lookup-team">{move || i18n.t(OfficeMsg::LookupTeam)}</label>
                        {field(draft, "fu-lookup-team", |d| d.lookup_team.clone(), |d, v| d.lookup_team = v)}
                        <button type="button" class="link-btn" id="fu-lookup-remove"
                            on:click=move |_| draft.update(|d| d.lookup = None)>{move || i18n.t(OfficeMsg::RemoveCall)}</button>
                    </div>
                </Show>
                <label for="fu-link-team">{move || i18n.t(OfficeMsg::LinkContacts)}</label>
                <select id="fu-link-team" prop:value=move || draft.with(|d| d.link_team.clone())
                    on:change=move |ev| draft.update(|d| d.link_team = event_target_value(&ev))>
                    <option value="">"—"</option>
                    {move || teams.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| view! {
                        <option value=t.id.to_string()>{t.name}</option>
                    }).collect_view()}
                </select>
                <label for="fu-link-phone">{move || i18n.t(Msg::Phone)}</label>
                {field(draft, "fu-link-phone", |d| d.link_phone.clone(), |d, v| d.link_phone = v)}
                <label for="fu-link-email">{move || i18n.t(Msg::Email)}</label>
                {field(draft, "fu-link-email", |d| d.link_email.clone(), |d, v| d.link_email = v)}
                <label for="fu-link-external">{move || i18n.t(Msg::ExternalId)}</label>
                {field(draft, "fu-link-external", |d| d.link_external.clone(), |d, v| d.link_external = v)}
            </fieldset>
            <fieldset hidden=move || !shown(4)()>
                <label for="fu-message">{move || i18n.t(OfficeMsg::MessageText)}</label>
                {area(draft, "fu-message", 3, |d| d.message.clone(), |d, v| d.message = v)}
                <label for="fu-card-title">{move || i18n.t(OfficeMsg::CardTitle)}</label>
                {field(draft, "fu-card-title", |d| d.card_title.clone(), |d, v| d.card_title = v)}
                <label for="fu-card-text">{move || i18n.t(OfficeMsg::CardText)}</label>
                {area(draft, "fu-card-text", 2, |d| d.card_text.clone(), |d, v| d.card_text = v)}
                <label for="fu-card-image">{move || i18n.t(OfficeMsg::CardImage)}</label>
                {field(draft, "fu-card-image", |d| d.card_image.clone(), |d, v| d.card_image = v)}
                <label for="fu-card-buttons">{move || i18n.t(OfficeMsg::CardButtons)}</label>
                {area(draft, "fu-card-buttons", 2, |d| d.card_buttons.clone(), |d, v| d.card_buttons = v)}
                <p class="muted small">{move || i18n.t(OfficeMsg::Actions)}</p>
                {move || (0..draft.with(|d| d.actions.len())).map(|i| view! {
                    <div class="call-block" data-action=i>
                        <CallFields draft which=Slot::Action(i) />
                        <button type="button" class="link-btn" id=Slot::Action(i).id("remove")
                            on:click=move |_| draft.update(|d| { d.actions.remove(i); })>{move || i18n.t(OfficeMsg::RemoveCall)}</button>
                    </div>
                }).collect_view()}
                <Show when=move || draft.with(|d| d.actions.len() < MAX_ACTIONS)>
                    <button type="button" class="btn btn-ghost" id="fu-add-action"
                        on:click=move |_| draft.update(|d| { let n = d.actions.len(); d.actions.push(CallDraft::new(&format!("action{}", n + 1))); })>
                        {move || i18n.t(OfficeMsg::AddAction)}</button>
                </Show>
                <label for="fu-channel">{move || i18n.t(OfficeMsg::Channel)}</label>
                <select id="fu-channel" prop:value=move || draft.with(|d| d.channel.clone())
                    on:change=move |ev| draft.update(|d| d.channel = event_target_value(&ev))>
                    <option value="in_app">{move || i18n.t(Msg::DeliveryInApp)}</option>
                    <option value="webhook">{move || i18n.t(Msg::DeliveryWebhook)}</option>
                    <option value="email">{move || i18n.t(Msg::KindEmail)}</option>
                    <option value="last_used">{move || i18n.t(OfficeMsg::DeliveryLastUsed)}</option>
                </select>
                <Show when=move || draft.with(|d| d.channel == "webhook")>
                    <label for="fu-webhook">{move || i18n.t(OfficeMsg::WebhookUrl)}</label>
                    {field(draft, "fu-webhook", |d| d.webhook_url.clone(), |d, v| d.webhook_url = v)}
                </Show>
            </fieldset>
            <fieldset hidden=move || !shown(5)()>
                <label for="fu-notify">{move || i18n.t(OfficeMsg::NotifyMinutes)}</label>
                {field(draft, "fu-notify", |d| d.notify.clone(), |d, v| d.notify = v)}
                <label for="fu-attempts">{move || i18n.t(OfficeMsg::Attempts)}</label>
                {field(draft, "fu-attempts", |d| d.attempts.clone(), |d, v| d.attempts = v)}
            </fieldset>
            <div class="form-actions">
                <button type="button" class="btn btn-ghost" disabled=move || step.get() == 1
                    on:click=move |_| step.update(|s| *s = s.saturating_sub(1).max(1))>{move || i18n.t(OfficeMsg::Back)}</button>
                <Show when=move || { step.get() < 5 } fallback=move || view! {
                    <button type="button" class="btn btn-ghost" id="fu-dry-run" disabled=busy on:click=dry_run>{move || i18n.t(OfficeMsg::DryRun)}</button>
                    <button type="submit" class="btn btn-primary" id="fu-save" disabled=busy>{move || i18n.t(Msg::Save)}</button>
                }>
                    <button type="button" class="btn btn-primary" id="fu-next"
                        on:click=move |_| step.update(|s| *s = (*s + 1).min(5))>{move || i18n.t(OfficeMsg::Next)}</button>
                </Show>
                <button type="button" class="btn btn-ghost" on:click=move |_| on_done(false)>{move || i18n.t(Msg::Cancel)}</button>
                {move || status.get().map(|(ok, m)| view! {
                    <span class=if ok { "form-ok" } else { "field-error" } role="status" id="fu-status">{m}</span>
                })}
            </div>
            {move || preview.get().map(|d| view! {
                <div class="dry-run" id="fu-preview" role="status">
                    <strong>{i18n.t(OfficeMsg::DryRun)}</strong>
                    <p>{i18n.t(OfficeMsg::DryRunSummary).replace("{found}", &d.found.to_string()).replace("{send}", &d.would_send.len().to_string())}</p>
                    <ul>{d.would_send.into_iter().map(|n| view! {
                        <li>{n.record} " → " {n.recipients.join(", ")} ": " {n.text}</li>
                    }).collect_view()}</ul>
                    {d.errors.into_iter().map(|e| view! { <p class="field-error">{e}</p> }).collect_view()}
                </div>
            })}
        </form>
    }
}
