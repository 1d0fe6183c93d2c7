//! Components shared by several pages.

pub mod callbar;
pub mod error;
pub mod time;
pub mod topbar;
