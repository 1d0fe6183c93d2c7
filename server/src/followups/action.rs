//! A card's action: the user presses a button of a notification's card, and the
//! follow-up's configured call of that name is made with the record's values (approve a
//! ticket, take an opportunity). The call is the follow-up's as it stands now (its
//! secrets included); the values are the record's as the poll that notified read them.
//! One press calls once: a second press, from another tab too, waits for the first's
//! outcome; a failed one may be pressed again.

use agentdesk_protocol::followup::{ActionState, ActionTaken, placeholders};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

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
        // A value the record did not have would be sent as nothing (`/tickets//approve`).
        let body = call.body.as_ref().map(Value::to_string).unwrap_or_default();
        let used = std::iter::once(call.url.as_str())
            .chain(call.headers.iter().filter_map(|h| h.value.as_deref()))
            .chain(std::iter::once(body.as_str()))
            .flat_map(|t| placeholders(t).unwrap_or_default());
        for name in used {
            if !source.values.contains_key(&name) {
                return Err(ApiError::Conflict(format!(
                    "the record has no value for `{{{{{name}}}}}`; the action was not called"
                )));
            }
        }
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
        // The call and its outcome run on their own: a browser that goes away mid-call
        // (its request dropped) must not leave the action `running` after it was made.
        let engine = self.clone();
        let call = call.clone();
        let label = pressed.label.clone();
        let outcome = tokio::spawn(async move {
            let result = fetch::call_with(
                &engine.outbound,
                &call,
                &source.values,
                engine.max_answer,
                fetch::Expect::Status,
            )
            .await;
            let (state, message) = match result {
                Ok(_) => (ActionState::Done, None),
                Err(e) => {
                    tracing::info!(notification = id, error = %e, "card action failed");
                    (ActionState::Failed, Some(e))
                }
            };
            let events = engine
                .store
                .finish_action(user_id, id, state, message.as_deref())
                .await?;
            engine.events.publish(events);
            Ok::<_, crate::store::StoreError>((state, message))
        });
        let (state, message) = outcome
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("card action: {e}")))??;
        Ok(ActionTaken {
            label,
            at: now,
            state,
            message,
        })
    }
}
