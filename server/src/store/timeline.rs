//! A contact's timeline: the request and page types, the walk plan that makes any page
//! a few index steps away, and [`TimelineStore`]. One implementation for both backends
//! (`store/shared/timeline.rs`); what differs — the full-text search index — is each
//! backend's `search.rs`.

use agentdesk_protocol::{
    Activity, ActivityDetail, ActivityKind, EmailContent, KindCount, UserRef,
};
use async_trait::async_trait;

use super::{NewActivity, StoreResult, StoredEvent, Viewer, corrupt};

/// A request for one page of a contact's timeline.
#[derive(Debug, Clone, Default)]
pub struct TimelineRequest {
    /// Empty: every kind.
    pub kinds: Vec<ActivityKind>,
    /// Search words (see [`search_words`](super::search_words)); empty: no search.
    pub words: Vec<String>,
    /// 1-based; clamped to the last page.
    pub page: u32,
    pub anchor: Option<TimelineAnchor>,
}

/// The key of the newest activity of a known page, for the same kinds and words: pages
/// near it are reached by walking from it instead of from either end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineAnchor {
    pub page: u32,
    pub occurred_at_ms: i64,
    pub id: i64,
}

#[derive(Debug, Clone)]
pub struct TimelinePage {
    pub items: Vec<Activity>,
    /// At most [`SEARCH_MATCH_LIMIT`](agentdesk_protocol::SEARCH_MATCH_LIMIT) for a search.
    pub total: u64,
    /// A search with more matches than the limit (`total` is the limit).
    pub capped: bool,
    pub page: u32,
    pub pages: u32,
    pub kind_counts: Vec<KindCount>,
}

impl TimelinePage {
    /// No match at all: one empty page.
    pub fn no_match(kind_counts: Vec<KindCount>) -> Self {
        TimelinePage {
            items: vec![],
            total: 0,
            capped: false,
            page: 1,
            pages: 1,
            kind_counts,
        }
    }
}

/// A (team, kind) pair of a contact's history.
pub(crate) type TeamKind = (i64, ActivityKind);

/// The chips' per-kind counts and the (team, kind) pairs a search covers (those of the
/// `chosen` kinds, all when none is chosen), from a contact's visible counter rows
/// `(team, kind, n)`.
pub(crate) fn tally_counts<'a>(
    rows: impl IntoIterator<Item = (i64, &'a str, i64)>,
    chosen: &[ActivityKind],
) -> StoreResult<(Vec<KindCount>, Vec<TeamKind>)> {
    let mut per_kind: std::collections::BTreeMap<ActivityKind, u64> = Default::default();
    let mut pairs = Vec::new();
    for (team, kind, n) in rows {
        let kind: ActivityKind = kind.parse().map_err(|e| corrupt("activity kind", e))?;
        *per_kind.entry(kind).or_default() += u64::try_from(n).unwrap_or(0);
        if chosen.is_empty() || chosen.contains(&kind) {
            pairs.push((team, kind));
        }
    }
    let counts = per_kind
        .into_iter()
        .map(|(kind, count)| KindCount { kind, count })
        .collect();
    Ok((counts, pairs))
}

/// An activity as every timeline read selects it (`ACTIVITY_SELECT` in
/// `store/shared/timeline.rs`), by column name. Email content is `None` unless the
/// viewer may read it (withheld in the query itself).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ActivityRow {
    id: i64,
    contact_id: i64,
    team_id: i64,
    kind: String,
    model_id: String,
    detail: String,
    occurred_at: i64,
    user_id: Option<i64>,
    display_name: Option<String>,
    subject: Option<String>,
    sender: Option<String>,
    snippet: Option<String>,
    attachments: Option<String>,
}

impl ActivityRow {
    /// The activity; an unreadable kind, detail or attachment list is an error, not a
    /// guess.
    pub(crate) fn into_activity(self, can_email: bool) -> StoreResult<Activity> {
        let kind: ActivityKind = self.kind.parse().map_err(|e| corrupt("activity kind", e))?;
        let mut detail: ActivityDetail =
            serde_json::from_str(&self.detail).map_err(|e| corrupt("activity detail", e))?;
        let redacted = kind == ActivityKind::Email && !can_email;
        if let ActivityDetail::Email { content, .. } = &mut detail {
            *content = match (self.subject, self.sender, self.snippet) {
                (Some(subject), Some(sender), Some(snippet)) => Some(EmailContent {
                    subject,
                    sender,
                    snippet,
                    attachments: match self.attachments {
                        Some(json) => serde_json::from_str(&json)
                            .map_err(|e| corrupt("email attachments", e))?,
                        None => Vec::new(),
                    },
                }),
                _ => None,
            };
        }
        let user = match (self.user_id, self.display_name) {
            (Some(id), Some(display_name)) => Some(UserRef { id, display_name }),
            _ => None,
        };
        Ok(Activity {
            id: self.id,
            contact_id: self.contact_id,
            team_id: self.team_id,
            kind,
            model_id: self.model_id,
            occurred_at: super::from_ms(self.occurred_at),
            user,
            detail,
            redacted,
        })
    }
}

#[async_trait]
pub trait TimelineStore: Send + Sync {
    /// Insert activities (their email content and search text) in one transaction. With
    /// `publish`, an `activity.created` event per activity joins the event log in the same
    /// transaction and is returned for fan-out; bulk loads (demo, imports) pass `false`.
    async fn insert_activities(
        &self,
        activities: &[NewActivity],
        publish: bool,
    ) -> StoreResult<(Vec<i64>, Vec<StoredEvent>)>;
    /// One page of a contact's timeline as the viewer may see it; `None` when the contact
    /// is not visible to the viewer.
    async fn timeline(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        request: &TimelineRequest,
    ) -> StoreResult<Option<TimelinePage>>;
    /// How many of the contact's activities of these kinds (all when empty) the viewer
    /// sees at or after `from_ms`: where a day begins in the timeline (newest first).
    /// `None` when the contact is not visible to the viewer.
    async fn timeline_newer_than(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        kinds: &[agentdesk_protocol::ActivityKind],
        from_ms: i64,
    ) -> StoreResult<Option<u64>>;
    /// Delete an activity visible to the viewer, with its search entry, logging an
    /// `activity.deleted` event. `None` when there is no such activity for the viewer.
    async fn delete_activity(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<StoredEvent>>;
    /// The full text of an email activity, when the viewer may read it.
    async fn email_body(&self, viewer: &Viewer, activity_id: i64) -> StoreResult<Option<String>>;
    /// The conversation attributes of the interaction behind an activity and its contact's
    /// customer attributes (JSON maps as stored), scoped like the activity.
    async fn activity_attributes(
        &self,
        viewer: &Viewer,
        activity_id: i64,
    ) -> StoreResult<(Option<String>, Option<String>)>;
    /// One activity, if visible to the viewer.
    async fn activity(&self, viewer: &Viewer, id: i64) -> StoreResult<Option<Activity>>;
}

/// Where step 1 of a timeline page starts walking the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkFrom {
    /// Newest first from the newest activity.
    Start,
    /// Oldest first from the oldest activity.
    End,
    /// Newest first from an anchor key, inclusive.
    AnchorDown((i64, i64)),
    /// Oldest first from an anchor key, exclusive.
    AnchorUp((i64, i64)),
}

/// How to reach the newest activity of a page: from where, skipping how many rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    pub from: WalkFrom,
    pub skip: u64,
}

/// The cheapest walk to the first (newest) activity of `page` (1-based, at most the last
/// page of `total > 0` activities): from the start, from the end, or from an anchor on a
/// nearby page. The first, last and neighbouring pages cost a handful of index entries
/// whatever the depth; only a jump into the middle of a long history without an anchor
/// walks up to half of it, over the covering index.
pub fn plan_walk(total: u64, page: u32, anchor: Option<TimelineAnchor>) -> Walk {
    let size = u64::from(agentdesk_protocol::TIMELINE_PAGE_SIZE);
    let first = u64::from(page.saturating_sub(1)) * size;
    let mut best = Walk {
        from: WalkFrom::Start,
        skip: first,
    };
    let from_end = total.saturating_sub(1).saturating_sub(first);
    if from_end < best.skip {
        best = Walk {
            from: WalkFrom::End,
            skip: from_end,
        };
    }
    if let Some(a) = anchor {
        let key = (a.occurred_at_ms, a.id);
        let anchor_first = u64::from(a.page.saturating_sub(1)) * size;
        let walk = if first >= anchor_first {
            Walk {
                from: WalkFrom::AnchorDown(key),
                skip: first - anchor_first,
            }
        } else {
            Walk {
                from: WalkFrom::AnchorUp(key),
                skip: anchor_first - first - 1,
            }
        };
        if walk.skip < best.skip {
            best = walk;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_last_pages_walk_from_their_own_end() {
        assert_eq!(
            plan_walk(200_000, 1, None),
            Walk {
                from: WalkFrom::Start,
                skip: 0
            }
        );
        // 20,000 pages; the last holds items 199,990..199,999 (newest-first order): its
        // newest item is the 10th oldest.
        assert_eq!(
            plan_walk(200_000, 20_000, None),
            Walk {
                from: WalkFrom::End,
                skip: 9
            }
        );
        // A partial last page: 25 items, page 3 holds 5; its newest is the 5th oldest.
        assert_eq!(
            plan_walk(25, 3, None),
            Walk {
                from: WalkFrom::End,
                skip: 4
            }
        );
        assert_eq!(
            plan_walk(200_000, 100, None),
            Walk {
                from: WalkFrom::Start,
                skip: 990
            }
        );
    }

    #[test]
    fn nearby_pages_walk_from_the_anchor() {
        let anchor = TimelineAnchor {
            page: 10_000,
            occurred_at_ms: 5,
            id: 7,
        };
        assert_eq!(
            plan_walk(200_000, 10_001, Some(anchor)),
            Walk {
                from: WalkFrom::AnchorDown((5, 7)),
                skip: 10
            }
        );
        assert_eq!(
            plan_walk(200_000, 10_000, Some(anchor)),
            Walk {
                from: WalkFrom::AnchorDown((5, 7)),
                skip: 0
            }
        );
        // One page up: the previous page's newest item is the 10th after the anchor
        // going up (exclusive), i.e. skip 9.
        assert_eq!(
            plan_walk(200_000, 9_999, Some(anchor)),
            Walk {
                from: WalkFrom::AnchorUp((5, 7)),
                skip: 9
            }
        );
        // Far from the anchor, an end is closer.
        assert_eq!(plan_walk(200_000, 2, Some(anchor)).from, WalkFrom::Start);
    }
}
