//! Call recordings: a call ingested with a `segment_link` on a recording origin the admin
//! listed gets a player (its `recording` on the activity), one on another origin does not
//! (the attribute is kept), a link the platform sends later is added to the call; bad
//! links, bad calls and bad origins are refused; the page's policy lets media play from
//! the listed origins only; two teams' calls with the same id stay apart.

use agentdesk_protocol::{ActivityView, CrmSettings, IngestResult};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::linking::integration;
use crate::support::{TestApp, expect_error};

const REC: &str = "https://rec.example.com";

async fn call(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/ingest/call"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn stored(res: reqwest::Response, status: StatusCode) -> IngestResult {
    assert_eq!(res.status(), status);
    res.json().await.unwrap()
}

fn a_call(id: &str, attributes: Value) -> Value {
    json!({"id": id, "direction": "inbound", "number": "+59899123456",
        "at": "2026-03-29T01:30:00Z", "duration_secs": 95, "campaign": "Soporte",
        "attributes": attributes})
}

async fn view(app: &TestApp, user: &str, activity: i64) -> ActivityView {
    let t = app.token(user).await;
    app.get_as(&format!("/api/v1/activities/{activity}"), &t)
        .await
}

async fn set_origins(app: &TestApp, origins: Value) -> reqwest::Response {
    let admin = app.token("admin").await;
    let mut settings = serde_json::to_value(CrmSettings::default()).unwrap();
    settings["recording_origins"] = origins;
    app.call(
        Method::PUT,
        "/api/v1/crm/settings",
        Some(&admin),
        Some(&settings),
    )
    .await
}

const ENV_REC: &str = "https://env-rec.example.com";

#[tokio::test]
async fn a_recording_plays_from_a_listed_origin_and_a_link_sent_later_is_added() {
    let app = TestApp::spawn_with(agentdesk_server::config::ServeConfig {
        recording_origins: vec![ENV_REC.into()],
        ..Default::default()
    })
    .await;
    assert_eq!(
        set_origins(&app, json!([REC])).await.status(),
        StatusCode::OK
    );
    let csp = app.http.get(app.url("/")).send().await.unwrap().headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("media-src 'self' {ENV_REC} {REC};")),
        "{csp}"
    );

    let token = integration(&app, "flex", app.team_a).await;
    let link = format!("{REC}/Recordings/RE1.mp3?download=1");
    let first = stored(
        call(
            &app,
            &token,
            a_call("CA1", json!({"segment_link": link, "reason": "Baja"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let v = view(&app, "agent_a", first.activity_id).await;
    assert_eq!(v.recording.as_deref(), Some(link.as_str()));
    assert_eq!(v.conversation_attributes["reason"], "Baja");

    // No link yet; the platform sends it with the same call id later.
    let second = stored(
        call(&app, &token, a_call("CA2", json!({}))).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        view(&app, "agent_a", second.activity_id).await.recording,
        None
    );
    let later = format!("{REC}/Recordings/RE2.mp3");
    for _ in 0..2 {
        let again = stored(
            call(&app, &token, a_call("CA2", json!({"segment_link": later}))).await,
            StatusCode::OK,
        )
        .await;
        assert!(again.duplicate);
        assert_eq!(again.activity_id, second.activity_id, "the same call");
    }
    assert_eq!(
        view(&app, "agent_a", second.activity_id)
            .await
            .recording
            .as_deref(),
        Some(later.as_str())
    );

    // The server's own recording origin plays too.
    let env_link = format!("{ENV_REC}/r/RE9.mp3");
    let env = stored(
        call(
            &app,
            &token,
            a_call("CA8", json!({"segment_link": env_link})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        view(&app, "agent_a", env.activity_id)
            .await
            .recording
            .as_deref(),
        Some(env_link.as_str())
    );
    // A replay's link that cannot be kept is said, as for a new call.
    let r = stored(
        call(
            &app,
            &token,
            a_call("CA8", json!({"segment_link": "javascript:alert(1)"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(r.attributes_dropped.map(|d| d.invalid), Some(1));
    assert_eq!(
        view(&app, "agent_a", env.activity_id)
            .await
            .recording
            .as_deref(),
        Some(env_link.as_str()),
        "the kept link stays"
    );

    // Another origin: kept as an attribute, no player.
    let other = stored(
        call(
            &app,
            &token,
            a_call("CA3", json!({"segment_link": "https://evil.example/x.mp3"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let v = view(&app, "agent_a", other.activity_id).await;
    assert_eq!(v.recording, None);
    assert_eq!(
        v.conversation_attributes["segment_link"],
        "https://evil.example/x.mp3"
    );

    // Links that are no http(s) address, carry credentials or are too long: not kept.
    let long = format!("{REC}/{}", "a".repeat(3000));
    for (id, bad) in [
        ("CA4", "javascript:alert(1)".to_owned()),
        ("CA5", format!("https://user:secret@{}/r.mp3", &REC[8..])),
        ("CA6", long),
        ("CA7", "data:audio/mp3;base64,AAAA".to_owned()),
    ] {
        let r = stored(
            call(&app, &token, a_call(id, json!({"segment_link": bad}))).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(r.attributes_dropped.map(|d| d.invalid), Some(1), "{id}");
        let v = view(&app, "agent_a", r.activity_id).await;
        assert_eq!(v.recording, None);
        assert!(
            !v.conversation_attributes.contains_key("segment_link"),
            "{id}"
        );
    }

    // Team B's call with the same id is team B's: its own activity, unseen by team A.
    let token_b = integration(&app, "flex-b", app.team_b).await;
    let b = stored(
        call(&app, &token_b, a_call("CA1", json!({"segment_link": link}))).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(b.activity_id, first.activity_id);
    assert_eq!(
        view(&app, "agent_b", b.activity_id)
            .await
            .recording
            .as_deref(),
        Some(link.as_str())
    );
    let t = app.token("agent_a").await;
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/activities/{}", b.activity_id),
            Some(&t),
            None::<&()>,
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND).await;

    // The origin taken off the list: the player goes (the link stays).
    assert_eq!(set_origins(&app, json!([])).await.status(), StatusCode::OK);
    assert_eq!(
        view(&app, "agent_a", first.activity_id).await.recording,
        None
    );
}

#[tokio::test]
async fn bad_calls_and_bad_recording_origins_are_refused_and_store_nothing() {
    let app = TestApp::spawn().await;
    let token = integration(&app, "flex", app.team_a).await;
    let good = a_call("CA9", json!({}));
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("id", json!("  ")), Some("id")),
        (with("number", json!("")), Some("number")),
        (with("campaign", json!("c".repeat(201))), Some("campaign")),
        (with("direction", json!("sideways")), None),
        (with("at", json!("yesterday")), None),
        (with("duration_secs", json!(-5)), None),
        (with("surprise", json!(true)), None),
        (json!([]), None),
    ] {
        let res = call(&app, &token, body.clone()).await;
        assert!(res.status().is_client_error(), "{body}");
        let status = res.status();
        let e = expect_error(res, status).await;
        if let Some(f) = field {
            assert_eq!(e.error.field.as_deref(), Some(f), "{body}");
        }
    }
    let res = app
        .http
        .post(app.url("/api/v1/ingest/call"))
        .json(&good)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED).await;

    for bad in [
        json!(["https://rec.example.com/path"]),
        json!(["*"]),
        json!(["rec.example.com"]),
    ] {
        let e = expect_error(
            set_origins(&app, bad.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e.error.field.as_deref(), Some("recording_origins"), "{bad}");
    }
    let admin = app.token("admin").await;
    let s: CrmSettings = app.get_as("/api/v1/crm/settings", &admin).await;
    assert!(s.recording_origins.is_empty(), "nothing stored");
    let sup = app.token("super_a").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/crm/settings",
            Some(&sup),
            Some(&CrmSettings::default()),
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_link_for_a_call_the_desktop_placed_or_a_later_segment_plays_too() {
    let app = TestApp::spawn().await;
    assert_eq!(
        set_origins(&app, json!([REC])).await.status(),
        StatusCode::OK
    );
    let token = integration(&app, "flex", app.team_a).await;

    // The agent's own call (a `calls` row, no interaction): the platform later sends
    // its recording under the call's guid.
    let agent = app.token("agent_a").await;
    crate::status::start_call_for(&app, &agent, app.contact_a).await;
    let ended = crate::status::hang_up(&app, &agent).await;
    let activity = ended.activity_id.expect("the call's activity");
    let link = format!("{REC}/Recordings/{}.mp3", ended.guid);
    let r = stored(
        call(
            &app,
            &token,
            a_call(&ended.guid, json!({"segment_link": link})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(r.duplicate);
    assert_eq!(r.activity_id, activity);
    assert_eq!(
        view(&app, "agent_a", activity).await.recording.as_deref(),
        Some(link.as_str())
    );

    // A transfer: the second segment of the conversation brings the link.
    let mut first = a_call("SEG1", json!({"reason": "Baja"}));
    first["conversation_id"] = json!("conv-77");
    let one = stored(call(&app, &token, first).await, StatusCode::CREATED).await;
    let later = format!("{REC}/Recordings/SEG2.mp3");
    let mut second = a_call("SEG2", json!({"segment_link": later}));
    second["conversation_id"] = json!("conv-77");
    let two = stored(call(&app, &token, second).await, StatusCode::CREATED).await;
    assert!(two.grouped);
    assert_eq!(two.activity_id, one.activity_id, "one conversation");
    let v = view(&app, "agent_a", one.activity_id).await;
    assert_eq!(v.recording.as_deref(), Some(later.as_str()));
    assert_eq!(
        v.conversation_attributes["reason"], "Baja",
        "both segments' attributes"
    );
}

const UC_SECRET: &str = "uc-recordings-secret";

async fn finished(app: &TestApp, guid: &str, date: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/webhooks/ucontact"))
        .header("x-webhook-secret", UC_SECRET)
        .json(
            &json!({ "event": "FinishInteraction", "date": date, "guid": guid,
            "agent": "agent_a", "campaign": "Ventas->", "channel": "call",
            "callerid": "099000111", "duration": "60" }),
        )
        .send()
        .await
        .unwrap()
}

async fn set_template(app: &TestApp, user: &str, url: Value) -> reqwest::Response {
    let token = app.token(user).await;
    app.call(
        Method::PUT,
        "/api/v1/ucontact/recording",
        Some(&token),
        Some(&json!({ "url": url })),
    )
    .await
}

#[tokio::test]
async fn ucontact_calls_get_their_recording_from_the_admins_template() {
    let app = TestApp::spawn_with(agentdesk_server::config::ServeConfig {
        ucontact_webhook_secret: Some(agentdesk_server::config::Secret(UC_SECRET.into())),
        ucontact_time_zone: chrono_tz::America::Montevideo,
        ..Default::default()
    })
    .await;
    assert_eq!(
        set_origins(&app, json!([REC])).await.status(),
        StatusCode::OK
    );
    // Hostile templates are refused, naming the field; only admins set one.
    let long = format!("{REC}/{}{{guid}}", "a".repeat(1100));
    for bad in [
        format!("{REC}/recording.mp3"),
        "javascript:alert({guid})".to_owned(),
        "https://u:p@rec.example.com/{guid}".to_string(),
        format!("{REC}/{{guid}} .mp3"),
        format!("{REC}/{{guid}}\n.mp3"),
        format!("{REC}/{{foo}}/{{guid}}"),
        "ftp://rec.example.com/{guid}".to_owned(),
        "/{guid}.mp3".to_owned(),
        "https:rec.example.com/{guid}".to_owned(),
        "https://{guid}.rec.example.com/x.mp3".to_owned(),
        "https://rec.example.com:{dd}/{guid}".to_owned(),
        "https://réc.example.com/{guid}".to_owned(),
        long,
    ] {
        let body = expect_error(
            set_template(&app, "admin", json!(bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body.error.field.as_deref(), Some("url"), "{bad:?}");
    }
    for user in ["super_a", "agent_a"] {
        let res = set_template(&app, user, json!(format!("{REC}/{{guid}}"))).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user}");
    }
    let template = format!("{REC}/{{yyyy}}/{{mm}}/{{dd}}/{{guid}}.mp3");
    let res = set_template(&app, "admin", json!(template)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let shown: agentdesk_protocol::ucontact::UcontactSettings = res.json().await.unwrap();
    assert_eq!(shown.recording_url.as_deref(), Some(template.as_str()));

    // A call uContact finished at 00:00:30 local on 2 March started on 1 March (local):
    // its day is uContact's; a hostile guid is one path segment.
    let res = finished(&app, "1772.5/../x?y", "2026-03-02 00:00:30").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r: agentdesk_protocol::WebhookResult = res.json().await.unwrap();
    let v = view(&app, "agent_a", r.activity_id.unwrap()).await;
    let expected = format!("{REC}/2026/03/01/1772.5%2F..%2Fx%3Fy.mp3");
    assert_eq!(v.recording.as_deref(), Some(expected.as_str()));
    assert_eq!(v.conversation_attributes["campaign"], "Ventas->");

    // A call the desktop placed: the webhook finds it by its guid and adds the link.
    let admin = app.token("admin").await;
    let campaign = json!({"name": "Ventas->", "require_disposition": false, "dispositions": []});
    let res = app
        .call(
            Method::PUT,
            "/api/v1/campaigns/Ventas-%3E",
            Some(&admin),
            Some(&campaign),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let agent = app.token("agent_a").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/calls",
            Some(&agent),
            Some(&json!({ "contact_id": app.contact_a, "call": {
                "destination": "099000111", "campaign": "Ventas->", "guid": "desk-guid-1" } })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let call: agentdesk_protocol::CallInfo = res.json().await.unwrap();
    let res = finished(&app, "desk-guid-1", "2026-03-03 10:00:00").await;
    assert_eq!(res.status(), StatusCode::OK, "a call the desktop knew");
    let v = view(&app, "agent_a", call.activity_id.unwrap()).await;
    assert_eq!(
        v.recording.as_deref(),
        Some(format!("{REC}/2026/03/03/desk-guid-1.mp3").as_str())
    );

    // No template: no link for the next call.
    assert_eq!(
        set_template(&app, "admin", json!("")).await.status(),
        StatusCode::OK
    );
    let res = finished(&app, "plain-1", "2026-03-04 10:00:00").await;
    let r: agentdesk_protocol::WebhookResult = res.json().await.unwrap();
    let v = view(&app, "agent_a", r.activity_id.unwrap()).await;
    assert_eq!(v.recording, None);
    assert!(!v.conversation_attributes.contains_key("segment_link"));
}
