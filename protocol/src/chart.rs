//! The agent log's chart of time per status: which ranges it takes, and how a long range
//! is drawn by week or by month instead of by day. One rule for the server (which
//! refuses a range it will not compute) and the browser (which checks the form first and
//! groups the days it gets).

use chrono::{Datelike, Days, NaiveDate};

use crate::DayStatusTime;

/// Longest range the chart computes: a year and a day (a leap year's whole year).
pub const MAX_CHART_DAYS: i64 = 366;

/// Why a date range cannot be charted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeProblem {
    /// The start is after the end.
    Inverted,
    /// More than [`MAX_CHART_DAYS`] days.
    TooLong,
}

/// Check an inclusive date range for the chart.
pub fn range_problem(from: NaiveDate, to: NaiveDate) -> Option<RangeProblem> {
    if from > to {
        Some(RangeProblem::Inverted)
    } else if (to - from).num_days() >= MAX_CHART_DAYS {
        Some(RangeProblem::TooLong)
    } else {
        None
    }
}

/// How many days one bar of the chart covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Day,
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Bucket {
    /// Bars by day up to a month, by week up to half a year, by month beyond: at most
    /// ~31 bars whatever the range.
    pub fn for_range(from: NaiveDate, to: NaiveDate) -> Bucket {
        match (to - from).num_days() + 1 {
            ..=31 => Bucket::Day,
            32..=186 => Bucket::Week,
            _ => Bucket::Month,
        }
    }

    /// The first day of the bar `day` falls in.
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Bucket::Day => day,
            Bucket::Week => day
                .checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))
                .unwrap_or(day),
            Bucket::Month => day.with_day(1).unwrap_or(day),
        }
    }
}

/// Days grouped into bars: each bar is dated by its first day and holds the seconds of
/// every status summed over its days, largest first (ties by value).
pub fn bucketed(days: &[DayStatusTime], bucket: Bucket) -> Vec<DayStatusTime> {
    let mut out: Vec<DayStatusTime> = Vec::new();
    for d in days {
        let start = bucket.start(d.day);
        let bar = match out.iter_mut().find(|b| b.day == start) {
            Some(b) => b,
            None => {
                out.push(DayStatusTime {
                    day: start,
                    seconds: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        for (value, secs) in &d.seconds {
            match bar.seconds.iter_mut().find(|(v, _)| v == value) {
                Some((_, s)) => *s += secs,
                None => bar.seconds.push((value.clone(), *secs)),
            }
        }
    }
    out.sort_by_key(|b| b.day);
    for b in &mut out {
        b.seconds
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn day(date: NaiveDate, secs: &[(&str, u64)]) -> DayStatusTime {
        DayStatusTime {
            day: date,
            seconds: secs.iter().map(|(v, s)| (v.to_string(), *s)).collect(),
        }
    }

    #[test]
    fn ranges_are_checked_in_order_then_length() {
        assert_eq!(
            range_problem(d(2026, 3, 2), d(2026, 3, 1)),
            Some(RangeProblem::Inverted)
        );
        assert_eq!(range_problem(d(2026, 3, 1), d(2026, 3, 1)), None);
        // A leap year's whole year is 366 days: allowed; one more is not.
        assert_eq!(range_problem(d(2028, 1, 1), d(2028, 12, 31)), None);
        assert_eq!(
            range_problem(d(2028, 1, 1), d(2029, 1, 1)),
            Some(RangeProblem::TooLong)
        );
    }

    #[test]
    fn long_ranges_are_drawn_by_week_then_by_month() {
        assert_eq!(
            Bucket::for_range(d(2026, 1, 1), d(2026, 1, 31)),
            Bucket::Day
        );
        assert_eq!(
            Bucket::for_range(d(2026, 1, 1), d(2026, 2, 1)),
            Bucket::Week
        );
        assert_eq!(
            Bucket::for_range(d(2026, 1, 1), d(2026, 7, 5)),
            Bucket::Week
        );
        assert_eq!(
            Bucket::for_range(d(2026, 1, 1), d(2026, 7, 6)),
            Bucket::Month
        );
    }

    #[test]
    fn weeks_start_on_monday_across_a_year_end_and_months_on_the_first() {
        // 2026-12-31 is a Thursday; its week started on Monday the 28th.
        assert_eq!(Bucket::Week.start(d(2026, 12, 31)), d(2026, 12, 28));
        assert_eq!(Bucket::Week.start(d(2027, 1, 3)), d(2026, 12, 28));
        assert_eq!(Bucket::Week.start(d(2027, 1, 4)), d(2027, 1, 4));
        assert_eq!(Bucket::Month.start(d(2028, 2, 29)), d(2028, 2, 1));
        assert_eq!(Bucket::Day.start(d(2028, 2, 29)), d(2028, 2, 29));
    }

    #[test]
    fn bars_sum_every_status_over_their_days() {
        let days = vec![
            day(d(2026, 12, 31), &[("available", 100), ("break", 50)]),
            day(d(2027, 1, 1), &[("break", 80)]),
            day(d(2027, 1, 4), &[("available", 10)]),
        ];
        let weeks = bucketed(&days, Bucket::Week);
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].day, d(2026, 12, 28));
        assert_eq!(
            weeks[0].seconds,
            [("break".to_string(), 130), ("available".to_string(), 100)]
        );
        assert_eq!(weeks[1].seconds, [("available".to_string(), 10)]);
        let months = bucketed(&days, Bucket::Month);
        assert_eq!(
            months.iter().map(|m| m.day).collect::<Vec<_>>(),
            [d(2026, 12, 1), d(2027, 1, 1)]
        );
        assert_eq!(bucketed(&days, Bucket::Day), days);
        let total = |v: &[DayStatusTime]| -> u64 {
            v.iter().flat_map(|b| b.seconds.iter().map(|s| s.1)).sum()
        };
        assert_eq!(total(&weeks), total(&days));
        assert_eq!(total(&months), total(&days));
    }
}
