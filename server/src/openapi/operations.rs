//! Every route of the JSON API, one row each: who may call it, what it takes, what it
//! answers. A test keeps this table equal to the router.

use agentdesk_protocol::email::{
    ComposeOptions, EmailDraft, MailIdentity, MailIdentityInput, OutboundEmail, SenderCheck,
};
use agentdesk_protocol::email_files::OutboundAttachment;
use agentdesk_protocol::*;
use serde_json::json;

use super::{Auth, Spec, operations_office};

/// The document's tags, in reading order.
pub(super) const TAGS: &[(&str, &str)] = &[
    ("auth", "Signing in and out; one's own account."),
    ("contacts", "Contacts and their activity timelines."),
    (
        "emails",
        "Outbound e-mail: drafts, sending, attachments, sender identities.",
    ),
    (
        "calls",
        "Telephony through uContact: calls, dispositions, the CRM frame's settings.",
    ),
    (
        "status",
        "Agents' statuses, the supervisors' board, connection history.",
    ),
    ("reports", "Queue, agent, contact and team reports."),
    (
        "followups",
        "Automated follow-ups and the notifications they send.",
    ),
    ("admin", "Users, teams, integrations and the audit log."),
    (
        "ingest",
        "Interactions sent by integrations (token or HMAC signature).",
    ),
    ("ucontact", "uContact's webhook and launch links."),
    ("events", "Real-time updates (server-sent events)."),
];

/// Adds every operation to `s`.
pub(super) fn describe(s: &mut Spec) {
    session(s);
    contacts(s);
    emails(s);
    calls(s);
    status(s);
    operations_office::describe(s);
}

fn session(s: &mut Spec) {
    s.op("post", "/auth/login", "auth", "Sign in")
        .auth(Auth::Public)
        .about("Answers a bearer token. Five failures for one username from one address in 15 minutes lock it for that address (429).")
        .body::<LoginRequest>(Some(json!({"username": "ana", "password": "correct horse battery"})))
        .ok::<LoginResponse>(200, "Signed in.")
        .error(401)
        .error(429);
    s.op(
        "post",
        "/auth/logout",
        "auth",
        "Sign out (ends this session)",
    )
    .done("Signed out.");
    s.op(
        "get",
        "/me",
        "auth",
        "The signed-in user, their teams and preferences",
    )
    .ok::<Me>(200, "The caller.");
    s.op(
        "patch",
        "/me",
        "auth",
        "Change one's own locale, time zone, e-mail address or signature",
    )
    .body::<UpdateMe>(Some(
        json!({"locale": "es", "time_zone": "America/Montevideo"}),
    ))
    .ok::<Me>(200, "Changed.")
    .error(409);
    s.op("post", "/me/password", "auth", "Change one's own password")
        .about("The current password is checked under the sign-in throttle. Other sessions end; this one stays.")
        .body::<ChangePassword>(Some(json!({"current": "old password here", "new": "a new long passphrase"})))
        .done("Changed.")
        .error(429);
    s.op(
        "get",
        "/reminders",
        "calls",
        "The caller's callback reminders",
    )
    .list::<Reminder>("Reminders, due first.");
    s.op(
        "post",
        "/reminders/{id}/done",
        "calls",
        "Mark a reminder done",
    )
    .done("Done.");
}

fn contacts(s: &mut Spec) {
    s.op("get", "/contacts", "contacts", "Search contacts")
        .query::<ContactQuery>()
        .ok::<ContactList>(200, "One page, by name.");
    s.op("post", "/contacts", "contacts", "Create a contact")
        .body::<ContactInput>(Some(json!({"team_id": 1, "name": "María Pérez", "phone": "+59899123456", "email": "maria@example.com"})))
        .ok::<Contact>(201, "Created.")
        .error(403)
        .error(409);
    s.op("get", "/contacts/{id}", "contacts", "One contact")
        .ok::<Contact>(200, "The contact.");
    s.op("put", "/contacts/{id}", "contacts", "Edit a contact")
        .body::<ContactInput>(Some(
            json!({"name": "María Pérez", "phone": "+59899123456"}),
        ))
        .ok::<Contact>(200, "Changed.")
        .error(409);
    s.op(
        "get",
        "/contacts/{id}/activities",
        "contacts",
        "A contact's timeline, newest first",
    )
    .query::<ActivityQuery>()
    .ok::<ActivityPage>(200, "One page and the cursor to the next.");
    s.op(
        "get",
        "/contacts/{id}/activities/position",
        "contacts",
        "Where an activity sits in the timeline",
    )
    .query::<TimelinePositionQuery>()
    .ok::<TimelinePosition>(200, "Its page.");
    s.op(
        "post",
        "/contacts/{id}/notes",
        "contacts",
        "Add a note to a contact's timeline",
    )
    .body::<NewNote>(Some(
        json!({"text": "Customer asked for a callback tomorrow."}),
    ))
    .ok::<Activity>(201, "The note.");
    s.op(
        "get",
        "/activities/{id}",
        "contacts",
        "One activity with its full content",
    )
    .ok::<ActivityView>(200, "The activity.");
    s.op(
        "delete",
        "/activities/{id}",
        "contacts",
        "Delete an activity (notes; admins any)",
    )
    .done("Deleted.")
    .error(403);
}

fn emails(s: &mut Spec) {
    let draft = json!({"to": "maria@example.com", "subject": "Your order", "body": "Hello María,", "send": false});
    s.op(
        "get",
        "/contacts/{id}/compose",
        "emails",
        "What a new e-mail to this contact may use",
    )
    .auth(Auth::Email)
    .ok::<ComposeOptions>(200, "Identities, addresses, signature.");
    s.op(
        "post",
        "/contacts/{id}/emails",
        "emails",
        "Start an e-mail (draft, or send at once)",
    )
    .auth(Auth::Email)
    .body::<EmailDraft>(Some(draft.clone()))
    .ok::<OutboundEmail>(201, "Created.");
    s.op("get", "/emails/{id}", "emails", "One outbound e-mail")
        .auth(Auth::Email)
        .ok::<OutboundEmail>(200, "The e-mail.");
    s.op("put", "/emails/{id}", "emails", "Save a draft, or send it")
        .auth(Auth::Email)
        .body::<EmailDraft>(Some(draft))
        .ok::<OutboundEmail>(200, "Saved.")
        .error(409);
    s.op("delete", "/emails/{id}", "emails", "Discard a draft")
        .auth(Auth::Email)
        .done("Discarded.")
        .error(409);
    s.op(
        "post",
        "/emails/{id}/retry",
        "emails",
        "Send a failed e-mail again",
    )
    .auth(Auth::Email)
    .ok::<OutboundEmail>(200, "Queued again.")
    .error(409);
    s.op(
        "post",
        "/emails/{id}/attachments",
        "emails",
        "Attach a file to a draft",
    )
    .auth(Auth::Email)
    .query::<crate::routes::AttachmentName>()
    .file_body(
        "application/octet-stream",
        "The file's bytes; its type from Content-Type.",
    )
    .ok::<OutboundAttachment>(201, "Attached.")
    .error(409);
    s.op(
        "get",
        "/emails/{id}/attachments/{file_id}",
        "emails",
        "Download an attachment",
    )
    .auth(Auth::Email)
    .file(
        "application/octet-stream",
        "The file, with its stored type.",
    );
    s.op(
        "delete",
        "/emails/{id}/attachments/{file_id}",
        "emails",
        "Remove an attachment from a draft",
    )
    .auth(Auth::Email)
    .done("Removed.")
    .error(409);
    s.op(
        "get",
        "/teams/{id}/mail-identities",
        "emails",
        "A team's sender identities",
    )
    .auth(Auth::Admin)
    .list::<MailIdentity>("Identities (passwords never shown).");
    let identity = json!({"address": "support@example.com", "display_name": "Support", "smtp_url": "smtps://support:write-only@mail.example.com:465"});
    s.op(
        "post",
        "/teams/{id}/mail-identities",
        "emails",
        "Add a sender identity",
    )
    .auth(Auth::Admin)
    .body::<MailIdentityInput>(Some(identity.clone()))
    .ok::<MailIdentity>(201, "Created.")
    .error(409);
    s.op(
        "put",
        "/mail-identities/{id}",
        "emails",
        "Change a sender identity (password write-only)",
    )
    .auth(Auth::Admin)
    .body::<MailIdentityInput>(Some(identity))
    .ok::<MailIdentity>(200, "Changed.")
    .error(409);
    s.op(
        "delete",
        "/mail-identities/{id}",
        "emails",
        "Remove a sender identity",
    )
    .auth(Auth::Admin)
    .done("Removed.")
    .error(409);
    s.op(
        "post",
        "/mail-identities/{id}/test",
        "emails",
        "Test the identity's SMTP server",
    )
    .auth(Auth::Admin)
    .ok::<SenderCheck>(200, "What the server said.");
}

fn calls(s: &mut Spec) {
    s.op(
        "get",
        "/crm/settings",
        "calls",
        "The embedded CRM's settings",
    )
    .ok::<CrmSettings>(200, "The settings.");
    s.op("put", "/crm/settings", "calls", "Set the embedded CRM's URL, origins and frame policy")
        .auth(Auth::Admin)
        .body::<CrmSettings>(Some(json!({"url_template": "https://crm.example/customers?phone={phone}", "crm_origins": ["https://crm.example"], "ucontact_origin": "https://ucontact.example"})))
        .ok::<CrmSettings>(200, "Saved.");
    s.op(
        "get",
        "/campaigns",
        "calls",
        "Campaigns and their disposition trees",
    )
    .list::<Campaign>("The caller's teams' campaigns.");
    s.op("put", "/campaigns/{name}", "calls", "Create or replace a campaign")
        .auth(Auth::Admin)
        .body::<Campaign>(Some(json!({"name": "Sales", "require_disposition": true, "service_level_secs": 20, "d1_label": "Order", "dispositions": [{"label": "Sale", "children": [{"label": "Card"}, {"label": "Cash"}]}, {"label": "No answer", "callback": true}]})))
        .ok::<Campaign>(200, "Saved.");
    s.op("post", "/calls", "calls", "Dial (MAKE_CALL)")
        .body::<StartCall>(Some(
            json!({"contact_id": 42, "call": {"destination": "+59899123456", "campaign": "Sales"}}),
        ))
        .ok::<CallInfo>(201, "Dialling.")
        .error(409);
    s.op(
        "get",
        "/calls/current",
        "calls",
        "The caller's calls in progress or awaiting a disposition",
    )
    .ok::<CurrentCalls>(200, "Calls.");
    s.op("post", "/calls/hangup", "calls", "Hang up (HANG_UP)")
        .body::<HangUp>(Some(json!({"guid": "b3c1f0e2"})))
        .ok::<CallInfo>(200, "Hung up.")
        .error(409);
    s.op("post", "/calls/disposition", "calls", "Dispose of a call (DISPOSITION_CALL), optionally book a callback")
        .body::<DisposeCall>(Some(json!({"disposition": {"campaign": "Sales", "l1": "Sale", "l2": "Card"}, "callback": {"at": "2026-12-08T10:00", "note": "Call after 10"}})))
        .ok::<CallInfo>(200, "Disposed.")
        .error(409);
    s.op("post", "/launch", "ucontact", "Open a signed launch link from uContact")
        .body::<LaunchRequest>(Some(json!({"params": {"agent": "ana", "phone": "+59899123456", "ts": "1796652000", "sig": "9f86d081884c7d65"}})))
        .ok::<LaunchResult>(200, "Where to go.")
        .error(403);
    s.op("post", "/screen-pop", "ucontact", "Screen pop: find or create the caller's contact")
        .body::<ScreenPop>(Some(json!({"guid": "b3c1f0e2", "campaign": "Sales", "channel": "telephony", "phone": "+59899123456"})))
        .ok::<LaunchResult>(200, "The contact to open.");
}

fn status(s: &mut Spec) {
    s.op(
        "get",
        "/statuses",
        "status",
        "Status definitions (system and custom)",
    )
    .list::<StatusDef>("Definitions.");
    s.op("put", "/statuses/{value}", "status", "Add or change a custom status")
        .auth(Auth::Admin)
        .about("Labels, colour, uContact's break reason (null: not a break), retiring (kept in history, no longer offered). System statuses answer 409.")
        .body::<UpsertStatus>(Some(json!({"label_es": "Capacitación", "label_en": "Training", "color": "#6b5bd6", "motive": "TRAINING"})))
        .done("Saved.")
        .error(409);
    s.op(
        "put",
        "/status-order",
        "status",
        "Order the custom statuses in the picker",
    )
    .auth(Auth::Admin)
    .body::<StatusOrder>(Some(json!({"values": ["meal", "break", "training"]})))
    .list::<StatusDef>("Every status, in the new order.");
    s.op("get", "/status", "status", "The caller's status")
        .ok::<AgentStatus>(200, "Status.");
    s.op("put", "/status", "status", "Change the caller's status")
        .body::<SetStatus>(Some(json!({"value": "available"})))
        .ok::<SetStatusResult>(200, "Applied, or pending until the call ends.")
        .error(409);
    s.op(
        "delete",
        "/status/pending",
        "status",
        "Cancel a pending status change",
    )
    .ok::<AgentStatus>(200, "Status.");
    s.op("get", "/board", "status", "The supervisors' board")
        .auth(Auth::Supervisor)
        .ok::<Board>(200, "Agents of the caller's teams.");
    s.op("get", "/agents/{id}/status", "status", "An agent's status")
        .auth(Auth::Supervisor)
        .about("Also the agent themselves.")
        .ok::<AgentStatus>(200, "Status.");
    s.op(
        "get",
        "/agents/{id}/connection-events",
        "status",
        "An agent's connection events",
    )
    .auth(Auth::Supervisor)
    .about("Also the agent themselves.")
    .query::<ConnectionEventQuery>()
    .ok::<ConnectionEventPage>(200, "A page.");
    s.op(
        "get",
        "/agents/{id}/connection-events.csv",
        "status",
        "An agent's connection events as CSV",
    )
    .auth(Auth::Supervisor)
    .query::<ConnectionEventQuery>()
    .file("text/csv", "CSV.");
    s.op(
        "get",
        "/agents/{id}/status-time",
        "status",
        "Time an agent spent in each status",
    )
    .auth(Auth::Supervisor)
    .query::<ConnectionEventQuery>()
    .ok::<StatusTime>(200, "Totals by day.");
    s.op(
        "get",
        "/agents/{id}/queue-log",
        "status",
        "An agent's imported queue_log events",
    )
    .auth(Auth::Supervisor)
    .query::<ConnectionEventQuery>()
    .ok::<QueueLogPage>(200, "A page.");
}
