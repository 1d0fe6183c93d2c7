//! Integrations (their tokens and signing secrets), polled mailboxes' cursors, attribute
//! definitions and uContact agent names: what the ingest routes look up around the one
//! write path. One implementation for both backends (`store/shared/integrations.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use agentdesk_protocol::{DeliveryOutcome, IntegrationDelivery};

use super::StoreResult;

/// How many deliveries are kept per integration.
pub const DELIVERIES_KEPT: i64 = 100;

/// One delivery to log (see `ingest::deliveries`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub integration_id: i64,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub channel: &'static str,
    pub outcome: DeliveryOutcome,
    pub status: u16,
    pub reason: Option<String>,
}

#[async_trait]
pub trait IntegrationStore: Send + Sync {
    /// Attribute definitions: name → (kind, scope).
    async fn attribute_defs(&self) -> StoreResult<BTreeMap<String, (String, String)>>;
    async fn create_integration(
        &self,
        name: &str,
        team_id: i64,
        token_hash: &str,
        secret: &str,
    ) -> StoreResult<i64>;
    /// Every integration, by name.
    async fn list_integrations(&self) -> StoreResult<Vec<agentdesk_protocol::IntegrationSummary>>;
    /// New credentials for integration `id` (the old ones refused from the commit on):
    /// its (name, team), or `None` when there is no such integration or it is revoked.
    async fn rotate_integration(
        &self,
        id: i64,
        token_hash: &str,
        secret: &str,
    ) -> StoreResult<Option<(String, i64)>>;
    /// Revoke integration `id` for good; `false`: no such integration.
    async fn revoke_integration(&self, id: i64) -> StoreResult<bool>;
    /// (integration id, team) of a token.
    async fn integration_by_token(&self, token_hash: &str) -> StoreResult<Option<(i64, i64)>>;
    /// Log deliveries (one transaction): each integration's last use moves to its latest,
    /// and only its newest [`DELIVERIES_KEPT`] stay.
    async fn log_deliveries(&self, batch: &[NewDelivery]) -> StoreResult<()>;
    /// Integration `id`'s kept deliveries, newest first; `None`: no such integration.
    async fn deliveries(&self, id: i64) -> StoreResult<Option<Vec<IntegrationDelivery>>>;
    /// (team, secret) of an integration, for checking signatures.
    async fn integration_secret(&self, id: i64) -> StoreResult<Option<(i64, String)>>;
    /// A polled mailbox's cursor: (UIDVALIDITY, last UID handled).
    async fn imap_cursor(&self, mailbox: &str) -> StoreResult<Option<(u32, u32)>>;
    async fn set_imap_cursor(
        &self,
        mailbox: &str,
        uid_validity: u32,
        last_uid: u32,
    ) -> StoreResult<()>;
    /// The user linked to a uContact agent name.
    async fn user_by_agent(&self, agent: &str) -> StoreResult<Option<(i64, Option<i64>)>>;
}
