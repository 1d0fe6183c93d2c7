//! Contacts: search, read, create, correct. One implementation for both backends
//! (`store/shared/contacts.rs`).

use agentdesk_protocol::{Contact, ContactSummary};
use async_trait::async_trait;

use super::{NewContact, StoreResult, Viewer};

#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Contacts visible to the viewer whose name, phone or email matches `query`,
    /// ordered by name then id, starting after the `(name, id)` cursor.
    async fn search_contacts(
        &self,
        viewer: &Viewer,
        query: Option<&str>,
        after: Option<(&str, i64)>,
        limit: u32,
    ) -> StoreResult<Vec<ContactSummary>>;
    async fn contact(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<Contact>>;
    async fn create_contact(&self, contact: NewContact) -> StoreResult<i64>;
    /// Replace the editable fields of contact `id` of team `contact.team_id` (its
    /// `created_at` is kept). `false`: no such contact in that team. A second contact
    /// with the same external id in the team is a [`StoreError::Conflict`].
    async fn update_contact(&self, id: i64, contact: &NewContact) -> StoreResult<bool>;
}
