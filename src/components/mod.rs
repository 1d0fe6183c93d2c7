//! Components shared by several pages.

pub mod callbar;
pub mod contact_form;
pub mod dialpad;
pub mod error;
pub mod notifications;
pub mod reminders;
pub mod status_picker;
pub mod time;
pub mod topbar;
