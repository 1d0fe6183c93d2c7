//! uContact's settings as admins manage them (`/api/v1/ucontact/…`): the webhook and
//! launch-link secrets (rotated, shown once, never read back) and the REST API's address
//! and sign-in (the password write-only). A setting made here wins over the server's
//! environment; the answer says where each one comes from.

use serde::{Deserialize, Serialize};

/// Where a setting's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SettingSource {
    /// Set in the console (stored in the database).
    Console,
    /// From the server's environment (set at start-up).
    Environment,
    /// Not set anywhere.
    Unset,
}

/// A secret's state, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretState {
    pub source: SettingSource,
    /// When it was last rotated in the console.
    #[serde(default)]
    pub rotated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `GET /api/v1/ucontact/settings` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UcontactSettings {
    /// `X-Webhook-Secret` (or the HMAC key) uContact's webhooks must carry.
    pub webhook_secret: SecretState,
    /// The key of signed launch links (`?…&ts=&sig=`); unset: links are not checked.
    pub launch_secret: SecretState,
    /// uContact's base URL for dispositions sent to its REST API; `None`: nothing sent.
    pub api_url: Option<String>,
    pub api_user: String,
    /// Whether a password is set (it is never returned).
    pub api_password_set: bool,
    /// Where the API settings come from (all three together).
    pub api_source: SettingSource,
}

/// `PUT /api/v1/ucontact/api` (admins): the REST API's address and sign-in. `url` absent
/// or empty: disposition sync off. `password` absent: kept; `""`: none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UcontactApiInput {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub password: Option<String>,
}

/// A newly rotated secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotatedSecret {
    pub secret: String,
}
