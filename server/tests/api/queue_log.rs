//! uContact's queue_log, kept per team, read back in an agent's log: the desktop's own
//! call steps and imported exports alike, each viewer seeing only their teams' rows.

use agentdesk_protocol::QueueLogPage;
use agentdesk_server::ingest::ccrepo::{self, Options, Table};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::status::start_call_for;
use crate::support::TestApp;

#[tokio::test]
async fn an_agents_log_shows_their_queue_log_rows_of_the_viewers_teams_only() {
    let app = TestApp::spawn().await;
    let agent = app.token("agent_a").await;
    // The desktop's own call: STARTCALL, PHONECOMPLETEAGENT, OUTCALL in team A.
    start_call_for(&app, &agent, app.contact_a).await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/hangup",
            Some(&agent),
            Some(&json!({})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // An export of team B naming the same agent (a user shared by two centres).
    let csv = "origid,datetime,callid,queuename,agent,event,data1,data2,data3,data4,data5\n\
               1,2026-03-02 08:00:00,c-1,Soporte,agent_a,CONNECT,12,c-1,3,,\n\
               2,2026-03-02 08:05:00,c-1,Soporte,agent_a,COMPLETEAGENT,12,300,1,,\n\
               3,2026-03-02 08:06:00,c-2,Soporte,otro,CONNECT,5,c-2,1,,\n";
    let s = ccrepo::import_reader(
        &app.store,
        std::io::Cursor::new(csv.as_bytes().to_vec()),
        None,
        &Options {
            table: Table::QueueLog,
            team_id: app.team_b,
            time_zone: chrono_tz::Tz::UTC,
            phone_region: "UY",
            encoding: ccrepo::Encoding::Utf8,
            progress: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(s.imported, 3, "{s}");

    let id = app.users["agent_a"];
    let today = agentdesk_server::clock::now().date_naive();
    let path = format!("/api/v1/agents/{id}/queue-log?from=2026-03-01&to={today}");
    // Team A's supervisor: the live call's rows, none of team B's.
    let sup = app.token("super_a").await;
    let a: QueueLogPage = app.get_as(&path, &sup).await;
    let events: Vec<&str> = a.items.iter().map(|e| e.event.as_str()).collect();
    assert!(
        events.contains(&"STARTCALL") && events.contains(&"OUTCALL"),
        "{events:?}"
    );
    assert!(!events.contains(&"CONNECT"), "team B's rows: {events:?}");
    assert_eq!(a.total as usize, a.items.len());
    // An admin sees both teams' rows, newest first.
    let admin = app.token("admin").await;
    let all: QueueLogPage = app.get_as(&path, &admin).await;
    assert_eq!(all.total, a.total + 2, "{all:?}");
    assert!(all.items.windows(2).all(|w| w[0].at >= w[1].at));
    let connect = all.items.iter().find(|e| e.event == "CONNECT").unwrap();
    assert_eq!(
        (
            connect.callid.as_str(),
            connect.queue.as_str(),
            connect.data[0].as_str()
        ),
        ("c-1", "Soporte", "12")
    );
    // Team B's agent may not read agent A's log at all.
    let b = app.token("agent_b").await;
    let res = app.call(Method::GET, &path, Some(&b), None::<&()>).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A range before anything happened: empty.
    let none: QueueLogPage = app
        .get_as(
            &format!("/api/v1/agents/{id}/queue-log?from=2025-01-01&to=2025-01-31"),
            &sup,
        )
        .await;
    assert_eq!((none.total, none.items.len()), (0, 0));
}
