//! Contacts: the people agents talk to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TeamRef;

/// A contact in a list (search results).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSummary {
    pub id: i64,
    pub name: String,
    /// E.164, e.g. `+59899123456`.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub team: TeamRef,
    /// When the newest activity happened, if any.
    pub last_activity_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `GET /api/v1/contacts?q=&limit=&after=` — search by name, phone or email.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `next`.
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactList {
    pub items: Vec<ContactSummary>,
    /// Cursor for the next page; absent on the last one.
    pub next: Option<String>,
}

/// A contact's full record, for the contact detail page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub team: TeamRef,
    /// Customer attributes (category, organization…), text values of at most 128 characters.
    pub attributes: BTreeMap<String, String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Number of activities on the contact's timeline visible to the caller.
    pub activity_count: u64,
}
