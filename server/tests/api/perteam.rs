//! Idempotency keys are per team: the same input delivered to two teams reaches both,
//! each team's replays are its own duplicates, and no answer names the other team's rows.

use agentdesk_protocol::{IngestResult, IntegrationCredentials};
use agentdesk_server::ingest::ccrepo::{self, Options, Table};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

async fn integration(app: &TestApp, name: &str, team: i64) -> IntegrationCredentials {
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/integrations",
            Some(&admin),
            Some(&json!({ "name": name, "team_id": team })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn ingest(
    app: &TestApp,
    token: &str,
    channel: &str,
    body: &Value,
) -> (StatusCode, IngestResult) {
    let res = app
        .http
        .post(app.url(&format!("/api/v1/ingest/{channel}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{channel}: {status} {text}")),
    )
}

/// What every channel sends, twice over: the same ids in both teams.
fn inputs() -> Vec<(&'static str, Value)> {
    let raw = "Message-ID: <same-for-both@example.com>\r\nFrom: Cliente <cliente@example.com>\r\n\
               To: soporte@example.com\r\nSubject: Factura\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n\
               Hola, adjunto la factura.\r\n";
    vec![
        ("email", json!({ "raw": raw })),
        (
            "sms",
            json!({ "id": "sms-same-id", "direction": "inbound", "number": "099 000 111",
                "text": "Hola", "at": "2026-03-02T10:00:00Z" }),
        ),
        (
            "chat",
            json!({ "event": "start", "session_id": "chat-same-id", "at": "2026-03-02T10:00:00Z",
                "customer": { "name": "Marta", "phone": "099 000 111" } }),
        ),
        (
            "ticket",
            json!({ "ticket_id": "T-1", "event": "created", "subject": "Factura", "status": "open",
                "at": "2026-03-02T10:00:00Z", "customer": { "phone": "099 000 111" } }),
        ),
    ]
}

#[tokio::test]
async fn the_same_input_delivered_to_two_teams_reaches_both_and_replays_stay_in_their_team() {
    let app = TestApp::spawn().await;
    let a = integration(&app, "mesa A", app.team_a).await;
    let b = integration(&app, "mesa B", app.team_b).await;
    for (channel, body) in inputs() {
        let (sa, in_a) = ingest(&app, &a.token, channel, &body).await;
        let (sb, in_b) = ingest(&app, &b.token, channel, &body).await;
        assert_eq!(
            (sa, sb),
            (StatusCode::CREATED, StatusCode::CREATED),
            "{channel}"
        );
        assert!(
            !in_a.duplicate && !in_b.duplicate,
            "{channel}: {in_a:?} {in_b:?}"
        );
        assert_ne!(in_a.activity_id, in_b.activity_id, "{channel}");
        assert_ne!(
            in_a.contact_id, in_b.contact_id,
            "{channel}: one contact per team"
        );
        // Each team's replay is its own duplicate and names its own rows only.
        for (token, first) in [(&a.token, &in_a), (&b.token, &in_b)] {
            let (s, again) = ingest(&app, token, channel, &body).await;
            assert_eq!(s, StatusCode::OK, "{channel}");
            assert!(again.duplicate, "{channel}");
            assert_eq!(
                (again.activity_id, again.contact_id),
                (first.activity_id, first.contact_id),
                "{channel}: a replay names its own team's rows"
            );
        }
    }
    // Each team sees its own copy of the e-mail, content included.
    for (user, team) in [("mailer_a", app.team_a), ("agent_b", app.team_b)] {
        let token = app.token(user).await;
        let found: Value = app
            .get_as("/api/v1/contacts?q=cliente%40example.com", &token)
            .await;
        let items = found["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{user}: {found}");
        assert_eq!(items[0]["team"]["id"], json!(team));
        let page: Value = app
            .get_as(
                &format!("/api/v1/contacts/{}/activities?kinds=email", items[0]["id"]),
                &token,
            )
            .await;
        assert_eq!(page["total"], json!(1), "{user}");
        assert!(page.to_string().contains("Factura"), "{user}: {page}");
    }
}

#[tokio::test]
async fn a_call_guid_is_unique_per_team_and_another_teams_guid_is_no_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Soporte",
            Some(&admin),
            Some(&json!({ "name": "Soporte", "require_disposition": false, "dispositions": [] })),
        )
        .await;
    assert!(res.status().is_success());
    let call = |contact: i64| {
        json!({ "contact_id": contact,
            "call": { "destination": "099000111", "campaign": "Soporte", "guid": "uc-guid-shared" } })
    };
    let a = app.token("agent_a").await;
    let b = app.token("agent_b").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls",
            Some(&a),
            Some(&call(app.contact_a)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Team B's agent uses the same guid: a call of its own, not a 409 that would tell
    // team B the guid exists elsewhere.
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls",
            Some(&b),
            Some(&call(app.contact_b)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for token in [&a, &b] {
        let res = app
            .call(
                Method::POST,
                "/api/v1/calls/hangup",
                Some(token),
                Some(&json!({})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    // Each ended only its own call.
    let log_a = app.store.queue_log("uc-guid-shared").await.unwrap();
    let completes = log_a
        .iter()
        .filter(|(e, _)| e.starts_with("PHONECOMPLETE"))
        .count();
    assert_eq!(completes, 2, "{log_a:?}");
    // Within a team, a repeated guid is still the client's mistake.
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls",
            Some(&a),
            Some(&call(app.contact_a)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

fn opts(team_id: i64, table: Table) -> Options<'static> {
    Options {
        table,
        team_id,
        time_zone: chrono_tz::Tz::UTC,
        phone_region: "UY",
        encoding: ccrepo::Encoding::Auto,
        progress: false,
    }
}

#[tokio::test]
async fn the_same_ccrepo_export_imports_fully_into_each_team_and_once_per_team() {
    let app = TestApp::spawn().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ccrepo");
    for (table, file, rows) in [
        (Table::Cdr, "cdr_repo.csv", 300),
        (Table::Sms, "sms_repo.csv", 170),
        (Table::QueueLog, "queue_log_repo.csv", 947),
    ] {
        for team in [app.team_a, app.team_b] {
            let s = ccrepo::import_file(&app.store, &dir.join(file), &opts(team, table))
                .await
                .unwrap();
            assert_eq!(
                (s.rows_read, s.imported, s.duplicates, s.rejected),
                (rows, rows, 0, 0),
                "{file} into team {team}: {s}"
            );
        }
        let again = ccrepo::import_file(&app.store, &dir.join(file), &opts(app.team_a, table))
            .await
            .unwrap();
        assert_eq!(
            (again.imported, again.duplicates),
            (0, rows),
            "{file}: {again}"
        );
    }
}

/// A queue_log export of several batches (the import writes one batch while it reads
/// the next): rows repeated within a batch and across batch boundaries, times out of
/// order and many rows sharing one second. Every team gets each distinct row once.
#[tokio::test]
async fn a_queue_log_export_of_many_batches_counts_every_repeat_once_per_team() {
    let app = TestApp::spawn().await;
    let mut csv = String::from("origid,datetime,callid,queuename,agent,event,data1\r\n");
    let mut distinct = 0u64;
    let mut repeats = 0u64;
    let row = |i: u64| {
        // Seconds run backwards every 7 rows and five rows share each second.
        let second = (i / 5) * 3 % 7_919;
        format!(
            "{i},2026-03-{:02} {:02}:{:02}:{:02},c{},\"Ventas, turno {}\"<-,agent{},CONNECT,{}\r\n",
            1 + second / 3_600 % 28,
            second / 3_600 % 24,
            second / 60 % 60,
            second % 60,
            i / 4,
            i % 3,
            i % 9,
            i % 97
        )
    };
    for i in 0..3_300u64 {
        csv.push_str(&row(i));
        distinct += 1;
        // A repeat of a row from just before (same batch) or about a batch back.
        if i % 11 == 0 && i > 0 {
            csv.push_str(&row(i - 1));
            repeats += 1;
        }
        if i % 97 == 0 && i >= 1_000 {
            csv.push_str(&row(i - 1_000));
            repeats += 1;
        }
    }
    let import = |team| {
        let store = app.store.clone();
        let csv = csv.clone();
        async move {
            ccrepo::import_reader(
                &store,
                std::io::Cursor::new(csv.into_bytes()),
                None,
                &opts(team, Table::QueueLog),
            )
            .await
            .unwrap()
        }
    };
    let first = import(app.team_a).await;
    assert_eq!(
        (
            first.rows_read,
            first.imported,
            first.duplicates,
            first.rejected
        ),
        (distinct + repeats, distinct, repeats, 0),
        "{first}"
    );
    let again = import(app.team_a).await;
    assert_eq!(
        (again.imported, again.duplicates),
        (0, distinct + repeats),
        "{again}"
    );
    let other = import(app.team_b).await;
    assert_eq!(
        (other.imported, other.duplicates),
        (distinct, repeats),
        "{other}"
    );
}
