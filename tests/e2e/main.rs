//! End-to-end tests in headless Chromium against the built app and the real server.
//! The scenarios are grouped by area, one module each; `harness` starts the server,
//! chromedriver and Chromium for each.
#![cfg(not(target_arch = "wasm32"))]

mod agent_day;
mod board;
mod bridge;
mod claims;
mod conversation_report;
mod desk;
#[allow(dead_code)]
#[path = "../../server/tests/api/dovecot.rs"]
mod dovecot;
mod email;
mod followups;
mod harness;
mod load_time;
mod mailboxes;
mod recordings;
mod reports;
#[allow(dead_code)]
#[path = "../../server/tests/api/smtp.rs"]
mod smtp;
mod statuses;
mod timeline;
mod ucontact_console;
mod users;
