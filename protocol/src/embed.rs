//! How the CRM iframe is embedded: its `sandbox` tokens and the features delegated to it
//! through `allow=`, as an admin sets them in the CRM settings. One rule for both sides:
//! the server refuses what is not listed here, the desktop writes the attributes from it.

/// Today's sandbox, the default: scripts, forms, the CRM's own cookies and storage
/// (`allow-same-origin`), pop-ups (still sandboxed) and downloads.
pub const DEFAULT_FRAME_SANDBOX: [&str; 5] = [
    "allow-scripts",
    "allow-forms",
    "allow-same-origin",
    "allow-popups",
    "allow-downloads",
];

/// Sandbox tokens an admin may give the CRM frame. Not listed on purpose: the
/// `allow-top-navigation*` family (the CRM could navigate the desktop away, and with it
/// the agent's call controls) and anything a browser does not know.
pub const FRAME_SANDBOX_TOKENS: [&str; 11] = [
    "allow-downloads",
    "allow-forms",
    "allow-modals",
    "allow-orientation-lock",
    "allow-pointer-lock",
    "allow-popups",
    "allow-popups-to-escape-sandbox",
    "allow-presentation",
    "allow-same-origin",
    "allow-scripts",
    "allow-storage-access-by-user-activation",
];

/// Permissions-policy features an admin may delegate to the CRM frame (`allow=`).
/// `camera` and `geolocation` are not among them: the desktop's own policy turns them
/// off for every frame (`Permissions-Policy: camera=(), geolocation=()`).
pub const FRAME_ALLOW_FEATURES: [&str; 7] = [
    "autoplay",
    "clipboard-read",
    "clipboard-write",
    "display-capture",
    "fullscreen",
    "microphone",
    "speaker-selection",
];

/// The default sandbox as owned strings (serde's default for the settings).
pub fn default_frame_sandbox() -> Vec<String> {
    DEFAULT_FRAME_SANDBOX
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Check a list of tokens against what is allowed: trimmed, lower-cased, duplicates
/// dropped, in the order given. `Err` names the first token that is not allowed.
fn checked(tokens: &[String], allowed: &[&str]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokens.iter().flat_map(|t| t.split_whitespace()) {
        let t = t.trim_end_matches(';').to_ascii_lowercase();
        if t.is_empty() {
            continue;
        }
        if !allowed.contains(&t.as_str()) {
            return Err(format!(
                "`{t}` is not allowed (one of: {})",
                allowed.join(", ")
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The CRM frame's sandbox tokens, checked and normalised.
pub fn check_sandbox(tokens: &[String]) -> Result<Vec<String>, String> {
    checked(tokens, &FRAME_SANDBOX_TOKENS)
}

/// The CRM frame's `allow=` features, checked and normalised.
pub fn check_allow(features: &[String]) -> Result<Vec<String>, String> {
    checked(features, &FRAME_ALLOW_FEATURES)
}

/// The iframe's `sandbox` attribute.
pub fn sandbox_attribute(tokens: &[String]) -> String {
    tokens.join(" ")
}

/// The iframe's `allow` attribute: each feature for the frame's own origin (`'src'`,
/// the default when a feature is named alone).
pub fn allow_attribute(features: &[String]) -> String {
    features.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sandbox_tokens_are_checked_normalised_and_deduplicated() {
        assert_eq!(
            check_sandbox(&v(&[" Allow-Scripts ", "allow-modals allow-scripts", ""])).unwrap(),
            v(&["allow-scripts", "allow-modals"])
        );
        for bad in [
            "allow-top-navigation",
            "allow-top-navigation-by-user-activation",
            "allow-everything",
            "*",
        ] {
            let e = check_sandbox(&v(&[bad])).unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
        // Empty is the strictest sandbox, and allowed.
        assert_eq!(check_sandbox(&[]).unwrap(), Vec::<String>::new());
        assert_eq!(
            sandbox_attribute(&default_frame_sandbox()),
            "allow-scripts allow-forms allow-same-origin allow-popups allow-downloads"
        );
    }

    #[test]
    fn allow_features_are_checked_and_written_as_an_allow_attribute() {
        let f = check_allow(&v(&["clipboard-write;", "Microphone"])).unwrap();
        assert_eq!(allow_attribute(&f), "clipboard-write; microphone");
        assert!(check_allow(&v(&["camera"])).is_err());
        assert!(check_allow(&v(&["microphone *"])).is_err());
        assert!(check_allow(&v(&["microphone 'none'"])).is_err());
    }
}
