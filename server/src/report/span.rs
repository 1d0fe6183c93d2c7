//! Which roll-up rows a report reads. The roll-ups are kept per quarter hour and, beside
//! them, per UTC day ([`Rollup::by_day`]: the `_day` tables). A UTC day more than half of
//! which lies in one of the report's intervals — every day inside the range for the
//! totals, a local day's or week's days in any zone not twelve hours from UTC — is read
//! as its one day row, less its quarter hours outside that interval; the rest of each
//! interval as quarter hours. So a month's totals sum ~30 rows per agent instead of
//! ~3,000, and a local day 3 hours from UTC 25 instead of 96, in every zone (the edges
//! are quarter hours, whatever the offset).

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

/// What a read of the intervals `bounds` cuts (each from one bound to the next) sums.
/// A UTC day more than half of which lies in one interval is read as its one day row,
/// counted at the start of that part ([`Span::moved`]; its own start when the day lies
/// wholly inside, [`Span::days`]), less its quarter hours outside the interval
/// ([`Span::less`], counted at the same point); the rest of each interval is read as
/// quarter hours. So a local day 3 hours from UTC reads 1 day row and 24 quarter hours
/// instead of 96, and a day, week or month in any zone is exact. Adjacent ranges are
/// merged.
/// At most about this many ranges in one read (each a `UNION ALL` branch: SQLite refuses
/// more than 500 in one statement, and each costs planning): past it, a day is read as
/// its day row only when it lies wholly inside one interval (such days merge). A month
/// by day moves every day (~90 ranges); a year by day, the first ~100 days.
pub(crate) const MAX_RANGES: usize = 300;

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
        // Where the quarter hours of this interval not yet read start.
        let mut next = s;
        let mut d = day(s);
        while d < e {
            let (from, to) = (d.max(s), (d + DAY_MS).min(e));
            let whole = from == d && to == d + DAY_MS;
            let used = out.days.len() + out.quarters.len() + out.moved.len() + out.less.len();
            if 2 * (to - from) > DAY_MS && (whole || used + 4 <= MAX_RANGES) {
                push(&mut out.quarters, (next, from));
                if whole {
                    push(&mut out.days, (d, d + DAY_MS));
                } else {
                    out.moved.push((d, from));
                    if d < from {
                        out.less.push((d, from, from));
                    }
                    if to < d + DAY_MS {
                        out.less.push((to, d + DAY_MS, from));
                    }
                }
                next = to;
            }
            d += DAY_MS;
        }
        push(&mut out.quarters, (next, e));
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
        // The totals of a month in UTC-3: 29 whole days; the first UTC day, 21 of whose
        // hours are in the range, as its day row less its first 3 hours; the last 3 hours
        // as quarter hours.
        let s = span(&[d + 3 * H, d + 30 * DAY_MS + 3 * H]);
        assert_eq!(s.range, (d + 3 * H, d + 30 * DAY_MS + 3 * H));
        assert_eq!(s.days, vec![(d + DAY_MS, d + 30 * DAY_MS)]);
        assert_eq!(s.moved, vec![(d, d + 3 * H)]);
        assert_eq!(s.less, vec![(d, d + 3 * H, d + 3 * H)]);
        assert_eq!(s.quarters, vec![(d + 30 * DAY_MS, d + 30 * DAY_MS + 3 * H)]);
        // Local days in UTC-3: each its UTC day moved to its 03:00, less 00:00–03:00,
        // plus the next day's 00:00–03:00 as quarter hours.
        let s = span(&[d + 3 * H, d + DAY_MS + 3 * H, d + 2 * DAY_MS + 3 * H]);
        assert!(s.days.is_empty());
        assert_eq!(
            s.moved,
            vec![(d, d + 3 * H), (d + DAY_MS, d + DAY_MS + 3 * H)]
        );
        assert_eq!(
            s.less,
            vec![
                (d, d + 3 * H, d + 3 * H),
                (d + DAY_MS, d + DAY_MS + 3 * H, d + DAY_MS + 3 * H)
            ]
        );
        assert_eq!(
            s.quarters,
            vec![
                (d + DAY_MS, d + DAY_MS + 3 * H),
                (d + 2 * DAY_MS, d + 2 * DAY_MS + 3 * H)
            ]
        );
        // UTC+5:30: a local day holds 18:30 of its UTC day, counted at its own start,
        // less its last 5:30; the 5:30 before it, quarter hours.
        let m = 30 * 60_000;
        let s = span(&[d - 5 * H - m, d + 18 * H + m]);
        assert_eq!(s.moved, vec![(d, d)]);
        assert_eq!(s.less, vec![(d + 18 * H + m, d + DAY_MS, d)]);
        assert_eq!(s.quarters, vec![(d - 5 * H - m, d)]);
        // Twelve hours from UTC: no day is mostly in one local day: quarter hours.
        let s = span(&[d + 12 * H, d + DAY_MS + 12 * H]);
        assert!(s.days.is_empty() && s.plain());
        assert_eq!(s.quarters, vec![(d + 12 * H, d + DAY_MS + 12 * H)]);
        // Days in UTC: all day rows.
        let s = span(&[d, d + DAY_MS, d + 2 * DAY_MS]);
        assert_eq!(s.days, vec![(d, d + 2 * DAY_MS)]);
        assert!(s.quarters.is_empty() && s.plain());
        // A range shorter than a day.
        let s = span(&[d + H, d + 2 * H]);
        assert!(s.days.is_empty() && s.plain());
        assert_eq!(s.quarters, vec![(d + H, d + 2 * H)]);
        assert_eq!(span(&[]), Span::default());
    }

    /// Each quarter hour of the range counted once, for its own interval, and nothing
    /// else counted: what the rows `span` names add up to, interval by interval.
    fn assert_exact(bounds: &[i64], what: &str) {
        use std::collections::BTreeMap;
        let s = span(bounds);
        let interval = |at: i64| bounds.partition_point(|b| *b <= at) - 1;
        let mut net: BTreeMap<(i64, usize), i64> = BTreeMap::new();
        let mut add = |(a, b): (i64, i64), at: Option<i64>, n: i64| {
            let mut q = a;
            while q < b {
                let i = interval(at.unwrap_or(q));
                *net.entry((q, i)).or_insert(0) += n;
                q += BUCKET_MS;
            }
        };
        for r in &s.quarters {
            add(*r, None, 1);
        }
        for (a, b) in &s.days {
            let mut d = *a;
            while d < *b {
                add((d, d + DAY_MS), Some(d), 1);
                d += DAY_MS;
            }
        }
        for (d, at) in &s.moved {
            assert!(
                bounds.first() <= Some(at) && Some(at) < bounds.last(),
                "{what}"
            );
            add((*d, d + DAY_MS), Some(*at), 1);
        }
        for (a, b, at) in &s.less {
            add((*a, *b), Some(*at), -1);
        }
        net.retain(|_, n| *n != 0);
        let (from, to) = s.range;
        let mut want = BTreeMap::new();
        let mut q = from;
        while q < to {
            want.insert((q, interval(q)), 1);
            q += BUCKET_MS;
        }
        assert_eq!(net, want, "{what}");
        let ranges = s.days.len() + s.quarters.len() + s.moved.len() + s.less.len();
        assert!(ranges <= MAX_RANGES, "{what}: {ranges} ranges");
    }

    #[test]
    fn every_interval_sums_exactly_its_quarter_hours_in_any_zone() {
        use chrono::NaiveDate;
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let zones = [
            chrono_tz::UTC,
            chrono_tz::America::Montevideo,
            chrono_tz::Asia::Kolkata,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Pacific::Chatham,
            chrono_tz::Europe::Madrid,
            chrono_tz::America::New_York,
            chrono_tz::Pacific::Auckland,
            chrono_tz::Etc::GMTPlus12,
        ];
        for tz in zones {
            for (interval, from, to) in [
                (Interval::Quarter, day(2026, 3, 28), day(2026, 3, 30)),
                (Interval::Hour, day(2026, 10, 24), day(2026, 11, 2)),
                (Interval::Day, day(2026, 1, 1), day(2026, 1, 31)),
                (Interval::Day, day(2026, 1, 1), day(2026, 12, 31)),
                (Interval::Week, day(2026, 1, 1), day(2026, 12, 31)),
                (Interval::Day, day(2026, 3, 29), day(2026, 3, 29)),
            ] {
                let scope = Scope::new(1, Some(from), Some(to), Some(interval), tz).unwrap();
                let what = format!("{tz} {interval:?} {from}..{to}");
                assert_exact(&scope.bounds(), &what);
                // The totals: the whole range as one interval.
                let (a, b) = scope.range();
                assert_exact(&[a, b], &what);
            }
        }
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
