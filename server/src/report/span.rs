//! Which roll-up rows a report reads. The roll-ups are kept per quarter hour and, beside
//! them, per UTC day ([`Rollup::by_day`]: the `_day` tables). A UTC day that lies whole inside
//! one of the report's intervals — every day inside the range for the totals, six of a
//! week's seven in most zones, a local day only where the zone is UTC then — is read as
//! its one day row; the rest of each interval as quarter hours. So a month's totals sum
//! ~30 rows per agent instead of ~3,000, in every zone (the edges are quarter hours,
//! whatever the offset).

use chrono::{Offset, TimeZone, Utc};

use super::Scope;
use super::fold::{self, AGENT_COLUMNS, BUCKET_MS, QUEUE_COLUMNS, Rollup};
use crate::store::reports::Span;
use agentdesk_protocol::report::Interval;

/// Length of a day roll-up's bucket (a UTC day), ms.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The start of the UTC day holding `at_ms`.
pub fn day(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS) * DAY_MS
}

impl Rollup {
    /// The same sums by UTC day (the `_day` tables' rows).
    pub fn by_day(&self) -> Rollup {
        fn sum<const N: usize>(into: &mut [i64; N], from: &[i64; N]) {
            for (a, b) in into.iter_mut().zip(from) {
                *a += b;
            }
        }
        let mut out = Rollup::default();
        for ((t, b, c), v) in &self.queue {
            sum(
                out.queue
                    .entry((*t, day(*b), c.clone()))
                    .or_insert([0; QUEUE_COLUMNS.len()]),
                v,
            );
        }
        for ((t, b, a), v) in &self.agent {
            sum(
                out.agent
                    .entry((*t, day(*b), a.clone()))
                    .or_insert([0; AGENT_COLUMNS.len()]),
                v,
            );
        }
        for ((t, b, a, r), v) in &self.breaks {
            *out.breaks
                .entry((*t, day(*b), a.clone(), r.clone()))
                .or_insert(0) += v;
        }
        for ((t, b, c, w), v) in &self.waits {
            *out.waits.entry((*t, day(*b), c.clone(), *w)).or_insert(0) += v;
        }
        out.prune();
        out
    }
}

impl Scope {
    /// The zone's offset from UTC at `ms`, in ms.
    pub(super) fn offset_ms(&self, ms: i64) -> i64 {
        Utc.timestamp_millis_opt(ms)
            .single()
            .map(|t| {
                i64::from(
                    self.tz
                        .offset_from_utc_datetime(&t.naive_utc())
                        .fix()
                        .local_minus_utc(),
                ) * 1000
            })
            .unwrap_or(0)
    }

    /// The interval key of the quarter hour starting at `ms`: what [`Scope::key_sql`]
    /// computes for its rows, in Rust.
    pub(crate) fn key_of(&self, ms: i64) -> i64 {
        let local = ms + self.offset_ms(ms);
        match self.interval {
            Interval::Quarter => ms,
            Interval::Hour => ms - local.rem_euclid(3_600_000),
            Interval::Day => local.div_euclid(DAY_MS),
            Interval::Week => {
                let day = local.div_euclid(DAY_MS);
                day - (day + 3).rem_euclid(7)
            }
        }
    }

    /// The start (ms) of each interval of the range, in order, then the range's end: where
    /// pages and spans are cut.
    pub(crate) fn bounds(&self) -> Vec<i64> {
        let (from, to) = self.range();
        let mut out = vec![from];
        let mut last = self.key_of(from);
        let mut t = fold::bucket(from) + BUCKET_MS;
        while t < to {
            let k = self.key_of(t);
            if k != last {
                out.push(t);
                last = k;
            }
            t += BUCKET_MS;
        }
        out.push(to);
        out
    }
}

/// What a read of the intervals `bounds` cuts (each from one bound to the next) sums:
/// the UTC days wholly inside one interval from the day tables, the rest from the
/// quarter hours. Adjacent ranges are merged.
pub(crate) fn span(bounds: &[i64]) -> Span {
    fn push(into: &mut Vec<(i64, i64)>, (a, b): (i64, i64)) {
        if a >= b {
            return;
        }
        match into.last_mut() {
            Some(last) if last.1 == a => last.1 = b,
            _ => into.push((a, b)),
        }
    }
    let mut out = Span {
        range: (
            bounds.first().copied().unwrap_or(0),
            bounds.last().copied().unwrap_or(0),
        ),
        ..Span::default()
    };
    for w in bounds.windows(2) {
        let (s, e) = (w[0], w[1]);
        let first = day(s + DAY_MS - 1);
        let last = day(e);
        if first < last {
            push(&mut out.quarters, (s, first));
            push(&mut out.days, (first, last));
            push(&mut out.quarters, (last, e));
        } else {
            push(&mut out.quarters, (s, e));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn whole_utc_days_inside_an_interval_are_read_as_days() {
        let d = 20_000 * DAY_MS;
        // The totals of a month in UTC-3: the edges as quarter hours.
        let s = span(&[d + 3 * H, d + 30 * DAY_MS + 3 * H]);
        assert_eq!(s.range, (d + 3 * H, d + 30 * DAY_MS + 3 * H));
        assert_eq!(s.days, vec![(d + DAY_MS, d + 30 * DAY_MS)]);
        assert_eq!(
            s.quarters,
            vec![
                (d + 3 * H, d + DAY_MS),
                (d + 30 * DAY_MS, d + 30 * DAY_MS + 3 * H)
            ]
        );
        // Local days never hold a whole UTC day away from UTC: all quarter hours, merged.
        let s = span(&[d + 3 * H, d + DAY_MS + 3 * H, d + 2 * DAY_MS + 3 * H]);
        assert!(s.days.is_empty());
        assert_eq!(s.quarters, vec![(d + 3 * H, d + 2 * DAY_MS + 3 * H)]);
        // Days in UTC: all day rows.
        let s = span(&[d, d + DAY_MS, d + 2 * DAY_MS]);
        assert_eq!(s.days, vec![(d, d + 2 * DAY_MS)]);
        assert!(s.quarters.is_empty());
        // A range shorter than a day.
        let s = span(&[d + H, d + 2 * H]);
        assert!(s.days.is_empty());
        assert_eq!(s.quarters, vec![(d + H, d + 2 * H)]);
        assert_eq!(span(&[]), Span::default());
    }

    #[test]
    fn bounds_follow_the_zone_and_its_changes() {
        use chrono::NaiveDate;
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let scope = |tz, from, to, interval| {
            Scope::new(1, Some(from), Some(to), Some(interval), tz).unwrap()
        };
        // Madrid's 23-hour day: 23 hours, 24 bounds.
        let s = scope(
            chrono_tz::Europe::Madrid,
            day(2026, 3, 29),
            day(2026, 3, 29),
            Interval::Hour,
        );
        let b = s.bounds();
        assert_eq!(b.len(), 24);
        assert_eq!(b[23] - b[0], 23 * H);
        // Kathmandu (+5:45) by day: local midnights, 18:15 UTC.
        let s = scope(
            chrono_tz::Asia::Kathmandu,
            day(2026, 1, 1),
            day(2026, 1, 3),
            Interval::Day,
        );
        let b = s.bounds();
        assert_eq!(b.len(), 4);
        assert!(
            b.iter()
                .all(|t| t.rem_euclid(DAY_MS) == 18 * H + 15 * 60_000)
        );
        // Weeks from Monday; the range's first week cut at its start (a Thursday).
        let s = scope(
            chrono_tz::UTC,
            day(2026, 1, 1),
            day(2026, 1, 31),
            Interval::Week,
        );
        let b = s.bounds();
        let monday = |d| crate::calendar::day_start(&chrono_tz::UTC, d).timestamp_millis();
        assert_eq!(
            b[..3],
            [
                monday(day(2026, 1, 1)),
                monday(day(2026, 1, 5)),
                monday(day(2026, 1, 12))
            ]
        );
        assert_eq!(*b.last().unwrap(), monday(day(2026, 2, 1)));
        // A week in UTC-3 reads six whole UTC days as days.
        let s = scope(
            chrono_tz::America::Montevideo,
            day(2026, 1, 5),
            day(2026, 1, 11),
            Interval::Week,
        );
        assert_eq!(
            span(&s.bounds())
                .days
                .iter()
                .map(|(a, b)| (b - a) / DAY_MS)
                .sum::<i64>(),
            6
        );
    }
}
