//! The `report` and `rebuild-reports` commands: the same reports as the API
//! (`report::queue`, `report::agents`, `report::csv`), printed to standard output.

use agentdesk_protocol::Role;
use agentdesk_protocol::report::Interval;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::Scope;
use crate::store::{DynStore, Viewer};

#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// The queue/campaign report (docs/reports.md).
    Queue(ReportArgs),
    /// The agent report (docs/reports.md).
    Agents(ReportArgs),
    /// A team's communication analytics (docs/reports.md).
    Team(ReportArgs),
    /// A team's conversations by attribute, channel or direction (docs/reports.md).
    Conversations(ReportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The team, by name or id.
    #[arg(long)]
    pub team: String,
    /// First day (YYYY-MM-DD, local); default six days before `--to`.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last day, inclusive (YYYY-MM-DD, local); default today.
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// 15min, hour, day or week.
    #[arg(long, value_parser = parse_interval, default_value = "day")]
    pub interval: Interval,
    /// IANA time zone of the days and intervals.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
    /// Only this campaign (queue report).
    #[arg(long)]
    pub campaign: Option<String>,
    /// Only this agent (agent report).
    #[arg(long)]
    pub agent: Option<String>,
    /// Conversations report: `channel`, `direction` or a conversation attribute.
    #[arg(long)]
    pub group_by: Option<String>,
    /// Conversations report: only this channel.
    #[arg(long)]
    pub channel: Option<String>,
    /// Conversations report: only `inbound` or `outbound`.
    #[arg(long)]
    pub direction: Option<String>,
    /// Conversations report: `name:value` (repeatable), only conversations with it.
    #[arg(long)]
    pub filter: Vec<String>,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct RebuildArgs {
    /// Only this team (name or id); every team when left out.
    #[arg(long)]
    pub team: Option<String>,
}

fn parse_interval(s: &str) -> Result<Interval, String> {
    Interval::parse(s).ok_or_else(|| "one of 15min, hour, day, week".to_owned())
}

/// A team by name, else by id.
async fn team(store: &DynStore, t: &str) -> anyhow::Result<i64> {
    if let Some(team) = store.team_by_name(t).await? {
        return Ok(team.id);
    }
    let everyone = Viewer {
        user_id: 0,
        role: Role::Admin,
        can_email: false,
    };
    let id = t.trim().parse::<i64>().ok();
    store
        .list_teams(&everyone)
        .await?
        .into_iter()
        .find(|team| Some(team.id) == id)
        .map(|team| team.id)
        .ok_or_else(|| anyhow::anyhow!("no team named or numbered {t:?}"))
}

#[derive(Clone, Copy)]
enum Which {
    Queue,
    Agents,
    Team,
    Conversations,
}

/// `report queue|agents|team|conversations`: the report on standard output.
pub async fn report(store: &DynStore, cmd: ReportCommand) -> anyhow::Result<String> {
    let (which, args) = match cmd {
        ReportCommand::Queue(a) => (Which::Queue, a),
        ReportCommand::Agents(a) => (Which::Agents, a),
        ReportCommand::Team(a) => (Which::Team, a),
        ReportCommand::Conversations(a) => (Which::Conversations, a),
    };
    let tz: chrono_tz::Tz = args
        .time_zone
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown time zone {:?}", args.time_zone))?;
    let mut scope = Scope::new(
        team(store, &args.team).await?,
        args.from,
        args.to,
        Some(args.interval),
        tz,
    )
    .map_err(|(field, message)| anyhow::anyhow!("--{field}: {message}"))?;
    scope.campaign = args.campaign.clone().filter(|c| !c.trim().is_empty());
    scope.agent = args.agent.clone().filter(|a| !a.trim().is_empty());
    let json = |v: serde_json::Result<String>| v.map(|s| s + "\n");
    Ok(match (which, args.format) {
        (Which::Queue, Format::Csv) => super::csv::queue(&super::queue(store, &scope).await?),
        (Which::Queue, Format::Json) => json(serde_json::to_string_pretty(
            &super::queue(store, &scope).await?,
        ))?,
        (Which::Agents, Format::Csv) => {
            super::csv::agents(&super::agents(store, &scope, None).await?)
        }
        (Which::Agents, Format::Json) => json(serde_json::to_string_pretty(
            &super::agents(store, &scope, None).await?,
        ))?,
        (Which::Team, Format::Csv) => super::csv::team(&super::team::team(store, &scope).await?),
        (Which::Team, Format::Json) => json(serde_json::to_string_pretty(
            &super::team::team(store, &scope).await?,
        ))?,
        (Which::Conversations, format) => conversations(store, &scope, &args, format).await?,
    })
}

/// `report conversations`: its slice checked like the API's.
async fn conversations(
    store: &DynStore,
    scope: &Scope,
    args: &ReportArgs,
    format: Format,
) -> anyhow::Result<String> {
    let defs = store.attribute_defs().await?;
    let slice = super::conversations::Slice::new(
        &defs,
        args.group_by.as_deref(),
        args.channel.as_deref(),
        args.direction.as_deref(),
        args.filter.clone(),
    )
    .map_err(|(field, message)| anyhow::anyhow!("--{}: {message}", field.replace('_', "-")))?;
    let r = super::conversations::conversations(store, scope, &slice, &defs).await?;
    Ok(match format {
        Format::Csv => super::csv::conversations(&r),
        Format::Json => serde_json::to_string_pretty(&r)? + "\n",
    })
}

/// `rebuild-reports`: the roll-ups recomputed from queue_log and the activities.
pub async fn rebuild(store: &DynStore, args: RebuildArgs) -> anyhow::Result<String> {
    let team = match &args.team {
        Some(t) => Some(team(store, t).await?),
        None => None,
    };
    let (rows, activities) = store.rebuild_reports(team).await?;
    Ok(format!(
        "rebuilt the report roll-ups from {rows} queue_log rows and {activities} activities"
    ))
}
