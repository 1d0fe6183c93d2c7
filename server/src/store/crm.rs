//! Storage of the CRM integration's settings and of campaigns (their disposition trees
//! and options). One implementation for both backends (`store/shared/crm.rs`).

use agentdesk_protocol::{Campaign, CrmSettings};
use async_trait::async_trait;

use super::{StoreResult, StoredEvent};

#[async_trait]
pub trait CrmStore: Send + Sync {
    async fn crm_settings(&self) -> StoreResult<CrmSettings>;
    /// Store the settings and log `settings.changed` (every instance's policy follows).
    async fn set_crm_settings(&self, settings: &CrmSettings) -> StoreResult<Vec<StoredEvent>>;
    async fn campaigns(&self) -> StoreResult<Vec<Campaign>>;
    async fn upsert_campaign(&self, campaign: &Campaign) -> StoreResult<()>;
    /// uContact's settings made in the console (all `None` until one is).
    async fn ucontact_stored(&self) -> StoreResult<StoredUcontact>;
    /// Replace the webhook (`launch: false`) or launch-link secret.
    async fn set_ucontact_secret(&self, launch: bool, secret: &str) -> StoreResult<()>;
    /// Replace the REST API's settings; `password: None` keeps the stored one.
    async fn set_ucontact_api(
        &self,
        url: Option<&str>,
        user: &str,
        password: Option<&str>,
    ) -> StoreResult<()>;
    /// Replace the recording address template (`None`: none).
    async fn set_ucontact_recording(&self, url: Option<&str>) -> StoreResult<()>;
}

/// uContact's settings as stored (`ucontact_settings`); `None`: not set in the console.
/// The API's three settings go together: `api_user` is `Some` once they were saved.
/// No `Debug`: it holds secrets.
#[derive(Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredUcontact {
    pub webhook_secret: Option<String>,
    pub webhook_rotated_at: Option<i64>,
    pub launch_secret: Option<String>,
    pub launch_rotated_at: Option<i64>,
    pub api_url: Option<String>,
    pub api_user: Option<String>,
    pub api_password: Option<String>,
    pub recording_url: Option<String>,
}

/// The CRM settings' row, by name (the lists as JSON text).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CrmSettingsRow {
    url_template: String,
    crm_origins: String,
    ucontact_origin: String,
    agent_status_relay: bool,
    frame_sandbox: String,
    frame_allow: String,
    recording_origins: String,
}

impl CrmSettingsRow {
    pub(crate) fn into_settings(self) -> StoreResult<CrmSettings> {
        let list = |what: &str, json: &str| -> StoreResult<Vec<String>> {
            serde_json::from_str(json).map_err(|e| super::corrupt(what, e))
        };
        Ok(CrmSettings {
            url_template: self.url_template,
            crm_origins: list("crm origins", &self.crm_origins)?,
            ucontact_origin: self.ucontact_origin,
            agent_status_relay: self.agent_status_relay,
            frame_sandbox: list("frame sandbox", &self.frame_sandbox)?,
            frame_allow: list("frame allow", &self.frame_allow)?,
            recording_origins: list("recording origins", &self.recording_origins)?,
        })
    }
}

/// A campaign's row, by name (the tree and options as JSON text).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CampaignRow {
    name: String,
    require_disposition: bool,
    dispositions: String,
    options: String,
}

impl CampaignRow {
    pub(crate) fn into_campaign(self) -> StoreResult<Campaign> {
        campaign_from(
            self.name,
            self.require_disposition,
            &self.dispositions,
            &self.options,
        )
    }
}

/// A campaign from its stored columns (both backends keep the same four).
pub(crate) fn campaign_from(
    name: String,
    require_disposition: bool,
    tree: &str,
    options: &str,
) -> StoreResult<Campaign> {
    Ok(Campaign {
        name,
        require_disposition,
        dispositions: serde_json::from_str(tree).map_err(|e| super::corrupt("dispositions", e))?,
        options: serde_json::from_str(options)
            .map_err(|e| super::corrupt("campaign options", e))?,
    })
}

/// A campaign's tree and options as stored (JSON text).
pub(crate) fn campaign_columns(c: &Campaign) -> StoreResult<(String, String)> {
    let text = |e: serde_json::Error| super::StoreError::Other(e.to_string());
    Ok((
        serde_json::to_string(&c.dispositions).map_err(text)?,
        serde_json::to_string(&c.options).map_err(text)?,
    ))
}
