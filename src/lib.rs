//! agentdesk's browser app (Leptos, client-side rendered): router, pages, components,
//! the typed API client and the UI strings.

pub mod api;
pub mod app;
pub mod bridge;
pub mod components;
pub mod crash;
pub mod i18n;
pub mod live;
pub mod pages;
pub mod session;
pub mod status;
pub mod task;
pub mod theme;
