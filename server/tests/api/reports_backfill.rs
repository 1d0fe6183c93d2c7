//! The team analytics' migration backfill (SQLite `0027`, PostgreSQL `0028`: the facts of
//! the activities already on file when the tables were made) against the write path:
//! for the same activities of two teams — every channel and direction, e-mail drafts,
//! failed and queued ones, notes, replies before and after what they answer, deletions —
//! the migration's statements rebuild exactly the rows the writes kept.

use agentdesk_protocol::{ActivityDetail, Direction, EmailStatus};
use chrono::{Duration, TimeZone, Utc};
use reqwest::Method;

use crate::reports_team::{act, fresh_contact};
use crate::support::{TestApp, exec_sql};

/// The analytics' rows, as text in a fixed order (the same on both backends).
async fn rows(db_url: &str) -> Vec<String> {
    use sqlx::Connection;
    const FACTS: &str = "SELECT CAST(activity_id AS BIGINT), CAST(team_id AS BIGINT), \
        CAST(contact_id AS BIGINT), kind, CAST(inbound AS BIGINT), CAST(at AS BIGINT), \
        CAST(answered_at AS BIGINT) FROM interaction_facts ORDER BY activity_id";
    const VOLUME: &str = "SELECT CAST(team_id AS BIGINT), CAST(bucket AS BIGINT), kind, \
        CAST(inbound AS BIGINT), CAST(outbound AS BIGINT) FROM report_activity \
        ORDER BY team_id, bucket, kind";
    type Fact = (i64, i64, i64, String, i64, i64, Option<i64>);
    type Volume = (i64, i64, String, i64, i64);
    let (facts, volume): (Vec<Fact>, Vec<Volume>) = if db_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db_url).await.unwrap();
        (
            sqlx::query_as(FACTS).fetch_all(&mut c).await.unwrap(),
            sqlx::query_as(VOLUME).fetch_all(&mut c).await.unwrap(),
        )
    } else {
        let mut c = sqlx::PgConnection::connect(db_url).await.unwrap();
        (
            sqlx::query_as(FACTS).fetch_all(&mut c).await.unwrap(),
            sqlx::query_as(VOLUME).fetch_all(&mut c).await.unwrap(),
        )
    };
    let volume = volume
        .into_iter()
        .filter(|(_, _, _, i, o)| i + o > 0)
        .map(|v| format!("volume {v:?}"));
    facts
        .into_iter()
        .map(|f| format!("fact {f:?}"))
        .chain(volume)
        .collect()
}

/// The backfill part of the migration that made the tables, for `db_url`'s backend.
fn backfill(db_url: &str) -> String {
    let path = if db_url.starts_with("sqlite:") {
        "migrations/sqlite/0027_team_analytics.sql"
    } else {
        "migrations/postgres/0028_team_analytics.sql"
    };
    let sql = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap();
    let start = sql
        .find("-- What is already there.")
        .expect("the migration's backfill");
    sql[start..].to_owned()
}

#[tokio::test]
async fn the_migrations_backfill_equals_what_the_writes_kept() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.team_a, app.team_b);
    let (ca, cb) = (fresh_contact(&app, a).await, fresh_contact(&app, b).await);
    let user = app.users["admin"];
    let t0 = Utc.with_ymd_and_hms(2026, 2, 27, 23, 50, 0).unwrap();
    let mut acts = Vec::new();
    for (i, k) in [
        "sms-in",
        "sms-out",
        "email-in",
        "email-out",
        "call-in",
        "call-out",
        "chat",
        "note",
        "sms-in",
        "email-in",
        "sms-out",
    ]
    .iter()
    .enumerate()
    {
        let when = t0 + Duration::minutes(7 * i as i64);
        acts.push(act(a, ca, user, when, k));
        // Team B on its own contact, and a reply of its own before team A's message.
        acts.push(act(b, cb, user, when - Duration::minutes(3), k));
    }
    // E-mails that were never sent, one waiting to be, and a failed one.
    for (n, status) in [EmailStatus::Draft, EmailStatus::Queued, EmailStatus::Failed]
        .into_iter()
        .enumerate()
    {
        let mut e = act(a, ca, user, t0 + Duration::hours(2 + n as i64), "email-out");
        e.detail = ActivityDetail::Email {
            direction: Direction::Outbound,
            status: Some(status),
            content: None,
        };
        acts.push(e);
    }
    let (ids, _) = app.store.insert_activities(&acts, false).await.unwrap();
    // A reply written after what it answers, and two deletions (a reply among them).
    let late = vec![act(a, ca, user, t0 + Duration::hours(5), "email-out")];
    app.store.insert_activities(&late, false).await.unwrap();
    let admin = app.token("admin").await;
    for id in [ids[3], ids[6]] {
        let res = app
            .call(
                Method::DELETE,
                &format!("/api/v1/activities/{id}"),
                Some(&admin),
                None::<&()>,
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
    }

    let kept = rows(&app.db_url).await;
    assert!(
        kept.iter().any(|r| r.starts_with("fact")) && kept.iter().any(|r| r.starts_with("volume"))
    );
    let backfill = backfill(&app.db_url);
    exec_sql(
        &app.db_url,
        &[
            "DELETE FROM interaction_facts",
            "DELETE FROM report_activity",
            &backfill,
        ],
    )
    .await;
    assert_eq!(rows(&app.db_url).await, kept);
}
