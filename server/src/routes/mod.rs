//! The JSON API under `/api/v1`, one module per resource, and the health probes.

mod auth;
mod contacts;
mod events;
mod me;
mod teams;

use axum::Router;
use axum::routing::get;

use crate::AppState;
use crate::error::ApiError;

/// Every API route. All but `POST /auth/login` require a session (the [`crate::auth::Caller`]
/// extractor); unknown paths answer 404 in the JSON error shape.
pub fn api() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(me::router())
        .merge(contacts::router())
        .merge(events::router())
        .merge(teams::router())
        .fallback(|| async { ApiError::NotFound("route") })
}

/// `/healthz` (the process is up) and `/readyz` (the database answers), for load balancers.
pub fn probes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(
                |axum::extract::State(state): axum::extract::State<AppState>| async move {
                    state
                        .store
                        .ping()
                        .await
                        .map(|_| "ready")
                        .map_err(ApiError::from)
                },
            ),
        )
}
