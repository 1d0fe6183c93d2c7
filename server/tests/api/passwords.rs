//! Passwords as admins and users manage them: the rules (length in characters, patterns,
//! the username, the shipped list of common passwords with padding around them), an
//! admin's temporary password that must be replaced before anything else, a user's own
//! change (ending their other sessions, held back like sign-in), and unlocking a username
//! the sign-in throttle holds back — with two teams, mixed-case usernames and every
//! refusal in the JSON error shape, nothing of it kept.

use agentdesk_protocol::{LoginResponse, Me, UserSummary};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::status::open_stream;
use crate::support::{PASSWORD, SIGN_OUT_ENDS_STREAMS, TestApp, expect_error};

async fn post(app: &TestApp, token: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    app.call(Method::POST, path, Some(token), body.as_ref())
        .await
}

async fn users(app: &TestApp, admin: &str) -> Vec<UserSummary> {
    app.get_as("/api/v1/users", admin).await
}

async fn user(app: &TestApp, admin: &str, id: i64) -> UserSummary {
    users(app, admin)
        .await
        .into_iter()
        .find(|u| u.id == id)
        .expect("the user")
}

async fn change_own(app: &TestApp, token: &str, current: &str, new: &str) -> reqwest::Response {
    post(
        app,
        token,
        "/api/v1/me/password",
        Some(json!({ "current": current, "new": new })),
    )
    .await
}

async fn status_of(app: &TestApp, token: &str, method: Method, path: &str) -> StatusCode {
    app.call(method, path, Some(token), None::<&()>)
        .await
        .status()
}

#[tokio::test]
async fn new_passwords_follow_the_rules_and_a_refused_one_creates_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let before = users(&app, &admin).await.len();
    let refused: Vec<(&str, String)> = vec![
        ("11 characters", "abcdefghij1".into()),
        ("11 two-byte characters (22 bytes)", "ñandúárbolé".into()),
        ("1,025 characters", "ab1c-".repeat(205)),
        ("empty", String::new()),
        ("a pattern", "abababababababab".into()),
        ("one character", "zzzzzzzzzzzzzzzz".into()),
        ("the username", "xNuevo.Agente-2026".into()),
        ("common", "qwerty123456".into()),
        ("common, other case", "QWERTY123456".into()),
        ("common with digits and symbols", "Password2026!!".into()),
        ("common with padding on both sides", "!!dragon123456".into()),
        ("a keyboard walk", "1qaz2wsx3edc".into()),
    ];
    for (what, password) in &refused {
        let res = post(
            &app,
            &admin,
            "/api/v1/users",
            Some(json!({ "username": "nuevo.agente", "display_name": "Nuevo",
                         "password": password, "role": "agent", "teams": [app.team_a] })),
        )
        .await;
        let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body.error.field.as_deref(), Some("password"), "{what}");
        assert!(
            !body.error.message.contains(password.as_str()) || password.is_empty(),
            "{what}: the message repeats the password"
        );
    }
    // Not a string at all.
    let res = post(
        &app,
        &admin,
        "/api/v1/users",
        Some(json!({ "username": "nuevo.agente", "display_name": "Nuevo",
                     "password": 123456789012_i64, "role": "agent" })),
    )
    .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(users(&app, &admin).await.len(), before, "nothing created");

    // Passphrases, other scripts and the longest allowed are fine, and sign in.
    for (i, password) in [
        "correct horse battery".to_string(),
        "ñandú árbol pájaro".to_string(),
        "ab1c-".repeat(204),
    ]
    .iter()
    .enumerate()
    {
        let name = format!("bien{i}");
        let res = post(
            &app,
            &admin,
            "/api/v1/users",
            Some(
                json!({ "username": name, "display_name": "Bien", "password": password,
                         "role": "agent", "teams": [app.team_b] }),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{name}");
        assert_eq!(app.login(&name, password).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn an_admins_temporary_password_ends_sessions_and_must_be_replaced_first() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let id = app.users["agent_a"];
    let old = app.token("agent_a").await;
    let mut stream = open_stream(&app, &old).await;
    let temporary = "temporal-de-Ana-9";

    let res = post(
        &app,
        &admin,
        &format!("/api/v1/users/{id}/password"),
        Some(json!({ "password": temporary })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let listed: UserSummary = res.json().await.expect("the user");
    assert!(listed.must_change_password, "must change is the default");
    // Her open desktop is signed out at once; the old password no longer works.
    assert!(stream.closed_within(SIGN_OUT_ENDS_STREAMS).await);
    assert_eq!(
        status_of(&app, &old, Method::GET, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED
    );
    expect_error(
        app.login("agent_a", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Signed in with the temporary one, she may read her profile, change the password or
    // sign out — nothing else.
    let res = app.login("agent_a", temporary).await;
    assert_eq!(res.status(), StatusCode::OK);
    let login: LoginResponse = res.json().await.expect("login");
    assert!(login.me.must_change_password);
    let token = login.token;
    let me: Me = app.get_as("/api/v1/me", &token).await;
    assert!(me.must_change_password);
    for (method, path) in [
        (Method::GET, format!("/api/v1/contacts/{}", app.contact_a)),
        (Method::GET, "/api/v1/contacts".to_string()),
        (Method::PATCH, "/api/v1/me".to_string()),
        (Method::POST, "/api/v1/stream-tickets".to_string()),
        (Method::GET, "/api/v1/status".to_string()),
    ] {
        let res = app
            .call(method.clone(), &path, Some(&token), Some(&json!({})))
            .await;
        let body = expect_error(res, StatusCode::FORBIDDEN).await;
        assert_eq!(
            body.error.field.as_deref(),
            Some("password"),
            "{method} {path}"
        );
    }

    // Refusals first: a wrong current password, the same one again, a common one.
    let body = expect_error(
        change_own(&app, &token, "not-the-temporary", "Ana elige la suya 1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("current"));
    let body = expect_error(
        change_own(&app, &token, temporary, temporary).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("new"));
    let body = expect_error(
        change_own(&app, &token, temporary, "Sunshine.2026").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("new"));
    assert!(user(&app, &admin, id).await.must_change_password);

    let own = "Ana elige la suya 1";
    assert_eq!(
        change_own(&app, &token, temporary, own).await.status(),
        StatusCode::NO_CONTENT
    );
    // The same session goes on, now with everything open.
    assert_eq!(
        status_of(&app, &token, Method::GET, "/api/v1/contacts").await,
        StatusCode::OK
    );
    let me: Me = app.get_as("/api/v1/me", &token).await;
    assert!(!me.must_change_password);
    assert!(!user(&app, &admin, id).await.must_change_password);
    expect_error(
        app.login("agent_a", temporary).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(app.login("agent_a", own).await.status(), StatusCode::OK);

    // The log says who did what, and never what the passwords were.
    let log: Vec<Value> = app.get_as("/api/v1/audit", &admin).await;
    let actions: Vec<&str> = log.iter().filter_map(|r| r["action"].as_str()).collect();
    for a in [
        "password_reset",
        "password_change_refused",
        "password_changed",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let text = serde_json::to_string(&log).expect("log");
    for secret in [temporary, own, "not-the-temporary", "Sunshine.2026"] {
        assert!(!text.contains(secret), "the audit log holds a password");
    }
}

#[tokio::test]
async fn without_must_change_the_temporary_password_opens_everything() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let id = app.users["agent_b"];
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/users/{id}/password"),
        Some(json!({ "password": "la nueva de Beto", "must_change": false })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.login("agent_b", "la nueva de Beto").await;
    let login: LoginResponse = res.json().await.expect("login");
    assert!(!login.me.must_change_password);
    assert_eq!(
        status_of(&app, &login.token, Method::GET, "/api/v1/contacts").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn changing_ones_password_ends_the_other_sessions_and_guessing_is_held_back() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let here = app.token("agent_b").await;
    let elsewhere = app.token("agent_b").await;
    let mut other_stream = open_stream(&app, &elsewhere).await;
    let new = "Beto cambia la suya";
    assert_eq!(
        change_own(&app, &here, PASSWORD, new).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(other_stream.closed_within(SIGN_OUT_ENDS_STREAMS).await);
    assert_eq!(
        status_of(&app, &elsewhere, Method::GET, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(&app, &here, Method::GET, "/api/v1/me").await,
        StatusCode::OK
    );

    // Someone at an open desk guessing the current password is held back as a sign-in
    // would be: after five wrong guesses even the right one waits, and so does sign-in
    // from that address; an admin's unlock ends it.
    for i in 0..5 {
        let body = expect_error(
            change_own(
                &app,
                &here,
                &format!("guess number {i}"),
                "otra clave larga 1",
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body.error.field.as_deref(), Some("current"));
    }
    let body = expect_error(
        change_own(&app, &here, new, "otra clave larga 1").await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    assert!(body.error.retry_after_secs.is_some());
    expect_error(
        app.login("agent_b", new).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    let id = app.users["agent_b"];
    assert!(user(&app, &admin, id).await.locked);
    let res = post(&app, &admin, &format!("/api/v1/users/{id}/unlock"), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.login("agent_b", new).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_unlocks_a_held_back_username_and_only_admins_manage_passwords() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let supervisor = app.token("super_a").await;
    let agent = app.token("agent_a").await;
    let id = app.users["agent_a"];
    // Five failures typed in another case: the same username.
    for typed in ["AGENT_A", "agent_a", "Agent_A", "agent_A", "AGENT_a"] {
        expect_error(
            app.login(typed, "wrong password!!").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    expect_error(
        app.login("agent_a", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    let listed = users(&app, &admin).await;
    for u in &listed {
        assert_eq!(u.locked, u.id == id, "{} locked", u.username);
    }

    // Nobody but an admin resets or unlocks — not the user's supervisor, not the user,
    // whatever the team — and an unknown user is a 404.
    for token in [&supervisor, &agent] {
        for (path, body) in [
            (format!("/api/v1/users/{id}/unlock"), None),
            (
                format!("/api/v1/users/{id}/password"),
                Some(json!({ "password": "una clave de otro" })),
            ),
        ] {
            expect_error(post(&app, token, &path, body).await, StatusCode::FORBIDDEN).await;
        }
    }
    expect_error(
        post(&app, &admin, "/api/v1/users/999999/unlock", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        post(
            &app,
            &admin,
            "/api/v1/users/999999/password",
            Some(json!({ "password": "una clave sin dueño" })),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for body in [
        json!({ "password": "una clave buena", "extra": 1 }),
        json!({ "must_change": true }),
        json!({ "password": "corta" }),
    ] {
        let res = post(
            &app,
            &admin,
            &format!("/api/v1/users/{id}/password"),
            Some(body),
        )
        .await;
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    expect_error(
        app.login("agent_a", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;

    let res = post(&app, &admin, &format!("/api/v1/users/{id}/unlock"), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let unlocked: UserSummary = res.json().await.expect("the user");
    assert!(!unlocked.locked);
    assert_eq!(
        app.login("agent_a", PASSWORD).await.status(),
        StatusCode::OK
    );
    let log: Vec<Value> = app.get_as("/api/v1/audit", &admin).await;
    assert!(
        log.iter()
            .any(|r| r["action"] == "user_unlocked" && r["target"] == format!("user:{id}"))
    );
}

#[tokio::test]
async fn an_admin_links_a_users_ucontact_agent_and_e_mail() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let a = app.users["agent_a"];
    let b = app.users["agent_b"];
    let patch = |id: i64, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.call(
                Method::PATCH,
                &format!("/api/v1/users/{id}"),
                Some(&admin),
                Some(&body),
            )
            .await
        }
    };
    let res = patch(
        a,
        json!({ "ucontact_agent": "  ana.uc ", "email": " ana@example.com " }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let u: UserSummary = res.json().await.expect("user");
    assert_eq!(u.ucontact_agent.as_deref(), Some("ana.uc"));
    assert_eq!(u.email.as_deref(), Some("ana@example.com"));
    let me: Me = app.get_as("/api/v1/me", &app.token("agent_a").await).await;
    assert_eq!(me.ucontact_agent.as_deref(), Some("ana.uc"));

    // Team B's agent cannot take the same uContact agent or address; bad values are
    // refused by field; nothing of a refused change is kept.
    for body in [
        json!({ "ucontact_agent": "ana.uc", "display_name": "Robado" }),
        json!({ "email": "ANA@example.com", "display_name": "Robado" }),
    ] {
        expect_error(patch(b, body).await, StatusCode::CONFLICT).await;
    }
    for (body, field) in [
        (json!({ "ucontact_agent": "dos\nlíneas" }), "ucontact_agent"),
        (
            json!({ "ucontact_agent": "x".repeat(129) }),
            "ucontact_agent",
        ),
        (json!({ "email": "no es correo" }), "email"),
        (json!({ "email": "a@b.co\r\nBcc: x@y.z" }), "email"),
    ] {
        let e = expect_error(patch(b, body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e.error.field.as_deref(), Some(field));
    }
    let u = user(&app, &admin, b).await;
    assert_ne!(u.display_name, "Robado");
    assert_eq!(u.ucontact_agent, None);

    // "" unlinks and removes.
    let res = patch(a, json!({ "ucontact_agent": "", "email": "" })).await;
    let u: UserSummary = res.json().await.expect("user");
    assert_eq!((u.ucontact_agent, u.email), (None, None));
}

/// Races a password change must win: a sign-in whose check passed against the old
/// password gets no session once the change is in, and a user's own change (checked
/// against the old password, hashed slowly) does not overwrite an admin's reset that
/// came in between.
#[tokio::test]
async fn a_password_changed_meanwhile_wins_over_a_sign_in_and_a_users_change() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let id = app.users["agent_a"];
    let own_session = app.token("agent_a").await;
    let (_, old_hash) = app.store.password_hash(id).await.unwrap().unwrap();
    let res = post(
        &app,
        &admin,
        &format!("/api/v1/users/{id}/password"),
        Some(json!({ "password": "la del administrador 1", "must_change": false })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, new_hash) = app.store.password_hash(id).await.unwrap().unwrap();
    let later = agentdesk_server::clock::now() + chrono::Duration::hours(1);
    let token = agentdesk_server::auth::token_hash("late-sign-in");
    assert!(
        !app.store
            .create_session(&token, id, &old_hash, later, None)
            .await
            .unwrap(),
        "a sign-in checked against the old password gets no session"
    );
    assert!(
        app.store
            .create_session(&token, id, &new_hash, later, None)
            .await
            .unwrap()
    );
    // The user's change proved the old password (and its session is gone with the
    // reset): it changes nothing.
    let own = agentdesk_server::auth::token_hash(&own_session);
    let theirs = agentdesk_server::auth::hash_password("la del usuario 22").unwrap();
    for (keep, was) in [
        (Some(own.as_str()), Some(old_hash.as_str())),
        (Some(token.as_str()), Some(old_hash.as_str())),
        (Some(own.as_str()), Some(new_hash.as_str())),
    ] {
        assert_eq!(
            app.store
                .set_password(id, &theirs, false, keep, was)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        app.login("agent_a", "la del administrador 1")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn supervisors_see_their_teams_members_but_not_their_credentials_state() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let id = app.users["agent_a"];
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(&json!({ "ucontact_agent": "ana.uc", "email": "ana@example.com" })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    for _ in 0..5 {
        expect_error(
            app.login("agent_a", "wrong password!!").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let seen = user(&app, &admin, id).await;
    assert!(seen.locked && seen.email.is_some() && seen.ucontact_agent.is_some());
    let supervisor = app.token("super_a").await;
    let listed: Vec<UserSummary> = app.get_as("/api/v1/users", &supervisor).await;
    let ana = listed
        .iter()
        .find(|u| u.id == id)
        .expect("a member of their team");
    assert!(!ana.locked && ana.email.is_none() && ana.ucontact_agent.is_none());
}

#[tokio::test]
async fn a_user_created_with_a_temporary_password_chooses_their_own_first() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let res = post(
        &app,
        &admin,
        "/api/v1/users",
        Some(json!({ "username": "temporal", "display_name": "Temporal",
                     "password": "primera clave 2026", "role": "agent",
                     "teams": [app.team_a], "must_change_password": true })),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: UserSummary = res.json().await.expect("user");
    assert!(created.must_change_password);
    let login: LoginResponse = app
        .login("temporal", "primera clave 2026")
        .await
        .json()
        .await
        .expect("login");
    assert!(login.me.must_change_password);
    let res = app
        .call(
            Method::GET,
            "/api/v1/contacts",
            Some(&login.token),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
    assert_eq!(
        change_own(
            &app,
            &login.token,
            "primera clave 2026",
            "la mía de verdad 9"
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status_of(&app, &login.token, Method::GET, "/api/v1/contacts").await,
        StatusCode::OK
    );
}
