//! uContact's settings as admins manage them (`/api/v1/ucontact/…`): the webhook and
//! launch-link secrets (rotated, shown once, never read back) and the REST API's address
//! and sign-in (the password write-only). A setting made here wins over the server's
//! environment; the answer says where each one comes from.

use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests {
    #[test]
    fn a_recording_address_is_its_template_with_the_call_s_guid_and_day() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(
            super::recording_url(
                "https://rec.example.com/{yyyy}/{mm}/{dd}/{guid}.mp3?d={date}",
                "1700.5",
                day
            ),
            "https://rec.example.com/2026/03/02/1700.5.mp3?d=2026-03-02"
        );
        // A hostile guid adds no path, query or fragment.
        assert_eq!(
            super::recording_url("https://r.example/{guid}.wav", "../a?b#c d", day),
            "https://r.example/..%2Fa%3Fb%23c%20d.wav"
        );
        assert_eq!(
            super::recording_url("https://r.example/x/{guid}", "..", day),
            "https://r.example/x/%2E%2E"
        );
    }
}

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
    /// The address of a uContact call's recording, a template ([`recording_url`]);
    /// `None`: uContact's calls get no recording link.
    #[serde(default)]
    pub recording_url: Option<String>,
}

/// `PUT /api/v1/ucontact/recording` (admins): the recording address template; absent or
/// empty: none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UcontactRecordingInput {
    #[serde(default)]
    pub url: Option<String>,
}

/// The placeholder a recording template must hold: the call's guid.
pub const RECORDING_GUID: &str = "{guid}";

/// A uContact call's recording address from the admin's `template`: `{guid}` is the
/// call's guid (percent-encoded: it may not add a path or a query), `{date}` its day
/// (`YYYY-MM-DD`, in uContact's time zone), `{yyyy}`, `{mm}`, `{dd}` the parts of it.
pub fn recording_url(template: &str, guid: &str, day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    // `.` and `..` alone would be a path's dot-segments: encoded too.
    let dots = guid == "." || guid == "..";
    let encoded: String = guid
        .bytes()
        .map(|b| match b {
            b'.' if dots => "%2E".to_owned(),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    template
        .replace(RECORDING_GUID, &encoded)
        .replace("{date}", &day.format("%Y-%m-%d").to_string())
        .replace("{yyyy}", &format!("{:04}", day.year()))
        .replace("{mm}", &format!("{:02}", day.month()))
        .replace("{dd}", &format!("{:02}", day.day()))
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
