//! Records as an external system may really send them: NUL bytes (which PostgreSQL's
//! text cannot hold), ids that are not ids, the same id twice in one answer, values that
//! look like placeholders or markup, very long values. Every class in one answer: the
//! poll stores what it can, names what it cannot, and never fails whole. And a database
//! that refuses a poll's outcome: nothing sent, retried at the next look.

use agentdesk_protocol::followup::Notifications;
use chrono::Utc;
use serde_json::json;

use crate::followups::{app, create, engine, poll, spec, stand_in, ticket};
use crate::support::exec_sql;

#[tokio::test]
async fn a_hostile_answer_is_polled_record_by_record() {
    let app = app().await;
    let (system, base) = stand_in().await;
    let admin = app.token("admin").await;
    let f = create(&app, &admin, &spec(&base, app.team_a)).await;
    let long = "é".repeat(20_000);
    let with = |number: serde_json::Value, approver: &str, phone: &str| json!({ "number": number, "approver": { "login": approver }, "customer": { "phone": phone } });
    system.tickets(json!([
        with(json!("T-\u{0}1"), "agent_a\u{0}", "099\u{0}000111"),
        with(json!(true), "agent_a", ""),
        with(json!({ "id": 1 }), "agent_a", ""),
        with(json!([1]), "agent_a", ""),
        with(json!(null), "agent_a", ""),
        with(json!("   "), "agent_a", ""),
        with(json!("T-2"), "agent_a", ""),
        with(json!("T-2"), "agent_a", ""),
        with(json!(3.5), "agent_a", ""),
        with(json!("{{approver}}<script>x</script>"), "agent_a", ""),
        with(json!(long.clone()), "agent_a", ""),
        json!("not an object"),
    ]));
    let e = engine(&app, 1 << 22);
    let run = poll(&e, f.id, Utc::now()).await.expect("polled");
    assert_eq!(run.found, 12);
    // Without a usable id: true, an object, an array, null, blank, and the string.
    let no_id = run
        .errors
        .iter()
        .filter(|e| e.contains("no usable id"))
        .count();
    assert_eq!(no_id, 6, "{:?}", run.errors);
    // NUL removed, T-2 once, 3.5, the placeholder-looking id, the long one.
    assert_eq!(run.notified, 5, "{:?}", run.errors);

    let inbox: Notifications = app
        .get_as("/api/v1/notifications", &app.token("agent_a").await)
        .await;
    let mut records: Vec<String> = inbox.items.iter().map(|n| n.record.clone()).collect();
    records.sort();
    assert!(records.contains(&"T-1".to_string()), "{records:?}");
    assert_eq!(records.iter().filter(|r| *r == "T-2").count(), 1);
    assert!(records.contains(&"3.5".to_string()));
    // A value is text, never a template: `{{approver}}` is not filled from the record.
    let odd = inbox
        .items
        .iter()
        .find(|n| n.record.starts_with("{{"))
        .expect("the odd id");
    assert_eq!(
        odd.text,
        "Ticket {{approver}}<script>x</script> waits for your approval"
    );
    assert!(inbox.items.iter().all(|n| !n.text.contains('\u{0}')));
    assert!(inbox.items.iter().any(|n| n.record == long));

    // The same answer again: nothing new, nothing sent twice.
    let run = poll(&e, f.id, Utc::now() + chrono::Duration::minutes(10))
        .await
        .expect("polled");
    assert_eq!((run.new, run.notified), (0, 0), "{:?}", run.errors);
}

#[tokio::test]
async fn a_poll_whose_outcome_cannot_be_written_is_retried_at_the_next_look() {
    let app = app().await;
    let (system, base) = stand_in().await;
    let admin = app.token("admin").await;
    let f = create(&app, &admin, &spec(&base, app.team_a)).await;
    system.tickets(json!([ticket("T-1", "agent_a")]));
    // The database refuses runs while `refuse_runs` holds a row.
    let sqlite = app.db_url.starts_with("sqlite:");
    let setup: &[&str] = if sqlite {
        &[
            "CREATE TABLE refuse_runs (x INTEGER)",
            "INSERT INTO refuse_runs VALUES (1)",
            "CREATE TRIGGER refuse BEFORE INSERT ON followup_runs \
             WHEN EXISTS (SELECT 1 FROM refuse_runs) BEGIN SELECT RAISE(ABORT, 'full'); END",
        ]
    } else {
        &[
            "CREATE TABLE refuse_runs (x INTEGER)",
            "INSERT INTO refuse_runs VALUES (1)",
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN \
               IF EXISTS (SELECT 1 FROM refuse_runs) THEN RAISE EXCEPTION 'full'; END IF; \
               RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE INSERT ON followup_runs FOR EACH ROW \
             EXECUTE FUNCTION refuse()",
        ]
    };
    exec_sql(&app.db_url, setup).await;
    let e = engine(&app, 1 << 20);
    let t0 = Utc::now();
    assert!(poll(&e, f.id, t0).await.is_none(), "the run failed");
    let inbox: Notifications = app
        .get_as("/api/v1/notifications", &app.token("agent_a").await)
        .await;
    assert!(inbox.items.is_empty(), "nothing written, nothing sent");

    // The database recovers: the next look (a minute on, not the lease's ten) polls it.
    exec_sql(&app.db_url, &["DELETE FROM refuse_runs"]).await;
    let run = poll(&e, f.id, t0 + chrono::Duration::minutes(1))
        .await
        .expect("retried at once");
    assert_eq!((run.new, run.notified), (1, 1), "{:?}", run.errors);
}
