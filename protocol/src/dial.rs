//! Dialling: what counts as a number the desktop will call, and which campaigns an
//! agent may call with. One rule for the dial pad (checked as the agent types) and for
//! the server's MAKE_CALL (checked again, whoever sends it).

use serde::{Deserialize, Serialize};

/// A campaign's settings beyond its tree, stored with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignOptions {
    /// The teams whose contacts it may call (ids); empty: every team. An agent is
    /// offered a campaign only when it is open to one of their teams, and a call to a
    /// contact of another team is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<i64>,
    /// What the wrap-up form calls `d1` and `d2` (uContact's free fields), e.g.
    /// "Order number"; empty: `d1` / `d2`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub d1_label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub d2_label: String,
    /// The queue report's service-level threshold, seconds (unset:
    /// [`crate::report::DEFAULT_SERVICE_LEVEL_SECS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_secs: Option<u32>,
}

/// Longest service-level threshold a campaign may set (an hour).
pub const MAX_SERVICE_LEVEL_SECS: u32 = 3600;

/// Longest label of a `d1`/`d2` field.
pub const MAX_FIELD_LABEL: usize = 40;

impl CampaignOptions {
    /// May a call to a contact of `team_id` use this campaign?
    pub fn open_to(&self, team_id: i64) -> bool {
        self.teams.is_empty() || self.teams.contains(&team_id)
    }

    /// Is it open to any of these teams?
    pub fn open_to_any(&self, team_ids: &[i64]) -> bool {
        self.teams.is_empty() || team_ids.iter().any(|t| self.teams.contains(t))
    }

    /// Why these options cannot be saved, if they cannot.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        for (field, label) in [("d1_label", &self.d1_label), ("d2_label", &self.d2_label)] {
            if label.chars().count() > MAX_FIELD_LABEL {
                return Some((field, format!("at most {MAX_FIELD_LABEL} characters")));
            }
        }
        if self
            .service_level_secs
            .is_some_and(|s| !(1..=MAX_SERVICE_LEVEL_SECS).contains(&s))
        {
            return Some((
                "service_level_secs",
                format!("between 1 and {MAX_SERVICE_LEVEL_SECS} seconds"),
            ));
        }
        if self.teams.iter().any(|t| *t <= 0) {
            return Some(("teams", "team ids are positive numbers".into()));
        }
        None
    }
}

/// Fewest and most digits of a number the desktop dials: an internal extension has
/// three, E.164 allows fifteen.
pub const MIN_DIGITS: usize = 3;
pub const MAX_DIGITS: usize = 15;

/// Why `number` cannot be dialled, or `None` when it can: digits with the separators
/// people type (spaces, `-`, `.`, `/`, parentheses), an optional leading `+`, and
/// between [`MIN_DIGITS`] and [`MAX_DIGITS`] digits. Letters, a `+` inside the number
/// and anything else are refused, never silently dropped.
pub fn dial_problem(number: &str) -> Option<DialProblem> {
    let n = number.trim();
    if n.is_empty() {
        return Some(DialProblem::Empty);
    }
    if n.chars().count() > 40 {
        return Some(DialProblem::TooLong);
    }
    let body = n.strip_prefix('+').unwrap_or(n);
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '/' | '(' | ')'))
    {
        return Some(DialProblem::Characters);
    }
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if digits < MIN_DIGITS {
        return Some(DialProblem::TooShort);
    }
    if digits > MAX_DIGITS {
        return Some(DialProblem::TooLong);
    }
    None
}

/// Why a number cannot be dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialProblem {
    Empty,
    Characters,
    TooShort,
    TooLong,
}

impl DialProblem {
    /// The server's (English) explanation; the desktop shows its own translation.
    pub fn message(self) -> &'static str {
        match self {
            DialProblem::Empty => "a phone number is required",
            DialProblem::Characters => {
                "only digits, spaces, - . / ( ) and a leading + may be used in a phone number"
            }
            DialProblem::TooShort => "a phone number has at least 3 digits",
            DialProblem::TooLong => "a phone number has at most 15 digits",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_people_type_are_dialled() {
        for ok in [
            "092 675 571",
            "+598 92 675 571",
            "(02) 915-1234",
            "1001",
            "+59892675571",
            "2.915.12.34",
            " 099123456 ",
        ] {
            assert_eq!(dial_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        use DialProblem::*;
        for (bad, why) in [
            ("", Empty),
            ("   ", Empty),
            ("abc", Characters),
            ("099 12a 456", Characters),
            ("+598+92", Characters),
            ("099;123", Characters),
            ("tel:099123", Characters),
            ("12", TooShort),
            ("+1 (2)", TooShort),
            ("1234567890123456", TooLong),
            (&" 1".repeat(21), TooLong),
            ("٠٩٩١٢٣٤٥", Characters),
        ] {
            assert_eq!(dial_problem(bad), Some(why), "{bad:?}");
        }
    }

    #[test]
    fn campaigns_without_teams_are_open_to_all() {
        let open = CampaignOptions::default();
        assert!(open.open_to(7));
        assert!(open.open_to_any(&[]));
        let a = CampaignOptions {
            teams: vec![1],
            ..Default::default()
        };
        assert!(a.open_to(1));
        assert!(!a.open_to(2));
        assert!(a.open_to_any(&[2, 1]));
        assert!(!a.open_to_any(&[2, 3]));
        assert!(!a.open_to_any(&[]));
    }

    #[test]
    fn options_are_checked() {
        let long = CampaignOptions {
            d1_label: "x".repeat(41),
            ..Default::default()
        };
        assert_eq!(long.problem().map(|p| p.0), Some("d1_label"));
        let bad_team = CampaignOptions {
            teams: vec![0],
            ..Default::default()
        };
        assert_eq!(bad_team.problem().map(|p| p.0), Some("teams"));
        assert_eq!(CampaignOptions::default().problem(), None);
    }

    #[test]
    fn options_travel_inside_the_campaign() {
        let c: crate::Campaign = serde_json::from_str(
            r#"{"name":"Ventas->","teams":[2],"d1_label":"Pedido","dispositions":[]}"#,
        )
        .unwrap();
        assert_eq!(c.options.teams, vec![2]);
        assert_eq!(c.options.d1_label, "Pedido");
        let plain: crate::Campaign = serde_json::from_str(r#"{"name":"X"}"#).unwrap();
        assert_eq!(plain.options, CampaignOptions::default());
        assert!(!serde_json::to_string(&plain).unwrap().contains("teams"));
    }
}
