//! One module per route.

pub mod admin;
pub mod agent_report;
pub mod audit;
pub mod board;
pub mod board_grid;
pub mod contact;
pub mod contacts;
pub mod conversation_report;
pub mod followups;
pub mod integration_deliveries;
pub mod integrations;
pub mod launch;
pub mod login;
pub mod mail_senders;
pub mod mailboxes;
pub mod password;
pub mod queue_log;
pub mod reports;
pub mod statuses;
pub mod team_report;
pub mod teams;
pub mod ucontact;
pub mod users;

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

/// Hand the browser a text file to save.
pub fn download_text(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/csv;charset=utf-8");
    if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) {
        save_file(name, &blob);
    }
}
