//! The colour theme: light (default) or dark, as uContact's `changedTheme` asks. Kept in
//! local storage so a reload keeps it; the CSS reads `data-theme` on `<html>`.

use agentdesk_protocol::bridge::Theme;
use gloo_storage::{LocalStorage, Storage};

const KEY: &str = "agentdesk.theme";

fn apply(theme: Theme) {
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute(
            "data-theme",
            match theme {
                Theme::Light => "light",
                Theme::Dark => "dark",
            },
        );
    }
}

/// Switch the theme and remember it.
pub fn set(theme: Theme) {
    apply(theme);
    let _ = LocalStorage::set(KEY, theme);
}

/// The remembered theme, at start-up.
pub fn restore() {
    if let Ok(t) = LocalStorage::get::<Theme>(KEY) {
        apply(t);
    }
}
