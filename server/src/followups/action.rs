//! A card's action: the user presses a button of a notification's card, and the
//! follow-up's configured call of that name is made with the record's values (approve a
//! ticket, take an opportunity). The call is the follow-up's as it stands now (its
//! secrets included); the values are the record's as the poll that notified read them.
//! One press calls once: a second press, from another tab too, waits for the first's
//! outcome; a failed one may be pressed again.

use agentdesk_protocol::followup::{ActionState, ActionTaken};
use chrono::{DateTime, Duration, Utc};

use super::{Engine, fetch};
use crate::error::{ApiError, ApiResult};

/// A running action older than this was left by an instance that stopped mid-call: it
/// may be pressed again. (Well past the outbound client's timeout.)
const STALE_SECONDS: i64 = 120;

impl Engine {
    /// Call the action of button `button` of `user_id`'s notification `id`.
    pub async fn act(
        &self,
        user_id: i64,
        id: i64,
        button: usize,
        now: DateTime<Utc>,
    ) -> ApiResult<ActionTaken> {
        let source = self
            .store
            .action_source(user_id, id)
            .await?
            .ok_or(ApiError::NotFound("notification"))?;
        let pressed = source
            .card
            .as_ref()
            .and_then(|c| c.buttons.get(button))
            .ok_or_else(|| ApiError::validation("button", "the card has no such button"))?;
        let Some(name) = pressed.action.clone() else {
            return Err(ApiError::validation(
                "button",
                "this button opens a link; it calls no action",
            ));
        };
        let gone = || {
            ApiError::Conflict(format!(
                "the action `{name}` is no longer configured on the follow-up"
            ))
        };
        let followup = match source.followup_id {
            Some(f) => self.store.followup(f).await?.ok_or_else(gone)?,
            None => return Err(gone()),
        };
        let call = followup
            .spec
            .actions
            .iter()
            .find(|a| a.name.trim() == name.trim())
            .ok_or_else(gone)?;
        let stale = now - Duration::seconds(STALE_SECONDS);
        if !self
            .store
            .start_action(user_id, id, &pressed.label, now, stale)
            .await?
        {
            return Err(ApiError::ConflictOn {
                field: "button",
                message: "an action from this notification is done or under way".into(),
            });
        }
        let result = fetch::call_with(&self.outbound, call, &source.values, self.max_answer).await;
        let (state, message) = match result {
            Ok(_) => (ActionState::Done, None),
            Err(e) => {
                tracing::info!(notification = id, error = %e, "card action failed");
                (ActionState::Failed, Some(e))
            }
        };
        let events = self
            .store
            .finish_action(user_id, id, state, message.as_deref())
            .await?;
        self.events.publish(events);
        Ok(ActionTaken {
            label: pressed.label.clone(),
            at: now,
            state,
            message,
        })
    }
}
