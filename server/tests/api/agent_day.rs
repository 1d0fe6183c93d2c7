//! An agent's day through the API: after-call work as a status, campaigns scoped to
//! teams (with a user in both teams sharing a number), and the dial rule.

use agentdesk_protocol::{CallInfo, Campaign, SetStatusResult};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::status::{hang_up, member, open_stream, rows, status};
use crate::support::{TestApp, expect_error};

async fn put_campaign(app: &TestApp, body: serde_json::Value) -> reqwest::Response {
    let admin = app.token("admin").await;
    let name = body["name"].as_str().unwrap_or_default().to_owned();
    app.call(
        Method::PUT,
        &format!("/api/v1/campaigns/{}", urlencode(&name)),
        Some(&admin),
        Some(&body),
    )
    .await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn dial(
    app: &TestApp,
    token: &str,
    contact: Option<i64>,
    number: &str,
    campaign: &str,
) -> reqwest::Response {
    app.call(
        Method::POST,
        "/api/v1/calls",
        Some(token),
        Some(&json!({ "contact_id": contact,
            "call": { "destination": number, "campaign": campaign } })),
    )
    .await
}

#[tokio::test]
async fn a_call_owing_a_disposition_keeps_the_agent_in_wrap_up_until_it_is_saved() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let _stream = open_stream(&app, &a).await;
    let res = put_campaign(
        &app,
        json!({ "name": "Ventas->", "require_disposition": true,
                "dispositions": [{ "label": "Venta" }, { "label": "No interesado" }] }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = dial(&app, &a, Some(app.contact_a), "099000111", "Ventas->").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let call = hang_up(&app, &a).await;
    let s = status(&app, &a).await;
    assert_eq!(s.value, "wrap-up", "after-call work, not available");
    // The agent's choice waits for the disposition, as it would during the call.
    let r: SetStatusResult = app
        .call(
            Method::PUT,
            "/api/v1/status",
            Some(&a),
            Some(&json!({ "value": "break" })),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(r.queued);
    assert_eq!(r.status.value, "wrap-up");
    // A wrong disposition changes nothing.
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/disposition",
            Some(&a),
            Some(&json!({ "disposition": { "campaign": "Ventas->", "guid": call.guid, "l1": "Nope" } })),
        )
        .await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(status(&app, &a).await.value, "wrap-up");
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/disposition",
            Some(&a),
            Some(&json!({ "disposition": { "campaign": "Ventas->", "guid": call.guid, "l1": "Venta" } })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let s = status(&app, &a).await;
    assert_eq!(s.value, "break");
    assert_eq!(s.pending, None);
    let page = app
        .get_as::<agentdesk_protocol::ConnectionEventPage>(
            &format!("/api/v1/agents/{}/connection-events", app.users["agent_a"]),
            &a,
        )
        .await;
    let values: Vec<String> = rows(&page).into_iter().map(|r| r.1).collect();
    assert!(
        values.ends_with(&[
            "in-call".to_string(),
            "end-call".into(),
            "wrap-up".into(),
            "break".into()
        ]),
        "{values:?}"
    );
    // A corrected disposition later does not move the agent again.
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls/disposition",
            Some(&a),
            Some(&json!({ "disposition": { "campaign": "Ventas->", "guid": call.guid, "l1": "No interesado" } })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(status(&app, &a).await.value, "break");
}

#[tokio::test]
async fn campaigns_open_to_a_team_are_offered_and_dialled_only_for_that_team() {
    let app = TestApp::spawn().await;
    for body in [
        json!({ "name": "Solo B", "teams": [app.team_b], "dispositions": [] }),
        json!({ "name": "Para A", "teams": [app.team_a], "d1_label": "Pedido", "dispositions": [] }),
        json!({ "name": "Todos", "dispositions": [] }),
    ] {
        assert_eq!(put_campaign(&app, body).await.status(), StatusCode::OK);
    }
    let names = |cs: Vec<Campaign>| cs.into_iter().map(|c| c.name).collect::<Vec<_>>();
    let a = app.token("agent_a").await;
    let b = app.token("agent_b").await;
    let admin = app.token("admin").await;
    assert_eq!(
        names(app.get_as("/api/v1/campaigns", &a).await),
        ["Para A", "Todos"]
    );
    assert_eq!(
        names(app.get_as("/api/v1/campaigns", &b).await),
        ["Solo B", "Todos"]
    );
    let all: Vec<Campaign> = app.get_as("/api/v1/campaigns", &admin).await;
    assert_eq!(all.len(), 3);
    let para_a = all.iter().find(|c| c.name == "Para A").unwrap();
    assert_eq!(para_a.options.d1_label, "Pedido");
    assert_eq!(para_a.options.teams, [app.team_a]);

    // Another team's campaign is unknown to the agent, with or without a contact.
    for contact in [Some(app.contact_a), None] {
        let e = expect_error(
            dial(&app, &a, contact, "099000111", "Solo B").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some("campaign"));
        assert!(!e.error.message.contains("team"), "{}", e.error.message);
    }

    // A user in both teams, dialling the number both teams' contacts share: the
    // campaign's team decides which contact the call belongs to.
    let (_, both) = member(&app, "both", "agent", &[app.team_a, app.team_b]).await;
    for (campaign, contact) in [
        ("Solo B", app.contact_b),
        ("Para A", app.contact_a),
        ("Todos", app.contact_a),
    ] {
        let res = dial(&app, &both, None, "099 000 111", campaign).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{campaign}");
        let call: CallInfo = res.json().await.unwrap();
        assert_eq!(call.contact_id, contact, "{campaign}");
        hang_up(&app, &both).await;
    }
    // From team A's contact page, team B's campaign is refused even for this user.
    let e = expect_error(
        dial(&app, &both, Some(app.contact_a), "099000111", "Solo B").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("campaign"));

    // Options are checked.
    for (body, field) in [
        (
            json!({ "name": "X", "d1_label": "x".repeat(41), "dispositions": [] }),
            "d1_label",
        ),
        (
            json!({ "name": "X", "teams": [0], "dispositions": [] }),
            "teams",
        ),
    ] {
        let e = expect_error(
            put_campaign(&app, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some(field));
    }
}

#[tokio::test]
async fn only_numbers_are_dialled() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    for bad in [
        "",
        "abc",
        "099 12a 456",
        "12",
        "1234567890123456",
        "+598+99",
        "tel:099",
    ] {
        let e = expect_error(
            dial(&app, &a, None, bad, "Soporte").await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some("destination"), "{bad:?}");
    }
    // A number nobody has: a contact is created in the agent's team for it.
    let res = dial(&app, &a, None, "(098) 765-432", "Soporte").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let call: CallInfo = res.json().await.unwrap();
    assert_ne!(call.contact_id, app.contact_a);
    let c: agentdesk_protocol::Contact = app
        .get_as(&format!("/api/v1/contacts/{}", call.contact_id), &a)
        .await;
    assert_eq!(c.team.id, app.team_a);
    assert_eq!(c.phone.as_deref(), Some("+59898765432"));
}

#[tokio::test]
async fn a_number_typed_the_local_way_finds_the_stored_e164_number_in_the_own_team_only() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    for typed in [
        "099 000 111",
        "099000111",
        "0059899000111",
        "+598 99 000 111",
        "99-000-111",
    ] {
        let list: agentdesk_protocol::ContactList = app
            .get_as(&format!("/api/v1/contacts?q={}", urlencode(typed)), &a)
            .await;
        let ids: Vec<i64> = list.items.iter().map(|c| c.id).collect();
        assert_eq!(ids, [app.contact_a], "{typed}");
    }
}

#[tokio::test]
async fn agents_create_and_correct_contacts_of_their_own_teams() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let post = |token: String, body: serde_json::Value| {
        let app = &app;
        async move {
            app.call(Method::POST, "/api/v1/contacts", Some(&token), Some(&body))
                .await
        }
    };
    // Created in the agent's only team, the phone in E.164, empty fields as none.
    let res = post(
        a.clone(),
        json!({ "name": " Nueva Persona ", "phone": "092 675 571", "email": "",
                "external_id": "CRM-77", "attributes": { "plan": "gold", "city": " " } }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let c: agentdesk_protocol::Contact = res.json().await.unwrap();
    assert_eq!(c.name, "Nueva Persona");
    assert_eq!(c.team.id, app.team_a);
    assert_eq!(c.phone.as_deref(), Some("+59892675571"));
    assert_eq!(c.email, None);
    assert_eq!(c.attributes.len(), 1, "a blank attribute is not kept");
    // The local-format search finds it; team B's agent does not see it.
    let list: agentdesk_protocol::ContactList =
        app.get_as("/api/v1/contacts?q=092%20675%20571", &a).await;
    assert!(list.items.iter().any(|x| x.id == c.id));
    let b = app.token("agent_b").await;
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/contacts/{}", c.id),
            Some(&b),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;

    // Bad input: the field named, nothing stored.
    for (body, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "x", "phone": "abc" }), "phone"),
        (json!({ "name": "x", "email": "nope" }), "email"),
        (
            json!({ "name": "x", "attributes": { "Bad Key": "v" } }),
            "attributes",
        ),
        (json!({ "name": "x", "team_id": app.team_b }), "team_id"),
    ] {
        let e = expect_error(
            post(a.clone(), body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some(field));
    }
    // The same external id twice in a team is a conflict; in another team it is not.
    let e = expect_error(
        post(
            a.clone(),
            json!({ "name": "Otra", "external_id": "CRM-77" }),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("external_id"));
    let res = post(
        b.clone(),
        json!({ "name": "Otra", "external_id": "CRM-77" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // A user of two teams must say which; corrections keep the team.
    let (_, both) = member(&app, "both_c", "agent", &[app.team_a, app.team_b]).await;
    let e = expect_error(
        post(both.clone(), json!({ "name": "¿Dónde?" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("team_id"));
    let put = |token: &str, id: i64, body: serde_json::Value| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/contacts/{id}"),
                Some(&token),
                Some(&body),
            )
            .await
        }
    };
    let res = put(
        &a,
        c.id,
        json!({ "name": "Persona Corregida", "email": "p@example.com" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let fixed: agentdesk_protocol::Contact = res.json().await.unwrap();
    assert_eq!(fixed.name, "Persona Corregida");
    assert_eq!(fixed.email.as_deref(), Some("p@example.com"));
    assert_eq!(
        fixed.phone, None,
        "a full replacement: the phone was cleared"
    );
    assert_eq!(fixed.team.id, app.team_a);
    let list: agentdesk_protocol::ContactList =
        app.get_as("/api/v1/contacts?q=corregida", &a).await;
    assert_eq!(list.items.len(), 1, "the search follows the new name");
    let e = expect_error(
        put(&a, c.id, json!({ "name": "x", "team_id": app.team_b })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e.error.field.as_deref(), Some("team_id"));
    // Another team's contact cannot be edited, and reads as missing.
    expect_error(
        put(&a, app.contact_b, json!({ "name": "x" })).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn go_to_date_names_the_page_where_that_day_begins() {
    use chrono::{Duration, TimeZone, Utc};
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    // A fresh contact with one SMS a day at noon UTC, newest on 2027-01-25 (day k = 0)
    // back to 2027-01-01 (k = 24): across a month start.
    let res = app
        .call(
            Method::POST,
            "/api/v1/contacts",
            Some(&a),
            Some(&json!({ "name": "Fechas" })),
        )
        .await;
    let c: agentdesk_protocol::Contact = res.json().await.unwrap();
    let newest = Utc.with_ymd_and_hms(2027, 1, 25, 12, 0, 0).unwrap();
    let acts: Vec<_> = (0..25)
        .map(|k| {
            crate::support::sms(
                app.team_a,
                c.id,
                app.users["agent_a"],
                newest - Duration::days(k),
                &format!("k{k}"),
            )
        })
        .collect();
    app.store.insert_activities(&acts, false).await.unwrap();
    let page_of = |date: &str, kinds: &str| {
        let token = a.clone();
        let path = format!(
            "/api/v1/contacts/{}/activities/position?date={date}{kinds}",
            c.id
        );
        let app = &app;
        async move {
            app.get_as::<agentdesk_protocol::TimelinePosition>(&path, &token)
                .await
                .page
        }
    };
    for (date, page) in [
        ("2027-02-10", 1), // after the newest: the first page
        ("2027-01-25", 1), // k = 0
        ("2027-01-16", 1), // k = 9, the last of page 1
        ("2027-01-15", 2), // k = 10
        ("2027-01-01", 3), // k = 24
        ("2026-12-31", 3), // before the oldest: the last page (25 activities)
    ] {
        assert_eq!(page_of(date, "").await, page, "{date}");
    }
    // The page really starts with that day.
    let p: agentdesk_protocol::ActivityPage = app
        .get_as(&format!("/api/v1/contacts/{}/activities?page=2", c.id), &a)
        .await;
    assert_eq!(
        p.items[0].occurred_at.date_naive().to_string(),
        "2027-01-15"
    );
    // Other kinds have nothing newer: page 1; an unknown kind or date is a 422.
    assert_eq!(page_of("2027-01-01", "&kinds=email").await, 1);
    for bad in ["date=2027-01-01&kinds=fax", "date=2027-13-01", "date=ayer"] {
        let res = app
            .call(
                Method::GET,
                &format!("/api/v1/contacts/{}/activities/position?{bad}", c.id),
                Some(&a),
                None::<&()>,
            )
            .await;
        assert!(res.status().is_client_error(), "{bad}: {}", res.status());
    }
    // Another team's agent: the contact is not found.
    let b = app.token("agent_b").await;
    let res = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/contacts/{}/activities/position?date=2027-01-01",
                c.id
            ),
            Some(&b),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;
}
