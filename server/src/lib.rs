//! agentdesk's server as a library: [`app`] builds the whole router from an
//! [`AppState`], so the binary and the tests run exactly the same application.

pub mod auth;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod events;
pub mod extract;
pub mod followups;
pub mod ingest;
pub mod mailer;
pub mod openapi;
pub mod outbound;
pub mod outbox;
pub mod overload;
pub mod presence;
pub mod report;
pub mod routes;
pub mod store;
pub mod text;
pub mod ucontact_api;
pub mod ucontact_settings;
pub mod validate;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Request};
use axum::middleware;
use axum::response::IntoResponse;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::store::DynStore;

/// Shared by every handler; cheap to clone (Arcs inside).
#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub config: Arc<ServeConfig>,
    pub web: Arc<web::WebAssets>,
    pub events: events::EventHub,
    /// The one client for calls to other systems.
    pub outbound: outbound::Outbound,
    /// Turns requests away beyond what the server can take.
    pub overload: Arc<overload::Guard>,
    /// The SMTP sender, when the server has one.
    pub mailer: Option<mailer::Mailer>,
    /// This instance's follow-up engine.
    pub followups: followups::Engine,
    /// This instance's e-mail sender.
    pub outbox: outbox::Outbox,
    /// Integrations' deliveries noted, not yet written (`ingest::deliveries`).
    pub deliveries: ingest::deliveries::Deliveries,
    /// How this instance's IMAP pollers fare (`ingest::mailboxes`).
    pub mailboxes: ingest::mailboxes::MailboxHealth,
    /// TLS for IMAP mailboxes: the web PKI plus `--imap-ca-file`.
    pub imap_tls: std::sync::Arc<tokio_rustls::rustls::ClientConfig>,
}

impl AppState {
    pub fn new(store: DynStore, config: ServeConfig) -> anyhow::Result<Self> {
        clock::init_from_env().map_err(anyhow::Error::msg)?;
        let web = web::WebAssets::load(&config)?;
        let outbound = outbound::Outbound::new(
            config.outbound_allow_private,
            std::time::Duration::from_secs(10),
        )?;
        let overload =
            overload::Guard::new(config.max_reads_in_flight, config.max_writes_in_flight);
        let events = events::EventHub::default();
        let mailer = match (&config.smtp_url, config.smtp_from.as_deref()) {
            (Some(url), Some(from)) => {
                Some(mailer::Mailer::new(url, from).map_err(anyhow::Error::msg)?)
            }
            (Some(_), None) => {
                anyhow::bail!("an SMTP URL needs a sender: set AGENTDESK_SMTP_FROM (--smtp-from)")
            }
            (None, _) => None,
        };
        let followups = followups::Engine::with(
            store.clone(),
            outbound.clone(),
            events.clone(),
            config.phone_region.clone(),
            config.followup_max_answer_bytes,
        )
        .with_mailer(mailer.clone());
        let outbox = outbox::Outbox::new(
            store.clone(),
            events.clone(),
            config.smtp_url.clone(),
            config.outbound_allow_private,
        );
        let imap_tls = ingest::imap::tls_config(config.imap_ca_file.as_deref())?;
        Ok(AppState {
            imap_tls,
            deliveries: ingest::deliveries::Deliveries::default(),
            mailboxes: ingest::mailboxes::MailboxHealth::default(),
            outbox,
            followups,
            mailer,
            store,
            overload,
            config: Arc::new(config),
            web: Arc::new(web),
            events,
            outbound,
        })
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: API, probes, static app, and the layers around them.
pub fn app(state: AppState) -> Router {
    // The build writes .br and .gz copies of the bundles (scripts/build-web.sh): sent
    // as they are to browsers that accept them, best compression at no cost per request.
    let static_files = ServeDir::new(&state.config.dist_dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(axum::routing::any(web::spa_fallback).with_state(state.clone()));
    Router::new()
        .nest(agentdesk_protocol::API_PREFIX, routes::api())
        .merge(routes::probes())
        .merge(routes::sample_crm())
        .merge(openapi::router())
        .fallback_service(static_files)
        .layer(middleware::from_fn_with_state(state.clone(), overload::guard))
        .layer(middleware::from_fn(web::cache_headers))
        .layer(middleware::from_fn(web::server_date))
        .layer(middleware::from_fn_with_state(state.clone(), web::security_headers))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    // The path only: query strings could carry search terms of customers.
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(tower_http::LatencyUnit::Micros)))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
                }))
                .layer(CompressionLayer::new()),
        )
        .with_state(state)
}

/// Serve `app` on `listener` until `shutdown` resolves, finishing requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // CRM frames and uContact as an ancestor join the CSP from the stored settings.
    match state.store.crm_settings().await {
        Ok(s) => state.web.apply_crm_settings(&s),
        Err(e) => tracing::warn!(error = %e, "could not read the CRM settings"),
    }
    // The hub sends events in id order from the first one written after this point.
    let newest = match state.store.event_bounds().await {
        Ok((newest, _)) => {
            state.events.start_after(newest);
            Some(newest)
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the event log; events unordered");
            None
        }
    };
    presence::spawn_sweeper(state.clone());
    routes::reminders::spawn_scheduler(
        state.clone(),
        std::time::Duration::from_secs(state.config.reminder_check_secs.max(1)),
    );
    if state.config.followup_check_secs > 0 {
        followups::spawn_scheduler(
            state.followups.clone(),
            std::time::Duration::from_secs(state.config.followup_check_secs),
        );
    }
    if state.config.outbox_check_secs > 0 {
        outbox::spawn_worker(
            state.outbox.clone(),
            std::time::Duration::from_secs(state.config.outbox_check_secs),
        );
    }
    web::follow_settings(state.clone());
    // Events written by other instances on a shared database (PostgreSQL), from the same
    // point: those written before the relay listens are relayed too.
    events::spawn_relay(state.events.clone(), state.store.clone(), newest);
    let pollers = ingest::imap::Pollers {
        store: state.store.clone(),
        events: state.events.clone(),
        tls: state.imap_tls.clone(),
        region: state.config.phone_region.clone(),
        every: std::time::Duration::from_secs(state.config.imap_poll_secs.max(1)),
        health: state.mailboxes.clone(),
        owner: crate::auth::new_token(),
    };
    if !state.config.imap_mailboxes.is_empty() {
        tracing::info!(mailboxes = ?state.config.imap_mailboxes, "polling IMAP mailboxes");
    }
    for mailbox in &state.config.imap_mailboxes {
        pollers.spawn(mailbox.clone(), None);
    }
    ingest::mailboxes::spawn_console_pollers(pollers, state.config.outbound_allow_private);
    // Housekeeping in small steps (see `Store::maintain`): at most a fifth of a second
    // per round.
    let store = state.store.clone();
    let every = state.config.maintenance_secs;
    tokio::spawn(async move {
        if every == 0 {
            return;
        }
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
        loop {
            tick.tick().await;
            match store.maintain(std::time::Duration::from_millis(200)).await {
                Ok(n) if n > 0 => tracing::debug!(steps = n, "store maintenance"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "store maintenance failed"),
            }
        }
    });
    // Keep the event log short: clients resuming later than this get a `resync`.
    let retention = chrono::Duration::hours(i64::from(state.config.event_retention_hours));
    let store = state.store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            match store.prune_events(crate::clock::now() - retention).await {
                Ok(n) if n > 0 => tracing::info!(pruned = n, "event log pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "event log pruning failed"),
            }
        }
    });
    state
        .deliveries
        .spawn_writer(state.store.clone(), std::time::Duration::from_secs(1));
    let (store, deliveries) = (state.store.clone(), state.deliveries.clone());
    let served = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    // The last second's notes.
    deliveries.flush(&store).await;
    served
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down; finishing requests in flight");
}
