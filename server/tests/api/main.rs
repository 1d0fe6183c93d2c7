//! API tests: the real router over real HTTP, on a fresh database per test (SQLite, or
//! PostgreSQL with `AGENTDESK_TEST_PG`: see `support`).

mod agent_day;
mod agent_day_edges;
mod audit;
mod calls;
mod claims;
mod cli;
mod crossteam;
mod demo;
mod dovecot;
mod email_attachments;
mod email_attachments_scope;
mod email_content;
mod fault;
mod followup_actions;
mod followup_archive;
mod followup_config;
mod followup_hostile;
mod followup_mail;
mod followups;
mod fuzz;
mod hostile_csv;
mod imap;
mod ingest;
mod integration_deliveries;
mod integrations_admin;
mod linking;
mod mailboxes;
mod openapi;
mod outbound_email;
mod overload;
mod passwords;
mod perteam;
mod queue_log;
mod recordings;
mod reminders;
mod reports;
mod reports_backfill;
mod reports_contact;
mod reports_conversation_table;
mod reports_conversations;
mod reports_days;
mod reports_rollup;
mod reports_status;
mod reports_team;
mod reports_team_edges;
mod screen_pop;
mod search;
mod smtp;
mod status;
mod status_defs;
mod support;
mod teams_admin;
mod timeline;
mod tls;
mod ucontact_rest;
mod ucontact_settings;
mod users_admin;
mod users_search;
mod wrap_up;
mod zones;

use agentdesk_protocol::{
    ActivityDetail, ActivityPage, ActivityView, AuditRecord, Contact, ContactList, ErrorCode,
    Locale, LoginResponse, Me, TeamRef, UserSummary,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{PASSWORD, TestApp, expect_error};

const NONE: Option<&()> = None;

#[tokio::test]
async fn login_with_the_right_password_returns_a_token_that_opens_me() {
    let app = TestApp::spawn().await;
    let res = app.login("agent_a", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: LoginResponse = res.json().await.unwrap();
    assert_eq!(body.me.username, "agent_a");
    assert!(body.token.len() >= 40);
    let me: Me = app.get_as("/api/v1/me", &body.token).await;
    assert_eq!(me.id, body.me.id);
    assert_eq!(
        me.teams,
        vec![TeamRef {
            id: app.team_a,
            name: "Team A".into()
        }]
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let app = TestApp::spawn().await;
    let wrong = expect_error(
        app.login("agent_a", "nope-nope").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unknown = expect_error(
        app.login("nobody", "nope-nope").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(wrong.error.code, ErrorCode::Unauthorized);
    assert_eq!(wrong, unknown, "no hint about which usernames exist");
}

#[tokio::test]
async fn the_sixth_failed_login_within_the_window_is_rate_limited_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        expect_error(
            app.login("agent_a", "bad-password").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let res = app.login("agent_a", PASSWORD).await;
    let retry_header = res.headers().get("retry-after").cloned();
    let body = expect_error(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body.error.code, ErrorCode::RateLimited);
    let secs = body.error.retry_after_secs.expect("retry_after_secs");
    assert!((1..=15 * 60).contains(&secs), "{secs}");
    assert_eq!(retry_header.unwrap().to_str().unwrap(), secs.to_string());
    // Other users are not locked out by it.
    assert_eq!(
        app.login("mailer_a", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    for _ in 0..4 {
        app.login("agent_a", "bad-password").await;
    }
    assert_eq!(
        app.login("agent_a", PASSWORD).await.status(),
        StatusCode::OK
    );
    for _ in 0..4 {
        app.login("agent_a", "bad-password").await;
    }
    assert_eq!(
        app.login("agent_a", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_api_route_without_a_session_is_401_in_the_json_error_shape() {
    let app = TestApp::spawn().await;
    let routes = [
        (Method::GET, "/api/v1/me"),
        (Method::PATCH, "/api/v1/me"),
        (Method::GET, "/api/v1/contacts"),
        (Method::GET, "/api/v1/contacts/1"),
        (Method::GET, "/api/v1/contacts/1/activities"),
        (Method::GET, "/api/v1/activities/1"),
        (Method::DELETE, "/api/v1/activities/1"),
        (Method::POST, "/api/v1/contacts/1/notes"),
        (Method::POST, "/api/v1/stream-tickets"),
        (Method::GET, "/api/v1/events"),
        (Method::GET, "/api/v1/crm/settings"),
        (Method::PUT, "/api/v1/crm/settings"),
        (Method::GET, "/api/v1/campaigns"),
        (Method::PUT, "/api/v1/campaigns/x"),
        (Method::POST, "/api/v1/contacts"),
        (
            Method::GET,
            "/api/v1/contacts/1/activities/position?date=2026-01-01",
        ),
        (Method::PUT, "/api/v1/contacts/1"),
        (Method::POST, "/api/v1/calls"),
        (Method::GET, "/api/v1/calls/current"),
        (Method::POST, "/api/v1/calls/hangup"),
        (Method::POST, "/api/v1/calls/disposition"),
        (Method::POST, "/api/v1/launch"),
        (Method::GET, "/api/v1/teams"),
        (Method::POST, "/api/v1/teams"),
        (Method::GET, "/api/v1/users"),
        (Method::POST, "/api/v1/users"),
        (Method::GET, "/api/v1/audit"),
        (Method::POST, "/api/v1/auth/logout"),
        (Method::GET, "/api/v1/statuses"),
        (Method::PUT, "/api/v1/statuses/x"),
        (Method::GET, "/api/v1/status"),
        (Method::PUT, "/api/v1/status"),
        (Method::DELETE, "/api/v1/status/pending"),
        (Method::GET, "/api/v1/board"),
        (Method::GET, "/api/v1/agents/1/status"),
        (Method::GET, "/api/v1/agents/1/connection-events"),
        (Method::GET, "/api/v1/agents/1/connection-events.csv"),
        (Method::GET, "/api/v1/agents/1/status-time"),
        (Method::GET, "/api/v1/agents/1/queue-log"),
        (Method::POST, "/api/v1/integrations"),
        (Method::POST, "/api/v1/ingest/email"),
        (Method::POST, "/api/v1/ingest/chat"),
        (Method::POST, "/api/v1/ingest/ticket"),
        (Method::POST, "/api/v1/ingest/sms"),
        (Method::POST, "/api/v1/webhooks/ucontact"),
    ];
    for (method, path) in routes {
        let res = app.call(method.clone(), path, None, Some(&json!({}))).await;
        let www = res.headers().get("www-authenticate").cloned();
        let body = expect_error(res, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body.error.code, ErrorCode::Unauthorized, "{method} {path}");
        assert_eq!(www.unwrap(), "Bearer");
        // A made-up token is no better.
        let res = app
            .call(
                method.clone(),
                path,
                Some("made-up-token"),
                Some(&json!({})),
            )
            .await;
        expect_error(res, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let token = app.token("agent_a").await;
    let res = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), NONE)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .call(Method::GET, "/api/v1/me", Some(&token), NONE)
        .await;
    expect_error(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_user_of_team_a_cannot_read_a_contact_or_activity_of_team_b() {
    let app = TestApp::spawn().await;
    let token = app.token("agent_a").await;
    let b = app.contact_b;
    for path in [
        format!("/api/v1/contacts/{b}"),
        format!("/api/v1/contacts/{b}/activities"),
    ] {
        let res = app.call(Method::GET, &path, Some(&token), NONE).await;
        let body = expect_error(res, StatusCode::NOT_FOUND).await;
        assert_eq!(body.error.code, ErrorCode::NotFound, "{path}");
    }
    // Team B's activity, by id.
    let token_b = app.token("agent_b").await;
    let page: ActivityPage = app
        .get_as(&format!("/api/v1/contacts/{b}/activities"), &token_b)
        .await;
    let b_activity = page.items[0].id;
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/activities/{b_activity}"),
            Some(&token),
            NONE,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let own: ActivityView = app
        .get_as(&format!("/api/v1/activities/{b_activity}"), &token_b)
        .await;
    assert_eq!(own.activity.contact_id, b);
    // Nor does search reveal it.
    let list: ContactList = app.get_as("/api/v1/contacts?q=beta", &token).await;
    assert!(list.items.is_empty());
    let list: ContactList = app.get_as("/api/v1/contacts", &token).await;
    assert_eq!(
        list.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![app.contact_a]
    );
    let teams: Vec<TeamRef> = app.get_as("/api/v1/teams", &token).await;
    assert_eq!(teams.len(), 1);
}

#[tokio::test]
async fn admins_see_every_team() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let list: ContactList = app.get_as("/api/v1/contacts", &token).await;
    assert_eq!(list.items.len(), 2);
    let c: Contact = app
        .get_as(&format!("/api/v1/contacts/{}", app.contact_b), &token)
        .await;
    assert_eq!(c.team.id, app.team_b);
}

#[tokio::test]
async fn the_newest_ten_activities_come_first_with_ties_broken_by_id() {
    let app = TestApp::spawn().await;
    let token = app.token("mailer_a").await;
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities", app.contact_a),
            &token,
        )
        .await;
    assert_eq!(page.total, 15);
    assert_eq!(page.items.len(), 10);
    assert!(
        page.items
            .windows(2)
            .all(|w| (w[0].occurred_at, w[0].id) > (w[1].occurred_at, w[1].id))
    );
    let texts: Vec<String> = page
        .items
        .iter()
        .map(|a| match &a.detail {
            ActivityDetail::Sms { text, .. } => text.clone(),
            other => other.kind().to_string(),
        })
        .collect();
    assert_eq!(&texts[..4], &["email", "tie second", "tie first", "sms 11"]);
}

#[tokio::test]
async fn email_content_is_withheld_from_users_without_the_email_permission() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/contacts/{}/activities", app.contact_a);
    let find_email = |p: ActivityPage| {
        p.items
            .into_iter()
            .find(|a| matches!(a.detail, ActivityDetail::Email { .. }))
            .unwrap()
    };

    let with = find_email(app.get_as(&path, &app.token("mailer_a").await).await);
    assert!(!with.redacted);
    match with.detail {
        ActivityDetail::Email {
            content: Some(c), ..
        } => assert_eq!(c.subject, "Secret subject"),
        other => panic!("expected content, got {other:?}"),
    }

    let token = app.token("agent_a").await;
    let res = app.call(Method::GET, &path, Some(&token), NONE).await;
    let raw = res.text().await.unwrap();
    assert!(
        !raw.contains("Secret subject") && !raw.contains("secret snippet"),
        "{raw}"
    );
    let without = find_email(serde_json::from_str(&raw).unwrap());
    assert!(without.redacted);
    assert!(matches!(
        without.detail,
        ActivityDetail::Email { content: None, .. }
    ));
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_4xx_in_the_json_error_shape() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let raw = |body: &'static str, ct: &'static str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let b = expect_error(
        raw("{\"username\": ", "application/json").await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(b.error.code, ErrorCode::BadRequest);
    let b = expect_error(
        raw("{\"username\": 5, \"password\": []}", "application/json")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(b.error.code, ErrorCode::Validation);
    expect_error(
        raw("username=a", "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    expect_error(
        raw("[1,2,3]", "application/json").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    expect_error(
        raw("\u{0}\u{1}binary", "application/json").await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;

    // Unknown fields are refused rather than silently dropped.
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(&json!({"locale": "en", "role": "admin"})),
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(&json!({"locale": "fr"})),
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(&json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
    let b = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(b.error.field.as_deref(), Some("time_zone"));

    // Paths and queries of the wrong type.
    let res = app
        .call(
            Method::GET,
            "/api/v1/contacts/not-a-number",
            Some(&token),
            NONE,
        )
        .await;
    expect_error(res, StatusCode::BAD_REQUEST).await;
    let res = app
        .call(
            Method::GET,
            "/api/v1/contacts?limit=lots",
            Some(&token),
            NONE,
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .call(
            Method::GET,
            "/api/v1/contacts?limit=1000",
            Some(&token),
            NONE,
        )
        .await;
    let b = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(b.error.field.as_deref(), Some("limit"));
    let res = app
        .call(
            Method::GET,
            "/api/v1/contacts?after=garbage",
            Some(&token),
            NONE,
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .call(Method::GET, "/api/v1/no-such-thing", Some(&token), NONE)
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
    let res = app
        .call(
            Method::GET,
            "/api/v1/contacts/99999999999999999999999",
            Some(&token),
            NONE,
        )
        .await;
    expect_error(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn only_admins_create_users_and_teams_and_duplicates_conflict() {
    let app = TestApp::spawn().await;
    let agent = app.token("agent_a").await;
    let admin = app.token("admin").await;
    let new_user = json!({
        "username": "nuevo", "display_name": "Nuevo Agente", "password": "a-long-password",
        "role": "agent", "teams": [app.team_a], "time_zone": "America/Montevideo"
    });
    let res = app
        .call(Method::POST, "/api/v1/users", Some(&agent), Some(&new_user))
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
    let res = app
        .call(Method::POST, "/api/v1/users", Some(&admin), Some(&new_user))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: UserSummary = res.json().await.unwrap();
    assert_eq!(
        created.teams.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![app.team_a]
    );
    let res = app
        .call(Method::POST, "/api/v1/users", Some(&admin), Some(&new_user))
        .await;
    expect_error(res, StatusCode::CONFLICT).await;
    assert_eq!(
        app.login("nuevo", "a-long-password").await.status(),
        StatusCode::OK
    );

    let res = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(&json!({
                "username": "x y", "display_name": "X", "password": "short", "role": "agent"
            })),
        )
        .await;
    let b = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(b.error.field.as_deref(), Some("username"));

    let res = app
        .call(
            Method::POST,
            "/api/v1/teams",
            Some(&agent),
            Some(&json!({"name": "C"})),
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/teams",
            Some(&admin),
            Some(&json!({"name": "Team A"})),
        )
        .await;
    expect_error(res, StatusCode::CONFLICT).await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/teams",
            Some(&admin),
            Some(&json!({"name": "Team C"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // Supervisors read their teams' members only; agents read none.
    let sup = app.token("super_a").await;
    let users: Vec<UserSummary> = app.get_as("/api/v1/users", &sup).await;
    assert!(
        users
            .iter()
            .all(|u| u.teams.iter().any(|t| t.id == app.team_a)),
        "{users:?}"
    );
    assert!(!users.iter().any(|u| u.username == "agent_b"));
    let res = app
        .call(Method::GET, "/api/v1/users", Some(&agent), NONE)
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_user_changes_their_language_and_it_is_remembered() {
    let app = TestApp::spawn().await;
    let token = app.token("agent_a").await;
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(&json!({"locale": "es", "time_zone": "America/Montevideo"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let again = app.token("agent_a").await;
    let me: Me = app.get_as("/api/v1/me", &again).await;
    assert_eq!(me.locale, Locale::Es);
    assert_eq!(me.time_zone, "America/Montevideo");
}

#[tokio::test]
async fn contact_search_matches_name_without_accents_phone_digits_and_email() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    for q in ["alpha", "ÁLPHA", "99000", "ana.alpha@"] {
        let list: ContactList = app
            .get_as(&format!("/api/v1/contacts?q={}", urlencode(q)), &token)
            .await;
        assert!(
            list.items.iter().any(|c| c.id == app.contact_a),
            "query {q}"
        );
    }
    let list: ContactList = app.get_as("/api/v1/contacts?q=%25", &token).await;
    assert!(list.items.is_empty(), "a % is a literal, not a wildcard");
    // Cursor paging visits every contact once.
    let first: ContactList = app.get_as("/api/v1/contacts?limit=1", &token).await;
    let next = first.next.clone().expect("a second page");
    let second: ContactList = app
        .get_as(&format!("/api/v1/contacts?limit=1&after={next}"), &token)
        .await;
    assert_eq!(second.items.len(), 1);
    assert_ne!(first.items[0].id, second.items[0].id);
    assert!(second.next.is_none());

    // Exactly who matches, with a third contact whose phone is its own (the two
    // fixture contacts share one): each query finds its contacts and no others.
    let carla = app
        .store
        .create_contact(agentdesk_server::store::NewContact {
            team_id: app.team_a,
            name: "Carla Gamma".into(),
            phone: Some("+59899555444".into()),
            email: Some("carla@example.org".into()),
            external_id: None,
            attributes: Default::default(),
            created_at: agentdesk_server::clock::now(),
        })
        .await
        .unwrap();
    let (a, b) = (app.contact_a, app.contact_b);
    let mut both = vec![a, b];
    both.sort();
    for (q, want) in [
        ("alpha", vec![a]),
        ("ÁLPHA", vec![a]),
        ("ana.alpha@", vec![a]),
        ("gamma", vec![carla]),
        ("555444", vec![carla]),
        ("99000111", both.clone()),
        ("carla@example.org", vec![carla]),
    ] {
        let list: ContactList = app
            .get_as(&format!("/api/v1/contacts?q={}", urlencode(q)), &token)
            .await;
        let mut ids: Vec<i64> = list.items.iter().map(|c| c.id).collect();
        ids.sort();
        assert_eq!(ids, want, "query {q:?}");
    }
}

#[tokio::test]
async fn pages_and_api_carry_the_security_headers_and_client_routes_get_the_app() {
    let config = agentdesk_server::config::ServeConfig {
        frame_ancestors: vec!["https://ucontact.example".into()],
        crm_origins: vec!["https://crm.example".into()],
        ..Default::default()
    };
    let app = TestApp::spawn_with(config).await;
    for path in ["/", "/contacts/42", "/api/v1/me"] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'self' https://ucontact.example"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-src 'self' https://crm.example"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert!(h.get("referrer-policy").is_some());
        assert!(h.get("x-request-id").is_some());
    }
    // The client route is served the app, whose inline loader is allowed by hash.
    let res = app
        .http
        .get(app.url("/contacts/42?tab=crm"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(res.text().await.unwrap().contains(support::INLINE_SCRIPT));
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(support::INLINE_SCRIPT));
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    // Missing files are 404, not the app; hashed assets are cached for good.
    let res = app
        .http
        .get(app.url("/missing-file.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .http
        .get(app.url("/app-0123456789abcdef.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    // API answers carry personal data: never stored, successes and errors alike.
    let token = app.token("agent_a").await;
    for (path, auth) in [
        (
            format!("/api/v1/contacts/{}", app.contact_a),
            Some(token.as_str()),
        ),
        ("/api/v1/contacts".to_string(), Some(token.as_str())),
        ("/api/v1/me".to_string(), None),
        ("/api/v1/nope".to_string(), Some(token.as_str())),
    ] {
        let res = app.call(Method::GET, &path, auth, None::<&()>).await;
        assert_eq!(
            res.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path} ({})",
            res.status()
        );
    }
    let _ = &app.dist;
}

#[tokio::test]
async fn back_office_routes_get_the_back_office_and_bundles_go_out_precompressed() {
    let app = TestApp::spawn().await;
    let page = |path: &'static str| {
        let app = &app;
        async move {
            let res = app.http.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let csp = res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_string();
            (res.text().await.unwrap(), csp)
        }
    };
    for path in ["/board", "/board/agents/7?from=2026-01-01", "/admin/crm"] {
        let (body, _) = page(path).await;
        assert!(body.contains(support::OFFICE_SCRIPT), "{path}: {body}");
    }
    // Whole segments only; everything else is the desktop.
    for path in [
        "/boards",
        "/administrator",
        "/contacts/1",
        "/login?next=%2Fboard",
    ] {
        let (body, _) = page(path).await;
        assert!(body.contains(support::INLINE_SCRIPT), "{path}: {body}");
    }
    // Either app's inline loader is allowed, whichever page is open.
    use base64::Engine;
    use sha2::Digest;
    let (_, csp) = page("/contacts").await;
    for script in [support::INLINE_SCRIPT, support::OFFICE_SCRIPT] {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    }

    // The build's .br / .gz copies, to browsers that accept them; the file otherwise.
    let (name, js, br, gz) = support::BUNDLE;
    for (accept, body, encoding) in [
        (Some("gzip, deflate, br"), br, Some("br")),
        (Some("gzip"), gz, Some("gzip")),
        (None, js.as_bytes(), None),
    ] {
        let mut req = app.http.get(app.url(&format!("/{name}")));
        if let Some(a) = accept {
            req = req.header("accept-encoding", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        assert_eq!(
            h.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{accept:?}"
        );
        assert!(h["content-type"].to_str().unwrap().contains("javascript"));
        assert!(h["cache-control"].to_str().unwrap().contains("immutable"));
        assert!(
            h["vary"]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{accept:?}"
        );
        assert_eq!(&res.bytes().await.unwrap()[..], body, "{accept:?}");
    }
}

#[tokio::test]
async fn health_and_readiness_probes_answer_without_a_session() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn logins_are_audited_without_the_password() {
    let app = TestApp::spawn().await;
    app.token("agent_a").await;
    app.login("agent_a", "wrong-one-here").await;
    let admin = app.token("admin").await;
    let res = app
        .call(Method::GET, "/api/v1/audit", Some(&admin), NONE)
        .await;
    let raw = res.text().await.unwrap();
    let log: Vec<AuditRecord> = serde_json::from_str(&raw).unwrap();
    let seen = |action: &str| {
        log.iter().any(|r| {
            r.action == action
                && r.username.as_deref() == Some("agent_a")
                && r.ip.as_deref() == Some("127.0.0.1")
        })
    };
    assert!(seen("login") && seen("login_failed"), "{log:?}");
    assert!(!raw.contains("wrong-one-here") && !raw.contains(PASSWORD));
    let agent = app.token("agent_a").await;
    let res = app
        .call(Method::GET, "/api/v1/audit", Some(&agent), NONE)
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
