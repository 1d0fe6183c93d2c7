//! A contact's analytics (`/reports/contacts/{id}`): counted by hand from a month of
//! activities, local weeks and months, notes left out, and only for who may open the
//! contact.

use agentdesk_protocol::report::ContactAnalytics;
use agentdesk_protocol::{ActivityDetail, ActivityKind, Direction};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};

use crate::support::{TestApp, expect_error, sms};

#[tokio::test]
async fn a_contacts_analytics_match_the_hand_count_for_who_may_see_it() {
    let app = TestApp::spawn().await;
    let (t, u) = (app.team_a, app.users["agent_a"]);
    // A contact with no other history: a reply any time later answers a message.
    let c = crate::reports_team::fresh_contact(&app, t).await;
    let at = |d, h, m| Utc.with_ymd_and_hms(2025, 6, d, h, m, 0).unwrap();
    let inbound = |when, text: &str| {
        let mut a = sms(t, c, u, when, text);
        a.detail = ActivityDetail::Sms {
            direction: Direction::Inbound,
            text: text.into(),
        };
        a
    };
    let mut call = sms(t, c, u, at(11, 9, 0), "call");
    call.detail = ActivityDetail::Call {
        direction: Direction::Outbound,
        number: "+59899000000".into(),
        campaign: "Ventas->".into(),
        duration_secs: 60,
        disposition: None,
        outcome: None,
    };
    let mut note = sms(t, c, u, at(12, 9, 0), "note");
    note.detail = ActivityDetail::Note {
        text: "a note is not an interaction".into(),
    };
    let acts = vec![
        inbound(at(2, 10, 0), "hola"),
        sms(t, c, u, at(2, 10, 30), "reply"),
        inbound(at(10, 8, 0), "again"),
        inbound(at(10, 9, 0), "and again"),
        sms(t, c, u, at(10, 12, 0), "reply two"),
        inbound(at(30, 23, 30), "late"),
        call,
        note,
    ];
    app.store.insert_activities(&acts, false).await.unwrap();
    let path = format!("/api/v1/reports/contacts/{c}?from=2025-06-01&to=2025-07-31&time_zone=UTC");
    let agent = app.token("agent_a").await;
    let a: ContactAnalytics = app.get_as(&path, &agent).await;
    assert_eq!((a.total, a.inbound, a.outbound), (7, 4, 3));
    let mix: Vec<(ActivityKind, u64)> = a.channels.iter().map(|x| (x.kind, x.count)).collect();
    assert_eq!(mix, [(ActivityKind::Sms, 6), (ActivityKind::Call, 1)]);
    // 30 min; 4 h and 3 h; the last one unanswered.
    let r = &a.first_response;
    assert_eq!((r.answered, r.unanswered), (3, 1));
    assert_eq!((r.median, r.p90), (Some(3 * 3600), Some(4 * 3600)));
    assert_eq!(a.last_contact, Some(at(30, 23, 30)));
    let months: Vec<(String, u64)> = a
        .months
        .iter()
        .map(|m| (m.start.date_naive().to_string(), m.count))
        .collect();
    assert_eq!(months, [("2025-06-01".to_string(), 7)]);
    // 23:30 UTC on 30 June is already July in Tokyo.
    let tokyo: ContactAnalytics = app
        .get_as(
            &path.replace("time_zone=UTC", "time_zone=Asia/Tokyo"),
            &agent,
        )
        .await;
    let months: Vec<(String, u64)> = tokyo
        .months
        .iter()
        .map(|m| (m.start.date_naive().to_string(), m.count))
        .collect();
    assert_eq!(
        months,
        [("2025-06-01".to_string(), 6), ("2025-07-01".to_string(), 1)]
    );
    // Team B's agent: as for a contact that does not exist.
    let b = app.token("agent_b").await;
    for id in [c, 987_654_321] {
        let res = app
            .call(
                Method::GET,
                &format!("/api/v1/reports/contacts/{id}"),
                Some(&b),
                None::<&()>,
            )
            .await;
        expect_error(res, StatusCode::NOT_FOUND).await;
    }
    // A range over a year is refused, naming the field.
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/reports/contacts/{c}?from=2024-01-01&to=2025-07-31"),
            Some(&agent),
            None::<&()>,
        )
        .await;
    let e = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.error.field.as_deref(), Some("to"));
}
