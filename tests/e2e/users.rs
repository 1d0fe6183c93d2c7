//! The admin's users screen (`/admin/users`): a new user made there with one team signs
//! in and sees only that team's contacts; deactivated there, their open desktop is
//! signed out within seconds and they cannot sign in; reactivated, they can again.

use anyhow::{Context, ensure};
use reqwest::Method;

use crate::harness::run;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_makes_a_user_and_deactivating_them_signs_their_desktop_out() {
    run(|h| async move {
        let admin = h.api_token("admin", "demo1234").await?;
        let teams = h.api(Method::GET, "/teams", Some(&admin), None).await?;
        let team = teams[0]["id"].as_i64().context("a demo team")?;
        let office = h.another_browser("admin-users").await?;
        let outcome = async {
            office.goto("/login?next=%2Fadmin%2Fusers").await?;
            office.login("admin", "demo1234").await?;
            office.select("#locale-select", "en").await?;
            office
                .wait_count("#users-table tr[data-user=\"ana\"]", 1)
                .await?;
            // Search narrows the list.
            office.fill("#users-q", "BRU").await?;
            office.wait_count("#users-table tr[data-user]", 1).await?;
            // A search every later row of this test matches ("Núñez").
            office.fill("#users-q", "ez").await?;
            office.click("#user-new").await?;
            office.fill("#user-username", "lnunez").await?;
            office.fill("#user-password", "lucia-pass-2026").await?;
            office.fill("#user-display-name", "Lucía Núñez").await?;
            office
                .click(&format!("#user-form .user-teams input[value=\"{team}\"]"))
                .await?;
            office.click("#user-save").await?;
            office
                .wait_text("#users-table tr[data-user=\"lnunez\"]", |t| {
                    t.contains("Lucía Núñez") && t.contains("Active")
                })
                .await?;
            anyhow::Ok(())
        }
        .await;
        if outcome.is_err() {
            office.close().await;
            return outcome;
        }

        // Lucía signs in and sees her team's contacts only.
        h.goto("/login?next=%2Fcontacts").await?;
        h.login("lnunez", "lucia-pass-2026").await?;
        h.wait_path("/contacts").await?;
        let lucia = h.api_token("lnunez", "lucia-pass-2026").await?;
        let contacts = h
            .api(Method::GET, "/contacts?limit=50", Some(&lucia), None)
            .await?;
        let items = contacts["items"].as_array().context("contacts")?;
        ensure!(!items.is_empty(), "her team's contacts");
        ensure!(
            items.iter().all(|c| c["team"]["id"] == team),
            "only team {team}'s: {contacts}"
        );

        // Deactivated from the screen: her open desktop goes to the sign-in page.
        let outcome = async {
            office
                .client
                .execute("window.confirm = () => true", vec![])
                .await?;
            office
                .click("#users-table tr[data-user=\"lnunez\"] .user-deactivate")
                .await?;
            office
                .wait_text("#users-table tr[data-user=\"lnunez\"]", |t| {
                    t.contains("Deactivated")
                })
                .await?;
            h.wait_url(|u| u.starts_with("/login")).await?;
            let refused = h.api_token("lnunez", "lucia-pass-2026").await;
            ensure!(refused.is_err(), "a deactivated user cannot sign in");
            office
                .click("#users-table tr[data-user=\"lnunez\"] .user-reactivate")
                .await?;
            office
                .wait_text("#users-table tr[data-user=\"lnunez\"]", |t| {
                    t.contains("Active")
                })
                .await?;
            h.api_token("lnunez", "lucia-pass-2026").await?;
            office.assert_no_app_errors().await?;
            anyhow::Ok(())
        }
        .await;
        office.close().await;
        outcome
    })
    .await;
}
