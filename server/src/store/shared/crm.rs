//! The one implementation of [`CrmStore`], compiled into each backend (its module there
//! is this file).

use agentdesk_protocol::{Campaign, CrmSettings, ServerEvent};
use async_trait::async_trait;

use super::{Backend, begin_write, commit_events, ms, write_one};
use crate::store::crm::{CampaignRow, CrmSettingsRow, CrmStore, campaign_columns};
use crate::store::{StoreError, StoreResult, StoredEvent};

#[async_trait]
impl CrmStore for Backend {
    async fn crm_settings(&self) -> StoreResult<CrmSettings> {
        let row: Option<CrmSettingsRow> = sqlx::query_as(
            "SELECT url_template, crm_origins, ucontact_origin, agent_status_relay, frame_sandbox, frame_allow \
             FROM crm_settings WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map_or_else(|| Ok(CrmSettings::default()), CrmSettingsRow::into_settings)
    }

    async fn set_crm_settings(&self, s: &CrmSettings) -> StoreResult<Vec<StoredEvent>> {
        let json = |v: &Vec<String>| {
            serde_json::to_string(v).map_err(|e| StoreError::Other(e.to_string()))
        };
        let mut tx = begin_write(self).await?;
        sqlx::query(
            "INSERT INTO crm_settings (id, url_template, crm_origins, ucontact_origin, agent_status_relay, \
             frame_sandbox, frame_allow, updated_at) VALUES (1, $1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT(id) DO UPDATE SET url_template = excluded.url_template, crm_origins = excluded.crm_origins, \
             ucontact_origin = excluded.ucontact_origin, agent_status_relay = excluded.agent_status_relay, \
             frame_sandbox = excluded.frame_sandbox, frame_allow = excluded.frame_allow, updated_at = excluded.updated_at",
        )
        .bind(&s.url_template)
        .bind(json(&s.crm_origins)?)
        .bind(&s.ucontact_origin)
        .bind(s.agent_status_relay)
        .bind(json(&s.frame_sandbox)?)
        .bind(json(&s.frame_allow)?)
        .bind(ms(crate::clock::now()))
        .execute(&mut *tx)
        .await?;
        commit_events(
            tx,
            vec![(None, ServerEvent::SettingsChanged)],
            ms(crate::clock::now()),
        )
        .await
    }

    async fn campaigns(&self) -> StoreResult<Vec<Campaign>> {
        let rows: Vec<CampaignRow> = sqlx::query_as(
            "SELECT name, require_disposition, dispositions, options FROM campaigns ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(CampaignRow::into_campaign).collect()
    }

    async fn upsert_campaign(&self, c: &Campaign) -> StoreResult<()> {
        let (tree, options) = campaign_columns(c)?;
        write_one(self, sqlx::query(
            "INSERT INTO campaigns (name, require_disposition, dispositions, options) VALUES ($1, $2, $3, $4) \
             ON CONFLICT(name) DO UPDATE SET require_disposition = excluded.require_disposition, \
             dispositions = excluded.dispositions, options = excluded.options",
        )
        .bind(&c.name)
        .bind(c.require_disposition)
        .bind(tree)
        .bind(options))
        .await?;
        Ok(())
    }
}
