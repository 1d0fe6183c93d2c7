//! `/admin/followups` (admins): every follow-up with its last run (run now, edit,
//! delete), and the wizard that creates or edits one in the order an admin thinks it
//! through — name; data extraction; recipients; message and channel; schedule — with a
//! dry run before saving. The spec is checked here by the same rules the server applies
//! (`protocol::followup`), and the step holding a refused field is shown.

use agentdesk_protocol::followup::{FollowUp, FollowUpRun, ImportReport};
use leptos::prelude::*;

use crate::api;
use crate::components::error::describe_for_admin;
use crate::components::time::Time;
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::pages::admin::AdminSection;
use crate::task::Scope;

mod call;
mod draft;
mod wizard;
pub use call::{CallDraft, Slot};
pub use draft::{Draft, step_of};
use wizard::Wizard;

#[component]
pub fn FollowUpsPage() -> impl IntoView {
    view! {
        <AdminSection title=Msg::FollowUps>
            <FollowUpsAdmin />
        </AdminSection>
    }
}

#[component]
fn FollowUpsAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let scope = Scope::here();
    let list = RwSignal::new(None::<Vec<FollowUp>>);
    let status = RwSignal::new(None::<(bool, String)>);
    let editing = RwSignal::new(None::<Draft>);
    let load = move || {
        scope.spawn(async move {
            match api::get::<Vec<FollowUp>>("/followups").await {
                Ok(l) => list.set(Some(l)),
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    load();
    let run_now = move |id: i64| {
        scope.spawn(async move {
            match api::post::<_, FollowUpRun>(&format!("/followups/{id}/run"), &()).await {
                Ok(run) => {
                    status.set(Some((
                        true,
                        run_summary(i18n.t(OfficeMsg::RunSummary), &run),
                    )));
                    load();
                }
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    let remove = move |id: i64| {
        let confirmed = window()
            .confirm_with_message(i18n.t(OfficeMsg::ConfirmDeleteFollowUp))
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        scope.spawn(async move {
            match api::delete(&format!("/followups/{id}")).await {
                Ok(()) => load(),
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    // Export: the archive the server writes, saved by the browser (all, or one).
    let export = move |ids: Option<i64>, name: String| {
        scope.spawn(async move {
            let path = match ids {
                Some(id) => format!("/followups/export?ids={id}"),
                None => "/followups/export".to_string(),
            };
            match api::get_blob(&path).await {
                Ok(blob) => crate::pages::save_file(&name, &blob),
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    // Import: the chosen file's bytes as they are; the server checks every file in it
    // before creating anything and says what it created and what it skipped.
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        status.set(Some((true, i18n.t(Msg::Loading).to_string())));
        scope.spawn(async move {
            match api::post_file::<ImportReport>("/followups/import", &file, "application/zip")
                .await
            {
                Ok(r) => {
                    let names = |v: Vec<String>| {
                        if v.is_empty() {
                            "—".to_string()
                        } else {
                            v.join(", ")
                        }
                    };
                    let text = i18n
                        .t(OfficeMsg::ImportedFollowUps)
                        .replace(
                            "{created}",
                            &names(r.created.into_iter().map(|c| c.name).collect()),
                        )
                        .replace("{conflicts}", &names(r.conflicts));
                    status.set(Some((true, text)));
                    load();
                }
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    let row = move |f: FollowUp| {
        let id = f.id;
        let file_name = format!("{}.zip", f.spec.name);
        let edit_spec = f.clone();
        view! {
            <tr data-followup-id=id>
                <td>{f.spec.name.clone()}</td>
                <td>{move || i18n.t(if f.spec.active { OfficeMsg::Active } else { OfficeMsg::Inactive })}
                    {f.needs_secrets.then(|| view! { " · " <span class="badge warn">{move || i18n.t(OfficeMsg::NeedsSecrets)}</span> })}</td>
                <td>{f.spec.poll_minutes} " min"</td>
                <td class="followup-last-run">{f.last_run.clone().map(|r| view! {
                    <Time at=r.finished_at full=true />
                    " · " {run_summary(i18n.t(OfficeMsg::RunSummary), &r)}
                    {r.errors.first().cloned().map(|e| view! { <div class="field-error">{e}</div> })}
                })}</td>
                <td class="row-actions">
                    <button class="link-btn followup-run" on:click=move |_| run_now(id)>{move || i18n.t(OfficeMsg::RunNow)}</button>
                    <button class="link-btn followup-edit" on:click=move |_| editing.set(Some(Draft::from_followup(&edit_spec)))>{move || i18n.t(Msg::Edit)}</button>
                    <button class="link-btn followup-export" on:click=move |_| export(Some(id), file_name.clone())>{move || i18n.t(OfficeMsg::Export)}</button>
                    <button class="link-btn followup-delete" on:click=move |_| remove(id)>{move || i18n.t(Msg::Delete)}</button>
                </td>
            </tr>
        }
    };
    view! {
        <div class="admin-form">
            <div class="form-actions">
                <button class="btn btn-primary" id="followup-new" on:click=move |_| editing.set(Some(Draft::new()))>
                    {move || i18n.t(OfficeMsg::NewFollowUp)}
                </button>
                <button class="btn" id="followup-export-all" on:click=move |_| export(None, "followups.zip".into())>
                    {move || i18n.t(OfficeMsg::ExportAll)}
                </button>
                <label class="btn" for="followup-import">{move || i18n.t(OfficeMsg::ImportZip)}</label>
                <input type="file" id="followup-import" class="visually-hidden" accept=".zip,application/zip"
                    on:change=import />
                {move || status.get().map(|(ok, m)| view! {
                    <span class=if ok { "form-ok" } else { "field-error" } role="status">{m}</span>
                })}
            </div>
            {move || match list.get() {
                None => view! { <p class="muted">{i18n.t(Msg::Loading)}</p> }.into_any(),
                Some(l) if l.is_empty() => view! { <p class="muted">{i18n.t(OfficeMsg::NoFollowUps)}</p> }.into_any(),
                Some(l) => view! {
                    <table class="table" id="followups-table">
                        <tbody>{l.into_iter().map(row).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
        </div>
        {move || editing.get().map(|d| view! {
            <Wizard draft=d on_done=move |saved: bool| {
                editing.set(None);
                if saved {
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                    load();
                }
            } />
        })}
    }
}

/// "found 3 · new 1 · notified 1 · resolved 0 · errors 0" in the user's language.
fn run_summary(template: &str, r: &FollowUpRun) -> String {
    template
        .replace("{found}", &r.found.to_string())
        .replace("{new}", &r.new.to_string())
        .replace("{notified}", &r.notified.to_string())
        .replace("{resolved}", &r.resolved.to_string())
        .replace("{errors}", &r.errors.len().to_string())
}
