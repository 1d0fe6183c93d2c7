//! Agent status and presence as a service: checks an agent's choice, applies a change
//! through the store (which runs the pure rules of `agentdesk_protocol::presence`) and
//! tells the browsers; tracks the desktop's real-time streams and sweeps stale ones.
//! `report` turns a connection log into time per status per day.

mod report;

use std::time::Duration;

use agentdesk_protocol::{AgentStatus, StatusDef};

pub use agentdesk_protocol::presence::{Change, Presence, transition};
pub use report::status_time;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::StoreResult;

/// Check a value an agent (or an integration) asks for: well formed (else 422), known,
/// and not one only the system sets.
pub fn check_choice(defs: &[StatusDef], value: &str) -> ApiResult<()> {
    if !agentdesk_protocol::valid_value(value) {
        return Err(ApiError::validation(
            "value",
            "must be lowercase words joined by hyphens, without accents",
        ));
    }
    match defs.iter().find(|d| d.value == value) {
        None => Err(ApiError::validation("value", "is not a known status")),
        Some(d) if d.retired => Err(ApiError::validation(
            "value",
            "was retired by an admin and cannot be chosen",
        )),
        Some(d) if !d.selectable() => Err(ApiError::validation(
            "value",
            "is set by the system and cannot be chosen",
        )),
        Some(_) => Ok(()),
    }
}

/// Apply a change for `user_id` now and tell the browsers.
pub async fn apply(
    state: &AppState,
    user_id: i64,
    change: Change,
) -> ApiResult<(AgentStatus, bool)> {
    let restore = restore_ms(state);
    let (status, queued, events) = state
        .store
        .change_status(user_id, change, crate::clock::now(), restore)
        .await?;
    state.events.publish(events);
    Ok((status, queued))
}

fn restore_ms(state: &AppState) -> i64 {
    i64::from(state.config.presence_restore_secs) * 1000
}

/// A fresh console session id: short, random, safe to show.
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_owned()
}

/// One open real-time stream of a user. Registering counts the desktop as connected;
/// dropping the guard (the browser went away) closes it after the grace period.
pub struct StreamGuard {
    state: AppState,
    pub id: String,
    user_id: i64,
    /// The session (hash of its token) the stream was opened with: its sign-out ends it.
    session_hash: String,
}

impl StreamGuard {
    pub async fn open(state: &AppState, user_id: i64, session_hash: &str) -> StoreResult<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let events = state
            .store
            .open_stream(
                &id,
                user_id,
                session_hash,
                new_session_id(),
                crate::clock::now(),
                restore_ms(state),
            )
            .await?;
        state.events.publish(events);
        Ok(StreamGuard {
            state: state.clone(),
            id,
            user_id,
            session_hash: session_hash.to_owned(),
        })
    }

    /// Open with a stream ticket (browsers): its user, and the guard; `None` when the
    /// ticket opens nothing (unknown, used, expired, or its session ended).
    pub async fn open_with_ticket(
        state: &AppState,
        ticket_hash: &str,
    ) -> StoreResult<Option<(crate::store::Viewer, Self)>> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let Some((viewer, session_hash, events)) = state
            .store
            .open_stream_with_ticket(
                ticket_hash,
                &id,
                new_session_id(),
                crate::clock::now(),
                restore_ms(state),
            )
            .await?
        else {
            return Ok(None);
        };
        state.events.publish(events);
        let guard = StreamGuard {
            state: state.clone(),
            id,
            user_id: viewer.user_id,
            session_hash,
        };
        Ok(Some((viewer, guard)))
    }

    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }

    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// Keep the stream's row fresh; `false` when it is gone (signed out, swept).
    pub async fn touch(&self) -> bool {
        match self
            .state
            .store
            .touch_stream(&self.id, crate::clock::now())
            .await
        {
            Ok(alive) => alive,
            // The database being briefly away is no reason to drop the agent.
            Err(e) => {
                tracing::warn!(error = %e, "presence: heartbeat failed");
                true
            }
        }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let state = self.state.clone();
        let id = std::mem::take(&mut self.id);
        let user_id = self.user_id;
        rt.spawn(async move {
            // A reload or a brief network blip reconnects within the grace period; the
            // old stream's row is removed only then, so no disconnect is logged.
            tokio::time::sleep(Duration::from_millis(state.config.presence_grace_ms)).await;
            match state
                .store
                .close_stream(&id, crate::clock::now(), restore_ms(&state))
                .await
            {
                Ok(events) => state.events.publish(events),
                Err(e) => tracing::warn!(error = %e, user_id, "presence: closing a stream failed"),
            }
        });
    }
}

/// Sweep streams whose instance stopped refreshing them; runs for the server's life.
pub fn spawn_sweeper(state: AppState) {
    tokio::spawn(async move {
        let stale = chrono::Duration::seconds(i64::from(state.config.presence_stale_secs));
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            let now = crate::clock::now();
            match state
                .store
                .sweep_streams(now - stale, now, restore_ms(&state))
                .await
            {
                Ok(events) => state.events.publish(events),
                Err(e) => tracing::warn!(error = %e, "presence: sweeping streams failed"),
            }
        }
    });
}

/// How often a stream refreshes its row (well inside the stale limit).
pub const HEARTBEAT: Duration = Duration::from_secs(20);
