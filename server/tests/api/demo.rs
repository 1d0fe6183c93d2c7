//! The demo data set loads what the README promises.

use agentdesk_protocol::{ActivityKind, ContactList, LoginResponse, Me, Role};
use agentdesk_server::config::SeedArgs;
use agentdesk_server::store::{TimelineRequest, Viewer};
use agentdesk_server::{demo, store};

use crate::support::TestDb;

#[tokio::test]
async fn the_full_demo_has_two_teams_six_users_300_contacts_and_35000_activities_of_every_kind() {
    let db = TestDb::new().await;
    let store = store::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let summary = demo::seed(&store, &SeedArgs::default()).await.unwrap();
    assert_eq!(
        (
            summary.teams,
            summary.users,
            summary.contacts,
            summary.activities
        ),
        (2, 6, 300, 35_000)
    );

    // A second seed refuses to mix into existing data.
    assert!(demo::seed(&store, &SeedArgs::default()).await.is_err());

    let admin = Viewer {
        user_id: 1,
        role: Role::Admin,
        can_email: true,
    };
    let mut all = Vec::new();
    let mut after: Option<(String, i64)> = None;
    loop {
        let page = store
            .search_contacts(
                &admin,
                None,
                after.as_ref().map(|(n, i)| (n.as_str(), *i)),
                100,
            )
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|c| (c.name.clone(), c.id));
        all.extend(page);
    }
    assert_eq!(all.len(), 300);
    for c in &all {
        let phone = c.phone.as_deref().unwrap();
        assert!(
            phone.starts_with('+') && phone[1..].chars().all(|d| d.is_ascii_digit()),
            "{phone}"
        );
        assert_eq!(
            agentdesk_server::text::normalize_phone(phone, "UY").as_deref(),
            Some(phone),
            "valid E.164"
        );
        assert!(c.email.as_deref().unwrap().contains('@'));
    }
    assert!(
        all.iter()
            .any(|c| c.name.contains('á') || c.name.contains('í') || c.name.contains('é')),
        "Spanish names"
    );
    assert!(
        all.iter()
            .any(|c| ["Smith", "Brown", "Taylor", "Wilson", "Walker"]
                .iter()
                .any(|n| c.name.ends_with(n))),
        "English names"
    );

    // Counted in the database, not taken from the seed's own summary.
    assert_eq!(store.list_teams(&admin).await.unwrap().len(), 2);
    assert_eq!(store.list_users(&admin).await.unwrap().len(), 6);
    // Interactions are counted on the contact; automated follow-up activities apart.
    let automated = |page: &agentdesk_server::store::TimelinePage| -> u64 {
        page.kind_counts
            .iter()
            .filter(|k| k.kind == ActivityKind::FollowUp)
            .map(|k| k.count)
            .sum()
    };
    let (mut interactions, mut bots) = (0, 0);
    for c in &all {
        interactions += store
            .contact(&admin, c.id)
            .await
            .unwrap()
            .unwrap()
            .activity_count;
        let page = store
            .timeline(
                &admin,
                c.id,
                &TimelineRequest {
                    page: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        bots += automated(&page);
    }
    assert!(bots > 0, "the demo has automated activities");
    assert_eq!(interactions + bots, 35_000);
    let big = store.contact(&admin, 1).await.unwrap().unwrap();
    let page = store
        .timeline(
            &admin,
            1,
            &TimelineRequest {
                page: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(big.activity_count + automated(&page), 5_000);
    for kind in ActivityKind::ALL {
        assert!(
            page.kind_counts
                .iter()
                .any(|k| k.kind == kind && k.count > 0),
            "{kind} present"
        );
    }
    let span = page.items.first().unwrap().occurred_at - big.created_at;
    assert!(span.num_days() >= 365, "history spans years");
}

#[tokio::test]
async fn the_demo_logins_listed_in_the_readme_work() {
    let db = TestDb::new().await;
    let store = store::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    demo::seed(
        &store,
        &SeedArgs {
            contacts: 10,
            activities: 50,
            big_contact_activities: 10,
        },
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = agentdesk_server::AppState::new(store, Default::default()).unwrap();
    tokio::spawn(agentdesk_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let http = agentdesk_server::outbound::plain_client();
    for (user, role) in [
        ("admin", Role::Admin),
        ("sofia", Role::Supervisor),
        ("ana", Role::Agent),
        ("bruno", Role::Agent),
        ("carla", Role::Agent),
        ("david", Role::Agent),
    ] {
        assert!(readme.contains(&format!("`{user}`")), "README lists {user}");
        let res = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": user, "password": demo::DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{user}");
        let body: LoginResponse = res.json().await.unwrap();
        let me: Me = body.me;
        assert_eq!(me.role, role);
        let list: ContactList = http
            .get(format!("{base}/api/v1/contacts"))
            .bearer_auth(&body.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(!list.items.is_empty(), "{user} sees contacts");
    }
    assert!(readme.contains(demo::DEMO_PASSWORD));
}
