//! Automated follow-ups' storage: the rules (spec as JSON, secrets included), each
//! record's state by (follow-up, reconciliation id), the runs, and users' notification
//! centres. One implementation for both backends (`store/shared/followups.rs`).
//!
//! The guarantees the engine rests on: a follow-up is polled by one instance at a time
//! (a lease claimed by a conditional `UPDATE`, which PostgreSQL's row lock serialises);
//! a run's outcome is written in one transaction, and only while its lease is still
//! held; each attempt moves a record's count from n−1 to n conditionally, so a
//! notification is written at most once per attempt whatever runs concurrently.

use std::collections::BTreeMap;

use agentdesk_protocol::followup::{Card, Delivery, FollowUpRun, FollowUpSpec};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::ingest::LinkKey;
use super::{StoreResult, StoredEvent};

/// A follow-up as stored.
#[derive(Debug, Clone)]
pub struct StoredFollowUp {
    pub id: i64,
    /// With its secrets.
    pub spec: FollowUpSpec,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A record's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub open: bool,
    pub attempts: u32,
    pub last_sent_at: Option<DateTime<Utc>>,
}

/// One notification to write: attempt `attempt` about record `key`.
#[derive(Debug, Clone)]
pub struct Notify {
    pub key: String,
    pub attempt: u32,
    pub users: Vec<i64>,
    /// The recipients as named (usernames, team names), for the timeline.
    pub recipients: Vec<String>,
    pub text: String,
    pub card: Option<Card>,
    /// The record's values, kept with the notification when the card's buttons may
    /// call actions with them.
    pub values: Option<BTreeMap<String, String>>,
    pub delivery: Delivery,
    /// E-mail addresses to write to after the run is stored.
    pub mail: Vec<String>,
    /// (team, contact) the record links to.
    pub contact: Option<(i64, i64)>,
}

/// How a recipient can be reached ([`FollowUpStore::reachability`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    pub email: Option<String>,
    pub online: bool,
}

/// What one poll decided.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub found: u32,
    /// Records to (re)open: new, or back after being resolved.
    pub opened: Vec<String>,
    pub notify: Vec<Notify>,
    /// Open records the poll no longer returned.
    pub resolved: Vec<String>,
    pub errors: Vec<String>,
    /// Whether the poll got its records (a failed one leaves every record as it was).
    pub polled: bool,
}

#[async_trait]
pub trait FollowUpStore: Send + Sync {
    /// Store a new follow-up (a conflict when its name is taken, without case).
    async fn create_followup(&self, spec: &FollowUpSpec, now: DateTime<Utc>) -> StoreResult<i64>;
    /// Store several (an import) in one transaction: those whose name is taken
    /// (without case) are skipped and named; any failure creates none. The created
    /// ones' ids and names, and the skipped names.
    async fn create_followups(
        &self,
        specs: &[FollowUpSpec],
        now: DateTime<Utc>,
    ) -> StoreResult<(Vec<(i64, String)>, Vec<String>)>;
    /// Replace one; `false`: no such follow-up. Its next poll is rescheduled from `now`.
    async fn update_followup(
        &self,
        id: i64,
        spec: &FollowUpSpec,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn delete_followup(&self, id: i64) -> StoreResult<bool>;
    async fn followup(&self, id: i64) -> StoreResult<Option<StoredFollowUp>>;
    /// Every follow-up, by name.
    async fn followups(&self) -> StoreResult<Vec<StoredFollowUp>>;
    /// The most recent runs of one, newest first.
    async fn followup_runs(&self, id: i64, limit: u32) -> StoreResult<Vec<FollowUpRun>>;
    /// Claim the active follow-ups due at `now` that no other instance holds, for
    /// `lease`; at most `limit`.
    async fn claim_due_followups(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<StoredFollowUp>>;
    /// Claim one follow-up now, due or not ("run now"); `None` when another instance
    /// holds it or it does not exist.
    async fn claim_followup(
        &self,
        id: i64,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> StoreResult<Option<StoredFollowUp>>;
    /// The records one follow-up has seen, by key.
    async fn tracked_records(&self, id: i64) -> StoreResult<BTreeMap<String, Tracked>>;
    /// Write a run's outcome and release the lease (next poll at `next_poll_at`), in one
    /// transaction: a conflict when `owner` no longer holds the lease. The run and the
    /// notifications actually written (by index into `outcome.notify`).
    async fn finish_followup_run(
        &self,
        id: i64,
        owner: &str,
        outcome: &RunOutcome,
        next_poll_at: DateTime<Utc>,
    ) -> StoreResult<(FollowUpRun, Vec<usize>, Vec<StoredEvent>)>;
    /// Give up `owner`'s lease on follow-up `id` without a run (its outcome could not be
    /// written): due again at `retry_at`, not when the lease would have run out.
    async fn release_followup(
        &self,
        id: i64,
        owner: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Add errors to a finished run (deliveries after its transaction).
    async fn add_run_errors(&self, run_id: i64, errors: &[String]) -> StoreResult<()>;
    /// Users by username or e-mail address (keys folded to lower case; a username wins
    /// over another user's address) and the members of teams by name (likewise), of the
    /// names given.
    async fn recipients(
        &self,
        usernames: &[String],
        teams: &[String],
    ) -> StoreResult<(BTreeMap<String, i64>, BTreeMap<String, Vec<i64>>)>;
    /// How each of `users` can be reached: their e-mail address, and whether they have a
    /// desktop open (a live stream on any instance).
    async fn reachability(&self, users: &[i64]) -> StoreResult<BTreeMap<i64, Reach>>;
    /// The contact of `team_id` the keys find first, in the keys' order.
    async fn link_record(&self, team_id: i64, keys: &[LinkKey]) -> StoreResult<Option<i64>>;
}
