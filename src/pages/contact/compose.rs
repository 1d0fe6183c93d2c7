//! Writing e-mail to the contact (docs/email.md): a new message, a reply to one of the
//! contact's e-mails (quoted, threaded by the server), or a draft resumed from the
//! timeline. The text is saved as a draft a moment after the agent stops typing, and
//! sent when they say so; the timeline shows it queued, then sent or failed, live.

use agentdesk_protocol::email::{ComposeOptions, EmailDraft};
use agentdesk_protocol::{ErrorCode, Locale};
use leptos::html::Textarea;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::error::describe;
use crate::i18n::{Msg, use_i18n};

use super::compose_files::{FileList, Files};

/// How the composer opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    New,
    /// A reply to this inbound e-mail (activity id).
    Reply(i64),
    /// This draft (activity id), to go on writing.
    Resume(i64),
}

/// The contact page's composer: which message it shows, if any. Provided by the
/// activity tab; timeline items open it (reply, resume).
#[derive(Debug, Clone, Copy)]
pub struct Compose(pub RwSignal<Option<Start>>);

/// Why the draft is saved: while typing, to send it, or on closing (the last two close
/// the composer when done).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Auto,
    Send,
    Close,
}

/// Wait after the last keystroke before the draft is saved, in milliseconds.
const AUTOSAVE_MS: u32 = 1500;

/// The message a field's problem reads as.
fn problem_msg(field: &str) -> Msg {
    match field {
        "to" => Msg::EmailToInvalid,
        "subject" => Msg::EmailSubjectInvalid,
        "body" => Msg::EmailBody,
        _ => Msg::ErrInvalid,
    }
}

/// What to tell the agent about a refused request.
fn refusal(e: &ApiError, d: &EmailDraft, i18n: crate::i18n::I18n) -> String {
    if let ApiError::Api { body, .. } = e {
        match (body.error.code, body.error.field.as_deref()) {
            (ErrorCode::Conflict, Some("identity_id")) => return i18n.t(Msg::EmailNoSender).into(),
            (ErrorCode::Validation, Some("to")) if !d.to.trim().is_empty() && !d.new_address => {
                return i18n.t(Msg::EmailToUnknown).into();
            }
            (ErrorCode::Validation, Some("to")) => return i18n.t(Msg::EmailToInvalid).into(),
            (ErrorCode::Validation, Some("subject")) => {
                return i18n.t(Msg::EmailSubjectInvalid).into();
            }
            (ErrorCode::Validation, Some("body")) => return i18n.t(Msg::EmailBodyInvalid).into(),
            _ => {}
        }
    }
    describe(e, |m| i18n.t(m))
}

/// The address of `Name <address>`.
fn address_of(sender: &str) -> String {
    match (sender.rfind('<'), sender.rfind('>')) {
        (Some(l), Some(r)) if l < r => sender[l + 1..r].to_owned(),
        _ => sender.trim().to_owned(),
    }
}

/// `text` quoted for a reply, under a line saying who wrote it and when.
fn quoted(header: &str, text: &str) -> String {
    let mut out = format!("\n\n{header}\n");
    for line in text.lines() {
        out.push_str("> ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The composer, when one is open.
#[component]
pub fn Composer(contact_id: i64) -> impl IntoView {
    let compose = expect_context::<Compose>();
    move || {
        compose.0.get().map(|start| {
            view! { <ComposeForm contact_id=contact_id start=start /> }
        })
    }
}

#[component]
fn ComposeForm(contact_id: i64, start: Start) -> impl IntoView {
    let i18n = use_i18n();
    let compose = expect_context::<Compose>();
    let scope = crate::task::Scope::here();
    let options = LocalResource::new(move || api::compose_options(contact_id));
    let draft_id = RwSignal::new(match start {
        Start::Resume(id) => Some(id),
        _ => None,
    });
    let reply_to = RwSignal::new(match start {
        Start::Reply(id) => Some(id),
        _ => None,
    });
    let identity = RwSignal::new(None::<i64>);
    let to = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let new_address = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let sending = RwSignal::new(false);
    // Bumped by every edit: a save is due when no edit came after it was planned.
    let edits = RwSignal::new(0_u64);
    let textarea = NodeRef::<Textarea>::new();
    let files = Files::new();

    // The user's signature under a new message or a reply (above the quote).
    let session = crate::session::use_session();
    let signed = move || {
        let sig = session
            .me
            .with_untracked(|m| m.as_ref().map(|m| m.signature.clone()).unwrap_or_default());
        if sig.trim().is_empty() {
            String::new()
        } else {
            format!("\n\n-- \n{sig}")
        }
    };
    if start == Start::New {
        body.set(signed());
    }
    // Fill in a reply or a resumed draft.
    scope.spawn(async move {
        match start {
            Start::New => {}
            Start::Reply(id) => {
                if let Ok(v) = api::activity(id).await {
                    let (subj, sender) = match &v.activity.detail {
                        agentdesk_protocol::ActivityDetail::Email {
                            content: Some(c), ..
                        } => (c.subject.clone(), c.sender.clone()),
                        _ => (String::new(), String::new()),
                    };
                    let re = if subj.to_lowercase().starts_with("re:") {
                        subj
                    } else {
                        format!("Re: {subj}")
                    };
                    let locale: Locale = i18n.locale.get_untracked();
                    let when = crate::components::time::format(
                        v.activity.occurred_at,
                        locale,
                        "",
                        &[("dateStyle", "medium"), ("timeStyle", "short")],
                    );
                    let header = i18n
                        .t(Msg::EmailQuote)
                        .replace("{date}", &when)
                        .replace("{who}", &sender);
                    to.set(address_of(&sender));
                    subject.set(re);
                    body.set(format!(
                        "{}{}",
                        signed(),
                        quoted(&header, v.email_body.as_deref().unwrap_or(""))
                    ));
                }
            }
            Start::Resume(id) => match api::outbound_email(id).await {
                Ok(m) => {
                    identity.set(m.identity_id);
                    to.set(m.to);
                    subject.set(m.subject);
                    body.set(m.body);
                    reply_to.set(m.reply_to);
                    files.list.set(m.attachments);
                }
                Err(e) => error.set(Some(describe(&e, |m| i18n.t(m)))),
            },
        }
    });

    let known = move |address: &str| {
        options.with(|o| {
            o.as_ref()
                .and_then(|r| r.as_ref().ok())
                .is_some_and(|o: &ComposeOptions| {
                    o.addresses
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(address.trim()))
                })
        })
    };
    let draft = move |send: bool| EmailDraft {
        identity_id: identity.get_untracked(),
        to: to.get_untracked(),
        subject: subject.get_untracked(),
        body: body.get_untracked(),
        reply_to: reply_to.get_untracked(),
        new_address: new_address.get_untracked(),
        send,
    };
    // One request at a time, each with the text of the moment it goes: the first save
    // makes the draft, the next ones change it (two at once would make two drafts).
    let save = move |mode: Mode| {
        let send = mode == Mode::Send;
        if send {
            if let Some((field, _)) = draft(true).problem(true) {
                error.set(Some(i18n.t(problem_msg(field)).into()));
                return;
            }
            sending.set(true);
        }
        scope.spawn(async move {
            // A message goes with all its files: a save waits for the uploads too.
            while saving.get_untracked() || files.uploading.get_untracked().is_some() {
                gloo_timers::future::TimeoutFuture::new(50).await;
            }
            let planned = edits.get_untracked();
            let mut d = draft(send);
            if !send && d.problem(false).is_some_and(|(field, _)| field == "to") {
                // A half-typed address is not kept; the rest of the draft is.
                d.to = String::new();
            }
            if !send && d.problem(false).is_some() {
                if mode == Mode::Close {
                    compose.0.set(None);
                }
                return;
            }
            saving.set(true);
            let res = match draft_id.get_untracked() {
                None => api::create_email(contact_id, &d).await,
                Some(id) => api::save_email(id, &d).await,
            };
            saving.set(false);
            sending.set(false);
            match res {
                Ok(m) => {
                    draft_id.set(Some(m.activity_id));
                    error.set(None);
                    saved.set(edits.get_untracked() == planned);
                    if mode != Mode::Auto {
                        compose.0.set(None);
                    }
                }
                Err(e) => error.set(Some(refusal(&e, &d, i18n))),
            }
        });
    };
    let edited = move || {
        saved.set(false);
        edits.update(|n| *n += 1);
        let planned = edits.get_untracked();
        scope.spawn(async move {
            gloo_timers::future::TimeoutFuture::new(AUTOSAVE_MS).await;
            // Only the last edit's timer saves, and only a draft worth keeping.
            if edits.get_untracked() == planned
                && !sending.get_untracked()
                && (!subject.get_untracked().trim().is_empty()
                    || !body.get_untracked().trim().is_empty())
            {
                save(Mode::Auto);
            }
        });
    };
    // Files go to a draft: the first file makes it, with the text so far (a half-typed
    // address is left out, as an autosave leaves it).
    let attach = move |ev: leptos::ev::Event| {
        let chosen = super::compose_files::chosen(&ev);
        let max = options.with_untracked(|o| {
            o.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map_or(0, |o| o.max_attachment_bytes)
        });
        scope.spawn(async move {
            let mut d = draft(false);
            if d.problem(false).is_some_and(|(field, _)| field == "to") {
                d.to = String::new();
            }
            match super::compose_files::draft_for_files(contact_id, draft_id, saving, &d).await {
                Ok(id) => super::compose_files::upload(id, chosen, files, max, i18n).await,
                Err(e) => error.set(Some(refusal(&e, &d, i18n))),
            }
        });
    };
    // Discarding waits for a save in flight: the draft it makes is the one to delete.
    let discard = move |_| {
        edits.update(|n| *n += 1);
        scope.spawn(async move {
            while saving.get_untracked() {
                gloo_timers::future::TimeoutFuture::new(50).await;
            }
            if let Some(id) = draft_id.get_untracked()
                && let Err(e) = api::delete(&format!("/emails/{id}")).await
            {
                error.set(Some(describe(&e, |m| i18n.t(m))));
                return;
            }
            compose.0.set(None);
        });
    };
    // Closing keeps the draft: what was typed since the last save is saved first (the
    // composer closes when that save is done, or stays open saying why it could not).
    let close = move |_| {
        let empty =
            subject.get_untracked().trim().is_empty() && body.get_untracked().trim().is_empty();
        if empty || (saved.get_untracked() && !saving.get_untracked()) {
            compose.0.set(None);
        } else {
            save(Mode::Close);
        }
    };
    // The toolbar wraps the selection in the composer's marks (the server makes them
    // HTML; the text part keeps them as typed).
    let mark = move |open: &'static str, close: &'static str| {
        let Some(el) = textarea.get_untracked() else {
            return;
        };
        let text = body.get_untracked();
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let a = el.selection_start().ok().flatten().unwrap_or(0) as usize;
        let b = el.selection_end().ok().flatten().unwrap_or(0) as usize;
        let (a, b) = (
            a.min(utf16.len()),
            b.min(utf16.len()).max(a.min(utf16.len())),
        );
        let before = String::from_utf16_lossy(&utf16[..a]);
        let inside = String::from_utf16_lossy(&utf16[a..b]);
        let after = String::from_utf16_lossy(&utf16[b..]);
        let text = format!("{before}{open}{inside}{close}{after}");
        // The marked text stays selected (or the cursor between empty marks), as in
        // any editor's toolbar.
        el.set_value(&text);
        body.set(text);
        let from = (a + open.encode_utf16().count()) as u32;
        let _ = el.set_selection_range(from, from + (b - a) as u32);
        let _ = el.focus();
        edited();
    };

    view! {
        <section class="composer card" id="composer" aria-labelledby="composer-title">
            <h3 id="composer-title" class="composer-title">
                {move || i18n.t(match start { Start::Reply(_) => Msg::ReplyEmail, _ => Msg::WriteEmail })}
            </h3>
            <div class="composer-grid">
                <label for="composer-from">{move || i18n.t(Msg::EmailFrom)}</label>
                {move || match options.get() {
                    None => view! { <span class="muted" aria-busy="true">{move || i18n.t(Msg::Loading)}</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="field-error">{describe(&e, |m| i18n.t(m))}</span> }.into_any(),
                    Some(Ok(o)) if o.identities.is_empty() => view! {
                        <span class="field-error" id="composer-no-sender">{move || i18n.t(Msg::EmailNoSender)}</span>
                    }.into_any(),
                    Some(Ok(o)) => view! {
                        <select id="composer-from" class="input"
                            on:change=move |ev| { identity.set(event_target_value(&ev).parse().ok()); edited(); }>
                            {o.identities.into_iter().map(|i| {
                                let label = if i.display_name.is_empty() { i.address.clone() } else { format!("{} <{}>", i.display_name, i.address) };
                                view! { <option value=i.id.to_string() selected=move || identity.get() == Some(i.id)>{label}</option> }
                            }).collect_view()}
                        </select>
                    }.into_any(),
                }}
                <label for="composer-to">{move || i18n.t(Msg::EmailTo)}</label>
                <div>
                    <input id="composer-to" class="input" type="email" list="composer-addresses" autocomplete="off"
                        maxlength="254" prop:value=to
                        on:input=move |ev| { to.set(event_target_value(&ev)); edited(); } />
                    <datalist id="composer-addresses">
                        {move || options.get().and_then(Result::ok).map(|o| o.addresses.into_iter()
                            .map(|a| view! { <option value=a.clone()></option> }).collect_view())}
                    </datalist>
                    <Show when=move || { let t = to.get(); !t.trim().is_empty() && !known(&t) }>
                        <label class="check small" id="composer-new-address">
                            <input type="checkbox" prop:checked=new_address
                                on:change=move |ev| { new_address.set(event_target_checked(&ev)); edited(); } />
                            " " {move || i18n.t(Msg::EmailNewAddress)}
                        </label>
                    </Show>
                </div>
                <label for="composer-subject">{move || i18n.t(Msg::EmailSubject)}</label>
                <input id="composer-subject" class="input" maxlength="998" autocomplete="off" prop:value=subject
                    on:input=move |ev| { subject.set(event_target_value(&ev)); edited(); } />
            </div>
            <div class="composer-toolbar" role="toolbar" aria-label=move || i18n.t(Msg::EmailMarksHint)>
                <button type="button" class="btn btn-small" id="composer-bold" title=move || i18n.t(Msg::EmailBold)
                    on:click=move |_| mark("**", "**")><strong>"B"</strong></button>
                <button type="button" class="btn btn-small" id="composer-italic" title=move || i18n.t(Msg::EmailItalic)
                    on:click=move |_| mark("_", "_")><em>"I"</em></button>
                <button type="button" class="btn btn-small" id="composer-link" title=move || i18n.t(Msg::EmailLink)
                    on:click=move |_| mark("[", "](https://)")><u>{move || i18n.t(Msg::EmailLink)}</u></button>
                <span class="muted small">{move || i18n.t(Msg::EmailMarksHint)}</span>
            </div>
            <label class="visually-hidden" for="composer-body">{move || i18n.t(Msg::EmailBody)}</label>
            <textarea id="composer-body" class="input composer-body" rows="10" node_ref=textarea
                prop:value=body on:input=move |ev| { body.set(event_target_value(&ev)); edited(); }
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    // Ctrl+Enter sends, as in most mail clients.
                    if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                        ev.prevent_default();
                        save(Mode::Send);
                    }
                }></textarea>
            <div class="composer-attach">
                <input type="file" multiple id="composer-attach" class="visually-hidden" on:change=attach
                    disabled=move || sending.get() />
                <label for="composer-attach" class="btn btn-small">"📎 " {move || i18n.t(Msg::EmailAttach)}</label>
                <FileList files=files draft_id=draft_id />
            </div>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" id="composer-error">{e}</p> })}
            <div class="composer-actions">
                <button class="btn btn-primary" id="composer-send"
                    disabled=move || sending.get() || files.uploading.get().is_some()
                    on:click=move |_| save(Mode::Send)>
                    {move || i18n.t(if sending.get() { Msg::EmailSending } else { Msg::EmailSend })}
                </button>
                <button class="btn" id="composer-discard" on:click=discard>{move || i18n.t(Msg::EmailDiscard)}</button>
                <button class="btn" id="composer-close" on:click=close>{move || i18n.t(Msg::EmailClose)}</button>
                <SignatureEditor />
                <span class="muted small" id="composer-state" aria-live="polite">
                    {move || if saving.get() && !sending.get() { i18n.t(Msg::EmailDraftSaving) } else if saved.get() { i18n.t(Msg::EmailDraftSaved) } else { "" }}
                </span>
            </div>
        </section>
    }
}

/// The user's signature, edited where it is used: saved to their profile, added to
/// the next message they start.
#[component]
fn SignatureEditor() -> impl IntoView {
    let i18n = use_i18n();
    let session = crate::session::use_session();
    let scope = crate::task::Scope::here();
    let text = RwSignal::new(
        session
            .me
            .with_untracked(|m| m.as_ref().map(|m| m.signature.clone()).unwrap_or_default()),
    );
    let status = RwSignal::new(None::<String>);
    let save = move |_| {
        let update = agentdesk_protocol::UpdateMe {
            signature: Some(text.get_untracked()),
            ..Default::default()
        };
        scope.spawn(async move {
            match api::update_me(update).await {
                Ok(me) => {
                    session.me.set(Some(me));
                    status.set(Some(i18n.t(Msg::EmailSignatureSaved).into()));
                }
                Err(e) => status.set(Some(describe(&e, |m| i18n.t(m)))),
            }
        });
    };
    view! {
        <details class="composer-signature" id="composer-signature">
            <summary>{move || i18n.t(Msg::EmailSignature)}</summary>
            <textarea id="signature-text" class="input" rows="3" maxlength="2000" prop:value=text
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <button type="button" class="btn btn-small" id="signature-save" on:click=save>{move || i18n.t(Msg::Save)}</button>
            <span class="muted small" role="status">{move || status.get()}</span>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_quotes_every_line_under_who_wrote_it() {
        assert_eq!(
            quoted("On 5 Dec, Ana wrote:", "Hola\n\nGracias"),
            "\n\nOn 5 Dec, Ana wrote:\n> Hola\n> \n> Gracias\n"
        );
        assert_eq!(address_of("Ana <ana@example.com>"), "ana@example.com");
        assert_eq!(address_of(" ana@example.com "), "ana@example.com");
    }
}
