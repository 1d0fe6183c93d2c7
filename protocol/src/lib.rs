//! Wire types shared by the browser app and the server.
//!
//! Everything that crosses a boundary — HTTP request and response bodies, the one JSON
//! error shape, domain enums — is defined once here. The crate depends on serde and
//! chrono only, so it builds for `wasm32-unknown-unknown` and natively alike.

pub mod activity;
pub mod apps;
pub mod auth;
pub mod bridge;
pub mod call;
pub mod chart;
pub mod contact;
pub mod dial;
pub mod email;
pub mod email_files;
pub mod embed;
pub mod error;
pub mod event;
pub mod followup;
pub mod ingest;
pub mod mailbox;
pub mod presence;
pub mod report;
pub mod status;
pub mod team;
pub mod text;
pub mod uc_events;
pub mod ucontact;

pub use activity::*;
pub use auth::*;
pub use call::*;
pub use contact::*;
pub use error::*;
pub use event::*;
pub use ingest::*;
pub use mailbox::*;
pub use status::*;
pub use team::*;

/// The prefix of every JSON API route.
pub const API_PREFIX: &str = "/api/v1";
