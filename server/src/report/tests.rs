//! Reports: the hold rule in any order, splitting at quarter hours, grouping by interval
//! in zones half or three quarters of an hour off UTC, and the nearest-rank percentile.

use chrono::{NaiveDate, TimeZone, Utc};

use super::fold::{BUCKET_MS, HoldEvent, hold_of, split};
use super::{QueueAcc, Scope};
use agentdesk_protocol::report::Interval;

fn ev(at_s: i64, id: i64, event: &str) -> HoldEvent {
    HoldEvent {
        at_ms: at_s * 1000,
        id,
        event: event.into(),
        queue: "Ventas".into(),
        agent: "ana".into(),
    }
}

#[test]
fn hold_periods_are_the_same_in_any_order() {
    let rows = vec![
        ev(100, 1, "HOLD"),
        ev(130, 2, "UNHOLD"),
        ev(200, 3, "HOLD"),
        ev(210, 4, "HOLD"),           // already on hold: nothing
        ev(260, 5, "COMPLETECALLER"), // hung up on hold: the end closes it
        ev(300, 6, "UNHOLD"),         // after the end: nothing open
    ];
    let mut forward = rows.clone();
    let mut backward: Vec<_> = rows.into_iter().rev().collect();
    let a = hold_of(&mut forward).unwrap();
    let b = hold_of(&mut backward).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.holds, a.hold_ms), (2, 90_000));
    assert_eq!((a.campaign.as_str(), a.agent.as_str()), ("Ventas", "ana"));
    // Never on hold: no contribution, even with an UNHOLD.
    assert_eq!(
        hold_of(&mut [ev(1, 1, "UNHOLD"), ev(2, 2, "COMPLETEAGENT")]),
        None
    );
    // An open hold counts, with no length yet.
    let open = hold_of(&mut [ev(1, 1, "HOLD")]).unwrap();
    assert_eq!((open.holds, open.hold_ms), (1, 0));
}

#[test]
fn a_span_is_split_at_quarter_hours() {
    let mut parts = Vec::new();
    split(BUCKET_MS - 60_000, 2 * BUCKET_MS + 1, |b, ms| {
        parts.push((b, ms))
    });
    assert_eq!(
        parts,
        [(0, 60_000), (BUCKET_MS, BUCKET_MS), (2 * BUCKET_MS, 1)]
    );
    parts.clear();
    split(5, 5, |b, ms| parts.push((b, ms)));
    assert!(parts.is_empty());
}

#[test]
fn hours_and_days_of_zones_off_by_half_and_three_quarter_hours() {
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    for (zone, offset_min) in [("Asia/Kolkata", 330), ("Asia/Kathmandu", 345)] {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let mut s = Scope::new(1, Some(day), Some(day), Some(Interval::Hour), tz).unwrap();
        // 10:15 local is a quarter hour of UTC; its hour starts at 10:00 local.
        let local_1015 = Utc
            .with_ymd_and_hms(2026, 3, 2, 10, 15, 0)
            .unwrap()
            .timestamp_millis()
            - offset_min * 60_000;
        assert_eq!(local_1015 % BUCKET_MS, 0, "{zone}");
        assert_eq!(
            s.interval_of(local_1015),
            local_1015 - 15 * 60_000,
            "{zone}"
        );
        s.interval = Interval::Day;
        let midnight = Utc
            .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
            .unwrap()
            .timestamp_millis()
            - offset_min * 60_000;
        assert_eq!(s.interval_of(local_1015), midnight, "{zone}");
        // Monday 2 March 2026 starts its week.
        s.interval = Interval::Week;
        assert_eq!(
            s.interval_of(local_1015 + 3 * 86_400_000),
            midnight,
            "{zone}"
        );
    }
}

#[test]
fn the_90th_percentile_is_the_nearest_rank() {
    let mut acc = QueueAcc::default();
    assert_eq!(acc.p90(), None);
    // Ten calls waiting 1..=10 s: the 9th smallest.
    for w in 1..=10 {
        acc.add_wait(w, 1, 20);
    }
    assert_eq!(acc.p90(), Some(9));
    // Eleven: rank ceil(9.9) = 10.
    acc.add_wait(100, 1, 20);
    assert_eq!(acc.p90(), Some(10));
    assert_eq!(acc.within, 10);
}
