//! uContact's REST API, outbound: a disposition saved in the desktop is also sent to
//! `POST {base}/Integra/resources/api/DispositionCall` (form fields, HTTP Basic), when
//! the server is configured with uContact's base URL.
//!
//! The call records how it fares (`pending` → `sent`, or `failed` with the reason) and
//! its timeline item shows it. Temporary failures (no connection, a time-out, 408, 429,
//! 5xx) are retried with doubling waits, up to the configured attempts; any other answer
//! is final. A send interrupted by a restart stays `pending` on the call (visible, not
//! resent: see docs/crm-integration.md).

use std::time::Duration;

use agentdesk_protocol::bridge::CallDisposition;
use agentdesk_protocol::{RemoteSync, SyncState};

use crate::AppState;
use crate::outbound::{Answer, OutboundError};

/// The path of uContact's `DispositionCall` under its base URL.
pub const DISPOSITION_PATH: &str = "Integra/resources/api/DispositionCall";

/// Whether an answer is worth trying again.
fn temporary(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

/// The form uContact's `DispositionCall` takes: every field, in its order, empty when
/// the desktop has nothing for it.
pub fn form<'a>(agent: &'a str, d: &'a CallDisposition) -> Vec<(&'static str, &'a str)> {
    vec![
        ("campaign", d.campaign.as_str()),
        ("agent", agent),
        ("callerid", d.callerid.as_str()),
        ("guid", d.guid.as_str()),
        ("l1", d.l1.as_str()),
        ("l2", d.l2.as_str()),
        ("l3", d.l3.as_str()),
        ("d1", d.d1.as_str()),
        ("d2", d.d2.as_str()),
        ("comment", d.comment.as_str()),
        ("schedule", ""),
        ("camptoreschedule", ""),
        ("tag", ""),
    ]
}

/// Send `d` (the call's stored disposition) for `user_id`'s call in the background, when
/// uContact's API is configured; the call shows `pending` until the outcome is known.
pub fn spawn_disposition(state: AppState, user_id: i64, agent: String, d: CallDisposition) {
    tokio::spawn(async move {
        let settings = match crate::ucontact_settings::effective(&state).await {
            Ok(s) => s,
            Err(e) => {
                let why = failed(format!("settings unreadable: {e}"), 0);
                record(&state, user_id, &d.guid, why).await;
                return;
            }
        };
        let Some(base) = settings.api_url.clone() else {
            return;
        };
        let url = match base.join(DISPOSITION_PATH) {
            Ok(u) => u,
            Err(e) => {
                record(
                    &state,
                    user_id,
                    &d.guid,
                    failed(format!("bad base URL: {e}"), 0),
                )
                .await;
                return;
            }
        };
        let basic = (!settings.api_user.is_empty())
            .then_some((settings.api_user.as_str(), settings.api_password.as_str()));
        let attempts = state.config.ucontact_api_attempts.max(1);
        let mut wait = Duration::from_millis(state.config.ucontact_api_retry_ms);
        let fields = form(&agent, &d);
        for attempt in 1..=attempts {
            record(
                &state,
                user_id,
                &d.guid,
                RemoteSync {
                    state: SyncState::Pending,
                    reason: None,
                    attempts: attempt - 1,
                },
            )
            .await;
            let outcome = state.outbound.post_form(&url, basic, &fields).await;
            let reason = match outcome {
                Ok(Answer { status, .. }) if (200..300).contains(&status) => {
                    let sent = RemoteSync {
                        state: SyncState::Sent,
                        reason: None,
                        attempts: attempt,
                    };
                    record(&state, user_id, &d.guid, sent).await;
                    return;
                }
                Ok(Answer { status, body }) => {
                    let why = format!("uContact answered {status}: {}", snippet(&body));
                    if !temporary(status) {
                        record(&state, user_id, &d.guid, failed(why, attempt)).await;
                        return;
                    }
                    why
                }
                Err(OutboundError::Refused(why)) => {
                    record(&state, user_id, &d.guid, failed(why, attempt)).await;
                    return;
                }
                Err(OutboundError::Failed(why)) => why,
            };
            tracing::warn!(guid = %d.guid, attempt, %reason, "DispositionCall to uContact failed");
            if attempt == attempts {
                record(&state, user_id, &d.guid, failed(reason, attempt)).await;
                return;
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    });
}

fn failed(reason: String, attempts: u32) -> RemoteSync {
    RemoteSync {
        state: SyncState::Failed,
        reason: Some(reason),
        attempts,
    }
}

/// The first line of an answer, short enough to show on a timeline item.
fn snippet(body: &str) -> String {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut s: String = line.chars().take(160).collect();
    if line.chars().count() > 160 {
        s.push('…');
    }
    if s.is_empty() { "(no body)".into() } else { s }
}

async fn record(state: &AppState, user_id: i64, guid: &str, sync: RemoteSync) {
    match state.store.set_call_sync(user_id, guid, &sync).await {
        Ok(Some(events)) => state.events.publish(events),
        Ok(None) => tracing::warn!(
            guid,
            "the call to record a DispositionCall outcome on is gone"
        ),
        Err(e) => tracing::warn!(error = %e, guid, "could not record a DispositionCall outcome"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_answers_are_retried_and_others_are_final() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(temporary(s), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!temporary(s), "{s}");
        }
    }

    #[test]
    fn answers_are_shown_by_their_first_line_cut_short() {
        assert_eq!(
            snippet("\n  Invalid campaign\nstack..."),
            "Invalid campaign"
        );
        assert_eq!(snippet(""), "(no body)");
        assert_eq!(snippet(&"x".repeat(200)).chars().count(), 161);
    }
}
