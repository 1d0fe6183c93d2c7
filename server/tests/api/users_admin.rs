//! An admin changes users (`PATCH /users/{id}`): name, role, teams, permission,
//! language and time zone; deactivating ends the user's sessions and live streams at
//! once and keeps them from signing in until reactivated; the last active admin cannot
//! be demoted or deactivated, not even by two admins demoting each other at once; every
//! refusal in the JSON error shape, every change in the audit log.

use agentdesk_protocol::{Me, UserSummary};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::status::open_stream;
use crate::support::{PASSWORD, SIGN_OUT_ENDS_STREAMS, TestApp, expect_error};

async fn change(app: &TestApp, token: &str, id: i64, body: Value) -> reqwest::Response {
    app.call(
        Method::PATCH,
        &format!("/api/v1/users/{id}"),
        Some(token),
        Some(&body),
    )
    .await
}

async fn changed(app: &TestApp, token: &str, id: i64, body: Value) -> UserSummary {
    let res = change(app, token, id, body).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("the user")
}

async fn audit_actions(app: &TestApp, admin: &str) -> Vec<String> {
    let log: Vec<Value> = app.get_as("/api/v1/audit", admin).await;
    log.iter()
        .filter_map(|r| r["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_admin_changes_a_user_and_deactivating_ends_their_sessions_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let id = app.users["agent_a"];

    // Shared by both teams, with e-mail, in English and Montevideo's time.
    let user = changed(
        &app,
        &admin,
        id,
        json!({ "display_name": "  Ana Nueva ", "teams": [app.team_a, app.team_b],
                "can_email": true, "locale": "en", "time_zone": "America/Montevideo" }),
    )
    .await;
    assert_eq!(user.display_name, "Ana Nueva");
    assert!(user.can_email && user.active);
    let mut teams: Vec<i64> = user.teams.iter().map(|t| t.id).collect();
    teams.sort();
    assert_eq!(teams, {
        let mut t = vec![app.team_a, app.team_b];
        t.sort();
        t
    });
    let token = app.token("agent_a").await;
    let me: Me = app.get_as("/api/v1/me", &token).await;
    assert_eq!(me.time_zone, "America/Montevideo");
    assert!(me.can_email);
    // Team B's contact is now hers to see.
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{}", app.contact_b),
            Some(&token),
            None::<&()>,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Deactivated: both her sessions' streams end, her tokens stop working, and she
    // cannot sign in.
    let second = app.token("agent_a").await;
    let mut first_stream = open_stream(&app, &token).await;
    let mut second_stream = open_stream(&app, &second).await;
    let user = changed(&app, &admin, id, json!({ "active": false })).await;
    assert!(!user.active);
    assert!(first_stream.closed_within(SIGN_OUT_ENDS_STREAMS).await);
    assert!(second_stream.closed_within(SIGN_OUT_ENDS_STREAMS).await);
    for t in [&token, &second] {
        let res = app
            .call(Method::GET, "/api/v1/me", Some(t), None::<&()>)
            .await;
        expect_error(res, StatusCode::UNAUTHORIZED).await;
    }
    let res = app.login("agent_a", PASSWORD).await;
    expect_error(res, StatusCode::UNAUTHORIZED).await;
    let listed: Vec<UserSummary> = app.get_as("/api/v1/users", &admin).await;
    assert!(listed.iter().any(|u| u.id == id && !u.active));

    // Reactivated: she signs in again, with what was changed before.
    changed(&app, &admin, id, json!({ "active": true })).await;
    let res = app.login("agent_a", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);

    let actions = audit_actions(&app, &admin).await;
    for a in ["user_updated", "user_deactivated", "user_reactivated"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn the_last_active_admin_stays_one() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let me = app.users["admin"];
    let body = expect_error(
        change(&app, &admin, me, json!({ "role": "agent" })).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("role"));
    assert!(body.error.message.contains("last active admin"));
    let body = expect_error(
        change(&app, &admin, me, json!({ "active": false })).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("active"));
    // Nothing of a refused change is kept, other fields included.
    let res = change(
        &app,
        &admin,
        me,
        json!({ "display_name": "X", "role": "agent" }),
    )
    .await;
    expect_error(res, StatusCode::CONFLICT).await;
    let listed: Vec<UserSummary> = app.get_as("/api/v1/users", &admin).await;
    let mine = listed.iter().find(|u| u.id == me).expect("the admin");
    assert_eq!(mine.display_name, "User admin");

    // With a second admin, the first may step down; the second then may not.
    let other = app.users["super_a"];
    changed(&app, &admin, other, json!({ "role": "admin" })).await;
    let user = changed(&app, &admin, me, json!({ "role": "supervisor" })).await;
    assert_eq!(user.role, agentdesk_protocol::Role::Supervisor);
    let second = app.token("super_a").await;
    expect_error(
        change(&app, &second, other, json!({ "active": false })).await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let (a, b) = (app.users["admin"], app.users["super_a"]);
    changed(&app, &admin, b, json!({ "role": "admin" })).await;
    let other = app.token("super_a").await;
    for _ in 0..5 {
        let (x, y) = tokio::join!(
            change(&app, &admin, b, json!({ "role": "supervisor" })),
            change(&app, &other, a, json!({ "role": "supervisor" })),
        );
        let (sx, sy) = (x.status(), y.status());
        let listed: Vec<UserSummary> = app
            .get_as(
                "/api/v1/users",
                if sx == StatusCode::OK { &admin } else { &other },
            )
            .await;
        let admins = listed
            .iter()
            .filter(|u| u.role == agentdesk_protocol::Role::Admin && u.active)
            .count();
        assert_eq!(admins, 1, "{sx} {sy}");
        // The other is refused: as the last admin's demotion (409), or, when the first
        // change landed before its request was read, as no admin any more (403).
        let loser = if sx == StatusCode::OK { sy } else { sx };
        assert!(
            (sx == StatusCode::OK) != (sy == StatusCode::OK)
                && [StatusCode::CONFLICT, StatusCode::FORBIDDEN].contains(&loser),
            "{sx} {sy}"
        );
        // Both admins again for the next round, made by the one left.
        let (keeper, demoted) = if sx == StatusCode::OK {
            (&admin, b)
        } else {
            (&other, a)
        };
        changed(&app, keeper, demoted, json!({ "role": "admin" })).await;
    }
}

#[tokio::test]
async fn changes_are_checked_and_only_admins_make_them() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let id = app.users["agent_a"];
    for (body, status, field) in [
        (
            json!({ "teams": [987_654_321] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("teams"),
        ),
        (
            json!({ "time_zone": "Mars/Olympus" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("time_zone"),
        ),
        (
            json!({ "display_name": "   " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("display_name"),
        ),
        (
            json!({ "display_name": "x".repeat(10_000) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("display_name"),
        ),
        (
            json!({ "role": "owner" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({ "password": "nope" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            json!({ "active": "no" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
    ] {
        let res = change(&app, &admin, id, body.clone()).await;
        let err = expect_error(res, status).await;
        assert_eq!(err.error.field.as_deref(), field, "{body}");
    }
    expect_error(
        change(&app, &admin, 987_654_321, json!({ "can_email": true })).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for who in ["agent_a", "super_a", "mailer_a"] {
        let token = app.token(who).await;
        let res = change(
            &app,
            &token,
            app.users["agent_b"],
            json!({ "can_email": false }),
        )
        .await;
        expect_error(res, StatusCode::FORBIDDEN).await;
    }
    // Nothing refused was kept.
    let listed: Vec<UserSummary> = app.get_as("/api/v1/users", &admin).await;
    let user = listed.iter().find(|u| u.id == id).expect("agent_a");
    assert_eq!(user.display_name, "User agent_a");
    assert!(!user.can_email && user.active);
}
