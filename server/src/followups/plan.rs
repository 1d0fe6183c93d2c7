//! Reconciliation, as a pure function of the records a poll returned, what the store
//! remembers of each, and the time: which records start, which get their next
//! attempt, which are resolved. Tested here on fixed clocks.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use crate::store::followups::Tracked;

/// What one poll does to its records.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// New records, and records back after being resolved: they start anew.
    pub opened: Vec<String>,
    /// (record, attempt) to send now.
    pub notify: Vec<(String, u32)>,
    /// Open records the poll no longer returned.
    pub resolved: Vec<String>,
}

/// `seen`: the reconciliation ids this poll returned (a duplicate counts once);
/// `every`: the notification frequency; `attempts`: the most sent about one record.
pub fn plan(
    seen: &[String],
    tracked: &BTreeMap<String, Tracked>,
    now: DateTime<Utc>,
    every: Duration,
    attempts: u32,
) -> Plan {
    let mut out = Plan::default();
    let mut once = BTreeSet::new();
    for key in seen {
        if !once.insert(key.as_str()) {
            continue;
        }
        match tracked.get(key) {
            Some(t) if t.open => {
                let due = t.last_sent_at.is_none_or(|last| now - last >= every);
                if t.attempts < attempts && due {
                    out.notify.push((key.clone(), t.attempts + 1));
                }
            }
            // Never seen, or resolved before and back now.
            _ => {
                out.opened.push(key.clone());
                out.notify.push((key.clone(), 1));
            }
        }
    }
    for (key, t) in tracked {
        if t.open && !once.contains(key.as_str()) {
            out.resolved.push(key.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    /// Apply a plan the way the store does.
    fn apply(p: &Plan, tracked: &mut BTreeMap<String, Tracked>, now: DateTime<Utc>) {
        for k in &p.opened {
            tracked.insert(
                k.clone(),
                Tracked {
                    open: true,
                    attempts: 0,
                    last_sent_at: None,
                },
            );
        }
        for (k, n) in &p.notify {
            let t = tracked.get_mut(k).unwrap();
            assert_eq!(t.attempts + 1, *n);
            t.attempts = *n;
            t.last_sent_at = Some(now);
        }
        for k in &p.resolved {
            tracked.get_mut(k).unwrap().open = false;
        }
    }

    #[test]
    fn frequency_and_attempts_are_respected_across_a_year_end() {
        // Polls every 10 minutes from New Year's Eve, notifying hourly, 3 attempts.
        let every = Duration::minutes(60);
        let mut tracked = BTreeMap::new();
        let start = at(2026, 12, 31, 23, 0);
        let mut sent = Vec::new();
        for i in 0..40 {
            let now = start + Duration::minutes(10 * i);
            let p = plan(&keys(&["T-1"]), &tracked, now, every, 3);
            for (_, n) in &p.notify {
                sent.push((now, *n));
            }
            apply(&p, &mut tracked, now);
        }
        assert_eq!(
            sent,
            vec![
                (at(2026, 12, 31, 23, 0), 1),
                (at(2027, 1, 1, 0, 0), 2),
                (at(2027, 1, 1, 1, 0), 3),
            ]
        );
    }

    #[test]
    fn a_record_that_leaves_is_resolved_and_starts_anew_when_back() {
        let every = Duration::minutes(10);
        let t0 = at(2027, 3, 28, 0, 50); // the night Europe's clocks go forward
        let mut tracked = BTreeMap::new();
        let p = plan(&keys(&["A", "B", "A"]), &tracked, t0, every, 2);
        assert_eq!(p.opened, keys(&["A", "B"]), "a duplicate counts once");
        apply(&p, &mut tracked, t0);
        let t1 = t0 + every;
        let p = plan(&keys(&["B"]), &tracked, t1, every, 2);
        assert_eq!(p.resolved, keys(&["A"]));
        assert_eq!(p.notify, vec![("B".to_string(), 2)]);
        apply(&p, &mut tracked, t1);
        let t2 = t1 + every;
        let p = plan(&keys(&["A", "B"]), &tracked, t2, every, 2);
        assert_eq!(p.opened, keys(&["A"]), "back after resolving: anew");
        assert_eq!(p.notify, vec![("A".to_string(), 1)], "B has had its 2");
        assert!(p.resolved.is_empty());
    }

    #[test]
    fn not_yet_due_waits_to_the_millisecond() {
        let every = Duration::minutes(30);
        let last = at(2026, 12, 5, 12, 0);
        let mut tracked = BTreeMap::new();
        tracked.insert(
            "X".to_string(),
            Tracked {
                open: true,
                attempts: 1,
                last_sent_at: Some(last),
            },
        );
        let early = last + every - Duration::milliseconds(1);
        assert!(
            plan(&keys(&["X"]), &tracked, early, every, 5)
                .notify
                .is_empty()
        );
        let p = plan(&keys(&["X"]), &tracked, last + every, every, 5);
        assert_eq!(p.notify, vec![("X".to_string(), 2)]);
    }
}
