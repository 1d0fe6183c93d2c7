//! The one implementation of [`CrmStore`], compiled into each backend (its module there
//! is this file).

use agentdesk_protocol::{Campaign, CrmSettings, ServerEvent};
use async_trait::async_trait;

use super::{Backend, Tx, begin_write, commit_events, ms, write_one};
use crate::store::crm::{CampaignRow, CrmSettingsRow, CrmStore, StoredUcontact, campaign_columns};
use crate::store::{StoreError, StoreResult, StoredEvent};

/// The settings' one row, made (empty) if it is not there yet.
async fn ucontact_row(tx: &mut Tx<'_>, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ucontact_settings (id, updated_at) VALUES (1, $1) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl CrmStore for Backend {
    async fn crm_settings(&self) -> StoreResult<CrmSettings> {
        let row: Option<CrmSettingsRow> = sqlx::query_as(
            "SELECT url_template, crm_origins, ucontact_origin, agent_status_relay, frame_sandbox, frame_allow, \
             recording_origins FROM crm_settings WHERE id = 1",
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
             frame_sandbox, frame_allow, updated_at, recording_origins) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT(id) DO UPDATE SET url_template = excluded.url_template, crm_origins = excluded.crm_origins, \
             ucontact_origin = excluded.ucontact_origin, agent_status_relay = excluded.agent_status_relay, \
             frame_sandbox = excluded.frame_sandbox, frame_allow = excluded.frame_allow, updated_at = excluded.updated_at, \
             recording_origins = excluded.recording_origins",
        )
        .bind(&s.url_template)
        .bind(json(&s.crm_origins)?)
        .bind(&s.ucontact_origin)
        .bind(s.agent_status_relay)
        .bind(json(&s.frame_sandbox)?)
        .bind(json(&s.frame_allow)?)
        .bind(ms(crate::clock::now()))
        .bind(json(&s.recording_origins)?)
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

    async fn ucontact_stored(&self) -> StoreResult<StoredUcontact> {
        let row: Option<StoredUcontact> = sqlx::query_as(
            "SELECT webhook_secret, webhook_rotated_at, launch_secret, launch_rotated_at, \
             api_url, api_user, api_password, recording_url FROM ucontact_settings WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.unwrap_or_default())
    }

    async fn set_ucontact_secret(&self, launch: bool, secret: &str) -> StoreResult<()> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        ucontact_row(&mut tx, now).await?;
        sqlx::query(
            "UPDATE ucontact_settings SET \
             webhook_secret = CASE WHEN $1 THEN webhook_secret ELSE $2 END, \
             webhook_rotated_at = CASE WHEN $1 THEN webhook_rotated_at ELSE $3 END, \
             launch_secret = CASE WHEN $1 THEN $2 ELSE launch_secret END, \
             launch_rotated_at = CASE WHEN $1 THEN $3 ELSE launch_rotated_at END, \
             updated_at = $3 WHERE id = 1",
        )
        .bind(launch)
        .bind(secret)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_ucontact_api(
        &self,
        url: Option<&str>,
        user: &str,
        password: Option<&str>,
    ) -> StoreResult<()> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        ucontact_row(&mut tx, now).await?;
        sqlx::query(
            "UPDATE ucontact_settings SET api_url = $1, api_user = $2, \
             api_password = CASE WHEN $3 THEN $4 ELSE COALESCE(api_password, '') END, \
             updated_at = $5 WHERE id = 1",
        )
        .bind(url)
        .bind(user)
        .bind(password.is_some())
        .bind(password.unwrap_or(""))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_ucontact_recording(&self, url: Option<&str>) -> StoreResult<()> {
        let now = ms(crate::clock::now());
        let mut tx = begin_write(self).await?;
        ucontact_row(&mut tx, now).await?;
        sqlx::query(
            "UPDATE ucontact_settings SET recording_url = $1, updated_at = $2 WHERE id = 1",
        )
        .bind(url)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
