//! When the app itself fails. A Rust panic leaves the WebAssembly module unusable, so
//! the page says so at once (translated, with a reload button) instead of silently
//! ignoring clicks; uncaught script errors are kept too. Every failure is appended to
//! the tab's `sessionStorage` under [`ERRORS_KEY`] (it survives reloads), where support
//! can read it and the end-to-end tests fail on any entry; so is every request the
//! server failed (5xx).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// The `sessionStorage` key holding the failures seen in this tab (a JSON array).
pub const ERRORS_KEY: &str = "agentdesk.errors";

fn record(kind: &str, message: &str) {
    let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) else {
        return;
    };
    let mut list: Vec<String> = storage
        .get_item(ERRORS_KEY)
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default();
    // Keep the newest few: this is a trail, not a log.
    if list.len() >= 20 {
        list.remove(0);
    }
    list.push(format!("{kind}: {message}"));
    if let Ok(v) = serde_json::to_string(&list) {
        let _ = storage.set_item(ERRORS_KEY, &v);
    }
}

/// A request the server failed (5xx): kept in the same trail, so support sees it and
/// the end-to-end tests fail on it. Refusals (4xx) are answers, not failures.
pub fn request_failed(method: &str, path: &str, status: u16) {
    // Without the query: it may carry what an agent searched for.
    let path = path.split('?').next().unwrap_or(path);
    record("request failed", &format!("{method} {path} → {status}"));
}

/// A banner over the page, built with plain DOM calls (the reactive system may be what
/// failed).
fn show_banner() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if doc.get_element_by_id("app-crashed").is_some() {
        return;
    }
    let es = doc
        .document_element()
        .map(|e| {
            e.get_attribute("lang")
                .unwrap_or_default()
                .starts_with("es")
        })
        .unwrap_or(true);
    let (text, button) = if es {
        (
            "Algo falló en la aplicación. Recarga la página para seguir trabajando.",
            "Recargar",
        )
    } else {
        (
            "Something went wrong in the app. Reload the page to keep working.",
            "Reload",
        )
    };
    let Ok(banner) = doc.create_element("div") else {
        return;
    };
    banner.set_id("app-crashed");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("class", "crash-banner");
    banner.set_text_content(Some(text));
    if let Ok(b) = doc.create_element("button") {
        let _ = b.set_attribute("class", "btn");
        b.set_text_content(Some(button));
        // A listener, not an `onclick` attribute: the page's CSP allows no inline script.
        let reload = Closure::<dyn Fn()>::new(|| {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        let _ = b.add_event_listener_with_callback("click", reload.as_ref().unchecked_ref());
        reload.forget();
        let _ = banner.append_child(&b);
    }
    if let Some(body) = doc.body() {
        let _ = body.append_child(&banner);
    }
}

fn text_of(ev: &web_sys::Event, field: &str) -> String {
    js_sys::Reflect::get(ev, &field.into())
        .ok()
        .map(|v| {
            v.as_string()
                .or_else(|| {
                    js_sys::Reflect::get(&v, &"message".into())
                        .ok()
                        .and_then(|m| m.as_string())
                })
                .unwrap_or_else(|| format!("{v:?}"))
        })
        .unwrap_or_default()
}

/// Install the panic hook and the listeners for uncaught errors (once, at start).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        record("panic", &info.to_string());
        show_banner();
    }));
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
        record("error", &text_of(&ev, "message"));
    });
    let on_rejection = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
        record("unhandled rejection", &text_of(&ev, "reason"));
    });
    let _ = window.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback(
        "unhandledrejection",
        on_rejection.as_ref().unchecked_ref(),
    );
    on_error.forget();
    on_rejection.forget();
}
