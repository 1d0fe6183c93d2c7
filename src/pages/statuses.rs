//! `/admin/statuses` (admins; back office): the custom statuses agents pick from, in the
//! picker's order — labels in both languages, colour, uContact's break reason (or none),
//! retiring and offering again, moving up and down — and a new one. System statuses
//! are listed, not changed (the server refuses).

use agentdesk_protocol::{StatusDef, StatusOrder, UcBreak, UpsertStatus};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::pages::admin::AdminSection;

#[component]
pub fn StatusesPage() -> impl IntoView {
    view! {
        <AdminSection title=OfficeMsg::StatusesTitle>
            <StatusesAdmin />
        </AdminSection>
    }
}

/// The reasons an admin may pick, `None` first (not a break).
const REASONS: [(Option<UcBreak>, OfficeMsg); 6] = [
    (None, OfficeMsg::ReasonNone),
    (Some(UcBreak::Bathroom), OfficeMsg::ReasonBathroom),
    (Some(UcBreak::Lunch), OfficeMsg::ReasonLunch),
    (Some(UcBreak::Training), OfficeMsg::ReasonTraining),
    (Some(UcBreak::Personal), OfficeMsg::ReasonPersonal),
    (Some(UcBreak::Other), OfficeMsg::ReasonOther),
];

fn reason_key(r: Option<UcBreak>) -> &'static str {
    r.map_or("", UcBreak::as_str)
}

/// A select of the break reasons bound to `reason`.
#[component]
fn ReasonSelect(reason: RwSignal<Option<UcBreak>>, #[prop(into)] class: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <select class=format!("input {class}") aria-label=move || i18n.t(OfficeMsg::StatusReason)
            on:change=move |ev| reason.set(UcBreak::parse(&event_target_value(&ev)))>
            {REASONS.iter().map(|(r, label)| {
                let (r, label) = (*r, *label);
                view! {
                    <option value=reason_key(r) selected=move || reason.get() == r>{move || i18n.t(label)}</option>
                }
            }).collect_view()}
        </select>
    }
}

#[component]
fn StatusesAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let list = RwSignal::new(None::<Result<Vec<StatusDef>, api::ApiError>>);
    let status = RwSignal::new(None::<(bool, String)>);
    let load = move || scope.spawn(async move { list.set(Some(api::statuses().await)) });
    load();
    let finish = move |res: Result<(), api::ApiError>| {
        match res {
            Ok(()) => status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string()))),
            Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
        }
        load();
    };
    let save = move |value: String, def: UpsertStatus| {
        scope.spawn(async move {
            finish(api::put::<_, ()>(&format!("/statuses/{value}"), &def).await);
        });
    };
    let custom = move || {
        list.with(|l| match l {
            Some(Ok(defs)) => defs.iter().filter(|d| !d.system).cloned().collect(),
            _ => Vec::new(),
        })
    };
    // Swap a status with its neighbour and send the whole order.
    let shift = move |value: String, by: isize| {
        let mut values: Vec<String> = custom().into_iter().map(|d| d.value).collect();
        let Some(i) = values.iter().position(|v| *v == value) else {
            return;
        };
        let j = i as isize + by;
        if j < 0 || j as usize >= values.len() {
            return;
        }
        values.swap(i, j as usize);
        scope.spawn(async move {
            let res = api::put::<_, Vec<StatusDef>>("/status-order", &StatusOrder { values }).await;
            finish(res.map(|_| ()));
        });
    };
    let row = move |(n, d): (usize, StatusDef)| {
        let last = custom().len().saturating_sub(1);
        let value = d.value.clone();
        let (es, en, color) = (
            RwSignal::new(d.label_es.clone()),
            RwSignal::new(d.label_en.clone()),
            RwSignal::new(d.color.clone()),
        );
        let reason = RwSignal::new(d.motive());
        let retired = d.retired;
        let edit = move |retire: Option<bool>| UpsertStatus {
            label_es: es.get_untracked(),
            label_en: en.get_untracked(),
            color: color.get_untracked(),
            motive: Some(reason.get_untracked()),
            retired: retire,
        };
        let (v_save, v_retire, v_up, v_down) =
            (value.clone(), value.clone(), value.clone(), value.clone());
        view! {
            <tr data-status=value.clone() class:muted=retired>
                <td class="status-order">
                    <button class="link-btn status-up" disabled=n == 0 aria-label=move || i18n.t(OfficeMsg::MoveUp)
                        on:click=move |_| shift(v_up.clone(), -1)>"↑"</button>
                    <button class="link-btn status-down" disabled=n == last aria-label=move || i18n.t(OfficeMsg::MoveDown)
                        on:click=move |_| shift(v_down.clone(), 1)>"↓"</button>
                </td>
                <td><code>{value.clone()}</code></td>
                <td><input class="input status-es" maxlength="40" aria-label=move || i18n.t(OfficeMsg::StatusLabelEs)
                    prop:value=es on:input=move |ev| es.set(event_target_value(&ev)) /></td>
                <td><input class="input status-en" maxlength="40" aria-label=move || i18n.t(OfficeMsg::StatusLabelEn)
                    prop:value=en on:input=move |ev| en.set(event_target_value(&ev)) /></td>
                <td><input type="color" class="status-color" aria-label=move || i18n.t(OfficeMsg::StatusColor)
                    prop:value=color on:input=move |ev| color.set(event_target_value(&ev)) /></td>
                <td><ReasonSelect reason class="status-reason" /></td>
                <td>{move || i18n.t(if retired { OfficeMsg::StatusRetired } else { OfficeMsg::StatusOffered })}</td>
                <td>
                    <button class="btn btn-primary status-save" on:click=move |_| save(v_save.clone(), edit(None))>
                        {move || i18n.t(Msg::Save)}
                    </button>
                    " "
                    <button class="link-btn status-retire" on:click=move |_| save(v_retire.clone(), edit(Some(!retired)))>
                        {move || i18n.t(if retired { OfficeMsg::BringBack } else { OfficeMsg::Retire })}
                    </button>
                </td>
            </tr>
        }
    };
    let (new_value, new_es, new_en, new_color) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("#4f46e5".to_string()),
    );
    let new_reason = RwSignal::new(Some(UcBreak::Other));
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = new_value.get_untracked().trim().to_string();
        let def = UpsertStatus {
            label_es: new_es.get_untracked(),
            label_en: new_en.get_untracked(),
            color: new_color.get_untracked(),
            motive: Some(new_reason.get_untracked()),
            retired: None,
        };
        scope.spawn(async move {
            let res = api::put::<_, ()>(&format!("/statuses/{value}"), &def).await;
            if res.is_ok() {
                new_value.set(String::new());
                new_es.set(String::new());
                new_en.set(String::new());
            }
            finish(res);
        });
    };
    let system = move || {
        list.with(|l| match l {
            Some(Ok(defs)) => defs
                .iter()
                .filter(|d| d.system)
                .map(|d| format!("{} ({})", d.label(i18n.locale.get()), d.value))
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        })
    };
    view! {
        <p class="muted small">{move || i18n.t(OfficeMsg::StatusesHelp)}</p>
        <form class="filters users-filters" id="status-new-form" on:submit=create>
            <input id="status-new-value" class="input" required maxlength="40" pattern="[a-z]+(-[a-z]+)*"
                placeholder=move || i18n.t(OfficeMsg::StatusValue) aria-label=move || i18n.t(OfficeMsg::StatusValue)
                prop:value=new_value on:input=move |ev| new_value.set(event_target_value(&ev)) />
            <input id="status-new-es" class="input" required maxlength="40"
                placeholder=move || i18n.t(OfficeMsg::StatusLabelEs) aria-label=move || i18n.t(OfficeMsg::StatusLabelEs)
                prop:value=new_es on:input=move |ev| new_es.set(event_target_value(&ev)) />
            <input id="status-new-en" class="input" required maxlength="40"
                placeholder=move || i18n.t(OfficeMsg::StatusLabelEn) aria-label=move || i18n.t(OfficeMsg::StatusLabelEn)
                prop:value=new_en on:input=move |ev| new_en.set(event_target_value(&ev)) />
            <input id="status-new-color" type="color" aria-label=move || i18n.t(OfficeMsg::StatusColor)
                prop:value=new_color on:input=move |ev| new_color.set(event_target_value(&ev)) />
            <ReasonSelect reason=new_reason class="status-new-reason" />
            <button class="btn btn-primary" type="submit" id="status-new">{move || i18n.t(OfficeMsg::NewStatus)}</button>
        </form>
        {move || status.get().map(|(ok, m)| view! {
            <p class=if ok { "form-ok" } else { "field-error" } role="status" id="statuses-status">{m}</p>
        })}
        <table class="table statuses-table" id="statuses-table">
            <thead><tr>
                <th></th>
                <th scope="col">{move || i18n.t(OfficeMsg::StatusValue)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::StatusLabelEs)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::StatusLabelEn)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::StatusColor)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::StatusReason)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::UserState)}</th>
                <th></th>
            </tr></thead>
            <tbody>
                {move || match list.get() {
                    None => view! { <tr><td colspan="8" class="muted">{i18n.t(Msg::Loading)}</td></tr> }.into_any(),
                    Some(Err(e)) => view! { <tr><td colspan="8" class="field-error">{describe_for_admin(&e, |m| i18n.t(m))}</td></tr> }.into_any(),
                    Some(Ok(_)) => custom().into_iter().enumerate().map(row).collect_view().into_any(),
                }}
            </tbody>
        </table>
        <p class="muted small" id="system-statuses">
            <strong>{move || i18n.t(OfficeMsg::SystemStatuses)}": "</strong>{system}
        </p>
    }
}
