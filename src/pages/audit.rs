//! `/admin/audit` (admins; back office): who did what, when and from where — filtered by
//! user, action (a prefix: `user` finds every user change), target and dates in the
//! admin's time zone; newest first, more on request; the filtered log as CSV.

use agentdesk_protocol::{AuditQuery, AuditRecord, UserSummary};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::error::describe_for_admin;
use crate::components::time::Time;
use crate::i18n::{Msg, OfficeMsg, use_i18n};
use crate::pages::admin::AdminSection;

/// The query string of `q` (without `?`).
pub fn query_string(q: &AuditQuery) -> String {
    let mut parts = Vec::new();
    if let Some(u) = q.user {
        parts.push(format!("user={u}"));
    }
    for (k, v) in [("action", &q.action), ("target", &q.target)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", api::encode(v)));
        }
    }
    for (k, v) in [("from", q.from), ("to", q.to)] {
        if let Some(d) = v {
            parts.push(format!("{k}={d}"));
        }
    }
    if let Some(b) = q.before {
        parts.push(format!("before={b}"));
    }
    if let Some(l) = q.limit {
        parts.push(format!("limit={l}"));
    }
    parts.join("&")
}

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <AdminSection title=OfficeMsg::AuditTitle>
            <AuditLog />
        </AdminSection>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let i18n = use_i18n();
    let scope = crate::task::Scope::here();
    let users = LocalResource::new(|| api::get::<Vec<UserSummary>>("/users"));
    let user = RwSignal::new(None::<i64>);
    let action = RwSignal::new(String::new());
    let target = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let rows = RwSignal::new(Vec::<AuditRecord>::new());
    let more = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let filters = move || AuditQuery {
        user: user.get_untracked(),
        action: Some(action.get_untracked()),
        target: Some(target.get_untracked()),
        from: from.get_untracked().parse().ok(),
        to: to.get_untracked().parse().ok(),
        ..AuditQuery::default()
    };
    let said = move |e: &ApiError| describe_for_admin(e, |m| i18n.t(m));
    // `append`: the next (older) page after the rows shown; else the first page anew.
    let load = move |append: bool| {
        let mut q = filters();
        q.limit = Some(agentdesk_protocol::AUDIT_PAGE_DEFAULT);
        if append {
            q.before = rows.with_untracked(|r| r.last().map(|r| r.id));
        }
        busy.set(true);
        scope.spawn(async move {
            let res = api::get::<Vec<AuditRecord>>(&format!("/audit?{}", query_string(&q))).await;
            busy.set(false);
            match res {
                Ok(page) => {
                    error.set(None);
                    more.set(page.len() == agentdesk_protocol::AUDIT_PAGE_DEFAULT as usize);
                    if append {
                        rows.update(|r| r.extend(page));
                    } else {
                        rows.set(page);
                    }
                }
                Err(e) => error.set(Some(said(&e))),
            }
        });
    };
    load(false);
    let export = move |_| {
        let q = filters();
        scope.spawn(async move {
            match api::get_text(&format!("/audit.csv?{}", query_string(&q))).await {
                Ok(text) => crate::pages::download_text("audit-log.csv", &text),
                Err(e) => error.set(Some(said(&e))),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        load(false);
    };
    view! {
        <form class="filters users-filters audit-filters" role="search" on:submit=submit>
            <select id="audit-user" class="input" aria-label=move || i18n.t(OfficeMsg::AuditWho)
                on:change=move |ev| user.set(event_target_value(&ev).parse().ok())>
                <option value="">{move || i18n.t(OfficeMsg::AuditAnyone)}</option>
                {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|u| view! {
                    <option value=u.id.to_string()>{format!("{} ({})", u.display_name, u.username)}</option>
                }).collect_view()}
            </select>
            <input id="audit-action" class="input mono" type="search" placeholder=move || i18n.t(OfficeMsg::AuditAction)
                aria-label=move || i18n.t(OfficeMsg::AuditAction) maxlength="128"
                on:input=move |ev| action.set(event_target_value(&ev)) />
            <input id="audit-target" class="input mono" type="search" placeholder="user:12"
                aria-label=move || i18n.t(OfficeMsg::AuditTarget) maxlength="128"
                on:input=move |ev| target.set(event_target_value(&ev)) />
            <label class="muted small" for="audit-from">{move || i18n.t(Msg::From)}</label>
            <input id="audit-from" class="input" type="date" on:change=move |ev| from.set(event_target_value(&ev)) />
            <label class="muted small" for="audit-to">{move || i18n.t(Msg::To)}</label>
            <input id="audit-to" class="input" type="date" on:change=move |ev| to.set(event_target_value(&ev)) />
            <button class="btn btn-primary" type="submit" id="audit-apply">{move || i18n.t(OfficeMsg::Apply)}</button>
            <button class="btn" type="button" id="audit-export" on:click=export>{move || i18n.t(OfficeMsg::ExportCsv)}</button>
        </form>
        {move || error.get().map(|e| view! { <p class="field-error" role="alert" id="audit-error">{e}</p> })}
        <table class="table audit-table" id="audit-table" aria-busy=move || busy.get().to_string()>
            <thead><tr>
                <th scope="col">{move || i18n.t(OfficeMsg::Date)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::AuditWho)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::AuditAction)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::AuditTarget)}</th>
                <th scope="col">{move || i18n.t(OfficeMsg::AuditAddress)}</th>
            </tr></thead>
            <tbody>
                {move || {
                    let list = rows.get();
                    if list.is_empty() {
                        let text = if busy.get() { i18n.t(Msg::Loading) } else { i18n.t(OfficeMsg::AuditNone) };
                        return view! { <tr><td colspan="5" class="muted">{text}</td></tr> }.into_any();
                    }
                    list.into_iter().map(|r| {
                        let action = r.action.clone();
                        view! {
                        <tr data-action=action>
                            <td><Time at=r.at full=true /></td>
                            <td>{r.username.unwrap_or_default()}</td>
                            <td><code>{r.action}</code></td>
                            <td class="mono small">{r.target.unwrap_or_default()}</td>
                            <td class="mono small muted">{r.ip.unwrap_or_default()}</td>
                        </tr>
                    }}).collect_view().into_any()
                }}
            </tbody>
        </table>
        <Show when=move || more.get()>
            <button class="btn" id="audit-more" disabled=move || busy.get() on:click=move |_| load(true)>
                {move || i18n.t(OfficeMsg::AuditOlder)}
            </button>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_string_carries_only_what_is_set_encoded() {
        assert_eq!(query_string(&AuditQuery::default()), "");
        let q = AuditQuery {
            user: Some(7),
            action: Some("  user ".into()),
            target: Some("user:1&x=2".into()),
            from: "2026-03-08".parse().ok(),
            to: None,
            before: Some(99),
            limit: Some(200),
        };
        assert_eq!(
            query_string(&q),
            "user=7&action=user&target=user%3A1%26x%3D2&from=2026-03-08&before=99&limit=200"
        );
    }
}
