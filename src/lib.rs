//! agentdesk's browser apps (Leptos, client-side rendered): the desktop (`app`, every
//! user) and the back office (`office`, supervisors and admins), built as two bundles
//! from this one library; their pages, components, the typed API client and the UI
//! strings.

pub mod api;
pub mod app;
pub mod bridge;
pub mod components;
pub mod crash;
pub mod i18n;
pub mod live;
pub mod nav;
pub mod office;
pub mod pages;
pub mod session;
pub mod shell;
pub mod status;
pub mod task;
pub mod theme;
