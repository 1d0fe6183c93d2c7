//! An integration's recent deliveries, for its admins: what each authenticated request to
//! the ingest routes became (accepted, duplicate, rejected and why).
//!
//! The log is kept off the ingest's write path: a delivery is noted in memory and the
//! notes are written in one transaction about once a second (and before an admin reads
//! them on this instance), so ingesting costs no extra database write. What a crash
//! loses is at most that second of notes, never an interaction. The buffer is bounded:
//! past [`MAX_PENDING`] notes (a flood faster than the database takes them) the oldest
//! are dropped and counted in the log.

use std::sync::{Arc, Mutex};

use agentdesk_protocol::{DeliveryOutcome, IngestResult};
use axum::http::StatusCode;

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::store::DynStore;
use crate::store::integrations::NewDelivery;

/// The most notes waiting for a write.
pub const MAX_PENDING: usize = 10_000;

/// This instance's notes not yet written.
#[derive(Clone, Default)]
pub struct Deliveries {
    pending: Arc<Mutex<Vec<NewDelivery>>>,
}

impl Deliveries {
    /// Note what integration `integration` got for a delivery on `channel`.
    pub fn note(
        &self,
        integration: i64,
        channel: &'static str,
        out: &ApiResult<(StatusCode, ApiJson<IngestResult>)>,
    ) {
        let (outcome, status, reason) = match out {
            Ok((status, ApiJson(r))) => {
                let outcome = if r.duplicate {
                    DeliveryOutcome::Duplicate
                } else {
                    DeliveryOutcome::Accepted
                };
                (outcome, status.as_u16(), None)
            }
            Err(e) => (DeliveryOutcome::Rejected, status_of(e), Some(reason_of(e))),
        };
        let note = NewDelivery {
            integration_id: integration,
            at: crate::clock::now().timestamp_millis(),
            channel,
            outcome,
            status,
            reason,
        };
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if pending.len() >= MAX_PENDING {
            pending.remove(0);
            tracing::warn!("delivery log: a note dropped (the database is behind)");
        }
        pending.push(note);
    }

    /// Write the notes taken so far; on failure they are put back (within the bound).
    pub async fn flush(&self, store: &DynStore) {
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return;
        }
        if let Err(e) = store.log_deliveries(&batch).await {
            tracing::warn!(error = %e, notes = batch.len(), "delivery log: not written; kept");
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let room = MAX_PENDING.saturating_sub(pending.len());
            let keep = batch.len().min(room);
            let mut again: Vec<NewDelivery> = batch[batch.len() - keep..].to_vec();
            again.append(&mut pending);
            *pending = again;
        }
    }

    /// Flush every `every` until the process ends.
    pub fn spawn_writer(&self, store: DynStore, every: std::time::Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                this.flush(&store).await;
            }
        });
    }
}

fn status_of(e: &ApiError) -> u16 {
    e.body().error.code.http_status()
}

/// The error as the integration read it: `field: message`, or the message alone.
fn reason_of(e: &ApiError) -> String {
    let detail = e.body().error;
    match detail.field {
        Some(f) => format!("{f}: {}", detail.message),
        None => detail.message,
    }
}
