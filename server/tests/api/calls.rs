//! Telephony: CRM settings, campaigns, calls with their dispositions, launch links.

use std::collections::BTreeMap;

use agentdesk_protocol::{
    ActivityDetail, ActivityKind, ActivityPage, CallInfo, Campaign, CrmSettings, CurrentCalls,
    DispositionNode, LaunchResult,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, expect_error};

fn tree() -> Campaign {
    Campaign {
        name: "Ventas->".into(),
        options: Default::default(),
        require_disposition: true,
        dispositions: vec![
            DispositionNode {
                label: "Venta".into(),
                callback: false,
                children: vec![DispositionNode {
                    label: "Plan anual".into(),
                    children: vec![],
                    callback: false,
                }],
            },
            DispositionNode {
                label: "No interesado".into(),
                children: vec![],
                callback: false,
            },
        ],
    }
}

async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    app.call(Method::POST, path, Some(token), Some(&body)).await
}

#[tokio::test]
async fn only_admins_change_crm_settings_origins_are_checked_and_the_csp_follows() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let agent = app.token("agent_a").await;
    let settings = json!({
        "url_template": "https://crm.example/customers?searchByPhoneNumber={phone}",
        "crm_origins": ["https://api.crm.example"],
        "ucontact_origin": "https://acme.ucontact.example"
    });
    expect_error(
        app.call(
            Method::PUT,
            "/api/v1/crm/settings",
            Some(&agent),
            Some(&settings),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    for (field, bad) in [
        (
            "url_template",
            json!({"url_template": "javascript:alert(1)"}),
        ),
        (
            "crm_origins",
            json!({"crm_origins": ["https://crm.example/path"]}),
        ),
        (
            "ucontact_origin",
            json!({"ucontact_origin": "not an origin"}),
        ),
        // A space-separated list would widen the CSP (`frame-ancestors … *`).
        (
            "ucontact_origin",
            json!({"ucontact_origin": "https://uc.example *"}),
        ),
        (
            "crm_origins",
            json!({"crm_origins": ["https://api.crm.example https://evil.example"]}),
        ),
        (
            "crm_origins",
            json!({"crm_origins": ["https://*.crm.example"]}),
        ),
        (
            "url_template",
            json!({"url_template": "https://crm.example *.evil/?p={phone}"}),
        ),
    ] {
        let body = expect_error(
            app.call(
                Method::PUT,
                "/api/v1/crm/settings",
                Some(&admin),
                Some(&bad),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body.error.field.as_deref(), Some(field));
    }
    let res = app
        .call(
            Method::PUT,
            "/api/v1/crm/settings",
            Some(&admin),
            Some(&settings),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let got: CrmSettings = app.get_as("/api/v1/crm/settings", &agent).await;
    assert_eq!(got.ucontact_origin, "https://acme.ucontact.example");
    let res = app
        .call(Method::GET, "/contacts/1", None, None::<&()>)
        .await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-src 'self' https://crm.example https://api.crm.example;"),
        "{csp}"
    );
    assert!(
        csp.contains("frame-ancestors 'self' https://acme.ucontact.example;"),
        "{csp}"
    );
}

#[tokio::test]
async fn a_call_from_make_to_hang_up_to_disposition_lands_on_the_timeline_and_the_queue_log() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Ventas-%3E",
            Some(&admin),
            Some(&tree()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let agent = app.token("agent_a").await;
    let make = json!({ "contact_id": app.contact_a, "call": {
        "destination": "099000111", "campaign": "Ventas->", "did": "22222222",
        "guid": "72e50982-9983-4e27-b9af-ae5c9f518cfb" } });
    let res = post(&app, &agent, "/api/v1/calls", make.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let call: CallInfo = res.json().await.unwrap();
    assert_eq!(call.guid, "72e50982-9983-4e27-b9af-ae5c9f518cfb");
    assert_eq!(call.campaign, "Ventas->", "kept verbatim");
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities", app.contact_a),
            &agent,
        )
        .await;
    assert_eq!(page.items[0].id, call.activity_id.unwrap());
    assert_eq!(page.items[0].kind, ActivityKind::Call);
    // Until it ends, the timeline knows the call is in progress (not "0:00, not answered").
    assert!(
        matches!(
            page.items[0].detail,
            ActivityDetail::Call {
                outcome: Some(agentdesk_protocol::CallOutcome::InProgress),
                ..
            }
        ),
        "{:?}",
        page.items[0].detail
    );

    // One call at a time (another call; the same guid again is a duplicate, below).
    let another = json!({ "contact_id": app.contact_a, "call": {
        "destination": "099000111", "campaign": "Ventas->", "guid": "second-call" } });
    let body = expect_error(
        post(&app, &agent, "/api/v1/calls", another).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("call"));
    let body = expect_error(
        post(&app, &agent, "/api/v1/calls", make.clone()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        body.error.field.as_deref(),
        Some("guid"),
        "a repeated MAKE_CALL"
    );
    let current: CurrentCalls = app.get_as("/api/v1/calls/current", &agent).await;
    assert_eq!(current.active.unwrap().guid, call.guid);

    let res = post(&app, &agent, "/api/v1/calls/hangup", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ended: CallInfo = res.json().await.unwrap();
    assert!(ended.ended_at.is_some());
    assert_eq!(ended.hung_up_by.as_deref(), Some("agent"));
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=call", app.contact_a),
            &agent,
        )
        .await;
    assert!(
        matches!(
            page.items[0].detail,
            ActivityDetail::Call { outcome: None, .. }
        ),
        "no longer in progress once hung up: {:?}",
        page.items[0].detail
    );
    expect_error(
        post(&app, &agent, "/api/v1/calls/hangup", json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // The campaign requires a disposition before the next call.
    let other = json!({ "contact_id": app.contact_a, "call": { "destination": "099000111", "campaign": "Ventas->" } });
    let body = expect_error(
        post(&app, &agent, "/api/v1/calls", other.clone()).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("disposition"));
    let current: CurrentCalls = app.get_as("/api/v1/calls/current", &agent).await;
    assert_eq!(current.pending_disposition.unwrap().guid, call.guid);

    // Unknown combinations are refused; a path of the tree is stored with d1, d2, comment.
    for (l1, l2) in [
        ("Inventado", ""),
        ("Venta", ""),
        ("No interesado", "Plan anual"),
    ] {
        let body = expect_error(
            post(&app, &agent, "/api/v1/calls/disposition", json!({ "disposition": {
                "campaign": "Ventas->", "callerid": "099000111", "guid": call.guid, "l1": l1, "l2": l2 } }))
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            body.error.field.as_deref(),
            Some("disposition"),
            "{l1}/{l2}"
        );
    }
    let res = post(
        &app,
        &agent,
        "/api/v1/calls/disposition",
        json!({ "disposition": {
        "campaign": "Ventas->", "callerid": "099000111", "guid": call.guid, "l1": "Venta",
        "l2": "Plan anual", "l3": "", "d1": "x", "d2": "", "comment": "Cliente conforme" } }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let disposed: CallInfo = res.json().await.unwrap();
    assert_eq!(
        disposed.disposition.as_ref().unwrap().comment,
        "Cliente conforme"
    );
    // The same DISPOSITION_CALL again (a CRM retrying): the same answer, nothing changed,
    // no second FINISHWRAPUP (checked with the queue log below).
    let res = post(
        &app,
        &agent,
        "/api/v1/calls/disposition",
        json!({ "disposition": {
        "campaign": "Ventas->", "callerid": "099000111", "guid": call.guid, "l1": "Venta",
        "l2": "Plan anual", "l3": "", "d1": "x", "d2": "", "comment": "Cliente conforme" } }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "a replay is not an error");
    let replayed: CallInfo = res.json().await.unwrap();
    assert_eq!(replayed.disposition, disposed.disposition);
    let page: ActivityPage = app
        .get_as(
            &format!("/api/v1/contacts/{}/activities?kinds=call", app.contact_a),
            &agent,
        )
        .await;
    match &page.items[0].detail {
        ActivityDetail::Call {
            disposition: Some(d),
            ..
        } => assert_eq!((d.l1.as_str(), d.l2.as_str()), ("Venta", "Plan anual")),
        other => panic!("{other:?}"),
    }
    // Searchable by its disposition.
    let found: ActivityPage = app
        .get_as(
            &format!(
                "/api/v1/contacts/{}/activities?q=plan%20anual",
                app.contact_a
            ),
            &agent,
        )
        .await;
    assert_eq!(found.total, 1);

    // uContact's queue_log_repo events, in order.
    let log = app.store.queue_log(&call.guid).await.unwrap();
    let events: Vec<&str> = log.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        events,
        ["STARTCALL", "PHONECOMPLETEAGENT", "OUTCALL", "FINISHWRAPUP"]
    );
    assert_eq!(
        log[1].1[1], call.guid,
        "PHONECOMPLETEAGENT data2 = callguid"
    );
    assert_eq!(log[2].1[4], call.guid, "OUTCALL data5 = guid");
    assert_eq!(log[3].1[2], call.guid, "FINISHWRAPUP data3 = callguid");

    // Now the next call may start.
    assert_eq!(
        post(&app, &agent, "/api/v1/calls", other).await.status(),
        StatusCode::CREATED
    );
    // A MAKE_CALL repeating a guid is the client's mistake (the bridge's `duplicate_call`).
    post(&app, &agent, "/api/v1/calls/hangup", json!({})).await;
    let body = expect_error(
        post(&app, &agent, "/api/v1/calls", make).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("guid"));
    assert!(
        !body.error.message.contains(&call.guid),
        "{}",
        body.error.message
    );
}

#[tokio::test]
async fn calls_check_their_campaign_and_contact_and_link_by_phone() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    app.call(
        Method::PUT,
        "/api/v1/campaigns/Ventas-%3E",
        Some(&admin),
        Some(&tree()),
    )
    .await;
    let agent = app.token("agent_a").await;
    let body = expect_error(
        post(
            &app,
            &agent,
            "/api/v1/calls",
            json!({ "call": { "destination": "099000111", "campaign": "Nope" } }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("campaign"));
    // Another team's contact is not found.
    expect_error(
        post(&app, &agent, "/api/v1/calls", json!({ "contact_id": app.contact_b, "call": { "destination": "099000111", "campaign": "Ventas->" } })).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // Without a contact: linked by the E.164 phone (contact A has +59899000111).
    let res = post(
        &app,
        &agent,
        "/api/v1/calls",
        json!({ "call": { "destination": "099 000 111", "campaign": "Ventas->" } }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let call: CallInfo = res.json().await.unwrap();
    assert_eq!(call.contact_id, app.contact_a);
    assert!(
        !call.guid.is_empty(),
        "a guid is made when the CRM gives none"
    );
    // Malformed bodies are 4xx in the JSON shape.
    for bad in [
        json!({}),
        json!({ "call": { "campaign": "x" } }),
        json!({ "call": { "destination": [1], "campaign": "x" } }),
    ] {
        let res = post(&app, &agent, "/api/v1/calls", bad.clone()).await;
        assert!(res.status().is_client_error(), "{bad}");
    }
}

#[tokio::test]
async fn a_launch_finds_or_creates_the_contact_and_fills_the_crm_template() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    app.call(Method::PUT, "/api/v1/crm/settings", Some(&admin), Some(&json!({
        "url_template": "https://crm.example/c?phone={phone}&agent={agent}&g={guid}&zone={zone}" }))).await;
    let agent = app.token("agent_a").await;
    let res = post(&app, &agent, "/api/v1/launch", json!({ "params": {
        "phone": "099000111", "agent": "mallory", "campaign": "Soporte<-", "guid": "g-1", "zone": "Pocitos & Centro" } })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: LaunchResult = res.json().await.unwrap();
    assert_eq!((r.contact_id, r.created), (app.contact_a, false));
    assert_eq!(
        r.crm_url,
        "https://crm.example/c?phone=099000111&agent=agent_a&g=g-1&zone=Pocitos%20%26%20Centro",
        "{{agent}} is the signed-in user, never the link's `agent`"
    );
    let res = post(
        &app,
        &agent,
        "/api/v1/launch",
        json!({ "params": { "phone": "+59829001234" } }),
    )
    .await;
    let r: LaunchResult = res.json().await.unwrap();
    assert!(r.created);
    expect_error(
        post(&app, &agent, "/api/v1/launch", json!({ "params": {} })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn with_a_launch_secret_unsigned_and_forged_links_are_refused() {
    use agentdesk_server::config::{Secret, ServeConfig};
    let app = TestApp::spawn_with(ServeConfig {
        launch_secret: Some(Secret("a-long-shared-launch-secret".into())),
        ..Default::default()
    })
    .await;
    let agent = app.token("agent_a").await;
    let body = expect_error(
        post(
            &app,
            &agent,
            "/api/v1/launch",
            json!({ "params": { "phone": "099000111" } }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("sig"));
    let ts = agentdesk_server::clock::now().timestamp().to_string();
    let mut params = BTreeMap::from([
        ("phone".to_string(), "099000111".to_string()),
        ("ts".to_string(), ts),
    ]);
    let sign = |params: &mut BTreeMap<String, String>| {
        use hmac::Mac;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(b"a-long-shared-launch-secret").unwrap();
        mac.update(agentdesk_server::routes::launch_canonical(params).as_bytes());
        params.insert("sig".into(), hex::encode(mac.finalize().into_bytes()));
    };
    sign(&mut params);
    let res = post(
        &app,
        &agent,
        "/api/v1/launch",
        json!({ "params": params.clone() }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut tampered = params.clone();
    tampered.insert("phone".into(), "099999999".into());
    expect_error(
        post(
            &app,
            &agent,
            "/api/v1/launch",
            json!({ "params": tampered }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Signed for another agent: refused, naming the field; signed for this one: fine.
    params.remove("sig");
    params.insert("agent".into(), "mallory".into());
    sign(&mut params);
    let body = expect_error(
        post(
            &app,
            &agent,
            "/api/v1/launch",
            json!({ "params": params.clone() }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("agent"));
    params.remove("sig");
    params.insert("agent".into(), "agent_a".into());
    sign(&mut params);
    let res = post(&app, &agent, "/api/v1/launch", json!({ "params": params })).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_sample_crm_is_served_with_its_own_policy() {
    let app = TestApp::spawn().await;
    for (path, ct) in [
        ("/sample-crm/", "text/html"),
        ("/sample-crm/crm.js", "text/javascript"),
    ] {
        let res = app.call(Method::GET, path, None, None::<&()>).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ct)
        );
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors *"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
    }
}

/// A tree `L1 > L2 > … > Ln` as the admin page saves it.
fn chain(name: &str, depth: usize) -> Campaign {
    let dispositions = (0..depth).rev().fold(vec![], |children, n| {
        vec![DispositionNode {
            label: format!("Nivel {}", n + 1),
            children,
            callback: false,
        }]
    });
    Campaign {
        name: name.into(),
        options: Default::default(),
        require_disposition: true,
        dispositions,
    }
}

#[tokio::test]
async fn trees_of_one_two_and_three_levels_save_and_take_their_full_path_and_four_levels_do_not() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    let agent = app.token("agent_a").await;
    for depth in 1..=3 {
        let name = format!("Nivel{depth}->");
        let res = app
            .call(
                Method::PUT,
                &format!("/api/v1/campaigns/Nivel{depth}-%3E"),
                Some(&admin),
                Some(&chain(&name, depth)),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "depth {depth}");
        let saved: Vec<Campaign> = app.get_as("/api/v1/campaigns", &agent).await;
        let saved = saved.iter().find(|c| c.name == name).expect("saved");
        assert_eq!(saved.dispositions, chain(&name, depth).dispositions);

        let res = post(
            &app,
            &agent,
            "/api/v1/calls",
            json!({ "contact_id": app.contact_a,
            "call": { "destination": "099000111", "campaign": name } }),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED, "depth {depth}");
        let call: CallInfo = res.json().await.unwrap();
        post(&app, &agent, "/api/v1/calls/hangup", json!({})).await;
        let level = |n: usize| {
            if n <= depth {
                format!("Nivel {n}")
            } else {
                String::new()
            }
        };
        let res = post(
            &app,
            &agent,
            "/api/v1/calls/disposition",
            json!({ "disposition": {
            "campaign": name, "callerid": "099000111", "guid": call.guid,
            "l1": level(1), "l2": level(2), "l3": level(3) } }),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "depth {depth}");
        let done: CallInfo = res.json().await.unwrap();
        let d = done.disposition.unwrap();
        assert_eq!([d.l1, d.l2, d.l3], [level(1), level(2), level(3)]);
    }
    let body = expect_error(
        app.call(
            Method::PUT,
            "/api/v1/campaigns/Nivel4-%3E",
            Some(&admin),
            Some(&chain("Nivel4->", 4)),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("dispositions"));
    assert!(
        body.error.message.contains("level 4"),
        "{}",
        body.error.message
    );
}
