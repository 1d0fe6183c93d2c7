//! The supervisors', admins' and machines' routes of the operations table (see
//! [`super::operations`]).

use agentdesk_protocol::followup::{
    ActionTaken, DryRun, FollowUp, FollowUpRun, FollowUpSpec, ImportReport, Notifications,
    ReadNotifications,
};
use agentdesk_protocol::report::{
    AgentReport, ContactAnalytics, ConversationFilters, ConversationReport, QueueReport,
    ReportQuery, TeamAnalytics,
};
use agentdesk_protocol::*;
use serde_json::json;

use super::{Auth, Spec};

/// Adds the reports, follow-ups, admin and machines' operations to `s`.
pub(super) fn describe(s: &mut Spec) {
    reports(s);
    followups(s);
    admin(s);
    ucontact(s);
    mailboxes(s);
    machines(s);
}

fn reports(s: &mut Spec) {
    s.op(
        "get",
        "/reports/queue",
        "reports",
        "Queue / campaign report",
    )
    .auth(Auth::Supervisor)
    .query::<ReportQuery>()
    .ok_or_csv::<QueueReport>("Rows per interval and campaign.");
    s.op("get", "/reports/agents", "reports", "Agent report")
        .auth(Auth::Supervisor)
        .query::<ReportQuery>()
        .ok_or_csv::<AgentReport>("Rows per agent and day.");
    s.op(
        "get",
        "/reports/contacts/{id}",
        "reports",
        "A contact's communication analytics",
    )
    .query::<ReportQuery>()
    .ok::<ContactAnalytics>(200, "Analytics.");
    s.op(
        "get",
        "/reports/teams/{id}",
        "reports",
        "A team's communication analytics",
    )
    .auth(Auth::Supervisor)
    .query::<ReportQuery>()
    .ok_or_csv::<TeamAnalytics>("Analytics.");
    s.op(
        "get",
        "/reports/conversations",
        "reports",
        "A team's conversations by attribute, channel or direction",
    )
    .auth(Auth::Supervisor)
    .query::<ReportQuery>()
    .query::<ConversationFilters>()
    .ok_or_csv::<ConversationReport>("Rows per interval and group, with measures.");
}

fn followups(s: &mut Spec) {
    s.op("get", "/followups", "followups", "Follow-ups")
        .auth(Auth::Admin)
        .list::<FollowUp>("Follow-ups (secrets never shown).");
    s.op("post", "/followups", "followups", "Create a follow-up")
        .auth(Auth::Admin)
        .body::<FollowUpSpec>(None)
        .ok::<FollowUp>(201, "Created.")
        .error(409);
    s.op(
        "post",
        "/followups/dry-run",
        "followups",
        "What a follow-up would send now, sending nothing",
    )
    .auth(Auth::Admin)
    .query::<crate::routes::DryRunQuery>()
    .body::<FollowUpSpec>(None)
    .ok::<DryRun>(200, "The plan.");
    s.op(
        "get",
        "/followups/export",
        "followups",
        "Export follow-ups as a zip archive (secrets left out)",
    )
    .auth(Auth::Admin)
    .query::<crate::routes::ExportQuery>()
    .file("application/zip", "The archive.");
    s.op(
        "post",
        "/followups/import",
        "followups",
        "Import a zip archive of follow-ups",
    )
    .auth(Auth::Admin)
    .file_body(
        "application/zip",
        "An archive as exported; every file checked before any is saved.",
    )
    .ok::<ImportReport>(201, "What was created and replaced.");
    s.op("get", "/followups/{id}", "followups", "One follow-up")
        .auth(Auth::Admin)
        .ok::<FollowUp>(200, "The follow-up.");
    s.op("put", "/followups/{id}", "followups", "Replace a follow-up")
        .auth(Auth::Admin)
        .body::<FollowUpSpec>(None)
        .ok::<FollowUp>(200, "Saved.")
        .error(409);
    s.op(
        "delete",
        "/followups/{id}",
        "followups",
        "Delete a follow-up",
    )
    .auth(Auth::Admin)
    .done("Deleted.");
    s.op(
        "get",
        "/followups/{id}/runs",
        "followups",
        "A follow-up's recent runs",
    )
    .auth(Auth::Admin)
    .query::<crate::routes::RunsQuery>()
    .list::<FollowUpRun>("Runs, newest first.");
    s.op(
        "post",
        "/followups/{id}/run",
        "followups",
        "Run a follow-up now",
    )
    .auth(Auth::Admin)
    .ok::<FollowUpRun>(200, "The run.")
    .error(409);
    s.op(
        "get",
        "/notifications",
        "followups",
        "The caller's notifications",
    )
    .ok::<Notifications>(200, "Notifications and the unread count.");
    s.op(
        "post",
        "/notifications/read",
        "followups",
        "Mark notifications read (all when no ids)",
    )
    .body::<ReadNotifications>(Some(json!({"ids": [12, 13]})))
    .done("Marked.");
    s.op(
        "post",
        "/notifications/{id}/actions/{button}",
        "followups",
        "Press a notification card's button",
    )
    .ok::<ActionTaken>(200, "What the action did.")
    .error(409);
}

fn admin(s: &mut Spec) {
    s.op("get", "/teams", "admin", "Teams the caller may see")
        .list::<TeamRef>("Teams.");
    s.op("post", "/teams", "admin", "Create a team")
        .auth(Auth::Admin)
        .body::<CreateTeam>(Some(json!({"name": "Ventas"})))
        .ok::<TeamRef>(201, "Created.")
        .error(409);
    s.op(
        "get",
        "/teams/summary",
        "admin",
        "Teams with member and contact counts",
    )
    .auth(Auth::Admin)
    .list::<TeamSummary>("Teams.");
    s.op(
        "patch",
        "/teams/{id}",
        "admin",
        "Rename, archive or unarchive a team",
    )
    .auth(Auth::Admin)
    .body::<UpdateTeam>(Some(json!({"archived": true})))
    .ok::<TeamRef>(200, "Changed.")
    .error(409);
    s.op("delete", "/teams/{id}", "admin", "Delete a team nothing was ever in")
        .auth(Auth::Admin)
        .about("A team with members, contacts, integrations or any history answers 409 saying which: archive it instead.")
        .done("Deleted.")
        .error(409);
    s.op("get", "/users", "admin", "Users")
        .auth(Auth::Supervisor)
        .about("Supervisors see their teams' users without e-mail, uContact agent, lock or password state. Filtered by name, role, team and state; offset and limit page the answer, and the x-total-count header says how many match.")
        .query::<UsersQuery>()
        .list::<UserSummary>("Users.");
    s.op("post", "/users", "admin", "Create a user")
        .auth(Auth::Admin)
        .body::<CreateUser>(Some(json!({"username": "ana", "display_name": "Ana Gómez", "password": "temporary passphrase 1", "role": "agent", "teams": [1], "must_change_password": true})))
        .ok::<UserSummary>(201, "Created.")
        .error(409);
    s.op("patch", "/users/{id}", "admin", "Edit, deactivate or reactivate a user")
        .auth(Auth::Admin)
        .about("Deactivating ends the user's sessions and streams at once. The last active admin cannot be demoted or deactivated (409).")
        .body::<UpdateUser>(Some(json!({"active": false})))
        .ok::<UserSummary>(200, "Changed.")
        .error(409);
    s.op("post", "/users/{id}/password", "admin", "Set a user's (temporary) password")
        .auth(Auth::Admin)
        .about("Ends the user's sessions and unlocks them; with must_change (the default) they choose their own at next sign-in.")
        .body::<ResetPassword>(Some(json!({"password": "temporary passphrase 2", "must_change": true})))
        .ok::<UserSummary>(200, "Set.");
    s.op(
        "post",
        "/users/{id}/unlock",
        "admin",
        "Forget a user's failed sign-ins",
    )
    .auth(Auth::Admin)
    .ok::<UserSummary>(200, "Unlocked.");
    s.op(
        "get",
        "/integrations",
        "admin",
        "Integrations (never their token or secret)",
    )
    .auth(Auth::Admin)
    .list::<IntegrationSummary>("Integrations.");
    s.op(
        "post",
        "/integrations",
        "admin",
        "Create an integration for a team",
    )
    .auth(Auth::Admin)
    .body::<NewIntegration>(Some(json!({"name": "Web chat", "team_id": 1})))
    .ok::<IntegrationCredentials>(201, "Its token and secret, shown this once.")
    .error(409);
    s.op(
        "post",
        "/integrations/{id}/rotate",
        "admin",
        "Replace an integration's token and secret",
    )
    .auth(Auth::Admin)
    .about("The old ones are refused at once.")
    .ok::<IntegrationCredentials>(200, "The new ones, shown this once.")
    .error(409);
    s.op("get", "/integrations/{id}/deliveries", "admin", "An integration's recent deliveries")
        .auth(Auth::Admin)
        .about("The last 100 that got past authentication: accepted, duplicate, or rejected with the reason the integration was given.")
        .list::<IntegrationDelivery>("Deliveries, newest first.");
    s.op(
        "delete",
        "/integrations/{id}",
        "admin",
        "Revoke an integration for good",
    )
    .auth(Auth::Admin)
    .done("Revoked.");
    s.op("get", "/audit", "admin", "The audit log")
        .auth(Auth::Admin)
        .query::<AuditQuery>()
        .list::<AuditRecord>("Records, newest first.");
    s.op(
        "get",
        "/audit.csv",
        "admin",
        "The audit log as CSV (at most 100,000 rows)",
    )
    .auth(Auth::Admin)
    .query::<AuditQuery>()
    .file("text/csv", "CSV.");
}

fn mailboxes(s: &mut Spec) {
    let input = json!({"team_id": 1, "host": "imap.example.com", "port": 993, "tls": true, "username": "soporte@example.com", "password": "write-only", "folder": "INBOX", "active": true});
    s.op("get", "/mailboxes", "ingest", "The IMAP mailboxes polled, and how it goes")
        .auth(Auth::Admin)
        .about("The mailboxes of the server's environment (AGENTDESK_IMAP_MAILBOXES; no id, read-only) and the console's (with id and settings), each with this instance's last poll, last success, last error and messages taken in. Never a password.")
        .list::<MailboxStatus>("Mailboxes.");
    s.op("post", "/mailboxes", "ingest", "Add an IMAP mailbox for a team")
        .auth(Auth::Admin)
        .about("Polled at once on this instance and within seconds on the others. The password is write-only. A private or loopback host only when the server allows private addresses; plain IMAP only to loopback.")
        .body::<MailboxInput>(Some(input.clone()))
        .ok::<MailboxStatus>(201, "The mailbox.")
        .error(409);
    s.op("put", "/mailboxes/{id}", "ingest", "Change an IMAP mailbox")
        .auth(Auth::Admin)
        .about("The settings replaced; the password absent keeps the stored one. Its poller restarts on the new settings.")
        .body::<MailboxInput>(Some(json!({"team_id": 1, "host": "imap.example.com", "username": "soporte@example.com", "active": false})))
        .ok::<MailboxStatus>(200, "The mailbox.")
        .error(409);
    s.op(
        "delete",
        "/mailboxes/{id}",
        "ingest",
        "Remove an IMAP mailbox",
    )
    .auth(Auth::Admin)
    .about("Its poller stops; the mail already read stays.")
    .done("Removed.");
    s.op("post", "/mailboxes/{id}/test", "ingest", "Test an IMAP mailbox's connection now")
        .auth(Auth::Admin)
        .about("Resolves, connects, TLS, greeting, login and opens the folder read-only, with the stored settings; says which step failed and why.")
        .ok::<MailboxCheck>(200, "How it went (a failure is an answer, not an error).");
}

fn ucontact(s: &mut Spec) {
    use agentdesk_protocol::ucontact::{
        RotatedSecret, UcontactApiInput, UcontactRecordingInput, UcontactSettings,
    };
    s.op(
        "get",
        "/ucontact/settings",
        "ucontact",
        "uContact's settings: where each comes from",
    )
    .auth(Auth::Admin)
    .about("Never returns a secret or the API password.")
    .ok::<UcontactSettings>(200, "The settings.");
    s.op("post", "/ucontact/webhook-secret", "ucontact", "Rotate the webhook secret")
        .auth(Auth::Admin)
        .about("A new random secret, in effect at once on every instance; the old one is refused from then on. Shown this once.")
        .ok::<RotatedSecret>(200, "The new secret.");
    s.op(
        "post",
        "/ucontact/launch-secret",
        "ucontact",
        "Rotate the launch-link secret",
    )
    .auth(Auth::Admin)
    .about("Links signed with the old secret are refused from then on. Shown this once.")
    .ok::<RotatedSecret>(200, "The new secret.");
    s.op("put", "/ucontact/api", "ucontact", "Set uContact's REST API address and sign-in")
        .auth(Auth::Admin)
        .about("Dispositions saved in the desktop are sent there. The password is write-only: absent keeps it, empty clears it.")
        .body::<UcontactApiInput>(Some(json!({"url": "https://acme.ucontact.com", "user": "integration", "password": "write-only"})))
        .ok::<UcontactSettings>(200, "The settings now.");
    s.op("put", "/ucontact/recording", "ucontact", "Set the address of uContact's call recordings")
        .auth(Auth::Admin)
        .about("A template holding {guid} (and optionally {date}, {yyyy}, {mm}, {dd}): a uContact call's recording link. Its origin must also be a recording origin for the player to show. Absent or empty: none.")
        .body::<UcontactRecordingInput>(Some(json!({"url": "https://rec.acme.example/{yyyy}/{mm}/{dd}/{guid}.mp3"})))
        .ok::<UcontactSettings>(200, "The settings now.");
}

/// Routes called by machines: integrations, uContact, browsers' event streams.
fn machines(s: &mut Spec) {
    let customer = json!({"external_id": "C-1001", "phone": "+59899123456", "name": "María Pérez"});
    s.op("post", "/ingest/email", "ingest", "Ingest an e-mail (raw RFC 5322)")
        .auth(Auth::Integration)
        .body::<IngestEmail>(Some(json!({"raw": "From: maria@example.com\r\nTo: support@example.com\r\nSubject: Order\r\nMessage-ID: <1@example.com>\r\n\r\nHello", "customer": customer})))
        .ok::<IngestResult>(201, "Stored (200 when a replay changed nothing).");
    s.op("post", "/ingest/chat", "ingest", "Ingest a chat event (start, message, end)")
        .auth(Auth::Integration)
        .body::<IngestChat>(Some(json!({"event": "message", "session_id": "s-77", "message_id": "m-1", "at": "2026-12-07T14:03:00Z", "from": "customer", "text": "Hola"})))
        .ok::<IngestResult>(201, "Stored (200 when a replay changed nothing).");
    s.op("post", "/ingest/ticket", "ingest", "Ingest a ticket event")
        .auth(Auth::Integration)
        .body::<IngestTicket>(Some(json!({"ticket_id": "T-9", "event": "created", "subject": "Refund", "status": "open", "at": "2026-12-07T14:03:00Z", "customer": customer})))
        .ok::<IngestResult>(201, "Stored (200 when a replay changed nothing).");
    s.op("post", "/ingest/sms", "ingest", "Ingest an SMS")
        .auth(Auth::Integration)
        .body::<IngestSms>(Some(json!({"id": "sms-1", "direction": "inbound", "number": "+59899123456", "text": "Gracias", "at": "2026-12-07T14:03:00Z"})))
        .ok::<IngestResult>(201, "Stored (200 when a replay changed nothing).");
    s.op("post", "/ingest/call", "ingest", "Ingest a call (another telephony platform)")
        .auth(Auth::Integration)
        .about("The same id sent again adds the conversation attributes it brings (a recording's segment_link once the platform has it): 200.")
        .body::<IngestCall>(Some(json!({"id": "CA-1001", "direction": "inbound", "number": "+59899123456", "at": "2026-12-07T14:03:00Z", "duration_secs": 95, "campaign": "Soporte", "attributes": {"segment_link": "https://recordings.example.com/RE1001.mp3"}})))
        .ok::<IngestResult>(201, "Stored (200 when a replay, its new attributes added).");
    s.op("post", "/webhooks/ucontact", "ucontact", "uContact's agent and interaction events")
        .auth(Auth::Webhook)
        .body::<UcWebhook>(Some(json!({"event": "AgentLog", "date": "2026-12-07 09:00:00", "agent": "ana", "isLogin": true})))
        .ok::<WebhookResult>(200, "Applied (or a replay, marked duplicate).");
    s.op(
        "post",
        "/stream-tickets",
        "events",
        "A one-use ticket to open the event stream",
    )
    .ok::<StreamTicket>(200, "The ticket.");
    s.op("get", "/events", "events", "The event stream")
        .auth(Auth::Stream)
        .about("Resumes after Last-Event-ID (header or last_event_id).")
        .query::<crate::routes::EventsQuery>()
        .events::<ServerEvent>("Server-sent events.");
}
