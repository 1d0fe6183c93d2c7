//! The contact timeline: paging at depth, kinds, search, scoping, delete, notes and the
//! real-time stream.

use std::collections::BTreeMap;
use std::time::Duration;

use agentdesk_protocol::{
    Activity, ActivityDetail, ActivityKind, ActivityPage, ActivityView, AuditRecord, Direction,
    EmailContent, SEARCH_MATCH_LIMIT, StreamTicket,
};
use agentdesk_server::store::{NewActivity, NewContact, NewEmail};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{SseReader, TestApp, expect_error, sms};

const NONE: Option<&()> = None;

fn path(contact: i64, query: &str) -> String {
    format!("/api/v1/contacts/{contact}/activities?{query}")
}

/// A contact of team A with `n` activities of rotating kinds at pseudo-random times,
/// many of them tied to the same instant; returns the contact id.
async fn deep_contact(app: &TestApp, n: usize) -> i64 {
    let contact = app
        .store
        .create_contact(NewContact {
            team_id: app.team_a,
            name: "Deep History".into(),
            phone: None,
            email: None,
            external_id: None,
            attributes: BTreeMap::new(),
            created_at: agentdesk_server::clock::now(),
        })
        .await
        .unwrap();
    let base = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let acts: Vec<NewActivity> = (0..n)
        .map(|i| {
            // Minutes in a small range: lots of ties on occurred_at.
            let at = base + chrono::Duration::minutes(rng.i64(0..(n as i64 / 3).max(1)));
            let detail = match i % 3 {
                0 => ActivityDetail::Sms {
                    direction: Direction::Inbound,
                    text: format!("mensaje {i}"),
                },
                1 => ActivityDetail::Note {
                    text: format!("nota número {i}"),
                },
                _ => ActivityDetail::Call {
                    direction: Direction::Outbound,
                    number: "+59899000111".into(),
                    campaign: "Ventas".into(),
                    duration_secs: 30,
                    disposition: None,
                    outcome: None,
                },
            };
            NewActivity {
                team_id: app.team_a,
                contact_id: contact,
                user_id: None,
                model_id: format!("m-{i}"),
                detail,
                email: None,
                occurred_at: at,
            }
        })
        .collect();
    app.store.insert_activities(&acts, false).await.unwrap();
    contact
}

fn keys(p: &ActivityPage) -> Vec<(i64, i64)> {
    p.items
        .iter()
        .map(|a| (a.occurred_at.timestamp_millis(), a.id))
        .collect()
}

#[tokio::test]
async fn ten_per_page_newest_first_ties_by_id_last_page_partial_and_past_the_end_is_the_last() {
    let app = TestApp::spawn().await;
    let token = app.token("super_a").await;
    let p1: ActivityPage = app.get_as(&path(app.contact_a, ""), &token).await;
    assert_eq!((p1.total, p1.page, p1.pages, p1.page_size), (15, 1, 2, 10));
    assert_eq!(p1.items.len(), 10);
    let p2: ActivityPage = app.get_as(&path(app.contact_a, "page=2"), &token).await;
    assert_eq!(p2.items.len(), 5, "the last page holds the rest");
    let all: Vec<(i64, i64)> = keys(&p1).into_iter().chain(keys(&p2)).collect();
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(all, sorted, "newest first, ties by id descending");
    // The two activities at the same instant: the later id first.
    let tie: Vec<&Activity> = p1
        .items
        .iter()
        .filter(
            |a| matches!(&a.detail, ActivityDetail::Sms { text, .. } if text.starts_with("tie")),
        )
        .collect();
    assert_eq!(tie.len(), 2);
    assert!(tie[0].id > tie[1].id);

    // Past the end: the last page, and the answer says so.
    let p9: ActivityPage = app.get_as(&path(app.contact_a, "page=9"), &token).await;
    assert_eq!(p9.page, 2);
    assert_eq!(keys(&p9), keys(&p2));
    let body = expect_error(
        app.call(
            Method::GET,
            &path(app.contact_a, "page=0"),
            Some(&token),
            NONE,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("page"));
    expect_error(
        app.call(
            Method::GET,
            &path(app.contact_a, "page=x"),
            Some(&token),
            NONE,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn every_way_of_reaching_a_page_of_a_deep_history_gives_the_same_page() {
    let app = TestApp::spawn().await;
    let contact = deep_contact(&app, 2_345).await;
    let token = app.token("super_a").await;
    // Walk forward with anchors through every page, collecting the whole history.
    let mut all = Vec::new();
    let first: ActivityPage = app.get_as(&path(contact, ""), &token).await;
    assert_eq!((first.total, first.pages), (2_345, 235));
    let mut page = first.clone();
    let mut by_page = vec![keys(&first)];
    all.extend(keys(&first));
    while page.page < page.pages {
        let anchor = page.anchor.clone().unwrap();
        let next: ActivityPage = app
            .get_as(
                &path(contact, &format!("page={}&anchor={anchor}", page.page + 1)),
                &token,
            )
            .await;
        assert_eq!(next.page, page.page + 1);
        all.extend(keys(&next));
        by_page.push(keys(&next));
        page = next;
    }
    assert_eq!(all.len(), 2_345, "every activity exactly once");
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(all, sorted, "strictly newest first, no duplicates");
    assert_eq!(by_page.last().unwrap().len(), 5, "partial last page");

    // Direct page numbers (walking from either end) agree, near both ends and mid-way.
    for n in [1u32, 2, 100, 117, 118, 200, 234, 235] {
        let p: ActivityPage = app
            .get_as(&path(contact, &format!("page={n}")), &token)
            .await;
        assert_eq!(keys(&p), by_page[n as usize - 1], "page {n} by number");
    }
    // Backwards from an anchor, and a jump of a few pages from it.
    let p150: ActivityPage = app.get_as(&path(contact, "page=150"), &token).await;
    let a = p150.anchor.unwrap();
    for n in [149u32, 148, 145, 153] {
        let p: ActivityPage = app
            .get_as(&path(contact, &format!("page={n}&anchor={a}")), &token)
            .await;
        assert_eq!(
            keys(&p),
            by_page[n as usize - 1],
            "page {n} from the anchor of 150"
        );
    }
    // An anchor from another filter is ignored, not trusted.
    let calls: ActivityPage = app
        .get_as(&path(contact, "kinds=call&page=3"), &token)
        .await;
    let p: ActivityPage = app
        .get_as(
            &path(contact, &format!("page=7&anchor={}", calls.anchor.unwrap())),
            &token,
        )
        .await;
    assert_eq!(keys(&p), by_page[6]);
    // Garbage anchors are ignored too.
    let p: ActivityPage = app
        .get_as(&path(contact, "page=7&anchor=%21%21"), &token)
        .await;
    assert_eq!(keys(&p), by_page[6]);
}

/// Every page of a search, reached by walking with anchors.
async fn all_search_pages(
    app: &TestApp,
    contact: i64,
    token: &str,
    q: &str,
) -> Vec<Vec<(i64, i64)>> {
    let mut page: ActivityPage = app.get_as(&path(contact, q), token).await;
    let mut by_page = vec![keys(&page)];
    while page.page < page.pages {
        let anchor = page.anchor.clone().unwrap();
        page = app
            .get_as(
                &path(
                    contact,
                    &format!("{q}&page={}&anchor={anchor}", page.page + 1),
                ),
                token,
            )
            .await;
        by_page.push(keys(&page));
    }
    by_page
}

#[tokio::test]
async fn a_deep_search_pages_in_timeline_order_however_a_page_is_reached() {
    let app = TestApp::spawn().await;
    let contact = deep_contact(&app, 2_345).await;
    let token = app.token("super_a").await;
    // Every SMS says "mensaje …" and nothing else does: the search's pages must be the
    // SMS filter's pages exactly, ties on the same instant broken by id the same way.
    let sms_pages = all_search_pages(&app, contact, &token, "kinds=sms").await;
    let search_pages = all_search_pages(&app, contact, &token, "q=mensa").await;
    assert_eq!(sms_pages.len(), 79);
    assert_eq!(search_pages, sms_pages);
    let first: ActivityPage = app.get_as(&path(contact, "q=mensa"), &token).await;
    assert_eq!((first.total, first.pages), (782, 79));
    // Page numbers alone walk from either end and agree.
    for n in [1u32, 2, 39, 40, 41, 78, 79, 500] {
        let p: ActivityPage = app
            .get_as(&path(contact, &format!("q=mensa&page={n}")), &token)
            .await;
        let want = n.min(79);
        assert_eq!(p.page, want, "page {n} past the end is the last");
        assert_eq!(keys(&p), sms_pages[want as usize - 1], "search page {n}");
    }
    // Backwards and a jump from an anchor.
    let p50: ActivityPage = app.get_as(&path(contact, "q=mensa&page=50"), &token).await;
    let a = p50.anchor.unwrap();
    for n in [49u32, 45, 52] {
        let p: ActivityPage = app
            .get_as(
                &path(contact, &format!("q=mensa&page={n}&anchor={a}")),
                &token,
            )
            .await;
        assert_eq!(
            keys(&p),
            sms_pages[n as usize - 1],
            "page {n} from the anchor of 50"
        );
    }
    // Numbers as words: "1" stands for more terms than are expanded (the prefix path),
    // "mensaje 23" for a few (the exact-terms path); both count exactly. SMS say
    // "mensaje {i}" (i % 3 == 0), notes "nota número {i}" (i % 3 == 1).
    let expect = |prefix: &str, kinds: &[usize]| {
        (0..2_345usize)
            .filter(|i| kinds.contains(&(i % 3)) && i.to_string().starts_with(prefix))
            .count() as u64
    };
    let ones: ActivityPage = app.get_as(&path(contact, "q=1"), &token).await;
    assert_eq!(ones.total, expect("1", &[0, 1]));
    let some: ActivityPage = app.get_as(&path(contact, "q=mensaje%2023"), &token).await;
    assert_eq!(some.total, expect("23", &[0]));
    assert!(some.total > 10, "more than one page");
    // Search inside a kind filter, and a kind without the word.
    let calls: ActivityPage = app
        .get_as(&path(contact, "q=mensa&kinds=sms,call"), &token)
        .await;
    assert_eq!(calls.total, 782);
    let none: ActivityPage = app
        .get_as(&path(contact, "q=mensa&kinds=call"), &token)
        .await;
    assert_eq!((none.total, none.items.len(), none.pages), (0, 0, 1));
}

#[tokio::test]
async fn a_search_matching_more_than_the_limit_pages_through_the_newest_limit() {
    let app = TestApp::spawn().await;
    // 3,012 activities: 1,004 SMS, all saying "mensaje …".
    let contact = deep_contact(&app, 3_012).await;
    let token = app.token("super_a").await;
    let sms_pages = all_search_pages(&app, contact, &token, "kinds=sms").await;
    let sms: ActivityPage = app.get_as(&path(contact, "kinds=sms"), &token).await;
    assert_eq!((sms.total, sms.capped, sms.pages), (1_004, false, 101));
    assert_eq!(sms_pages.len(), 101, "a filter without words has no limit");

    let first: ActivityPage = app.get_as(&path(contact, "q=mensa"), &token).await;
    assert_eq!(
        (first.total, first.capped, first.pages),
        (SEARCH_MATCH_LIMIT, true, 100)
    );
    // Page by page (anchors), the newest 1,000 matches in timeline order.
    let search_pages = all_search_pages(&app, contact, &token, "q=mensa").await;
    assert_eq!(search_pages[..], sms_pages[..100]);
    // By number: the last page is the 100th of the newest, also past the end (the
    // oldest matches are not walked to from the other end).
    for n in [99u32, 100, 101, 500] {
        let p: ActivityPage = app
            .get_as(&path(contact, &format!("q=mensa&page={n}")), &token)
            .await;
        let want = n.min(100);
        assert_eq!((p.page, p.capped), (want, true), "page {n}");
        assert_eq!(keys(&p), sms_pages[want as usize - 1], "search page {n}");
    }
    // Up from an anchor near the end.
    let p100: ActivityPage = app.get_as(&path(contact, "q=mensa&page=100"), &token).await;
    let a = p100.anchor.unwrap();
    let p97: ActivityPage = app
        .get_as(
            &path(contact, &format!("q=mensa&page=97&anchor={a}")),
            &token,
        )
        .await;
    assert_eq!(keys(&p97), sms_pages[96]);
    // Fewer matches than the limit: counted exactly.
    let some: ActivityPage = app.get_as(&path(contact, "q=mensaje%201"), &token).await;
    let expect = (0..3_012usize)
        .filter(|i| i % 3 == 0 && i.to_string().starts_with('1'))
        .count() as u64;
    assert_eq!((some.total, some.capped), (expect, false));
}

#[tokio::test]
async fn maintenance_merges_a_fragmented_search_index_and_searches_stay_the_same() {
    let app = TestApp::spawn().await;
    let contact = deep_contact(&app, 300).await;
    // Many small writes: one index segment each until the index merges them.
    let note = |i: usize| NewActivity {
        team_id: app.team_a,
        contact_id: contact,
        user_id: None,
        model_id: format!("note-{i}"),
        occurred_at: agentdesk_server::clock::now(),
        email: None,
        detail: ActivityDetail::Note {
            text: format!("nota suelta {i}"),
        },
    };
    for i in 0..40 {
        app.store
            .insert_activities(&[note(i)], false)
            .await
            .unwrap();
    }
    let token = app.token("super_a").await;
    let before = all_search_pages(&app, contact, &token, "q=nota").await;
    assert_eq!(before.iter().map(Vec::len).sum::<usize>(), 140);
    let pool = sqlx::SqlitePool::connect(&app.db_url).await;
    let segments = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT segid) FROM timeline_terms_idx")
            .fetch_one(pool.as_ref().unwrap())
            .await
            .unwrap();
        n
    };
    let sqlite = app.db_url.starts_with("sqlite:");
    let fragmented = if sqlite { segments().await } else { 0 };
    if sqlite {
        assert!(fragmented > 2, "the writes left several segments");
    }
    let mut steps = 0;
    loop {
        let n = app.store.maintain(Duration::from_secs(5)).await.unwrap();
        if n == 0 {
            break;
        }
        steps += n;
    }
    if sqlite {
        assert!(steps > 0, "maintenance merged");
        assert!(segments().await < fragmented, "fewer segments than before");
    }
    let after = all_search_pages(&app, contact, &token, "q=nota").await;
    assert_eq!(after, before);
    // Writes between short rounds of maintenance (as on a live server): nothing is lost
    // and every round ends.
    for i in 40..50 {
        app.store
            .insert_activities(&[note(i)], false)
            .await
            .unwrap();
        app.store.maintain(Duration::from_millis(20)).await.unwrap();
    }
    let last = all_search_pages(&app, contact, &token, "q=suelta").await;
    assert_eq!(last.iter().map(Vec::len).sum::<usize>(), 50);
}

#[tokio::test]
async fn activities_written_before_the_search_index_are_indexed_on_migration() {
    let app = TestApp::spawn().await;
    let contact = deep_contact(&app, 300).await;
    let token = app.token("super_a").await;
    let before = all_search_pages(&app, contact, &token, "q=nota").await;
    assert_eq!(before.iter().map(Vec::len).sum::<usize>(), 100);
    // The state an older database is in: no keys and an empty index (SQLite), entries
    // without terms (PostgreSQL).
    if app.db_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.db_url).await.unwrap();
        sqlx::query("UPDATE activities SET search_key = NULL")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM timeline_terms")
            .execute(&pool)
            .await
            .unwrap();
    } else {
        let pool = sqlx::PgPool::connect(&app.db_url).await.unwrap();
        sqlx::query("UPDATE activity_search SET terms = NULL")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let gone: ActivityPage = app.get_as(&path(contact, "q=nota"), &token).await;
    assert_eq!(gone.total, 0);
    app.store.migrate().await.unwrap();
    let after = all_search_pages(&app, contact, &token, "q=nota").await;
    assert_eq!(after, before);
}

#[tokio::test]
async fn kinds_filter_counts_and_pages() {
    let app = TestApp::spawn().await;
    let contact = deep_contact(&app, 300).await;
    let token = app.token("super_a").await;
    let all: ActivityPage = app.get_as(&path(contact, ""), &token).await;
    let counts: BTreeMap<ActivityKind, u64> =
        all.kind_counts.iter().map(|k| (k.kind, k.count)).collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            (ActivityKind::Call, 100),
            (ActivityKind::Sms, 100),
            (ActivityKind::Note, 100)
        ])
    );
    let calls: ActivityPage = app
        .get_as(&path(contact, "kinds=call&page=10"), &token)
        .await;
    assert_eq!((calls.total, calls.pages, calls.page), (100, 10, 10));
    assert_eq!(calls.items.len(), 10);
    assert!(calls.items.iter().all(|a| a.kind == ActivityKind::Call));
    let two: ActivityPage = app.get_as(&path(contact, "kinds=call,note"), &token).await;
    assert_eq!(two.total, 200);
    assert!(two.items.iter().all(|a| a.kind != ActivityKind::Sms));
    // Chip counts are of the whole history whatever the filter.
    assert_eq!(two.kind_counts, all.kind_counts);
    let body = expect_error(
        app.call(
            Method::GET,
            &path(contact, "kinds=call,fax"),
            Some(&token),
            NONE,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body.error.field.as_deref(), Some("kinds"));
}

#[tokio::test]
async fn search_matches_word_prefixes_without_accents_within_one_contact_and_never_fails() {
    let app = TestApp::spawn().await;
    let contact = deep_contact(&app, 300).await;
    let token = app.token("super_a").await;
    // "numero" finds "número" (accents folded), as a prefix: "num".
    let p: ActivityPage = app.get_as(&path(contact, "q=NUM"), &token).await;
    assert_eq!(p.total, 100);
    assert!(p.items.iter().all(|a| a.kind == ActivityKind::Note));
    // Every word must match: note 1 is "nota número 1".
    let p: ActivityPage = app.get_as(&path(contact, "q=numero%2012"), &token).await;
    assert!(p.total >= 1);
    assert!(p.items.iter().all(|a| matches!(&a.detail,
        ActivityDetail::Note { text } if text.split(' ').any(|w| w.starts_with("12")))));
    // Search and kinds together.
    let p: ActivityPage = app
        .get_as(&path(contact, "q=mensaje&kinds=note"), &token)
        .await;
    assert_eq!(p.total, 0);
    assert_eq!((p.page, p.pages), (1, 1));
    // Another contact's words are not found here.
    let p: ActivityPage = app.get_as(&path(contact, "q=tie"), &token).await;
    assert_eq!(p.total, 0);
    // Query syntax is just text.
    for q in [
        "%22",
        "NEAR(a%20b)",
        "*",
        "a%20OR%20b",
        "-x",
        "%7B%7D%3A",
        "%27%3B%20DROP",
    ] {
        let res = app
            .call(
                Method::GET,
                &path(contact, &format!("q={q}")),
                Some(&token),
                NONE,
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "q={q}");
    }
    // Search pages like the timeline does.
    let p: ActivityPage = app
        .get_as(&path(contact, "q=mensaje&page=10"), &token)
        .await;
    assert_eq!((p.total, p.pages, p.page, p.items.len()), (100, 10, 10, 10));
}

#[tokio::test]
async fn email_content_is_searchable_only_with_the_email_permission() {
    let app = TestApp::spawn().await;
    app.store
        .insert_activities(
            &[NewActivity {
                team_id: app.team_a,
                contact_id: app.contact_a,
                user_id: None,
                model_id: "email-secret".into(),
                detail: ActivityDetail::Email {
                    direction: Direction::Inbound,
                    status: None,
                    content: Some(EmailContent {
                        subject: "Presupuesto".into(),
                        sender: "x@example.com".into(),
                        snippet: "…".into(),
                        attachments: Vec::new(),
                    }),
                },
                email: Some(NewEmail {
                    message_id: None,
                    subject: "Presupuesto confidencial".into(),
                    sender: "x@example.com".into(),
                    snippet: "…".into(),
                    body: "El monto es zanahoria".into(),
                    attachments: Vec::new(),
                }),
                occurred_at: agentdesk_server::clock::now(),
            }],
            false,
        )
        .await
        .unwrap();
    let mailer = app.token("mailer_a").await;
    let p: ActivityPage = app
        .get_as(&path(app.contact_a, "q=zanahoria"), &mailer)
        .await;
    assert_eq!(p.total, 1);
    let view: ActivityView = app
        .get_as(&format!("/api/v1/activities/{}", p.items[0].id), &mailer)
        .await;
    assert_eq!(view.email_body.as_deref(), Some("El monto es zanahoria"));
    // Without the permission the body cannot be found (nor read) by searching.
    let agent = app.token("agent_a").await;
    let p: ActivityPage = app
        .get_as(&path(app.contact_a, "q=zanahoria"), &agent)
        .await;
    assert_eq!(p.total, 0);
    let p: ActivityPage = app
        .get_as(&path(app.contact_a, "q=confidencial"), &agent)
        .await;
    assert_eq!(p.total, 0);
    let all: ActivityPage = app
        .get_as(&path(app.contact_a, "kinds=email"), &agent)
        .await;
    let email = &all.items[0];
    assert!(email.redacted);
    let view: ActivityView = app
        .get_as(&format!("/api/v1/activities/{}", email.id), &agent)
        .await;
    assert_eq!(view.email_body, None);
    assert!(view.activity.redacted);
}

#[tokio::test]
async fn another_teams_timeline_is_not_found_and_counts_only_cover_own_teams() {
    let app = TestApp::spawn().await;
    let b = app.token("agent_b").await;
    expect_error(
        app.call(Method::GET, &path(app.contact_a, ""), Some(&b), NONE)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    expect_error(
        app.call(Method::GET, &path(app.contact_a, "q=sms"), Some(&b), NONE)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // An activity of team B filed on team A's contact (a shared customer) is not shown
    // to team A, neither in pages nor in counts.
    app.store
        .insert_activities(
            &[sms(
                app.team_b,
                app.contact_a,
                app.users["agent_b"],
                agentdesk_server::clock::now(),
                "from b",
            )],
            false,
        )
        .await
        .unwrap();
    let a = app.token("agent_a").await;
    let p: ActivityPage = app.get_as(&path(app.contact_a, ""), &a).await;
    assert_eq!(p.total, 15);
    assert!(p.items.iter().all(|x| x.team_id == app.team_a));
    let admin = app.token("admin").await;
    let p: ActivityPage = app.get_as(&path(app.contact_a, ""), &admin).await;
    assert_eq!(p.total, 16);
}

#[tokio::test]
async fn deleting_is_for_allowed_roles_audited_and_keeps_counts_and_search_consistent() {
    let app = TestApp::spawn().await;
    let agent = app.token("agent_a").await;
    let sup = app.token("super_a").await;
    let before: ActivityPage = app.get_as(&path(app.contact_a, ""), &sup).await;
    let victim = before
        .items
        .iter()
        .find(|a| a.kind == ActivityKind::Sms)
        .unwrap()
        .clone();
    let url = format!("/api/v1/activities/{}", victim.id);
    expect_error(
        app.call(Method::DELETE, &url, Some(&agent), NONE).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = app.call(Method::DELETE, &url, Some(&sup), NONE).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let after: ActivityPage = app.get_as(&path(app.contact_a, ""), &sup).await;
    assert_eq!(after.total, before.total - 1);
    assert!(after.items.iter().all(|a| a.id != victim.id));
    let sms_before = before
        .kind_counts
        .iter()
        .find(|k| k.kind == ActivityKind::Sms)
        .unwrap();
    let sms_after = after
        .kind_counts
        .iter()
        .find(|k| k.kind == ActivityKind::Sms)
        .unwrap();
    assert_eq!(sms_after.count, sms_before.count - 1);
    let ActivityDetail::Sms { text, .. } = &victim.detail else {
        panic!("an SMS")
    };
    let q = text.split(' ').next_back().unwrap();
    let found: ActivityPage = app
        .get_as(&path(app.contact_a, &format!("q={q}")), &sup)
        .await;
    assert!(
        found.items.iter().all(|a| a.id != victim.id),
        "gone from search"
    );
    expect_error(
        app.call(Method::DELETE, &url, Some(&sup), NONE).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let contact: agentdesk_protocol::Contact = app
        .get_as(&format!("/api/v1/contacts/{}", app.contact_a), &sup)
        .await;
    assert_eq!(contact.activity_count, after.total);
    let admin = app.token("admin").await;
    let audit: Vec<AuditRecord> = app.get_as("/api/v1/audit", &admin).await;
    assert!(audit.iter().any(|r| r.action == "activity_deleted"
        && r.target.as_deref() == Some(&*format!("activity:{}", victim.id))
        && r.user_id == Some(app.users["super_a"])));
}

#[tokio::test]
async fn a_note_lands_on_page_one_by_its_author_and_empty_notes_are_refused() {
    let app = TestApp::spawn().await;
    let agent = app.token("agent_a").await;
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{}/notes", app.contact_a),
            Some(&agent),
            Some(&json!({ "text": "  Llamar el lunes  " })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let note: Activity = res.json().await.unwrap();
    assert_eq!(
        note.detail,
        ActivityDetail::Note {
            text: "Llamar el lunes".into()
        }
    );
    assert_eq!(note.user.unwrap().id, app.users["agent_a"]);
    let p: ActivityPage = app.get_as(&path(app.contact_a, ""), &agent).await;
    assert_eq!(p.items[0].id, note.id);
    assert_eq!(p.total, 16);
    for body in [
        json!({ "text": "   " }),
        json!({ "text": 5 }),
        json!({ "txt": "x" }),
    ] {
        let res = app
            .call(
                Method::POST,
                &format!("/api/v1/contacts/{}/notes", app.contact_a),
                Some(&agent),
                Some(&body),
            )
            .await;
        assert!(res.status().is_client_error(), "{body}");
        expect_error(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let b = app.token("agent_b").await;
    expect_error(
        app.call(
            Method::POST,
            &format!("/api/v1/contacts/{}/notes", app.contact_a),
            Some(&b),
            Some(&json!({ "text": "hola" })),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn note(app: &TestApp, token: &str, contact: i64, text: &str) -> Activity {
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{contact}/notes"),
            Some(token),
            Some(&json!({ "text": text })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_stream_delivers_new_activities_of_own_teams_and_resumes_after_last_event_id() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let b = app.token("agent_b").await;
    let mut stream_a = SseReader::new(
        app.call(Method::GET, "/api/v1/events", Some(&a), NONE)
            .await,
    );
    // Team B's agent opens a stream through a ticket, as browsers do.
    let ticket: StreamTicket = {
        let res = app
            .call(Method::POST, "/api/v1/stream-tickets", Some(&b), NONE)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    };
    let mut stream_b = SseReader::new(
        app.http
            .get(app.url(&format!("/api/v1/events?ticket={}", ticket.ticket)))
            .send()
            .await
            .unwrap(),
    );

    let first = note(&app, &a, app.contact_a, "uno").await;
    let (name, id1, data) = stream_a
        .next(Duration::from_secs(5))
        .await
        .expect("an event");
    assert_eq!(name, "activity.created");
    assert_eq!(data["contact_id"], app.contact_a);
    assert_eq!(data["activity_id"], first.id);
    assert_eq!(data["kind"], "note");
    // Team B hears nothing of team A.
    assert!(stream_b.next(Duration::from_millis(500)).await.is_none());
    let theirs = note(&app, &b, app.contact_b, "de b").await;
    let (_, _, data) = stream_b
        .next(Duration::from_secs(5))
        .await
        .expect("own event");
    assert_eq!(data["activity_id"], theirs.id);
    drop(stream_a);

    // While A is away: another note and a delete. Resuming replays both, in order.
    let second = note(&app, &a, app.contact_a, "dos").await;
    let sup = app.token("super_a").await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/activities/{}", first.id),
            Some(&sup),
            NONE,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .http
        .get(app.url("/api/v1/events"))
        .bearer_auth(&a)
        .header("Last-Event-ID", id1.to_string())
        .send()
        .await
        .unwrap();
    let mut resumed = SseReader::new(res);
    let (name, _, data) = resumed.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        (name.as_str(), data["activity_id"].as_i64()),
        ("activity.created", Some(second.id))
    );
    let (name, _, data) = resumed.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        (name.as_str(), data["activity_id"].as_i64()),
        ("activity.deleted", Some(first.id))
    );
    // Team B's event in between was not replayed to A.
    assert!(resumed.next(Duration::from_millis(300)).await.is_none());
}

/// The next activity event's id and data, past any status events.
async fn next_activity(reader: &mut SseReader) -> (i64, serde_json::Value) {
    loop {
        let (name, id, data) = reader
            .next(Duration::from_secs(5))
            .await
            .expect("an activity event");
        if name.starts_with("activity.") {
            return (id, data);
        }
    }
}

#[tokio::test]
async fn a_stream_watching_contacts_gets_only_their_activity_events_but_every_status_event() {
    let app = TestApp::spawn().await;
    let a = app.token("agent_a").await;
    let other = deep_contact(&app, 0).await;
    let watching = |contacts: String| {
        let app = &app;
        let a = a.clone();
        async move {
            SseReader::new(
                app.call(
                    Method::GET,
                    &format!("/api/v1/events?contacts={contacts}"),
                    Some(&a),
                    NONE,
                )
                .await,
            )
        }
    };
    let mut on_screen = watching(app.contact_a.to_string()).await;
    let mut nothing_open = watching(String::new()).await;
    let mut everything = SseReader::new(
        app.call(Method::GET, "/api/v1/events", Some(&a), NONE)
            .await,
    );

    let elsewhere = note(&app, &a, other, "otro contacto").await;
    let here = note(&app, &a, app.contact_a, "este contacto").await;
    let (_, data) = next_activity(&mut on_screen).await;
    assert_eq!(
        data["activity_id"], here.id,
        "the other contact's event is left out"
    );
    let mut event_ids = Vec::new();
    for expected in [elsewhere.id, here.id] {
        let (id, data) = next_activity(&mut everything).await;
        assert_eq!(data["activity_id"], expected);
        event_ids.push(id);
    }
    // Status events are not about contacts: every stream of the agent gets them.
    let res = app
        .call(
            Method::PUT,
            "/api/v1/status",
            Some(&a),
            Some(&json!({ "value": "break" })),
        )
        .await;
    assert!(res.status().is_success());
    let (name, _, _) = nothing_open.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(name, "agent.status", "no activity event came first");
    let (name, _, _) = on_screen.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(name, "agent.status", "nothing more for the watched contact");

    // The desktop that had nothing open opens the other contact: it reopens its stream
    // from where the first one started (its `ready` message; no event had come for it
    // before the notes) and gets the events it missed, of that contact only.
    let start = nothing_open
        .ready
        .expect("every stream starts with `ready`");
    assert!(
        start < event_ids[0],
        "the notes came after the stream opened"
    );
    let res = app
        .http
        .get(app.url(&format!("/api/v1/events?contacts={other}")))
        .bearer_auth(&a)
        .header("Last-Event-ID", start.to_string())
        .send()
        .await
        .unwrap();
    let mut reopened = SseReader::new(res);
    let (id, data) = next_activity(&mut reopened).await;
    assert_eq!(id, event_ids[0]);
    assert_eq!(data["activity_id"], elsewhere.id);
    assert_eq!(data["contact_id"], other);
    assert_eq!(
        reopened.ready,
        Some(start),
        "it starts where it was asked to"
    );

    for bad in ["abc", "1,-2", "0"] {
        expect_error(
            app.call(
                Method::GET,
                &format!("/api/v1/events?contacts={bad}"),
                Some(&a),
                NONE,
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
}

#[tokio::test]
async fn the_stream_needs_a_session_or_a_live_ticket() {
    let app = TestApp::spawn().await;
    expect_error(
        app.call(Method::GET, "/api/v1/events", None, NONE).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        app.call(Method::GET, "/api/v1/events?ticket=forged", None, NONE)
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        app.call(Method::GET, "/api/v1/events", Some("not-a-token"), NONE)
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // A ticket dies with its session.
    let a = app.token("agent_a").await;
    let ticket: StreamTicket = app
        .call(Method::POST, "/api/v1/stream-tickets", Some(&a), NONE)
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&a), NONE)
        .await;
    assert!(res.status().is_success());
    expect_error(
        app.call(
            Method::GET,
            &format!("/api/v1/events?ticket={}", ticket.ticket),
            None,
            NONE,
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_error(
        app.call(
            Method::GET,
            "/api/v1/events?last_event_id=abc",
            Some(&app.token("agent_a").await),
            NONE,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}
