//! One module per route.

pub mod contact;
pub mod contacts;
pub mod launch;
pub mod login;
