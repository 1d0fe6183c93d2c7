//! The conversations report's reads (docs/reports.md, "Conversations by attribute"): a
//! team's `interaction_facts` of a range (its index), each joined by its activity to the
//! attribute it is grouped by and to those it is filtered by in `conversation_attributes`
//! (their primary key), summed by the database into one row per interval and group.
//! Compiled into each backend (its module there is this file).

use sqlx::AssertSqlSafe;

use super::Backend;
use crate::report::fold::BUCKET_MS;
use crate::store::StoreResult;
use crate::store::reports::{ConversationQuery, Group, GroupCount, MeasureSum};

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

/// `SELECT {key} AS k, {value} AS value, {what} FROM <the range's interactions, grouped
/// and filtered> {join}`: parameters are numbered in the order the text names them (as
/// SQLite numbers named ones).
fn statement(q: &ConversationQuery<'_>, what: &str, join: &str, group_by: &str) -> Sql {
    let mut s = Sql {
        text: String::new(),
        binds: Vec::new(),
    };
    let (team, from, to) = (
        s.param(Bind::Int(q.team)),
        s.param(Bind::Int(q.range.0)),
        s.param(Bind::Int(q.range.1)),
    );
    let mut facts = format!(
        "SELECT activity_id, kind, inbound, at - (at % {BUCKET_MS} + {BUCKET_MS}) % {BUCKET_MS} AS bucket \
         FROM interaction_facts WHERE team_id = {team} AND at >= {from} AND at < {to}"
    );
    if let Some(kind) = q.channel {
        let p = s.param(Bind::Text(kind.to_owned()));
        facts.push_str(&format!(" AND kind = {p}"));
    }
    if let Some(inbound) = q.inbound {
        let p = s.param(Bind::Int(i64::from(inbound)));
        facts.push_str(&format!(" AND inbound = {p}"));
    }
    let (value, group_join) = match q.group {
        Group::Channel => ("f.kind".to_owned(), String::new()),
        Group::Direction => (
            "CASE WHEN f.inbound = 1 THEN 'inbound' ELSE 'outbound' END".to_owned(),
            String::new(),
        ),
        Group::Attribute(name) => {
            let p = s.param(Bind::Text(name.to_owned()));
            (
                "g.value".to_owned(),
                format!(
                    " LEFT JOIN conversation_attributes AS g \
                     ON g.activity_id = f.activity_id AND g.name = {p}"
                ),
            )
        }
    };
    let mut filters = Vec::new();
    for (i, (name, v)) in q.filters.iter().enumerate() {
        let n = s.param(Bind::Text(name.clone()));
        // An empty value: conversations without the attribute.
        let (not, cmp) = if v.is_empty() {
            ("NOT ", String::new())
        } else {
            let p = s.param(Bind::Text(v.clone()));
            ("", format!(" AND x{i}.value = {p}"))
        };
        filters.push(format!(
            "{not}EXISTS (SELECT 1 FROM conversation_attributes AS x{i} \
             WHERE x{i}.activity_id = f.activity_id AND x{i}.name = {n}{cmp})"
        ));
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", filters.join(" AND "))
    };
    // The range's interactions first, in activity order: each one's attributes are then
    // found walking the attribute table's primary key forward (a month of a team's
    // activities is spread over the whole table; looked up in time order, every lookup
    // would land on another page).
    s.text = format!(
        "WITH f AS MATERIALIZED ({facts} ORDER BY activity_id) \
         SELECT {key} AS k, {value} AS value, {what} FROM f{group_join}{join}{filter} \
         GROUP BY {group_by}",
        key = q.key
    );
    s
}

/// The statement with its values bound.
fn query<O>(
    sql: Sql,
) -> sqlx::query::QueryAs<'static, super::Db, O, <super::Db as sqlx::Database>::Arguments>
where
    O: for<'r> sqlx::FromRow<'r, <super::Db as sqlx::Database>::Row>,
{
    let mut query = sqlx::query_as::<_, O>(AssertSqlSafe(sql.text));
    for b in sql.binds {
        query = match b {
            Bind::Int(v) => query.bind(v),
            Bind::Text(v) => query.bind(v),
        };
    }
    query
}

pub(crate) async fn counts(s: &Backend, q: &ConversationQuery<'_>) -> StoreResult<Vec<GroupCount>> {
    let sql = statement(
        q,
        "CAST(SUM(f.inbound) AS BIGINT) AS inbound, COUNT(*) AS n",
        "",
        "1, 2",
    );
    Ok(query(sql).fetch_all(&s.pool).await?)
}

pub(crate) async fn measures(
    s: &Backend,
    q: &ConversationQuery<'_>,
) -> StoreResult<Vec<MeasureSum>> {
    let sql = statement(
        q,
        "m.name AS name, COUNT(*) AS n, SUM(m.number) AS total",
        " JOIN conversation_attributes AS m ON m.activity_id = f.activity_id AND m.number IS NOT NULL",
        "1, 2, 3",
    );
    Ok(query(sql).fetch_all(&s.pool).await?)
}
