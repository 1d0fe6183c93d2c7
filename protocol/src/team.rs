//! Teams, users, roles and the caller's own profile.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a user may do. Agents see their teams' contacts; supervisors also see their
/// teams' members and reports; admins administer users, teams and settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "agent" => Ok(Role::Agent),
            "supervisor" => Ok(Role::Supervisor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}` (agent, supervisor or admin)"
            )),
        }
    }
}

/// The UI languages. Spanish first: most of our users speak it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    #[default]
    Es,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Es, Locale::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Es => "es",
            Locale::En => "en",
        }
    }

    /// The BCP 47 tag used for date and number formatting.
    pub fn bcp47(self) -> &'static str {
        match self {
            Locale::Es => "es-ES",
            Locale::En => "en-GB",
        }
    }
}

impl FromStr for Locale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "es" => Ok(Locale::Es),
            "en" => Ok(Locale::En),
            other => Err(format!("unknown locale `{other}` (es or en)")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamRef {
    pub id: i64,
    pub name: String,
}

/// A user as others see them (author of an activity, member of a team).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub id: i64,
    pub display_name: String,
}

/// The signed-in user, as `GET /api/v1/me` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// May read the content (subject, sender, body) of email activities.
    pub can_email: bool,
    pub locale: Locale,
    /// IANA time zone name, e.g. `America/Montevideo`.
    pub time_zone: String,
    /// The agent's user name in uContact, when linked.
    pub ucontact_agent: Option<String>,
    /// Where e-mail notifications (follow-ups) reach the user.
    #[serde(default)]
    pub email: Option<String>,
    pub teams: Vec<TeamRef>,
    /// May delete activities (the server's delete-roles setting), so the desktop offers
    /// the action only to those it will not refuse.
    #[serde(default)]
    pub can_delete: bool,
    /// Added under the e-mail the user writes (`""`: none).
    #[serde(default)]
    pub signature: String,
    /// An admin set a temporary password: the user must choose their own
    /// (`POST /api/v1/me/password`) before the server answers anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

/// `PATCH /api/v1/me`: the preferences a user may change themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    #[serde(default)]
    pub locale: Option<Locale>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The user's e-mail address for notifications; `""` removes it.
    #[serde(default)]
    pub email: Option<String>,
    /// The signature under the user's e-mail ([`MAX_SIGNATURE_CHARS`]); `""` removes it.
    #[serde(default)]
    pub signature: Option<String>,
}

/// The longest e-mail signature, in characters.
pub const MAX_SIGNATURE_CHARS: usize = 2_000;

/// Why a signature cannot be kept, if it cannot.
pub fn signature_problem(s: &str) -> Option<&'static str> {
    if s.chars().count() > MAX_SIGNATURE_CHARS {
        Some("at most 2,000 characters")
    } else if s.contains('\0') {
        Some("contains a NUL character")
    } else {
        None
    }
}

/// A user as an administrator or supervisor sees them in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub can_email: bool,
    pub teams: Vec<TeamRef>,
    /// `false`: deactivated by an admin (cannot sign in).
    pub active: bool,
    pub locale: Locale,
    pub time_zone: String,
    /// The agent's user name in uContact, when linked.
    #[serde(default)]
    pub ucontact_agent: Option<String>,
    /// Where e-mail notifications reach the user.
    #[serde(default)]
    pub email: Option<String>,
    /// Must choose a new password at the next sign-in (an admin reset it).
    #[serde(default)]
    pub must_change_password: bool,
    /// Sign-in is held back for failed attempts (from some address, within the window);
    /// an admin can unlock it (`POST /api/v1/users/{id}/unlock`).
    #[serde(default)]
    pub locked: bool,
}

/// `GET /api/v1/users` filters, each optional: `q` in the name or username (any case),
/// the role, a team's members, active or deactivated; `offset` and `limit` (1–
/// [`USERS_PAGE_MAX`]; absent: every match) page the answer, whose `x-total-count`
/// header says how many match. The one rule for the server and the admin's list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UsersQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The most users one page of `GET /api/v1/users` holds.
pub const USERS_PAGE_MAX: u32 = 1_000;

impl UsersQuery {
    /// Whether `u` is one the filters keep.
    pub fn keeps(&self, u: &UserSummary) -> bool {
        let q = self.q.as_deref().unwrap_or("").trim().to_lowercase();
        (q.is_empty()
            || u.display_name.to_lowercase().contains(&q)
            || u.username.to_lowercase().contains(&q))
            && self.role.is_none_or(|r| u.role == r)
            && self.team.is_none_or(|t| u.teams.iter().any(|x| x.id == t))
            && self.active.is_none_or(|a| u.active == a)
    }
}

/// `PATCH /api/v1/users/{id}` (admins only): what changes; an absent field stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// The user's teams, all of them (replaces the list).
    #[serde(default)]
    pub teams: Option<Vec<i64>>,
    #[serde(default)]
    pub can_email: Option<bool>,
    #[serde(default)]
    pub locale: Option<Locale>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `false` deactivates: the user cannot sign in, and their sessions and live
    /// streams end at once. `true` lets them sign in again.
    #[serde(default)]
    pub active: Option<bool>,
    /// The agent's user name in uContact; `""` unlinks.
    #[serde(default)]
    pub ucontact_agent: Option<String>,
    /// The user's e-mail address for notifications; `""` removes it.
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST /api/v1/users` (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub can_email: bool,
    #[serde(default)]
    pub locale: Locale,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub ucontact_agent: Option<String>,
    /// Where e-mail notifications (follow-ups) reach the user.
    #[serde(default)]
    pub email: Option<String>,
    /// Team ids the user joins.
    #[serde(default)]
    pub teams: Vec<i64>,
    /// The password given is a temporary one: the user chooses their own at their first
    /// sign-in, before anything else (as after an admin's reset).
    #[serde(default)]
    pub must_change_password: bool,
}

/// A team as the admins' teams screen lists it (`GET /api/v1/teams/summary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamSummary {
    pub id: i64,
    pub name: String,
    /// Archived: its history stays readable; nobody new joins it, its integrations'
    /// deliveries are refused.
    pub archived: bool,
    pub members: u64,
    pub contacts: u64,
}

/// `PATCH /api/v1/teams/{id}` (admins only): what changes; an absent field stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateTeam {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
}

/// `POST /api/v1/teams` (admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    pub name: String,
}

/// `GET /api/v1/audit` and `/api/v1/audit.csv` (admins only): which records, newest
/// first. Every filter is optional: `user` the acting user's id, `action` a prefix of
/// the action (`user` finds `user_created`, `user_updated`…), `target` exactly
/// (`user:12`), `from`/`to` inclusive dates in the viewer's time zone; `before` an id
/// (the last of the previous page) and `limit` (1–[`AUDIT_PAGE_MAX`], default
/// [`AUDIT_PAGE_DEFAULT`]) page the JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

pub const AUDIT_PAGE_DEFAULT: u32 = 200;
pub const AUDIT_PAGE_MAX: u32 = 1_000;
/// The most records one CSV export holds; a range with more is refused (narrow it).
pub const AUDIT_CSV_MAX: u32 = 100_000;

/// One line of the audit log (`GET /api/v1/audit`, admins only): who did what, when,
/// from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub user_id: Option<i64>,
    /// Who acted: the user's username, or the one typed at a failed sign-in.
    pub username: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
}
