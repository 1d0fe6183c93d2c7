//! The files of the message being written (docs/email.md): chosen with the file picker,
//! each checked as the server checks it (its name and type by
//! `protocol::email_files::problem`, the message's total by the configured limit) and
//! uploaded to the draft one at a time; listed with their sizes, downloadable, and
//! removable while the message is a draft. A file refused says why, by name. A sent
//! message's timeline item lists its files the same way, to download.

use agentdesk_protocol::ErrorCode;
use agentdesk_protocol::email_files::{self, OutboundAttachment};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::error::describe;
use crate::i18n::{I18n, Msg, use_i18n};

use super::summary::byte_size;

/// The files of the composer's message, and what is happening to them.
#[derive(Debug, Clone, Copy)]
pub struct Files {
    pub list: RwSignal<Vec<OutboundAttachment>>,
    /// The file being uploaded.
    pub uploading: RwSignal<Option<String>>,
    /// Why files were refused, one line each.
    pub refused: RwSignal<Vec<String>>,
}

impl Files {
    pub fn new() -> Files {
        Files {
            list: RwSignal::new(Vec::new()),
            uploading: RwSignal::new(None),
            refused: RwSignal::new(Vec::new()),
        }
    }
}

/// Why file `name` was refused, in the agent's words.
/// `why` is the rule's (or the server's) words, which tell a program from a bad name.
fn refusal(
    name: &str,
    (field, code, why): (Option<&str>, Option<ErrorCode>, &str),
    max: u64,
    i18n: I18n,
) -> String {
    let msg = match (code, field) {
        (Some(ErrorCode::PayloadTooLarge), _) => Msg::FilesTooLarge,
        (Some(ErrorCode::Conflict), Some("file")) => Msg::FilesTooMany,
        _ if why == email_files::PROGRAM => Msg::FileProgramRefused,
        (_, Some("name")) => Msg::FileNameRefused,
        _ => Msg::ErrInvalid,
    };
    let why = i18n
        .t(msg)
        .replace("{max}", &byte_size(max))
        .replace("{n}", &email_files::MAX_FILES.to_string());
    format!("{name}: {why}")
}

/// The files chosen in the picker of `ev`, which is emptied for the next choice.
pub fn chosen(ev: &leptos::ev::Event) -> Vec<web_sys::File> {
    let input: web_sys::HtmlInputElement = event_target(ev);
    let chosen = input
        .files()
        .map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default();
    input.set_value("");
    chosen
}

/// The draft the files go to: the composer's, or one made now with the text so far
/// `d` (after any save in flight: two at once would make two drafts).
pub async fn draft_for_files(
    contact_id: i64,
    draft_id: RwSignal<Option<i64>>,
    saving: RwSignal<bool>,
    d: &agentdesk_protocol::email::EmailDraft,
) -> Result<i64, ApiError> {
    while saving.get_untracked() {
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    if let Some(id) = draft_id.get_untracked() {
        return Ok(id);
    }
    saving.set(true);
    let made = api::create_email(contact_id, d).await;
    saving.set(false);
    let id = made?.activity_id;
    draft_id.set(Some(id));
    Ok(id)
}

/// Upload `chosen` to draft `id`, one after the other; each refusal is said and the
/// rest go on.
pub async fn upload(id: i64, chosen: Vec<web_sys::File>, files: Files, max: u64, i18n: I18n) {
    files.refused.set(Vec::new());
    for file in chosen {
        let name = file.name();
        let declared = file.type_();
        let used: u64 = files
            .list
            .with_untracked(|l| l.iter().map(|f| f.size).sum());
        let size = file.size() as u64;
        // What the server would refuse is said at once, without sending the bytes.
        let early = if let Some((field, why)) = email_files::problem(&name, &declared, None) {
            Some(refusal(&name, (Some(field), None, why), max, i18n))
        } else if max > 0 && used + size > max {
            Some(refusal(
                &name,
                (None, Some(ErrorCode::PayloadTooLarge), ""),
                max,
                i18n,
            ))
        } else if files.list.with_untracked(Vec::len) >= email_files::MAX_FILES {
            Some(refusal(
                &name,
                (Some("file"), Some(ErrorCode::Conflict), ""),
                max,
                i18n,
            ))
        } else {
            None
        };
        if let Some(why) = early {
            files.refused.update(|r| r.push(why));
            continue;
        }
        files.uploading.set(Some(name.clone()));
        let path = format!("/emails/{id}/attachments?name={}", api::encode(&name));
        let kind = email_files::essence(&declared);
        match api::post_file::<OutboundAttachment>(&path, &file, &kind).await {
            Ok(f) => files.list.update(|l| l.push(f)),
            Err(ApiError::Api { body, .. }) => files.refused.update(|r| {
                r.push(refusal(
                    &name,
                    (
                        body.error.field.as_deref(),
                        Some(body.error.code),
                        &body.error.message,
                    ),
                    max,
                    i18n,
                ))
            }),
            Err(e) => files
                .refused
                .update(|r| r.push(format!("{name}: {}", describe(&e, |m| i18n.t(m))))),
        }
    }
    files.uploading.set(None);
}

/// The list of the message's files: each downloadable, and (`editable`: in the
/// composer) removable from draft `draft_id`.
#[component]
pub fn FileList(
    files: Files,
    draft_id: RwSignal<Option<i64>>,
    #[prop(default = true)] editable: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let download = move |file: OutboundAttachment| {
        let Some(id) = draft_id.get_untracked() else {
            return;
        };
        scope.spawn(async move {
            match api::get_blob(&format!("/emails/{id}/attachments/{}", file.id)).await {
                Ok(blob) => crate::pages::save_file(&file.name, &blob),
                Err(e) => files.refused.set(vec![describe(&e, |m| i18n.t(m))]),
            }
        });
    };
    let remove = move |file_id: i64| {
        let Some(id) = draft_id.get_untracked() else {
            return;
        };
        scope.spawn(async move {
            match api::delete(&format!("/emails/{id}/attachments/{file_id}")).await {
                Ok(()) => files.list.update(|l| l.retain(|f| f.id != file_id)),
                Err(e) => files.refused.set(vec![describe(&e, |m| i18n.t(m))]),
            }
        });
    };
    view! {
        <ul class="composer-files" id=editable.then_some("composer-files")>
            // A plain list, drawn again when it changes: a message has at most 20 files.
            {move || files.list.get().into_iter().map(|f| {
                let (id, size) = (f.id, f.size);
                let remove_label = format!("{} {}", i18n.t(Msg::FileRemove), f.name);
                view! {
                    <li data-file=f.name.clone()>
                        <button type="button" class="link-btn file-name" on:click={
                            let f = f.clone();
                            move |_| download(f.clone())
                        }>"📎 " {f.name.clone()}</button>
                        <span class="muted small">" " {byte_size(size)}</span>
                        {editable.then(|| view! {
                            <button type="button" class="btn btn-small file-remove"
                                aria-label=remove_label on:click=move |_| remove(id)>"×"</button>
                        })}
                    </li>
                }
            }).collect_view()}
            {move || files.uploading.get().map(|n| view! {
                <li class="muted" aria-busy="true" id="composer-uploading">{i18n.t(Msg::FileUploading).replace("{name}", &n)}</li>
            })}
        </ul>
        {move || {
            let refused = files.refused.get();
            (!refused.is_empty()).then(|| view! {
                <ul class="field-error composer-files-refused" role="alert" id="composer-files-refused">
                    {refused.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                </ul>
            })
        }}
    }
}
