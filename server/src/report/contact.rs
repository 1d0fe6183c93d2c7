//! A contact's communication analytics (docs/reports.md): interactions per week and
//! month, channel mix, inbound vs outbound, first-response times and last contact, over
//! a range of the contact's own activities (read by the timeline's index: one contact's
//! range, never a scan of the table). Notes and follow-up notifications are not
//! interactions.

use std::collections::BTreeMap;

use agentdesk_protocol::report::{
    ChannelCount, ContactAnalytics, MAX_ANALYTICS_ACTIVITIES, PeriodCount, ResponseTimes,
    is_interaction,
};
use agentdesk_protocol::{ActivityDetail, ActivityKind, Direction};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::calendar;
use crate::store::{DynStore, StoreResult, corrupt};

/// One interaction as the analytics read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub at: DateTime<Utc>,
    pub kind: ActivityKind,
    pub direction: Option<Direction>,
}

fn direction(d: &ActivityDetail) -> Option<Direction> {
    match d {
        ActivityDetail::Email { direction, .. }
        | ActivityDetail::Call { direction, .. }
        | ActivityDetail::Sms { direction, .. } => Some(*direction),
        // A chat or a ticket is opened by the customer.
        ActivityDetail::Chat { .. } | ActivityDetail::Ticket { .. } => Some(Direction::Inbound),
        _ => None,
    }
}

/// Nearest-rank percentile of sorted values.
fn rank(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[i])
}

/// Each inbound e-mail or SMS to the next outbound one of the same channel: a reply
/// answers every inbound message before it that had none.
pub fn first_responses(facts_oldest_first: &[Fact]) -> ResponseTimes {
    let mut waiting: BTreeMap<ActivityKind, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut times = Vec::new();
    for f in facts_oldest_first {
        if !matches!(f.kind, ActivityKind::Email | ActivityKind::Sms) {
            continue;
        }
        match f.direction {
            Some(Direction::Inbound) => waiting.entry(f.kind).or_default().push(f.at),
            Some(Direction::Outbound) => {
                for asked in waiting.remove(&f.kind).unwrap_or_default() {
                    times.push((f.at - asked).num_seconds().max(0) as u64);
                }
            }
            None => {}
        }
    }
    times.sort_unstable();
    ResponseTimes {
        answered: times.len() as u64,
        unanswered: waiting.values().map(|w| w.len() as u64).sum(),
        median: rank(&times, 0.5),
        p90: rank(&times, 0.9),
    }
}

/// The analytics of `facts` (any order) for the local range `from..=to` in `tz`.
pub fn analyse(
    contact_id: i64,
    mut facts: Vec<Fact>,
    (from, to): (NaiveDate, NaiveDate),
    tz: Tz,
    truncated: bool,
) -> ContactAnalytics {
    facts.retain(|f| is_interaction(f.kind));
    facts.sort_by_key(|f| f.at);
    let mut weeks: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut months: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut channels: BTreeMap<ActivityKind, ChannelCount> = BTreeMap::new();
    let (mut inbound, mut outbound) = (0, 0);
    for f in &facts {
        let day = f.at.with_timezone(&tz).date_naive();
        let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        *weeks.entry(monday).or_insert(0) += 1;
        *months.entry(day.with_day(1).unwrap_or(day)).or_insert(0) += 1;
        let c = channels.entry(f.kind).or_insert(ChannelCount {
            kind: f.kind,
            count: 0,
            inbound: 0,
            outbound: 0,
        });
        c.count += 1;
        match f.direction {
            Some(Direction::Inbound) => {
                c.inbound += 1;
                inbound += 1;
            }
            Some(Direction::Outbound) => {
                c.outbound += 1;
                outbound += 1;
            }
            None => {}
        }
    }
    let mut channels: Vec<ChannelCount> = channels.into_values().collect();
    channels.sort_by(|a, b| b.count.cmp(&a.count).then(a.kind.cmp(&b.kind)));
    let local = |day: NaiveDate| {
        calendar::day_start(&tz, day)
            .with_timezone(&tz)
            .fixed_offset()
    };
    let period = |m: BTreeMap<NaiveDate, u64>| {
        m.into_iter()
            .map(|(day, count)| PeriodCount {
                start: local(day),
                count,
            })
            .collect()
    };
    ContactAnalytics {
        contact_id,
        from: local(from),
        to: local(to + Duration::days(1)),
        time_zone: tz.name().to_owned(),
        weeks: period(weeks),
        months: period(months),
        channels,
        total: facts.len() as u64,
        inbound,
        outbound,
        first_response: first_responses(&facts),
        last_contact: facts.last().map(|f| f.at),
        truncated,
    }
}

/// A contact's analytics from the store (the caller has checked the viewer may see it).
pub async fn contact(
    store: &DynStore,
    contact_id: i64,
    range: (NaiveDate, NaiveDate),
    tz: Tz,
) -> StoreResult<ContactAnalytics> {
    let (a, b) = calendar::range(&tz, range.0, range.1);
    let rows = store
        .contact_activity_facts(
            contact_id,
            a.timestamp_millis(),
            b.timestamp_millis(),
            MAX_ANALYTICS_ACTIVITIES,
        )
        .await?;
    let truncated = rows.len() >= MAX_ANALYTICS_ACTIVITIES as usize;
    let mut facts = Vec::with_capacity(rows.len());
    for (at, kind, detail) in rows {
        let kind: ActivityKind = kind.parse().map_err(|e| corrupt("activity kind", e))?;
        if !is_interaction(kind) {
            continue;
        }
        let detail: ActivityDetail =
            serde_json::from_str(&detail).map_err(|e| corrupt("activity detail", e))?;
        facts.push(Fact {
            at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
            kind,
            direction: direction(&detail),
        });
    }
    Ok(analyse(contact_id, facts, range, tz, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn f(h: i64, kind: ActivityKind, d: Direction) -> Fact {
        Fact {
            at: Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap() + Duration::hours(h),
            kind,
            direction: Some(d),
        }
    }

    #[test]
    fn a_reply_answers_every_waiting_message_of_its_channel_only() {
        use ActivityKind::*;
        use Direction::*;
        let facts = [
            f(0, Email, Inbound),
            f(1, Email, Inbound),
            f(2, Sms, Inbound),
            f(3, Email, Outbound), // answers both e-mails: 3 h and 2 h
            f(4, Email, Outbound), // nothing waiting
            f(5, Sms, Outbound),   // 3 h
            f(6, Email, Inbound),  // still waiting
            f(7, Call, Outbound),  // not a reply to an e-mail
        ];
        let r = first_responses(&facts);
        assert_eq!((r.answered, r.unanswered), (3, 1));
        assert_eq!((r.median, r.p90), (Some(3 * 3600), Some(3 * 3600)));
    }

    #[test]
    fn weeks_and_months_are_local_and_notes_are_not_interactions() {
        use ActivityKind::*;
        use Direction::*;
        // 2026-12-31 23:00 UTC is 2027-01-01 in Madrid: another month, another week day.
        let facts = vec![
            f(-1, Email, Inbound),
            f(23, Call, Outbound),
            Fact {
                at: Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap(),
                kind: Note,
                direction: None,
            },
        ];
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let a = analyse(
            7,
            facts,
            (day(2026, 12, 1), day(2027, 1, 31)),
            "Europe/Madrid".parse().unwrap(),
            false,
        );
        assert_eq!(a.total, 2);
        let months: Vec<_> = a
            .months
            .iter()
            .map(|p| (p.start.date_naive(), p.count))
            .collect();
        assert_eq!(months, [(day(2026, 12, 1), 1), (day(2027, 1, 1), 1)]);
        // Both in the week of Monday 28 December.
        let weeks: Vec<_> = a
            .weeks
            .iter()
            .map(|p| (p.start.date_naive(), p.count))
            .collect();
        assert_eq!(weeks, [(day(2026, 12, 28), 2)]);
        assert_eq!((a.inbound, a.outbound), (1, 1));
        assert_eq!(a.last_contact, Some(f(23, Call, Outbound).at));
    }
}
