//! A contact's communication analytics (docs/reports.md): interactions per week and
//! month, channel mix, inbound vs outbound, first-response times and last contact, over
//! a range of the contact's interactions (`store/shared/analytics.rs`, read by the
//! contact's range of its index, never a scan of the table), of the viewer's teams only. What an interaction
//! is: `protocol::report::interaction_direction`.

use std::collections::BTreeMap;

use agentdesk_protocol::ActivityKind;
use agentdesk_protocol::report::{
    ChannelCount, ContactAnalytics, MAX_ANALYTICS_ACTIVITIES, PeriodCount, RESPONSE_BUCKETS,
    ResponseBucket, ResponseTimes, awaits_reply,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::calendar;
use crate::store::reports::InteractionRow;
use crate::store::{DynStore, StoreResult, Viewer, corrupt};

/// One interaction as the analytics read it (`store/shared/analytics.rs` keeps them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub at: DateTime<Utc>,
    pub kind: ActivityKind,
    pub inbound: bool,
    /// An inbound e-mail's or SMS's reply: the next outbound one of its channel.
    pub answered_at: Option<DateTime<Utc>>,
}

impl Fact {
    pub fn read(r: &InteractionRow) -> StoreResult<Fact> {
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        Ok(Fact {
            at: at(r.at),
            kind: r.kind.parse().map_err(|e| corrupt("interaction kind", e))?,
            inbound: r.inbound == 1,
            answered_at: r.answered_at.map(at),
        })
    }

    /// Seconds to its reply: `Some(None)` for an inbound message still waiting, `None`
    /// for anything that waits for no reply.
    pub fn reply_secs(&self) -> Option<Option<u64>> {
        (self.inbound && awaits_reply(self.kind)).then(|| {
            self.answered_at
                .map(|r| (r - self.at).num_seconds().max(0) as u64)
        })
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

/// First-response figures and distribution of messages' reply times (`None`: waiting).
pub fn responses(
    replies: impl IntoIterator<Item = Option<u64>>,
) -> (ResponseTimes, Vec<ResponseBucket>) {
    let mut times = Vec::new();
    let mut unanswered = 0;
    for r in replies {
        match r {
            Some(t) => times.push(t),
            None => unanswered += 1,
        }
    }
    times.sort_unstable();
    let mut buckets: Vec<ResponseBucket> = RESPONSE_BUCKETS
        .iter()
        .map(|b| Some(*b))
        .chain([None])
        .map(|up_to| ResponseBucket { up_to, count: 0 })
        .collect();
    for t in &times {
        let i = RESPONSE_BUCKETS
            .iter()
            .position(|b| t <= b)
            .unwrap_or(RESPONSE_BUCKETS.len());
        buckets[i].count += 1;
    }
    let figures = ResponseTimes {
        answered: times.len() as u64,
        unanswered,
        median: rank(&times, 0.5),
        p90: rank(&times, 0.9),
    };
    (figures, buckets)
}

/// Channel counts, most used first.
pub fn channel_counts(counts: BTreeMap<ActivityKind, (u64, u64)>) -> Vec<ChannelCount> {
    let mut channels: Vec<ChannelCount> = counts
        .into_iter()
        .map(|(kind, (inbound, outbound))| ChannelCount {
            kind,
            count: inbound + outbound,
            inbound,
            outbound,
        })
        .collect();
    channels.sort_by(|a, b| b.count.cmp(&a.count).then(a.kind.cmp(&b.kind)));
    channels
}

/// The analytics of `facts` (any order) for the local range `from..=to` in `tz`.
pub fn analyse(
    contact_id: i64,
    mut facts: Vec<Fact>,
    (from, to): (NaiveDate, NaiveDate),
    tz: Tz,
    truncated: bool,
) -> ContactAnalytics {
    facts.sort_by_key(|f| f.at);
    let mut weeks: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut months: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut channels: BTreeMap<ActivityKind, (u64, u64)> = BTreeMap::new();
    for f in &facts {
        let day = f.at.with_timezone(&tz).date_naive();
        let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        *weeks.entry(monday).or_insert(0) += 1;
        *months.entry(day.with_day(1).unwrap_or(day)).or_insert(0) += 1;
        let c = channels.entry(f.kind).or_default();
        if f.inbound {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    let channels = channel_counts(channels);
    let inbound = channels.iter().map(|c| c.inbound).sum();
    let outbound = channels.iter().map(|c| c.outbound).sum();
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
        first_response: responses(facts.iter().filter_map(Fact::reply_secs)).0,
        last_contact: facts.last().map(|f| f.at),
        truncated,
    }
}

/// A contact's analytics from the store: the viewer's teams' interactions with it (the
/// caller has checked the viewer may see the contact).
pub async fn contact(
    store: &DynStore,
    viewer: &Viewer,
    contact_id: i64,
    range: (NaiveDate, NaiveDate),
    tz: Tz,
) -> StoreResult<ContactAnalytics> {
    let (a, b) = calendar::range(&tz, range.0, range.1);
    let rows = store
        .contact_interactions(
            viewer,
            contact_id,
            (a.timestamp_millis(), b.timestamp_millis()),
            MAX_ANALYTICS_ACTIVITIES,
        )
        .await?;
    let truncated = rows.len() >= MAX_ANALYTICS_ACTIVITIES as usize;
    let facts = rows.iter().map(Fact::read).collect::<StoreResult<_>>()?;
    Ok(analyse(contact_id, facts, range, tz, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn f(h: i64, kind: ActivityKind, inbound: bool) -> Fact {
        Fact {
            at: Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap() + Duration::hours(h),
            kind,
            inbound,
            answered_at: None,
        }
    }

    #[test]
    fn replies_are_counted_by_bucket_and_rank() {
        let hour = |h: u64| Some(h * 3600);
        // 4 answered (5 min, 1 h, 3 h, 2 days), 1 waiting.
        let (r, buckets) = responses([Some(300), hour(1), hour(3), hour(48), None]);
        assert_eq!((r.answered, r.unanswered), (4, 1));
        assert_eq!((r.median, r.p90), (hour(1), hour(48)));
        let counts: Vec<_> = buckets.iter().map(|b| (b.up_to, b.count)).collect();
        assert_eq!(
            counts,
            [
                (Some(300), 1),
                (Some(900), 0),
                (Some(3_600), 1),
                (Some(14_400), 1),
                (Some(86_400), 0),
                (None, 1)
            ]
        );
    }

    #[test]
    fn only_inbound_mail_and_sms_wait_for_replies() {
        let mut e = f(0, ActivityKind::Email, true);
        assert_eq!(e.reply_secs(), Some(None));
        e.answered_at = Some(e.at + Duration::minutes(90));
        assert_eq!(e.reply_secs(), Some(Some(5_400)));
        assert_eq!(f(0, ActivityKind::Chat, true).reply_secs(), None);
        assert_eq!(f(0, ActivityKind::Sms, false).reply_secs(), None);
    }

    #[test]
    fn weeks_and_months_are_local() {
        use ActivityKind::*;
        // 2026-12-31 23:00 UTC is 2027-01-01 in Madrid: another month, another week day.
        let facts = vec![f(-1, Email, true), f(23, Call, false)];
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
        assert_eq!(a.last_contact, Some(f(23, Call, false).at));
    }
}
