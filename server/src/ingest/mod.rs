//! Interactions in from every channel, through one write path.
//!
//! Each source (the ingest API, uContact's webhooks, ccrepo CSV imports) turns its input
//! into [`NewInteraction`]s here — the customer's link keys in priority order, the
//! activity, cleaned attributes — and the store writes interaction, contact, activity and
//! event in one transaction, idempotent by source key.

pub mod ccrepo;
pub mod deliveries;
pub mod dsn;
pub mod email;
pub mod imap;
pub mod imap_conn;
pub mod imap_url;
pub mod mailboxes;

use std::collections::BTreeMap;

use agentdesk_protocol::{
    ActivityDetail, Attributes, CustomerRef, MAX_RECORDING_URL, RECORDING_ATTRIBUTE,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::store::NewActivity;
use crate::store::ingest::{ContactSeed, LinkKey, NewInteraction};
use crate::text::normalize_phone;

/// uContact Insights keeps the first 128 characters of a value.
pub const MAX_ATTRIBUTE_CHARS: usize = 128;

/// A phone as the desktop keys it: E.164 when the number is valid (in the default
/// region, or international with `+`), else its digits — imported data is messy, and
/// the same messy number must still find the same contact.
pub fn phone_key(raw: &str, region: &str) -> Option<String> {
    let raw = raw.trim();
    if let Some(p) = normalize_phone(raw, region) {
        return Some(p);
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return None;
    }
    normalize_phone(&format!("+{digits}"), region).or(Some(digits))
}

/// An email address, trimmed, if it looks like one.
pub fn email_key(raw: &str) -> Option<String> {
    let e = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    let (local, domain) = e.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace))
        .then(|| e.to_owned())
}

/// The link keys, in the one priority order: external id, phone, email, then the
/// interaction's own from/to (`counterparts`: numbers or addresses).
pub fn link_keys(customer: &CustomerRef, counterparts: &[&str], region: &str) -> Vec<LinkKey> {
    let mut keys = Vec::new();
    if let Some(x) = customer
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|x| !x.is_empty())
    {
        keys.push(LinkKey::ExternalId(x.to_owned()));
    }
    if let Some(p) = customer.phone.as_deref().and_then(|p| phone_key(p, region)) {
        keys.push(LinkKey::Phone(p));
    }
    if let Some(e) = customer.email.as_deref().and_then(email_key) {
        keys.push(LinkKey::Email(e));
    }
    for c in counterparts {
        let k = match email_key(c) {
            Some(e) => Some(LinkKey::Email(e)),
            None => phone_key(c, region).map(LinkKey::Phone),
        };
        if let Some(k) = k
            && !keys.contains(&k)
        {
            keys.push(k);
        }
    }
    keys
}

/// The contact to create when nothing links: the customer's own data first, then the
/// first counterpart; named by the customer's name, else the address or number.
pub fn contact_seed(customer: &CustomerRef, keys: &[LinkKey], fallback_name: &str) -> ContactSeed {
    let phone = keys.iter().find_map(|k| match k {
        LinkKey::Phone(p) => Some(p.clone()),
        _ => None,
    });
    let email = keys.iter().find_map(|k| match k {
        LinkKey::Email(e) => Some(e.clone()),
        _ => None,
    });
    let external_id = keys.iter().find_map(|k| match k {
        LinkKey::ExternalId(x) => Some(x.clone()),
        _ => None,
    });
    let name = customer
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(200).collect())
        .or_else(|| (!fallback_name.trim().is_empty()).then(|| fallback_name.trim().to_owned()))
        .or_else(|| email.clone())
        .or_else(|| phone.clone())
        .unwrap_or_else(|| "Unknown".to_owned());
    ContactSeed {
        name,
        phone,
        email,
        external_id,
    }
}

/// A date-like value (`YYYY-MM-DD…`) and its year.
fn date_year(v: &str) -> Option<i32> {
    let head = v.get(..10)?;
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .ok()
        .map(|d| d.year())
}

/// Keep the known attributes of one scope: values as text cut to 128 characters; a
/// date must parse and fall in 1901–2049, a number must be one; others are dropped, and
/// so are blank conversation attributes (no value). NUL characters are removed.
pub fn clean_attributes(
    defs: &BTreeMap<String, (String, String)>,
    scope: &str,
    raw: &Attributes,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let Some((kind, s)) = defs.get(name) else {
            continue; // unknown attribute: ignored
        };
        if s != scope {
            continue;
        }
        let text = match value {
            serde_json::Value::String(s) => s.trim().to_owned(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        // NUL: no database text holds it.
        let text = text.replace('\0', "");
        // A blank conversation attribute says nothing (it does not clear one sent
        // before); a blank customer attribute clears the contact's.
        if text.is_empty() && scope == "conversation" {
            continue;
        }
        if name == RECORDING_ATTRIBUTE {
            // A recording's address is kept whole (a cut URL plays nothing), or not at all.
            if text.len() <= MAX_RECORDING_URL && agentdesk_protocol::origin_of(&text).is_some() {
                out.insert(name.clone(), text);
            }
        } else if value_fits(kind, &text) {
            out.insert(
                name.clone(),
                text.chars().take(MAX_ATTRIBUTE_CHARS).collect(),
            );
        }
    }
    out
}

/// Does a value fit its attribute's kind? A date must parse and fall in 1901–2049, a
/// number must be a finite one; text is anything.
fn value_fits(kind: &str, text: &str) -> bool {
    match kind {
        "date" => date_year(text).is_some_and(|y| (1901..=2049).contains(&y)),
        "number" => text.parse::<f64>().is_ok_and(f64::is_finite),
        _ => true,
    }
}

/// Why a contact's attributes, as an agent saves them, cannot be stored: one of another
/// scope, a value that does not fit its kind, or a name no admin defined — unless the
/// contact already had that very value (what an import kept before a definition
/// changed is not refused on the next edit). Where an import drops quietly, a person
/// is told.
pub fn contact_attributes_problem(
    defs: &BTreeMap<String, (String, String)>,
    attrs: &BTreeMap<String, String>,
    stored: &BTreeMap<String, String>,
) -> Option<String> {
    attrs.iter().find_map(|(name, value)| {
        if stored.get(name) == Some(value) {
            return None;
        }
        match defs.get(name).map(|(k, s)| (k.as_str(), s.as_str())) {
            None => Some(format!("`{name}`: not a defined attribute")),
            Some((_, scope)) if scope != "customer" => Some(format!(
                "`{name}`: belongs to conversations, not to contacts"
            )),
            Some(("date", _)) if !value_fits("date", value) => Some(format!(
                "`{name}`: a date (YYYY-MM-DD) between 1901 and 2049"
            )),
            Some(("number", _)) if !value_fits("number", value) => {
                Some(format!("`{name}`: a number"))
            }
            Some(_) => None,
        }
    })
}

/// What [`clean_attributes`] does not keep as sent, over both scopes; `None` when every
/// attribute was kept whole.
pub fn attributes_dropped(
    defs: &BTreeMap<String, (String, String)>,
    raw: &Attributes,
) -> Option<agentdesk_protocol::AttributesDropped> {
    let mut out = agentdesk_protocol::AttributesDropped::default();
    for (name, value) in raw {
        if !defs.contains_key(name) {
            out.unknown += 1;
            continue;
        }
        // No value (null, blank) is not a value refused.
        if value.is_null() || value.as_str().is_some_and(|v| v.trim().is_empty()) {
            continue;
        }
        let kept = ["conversation", "customer"].iter().find_map(|scope| {
            clean_attributes(
                defs,
                scope,
                &Attributes::from([(name.clone(), value.clone())]),
            )
            .remove(name)
        });
        match (kept, value) {
            (None, _) => out.invalid += 1,
            (Some(k), serde_json::Value::String(v))
                if k.chars().count() < v.trim().chars().count() =>
            {
                out.cut += 1
            }
            _ => {}
        }
    }
    (out != agentdesk_protocol::AttributesDropped::default()).then_some(out)
}

/// Everything an ingest needs besides its detail.
pub struct Parts<'a> {
    pub source: &'static str,
    pub source_key: String,
    pub team_id: i64,
    pub customer: &'a CustomerRef,
    pub counterparts: Vec<&'a str>,
    pub fallback_name: &'a str,
    pub conversation_id: Option<String>,
    pub attributes: &'a Attributes,
    pub defs: &'a BTreeMap<String, (String, String)>,
    pub region: &'a str,
    pub user_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
}

impl Parts<'_> {
    pub fn build(
        self,
        detail: ActivityDetail,
        email: Option<crate::store::NewEmail>,
    ) -> NewInteraction {
        let link = link_keys(self.customer, &self.counterparts, self.region);
        let seed = contact_seed(self.customer, &link, self.fallback_name);
        NewInteraction {
            source: self.source,
            source_key: self.source_key.clone(),
            team_id: self.team_id,
            link,
            seed,
            conversation_id: self
                .conversation_id
                .map(|c| c.trim().chars().take(200).collect::<String>())
                .filter(|c| !c.is_empty()),
            conversation_attributes: clean_attributes(self.defs, "conversation", self.attributes),
            customer_attributes: clean_attributes(self.defs, "customer", self.attributes),
            attributes_dropped: attributes_dropped(self.defs, self.attributes),
            activity: NewActivity {
                team_id: self.team_id,
                contact_id: 0,
                user_id: self.user_id,
                model_id: self.source_key,
                detail,
                email,
                occurred_at: self.occurred_at,
            },
        }
    }
}

/// A date-time as uContact writes it — in its server's local time `tz`, with a space or
/// a `T`, with or without fractional seconds (`2026-03-02 08:05:32.0`, as SQL clients
/// export them) — or RFC 3339 with its own offset. A local time that does not exist
/// (skipped by a DST change) or cannot be read is an error naming the value: filing it
/// at some other time would put it on the wrong day without anyone noticing. Of a
/// repeated local hour (DST ends) the first is taken.
pub fn ucontact_time(tz: &chrono_tz::Tz, s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::TimeZone;
    let s = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&chrono::Utc));
    }
    let naive = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| format!("unreadable date-time {s:?}"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&chrono::Utc))
        .ok_or_else(|| format!("date-time {s:?} does not exist in {tz}"))
}

/// Record, in the audit log and the server's log, every linking conflict `results` carry
/// (an interaction whose external id contradicts its contact's: see
/// [`crate::store::ingest::learn`]). `source`: where they came from (`ingest`, `webhook`,
/// `import`, `mailbox`). A failure to audit is logged, never the ingest's failure.
pub async fn report_conflicts(
    store: &crate::store::DynStore,
    results: &[agentdesk_protocol::IngestResult],
    source: &'static str,
) {
    for r in results {
        let Some(conflict) = &r.link_conflict else {
            continue;
        };
        tracing::warn!(source, contact_id = r.contact_id, %conflict, "linking conflict");
        let entry = crate::store::AuditEntry {
            user_id: None,
            username: None,
            action: "contact.link_conflict",
            target: Some(format!("{source}: {conflict}")),
            ip: None,
        };
        if let Err(e) = store.audit(entry).await {
            tracing::warn!(error = %e, "could not audit a linking conflict");
        }
    }
}

/// When `raw` is a delivery-status report of a failure of one of team `team_id`'s own
/// messages, mark that message failed (its activity and contact ids): the report is
/// then no customer mail. `None`: an ordinary message, ingested as such.
pub async fn take_bounce(
    store: &crate::store::DynStore,
    events: &crate::events::EventHub,
    team_id: i64,
    raw: &[u8],
) -> crate::store::StoreResult<Option<(i64, i64)>> {
    let Some(b) = dsn::bounce(raw) else {
        return Ok(None);
    };
    let Some((activity_id, contact_id, stored)) = store.bounce_outbound(team_id, &b).await? else {
        return Ok(None);
    };
    events.publish(stored);
    tracing::info!(activity = activity_id, "a sent e-mail bounced");
    Ok(Some((activity_id, contact_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_keys_follow_the_priority_and_skip_what_is_not_usable() {
        let c = CustomerRef {
            external_id: Some(" CRM-7 ".into()),
            phone: Some("099 123 456".into()),
            email: Some("Ana@Example.com".into()),
            name: None,
        };
        let keys = link_keys(&c, &["ana@example.com", "<otra@example.com>", "hola"], "UY");
        assert_eq!(
            keys,
            vec![
                LinkKey::ExternalId("CRM-7".into()),
                LinkKey::Phone("+59899123456".into()),
                LinkKey::Email("Ana@Example.com".into()),
                LinkKey::Email("ana@example.com".into()),
                LinkKey::Email("otra@example.com".into()),
            ]
        );
        assert!(link_keys(&CustomerRef::default(), &[], "UY").is_empty());
    }

    #[test]
    fn messy_numbers_still_key_the_same_way() {
        assert_eq!(
            phone_key("8180219935", "UY"),
            phone_key(" 818-021-9935 ", "UY")
        );
        assert_eq!(phone_key("12", "UY"), None);
    }

    #[test]
    fn attributes_are_cut_checked_and_unknown_ones_ignored() {
        let defs: BTreeMap<String, (String, String)> = [
            ("plan", "text", "customer"),
            ("birth_date", "date", "customer"),
            ("amount", "number", "conversation"),
        ]
        .into_iter()
        .map(|(n, k, s)| (n.to_string(), (k.to_string(), s.to_string())))
        .collect();
        let raw: Attributes = serde_json::from_value(serde_json::json!({
            "plan": "x".repeat(300),
            "birth_date": "1900-12-31",
            "amount": 12.5,
            "unknown": "ignored"
        }))
        .unwrap();
        let customer = clean_attributes(&defs, "customer", &raw);
        assert_eq!(customer["plan"].chars().count(), 128);
        assert!(!customer.contains_key("birth_date"), "1900 is out of range");
        assert!(!customer.contains_key("unknown"));
        let conv = clean_attributes(&defs, "conversation", &raw);
        assert_eq!(conv["amount"], "12.5");
        for (d, ok) in [
            ("1901-01-01", true),
            ("2049-12-31T23:59:59Z", true),
            ("2050-01-01", false),
            ("soon", false),
        ] {
            let raw: Attributes =
                serde_json::from_value(serde_json::json!({"birth_date": d})).unwrap();
            assert_eq!(
                clean_attributes(&defs, "customer", &raw).contains_key("birth_date"),
                ok,
                "{d}"
            );
        }
    }
}
