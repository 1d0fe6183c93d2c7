//! Days in a time zone: where a local day starts, as an instant. The one rule every
//! per-day figure uses (the agent log's range, time per status, reports), so that a day
//! is the same day everywhere.
//!
//! A local midnight can be missing (Santiago, Havana and Cairo spring forward at
//! 00:00, so the day starts at 01:00) or happen twice (a zone that falls back across
//! midnight): the day starts at the first instant whose local date is that day. A day a
//! zone skipped entirely (Kiritimati's 1994-12-31) is empty: it starts where the next
//! one does.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// The first instant of local `day` in `tz`.
pub fn day_start<Tz: TimeZone>(tz: &Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    if let Some(t) = tz.from_local_datetime(&midnight).earliest() {
        return t.with_timezone(&Utc);
    }
    // Midnight falls in a gap. Offsets change by whole minutes, so the first local
    // minute of the day that exists is the instant the gap ends.
    (1..=24 * 60)
        .filter_map(|m| {
            tz.from_local_datetime(&(midnight + Duration::minutes(m)))
                .earliest()
        })
        .next()
        .map(|t| t.with_timezone(&Utc))
        // The whole day is missing: it is empty, at the start of the next day.
        .unwrap_or_else(|| match day.succ_opt() {
            Some(next) => day_start(tz, next),
            None => DateTime::<Utc>::MAX_UTC,
        })
}

/// The instant a local wall time names in `tz`: `None` when the clocks skip it (a
/// spring-forward gap); of a time they repeat (falling back), the first. The one rule for
/// times people type in their own zone (a callback's time).
pub fn local_instant<Tz: TimeZone>(tz: &Tz, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// `[start, end)` of the inclusive local date range `from..=to`.
pub fn range<Tz: TimeZone>(
    tz: &Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = to
        .succ_opt()
        .map(|d| day_start(tz, d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (day_start(tz, from), end)
}

/// Today's date in `tz` at `now`.
pub fn today<Tz: TimeZone>(tz: &Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(tz).date_naive()
}

/// The default range of per-day views: the last `days` local days up to today,
/// inclusive (`days` ≥ 1). Date arithmetic, so it never wraps at the start of a month.
pub fn last_days<Tz: TimeZone>(tz: &Tz, now: DateTime<Utc>, days: u32) -> (NaiveDate, NaiveDate) {
    let to = today(tz, now);
    let from = to
        .checked_sub_days(chrono::Days::new(u64::from(days.max(1) - 1)))
        .unwrap_or(NaiveDate::MIN);
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    const ZONES: [&str; 8] = [
        "UTC",
        "America/Santiago",
        "America/Havana",
        "Africa/Cairo",
        "Asia/Kolkata",
        "Pacific/Kiritimati",
        "America/Montevideo",
        "Australia/Lord_Howe",
    ];

    fn days_of(year: i32) -> impl Iterator<Item = NaiveDate> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        first.iter_days().take_while(move |d| d.year() == year)
    }
    use chrono::Datelike;

    /// Every day of a leap and a non-leap year, in zones with midnight gaps, half-hour
    /// offsets, +14 h and half-hour DST: the day starts on that local date, the instant
    /// before is the previous date, and the day is 23 to 25 hours long.
    #[test]
    fn every_day_of_two_years_starts_on_its_own_date_in_every_zone() {
        for zone in ZONES {
            let tz: Tz = zone.parse().unwrap();
            for year in [2024, 2025, 2026, 2028] {
                let mut n = 0;
                for day in days_of(year) {
                    n += 1;
                    let start = day_start(&tz, day);
                    let next = day_start(&tz, day.succ_opt().unwrap());
                    assert_eq!(start.with_timezone(&tz).date_naive(), day, "{zone} {day}");
                    let before = start - Duration::milliseconds(1);
                    assert!(before.with_timezone(&tz).date_naive() < day, "{zone} {day}");
                    let hours = (next - start).num_minutes() as f64 / 60.0;
                    assert!((23.0..=25.0).contains(&hours), "{zone} {day}: {hours} h");
                }
                let leap = year % 4 == 0;
                assert_eq!(n, if leap { 366 } else { 365 });
            }
        }
    }

    #[test]
    fn a_missing_midnight_starts_the_day_when_the_gap_ends_not_at_utc_midnight() {
        // Santiago springs forward on 2026-09-06 at 00:00 (-04 → -03): the day starts at
        // 01:00 local, 04:00 UTC, and is 23 hours long.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(day_start(&tz, d).to_rfc3339(), "2026-09-06T04:00:00+00:00");
        let (a, b) = range(&tz, d, d);
        assert_eq!((b - a).num_hours(), 23);
        // Havana springs forward at 00:00 on 2026-03-08 (-05 → -04).
        let tz: Tz = "America/Havana".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(day_start(&tz, d).to_rfc3339(), "2026-03-08T05:00:00+00:00");
        // Cairo springs forward at 00:00 on the last Friday of April (2025-04-25).
        let tz: Tz = "Africa/Cairo".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2025, 4, 25).unwrap();
        assert_eq!(day_start(&tz, d).to_rfc3339(), "2025-04-24T22:00:00+00:00");
        assert_eq!(
            day_start(&tz, d).with_timezone(&tz).to_rfc3339(),
            "2025-04-25T01:00:00+03:00"
        );
    }

    #[test]
    fn a_day_a_zone_skipped_is_empty() {
        // Kiritimati went from UTC-10 to UTC+14 and had no 1994-12-31.
        let tz: Tz = "Pacific/Kiritimati".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(1994, 12, 31).unwrap();
        let (a, b) = range(&tz, d, d);
        assert_eq!(a, b);
        assert_eq!(a.with_timezone(&tz).date_naive(), d.succ_opt().unwrap());
    }

    #[test]
    fn the_default_range_is_seven_days_on_every_day_including_the_first_ones() {
        let tz: Tz = "America/Santiago".parse().unwrap();
        for day in days_of(2028) {
            // 00:30 local on each day of a leap year, DST days included.
            let now = day_start(&tz, day) + Duration::minutes(30);
            let (from, to) = last_days(&tz, now, 7);
            assert_eq!(to, day);
            assert_eq!((to - from).num_days(), 6, "{day}");
            assert!(from < to);
        }
        // On the 1st of March of a leap year the range reaches back into February.
        let now = DateTime::parse_from_rfc3339("2028-03-01T00:30:00-03:00")
            .unwrap()
            .to_utc();
        let (from, to) = last_days(&tz, now, 7);
        assert_eq!(to.to_string(), "2028-03-01");
        assert_eq!(from.to_string(), "2028-02-24");
    }
}
