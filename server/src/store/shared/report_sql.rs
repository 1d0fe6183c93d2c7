//! The SQL the reports' reads share, compiled into each backend (its module there is
//! this file): the rows a [`Span`] names of a roll-up and its `_day` twin, and a counter
//! table's sums by interval.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Backend, Db};
use crate::store::StoreResult;
use crate::store::reports::Span;

/// `AND col = $n` when `value` is set (bound by the caller), else nothing.
pub(crate) fn and_eq(col: &str, value: Option<&str>) -> String {
    match value {
        Some(_) => format!(" AND {col} = $4"),
        None => String::new(),
    }
}

type DbRow = <Db as sqlx::Database>::Row;

/// The rows `span` names of roll-up `table` and its `_day` twin, as a sub-query `(…) AS
/// r` of `bucket` and `cols`, each branch filtered by `filter` (a branch per range: an
/// OR of ranges would scan the whole team). Only integers computed here go into the
/// text. Every row's `bucket` lies in `span.range`.
pub(crate) fn span_rows(table: &str, cols: &str, filter: &str, span: &Span) -> String {
    let mut parts = Vec::new();
    for (suffix, ranges) in [("_day", &span.days), ("", &span.quarters)] {
        for (a, b) in ranges {
            parts.push(format!(
                "SELECT bucket, {cols} FROM {table}{suffix} \
                 WHERE {filter} AND bucket >= {a} AND bucket < {b}"
            ));
        }
    }
    if parts.is_empty() {
        parts.push(format!("SELECT bucket, {cols} FROM {table} WHERE 1 = 0"));
    }
    format!("({}) AS r", parts.join(" UNION ALL "))
}

fn read_counts<const N: usize>(r: &DbRow, names: &[&str; N]) -> StoreResult<[i64; N]> {
    let mut out = [0; N];
    for (i, name) in names.iter().enumerate() {
        out[i] = r.try_get::<i64, _>(*name)?;
    }
    Ok(out)
}

/// `report_wait`'s rows of team `$1` in `span`.
pub(crate) fn wait_rows(span: &Span) -> String {
    span_rows(
        "report_wait",
        "campaign, wait_s, calls",
        "team_id = $1",
        span,
    )
}

/// A counter table's rows of a team in `span` summed by `key` and the `dim` column
/// (campaign, agent), optionally of one `dim` value: (key, dim, counters), rows that sum
/// to nothing left out.
pub(crate) async fn summed<const N: usize>(
    s: &Backend,
    (table, dim): (&str, &str),
    columns: &[&str; N],
    team: i64,
    span: &Span,
    key: &str,
    only: Option<&str>,
) -> StoreResult<Vec<(i64, String, [i64; N])>> {
    let (from, to) = span.range;
    let rows = span_rows(
        table,
        &format!("{dim}, {}", columns.join(", ")),
        "team_id = $1",
        span,
    );
    let sums = columns
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {key} AS k, {dim}, {sums} FROM {rows} \
         WHERE bucket >= $2 AND bucket < $3{} GROUP BY k, {dim} \
         ORDER BY k, {dim}",
        and_eq(dim, only)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(team)
        .bind(from)
        .bind(to);
    if let Some(v) = only {
        q = q.bind(v);
    }
    let mut out = Vec::new();
    for r in q.fetch_all(&s.pool).await? {
        let counts = read_counts(&r, columns)?;
        if counts.iter().any(|v| *v != 0) {
            out.push((r.try_get("k")?, r.try_get(dim)?, counts));
        }
    }
    Ok(out)
}
