//! Contacts and their activities. Team scoping happens in the store queries.

use agentdesk_protocol::{
    Activity, ActivityDetail, ActivityKind, ActivityPage, ActivityQuery, ActivityView, Contact,
    ContactList, ContactQuery, NewNote, TIMELINE_PAGE_SIZE, TimelinePosition,
    TimelinePositionQuery,
};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use base64::Engine;

use crate::AppState;
use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::store::{AuditEntry, NewActivity, TimelineAnchor, TimelineRequest, search_words};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list))
        .route("/contacts/{id}", get(one))
        .route("/contacts/{id}/activities", get(activities))
        .route("/contacts/{id}/activities/position", get(position))
        .route("/contacts/{id}/notes", post(create_note))
        .route("/activities/{id}", get(activity).delete(delete_activity))
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn encode_cursor(name: &str, id: i64) -> String {
    B64.encode(serde_json::to_vec(&(name, id)).unwrap_or_default())
}

fn decode_cursor(cursor: &str) -> Result<(String, i64), ApiError> {
    B64.decode(cursor)
        .ok()
        .and_then(|b| serde_json::from_slice::<(String, i64)>(&b).ok())
        .ok_or_else(|| ApiError::validation("after", "not a cursor this server issued"))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> ApiResult<ApiJson<ContactList>> {
    let limit = q.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 100"));
    }
    if q.q.as_deref().is_some_and(|s| s.chars().count() > 128) {
        return Err(ApiError::validation("q", "at most 128 characters"));
    }
    let after = q.after.as_deref().map(decode_cursor).transpose()?;
    // One extra row tells whether there is a next page.
    let mut items = state
        .store
        .search_contacts(
            &caller.viewer,
            q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()),
            after.as_ref().map(|(n, id)| (n.as_str(), *id)),
            limit + 1,
        )
        .await?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|c| encode_cursor(&c.name, c.id))
    } else {
        None
    };
    Ok(ApiJson(ContactList { items, next }))
}

async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<Contact>> {
    let contact = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    Ok(ApiJson(contact))
}

/// Anchors are `page.occurred_at_ms.id.fingerprint`, base64: the fingerprint ties an
/// anchor to the kinds and query it was issued for, so one from another filter is ignored
/// (not an error: the page is then reached from either end).
fn filter_fingerprint(kinds: &[ActivityKind], words: &[String]) -> u64 {
    // FNV-1a: stable across processes and instances, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let kinds = kinds.iter().map(|k| k.as_str());
    for part in kinds
        .chain(std::iter::once("|"))
        .chain(words.iter().map(String::as_str))
    {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn encode_anchor(a: &TimelineAnchor, fingerprint: u64) -> String {
    B64.encode(format!(
        "{}.{}.{}.{fingerprint:x}",
        a.page, a.occurred_at_ms, a.id
    ))
}

fn decode_anchor(s: &str, fingerprint: u64) -> Option<TimelineAnchor> {
    let raw = String::from_utf8(B64.decode(s).ok()?).ok()?;
    let mut parts = raw.split('.');
    let page = parts.next()?.parse().ok()?;
    let occurred_at_ms = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    let fp = u64::from_str_radix(parts.next()?, 16).ok()?;
    (fp == fingerprint && page >= 1).then_some(TimelineAnchor {
        page,
        occurred_at_ms,
        id,
    })
}

/// One page of a contact's timeline: newest first, [`TIMELINE_PAGE_SIZE`] per page,
/// filtered by kinds and searched by words. A page past the last answers the last page.
async fn activities(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> ApiResult<ApiJson<ActivityPage>> {
    let kinds = q
        .parse_kinds()
        .map_err(|e| ApiError::validation("kinds", e))?;
    let page = q.page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::validation("page", "pages start at 1"));
    }
    let query = q.q.as_deref().unwrap_or("");
    if query.chars().count() > 200 {
        return Err(ApiError::validation("q", "at most 200 characters"));
    }
    let words = search_words(query);
    let fingerprint = filter_fingerprint(&kinds, &words);
    let anchor = q
        .anchor
        .as_deref()
        .and_then(|a| decode_anchor(a, fingerprint));
    let request = TimelineRequest {
        kinds,
        words,
        page,
        anchor,
    };
    let t = state
        .store
        .timeline(&caller.viewer, id, &request)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    let anchor = t.items.first().map(|a| {
        encode_anchor(
            &TimelineAnchor {
                page: t.page,
                occurred_at_ms: a.occurred_at.timestamp_millis(),
                id: a.id,
            },
            fingerprint,
        )
    });
    Ok(ApiJson(ActivityPage {
        items: t.items,
        total: t.total,
        capped: t.capped,
        page: t.page,
        pages: t.pages,
        page_size: TIMELINE_PAGE_SIZE,
        kind_counts: t.kind_counts,
        anchor,
    }))
}

async fn activity(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ApiJson<ActivityView>> {
    let activity = state
        .store
        .activity(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("activity"))?;
    let email_body = if activity.kind == ActivityKind::Email {
        state.store.email_body(&caller.viewer, id).await?
    } else {
        None
    };
    let (conversation, customer) = state.store.activity_attributes(&caller.viewer, id).await?;
    let attributes = |json: Option<String>, what: &str| -> ApiResult<_> {
        json.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored {what} attributes: {e}")))
        })
        .transpose()
        .map(Option::unwrap_or_default)
    };
    let conversation_attributes = attributes(conversation, "conversation")?;
    let recording = if activity.kind == ActivityKind::Call {
        // The console's recording origins and the server's own.
        let mut settings = state.store.crm_settings().await?;
        settings
            .recording_origins
            .extend(state.config.recording_origins.iter().cloned());
        settings
            .recording(&conversation_attributes)
            .map(str::to_owned)
    } else {
        None
    };
    Ok(ApiJson(ActivityView {
        activity,
        email_body,
        conversation_attributes,
        customer_attributes: attributes(customer, "customer")?,
        recording,
    }))
}

/// Deleting is for the roles the configuration allows; it is audit-logged and the
/// timeline's counters and search follow in the same transaction.
async fn delete_activity(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    if !state.config.delete_roles.contains(&caller.viewer.role) {
        return Err(ApiError::Forbidden);
    }
    let event = state
        .store
        .delete_activity(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("activity"))?;
    state
        .store
        .audit(AuditEntry {
            user_id: Some(caller.viewer.user_id),
            username: None,
            action: "activity_deleted",
            target: Some(format!("activity:{id}")),
            ip: Some(ip),
        })
        .await?;
    state.events.publish([event]);
    Ok(StatusCode::NO_CONTENT)
}

/// An agent's note on the contact: an activity of kind `note` by the caller, in the
/// contact's team, announced on the real-time stream.
async fn create_note(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(note): ApiJson<NewNote>,
) -> ApiResult<(StatusCode, ApiJson<Activity>)> {
    let text = note.text.trim();
    if text.is_empty() {
        return Err(ApiError::validation("text", "a note needs some text"));
    }
    if text.chars().count() > 4000 {
        return Err(ApiError::validation("text", "at most 4000 characters"));
    }
    let contact = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    let new = NewActivity {
        team_id: contact.team.id,
        contact_id: id,
        user_id: Some(caller.viewer.user_id),
        model_id: format!("note:{}", uuid::Uuid::new_v4()),
        detail: ActivityDetail::Note {
            text: text.to_owned(),
        },
        email: None,
        occurred_at: crate::clock::now(),
    };
    let (ids, events) = state.store.insert_activities(&[new], true).await?;
    state.events.publish(events);
    let activity_id = ids
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("note not stored"))?;
    let activity = state
        .store
        .activity(&caller.viewer, activity_id)
        .await?
        .ok_or(ApiError::NotFound("activity"))?;
    Ok((StatusCode::CREATED, ApiJson(activity)))
}

/// "Go to date": the page of the timeline (same kinds, no search) on which `date`, a
/// calendar day in the viewer's zone, begins: the activities after that day come first.
async fn position(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TimelinePositionQuery>,
) -> ApiResult<ApiJson<TimelinePosition>> {
    let kinds = ActivityQuery {
        kinds: q.kinds.clone(),
        ..Default::default()
    }
    .parse_kinds()
    .map_err(|e| ApiError::validation("kinds", e))?;
    let tz = super::status::viewer_tz(&state, &caller).await?;
    // The instant the day after `date` starts there: what is newer is on earlier pages.
    let (_, day_after) = crate::calendar::range(&tz, q.date, q.date);
    let newer = state
        .store
        .timeline_newer_than(&caller.viewer, id, &kinds, day_after.timestamp_millis())
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    let page = newer / u64::from(TIMELINE_PAGE_SIZE) + 1;
    Ok(ApiJson(TimelinePosition {
        page: u32::try_from(page).unwrap_or(u32::MAX),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_round_trip_only_for_their_own_filter() {
        let a = TimelineAnchor {
            page: 7,
            occurred_at_ms: 1_700_000_000_000,
            id: 42,
        };
        let fp = filter_fingerprint(&[ActivityKind::Call], &["hola".into()]);
        let s = encode_anchor(&a, fp);
        assert_eq!(decode_anchor(&s, fp), Some(a));
        let other = filter_fingerprint(&[ActivityKind::Email], &["hola".into()]);
        assert_eq!(decode_anchor(&s, other), None);
        assert_eq!(decode_anchor("not an anchor", fp), None);
        assert_ne!(
            filter_fingerprint(&[], &[]),
            filter_fingerprint(&[], &["a".into()])
        );
    }
}
