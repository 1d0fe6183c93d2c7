//! Callback reminders: `GET /reminders` (the signed-in user's open ones, soonest first),
//! `POST /reminders/{id}/done`; the rule that reads a callback's time
//! ([`callback_due`]), applied by the disposition route; and the scheduler that announces
//! reminders as they fall due ([`spawn_scheduler`]).

use agentdesk_protocol::{CallbackRequest, MAX_CALLBACK_DAYS, MAX_CALLBACK_NOTE, Reminder};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reminders", get(list))
        .route("/reminders/{id}/done", post(done))
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<ApiJson<Vec<Reminder>>> {
    Ok(ApiJson(
        state
            .store
            .reminders(&caller.viewer, crate::clock::now())
            .await?,
    ))
}

async fn done(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let events = state
        .store
        .finish_reminder(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("reminder"))?;
    state.events.publish(events);
    Ok(StatusCode::NO_CONTENT)
}

/// When a callback asked for at the local time `req.at` in the zone `zone` falls, at
/// `now`: a time the zone's clocks skip, one not after `now` or more than
/// [`MAX_CALLBACK_DAYS`] ahead is refused (field `callback_at`), as is a note over
/// [`MAX_CALLBACK_NOTE`] characters (`callback_note`). A time the clocks repeat is the
/// first of the two.
pub fn callback_due(
    req: &CallbackRequest,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> ApiResult<DateTime<Utc>> {
    const FIELD: &str = "callback_at";
    if req.note.chars().count() > MAX_CALLBACK_NOTE {
        return Err(ApiError::validation(
            "callback_note",
            format!("at most {MAX_CALLBACK_NOTE} characters"),
        ));
    }
    let at = req.at.trim();
    let local = NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ApiError::validation(FIELD, "a local date and time, like 2026-12-07T09:30"))?;
    let due = crate::calendar::local_instant(&zone, local).ok_or_else(|| {
        ApiError::validation(
            FIELD,
            format!("{at} does not exist in {zone}: the clocks go forward then"),
        )
    })?;
    if due <= now {
        return Err(ApiError::validation(FIELD, "must be later than now"));
    }
    if due > now + Duration::days(MAX_CALLBACK_DAYS) {
        return Err(ApiError::validation(
            FIELD,
            format!("at most {MAX_CALLBACK_DAYS} days ahead"),
        ));
    }
    Ok(due)
}

/// Announce reminders as they fall due, every `every`: each is claimed once (whatever
/// the number of instances) and its agent's desktops get a `reminders` event.
pub fn spawn_scheduler(state: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match state.store.fire_due_reminders(crate::clock::now()).await {
                Ok(events) => state.events.publish(events),
                Err(e) => tracing::warn!(error = %e, "reminders: announcing due ones failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn req(at: &str) -> CallbackRequest {
        CallbackRequest {
            at: at.into(),
            note: String::new(),
        }
    }

    fn field(e: ApiError) -> Option<String> {
        match e {
            ApiError::Validation { field, .. } => field,
            _ => None,
        }
    }

    #[test]
    fn a_local_time_is_read_in_the_agents_zone() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let mvd: chrono_tz::Tz = "America/Montevideo".parse().unwrap();
        let due = callback_due(&req("2026-12-07T09:30"), mvd, now).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 12, 7, 12, 30, 0).unwrap());
        // Across the year's end, with seconds.
        let due = callback_due(&req("2027-01-01T00:15:00"), mvd, now).unwrap();
        assert_eq!(due, Utc.with_ymd_and_hms(2027, 1, 1, 3, 15, 0).unwrap());
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_and_a_repeated_one_is_the_first() {
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
        let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
        // 2027-03-28: 01:00 GMT becomes 02:00 BST; 01:30 never happens.
        let e = callback_due(&req("2027-03-28T01:30"), london, now).unwrap_err();
        assert_eq!(field(e).as_deref(), Some("callback_at"));
        assert_eq!(
            callback_due(&req("2027-03-28T02:00"), london, now).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 28, 1, 0, 0).unwrap()
        );
        // 2027-10-31: 01:30 happens twice (BST, then GMT); the first is 00:30 UTC.
        assert_eq!(
            callback_due(&req("2027-10-31T01:30"), london, now).unwrap(),
            Utc.with_ymd_and_hms(2027, 10, 31, 0, 30, 0).unwrap()
        );
    }

    #[test]
    fn past_far_or_unreadable_times_and_long_notes_are_refused() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
        let utc = chrono_tz::Tz::UTC;
        for bad in [
            "2026-12-05T12:00",
            "2026-12-05T11:59",
            "2028-01-01T00:00",
            "mañana",
            "",
            "2026-02-30T10:00",
        ] {
            let e = callback_due(&req(bad), utc, now).unwrap_err();
            assert_eq!(field(e).as_deref(), Some("callback_at"), "{bad}");
        }
        assert!(callback_due(&req("2026-12-05T12:01"), utc, now).is_ok());
        let long = CallbackRequest {
            at: "2026-12-06T10:00".into(),
            note: "x".repeat(MAX_CALLBACK_NOTE + 1),
        };
        let e = callback_due(&long, utc, now).unwrap_err();
        assert_eq!(field(e).as_deref(), Some("callback_note"));
    }
}
