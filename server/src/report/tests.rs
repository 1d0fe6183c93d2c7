//! Reports: the hold rule in any order, splitting at quarter hours, interval keys across
//! DST changes and in a zone three quarters of an hour off UTC, the nearest-rank
//! percentile.

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
fn interval_keys_carry_each_stretch_s_offset_and_name_local_days() {
    let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
    // Madrid on the day clocks go forward at 01:00 UTC: two stretches.
    let madrid: chrono_tz::Tz = "Europe/Madrid".parse().unwrap();
    let s = Scope::new(1, Some(day), Some(day), Some(Interval::Day), madrid).unwrap();
    let change = Utc
        .with_ymd_and_hms(2026, 3, 29, 1, 0, 0)
        .unwrap()
        .timestamp_millis();
    assert_eq!(
        s.key_sql(),
        format!(
            "((bucket + CASE WHEN bucket < {change} THEN 3600000 ELSE 7200000 END) / 86400000)"
        )
    );
    // Kathmandu, 5 h 45 min ahead all year: one stretch; a day key is a local date.
    let kathmandu: chrono_tz::Tz = "Asia/Kathmandu".parse().unwrap();
    let s = Scope::new(1, Some(day), Some(day), Some(Interval::Day), kathmandu).unwrap();
    assert_eq!(s.key_sql(), "((bucket + 20700000) / 86400000)");
    let key = (day - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days();
    assert_eq!(
        s.start_of(key),
        Utc.with_ymd_and_hms(2026, 3, 28, 18, 15, 0)
            .unwrap()
            .timestamp_millis()
    );
    // Hours and quarter hours are keyed by their start itself.
    let s = Scope::new(1, Some(day), Some(day), Some(Interval::Hour), kathmandu).unwrap();
    assert_eq!(s.key_sql(), "(bucket - (bucket + 20700000) % 3600000)");
    assert_eq!(s.start_of(BUCKET_MS * 3), BUCKET_MS * 3);
    // Before 1971 the arithmetic would not hold: refused.
    let old = NaiveDate::from_ymd_opt(1969, 12, 31).unwrap();
    assert_eq!(
        Scope::new(1, Some(old), Some(day), Some(Interval::Week), kathmandu)
            .map(|_| ())
            .unwrap_err()
            .0,
        "from"
    );
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
