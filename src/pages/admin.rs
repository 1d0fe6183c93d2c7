//! `/admin/crm` (admins): the CRM URL template and origins, uContact's origin, and the
//! campaigns with their disposition trees, the teams' e-mail senders. A tree is edited as indented lines — two
//! spaces per level, up to three levels — which is quick to type and to read.

use agentdesk_protocol::dial::CampaignOptions;
use agentdesk_protocol::{Campaign, CrmSettings, DispositionNode, Role, TeamRef};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::bridge::use_bridge;
use crate::components::error::describe_for_admin;
use crate::i18n::{Msg, OfficeMsg, Text, use_i18n};
use crate::nav::NavLink;
use crate::session::use_session;

/// Ends a line whose disposition schedules a callback.
pub const CALLBACK_MARK: &str = "[callback]";

/// Indented lines → tree. Lines indented deeper than one level below their parent, or
/// more than three levels, are errors (with the line number).
pub fn parse_tree(text: &str) -> Result<Vec<DispositionNode>, String> {
    let mut roots: Vec<DispositionNode> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent % 2 != 0 || indent > 4 {
            return Err(format!(
                "line {}: indent by 2 spaces per level, at most 3 levels",
                n + 1
            ));
        }
        let text = line.trim();
        let (label, callback) = match text.strip_suffix(CALLBACK_MARK) {
            Some(label) => (label.trim_end(), true),
            None => (text, false),
        };
        let node = DispositionNode {
            label: label.to_string(),
            children: vec![],
            callback,
        };
        let parent = match indent / 2 {
            0 => Some(&mut roots),
            1 => roots.last_mut().map(|r| &mut r.children),
            _ => roots
                .last_mut()
                .and_then(|r| r.children.last_mut())
                .map(|c| &mut c.children),
        };
        parent
            .ok_or_else(|| format!("line {}: indented under nothing", n + 1))?
            .push(node);
    }
    Ok(roots)
}

/// Tree → indented lines.
pub fn format_tree(nodes: &[DispositionNode]) -> String {
    fn walk(nodes: &[DispositionNode], depth: usize, out: &mut String) {
        for n in nodes {
            out.push_str(&"  ".repeat(depth));
            out.push_str(&n.label);
            if n.callback {
                out.push(' ');
                out.push_str(CALLBACK_MARK);
            }
            out.push('\n');
            walk(&n.children, depth + 1, out);
        }
    }
    let mut out = String::new();
    walk(nodes, 0, &mut out);
    out
}

/// An admin page: its title, and its content for admins only (others read why not).
#[component]
pub fn AdminSection<M: Text + Send + Sync + 'static>(
    title: M,
    children: ChildrenFn,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let is_admin = move || {
        session
            .me
            .with(|m| m.as_ref().is_some_and(|m| m.role == Role::Admin))
    };
    view! {
        <section class="page admin-page">
            <h1>{move || i18n.t(title)}</h1>
            <Show when=is_admin fallback=move || view! { <p class="notice notice-error" role="alert">{i18n.t(OfficeMsg::AdminOnly)}</p> }>
                // The admin pages, one hop apart (the audit log has no place in the top bar,
                // which the agent's bundle carries).
                <nav class="admin-nav" aria-label=move || i18n.t(Msg::Admin)>
                    <NavLink href="/admin/crm">{move || i18n.t(Msg::Admin)}</NavLink>
                    <NavLink href="/admin/followups">{move || i18n.t(Msg::FollowUps)}</NavLink>
                    <NavLink href="/admin/users">{move || i18n.t(Msg::Users)}</NavLink>
                    <NavLink href="/admin/teams" id="nav-teams">{move || i18n.t(OfficeMsg::TeamsTitle)}</NavLink>
                    <NavLink href="/admin/statuses" id="nav-statuses">{move || i18n.t(OfficeMsg::StatusesTitle)}</NavLink>
                    <NavLink href="/admin/integrations" id="nav-integrations">{move || i18n.t(OfficeMsg::IntegrationsTitle)}</NavLink>
                    <NavLink href="/admin/audit" id="nav-audit">{move || i18n.t(OfficeMsg::AuditTitle)}</NavLink>
                    // Served by the server, not a route of this app.
                    <a href="/api/docs" target="_blank" rel="noopener" id="nav-api-docs">{move || i18n.t(OfficeMsg::ApiReference)}</a>
                </nav>
                {children()}
            </Show>
        </section>
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <AdminSection title=OfficeMsg::AdminTitle>
            <CrmSettingsForm />
            <CampaignsForm />
            <crate::pages::ucontact::UcontactSettingsForm />
            <crate::pages::mail_senders::MailSendersForm />
        </AdminSection>
    }
}

#[component]
fn CrmSettingsForm() -> impl IntoView {
    let i18n = use_i18n();
    let bridge = use_bridge();
    let template = RwSignal::new(String::new());
    let origins = RwSignal::new(String::new());
    let ucontact = RwSignal::new(String::new());
    let relay = RwSignal::new(false);
    let sandbox = RwSignal::new(agentdesk_protocol::embed::default_frame_sandbox().join(" "));
    let allow = RwSignal::new(String::new());
    let recordings = RwSignal::new(String::new());
    let status = RwSignal::new(None::<(bool, String)>);
    spawn_local(async move {
        if let Ok(s) = api::get::<CrmSettings>("/crm/settings").await {
            template.set(s.url_template);
            origins.set(s.crm_origins.join("\n"));
            ucontact.set(s.ucontact_origin);
            relay.set(s.agent_status_relay);
            sandbox.set(s.frame_sandbox.join(" "));
            allow.set(s.frame_allow.join(" "));
            recordings.set(s.recording_origins.join("\n"));
        }
    });
    let words = |s: String| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let lines = |s: String| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CrmSettings {
            url_template: template.get_untracked(),
            crm_origins: lines(origins.get_untracked()),
            ucontact_origin: ucontact.get_untracked(),
            agent_status_relay: relay.get_untracked(),
            frame_sandbox: words(sandbox.get_untracked()),
            frame_allow: words(allow.get_untracked()),
            recording_origins: lines(recordings.get_untracked()),
        };
        spawn_local(async move {
            match api::put::<_, CrmSettings>("/crm/settings", &body).await {
                Ok(saved) => {
                    bridge.settings.set(Some(saved));
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                }
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    view! {
        <form class="admin-form" id="crm-settings-form" on:submit=save>
            <h2>{move || i18n.t(OfficeMsg::CrmSettings)}</h2>
            <label for="crm-template">{move || i18n.t(Msg::CrmTemplate)}</label>
            <input id="crm-template" class="input" prop:value=template
                placeholder="https://crm.example/customers?searchByPhoneNumber={phone}"
                on:input=move |ev| template.set(event_target_value(&ev)) />
            <p class="muted small">{move || i18n.t(OfficeMsg::CrmTemplateHelp)}</p>
            <label for="crm-origins">{move || i18n.t(Msg::CrmOrigins)}</label>
            <textarea id="crm-origins" class="input" rows="2" prop:value=origins
                on:input=move |ev| origins.set(event_target_value(&ev))></textarea>
            <label for="ucontact-origin">{move || i18n.t(Msg::UcontactOrigin)}</label>
            <input id="ucontact-origin" class="input" prop:value=ucontact placeholder="https://acme.ucontact.example"
                on:input=move |ev| ucontact.set(event_target_value(&ev)) />
            <label class="check"><input type="checkbox" id="agent-status-relay" prop:checked=relay
                on:change=move |ev| relay.set(event_target_checked(&ev)) />
                {move || i18n.t(OfficeMsg::AgentStatusRelay)}</label>
            <label for="frame-sandbox">{move || i18n.t(Msg::FrameSandbox)}</label>
            <input id="frame-sandbox" class="input mono" prop:value=sandbox
                on:input=move |ev| sandbox.set(event_target_value(&ev)) />
            <label for="frame-allow">{move || i18n.t(Msg::FrameAllow)}</label>
            <input id="frame-allow" class="input mono" prop:value=allow placeholder="clipboard-write microphone"
                on:input=move |ev| allow.set(event_target_value(&ev)) />
            <label for="recording-origins">{move || i18n.t(OfficeMsg::RecordingOrigins)}</label>
            <textarea id="recording-origins" class="input" rows="2" prop:value=recordings
                placeholder="https://recordings.example.com"
                on:input=move |ev| recordings.set(event_target_value(&ev))></textarea>
            <p class="muted small">{move || i18n.t(OfficeMsg::RecordingOriginsHelp)}</p>
            <div class="form-actions">
                <button class="btn btn-primary" type="submit" id="crm-settings-save">{move || i18n.t(Msg::Save)}</button>
                {move || status.get().map(|(ok, m)| view! {
                    <span class=if ok { "form-ok" } else { "field-error" } role="status">{m}</span>
                })}
            </div>
        </form>
    }
}

#[component]
fn CampaignsForm() -> impl IntoView {
    let i18n = use_i18n();
    let bridge = use_bridge();
    let name = RwSignal::new(String::new());
    let required = RwSignal::new(false);
    let tree = RwSignal::new(String::new());
    let (d1_label, d2_label) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let teams = RwSignal::new(Vec::<i64>::new());
    let service_level = RwSignal::new(String::new());
    let all_teams = LocalResource::new(|| api::get::<Vec<TeamRef>>("/teams"));
    let status = RwSignal::new(None::<(bool, String)>);
    let pick = move |c: Campaign| {
        name.set(c.name.clone());
        required.set(c.require_disposition);
        tree.set(format_tree(&c.dispositions));
        d1_label.set(c.options.d1_label.clone());
        d2_label.set(c.options.d2_label.clone());
        teams.set(c.options.teams.clone());
        service_level.set(
            c.options
                .service_level_secs
                .map(|s| s.to_string())
                .unwrap_or_default(),
        );
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let dispositions = match parse_tree(&tree.get_untracked()) {
            Ok(t) => t,
            Err(e) => return status.set(Some((false, e))),
        };
        let c = Campaign {
            name: name.get_untracked().trim().to_string(),
            require_disposition: required.get_untracked(),
            dispositions,
            options: CampaignOptions {
                teams: teams.get_untracked(),
                d1_label: d1_label.get_untracked().trim().to_string(),
                d2_label: d2_label.get_untracked().trim().to_string(),
                // Blank: the default; anything else the server checks (a word is 0).
                service_level_secs: match service_level.get_untracked().trim() {
                    "" => None,
                    s => Some(s.parse().unwrap_or(0)),
                },
            },
        };
        spawn_local(async move {
            let path = format!("/campaigns/{}", api::encode(&c.name));
            match api::put::<_, Campaign>(&path, &c).await {
                Ok(saved) => {
                    bridge.campaigns.update(|cs| {
                        cs.retain(|x| x.name != saved.name);
                        cs.push(saved);
                        cs.sort_by(|a, b| a.name.cmp(&b.name));
                    });
                    status.set(Some((true, i18n.t(OfficeMsg::Saved).to_string())));
                }
                Err(e) => status.set(Some((false, describe_for_admin(&e, |m| i18n.t(m))))),
            }
        });
    };
    view! {
        <form class="admin-form" id="campaign-form" on:submit=save>
            <h2>{move || i18n.t(OfficeMsg::Campaigns)}</h2>
            <ul class="chips">
                {move || bridge.campaigns.get().into_iter().map(|c| {
                    let label = c.name.clone();
                    view! { <li><button type="button" class="kind-chip" on:click=move |_| pick(c.clone())>{label}</button></li> }
                }).collect_view()}
            </ul>
            <label for="campaign-name">{move || i18n.t(Msg::CallCampaign)}</label>
            <input id="campaign-name" class="input" prop:value=name placeholder="Ventas->" required
                on:input=move |ev| name.set(event_target_value(&ev)) />
            <label class="check"><input type="checkbox" id="campaign-required" prop:checked=required
                on:change=move |ev| required.set(event_target_checked(&ev)) />
                {move || i18n.t(OfficeMsg::RequireDisposition)}</label>
            <label for="campaign-tree">{move || i18n.t(Msg::DispositionTree)}</label>
            <textarea id="campaign-tree" class="input mono" rows="8" prop:value=tree
                placeholder="Venta\n  Plan anual\n  Plan mensual\nNo interesado"
                on:input=move |ev| tree.set(event_target_value(&ev))></textarea>
            <label for="campaign-d1">{move || i18n.t(Msg::FieldLabelD1)}</label>
            <input id="campaign-d1" class="input" maxlength="40" prop:value=d1_label placeholder="d1"
                on:input=move |ev| d1_label.set(event_target_value(&ev)) />
            <label for="campaign-d2">{move || i18n.t(Msg::FieldLabelD2)}</label>
            <input id="campaign-d2" class="input" maxlength="40" prop:value=d2_label placeholder="d2"
                on:input=move |ev| d2_label.set(event_target_value(&ev)) />
            <label for="campaign-sl">{move || i18n.t(OfficeMsg::ServiceLevelSecs)}</label>
            <input id="campaign-sl" class="input" type="number" min="1" max="3600" prop:value=service_level
                placeholder="20" on:input=move |ev| service_level.set(event_target_value(&ev)) />
            <fieldset class="check-group" id="campaign-teams">
                <legend>{move || i18n.t(Msg::CampaignTeams)}</legend>
                {move || all_teams.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| {
                    let id = t.id;
                    view! {
                        <label class="check"><input type="checkbox" data-team-id=id
                            prop:checked=move || teams.with(|ts| ts.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                teams.update(|ts| {
                                    ts.retain(|x| *x != id);
                                    if on { ts.push(id); ts.sort_unstable(); }
                                });
                            } />{t.name}</label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="form-actions">
                <button class="btn btn-primary" type="submit" id="campaign-save">{move || i18n.t(Msg::Save)}</button>
                {move || status.get().map(|(ok, m)| view! {
                    <span class=if ok { "form-ok" } else { "field-error" } role="status">{m}</span>
                })}
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_round_trip_through_indented_lines() {
        let text = "Venta\n  Plan anual\n    Tarjeta\n  Plan mensual\nNo interesado\n";
        let tree = parse_tree(text).unwrap();
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].children[0].children[0].label, "Tarjeta");
        assert_eq!(format_tree(&tree), text);
        assert!(parse_tree("  huérfano").is_err());
        assert!(parse_tree("a\n   b").is_err());
        assert!(parse_tree("a\n  b\n    c\n      d").is_err());
    }

    #[test]
    fn a_callback_mark_flags_its_disposition_and_round_trips() {
        let text = "Volver a llamar [callback]\nVenta\n  Pensando  [callback]\n";
        let tree = parse_tree(text).unwrap();
        assert_eq!(tree[0].label, "Volver a llamar");
        assert!(tree[0].callback);
        assert!(!tree[1].callback);
        assert_eq!(tree[1].children[0].label, "Pensando");
        assert!(tree[1].children[0].callback);
        assert_eq!(
            format_tree(&tree),
            "Volver a llamar [callback]\nVenta\n  Pensando [callback]\n"
        );
    }
}
