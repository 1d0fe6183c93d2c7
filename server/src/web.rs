//! The browser apps (Trunk's `dist/`: the desktop, and the back office in
//! `dist/office/`), client-route fallback to the right app's `index.html`, pre-compressed
//! bundles, cache headers and the security headers every response carries.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::config::ServeConfig;

/// What is computed once at start-up from `dist/` and the configuration, plus the CSP,
/// recomputed when an admin changes the CRM settings (their origins join `frame-src`
/// and `frame-ancestors`).
pub struct WebAssets {
    /// The desktop's `index.html`, or `None` when the app has not been built.
    pub index: Option<Arc<str>>,
    /// The back office's `index.html` (`dist/office/`), or `None` when not built.
    pub office: Option<Arc<str>>,
    /// The full `Content-Security-Policy` value.
    csp: std::sync::RwLock<HeaderValue>,
    config: ServeConfig,
}

impl WebAssets {
    pub fn load(config: &ServeConfig) -> anyhow::Result<Self> {
        let read = |path: std::path::PathBuf| match std::fs::read_to_string(&path) {
            Ok(s) => Some(Arc::<str>::from(s)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e,
                    "browser app not built; its pages are not served (run scripts/run.sh)");
                None
            }
        };
        let index = read(config.dist_dir.join("index.html"));
        let office = read(
            config
                .dist_dir
                .join(agentdesk_protocol::apps::BACK_OFFICE_ASSETS.trim_matches('/'))
                .join("index.html"),
        );
        let csp = content_security_policy(config, &pages(&index, &office));
        Ok(WebAssets {
            index,
            office,
            csp: std::sync::RwLock::new(HeaderValue::from_str(&csp)?),
            config: config.clone(),
        })
    }

    pub fn csp(&self) -> HeaderValue {
        self.csp
            .read()
            .map(|v| v.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Add the CRM settings' origins (CRM frames; uContact as an ancestor) to the policy.
    pub fn apply_crm_settings(&self, settings: &agentdesk_protocol::CrmSettings) {
        let mut config = self.config.clone();
        if let Some(o) = agentdesk_protocol::origin_of(&settings.url_template) {
            config.crm_origins.push(o);
        }
        config
            .crm_origins
            .extend(settings.crm_origins.iter().cloned());
        config
            .recording_origins
            .extend(settings.recording_origins.iter().cloned());
        if !settings.ucontact_origin.is_empty() {
            config
                .frame_ancestors
                .push(settings.ucontact_origin.clone());
        }
        let csp = content_security_policy(&config, &pages(&self.index, &self.office));
        match (HeaderValue::from_str(&csp), self.csp.write()) {
            (Ok(v), Ok(mut slot)) => *slot = v,
            _ => {
                tracing::warn!("CRM settings hold characters a CSP cannot carry; policy unchanged")
            }
        }
    }
}

/// Both apps' pages, for the hashes of their inline loaders.
fn pages(index: &Option<Arc<str>>, office: &Option<Arc<str>>) -> String {
    [index, office]
        .into_iter()
        .flatten()
        .map(|p| p.as_ref())
        .collect()
}

/// Keep this instance's policy in step with the stored CRM settings: on every
/// `settings.changed` in the event log (written by whichever instance an admin used,
/// relayed here) read them again. A missed event (the hub lagged) reads them too.
pub fn follow_settings(state: crate::AppState) {
    let mut rx = state.events.subscribe();
    tokio::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match rx.recv().await {
                Ok(e) if !matches!(e.event, agentdesk_protocol::ServerEvent::SettingsChanged) => {
                    continue;
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
            match state.store.crm_settings().await {
                Ok(s) => state.web.apply_crm_settings(&s),
                Err(e) => tracing::warn!(error = %e, "could not read the CRM settings"),
            }
        }
    });
}

/// The policy: only our own scripts (plus the exact inline loader Trunk writes, by hash),
/// WebAssembly compilation, our own API, CRM frames from the configured origins, and
/// embedding only by the configured ancestors (uContact).
pub fn content_security_policy(config: &ServeConfig, index_html: &str) -> String {
    let mut script_src = vec!["'self'".to_string(), "'wasm-unsafe-eval'".to_string()];
    script_src.extend(
        inline_script_hashes(index_html)
            .into_iter()
            .map(|h| format!("'sha256-{h}'")),
    );
    let origins = |extra: &[String]| {
        std::iter::once("'self'".to_string())
            .chain(
                extra
                    .iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            )
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "default-src 'self'; script-src {}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; media-src {}; frame-src {}; frame-ancestors {}; \
         object-src 'none'; base-uri 'self'; form-action 'self'",
        script_src.join(" "),
        origins(&config.recording_origins),
        origins(&config.crm_origins),
        origins(&config.frame_ancestors),
    )
}

/// SHA-256 (base64) of each inline `<script>` body in the page.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = &after[tag_end + 1..];
        let Some(close) = body_start.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let body = &body_start[..close];
            out.push(
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes())),
            );
        }
        rest = &body_start[close..];
    }
    out
}

/// Adds the security headers to every response.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // The sample CRM is a stand-in for a vendor's site: any desktop may frame it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, state.web.csp());
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin-allow-popups"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), geolocation=()"),
    );
    res
}

/// `Date` from the server's clock ([`crate::clock`]), not the machine's: the desktop sets
/// its own clock by this header (call timers, time in status, "5 minutes ago"), so it must
/// agree with the times the server stores, also when the clock is fixed for a test.
/// (The HTTP library adds a `Date` only where none is set.)
pub async fn server_date(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let now = crate::clock::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(v) = HeaderValue::from_str(&now) {
        res.headers_mut().insert(header::DATE, v);
    }
    res
}

/// Cache hashed build outputs forever; everything else must be revalidated. API answers
/// (contacts, timelines, exports: personal data) are never stored by a browser or a
/// proxy, errors included.
pub async fn cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api = path == agentdesk_protocol::API_PREFIX
        || path.starts_with(&format!("{}/", agentdesk_protocol::API_PREFIX));
    let hashed = is_hashed_asset(path);
    let mut res = next.run(req).await;
    if api {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if res.status().is_success() && !res.headers().contains_key(header::CACHE_CONTROL) {
        let v = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(v));
        // The same file goes out as brotli, gzip or plain by `Accept-Encoding` (the
        // build's copies): a shared cache must keep them apart.
        if !res.headers().contains_key(header::VARY) {
            res.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    res
}

/// Trunk names outputs `name-<16 hex digits>.ext`, and the WASM `name-<hash>_bg.wasm`.
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 16 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// For paths the static files do not have: client routes get their app's `index.html`
/// (the back office's for its paths, else the desktop's; the app routes itself);
/// anything that looks like a file gets a 404.
pub async fn spa_fallback(State(state): State<AppState>, req: Request<Body>) -> Response {
    let path = req.uri().path();
    let looks_like_file = Path::new(path).extension().is_some();
    let page = if agentdesk_protocol::apps::is_back_office_path(path) {
        &state.web.office
    } else {
        &state.web.index
    };
    match (page, looks_like_file) {
        (_, true) => (StatusCode::NOT_FOUND, "not found").into_response(),
        (Some(index), false) => Html(index.to_string()).into_response(),
        (None, false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The browser app is not built. Run scripts/run.sh (or scripts/build-web.sh).",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = r#"<script src="/a.js"></script><script type="module">init()</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        assert_eq!(
            hashes[0],
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init()"))
        );
    }

    #[test]
    fn csp_names_frame_ancestors_and_crm_origins() {
        let config = ServeConfig {
            frame_ancestors: vec!["https://uc.example".into()],
            crm_origins: vec!["https://crm.example".into()],
            ..ServeConfig::default()
        };
        let csp = content_security_policy(&config, "");
        assert!(
            csp.contains("frame-ancestors 'self' https://uc.example;"),
            "{csp}"
        );
        assert!(
            csp.contains("frame-src 'self' https://crm.example;"),
            "{csp}"
        );
        assert!(csp.contains("'wasm-unsafe-eval'"));
    }

    #[test]
    fn trunk_hashed_names_are_recognised() {
        for hashed in [
            "/agentdesk-5f2a9c0d1e3b4a67_bg.wasm",
            "/agentdesk-5f2a9c0d1e3b4a67.js",
            "/office/office-5f2a9c0d1e3b4a67_bg.wasm",
            "/office/shell-5f2a9c0d1e3b4a67.css",
        ] {
            assert!(is_hashed_asset(hashed), "{hashed}");
        }
        for plain in [
            "/index.html",
            "/office/index.html",
            "/agentdesk_bg.wasm",
            "/agentdesk-5f2a9c0d1e3b4a6_bg.wasm",
            "/sample-crm/app.js",
        ] {
            assert!(!is_hashed_asset(plain), "{plain}");
        }
    }
}
