//! Teams as admins manage them: rename (a taken name is a 409), archive — nobody new
//! joins, its integration's deliveries are refused while the other team's go on, its
//! members stay — and unarchive; delete only a team nothing ever was (members, contacts,
//! integrations or history say why not); nobody but admins does any of it.

use agentdesk_protocol::{TeamRef, TeamSummary};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, exec_sql, expect_error};

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    app.call(method, path, Some(token), body.as_ref()).await
}

async fn new_team(app: &TestApp, admin: &str, name: &str) -> i64 {
    let res = call(
        app,
        admin,
        Method::POST,
        "/api/v1/teams",
        Some(json!({ "name": name })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<TeamRef>().await.expect("team").id
}

async fn summary(app: &TestApp, admin: &str, id: i64) -> TeamSummary {
    let all: Vec<TeamSummary> = app.get_as("/api/v1/teams/summary", admin).await;
    all.into_iter().find(|t| t.id == id).expect("the team")
}

async fn sms(app: &TestApp, token: &str, id: &str) -> StatusCode {
    app.http
        .post(app.url("/api/v1/ingest/sms"))
        .bearer_auth(token)
        .json(
            &json!({ "id": id, "direction": "inbound", "number": "+59899111222",
                       "text": "hola", "at": "2026-06-01T10:00:00Z" }),
        )
        .send()
        .await
        .expect("ingest")
        .status()
}

async fn integration_token(app: &TestApp, admin: &str, name: &str, team: i64) -> String {
    let res = call(
        app,
        admin,
        Method::POST,
        "/api/v1/integrations",
        Some(json!({ "name": name, "team_id": team })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("credentials");
    v["token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn an_admin_renames_and_archives_a_team_and_its_integration_stops() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let path_b = format!("/api/v1/teams/{}", app.team_b);
    let a_token = integration_token(&app, &admin, "helpdesk-a", app.team_a).await;
    let b_token = integration_token(&app, &admin, "helpdesk-b", app.team_b).await;

    let res = call(
        &app,
        &admin,
        Method::PATCH,
        &path_b,
        Some(json!({ "name": "  Ventas Norte " })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<TeamRef>().await.expect("team").name,
        "Ventas Norte"
    );
    let taken: Vec<TeamRef> = app.get_as("/api/v1/teams", &admin).await;
    let a_name = taken
        .iter()
        .find(|t| t.id == app.team_a)
        .expect("A")
        .name
        .clone();
    let res = call(
        &app,
        &admin,
        Method::PATCH,
        &path_b,
        Some(json!({ "name": a_name })),
    )
    .await;
    expect_error(res, StatusCode::CONFLICT).await;
    for body in [
        json!({ "name": "" }),
        json!({ "name": "x".repeat(129) }),
        json!({ "colour": 1 }),
    ] {
        let res = call(&app, &admin, Method::PATCH, &path_b, Some(body)).await;
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    assert_eq!(summary(&app, &admin, app.team_b).await.name, "Ventas Norte");
    // Nothing asked is a 422; two changes at once, two records.
    let res = call(&app, &admin, Method::PATCH, &path_b, Some(json!({}))).await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = call(
        &app,
        &admin,
        Method::PATCH,
        &path_b,
        Some(json!({ "name": "Ventas Sur", "archived": false })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let log: Vec<Value> = app
        .get_as(&format!("/api/v1/audit?target=team:{}", app.team_b), &admin)
        .await;
    let actions: Vec<&str> = log.iter().filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(actions, ["team_unarchived", "team_renamed", "team_renamed"]);

    // Archived: B's integration is refused as a revoked one, A's goes on; B's members
    // stay B's, nobody new joins.
    let res = call(
        &app,
        &admin,
        Method::PATCH,
        &path_b,
        Some(json!({ "archived": true })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(summary(&app, &admin, app.team_b).await.archived);
    assert_eq!(sms(&app, &b_token, "b-1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(sms(&app, &a_token, "a-1").await, StatusCode::CREATED);
    let res = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/users",
        Some(
            json!({ "username": "nuevo_b", "display_name": "Nuevo", "password": PASSWORD,
                     "role": "agent", "teams": [app.team_b] }),
        ),
    )
    .await;
    let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body.error.field.as_deref(), Some("teams"));
    assert!(body.error.message.contains("archived"));
    let res = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/users/{}", app.users["agent_a"]),
        Some(json!({ "teams": [app.team_a, app.team_b] })),
    )
    .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    // agent_b keeps B (listed again with another change) and still reads B's contact.
    let res = call(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/users/{}", app.users["agent_b"]),
        Some(json!({ "teams": [app.team_b], "display_name": "Beto" })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let agent_b = app.token("agent_b").await;
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{}", app.contact_b),
            Some(&agent_b),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Unarchived, B's integration delivers again.
    let res = call(
        &app,
        &admin,
        Method::PATCH,
        &path_b,
        Some(json!({ "archived": false })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(sms(&app, &b_token, "b-2").await, StatusCode::CREATED);
    let log: Vec<Value> = app.get_as("/api/v1/audit?action=team_", &admin).await;
    let actions: Vec<&str> = log.iter().filter_map(|r| r["action"].as_str()).collect();
    for a in ["team_renamed", "team_archived", "team_unarchived"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn only_a_team_nothing_was_ever_in_is_deleted_and_the_refusal_says_why() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    // A's members and contacts.
    let res = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/v1/teams/{}", app.team_a),
        None,
    )
    .await;
    let body = expect_error(res, StatusCode::CONFLICT).await;
    assert_eq!(body.error.field.as_deref(), Some("team"));
    assert!(body.error.message.contains("members") && body.error.message.contains("archive"));
    // An integration alone keeps a team.
    let with_integration = new_team(&app, &admin, "Con integración").await;
    integration_token(&app, &admin, "solo", with_integration).await;
    let res = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/v1/teams/{with_integration}"),
        None,
    )
    .await;
    let body = expect_error(res, StatusCode::CONFLICT).await;
    assert!(
        body.error.message.contains("1 integrations"),
        "{}",
        body.error.message
    );
    // So does history (a queue_log row of the team).
    let with_history = new_team(&app, &admin, "Con historia").await;
    exec_sql(
        &app.db_url,
        &[&format!(
            "INSERT INTO queue_log (datetime, event, team_id) VALUES (0, 'PROBE', {with_history})"
        )],
    )
    .await;
    let res = call(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/v1/teams/{with_history}"),
        None,
    )
    .await;
    let body = expect_error(res, StatusCode::CONFLICT).await;
    assert!(
        body.error.message.contains("history"),
        "{}",
        body.error.message
    );
    // An empty one goes; then it is a 404.
    let empty = new_team(&app, &admin, "Vacío").await;
    let path = format!("/api/v1/teams/{empty}");
    let res = call(&app, &admin, Method::DELETE, &path, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let teams: Vec<TeamSummary> = app.get_as("/api/v1/teams/summary", &admin).await;
    assert!(teams.iter().all(|t| t.id != empty));
    expect_error(
        call(&app, &admin, Method::DELETE, &path, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        call(
            &app,
            &admin,
            Method::PATCH,
            &path,
            Some(json!({ "name": "Otro" })),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // Supervisors and agents manage no team, theirs or not.
    for user in ["super_a", "agent_a", "agent_b"] {
        let token = app.token(user).await;
        for team in [app.team_a, app.team_b] {
            let p = format!("/api/v1/teams/{team}");
            expect_error(
                call(&app, &token, Method::DELETE, &p, None).await,
                StatusCode::FORBIDDEN,
            )
            .await;
            expect_error(
                call(
                    &app,
                    &token,
                    Method::PATCH,
                    &p,
                    Some(json!({ "archived": true })),
                )
                .await,
                StatusCode::FORBIDDEN,
            )
            .await;
        }
        let res = app
            .call(
                Method::GET,
                "/api/v1/teams/summary",
                Some(&token),
                None::<&()>,
            )
            .await;
        expect_error(res, StatusCode::FORBIDDEN).await;
    }
    let a = summary(&app, &admin, app.team_a).await;
    assert!(!a.archived && a.members > 0 && a.contacts > 0);
}
