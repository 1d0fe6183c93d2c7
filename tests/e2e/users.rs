//! The admin's users screen (`/admin/users`): a new user made there with one team signs
//! in and sees only that team's contacts; deactivated there, their open desktop is
//! signed out within seconds and they cannot sign in; reactivated, they can again. A
//! temporary password set there must be replaced at the next sign-in.

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
            // Her own password from the start (the form's default is a temporary one).
            office.click("#user-must-change").await?;
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

/// An admin's temporary password from the users screen: the user's open desktop is
/// signed out, a user held back by failed sign-ins shows as locked until then, and at
/// their next sign-in they are taken to choose their own password (the rules said as
/// they type) before the desktop opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_password_from_the_users_screen_must_be_replaced_at_sign_in() {
    run(|h| async move {
        let admin = h.api_token("admin", "demo1234").await?;
        let teams = h.api(Method::GET, "/teams", Some(&admin), None).await?;
        let team = teams[0]["id"].as_i64().context("a demo team")?;
        h.api(
            Method::POST,
            "/users",
            Some(&admin),
            Some(
                serde_json::json!({ "username": "mrojas", "display_name": "Marta Rojas",
                "password": "marta-original-77", "role": "agent", "teams": [team] }),
            ),
        )
        .await?;
        // Her desktop is open; someone then fails to sign in as her five times.
        h.goto("/login?next=%2Fcontacts").await?;
        h.login("mrojas", "marta-original-77").await?;
        h.wait_path("/contacts").await?;
        for _ in 0..5 {
            ensure!(h.api_token("mrojas", "not her password").await.is_err());
        }
        let office = h.another_browser("admin-passwords").await?;
        let outcome = async {
            office.goto("/login?next=%2Fadmin%2Fusers").await?;
            office.login("admin", "demo1234").await?;
            office.select("#locale-select", "en").await?;
            let row = "#users-table tr[data-user=\"mrojas\"]";
            office.wait_text(row, |t| t.contains("Locked")).await?;
            office.click(&format!("{row} .user-password")).await?;
            office.fill("#reset-password", "short").await?;
            office
                .wait_text("#reset-password-rules", |t| t.contains("Too short"))
                .await?;
            office
                .fill("#reset-password", "temporal-de-Marta-1")
                .await?;
            office.click("#reset-password-save").await?;
            office
                .wait_text(row, |t| {
                    t.contains("Must change password") && !t.contains("Locked")
                })
                .await?;
            office.assert_no_app_errors().await?;
            anyhow::Ok(())
        }
        .await;
        office.close().await;
        outcome?;

        // Her open desktop was signed out; signing in with the temporary password leads
        // to choosing her own, and then to where she was going.
        h.wait_url(|u| u.starts_with("/login")).await?;
        h.login("mrojas", "temporal-de-Marta-1").await?;
        h.wait_url(|u| u.starts_with("/account/password")).await?;
        h.wait_text("#password-forced", |t| !t.is_empty()).await?;
        ensure!(
            !h.displayed("#password-cancel").await.unwrap_or(false),
            "no way around the change"
        );
        h.fill("#password-current", "temporal-de-Marta-1").await?;
        h.fill("#password-new", "mrojas-2026-nueva").await?;
        h.wait_text("#password-rules", |t| {
            t.contains("username") || t.contains("usuario")
        })
        .await?;
        h.fill("#password-new", "Marta elige la suya").await?;
        h.fill("#password-confirm", "Marta elige la suya").await?;
        h.click("#password-save").await?;
        h.wait_path("/contacts").await?;
        h.wait_count("#user-name", 1).await?;
        h.api_token("mrojas", "Marta elige la suya").await?;
        ensure!(
            h.api_token("mrojas", "temporal-de-Marta-1").await.is_err(),
            "the temporary password is gone"
        );
        h.assert_no_app_errors().await
    })
    .await;
}

/// The audit log screen: reached from the admin pages' own navigation, it lists the
/// latest records (sign-ins among them), narrows to an action prefix, and exports what
/// the filters keep as CSV.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_screen_filters_and_exports() {
    run(|h| async move {
        // A failed sign-in and a success, both in the log.
        ensure!(h.api_token("admin", "not the password").await.is_err());
        h.goto("/login?next=%2Fadmin%2Fusers").await?;
        h.login("admin", "demo1234").await?;
        // The sign-in loads the back office: a click while that page is still on its
        // way is aborted by the navigation.
        h.wait_path("/admin/users").await?;
        h.wait_count("#users-table", 1).await?;
        h.select("#locale-select", "en").await?;
        h.click("#nav-audit").await?;
        h.wait_path("/admin/audit").await?;
        h.wait_text("#audit-table tbody", |t| t.contains("login_failed"))
            .await?;
        h.fill("#audit-action", "login_f").await?;
        h.click("#audit-apply").await?;
        h.wait_text("#audit-table tbody", |t| {
            !t.contains("\nlogin\n") && t.contains("login_failed")
        })
        .await?;
        let actions = h.texts("#audit-table tbody tr td:nth-child(3)").await?;
        ensure!(
            !actions.is_empty() && actions.iter().all(|a| a == "login_failed"),
            "only failed sign-ins: {actions:?}"
        );
        let csv = h.download_text("#audit-export").await?;
        let lines: Vec<&str> = csv.lines().collect();
        ensure!(
            lines[0] == "id,at,user_id,username,action,target,ip",
            "{csv}"
        );
        ensure!(
            lines.len() == actions.len() + 1
                && lines[1..].iter().all(|l| l.contains(",login_failed,")),
            "the export holds what the screen shows: {csv}"
        );
        h.assert_no_app_errors().await
    })
    .await;
}

/// The teams screen, and the console's acceptance path: an admin creates a team and
/// renames it, makes a user in it on the users screen (a temporary password), the user
/// signs in, chooses their own password and sees that team's contact only; a team with a
/// member cannot be deleted (the screen says why) but can be archived; an empty one is
/// deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teams_screen_creates_renames_archives_and_deletes() {
    run(|h| async move {
        h.goto("/login?next=%2Fadmin%2Fteams").await?;
        h.login("admin", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        h.wait_path("/admin/teams").await?;
        h.fill("#team-new-name", "Cobranzas").await?;
        h.click("#team-new").await?;
        let row = "#teams-table tr[data-team=\"Cobranzas\"]";
        h.wait_count(row, 1).await?;
        h.click(&format!("{row} .team-rename")).await?;
        h.fill(&format!("{row} .team-rename-input"), "Cobranzas Norte")
            .await?;
        h.click(&format!("{row} .team-rename-save")).await?;
        let row = "#teams-table tr[data-team=\"Cobranzas Norte\"]";
        h.wait_count(row, 1).await?;

        let admin = h.api_token("admin", "demo1234").await?;
        let teams = h.api(Method::GET, "/teams", Some(&admin), None).await?;
        let team = teams
            .as_array()
            .and_then(|t| t.iter().find(|t| t["name"] == "Cobranzas Norte"))
            .and_then(|t| t["id"].as_i64())
            .context("the new team")?;
        // A contact of the new team (an SMS its integration sends in), the one thing its
        // member should see.
        let integration = h
            .api(
                Method::POST,
                "/integrations",
                Some(&admin),
                Some(serde_json::json!({ "name": "sms-norte", "team_id": team })),
            )
            .await?;
        let token = integration["token"].as_str().context("token")?;
        let res = agentdesk_server::outbound::plain_client()
            .post(format!("{}/api/v1/ingest/sms", h.base))
            .bearer_auth(token)
            .json(
                &serde_json::json!({ "id": "norte-1", "direction": "inbound",
                "number": "+59899777888", "text": "¿Cuánto debo?", "at": "2026-06-01T10:00:00Z" }),
            )
            .send()
            .await?;
        ensure!(
            res.status().as_u16() == 201,
            "the SMS is in: {}",
            res.status()
        );
        // The admin makes her on the users screen, in that team, with a temporary password.
        h.goto("/admin/users").await?;
        h.click("#user-new").await?;
        h.fill("#user-username", "cnorte").await?;
        h.fill("#user-password", "temporal-Carla-1").await?;
        h.fill("#user-display-name", "Carla Norte").await?;
        h.click(&format!("#user-form .user-teams input[value=\"{team}\"]"))
            .await?;
        h.click("#user-save").await?;
        h.wait_text("#users-table tr[data-user=\"cnorte\"]", |t| {
            t.contains("Carla Norte") && t.contains("Must change password")
        })
        .await?;

        // She signs in, chooses her own password, and sees her team's contact only.
        let carla = h.another_browser("carla").await?;
        let outcome = async {
            carla.goto("/login?next=%2Fcontacts").await?;
            carla.login("cnorte", "temporal-Carla-1").await?;
            carla
                .wait_url(|u| u.starts_with("/account/password"))
                .await?;
            carla.fill("#password-current", "temporal-Carla-1").await?;
            carla.fill("#password-new", "Carla elige la suya").await?;
            carla
                .fill("#password-confirm", "Carla elige la suya")
                .await?;
            carla.click("#password-save").await?;
            carla.wait_path("/contacts").await?;
            carla.wait_count("#contact-list .contact-row", 1).await?;
            carla
                .wait_text("#contact-list", |t| t.contains("99") && t.contains("777"))
                .await?;
            carla.assert_no_app_errors().await?;
            anyhow::Ok(())
        }
        .await;
        carla.close().await;
        outcome?;
        h.goto("/admin/teams").await?;
        h.wait_count(row, 1).await?;

        // With a member it cannot go, and the screen says why; archived, it says so.
        h.client
            .execute("window.confirm = () => true", vec![])
            .await?;
        h.click("#teams-table tr[data-team=\"Cobranzas Norte\"] .team-delete")
            .await?;
        h.wait_text("#teams-status", |t| t.contains("archive"))
            .await?;
        h.click(&format!("{row} .team-archive")).await?;
        h.wait_text(row, |t| t.contains("Archived")).await?;
        h.fill("#team-new-name", "Temporal").await?;
        h.click("#team-new").await?;
        h.wait_count("#teams-table tr[data-team=\"Temporal\"]", 1)
            .await?;
        h.click("#teams-table tr[data-team=\"Temporal\"] .team-delete")
            .await?;
        h.wait_count("#teams-table tr[data-team=\"Temporal\"]", 0)
            .await?;
        h.assert_no_app_errors().await
    })
    .await;
}

/// The integrations screen: an admin makes an integration for a team and sees its
/// credentials once; replacing them there shows new ones, and the old token is refused
/// while the new one delivers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_integrations_screen_rotates_credentials_the_old_ones_stop_and_deliveries_show() {
    run(|h| async move {
        let admin = h.api_token("admin", "demo1234").await?;
        let teams = h.api(Method::GET, "/teams", Some(&admin), None).await?;
        let team = teams[0]["id"].as_i64().context("a demo team")?;
        h.goto("/login?next=%2Fadmin%2Fintegrations").await?;
        h.login("admin", "demo1234").await?;
        h.select("#locale-select", "en").await?;
        h.wait_path("/admin/integrations").await?;
        h.fill("#integration-name", "crm-norte").await?;
        h.select("#integration-team", &team.to_string()).await?;
        h.click("#integration-new").await?;
        h.wait_text("#integration-credentials", |t| t.contains("only this once"))
            .await?;
        let old = h.texts("#credential-token").await?.concat();
        ensure!(old.starts_with("adi_"), "a token: {old}");
        h.click("#credentials-done").await?;
        h.wait_count("#integration-credentials", 0).await?;
        let row = "#integrations-table tr[data-integration=\"crm-norte\"]";
        h.wait_count(row, 1).await?;
        h.client
            .execute("window.confirm = () => true", vec![])
            .await?;
        h.click(&format!("{row} .integration-rotate")).await?;
        h.wait_count("#integration-credentials", 1).await?;
        let new = h.texts("#credential-token").await?.concat();
        ensure!(new.starts_with("adi_") && new != old, "a new token");

        let base = h.base.clone();
        let sms = |token: String, id: &'static str| {
            let url = format!("{base}/api/v1/ingest/sms");
            async move {
                agentdesk_server::outbound::plain_client()
                    .post(url)
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "id": id, "direction": "inbound",
                    "number": "+59899555666", "text": "hola", "at": "2026-06-01T10:00:00Z" }))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }
        };
        ensure!(
            sms(old, "e2e-old").await? == 401,
            "the old token is refused"
        );
        ensure!(
            sms(new.clone(), "e2e-new").await? == 201,
            "the new token delivers"
        );
        ensure!(sms(new, "e2e-new").await? == 200, "a replay is a duplicate");
        // The admin reads what became of them: the refused old token is nobody's.
        h.click("#credentials-done").await?;
        h.click(&format!("{row} .integration-deliveries")).await?;
        h.wait_count("#deliveries-table tbody tr", 2).await?;
        let outcomes = h.texts("#deliveries-table .delivery-outcome").await?;
        ensure!(
            outcomes == ["Duplicate (nothing changed)", "Accepted"],
            "newest first: {outcomes:?}"
        );
        h.click("#deliveries-close").await?;
        h.wait_count("#delivery-log", 0).await?;
        h.assert_no_app_errors().await
    })
    .await;
}
