//! Storage side of the one write path: an interaction row, its contact (linked or
//! created), its timeline activity and its real-time event, in one transaction,
//! idempotent by (source, source key).

use std::collections::BTreeMap;

use agentdesk_protocol::{ActivityDetail, IngestResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{NewActivity, StoreResult, StoredEvent};

/// One way of finding the customer, tried in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKey {
    ExternalId(String),
    /// E.164.
    Phone(String),
    /// Compared without ASCII case (as SQLite's NOCASE: both backends alike).
    Email(String),
}

/// The contact to create when no key finds one.
#[derive(Debug, Clone, Default)]
pub struct ContactSeed {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
}

/// A linked contact's keys, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownKeys {
    pub external_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// What a contact learns from an interaction linked to it: the keys it lacked (so the
/// next interaction carrying only one of them finds it), and, when the interaction's
/// external id contradicts the contact's, that conflict instead of the external id
/// (linking never overwrites a key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Learned {
    pub external_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub conflict: Option<String>,
}

impl Learned {
    pub fn anything(&self) -> bool {
        self.external_id.is_some() || self.phone.is_some() || self.email.is_some()
    }
}

/// Which of the interaction's keys another contact of the team already has: those are
/// not learnt (two contacts answering to one key would make linking a coin toss).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Taken {
    pub external_id: bool,
    pub phone: bool,
    pub email: bool,
}

/// The one learning rule (both backends apply its result).
pub fn learn(contact_id: i64, known: &KnownKeys, seed: &ContactSeed, taken: Taken) -> Learned {
    let mut out = Learned::default();
    match (&known.external_id, &seed.external_id) {
        (None, Some(new)) if !taken.external_id => out.external_id = Some(new.clone()),
        (Some(old), Some(new)) if old != new => {
            out.conflict = Some(format!(
                "contact {contact_id} has external id {old:?}, the interaction says {new:?}: \
                 linked by another key, the external id was not changed"
            ));
        }
        _ => {}
    }
    if known.phone.is_none() && !taken.phone {
        out.phone = seed.phone.clone();
    }
    if known.email.is_none() && !taken.email {
        out.email = seed.email.clone();
    }
    out
}

#[derive(Debug, Clone)]
pub struct NewInteraction {
    /// `email`, `chat`, `ticket`, `sms`, `call`.
    pub source: &'static str,
    pub source_key: String,
    pub team_id: i64,
    pub link: Vec<LinkKey>,
    pub seed: ContactSeed,
    pub conversation_id: Option<String>,
    /// Already cleaned by the ingest layer (known attributes of their scope only).
    pub conversation_attributes: BTreeMap<String, String>,
    pub customer_attributes: BTreeMap<String, String>,
    /// `team_id` and `contact_id` are filled in by the store.
    pub activity: NewActivity,
    /// What the attribute rules did not keep as sent (reported in the answer).
    pub attributes_dropped: Option<agentdesk_protocol::AttributesDropped>,
}

/// How a later part (a chat message, a call's disposition) changes its interaction's
/// activity: given the detail and when it started, the new detail (`None`: unchanged).
pub type Merge<'a> =
    &'a (dyn Fn(&ActivityDetail, DateTime<Utc>) -> Option<ActivityDetail> + Send + Sync);

/// One uContact `queue_log_repo` row to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueLogRow {
    pub origid: Option<String>,
    pub datetime: DateTime<Utc>,
    pub callid: String,
    pub queuename: String,
    pub agent: String,
    pub event: String,
    pub data: [String; 5],
    /// Digest of the row's content: the same row imported twice for a team is stored
    /// once.
    pub row_key: String,
    /// The team the file was imported for.
    pub team_id: i64,
}

/// Rows per INSERT statement of a queue_log import: 13 values each stays far below
/// either backend's limit of bound values, and one statement per few hundred rows
/// instead of one per row is what makes an import fast.
pub(crate) const QUEUE_LOG_ROWS_PER_INSERT: usize = 250;

/// The INSERT for `rows` queue_log rows. `numbered`: `$N` placeholders (PostgreSQL);
/// else `?` (SQLite, where the driver looks every `$N` name up again for each value it
/// binds, which took 72 % of an import's time). Rows already imported for the team are
/// skipped by the unique `(team_id, row_key)` index; `rows_affected` counts the new ones.
pub(crate) fn queue_log_insert_sql(rows: usize, numbered: bool) -> String {
    const COLUMNS: usize = 13;
    let mut sql = String::from(
        "INSERT INTO queue_log (origid, datetime, callid, queuename, agent, event, data1, data2, \
         data3, data4, data5, row_key, team_id) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..COLUMNS {
            if c > 0 {
                sql.push(',');
            }
            if numbered {
                sql.push_str(&format!("${}", r * COLUMNS + c + 1));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    sql
}

/// What an ingest checks before it writes (each backend reads it its own way): whether
/// the interaction is known (`seen`: its activity, if any, and contact), the first
/// activity of its conversation (activity, contact), and the contact of the first link
/// key that finds one.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    pub seen: Option<(Option<i64>, i64)>,
    pub conversation: Option<(i64, i64)>,
    pub contact: Option<i64>,
}

#[async_trait]
pub trait IngestStore: Send + Sync {
    /// Store interactions (one transaction). A known (source, key) is a duplicate and
    /// changes nothing; a known conversation id attaches to that conversation's activity.
    async fn ingest(
        &self,
        items: &[NewInteraction],
        publish: bool,
    ) -> StoreResult<(Vec<IngestResult>, Vec<StoredEvent>)>;

    /// Store a part of an earlier interaction (`parent_source`, `parent_key`), once per
    /// (`source`, `key`), merging it into the parent's activity. `None`: no such parent.
    #[allow(clippy::too_many_arguments)]
    async fn ingest_part(
        &self,
        team_id: Option<i64>,
        source: &'static str,
        key: &str,
        parent_source: &'static str,
        parent_key: &str,
        merge: Merge<'_>,
    ) -> StoreResult<Option<(IngestResult, Vec<StoredEvent>)>>;

    /// Add conversation attributes to `team_id`'s stored interaction (`source`, `key`):
    /// `None` when there is none; else whether anything changed, and its events.
    async fn add_interaction_attributes(
        &self,
        team_id: i64,
        source: &str,
        key: &str,
        attributes: &BTreeMap<String, String>,
    ) -> StoreResult<Option<(bool, Vec<StoredEvent>)>>;

    /// Import queue-log rows; returns (stored, duplicates).
    async fn import_queue_log(&self, rows: &[QueueLogRow]) -> StoreResult<(u64, u64)>;
}

/// Segments of one conversation: merge a later segment into the first one's activity.
pub(crate) fn merge_segment(
    first: &ActivityDetail,
    next: &ActivityDetail,
) -> Option<ActivityDetail> {
    match (first, next) {
        (
            ActivityDetail::Call {
                direction,
                number,
                campaign,
                duration_secs,
                disposition,
                outcome,
            },
            ActivityDetail::Call {
                duration_secs: more,
                disposition: later,
                outcome: later_outcome,
                ..
            },
        ) => Some(ActivityDetail::Call {
            direction: *direction,
            number: number.clone(),
            campaign: campaign.clone(),
            duration_secs: duration_secs.saturating_add(*more),
            disposition: later.clone().or_else(|| disposition.clone()),
            outcome: later_outcome.or(*outcome),
        }),
        (
            ActivityDetail::Chat {
                session_id,
                first_message,
                duration_secs,
                message_count,
            },
            ActivityDetail::Chat {
                duration_secs: more,
                message_count: n,
                ..
            },
        ) => Some(ActivityDetail::Chat {
            session_id: session_id.clone(),
            first_message: first_message.clone(),
            duration_secs: duration_secs.saturating_add(*more),
            message_count: message_count.saturating_add(*n),
        }),
        _ => None,
    }
}

/// The lock key of an interaction (`source`, `source_key`); a call's is also taken by
/// the desktop's own call of that guid (`calls`).
pub fn interaction_lock_key(source: &str, key: &str) -> String {
    format!("interaction {source} {key}")
}

/// The lock key of the contacts that `k` finds in a team: taken by whatever looks a
/// contact up by it and creates one when none is found (ingest, the desktop's call to a
/// number).
pub fn contact_lock_key(team_id: i64, k: &LinkKey) -> String {
    match k {
        LinkKey::ExternalId(v) => format!("contact {team_id} external {v}"),
        LinkKey::Phone(v) => format!("contact {team_id} phone {v}"),
        LinkKey::Email(v) => format!("contact {team_id} email {}", v.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod learn_tests {
    use super::*;

    #[test]
    fn a_contact_learns_the_keys_it_lacks_and_never_overwrites_one() {
        let seed = ContactSeed {
            name: "x".into(),
            phone: Some("+59899000111".into()),
            email: Some("a@example.com".into()),
            external_id: Some("CRM-1".into()),
        };
        let l = learn(7, &KnownKeys::default(), &seed, Taken::default());
        assert_eq!(
            (
                l.external_id.as_deref(),
                l.phone.as_deref(),
                l.email.as_deref(),
                l.conflict
            ),
            (
                Some("CRM-1"),
                Some("+59899000111"),
                Some("a@example.com"),
                None
            )
        );
        let full = KnownKeys {
            external_id: Some("CRM-1".into()),
            phone: Some("+59899000222".into()),
            email: Some("b@example.com".into()),
        };
        assert!(!learn(7, &full, &seed, Taken::default()).anything());
        // Keys another contact of the team has are not learnt.
        let all_taken = Taken {
            external_id: true,
            phone: true,
            email: true,
        };
        assert!(!learn(7, &KnownKeys::default(), &seed, all_taken).anything());
        let other = KnownKeys {
            external_id: Some("CRM-9".into()),
            ..KnownKeys::default()
        };
        let l = learn(7, &other, &seed, Taken::default());
        assert_eq!(l.external_id, None);
        assert!(l.conflict.unwrap().contains("CRM-9"));
        assert_eq!(l.phone.as_deref(), Some("+59899000111"));
    }
}
