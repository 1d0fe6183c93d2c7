//! The reports' roll-ups (docs/reports.md): kept by every write of queue_log in the same
//! transaction (`shared/rollups.rs::fold_rows`, through [`crate::report::fold`]), read per
//! team and range, rebuilt from the raw rows on demand. One implementation for both
//! backends (`store/shared/reports.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{StoreResult, Viewer};
use crate::report::fold::{AgentCounts, QueueCounts, Row};

/// One interaction as the analytics read it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InteractionRow {
    pub at: i64,
    pub kind: String,
    /// 1 inbound, 0 outbound.
    pub inbound: i64,
    /// An inbound e-mail's or SMS's reply time (ms since the epoch).
    pub answered_at: Option<i64>,
}

/// A contact in a team's top list; `name` is `None` when the contact is not the team's
/// own (its name is not the team's to read).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TopContactRow {
    pub contact_id: i64,
    pub name: Option<String>,
    pub n: i64,
    pub inbound: i64,
    pub last_at: i64,
}

/// What a conversations report reads (`report::conversations`): a team's interactions
/// of a range by interval `key` (an SQL expression of `bucket`, `report::Scope::key_sql`)
/// and group, only those of the channel, direction and attribute values asked.
#[derive(Debug, Clone)]
pub struct ConversationQuery<'a> {
    pub team: i64,
    pub range: (i64, i64),
    pub key: &'a str,
    pub group: Group<'a>,
    pub channel: Option<&'a str>,
    pub inbound: Option<bool>,
    /// (name, value); an empty value asks for conversations without the attribute.
    pub filters: &'a [(String, String)],
}

/// What a conversations report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group<'a> {
    Channel,
    Direction,
    Attribute(&'a str),
}

/// Interactions of one interval key and group value: how many, how many inbound, and
/// each measure some of them carried (name, how many carried it, its sum).
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationSums {
    pub k: i64,
    pub value: Option<String>,
    pub inbound: i64,
    pub n: i64,
    pub measures: Vec<(&'static str, i64, f64)>,
}

/// A campaign's counters in one quarter hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStat {
    pub bucket: i64,
    pub campaign: String,
    pub counts: QueueCounts,
}

/// An agent's counters in one quarter hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStat {
    pub bucket: i64,
    pub agent: String,
    pub counts: AgentCounts,
}

/// Answered calls of a campaign in a quarter hour that waited `wait_s` seconds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WaitStat {
    pub bucket: i64,
    pub campaign: String,
    pub wait_s: i64,
    pub calls: i64,
}

/// Answered calls of a campaign in one row of a [`Span`] (a quarter hour, or a UTC day
/// of the `_day` table) at the bucket it counts at: `(wait_s, calls)` by wait, ascending,
/// none of 0 calls; negative calls where the span subtracts the row (`Span::less`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitList {
    pub bucket: i64,
    pub campaign: String,
    pub waits: Vec<(i64, i64)>,
}

/// An agent's break time for one reason in a quarter hour.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BreakStat {
    pub bucket: i64,
    pub agent: String,
    pub reason: String,
    pub break_ms: i64,
}

/// An agent's time in one status of our own presence in one interval (ms).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusStat {
    pub k: i64,
    pub agent: String,
    pub status: String,
    pub ms: i64,
}

/// A queue_log row as written (the columns the fold reads), by name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct LoggedRow {
    pub id: i64,
    pub datetime: i64,
    pub callid: Option<String>,
    pub queuename: Option<String>,
    pub agent: Option<String>,
    pub event: String,
    pub data1: Option<String>,
    pub data2: Option<String>,
    pub data3: Option<String>,
    pub data4: Option<String>,
    pub data5: Option<String>,
    pub team_id: Option<i64>,
}

/// The columns [`LoggedRow`] reads (an INSERT's RETURNING, a rebuild's SELECT).
pub(crate) const LOGGED_COLUMNS: &str =
    "id, datetime, callid, queuename, agent, event, data1, data2, data3, data4, data5, team_id";

impl LoggedRow {
    /// An imported row as written (its id is not needed by the fold).
    pub fn new_import(r: &crate::store::ingest::QueueLogRow) -> LoggedRow {
        let some = |v: &String| Some(v.clone());
        LoggedRow {
            id: 0,
            datetime: r.datetime.timestamp_millis(),
            callid: some(&r.callid),
            queuename: some(&r.queuename),
            agent: some(&r.agent),
            event: r.event.clone(),
            data1: some(&r.data[0]),
            data2: some(&r.data[1]),
            data3: some(&r.data[2]),
            data4: some(&r.data[3]),
            data5: some(&r.data[4]),
            team_id: Some(r.team_id),
        }
    }

    /// The row as the fold reads it; `None` for a row of no team (an import from before
    /// rows had one), which no team's report may count.
    pub fn as_row(&self) -> Option<Row<'_>> {
        fn s(v: &Option<String>) -> &str {
            v.as_deref().unwrap_or("")
        }
        Some(Row {
            team_id: self.team_id?,
            at_ms: self.datetime,
            callid: s(&self.callid),
            queue: s(&self.queuename),
            agent: s(&self.agent),
            event: &self.event,
            data: [
                s(&self.data1),
                s(&self.data2),
                s(&self.data3),
                s(&self.data4),
                s(&self.data5),
            ],
        })
    }
}

/// Which roll-up rows a read sums (`report::span`): the `_day` tables' rows of the UTC
/// days in `days` and the quarter-hour tables' rows in `quarters`, each counted at its own
/// bucket; then the day rows of `moved` (day, at), each counted as if it were at `at` —
/// a UTC day read whole for the interval holding most of it — and, subtracted, the
/// quarter hours of `less` (from, to, at) counted at `at`: the parts of those days outside
/// that interval. Together they sum to the quarter hours of `range` (ms), each interval's
/// rows to its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    pub range: (i64, i64),
    pub days: Vec<(i64, i64)>,
    pub quarters: Vec<(i64, i64)>,
    pub moved: Vec<(i64, i64)>,
    pub less: Vec<(i64, i64, i64)>,
}

impl Span {
    /// `range` from the quarter hours alone.
    pub fn quarters(range: (i64, i64)) -> Span {
        Span {
            range,
            quarters: vec![range],
            ..Span::default()
        }
    }

    /// Whether every row is read at its own bucket, none subtracted.
    pub fn plain(&self) -> bool {
        self.moved.is_empty() && self.less.is_empty()
    }
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The team's campaign counters in `span` (the rows it names), of one campaign or
    /// all, summed by `key` (an SQL expression of `bucket`: the report's interval, see
    /// `report::Scope::key_sql`), which the rows carry as their `bucket`.
    async fn queue_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        campaign: Option<&str>,
    ) -> StoreResult<Vec<QueueStat>>;
    /// The team's answered calls by wait, summed by `key`, campaign and wait.
    async fn wait_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        campaign: Option<&str>,
    ) -> StoreResult<Vec<WaitStat>>;
    /// The team's answered calls by wait in each row of `span` (of one campaign or all),
    /// one list per row and campaign, in (bucket, campaign) order: what the intervals'
    /// percentiles and service levels are computed from (`report::QueueAcc`). A month of
    /// quarter hours is ~100,000 waits in ~10,000 lists; each range's rows are read and
    /// grouped in their key's order.
    async fn wait_lists(
        &self,
        team: i64,
        span: &Span,
        campaign: Option<&str>,
    ) -> StoreResult<Vec<WaitList>>;
    /// The team's agent counters, summed by `key`, of one agent or all.
    async fn agent_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        agent: Option<&str>,
    ) -> StoreResult<Vec<AgentStat>>;
    /// How many agents have rows in each quarter hour of `[from, to)` (of one agent or
    /// all) — uContact's counters or our own statuses, the larger — in order, quarter
    /// hours with none left out: what the agent report's pages are cut by.
    async fn agent_quarter_counts(
        &self,
        team: i64,
        range: (i64, i64),
        agent: Option<&str>,
    ) -> StoreResult<Vec<(i64, i64)>>;
    /// The team's break time by reason, summed by `key`, of one agent or all.
    async fn break_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        agent: Option<&str>,
    ) -> StoreResult<Vec<BreakStat>>;
    /// Time per status of our own presence of the team's members (or the one whose
    /// agent name is `agent`), summed by `key`, the open status counted up to `now`
    /// (`store/shared/status_rollup.rs`).
    async fn status_stats(
        &self,
        team: i64,
        span: &Span,
        key: &str,
        agent: Option<&str>,
        now: i64,
    ) -> StoreResult<Vec<StatusStat>>;
    /// The campaigns with counters in the range.
    async fn report_campaigns(&self, team: i64, range: (i64, i64)) -> StoreResult<Vec<String>>;
    /// Service-level thresholds (seconds) of the campaigns that set one.
    async fn service_levels(&self) -> StoreResult<BTreeMap<String, u32>>;
    /// A contact's interactions in the viewer's teams in `[from, to)` (ms), newest first,
    /// at most `limit` (`shared/interactions.rs`). The caller checks the viewer may see
    /// the contact.
    async fn contact_interactions(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        range: (i64, i64),
        limit: u32,
    ) -> StoreResult<Vec<InteractionRow>>;
    /// A team's interactions summed by `key` (an SQL expression of the roll-up's
    /// `bucket`, `report::Scope::key_sql`) and channel: (key, kind, inbound, outbound),
    /// empty ones left out.
    async fn team_volume(
        &self,
        team: i64,
        range: (i64, i64),
        key: &str,
    ) -> StoreResult<Vec<(i64, String, i64, i64)>>;
    /// Each inbound e-mail and SMS of a team in the range: its reply time (ms), `None`
    /// while unanswered.
    async fn team_replies(&self, team: i64, range: (i64, i64)) -> StoreResult<Vec<Option<i64>>>;
    /// A team's busiest contacts in the range, busiest first (ties: the latest first).
    async fn team_top_contacts(
        &self,
        team: i64,
        range: (i64, i64),
        limit: u32,
    ) -> StoreResult<Vec<TopContactRow>>;
    /// Interactions counted, and their measures summed, by interval key and group (empty
    /// ones left out).
    async fn conversation_sums(
        &self,
        q: &ConversationQuery<'_>,
    ) -> StoreResult<Vec<ConversationSums>>;
    /// Recompute the roll-ups of `team` (`None`: every team) from queue_log and the
    /// communication analytics from the activities, in one transaction; returns the
    /// queue_log rows and the activities read.
    async fn rebuild_reports(&self, team: Option<i64>) -> StoreResult<(u64, u64)>;
}
