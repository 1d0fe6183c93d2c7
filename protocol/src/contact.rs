//! Contacts: the people agents talk to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TeamRef;

/// A contact in a list (search results).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactList {
    pub items: Vec<ContactSummary>,
    /// Cursor for the next page; absent on the last one.
    pub next: Option<String>,
}

/// A contact's full record, for the contact detail page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Number of interactions on the contact's timeline visible to the caller
    /// (automated activities, such as follow-up notifications, are not counted).
    pub activity_count: u64,
}

/// `POST /api/v1/contacts` and `PUT /api/v1/contacts/{id}`: a contact as an agent types
/// it. Empty strings mean "none". The server normalises the phone to E.164 with its
/// default region; a contact never moves between teams (`team_id` on create only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactInput {
    /// The team it belongs to; required only from a user in several teams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub external_id: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// Longest contact name, external id, attribute value; most attributes per contact.
pub const MAX_CONTACT_NAME: usize = 200;
pub const MAX_EXTERNAL_ID: usize = 100;
pub const MAX_ATTRIBUTE_VALUE: usize = 128;
pub const MAX_ATTRIBUTES: usize = 50;

impl ContactInput {
    /// The first field that cannot be saved and why (the same rule in the form and on
    /// the server).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        self.problem_for(None)
    }

    /// Does this correction send the contact's stored phone back unchanged?
    pub fn keeps_phone(&self, stored_phone: Option<&str>) -> bool {
        stored_phone.is_some_and(|p| p.trim() == self.phone.trim())
    }

    /// As [`Self::problem`], for a correction of a contact whose phone is `stored_phone`:
    /// that phone sent back unchanged is not checked again (an import may have kept one
    /// that is not dialable as typed), so the rest of the contact can still be corrected.
    pub fn problem_for(&self, stored_phone: Option<&str>) -> Option<(&'static str, String)> {
        let name = self.name.trim();
        if name.is_empty() {
            return Some(("name", "a name is required".into()));
        }
        if name.chars().count() > MAX_CONTACT_NAME || name.chars().any(char::is_control) {
            return Some((
                "name",
                format!("at most {MAX_CONTACT_NAME} characters, on one line"),
            ));
        }
        if !self.phone.trim().is_empty()
            && !self.keeps_phone(stored_phone)
            && let Some(p) = crate::dial::dial_problem(&self.phone)
        {
            return Some(("phone", p.message().into()));
        }
        if !self.email.trim().is_empty() && !plausible_email(self.email.trim()) {
            return Some(("email", "not an e-mail address".into()));
        }
        let ext = self.external_id.trim();
        if ext.chars().count() > MAX_EXTERNAL_ID || ext.chars().any(char::is_control) {
            return Some((
                "external_id",
                format!("at most {MAX_EXTERNAL_ID} characters, on one line"),
            ));
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return Some(("attributes", format!("at most {MAX_ATTRIBUTES}")));
        }
        for (k, v) in &self.attributes {
            let key_ok = !k.is_empty()
                && k.len() <= 64
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                return Some((
                    "attributes",
                    format!("`{k}`: names are a-z, 0-9 and _ (at most 64)"),
                ));
            }
            if v.chars().count() > MAX_ATTRIBUTE_VALUE || v.chars().any(char::is_control) {
                return Some((
                    "attributes",
                    format!("`{k}`: at most {MAX_ATTRIBUTE_VALUE} characters, on one line"),
                ));
            }
        }
        None
    }
}

/// One `@` between a non-empty local part and a dotted domain, no spaces, at most 254
/// characters: enough to catch typing mistakes without refusing real addresses.
pub fn plausible_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    e.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str) -> ContactInput {
        ContactInput {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_contact_needs_a_name_and_plausible_fields() {
        assert_eq!(input("Lucía").problem(), None);
        let full = ContactInput {
            phone: "092 675 571".into(),
            email: "lucia@example.com.uy".into(),
            external_id: "CRM-1".into(),
            attributes: [("plan".to_string(), "gold".to_string())].into(),
            ..input("Lucía Fernández")
        };
        assert_eq!(full.problem(), None);
        for (bad, field) in [
            (input("  "), "name"),
            (input(&"x".repeat(201)), "name"),
            (input("a\nb"), "name"),
            (
                ContactInput {
                    phone: "12a".into(),
                    ..input("a")
                },
                "phone",
            ),
            (
                ContactInput {
                    email: "lucia".into(),
                    ..input("a")
                },
                "email",
            ),
            (
                ContactInput {
                    email: "a@b".into(),
                    ..input("a")
                },
                "email",
            ),
            (
                ContactInput {
                    email: "a b@c.d".into(),
                    ..input("a")
                },
                "email",
            ),
            (
                ContactInput {
                    email: "a@@c.d".into(),
                    ..input("a")
                },
                "email",
            ),
            (
                ContactInput {
                    external_id: "x".repeat(101),
                    ..input("a")
                },
                "external_id",
            ),
            (
                ContactInput {
                    attributes: [("Plan".to_string(), "x".to_string())].into(),
                    ..input("a")
                },
                "attributes",
            ),
            (
                ContactInput {
                    attributes: [("plan".to_string(), "x".repeat(129))].into(),
                    ..input("a")
                },
                "attributes",
            ),
        ] {
            assert_eq!(bad.problem().map(|p| p.0), Some(field), "{bad:?}");
        }
    }
}
