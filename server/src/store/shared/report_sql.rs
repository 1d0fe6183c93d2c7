//! The SQL the reports' reads share, compiled into each backend (its module there is
//! this file): the rows a [`Span`] names of a roll-up and its `_day` twin, and a counter
//! table's sums by interval.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Backend, Db};
use crate::report::QUARTER_KEY;
use crate::store::reports::Span;
use crate::store::{StoreError, StoreResult};

/// `AND col = $n` when `value` is set (bound by the caller), else nothing.
pub(crate) fn and_eq(col: &str, value: Option<&str>) -> String {
    match value {
        Some(_) => format!(" AND {col} = $4"),
        None => String::new(),
    }
}

type DbRow = <Db as sqlx::Database>::Row;

/// One branch of a read of `span` (`Span`'s rules): which table (`suffix`), which rows
/// (`rows`, a condition on `bucket`), the bucket they count at (an SQL value) and whether
/// they are subtracted. Only integers computed here go into the text.
struct Branch {
    suffix: &'static str,
    rows: String,
    at: String,
    negate: bool,
}

fn branches(span: &Span) -> Vec<Branch> {
    let own = |suffix, (a, b): &(i64, i64)| Branch {
        suffix,
        rows: format!("bucket >= {a} AND bucket < {b}"),
        at: "bucket".to_owned(),
        negate: false,
    };
    let mut out: Vec<Branch> = span.days.iter().map(|r| own("_day", r)).collect();
    out.extend(span.quarters.iter().map(|r| own("", r)));
    out.extend(span.moved.iter().map(|(day, at)| Branch {
        suffix: "_day",
        rows: format!("bucket = {day}"),
        at: format!("CAST({at} AS BIGINT)"),
        negate: false,
    }));
    out.extend(span.less.iter().map(|(a, b, at)| Branch {
        suffix: "",
        rows: format!("bucket >= {a} AND bucket < {b}"),
        at: format!("CAST({at} AS BIGINT)"),
        negate: true,
    }));
    out
}

/// The rows `span` names of roll-up `table` and its `_day` twin, as a sub-query `(…) AS
/// r` of `bucket` (where each row counts), the `dims` columns and the `nums` ones
/// (negated where `span` subtracts them), each branch filtered by `filter` (a branch per
/// range: an OR of ranges would scan the whole team). Every row's `bucket` lies in
/// `span.range`.
pub(crate) fn span_rows(
    table: &str,
    (dims, nums): (&str, &[&str]),
    filter: &str,
    span: &Span,
) -> String {
    let mut parts = Vec::new();
    for b in branches(span) {
        let nums = nums
            .iter()
            .map(|c| {
                if b.negate {
                    format!("-{c} AS {c}")
                } else {
                    (*c).to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        parts.push(format!(
            "SELECT {} AS bucket, {dims}, {nums} FROM {table}{} WHERE {filter} AND {}",
            b.at, b.suffix, b.rows
        ));
    }
    if parts.is_empty() {
        parts.push(format!(
            "SELECT bucket, {dims}, {} FROM {table} WHERE 1 = 0 AND {filter}",
            nums.join(", ")
        ));
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
        ("campaign, wait_s", &["calls"]),
        "team_id = $1",
        span,
    )
}

/// `report_wait`'s rows of team `$1` in `span` (of campaign `$4` when one is given), one
/// row per bucket and campaign: `(bucket, campaign, "wait:calls,…")`. Each range is
/// grouped on its own by the table's key (team, bucket, campaign, wait), so the database
/// reads it in order and sorts nothing (grouped by the interval, or as one sub-query,
/// it sorted every wait: several times slower than the read).
pub(crate) fn wait_lists_sql(span: &Span, campaign: Option<&str>) -> String {
    let mut parts = Vec::new();
    for b in branches(span) {
        let calls = if b.negate { "-calls" } else { "calls" };
        parts.push(format!(
            "SELECT {at} AS bucket, campaign, \
             {agg}(CAST(wait_s AS TEXT) || ':' || CAST({calls} AS TEXT), ',') AS waits \
             FROM report_wait{suffix} WHERE team_id = $1 AND {rows} \
             AND {at} >= $2 AND {at} < $3{campaign} AND calls <> 0 GROUP BY bucket, campaign",
            at = b.at,
            agg = super::STRING_AGG,
            suffix = b.suffix,
            rows = b.rows,
            campaign = and_eq("campaign", campaign),
        ));
    }
    if parts.is_empty() {
        // Nothing to read; the same columns, and every parameter named.
        parts.push(format!(
            "SELECT bucket, campaign, campaign AS waits FROM report_wait \
             WHERE 1 = 0 AND team_id = $1 AND bucket >= $2 AND bucket < $3{}",
            and_eq("campaign", campaign)
        ));
    }
    parts.join(" UNION ALL ")
}

/// A wait list's text (`wait_lists_sql`) as `(wait, calls)` pairs, ascending by wait.
pub(crate) fn parse_waits(text: &str) -> StoreResult<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for pair in text.split(',').filter(|p| !p.is_empty()) {
        let parsed = pair
            .split_once(':')
            .and_then(|(w, c)| Some((w.parse::<i64>().ok()?, c.parse::<i64>().ok()?)));
        match parsed {
            Some(p) => out.push(p),
            None => {
                return Err(StoreError::Other(format!(
                    "a wait list the database returned is not `wait:calls`: {pair:?}"
                )));
            }
        }
    }
    out.sort_unstable();
    Ok(out)
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
    let rows = span_rows(table, (dim, columns), "team_id = $1", span);
    // By quarter hour, every row (no day rows are read) is its own interval's — the
    // table's key is (team, bucket, dim) — so nothing is grouped, and read in key order,
    // nothing sorted: a month's 8,868 campaign rows in ~25 ms instead of ~70 (SQLite).
    let each_row = key == QUARTER_KEY && span.days.is_empty() && span.plain();
    let (sum, group) = if each_row {
        ("", String::new())
    } else {
        ("SUM", format!(" GROUP BY k, {dim}"))
    };
    let sums = columns
        .iter()
        .map(|c| format!("CAST({sum}({c}) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {key} AS k, {dim}, {sums} FROM {rows} \
         WHERE bucket >= $2 AND bucket < $3{}{group} ORDER BY k, {dim}",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_lists_read_back_in_wait_order_and_refuse_what_is_not_a_list() {
        assert_eq!(
            parse_waits("17:2,3:1,40:-1").unwrap(),
            [(3, 1), (17, 2), (40, -1)]
        );
        assert_eq!(parse_waits("").unwrap(), []);
        for bad in ["3", "3:", ":1", "a:1", "3:1;4:2", "3:1:2"] {
            assert!(parse_waits(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_range_of_waits_is_grouped_on_its_own() {
        let span = Span {
            range: (0, 5 * 86_400_000),
            days: vec![(86_400_000, 3 * 86_400_000)],
            quarters: vec![(0, 86_400_000), (3 * 86_400_000, 5 * 86_400_000)],
            ..Span::default()
        };
        let sql = wait_lists_sql(&span, Some("x"));
        assert_eq!(sql.matches("GROUP BY bucket, campaign").count(), 3);
        assert_eq!(sql.matches("FROM report_wait_day ").count(), 1);
        assert_eq!(sql.matches("campaign = $4").count(), 3);
        // A day moved to another point and the hours subtracted from it.
        let moved = Span {
            range: (0, 86_400_000),
            moved: vec![(0, 3_600_000)],
            less: vec![(0, 3_600_000, 3_600_000)],
            ..Span::default()
        };
        let sql = wait_lists_sql(&moved, None);
        assert_eq!(sql.matches("CAST(3600000 AS BIGINT) AS bucket").count(), 2);
        assert_eq!(sql.matches("CAST(-calls AS TEXT)").count(), 1);
        let rows = span_rows("report_break", ("agent", &["break_ms"]), "1 = 1", &moved);
        assert_eq!(
            rows.matches("-break_ms AS break_ms FROM report_break WHERE")
                .count(),
            1
        );
        assert_eq!(
            rows.matches("FROM report_break_day WHERE 1 = 1 AND bucket = 0")
                .count(),
            1
        );
        // Nothing to read still names every parameter bound.
        let none = wait_lists_sql(&Span::default(), Some("x"));
        assert!(none.contains("$1") && none.contains("$3") && none.contains("$4"));
    }
}
