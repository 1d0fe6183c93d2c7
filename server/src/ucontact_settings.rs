//! uContact's settings in effect: what admins set in the console (`ucontact_settings`)
//! wins over the server's environment, setting by setting (the REST API's three
//! together). Read from the database at each use — webhooks, launch links and
//! dispositions are rare next to one primary-key read — so a change made on one instance
//! holds on every instance at once.

use agentdesk_protocol::ucontact::{SecretState, SettingSource, UcontactSettings};

use crate::AppState;
use crate::store::StoreResult;
use crate::store::crm::StoredUcontact;

/// The values in effect (secrets included: for the server's own use only, so no `Debug`).
#[derive(Clone, Default)]
pub struct Effective {
    pub webhook_secret: Option<String>,
    pub launch_secret: Option<String>,
    pub api_url: Option<url::Url>,
    pub api_user: String,
    pub api_password: String,
    stored: StoredUcontact,
    from_env: (bool, bool, bool),
}

/// The settings in effect now.
pub async fn effective(state: &AppState) -> StoreResult<Effective> {
    let stored = state.store.ucontact_stored().await?;
    let c = &state.config;
    let env_secret = |s: &Option<crate::config::Secret>| s.as_ref().map(|s| s.0.clone());
    let stored_api = stored.api_user.is_some();
    let (api_url, api_user, api_password) = if stored_api {
        (
            // Checked when saved; a row edited by hand to garbage turns the sync off.
            stored
                .api_url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok()),
            stored.api_user.clone().unwrap_or_default(),
            stored.api_password.clone().unwrap_or_default(),
        )
    } else {
        (
            c.ucontact_api_url.clone(),
            c.ucontact_api_user.clone(),
            c.ucontact_api_password
                .as_ref()
                .map(|p| p.0.clone())
                .unwrap_or_default(),
        )
    };
    Ok(Effective {
        webhook_secret: stored
            .webhook_secret
            .clone()
            .or_else(|| env_secret(&c.ucontact_webhook_secret)),
        launch_secret: stored
            .launch_secret
            .clone()
            .or_else(|| env_secret(&c.launch_secret)),
        api_url,
        api_user,
        api_password,
        from_env: (
            c.ucontact_webhook_secret.is_some(),
            c.launch_secret.is_some(),
            c.ucontact_api_url.is_some(),
        ),
        stored,
    })
}

impl Effective {
    /// What an admin reads: where each setting comes from, never a secret.
    pub fn shown(&self) -> UcontactSettings {
        let source = |stored: bool, env: bool| match (stored, env) {
            (true, _) => SettingSource::Console,
            (false, true) => SettingSource::Environment,
            (false, false) => SettingSource::Unset,
        };
        let at = |ms: Option<i64>| ms.and_then(chrono::DateTime::from_timestamp_millis);
        let s = &self.stored;
        let (webhook_env, launch_env, api_env) = self.from_env;
        UcontactSettings {
            webhook_secret: SecretState {
                source: source(s.webhook_secret.is_some(), webhook_env),
                rotated_at: at(s.webhook_rotated_at),
            },
            launch_secret: SecretState {
                source: source(s.launch_secret.is_some(), launch_env),
                rotated_at: at(s.launch_rotated_at),
            },
            // An address from the environment may carry a user and password: never shown.
            api_url: self.api_url.as_ref().map(|u| {
                let mut u = u.clone();
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.to_string()
            }),
            api_user: self.api_user.clone(),
            api_password_set: !self.api_password.is_empty(),
            api_source: match (s.api_user.is_some(), api_env) {
                (true, _) if s.api_url.is_none() => SettingSource::Unset,
                (stored, env) => source(stored, env),
            },
            recording_url: s.recording_url.clone(),
        }
    }
}
