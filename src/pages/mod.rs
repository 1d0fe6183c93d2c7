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

/// Hand the browser a file to save as `name` (an export).
pub fn save_file(name: &str, blob: &web_sys::Blob) {
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else {
        return;
    };
    if let Ok(a) = leptos::prelude::document().create_element("a") {
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", name);
        if let Ok(a) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(a) {
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
