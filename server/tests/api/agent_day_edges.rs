//! The edges of an agent's day found in review: a contact whose imported phone is not
//! E.164 can still be corrected, contact attributes follow their definitions, a number
//! shared by many contacts of one team still finds the other team's, and campaigns
//! tell an agent only about their own teams.

use agentdesk_protocol::{CallInfo, Campaign, Contact};
use agentdesk_server::store::NewContact;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::status::{hang_up, member};
use crate::support::{TestApp, expect_error};

async fn put_contact(
    app: &TestApp,
    token: &str,
    id: i64,
    body: serde_json::Value,
) -> reqwest::Response {
    app.call(
        Method::PUT,
        &format!("/api/v1/contacts/{id}"),
        Some(token),
        Some(&body),
    )
    .await
}

async fn campaign(app: &TestApp, body: serde_json::Value) {
    let admin = app.token("admin").await;
    let name = body["name"].as_str().unwrap_or_default().to_owned();
    let res = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{name}"),
            Some(&admin),
            Some(&body),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn dial(app: &TestApp, token: &str, number: &str, campaign: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        "/api/v1/calls",
        Some(token),
        Some(&json!({ "call": { "destination": number, "campaign": campaign } })),
    )
    .await
}

fn seed(team_id: i64, name: &str, phone: &str) -> NewContact {
    NewContact {
        team_id,
        name: name.into(),
        phone: Some(phone.into()),
        email: None,
        external_id: None,
        attributes: Default::default(),
        created_at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn a_contact_with_an_imported_phone_that_is_not_e164_can_still_be_corrected() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    // What an import keeps for a number no country knows (its digits).
    let id = app
        .store
        .create_contact(seed(app.team_a, "Imported", "1234567"))
        .await
        .unwrap();
    let res = put_contact(
        &app,
        &a,
        id,
        json!({ "name": "Imported, corrected", "phone": "1234567" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "the unchanged phone is kept");
    let c: Contact = res.json().await.unwrap();
    assert_eq!(c.name, "Imported, corrected");
    assert_eq!(c.phone.as_deref(), Some("1234567"));
    // A phone that is changed is checked as always.
    let e = expect_error(
        put_contact(&app, &a, id, json!({ "name": "x", "phone": "1234568" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("phone"));
    let res = put_contact(&app, &a, id, json!({ "name": "x", "phone": "099 123 456" })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Contact>().await.unwrap().phone.as_deref(),
        Some("+59899123456")
    );
}

#[tokio::test]
async fn contact_attributes_follow_their_definitions() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let create = |attrs: serde_json::Value| {
        let app = &app;
        let a = a.clone();
        async move {
            app.call(
                Method::POST,
                "/api/v1/contacts",
                Some(&a),
                Some(&json!({ "name": "Attrs", "attributes": attrs })),
            )
            .await
        }
    };
    for (attrs, why) in [
        (json!({ "birth_date": "1899-01-01" }), "a date before 1901"),
        (json!({ "birth_date": "31/12/1990" }), "not a date"),
        (json!({ "lifetime_value": "mucho" }), "not a number"),
        (json!({ "lifetime_value": "NaN" }), "not a finite number"),
        (json!({ "reason": "billing" }), "a conversation attribute"),
        (json!({ "favourite_colour": "blue" }), "not defined"),
        (
            json!({ "plan": "gold", "birth_date": "2050-01-01" }),
            "one bad among good",
        ),
    ] {
        let e = expect_error(create(attrs).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(e.error.field.as_deref(), Some("attributes"), "{why}");
    }
    let res =
        create(json!({ "plan": "gold", "birth_date": "1990-12-31", "lifetime_value": "1234.5" }))
            .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let c: Contact = res.json().await.unwrap();
    assert_eq!(c.attributes.len(), 3);
    // An attribute the contact already has is kept as it is, defined or not.
    let mut old = seed(app.team_a, "Legacy", "+59899000222");
    old.attributes.insert("legacy_code".into(), "X-1".into());
    let id = app.store.create_contact(old).await.unwrap();
    let res = put_contact(
        &app,
        &a,
        id,
        json!({ "name": "Legacy 2", "phone": "+59899000222",
        "attributes": { "legacy_code": "X-1", "plan": "silver" } }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let e = expect_error(
        put_contact(
            &app,
            &a,
            id,
            json!({ "name": "Legacy 2", "attributes": { "legacy_code": "X-2" } }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        e.error.message.contains("legacy_code"),
        "{}",
        e.error.message
    );
}

#[tokio::test]
async fn a_number_many_contacts_of_one_team_share_still_finds_the_other_teams_contact() {
    let app = TestApp::spawn().await;
    campaign(
        &app,
        json!({ "name": "SoloB", "teams": [app.team_b], "dispositions": [] }),
    )
    .await;
    // 120 contacts of team A on one switchboard number, created before team B's.
    for i in 0..120 {
        app.store
            .create_contact(seed(app.team_a, &format!("Ext {i}"), "+59829000000"))
            .await
            .unwrap();
    }
    let b_contact = app
        .store
        .create_contact(seed(app.team_b, "B's customer", "+59829000000"))
        .await
        .unwrap();
    let (_, both) = member(&app, "both", "agent", &[app.team_a, app.team_b]).await;
    let res = dial(&app, &both, "029000000", "SoloB").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let call: CallInfo = res.json().await.unwrap();
    assert_eq!(
        call.contact_id, b_contact,
        "team B's existing contact, not a new one"
    );
    hang_up(&app, &both).await;
}

#[tokio::test]
async fn campaigns_name_only_the_callers_teams_and_admins_may_use_what_they_are_offered() {
    let app = TestApp::spawn().await;
    campaign(
        &app,
        json!({ "name": "Shared", "teams": [app.team_a, app.team_b], "dispositions": [] }),
    )
    .await;
    campaign(
        &app,
        json!({ "name": "SoloB", "teams": [app.team_b], "dispositions": [] }),
    )
    .await;
    let a = app.token("agent_a").await;
    let mine: Vec<Campaign> = app.get_as("/api/v1/campaigns", &a).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0].options.teams,
        [app.team_a],
        "team B is not named to team A"
    );
    // The admin sees every campaign with its teams, and can call with any of them.
    let admin = app.token("admin").await;
    let all: Vec<Campaign> = app.get_as("/api/v1/campaigns", &admin).await;
    assert_eq!(all.len(), 2);
    let solo_b = all.iter().find(|c| c.name == "SoloB").unwrap();
    assert_eq!(solo_b.options.teams, [app.team_b]);
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls",
            Some(&admin),
            Some(&json!({ "contact_id": app.contact_b,
                "call": { "destination": "099000111", "campaign": "SoloB" } })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    hang_up(&app, &admin).await;
    // Still not with another team's contact.
    let e = expect_error(
        app.call(
            Method::POST,
            "/api/v1/calls",
            Some(&admin),
            Some(&json!({ "contact_id": app.contact_a,
                "call": { "destination": "099000111", "campaign": "SoloB" } })),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("campaign"));
}
