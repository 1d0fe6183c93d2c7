//! An integration's recent deliveries, for its admins: what each authenticated request to
//! the ingest routes became (accepted, duplicate, rejected and why).
//!
//! The log is kept off the ingest's write path: a delivery is noted in memory and the
//! notes are written in one transaction about once a second (and before an admin reads
//! them on this instance), so ingesting costs no extra database write. What a crash
//! loses is at most that second of notes, never an interaction. The buffer is bounded:
//! past [`MAX_PENDING`] notes (a flood faster than the database takes them) the oldest
//! are dropped and counted in the log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use agentdesk_protocol::{DeliveryOutcome, IngestResult};
use axum::http::StatusCode;

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::store::DynStore;
use crate::store::integrations::NewDelivery;

/// The most notes waiting for a write.
pub const MAX_PENDING: usize = 10_000;
/// The longest reason kept, in characters.
const MAX_REASON: usize = 300;

/// Notes dropped for want of room since the last flush (logged there, once).
static DROPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// This instance's notes not yet written.
#[derive(Clone, Default)]
pub struct Deliveries {
    pending: Arc<Mutex<VecDeque<NewDelivery>>>,
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
            Err(e) => {
                let (status, reason) = rejection(e);
                (DeliveryOutcome::Rejected, status, Some(reason))
            }
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
            pending.pop_front();
            DROPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        pending.push_back(note);
    }

    /// Write the notes taken so far. A batch the database refuses is tried note by note:
    /// when some go in, the ones refused alone are dropped (what they hold is the
    /// problem); when none does (the database is down), they wait for the next round,
    /// within the bound.
    pub async fn flush(&self, store: &DynStore) {
        let dropped = DROPPED.swap(0, std::sync::atomic::Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "delivery log: notes dropped (the database is behind)"
            );
        }
        let batch: Vec<NewDelivery> =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner())).into();
        if batch.is_empty() || store.log_deliveries(&batch).await.is_ok() {
            return;
        }
        let tried = batch.len();
        let mut refused = Vec::new();
        let mut why = None;
        for note in batch {
            if let Err(e) = store.log_deliveries(std::slice::from_ref(&note)).await {
                why.get_or_insert(e.to_string());
                refused.push(note);
            }
        }
        let why = why.unwrap_or_default();
        if refused.len() < tried {
            tracing::warn!(notes = refused.len(), error = %why, "delivery log: notes refused, dropped");
            return;
        }
        tracing::warn!(notes = tried, error = %why, "delivery log: not written; kept for the next round");
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let room = MAX_PENDING.saturating_sub(pending.len());
        for note in refused.into_iter().rev().take(room) {
            pending.push_front(note);
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

/// The status and the error as the integration read them — `field: message`, or the
/// message alone — on one line and cut to [`MAX_REASON`] characters: parse errors quote
/// the body's own names, which may be long or hold control characters (NUL, which
/// PostgreSQL refuses).
fn rejection(e: &ApiError) -> (u16, String) {
    let detail = e.body().error;
    let status = detail.code.http_status();
    let full = match detail.field {
        Some(f) => format!("{f}: {}", detail.message),
        None => detail.message,
    };
    let mut out: String = full
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_REASON)
        .collect();
    if full.chars().count() > MAX_REASON {
        out.push('…');
    }
    (status, out)
}
