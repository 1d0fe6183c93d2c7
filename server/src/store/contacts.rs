//! Contacts: search, read, create, correct. One implementation for both backends
//! (`store/shared/contacts.rs`).

use std::collections::BTreeMap;

use agentdesk_protocol::{Contact, ContactSummary, TeamRef};
use async_trait::async_trait;

use super::{NewContact, StoreResult, Viewer, corrupt, from_ms};

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

    /// Screen pop: the contact visible to the viewer with this external id (the CRM's
    /// customer id, uContact's `clientId`), else with this E.164 phone, else a new one in
    /// the viewer's first team carrying both (named after the number, or the id).
    /// `teams`, when not empty, narrows all of it to those teams (a campaign's).
    /// `(contact, team, created)`; `None`: the viewer has no such team, or neither key is
    /// given.
    async fn contact_for(
        &self,
        viewer: &Viewer,
        external_id: Option<&str>,
        phone: Option<&str>,
        teams: &[i64],
    ) -> StoreResult<Option<(i64, i64, bool)>>;

    /// [`ContactStore::contact_for`] by phone alone.
    async fn contact_for_phone(
        &self,
        viewer: &Viewer,
        phone: &str,
        teams: &[i64],
    ) -> StoreResult<Option<(i64, i64, bool)>> {
        self.contact_for(viewer, None, Some(phone), teams).await
    }
}

/// A contact of a search's result, by name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ContactSummaryRow {
    id: i64,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    team_id: i64,
    team_name: String,
    last_activity_at: Option<i64>,
}

impl From<ContactSummaryRow> for ContactSummary {
    fn from(r: ContactSummaryRow) -> Self {
        ContactSummary {
            id: r.id,
            name: r.name,
            phone: r.phone,
            email: r.email,
            team: TeamRef {
                id: r.team_id,
                name: r.team_name,
            },
            last_activity_at: r.last_activity_at.map(from_ms),
        }
    }
}

/// A contact's detail row, by name (attributes as JSON text; the count of the
/// activities the viewer sees).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ContactRow {
    id: i64,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    team_id: i64,
    team_name: String,
    attributes: String,
    created_at: i64,
    activity_count: i64,
}

impl ContactRow {
    /// The contact; unreadable attributes are an error, not an empty map.
    pub(crate) fn into_contact(self) -> StoreResult<Contact> {
        let attributes: BTreeMap<String, String> =
            serde_json::from_str(&self.attributes).map_err(|e| corrupt("attributes", e))?;
        Ok(Contact {
            id: self.id,
            name: self.name,
            phone: self.phone,
            email: self.email,
            external_id: self.external_id,
            team: TeamRef {
                id: self.team_id,
                name: self.team_name,
            },
            attributes,
            created_at: from_ms(self.created_at),
            activity_count: u64::try_from(self.activity_count).unwrap_or(0),
        })
    }
}
