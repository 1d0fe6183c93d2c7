//! Team scoping over every route: users of team A ask for team B's ids of every kind
//! (contacts, activities, calls, agents, logs, exports, streams) and must get exactly
//! what they get for an id that does not exist, and no answer may carry team B's data.
//!
//! The routes probed are checked against the router's own source, so a new route without
//! a probe fails here. The order of requests and the ids drawn are shuffled from a seed
//! the test prints (`AGENTDESK_CROSSTEAM_SEED=<seed>` replays it).

use std::collections::BTreeSet;
use std::time::Duration;

use agentdesk_protocol::ErrorBody;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::status::{member, open_stream, start_call_for};
use crate::support::{TestApp, router_routes};

/// The ids a probe may carry: team B's, or ones that exist nowhere.
#[derive(Clone)]
struct Target {
    contact: i64,
    activity: i64,
    agent: i64,
    guid: String,
    email: String,
    reminder: i64,
    notification: i64,
    followup: i64,
    team: i64,
    /// An outbound e-mail (a draft) and a sender identity.
    outbound: i64,
    identity: i64,
    /// A file of that draft.
    file: i64,
}

/// One request: the route as the router writes it, the path filled in, a body.
struct Probe {
    method: Method,
    route: &'static str,
    path: String,
    body: Option<Value>,
}

fn probe(method: Method, route: &'static str, path: String, body: Option<Value>) -> Probe {
    Probe {
        method,
        route,
        path,
        body,
    }
}

/// Routes the loop does not call, and why (they are still checked against the router).
const NOT_PROBED: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/auth/login",
        "takes no session: nothing of a team to ask for",
    ),
    (
        "POST",
        "/auth/logout",
        "ends the prober's own session; tested in main.rs",
    ),
];

/// Every session route, filled with `t`'s ids. Called for team B's target and for a
/// missing one, the two lists line up request for request.
fn probes(t: &Target) -> Vec<Probe> {
    use Method as M;
    let (c, a, u) = (t.contact, t.activity, t.agent);
    vec![
        probe(M::GET, "/me", "/me".into(), None),
        probe(
            M::PATCH,
            "/me",
            "/me".into(),
            Some(json!({ "locale": "es" })),
        ),
        probe(
            M::GET,
            "/contacts",
            format!("/contacts?q={}", t.email),
            None,
        ),
        probe(M::GET, "/contacts/{id}", format!("/contacts/{c}"), None),
        probe(
            M::GET,
            "/contacts/{id}/activities/position",
            format!("/contacts/{c}/activities/position?date=2026-01-01"),
            None,
        ),
        probe(
            M::PUT,
            "/contacts/{id}",
            format!("/contacts/{c}"),
            Some(json!({ "name": "Sonda" })),
        ),
        // Into a team by id: another team's reads as no team of the caller's.
        probe(
            M::POST,
            "/contacts",
            "/contacts".into(),
            Some(json!({ "name": "Sonda", "team_id": 1_000_000 + c })),
        ),
        probe(
            M::GET,
            "/contacts/{id}/activities",
            format!("/contacts/{c}/activities"),
            None,
        ),
        probe(
            M::POST,
            "/contacts/{id}/notes",
            format!("/contacts/{c}/notes"),
            Some(json!({ "text": "sonda" })),
        ),
        probe(M::GET, "/activities/{id}", format!("/activities/{a}"), None),
        probe(
            M::DELETE,
            "/activities/{id}",
            format!("/activities/{a}"),
            None,
        ),
        probe(M::POST, "/stream-tickets", "/stream-tickets".into(), None),
        probe(M::GET, "/events", format!("/events?contacts={c}"), None),
        probe(M::GET, "/crm/settings", "/crm/settings".into(), None),
        probe(
            M::PUT,
            "/crm/settings",
            "/crm/settings".into(),
            Some(json!({})),
        ),
        probe(M::GET, "/campaigns", "/campaigns".into(), None),
        probe(
            M::PUT,
            "/campaigns/{name}",
            "/campaigns/Soporte".into(),
            Some(json!({ "name": "Soporte", "dispositions": [] })),
        ),
        probe(
            M::POST,
            "/calls",
            "/calls".into(),
            Some(json!({ "contact_id": c,
            "call": { "destination": "099000222", "campaign": "Soporte" } })),
        ),
        probe(M::GET, "/calls/current", "/calls/current".into(), None),
        probe(M::GET, "/reminders", "/reminders".into(), None),
        probe(M::GET, "/notifications", "/notifications".into(), None),
        probe(
            M::POST,
            "/notifications/read",
            "/notifications/read".into(),
            Some(json!({ "ids": [t.notification] })),
        ),
        probe(
            M::POST,
            "/notifications/{id}/actions/{button}",
            format!("/notifications/{}/actions/0", t.notification),
            None,
        ),
        // Follow-ups are an admin's, for every team: other roles get nothing of them.
        probe(M::GET, "/followups", "/followups".into(), None),
        probe(
            M::POST,
            "/followups",
            "/followups".into(),
            Some(json!({ "name": "x" })),
        ),
        probe(
            M::POST,
            "/followups/dry-run",
            format!("/followups/dry-run?id={}", t.followup),
            Some(json!({ "name": "x" })),
        ),
        probe(
            M::GET,
            "/followups/export",
            format!("/followups/export?ids={}", t.followup),
            None,
        ),
        probe(
            M::POST,
            "/followups/import",
            "/followups/import".into(),
            None,
        ),
        probe(
            M::GET,
            "/followups/{id}",
            format!("/followups/{}", t.followup),
            None,
        ),
        probe(
            M::PUT,
            "/followups/{id}",
            format!("/followups/{}", t.followup),
            Some(json!({ "name": "x" })),
        ),
        probe(
            M::DELETE,
            "/followups/{id}",
            format!("/followups/{}", t.followup),
            None,
        ),
        probe(
            M::GET,
            "/followups/{id}/runs",
            format!("/followups/{}/runs", t.followup),
            None,
        ),
        probe(
            M::POST,
            "/followups/{id}/run",
            format!("/followups/{}/run", t.followup),
            None,
        ),
        probe(
            M::POST,
            "/reminders/{id}/done",
            format!("/reminders/{}/done", t.reminder),
            None,
        ),
        probe(
            M::POST,
            "/calls/hangup",
            "/calls/hangup".into(),
            Some(json!({ "guid": t.guid })),
        ),
        probe(
            M::POST,
            "/calls/disposition",
            "/calls/disposition".into(),
            Some(json!({ "guid": t.guid, "campaign": "Soporte", "l1": "Venta" })),
        ),
        probe(
            M::POST,
            "/launch",
            "/launch".into(),
            Some(json!({ "params": { "phone": "+59899000111" } })),
        ),
        probe(
            M::POST,
            "/screen-pop",
            "/screen-pop".into(),
            Some(json!({ "client_id": format!("ext-{c}") })),
        ),
        probe(M::GET, "/teams", "/teams".into(), None),
        probe(
            M::POST,
            "/teams",
            "/teams".into(),
            Some(json!({ "name": "Sonda" })),
        ),
        probe(M::GET, "/teams/summary", "/teams/summary".into(), None),
        // Admins' only: B's team and a missing one alike are refused to the others.
        probe(
            M::PATCH,
            "/teams/{id}",
            format!("/teams/{}", t.team),
            Some(json!({ "name": "Sonda" })),
        ),
        probe(M::DELETE, "/teams/{id}", format!("/teams/{}", t.team), None),
        probe(M::GET, "/users", "/users".into(), None),
        probe(M::POST, "/users", "/users".into(), Some(json!({}))),
        // Admins' only: B's agent and a missing one alike are refused to the others.
        probe(
            M::PATCH,
            "/users/{id}",
            format!("/users/{}", t.agent),
            Some(json!({ "can_email": false })),
        ),
        probe(
            M::POST,
            "/users/{id}/password",
            format!("/users/{}/password", t.agent),
            Some(json!({ "password": "una-clave-de-sonda-7" })),
        ),
        probe(
            M::POST,
            "/users/{id}/unlock",
            format!("/users/{}/unlock", t.agent),
            None,
        ),
        // Unreadable (no fields): refused before it touches anything, whoever asks.
        probe(
            M::POST,
            "/me/password",
            "/me/password".into(),
            Some(json!({})),
        ),
        probe(M::GET, "/audit", "/audit".into(), None),
        probe(M::GET, "/audit.csv", "/audit.csv".into(), None),
        probe(M::GET, "/statuses", "/statuses".into(), None),
        probe(
            M::PUT,
            "/statuses/{value}",
            "/statuses/sonda".into(),
            Some(json!({})),
        ),
        probe(
            M::GET,
            "/ucontact/settings",
            "/ucontact/settings".into(),
            None,
        ),
        probe(M::GET, "/mailboxes", "/mailboxes".into(), None),
        // Admins' only, whatever the id.
        probe(
            M::POST,
            "/mailboxes",
            "/mailboxes".into(),
            Some(
                json!({ "team_id": t.team, "host": "imap.example.com", "username": "u", "password": "p" }),
            ),
        ),
        probe(
            M::PUT,
            "/mailboxes/{id}",
            format!("/mailboxes/{}", t.team),
            Some(json!({ "team_id": t.team, "host": "imap.example.com", "username": "u" })),
        ),
        probe(
            M::DELETE,
            "/mailboxes/{id}",
            format!("/mailboxes/{}", t.team),
            None,
        ),
        probe(
            M::POST,
            "/mailboxes/{id}/test",
            format!("/mailboxes/{}/test", t.team),
            None,
        ),
        probe(
            M::POST,
            "/ucontact/webhook-secret",
            "/ucontact/webhook-secret".into(),
            None,
        ),
        probe(
            M::POST,
            "/ucontact/launch-secret",
            "/ucontact/launch-secret".into(),
            None,
        ),
        probe(
            M::PUT,
            "/ucontact/api",
            "/ucontact/api".into(),
            Some(json!({ "url": "https://uc.example", "user": "u" })),
        ),
        probe(
            M::PUT,
            "/ucontact/recording",
            "/ucontact/recording".into(),
            Some(json!({ "url": "https://rec.example/{guid}.mp3" })),
        ),
        probe(
            M::PUT,
            "/status-order",
            "/status-order".into(),
            Some(json!({ "values": ["break"] })),
        ),
        probe(M::GET, "/status", "/status".into(), None),
        probe(
            M::PUT,
            "/status",
            "/status".into(),
            Some(json!({ "value": "break" })),
        ),
        probe(M::DELETE, "/status/pending", "/status/pending".into(), None),
        probe(M::GET, "/board", "/board".into(), None),
        probe(
            M::GET,
            "/agents/{id}/status",
            format!("/agents/{u}/status"),
            None,
        ),
        probe(
            M::GET,
            "/agents/{id}/connection-events",
            format!("/agents/{u}/connection-events"),
            None,
        ),
        probe(
            M::GET,
            "/agents/{id}/connection-events.csv",
            format!("/agents/{u}/connection-events.csv"),
            None,
        ),
        probe(
            M::GET,
            "/agents/{id}/status-time",
            format!("/agents/{u}/status-time"),
            None,
        ),
        probe(
            M::GET,
            "/agents/{id}/queue-log",
            format!("/agents/{u}/queue-log"),
            None,
        ),
        // A report of another team's reads as a report of no team.
        probe(
            M::GET,
            "/reports/queue",
            format!(
                "/reports/queue?team={}&from=2026-01-01&to=2026-01-31",
                t.team
            ),
            None,
        ),
        probe(
            M::GET,
            "/reports/contacts/{id}",
            format!("/reports/contacts/{c}"),
            None,
        ),
        probe(
            M::GET,
            "/reports/teams/{id}",
            format!("/reports/teams/{}?format=csv", t.team),
            None,
        ),
        probe(
            M::GET,
            "/reports/conversations",
            format!(
                "/reports/conversations?team={}&group_by=campaign&filter=campaign:Ventas",
                t.team
            ),
            None,
        ),
        probe(
            M::GET,
            "/reports/agents",
            format!("/reports/agents?team={}&format=csv", t.team),
            None,
        ),
        probe(
            M::POST,
            "/integrations",
            "/integrations".into(),
            Some(json!({})),
        ),
        probe(M::GET, "/integrations", "/integrations".into(), None),
        // Admins' only, whatever the id.
        probe(
            M::GET,
            "/integrations/{id}/deliveries",
            format!("/integrations/{}/deliveries", t.team),
            None,
        ),
        probe(
            M::POST,
            "/integrations/{id}/rotate",
            format!("/integrations/{}/rotate", t.team),
            None,
        ),
        probe(
            M::DELETE,
            "/integrations/{id}",
            format!("/integrations/{}", t.team),
            None,
        ),
        probe(
            M::GET,
            "/contacts/{id}/compose",
            format!("/contacts/{c}/compose"),
            None,
        ),
        probe(
            M::POST,
            "/contacts/{id}/emails",
            format!("/contacts/{c}/emails"),
            Some(json!({ "to": t.email, "subject": "sonda" })),
        ),
        probe(
            M::GET,
            "/emails/{id}",
            format!("/emails/{}", t.outbound),
            None,
        ),
        probe(
            M::PUT,
            "/emails/{id}",
            format!("/emails/{}", t.outbound),
            Some(json!({ "subject": "sonda" })),
        ),
        probe(
            M::DELETE,
            "/emails/{id}",
            format!("/emails/{}", t.outbound),
            None,
        ),
        probe(
            M::POST,
            "/emails/{id}/attachments",
            format!("/emails/{}/attachments?name=sonda.txt", t.outbound),
            Some(json!({ "sonda": true })),
        ),
        probe(
            M::GET,
            "/emails/{id}/attachments/{file_id}",
            format!("/emails/{}/attachments/{}", t.outbound, t.file),
            None,
        ),
        probe(
            M::DELETE,
            "/emails/{id}/attachments/{file_id}",
            format!("/emails/{}/attachments/{}", t.outbound, t.file),
            None,
        ),
        probe(
            M::POST,
            "/emails/{id}/retry",
            format!("/emails/{}/retry", t.outbound),
            None,
        ),
        // Sender identities are an admin's: other roles get nothing of them.
        probe(
            M::GET,
            "/teams/{id}/mail-identities",
            format!("/teams/{}/mail-identities", t.team),
            None,
        ),
        probe(
            M::POST,
            "/teams/{id}/mail-identities",
            format!("/teams/{}/mail-identities", t.team),
            Some(json!({ "address": "sonda@example.com" })),
        ),
        probe(
            M::PUT,
            "/mail-identities/{id}",
            format!("/mail-identities/{}", t.identity),
            Some(json!({ "address": "sonda@example.com" })),
        ),
        probe(
            M::DELETE,
            "/mail-identities/{id}",
            format!("/mail-identities/{}", t.identity),
            None,
        ),
        probe(
            M::POST,
            "/mail-identities/{id}/test",
            format!("/mail-identities/{}/test", t.identity),
            None,
        ),
        probe(
            M::POST,
            "/ingest/email",
            "/ingest/email".into(),
            Some(json!({})),
        ),
        probe(
            M::POST,
            "/ingest/chat",
            "/ingest/chat".into(),
            Some(json!({})),
        ),
        probe(
            M::POST,
            "/ingest/ticket",
            "/ingest/ticket".into(),
            Some(json!({})),
        ),
        probe(
            M::POST,
            "/ingest/sms",
            "/ingest/sms".into(),
            Some(json!({})),
        ),
        probe(
            M::POST,
            "/ingest/call",
            "/ingest/call".into(),
            Some(json!({})),
        ),
        probe(
            M::POST,
            "/webhooks/ucontact",
            "/webhooks/ucontact".into(),
            Some(json!({})),
        ),
    ]
}

/// A small deterministic shuffle (xorshift), so the order is replayable from the seed.
fn shuffle<T>(items: &mut [T], state: &mut u64) {
    for i in (1..items.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let j = usize::try_from(*state % (i as u64 + 1)).expect("index");
        items.swap(i, j);
    }
}

#[test]
fn every_route_of_the_router_has_a_cross_team_probe() {
    let missing = Target {
        contact: 0,
        activity: 0,
        agent: 0,
        guid: String::new(),
        email: String::new(),
        reminder: 0,
        notification: 0,
        followup: 0,
        team: 0,
        outbound: 0,
        identity: 0,
        file: 0,
    };
    let mut probed: BTreeSet<(String, String)> = probes(&missing)
        .iter()
        .map(|p| (p.method.to_string(), p.route.to_string()))
        .collect();
    probed.extend(
        NOT_PROBED
            .iter()
            .map(|(m, r, _)| (m.to_string(), r.to_string())),
    );
    assert_eq!(probed, router_routes(), "probes vs the router's routes");
}

/// A follow-up (an admin's) that notified B's agent about B's contact, written through
/// the store as a poll would: its id and the notification's.
async fn b_notification(app: &TestApp) -> (i64, i64) {
    use agentdesk_server::store::followups::{Notify, RunOutcome};
    let spec: agentdesk_protocol::followup::FollowUpSpec = serde_json::from_value(json!({
        "name": "Seguimiento de B",
        "poll_minutes": 10,
        "calls": [{ "name": "t", "url": "https://itsm.example.com/t" }],
        "attributes": [{ "name": "who", "path": "/who" }],
        "looping": "/items",
        "record_id": "/id",
        "recipients": { "user": "who" },
        "message": { "text": "aviso secreto de B" },
        "channel": "in_app",
        "notify_minutes": 10,
        "attempts": 1
    }))
    .expect("spec");
    let now = agentdesk_server::clock::now();
    let id = app
        .store
        .create_followup(&spec, now)
        .await
        .expect("follow-up");
    let owner = "crossteam";
    app.store
        .claim_followup(id, owner, now, chrono::Duration::minutes(5))
        .await
        .expect("claim")
        .expect("claimed");
    let outcome = RunOutcome {
        started_at: now,
        finished_at: now,
        found: 1,
        opened: vec!["B-1".into()],
        notify: vec![Notify {
            key: "B-1".into(),
            attempt: 1,
            users: vec![app.users["agent_b"]],
            recipients: vec!["agent_b".into()],
            text: "aviso secreto de B".into(),
            card: None,
            values: None,
            delivery: agentdesk_protocol::followup::Delivery::InApp,
            mail: Vec::new(),
            contact: Some((app.team_b, app.contact_b)),
        }],
        resolved: Vec::new(),
        errors: Vec::new(),
        polled: true,
    };
    app.store
        .finish_followup_run(id, owner, &outcome, now + chrono::Duration::minutes(10))
        .await
        .expect("run");
    let inbox = app
        .store
        .notifications(app.users["agent_b"], 10)
        .await
        .expect("inbox");
    (id, inbox.items[0].id)
}

/// What an answer shows: its status, its error code when it is an error, and its text.
async fn answer(app: &TestApp, token: &str, p: &Probe) -> (StatusCode, Option<String>, String) {
    let res = app
        .call(
            p.method.clone(),
            &format!("/api/v1{}", p.path),
            Some(token),
            p.body.as_ref(),
        )
        .await;
    let status = res.status();
    let sse = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    // A stream never ends: its headers are the answer.
    let text = if sse {
        String::new()
    } else {
        res.text().await.unwrap_or_default()
    };
    let code = serde_json::from_str::<ErrorBody>(&text)
        .ok()
        .map(|b| format!("{:?}", b.error.code));
    (status, code, text)
}

#[tokio::test]
async fn team_a_asking_for_team_bs_ids_gets_what_a_missing_id_gets_on_every_route() {
    let seed: u64 = std::env::var("AGENTDESK_CROSSTEAM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026_1205);
    eprintln!("cross-team seed: {seed} (AGENTDESK_CROSSTEAM_SEED={seed} replays it)");
    let mut rng = seed | 1;

    let app = TestApp::spawn().await;
    // Team B's data: a note, a call with its own guid, an agent with a connection log.
    // A user shared by both teams takes part too, so that what is B's is not simply
    // "what B's users did".
    let b_token = app.token("agent_b").await;
    let (_, shared) = member(&app, "compartido", "agent", &[app.team_a, app.team_b]).await;
    let _b_stream = open_stream(&app, &b_token).await;
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{}/notes", app.contact_b),
            Some(&shared),
            Some(&json!({ "text": "nota secreta de B" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let note: Value = res.json().await.expect("note");
    start_call_for(&app, &b_token, app.contact_b).await;
    let call: Value = app.get_as("/api/v1/calls/current", &b_token).await;
    let guid = call["active"]["guid"]
        .as_str()
        .expect("B's call guid")
        .to_string();
    let page: Value = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities", app.contact_b),
            &b_token,
        )
        .await;
    let mut b_activities: Vec<i64> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_i64())
        .collect();
    assert!(
        b_activities.len() >= 3,
        "B has activities: {b_activities:?}"
    );
    assert!(b_activities.contains(&note["id"].as_i64().expect("id")));
    // A callback reminder of B's agent, for B's contact.
    let (reminder, _) = app
        .store
        .schedule_reminder(&agentdesk_server::store::reminders::NewReminder {
            user_id: app.users["agent_b"],
            contact_id: app.contact_b,
            call_guid: Some(guid.clone()),
            due_at: agentdesk_server::clock::now() + chrono::Duration::hours(1),
            note: "rellamada secreta de B".into(),
        })
        .await
        .expect("B's reminder");
    // A follow-up's notification to B's agent about B's contact.
    let (followup, notification) = b_notification(&app).await;
    // B's sender and a draft B's agent is writing to B's contact.
    let identity = app
        .store
        .create_mail_identity(app.team_b, "b@example.com", "Soporte B", None)
        .await
        .expect("B's sender");
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{}/emails", app.contact_b),
            Some(&b_token),
            Some(&json!({ "to": "beto.beta@example.com", "subject": "correo secreto de B" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let outbound = res.json::<Value>().await.expect("draft")["activity_id"]
        .as_i64()
        .expect("id");
    let res = app
        .http
        .post(app.url(&format!(
            "/api/v1/emails/{outbound}/attachments?name=archivo%20secreto%20de%20B.txt"
        )))
        .bearer_auth(&b_token)
        .header("content-type", "text/plain")
        .body("contenido secreto de B")
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::CREATED);
    let file = res.json::<Value>().await.expect("file")["id"]
        .as_i64()
        .expect("id");
    let markers = [
        "archivo secreto de B",
        "contenido secreto de B",
        "correo secreto de B",
        "aviso secreto de B",
        "rellamada secreta de B",
        "Beto Beta",
        "beto.beta@example.com",
        "nota secreta de B",
        guid.as_str(),
        "agent_b",
        "Team B",
    ];

    for viewer in ["agent_a", "super_a", "mailer_a"] {
        let token = app.token(viewer).await;
        shuffle(&mut b_activities, &mut rng);
        let b = Target {
            contact: app.contact_b,
            activity: b_activities[0],
            agent: app.users["agent_b"],
            guid: guid.clone(),
            email: "beto.beta@example.com".into(),
            reminder,
            notification,
            followup,
            team: app.team_b,
            outbound,
            identity,
            file,
        };
        let nowhere = Target {
            contact: 987_654_321,
            activity: 987_654_321,
            agent: 987_654_321,
            guid: "no-such-guid".into(),
            email: "nadie@example.com".into(),
            reminder: 987_654_321,
            notification: 987_654_321,
            followup: 987_654_321,
            team: 987_654_321,
            outbound: 987_654_321,
            identity: 987_654_321,
            file: 987_654_321,
        };
        let mut pairs: Vec<(Probe, Probe)> = probes(&b).into_iter().zip(probes(&nowhere)).collect();
        shuffle(&mut pairs, &mut rng);
        for (theirs, none) in &pairs {
            // The missing id first: an action that works on B's id must not be mistaken
            // for one that always works.
            let (s_none, c_none, _) = answer(&app, &token, none).await;
            let (s_b, c_b, text) = answer(&app, &token, theirs).await;
            let what = format!("{viewer} {} {} (seed {seed})", theirs.method, theirs.path);
            assert!(!s_b.is_server_error(), "{what}: {s_b} {text}");
            assert_eq!(
                (s_b, c_b),
                (s_none, c_none),
                "{what}: B's id vs a missing id"
            );
            for m in markers {
                assert!(
                    !text.contains(m),
                    "{what}: the answer carries {m:?}: {text}"
                );
            }
        }
    }

    // Team A's reads of B's notification id changed nothing of it.
    let inbox = app
        .store
        .notifications(app.users["agent_b"], 10)
        .await
        .expect("inbox");
    assert_eq!(inbox.unread, 1, "B's notification is still unread");

    // Streams: team A's stream, asked for B's contact, hears nothing of B's writes, and
    // then does hear A's own (a closed stream could not pass for a quiet one).
    let token = app.token("super_a").await;
    let res = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/events?contacts={},{}",
                app.contact_b, app.contact_a
            ),
            Some(&token),
            None::<&()>,
        )
        .await;
    let mut stream = crate::support::SseReader::new(res);
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{}/notes", app.contact_b),
            Some(&b_token),
            Some(&json!({ "text": "otra nota secreta de B" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{}/notes", app.contact_a),
            Some(&token),
            Some(&json!({ "text": "nota de A" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a_note: Value = res.json().await.expect("note");
    loop {
        let (name, _, data) = stream
            .next(Duration::from_secs(10))
            .await
            .expect("team A's own note reaches its stream");
        assert_ne!(data["contact_id"], json!(app.contact_b), "{name}: {data}");
        if data["activity_id"] == a_note["id"] {
            break;
        }
    }
}
