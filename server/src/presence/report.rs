//! Time per status per day, from an agent's connection log, split at the viewer's
//! midnights (DST days included). The rule is the agent report's
//! (`store/shared/status_rollup.rs`, docs/reports.md): a value holds until the next
//! event and counts unless the agent is signed out.

use agentdesk_protocol::{CONNECTED, DISCONNECTED, RECONNECTED};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Seconds per status per day, from a log in time order. `start` is the status in force
/// at `from` (from the last event before it) and whether the agent was online then;
/// time in `disconnected`, time while signed out (after a `disconnected`, until a
/// `connected` or `reconnected`) and time past `now` are not counted.
pub fn status_time<Tz: TimeZone>(
    tz: &Tz,
    start: Option<(String, bool)>,
    events: &[(i64, String)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<agentdesk_protocol::DayStatusTime> {
    use std::collections::BTreeMap;
    let end = to.min(now).timestamp_millis();
    let mut totals: BTreeMap<NaiveDate, BTreeMap<String, i64>> = BTreeMap::new();
    let mut add = |value: &str, a: i64, b: i64| {
        if value == DISCONNECTED || b <= a {
            return;
        }
        // Split the interval at the viewer's midnights.
        let mut t = a;
        while t < b {
            let Some(local) = DateTime::from_timestamp_millis(t).map(|d| d.with_timezone(tz))
            else {
                return;
            };
            let day = local.date_naive();
            // The next day's start, also where its midnight does not exist (DST).
            let next_midnight = day
                .succ_opt()
                .map(|d| crate::calendar::day_start(tz, d).timestamp_millis())
                .unwrap_or(b);
            let stop = next_midnight.min(b).max(t + 1);
            *totals
                .entry(day)
                .or_default()
                .entry(value.to_owned())
                .or_default() += stop - t;
            t = stop;
        }
    };
    let (mut current, mut online) = match start {
        Some((v, online)) => (Some(v), online),
        None => (None, true),
    };
    let mut at = from.timestamp_millis();
    for (t, v) in events {
        let t = (*t).clamp(at, end.max(at));
        if let Some(c) = current.as_ref().filter(|_| online) {
            add(c, at, t);
        }
        if v == CONNECTED || v == RECONNECTED {
            online = true;
        } else if v == DISCONNECTED {
            online = false;
        }
        current = Some(v.clone());
        at = t;
    }
    if let Some(c) = current.as_ref().filter(|_| online) {
        add(c, at, end);
    }
    totals
        .into_iter()
        .map(|(day, m)| {
            let mut seconds: Vec<(String, u64)> = m
                .into_iter()
                .map(|(v, ms)| (v, u64::try_from(ms / 1000).unwrap_or(0)))
                .filter(|(_, s)| *s > 0)
                .collect();
            seconds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            agentdesk_protocol::DayStatusTime { day, seconds }
        })
        .filter(|d| !d.seconds.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn time_per_status_splits_at_midnight_and_skips_disconnected() {
        let day = |d: u32, h: u32| {
            Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
                .unwrap()
                .timestamp_millis()
        };
        let events = vec![
            (day(20, 22), "connected".to_string()),
            (day(20, 22), "available".to_string()),
            (day(21, 1), "meal".to_string()),
            (day(21, 2), "disconnected".to_string()),
        ];
        let from = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        let days = status_time(&Utc, None, &events, from, to, to);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].seconds, vec![("available".to_string(), 2 * 3600)]);
        assert_eq!(
            days[1].seconds,
            vec![("available".to_string(), 3600), ("meal".to_string(), 3600)]
        );
        // In Montevideo (UTC-3) all of it is on the 20th.
        let mvd: chrono_tz::Tz = "America/Montevideo".parse().unwrap();
        let days = status_time(&mvd, None, &events, from, to, to);
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].seconds[0], ("available".to_string(), 3 * 3600));
    }

    #[test]
    fn time_signed_out_is_not_counted() {
        let h = |h: u32| {
            Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0)
                .unwrap()
                .timestamp_millis()
        };
        let ev = |t, v: &str| (t, v.to_string());
        // Signed out at 10; a break and an ACD value uContact reports while away; back at
        // 13 (reconnected within the grace period counts as online too).
        let events = vec![
            ev(h(10), "disconnected"),
            ev(h(11), "lunch"),
            ev(h(12), "timeout"),
            ev(h(13), "connected"),
            ev(h(13), "available"),
            ev(h(14), "disconnected"),
            ev(h(15), "reconnected"),
            ev(h(15), "meeting"),
        ];
        let from = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 11, 20, 16, 0, 0).unwrap();
        let online = Some(("available".to_string(), true));
        let days = status_time(&Utc, online, &events, from, to, to);
        assert_eq!(
            days[0].seconds,
            vec![
                ("available".to_string(), 2 * 3600),
                ("meeting".to_string(), 3600)
            ]
        );
        // Signed out when the range starts: nothing until the next connection.
        let away = Some(("lunch".to_string(), false));
        let days = status_time(&Utc, away, &events[3..], from, to, to);
        assert_eq!(
            days[0].seconds,
            vec![
                ("available".to_string(), 3600),
                ("meeting".to_string(), 3600)
            ]
        );
    }
}
