//! The conversations report's table and reads (docs/reports.md, "Conversations by
//! attribute"). `conversation_facts` holds one row per interaction — its team, time,
//! channel and direction (`interaction_facts`) with each conversation attribute as a
//! column of its own (`conversation_attributes`, pivoted: `v_<name>` the value, `n_<name>`
//! a measure's number) — keyed by (team, time), so that a team's month is one contiguous
//! range of the table and a report reads it in one pass, without a lookup per
//! interaction. [`sync`] keeps an activity's row in the transaction that changed its facts
//! or its attributes; [`rebuild`] and the migration recompute it by [`pivot`]'s rule.
//! Compiled into each backend (its module there is this file).

use std::sync::LazyLock;

use sqlx::{AssertSqlSafe, Row};

use super::{Backend, Tx};
use crate::report::conversations::ATTRIBUTES;
use crate::report::fold::BUCKET_MS;
use crate::store::reports::{ConversationQuery, ConversationSums, Group};
use crate::store::{StoreError, StoreResult};

/// The measures (numeric attributes), in [`ATTRIBUTES`]' order: measure `i` is bit `i`
/// of a row's `measured` (so a new measure is listed after the others).
fn measures() -> impl Iterator<Item = &'static str> {
    ATTRIBUTES.iter().filter(|(_, n)| *n).map(|(name, _)| *name)
}

/// The column holding attribute `name`'s value; an error for a name that has none (not
/// a conversation attribute: the report checks names against the definitions first).
fn value_column(name: &str) -> StoreResult<String> {
    ATTRIBUTES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, _)| format!("v_{n}"))
        .ok_or_else(|| StoreError::Other(format!("no column for conversation attribute {name}")))
}

/// Every attribute column, as the table names them (values, then measures' numbers).
fn columns() -> Vec<String> {
    ATTRIBUTES
        .iter()
        .map(|(n, _)| format!("v_{n}"))
        .chain(measures().map(|n| format!("n_{n}")))
        .collect()
}

/// The one rule of `conversation_facts`: the rows of the interactions (`interaction_facts`
/// as `f`) that `filter` keeps, each with its attributes' values and measures' numbers
/// (`conversation_attributes` pivoted; a column without the attribute is NULL) and which
/// measures it carries (`measured`, a bit per measure). The migrations' backfills are
/// this statement's text with `filter` `TRUE`; [`sync`] writes one row with it.
pub(crate) fn pivot(filter: &str) -> String {
    let number = |n: &str| format!("MAX(CASE WHEN a.name = '{n}' THEN a.number END)");
    let measured = measures()
        .enumerate()
        .map(|(i, n)| {
            format!(
                "CASE WHEN {} IS NULL THEN 0 ELSE {} END",
                number(n),
                1i64 << i
            )
        })
        .collect::<Vec<_>>()
        .join(" + ");
    let pick = ATTRIBUTES
        .iter()
        .map(|(n, _)| format!("MAX(CASE WHEN a.name = '{n}' THEN a.value END)"))
        .chain(measures().map(number))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO conversation_facts (team_id, at, activity_id, kind, inbound, measured, {}) \
         SELECT f.team_id, f.at, f.activity_id, f.kind, f.inbound, {measured}, {pick} \
         FROM interaction_facts AS f \
         LEFT JOIN conversation_attributes AS a ON a.activity_id = f.activity_id \
         WHERE {filter} GROUP BY f.activity_id, f.team_id, f.at, f.kind, f.inbound",
        columns().join(", ")
    )
}

/// Rewrite activity `id`'s row from its facts and attributes (none when it is no
/// interaction), inside the transaction that changed either.
pub(crate) async fn sync(tx: &mut Tx<'_>, id: i64) -> StoreResult<()> {
    forget(tx, id).await?;
    insert(tx, id).await
}

/// Write the row of activity `id`, which has none (it just became an interaction): one
/// statement, reading its facts and attributes where they are.
pub(crate) async fn insert(tx: &mut Tx<'_>, id: i64) -> StoreResult<()> {
    static ONE: LazyLock<String> = LazyLock::new(|| pivot("f.activity_id = $1"));
    sqlx::query(AssertSqlSafe(ONE.as_str()))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Remove activity `id`'s row (it is no interaction any more, or is deleted).
pub(crate) async fn forget(tx: &mut Tx<'_>, id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM conversation_facts WHERE activity_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Recompute the rows of `team` (`None`: every team) after its facts and attributes were
/// rebuilt.
pub(crate) async fn rebuild(tx: &mut Tx<'_>, team: Option<i64>) -> StoreResult<()> {
    sqlx::query("DELETE FROM conversation_facts WHERE $1 IS NULL OR team_id = $1")
        .bind(team)
        .execute(&mut **tx)
        .await?;
    // A write committed beside the rebuild (PostgreSQL reads each statement's own
    // snapshot) already wrote its row, by the same rule.
    let all = format!(
        "{} ON CONFLICT (activity_id) DO NOTHING",
        pivot("$1 IS NULL OR f.team_id = $1")
    );
    sqlx::query(AssertSqlSafe(all))
        .bind(team)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The statement's text and what to bind, in the order the text first names them.
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

enum Bind {
    Int(i64),
    Text(String),
}

impl Sql {
    fn param(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }
}

/// `SELECT k, value, inbound, n, (count, sum) of each measure` over the range's rows
/// that the channel, direction and filters keep, grouped by interval key and group:
/// one pass over the team's range of the table. Parameters are numbered in the order
/// the text names them (as SQLite numbers named ones).
fn statement(q: &ConversationQuery<'_>) -> StoreResult<Sql> {
    let mut s = Sql {
        text: String::new(),
        binds: Vec::new(),
    };
    let (team, from, to) = (
        s.param(Bind::Int(q.team)),
        s.param(Bind::Int(q.range.0)),
        s.param(Bind::Int(q.range.1)),
    );
    let mut filter = format!("team_id = {team} AND at >= {from} AND at < {to}");
    if let Some(kind) = q.channel {
        let p = s.param(Bind::Text(kind.to_owned()));
        filter.push_str(&format!(" AND kind = {p}"));
    }
    if let Some(inbound) = q.inbound {
        let p = s.param(Bind::Int(i64::from(inbound)));
        filter.push_str(&format!(" AND inbound = {p}"));
    }
    for (name, v) in q.filters {
        let column = value_column(name)?;
        // An empty value: conversations without the attribute.
        if v.is_empty() {
            filter.push_str(&format!(" AND {column} IS NULL"));
        } else {
            let p = s.param(Bind::Text(v.clone()));
            filter.push_str(&format!(" AND {column} = {p}"));
        }
    }
    let value = match q.group {
        Group::Channel => "kind".to_owned(),
        Group::Direction => "CASE WHEN inbound = 1 THEN 'inbound' ELSE 'outbound' END".to_owned(),
        Group::Attribute(name) => value_column(name)?,
    };
    let numbers = measures().map(|n| format!(", n_{n}")).collect::<String>();
    let sums = measures()
        .enumerate()
        .map(|(i, n)| format!(", SUM(n_{n}) AS s{i}"))
        .collect::<String>();
    let per_measure = measures()
        .enumerate()
        .map(|(i, _)| {
            format!(
                ", CAST(SUM(CASE WHEN (measured & {}) <> 0 THEN n ELSE 0 END) AS BIGINT), SUM(s{i})",
                1i64 << i
            )
        })
        .collect::<String>();
    // First grouped by which measures the rows carry too, so that each measure costs one
    // aggregate per row (its count is the group's); then those few rows summed per cell.
    s.text = format!(
        "SELECT k, value, CAST(SUM(inbound) AS BIGINT), CAST(SUM(n) AS BIGINT){per_measure} \
         FROM (SELECT {key} AS k, value, measured, SUM(inbound) AS inbound, COUNT(*) AS n{sums} \
         FROM (SELECT at - (at % {BUCKET_MS} + {BUCKET_MS}) % {BUCKET_MS} AS bucket, \
         {value} AS value, measured, inbound{numbers} FROM conversation_facts WHERE {filter}) AS f \
         GROUP BY 1, 2, 3) AS g GROUP BY 1, 2",
        key = q.key
    );
    Ok(s)
}

/// The range's interactions counted, and their measures summed, by interval key and
/// group (empty cells left out; a measure none of a cell's interactions carried, too).
pub(crate) async fn sums(
    s: &Backend,
    q: &ConversationQuery<'_>,
) -> StoreResult<Vec<ConversationSums>> {
    let sql = statement(q)?;
    let mut query = sqlx::query(AssertSqlSafe(sql.text));
    for b in sql.binds {
        query = match b {
            Bind::Int(v) => query.bind(v),
            Bind::Text(v) => query.bind(v),
        };
    }
    let rows = query.fetch_all(&s.pool).await?;
    rows.iter()
        .map(|r| {
            let mut sums = Vec::new();
            for (i, name) in measures().enumerate() {
                let n: i64 = r.try_get(4 + 2 * i)?;
                if n > 0 {
                    let total: Option<f64> = r.try_get(5 + 2 * i)?;
                    sums.push((name, n, total.unwrap_or(0.0)));
                }
            }
            Ok(ConversationSums {
                k: r.try_get(0)?,
                value: r.try_get(1)?,
                inbound: r.try_get(2)?,
                n: r.try_get(3)?,
                measures: sums,
            })
        })
        .collect()
}
