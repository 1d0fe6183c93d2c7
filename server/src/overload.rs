//! The overload guard: beyond what the server can take, API requests are turned away at
//! the door — `503` with `Retry-After` and the one error body, before any work, so a
//! refused request has written nothing and the client knows to come back — instead of
//! queueing until everyone times out.
//!
//! What is turned away first: writes (ingest, edits, calls' changes), then reads. An
//! agent's status change is never turned away (routing depends on it, and it is one small
//! write), nor is signing out. The counts are of requests in flight until their answer's
//! headers: a real-time stream counts while it opens, not while it stays open.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// Requests in flight by class, and where each class stops being let in.
#[derive(Debug)]
pub struct Guard {
    reads: AtomicUsize,
    writes: AtomicUsize,
    max_reads: usize,
    max_writes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Never turned away.
    Always,
    Read,
    Write,
}

fn class(method: &Method, path: &str) -> Class {
    let Some(rest) = path.strip_prefix(agentdesk_protocol::API_PREFIX) else {
        return Class::Always; // the app's files and the probes
    };
    match (method, rest) {
        (&Method::PUT, "/status") | (&Method::POST, "/auth/logout") => Class::Always,
        (&Method::GET | &Method::HEAD | &Method::OPTIONS, _) => Class::Read,
        _ => Class::Write,
    }
}

/// Counts one request in flight until dropped.
struct Admitted<'a>(&'a AtomicUsize);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Guard {
    pub fn new(max_reads: usize, max_writes: usize) -> Arc<Self> {
        Arc::new(Guard {
            reads: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
            max_reads,
            max_writes,
        })
    }

    /// Let a request of `class` in, or `None` when its class is full.
    fn admit(&self, class: Class) -> Option<Option<Admitted<'_>>> {
        let (count, max) = match class {
            Class::Always => return Some(None),
            Class::Read => (&self.reads, self.max_reads),
            Class::Write => (&self.writes, self.max_writes),
        };
        if count.fetch_add(1, Ordering::AcqRel) >= max {
            count.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Some(Admitted(count)))
    }
}

/// The middleware.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let class = class(req.method(), req.uri().path());
    let Some(_admitted) = state.overload.admit(class) else {
        tracing::debug!(?class, "overloaded: request turned away");
        return ApiError::Overloaded.into_response();
    };
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_changes_and_sign_outs_are_never_turned_away() {
        assert_eq!(class(&Method::PUT, "/api/v1/status"), Class::Always);
        assert_eq!(class(&Method::POST, "/api/v1/auth/logout"), Class::Always);
        assert_eq!(class(&Method::GET, "/index.html"), Class::Always);
        assert_eq!(class(&Method::GET, "/api/v1/events"), Class::Read);
        assert_eq!(class(&Method::POST, "/api/v1/ingest/sms"), Class::Write);
        assert_eq!(class(&Method::PUT, "/api/v1/status/extra"), Class::Write);
    }

    #[test]
    fn a_full_class_turns_away_and_frees_its_places() {
        let g = Guard::new(1, 0);
        assert!(g.admit(Class::Write).is_none(), "no room for writes");
        let first = g.admit(Class::Read).expect("room for one read");
        assert!(g.admit(Class::Read).is_none(), "the read class is full");
        assert!(g.admit(Class::Always).is_some());
        drop(first);
        assert!(
            g.admit(Class::Read).is_some(),
            "a finished read frees its place"
        );
    }
}
