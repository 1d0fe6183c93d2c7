//! One module per route.

pub mod admin;
pub mod board;
pub mod board_grid;
pub mod contact;
pub mod contacts;
pub mod followups;
pub mod launch;
pub mod login;
pub mod queue_log;
