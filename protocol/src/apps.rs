//! The two browser apps and which one owns a path. Agents load only the desktop
//! (contacts, the contact page, the call bar, sign-in); the back office (the board, an
//! agent's log, administration, and the password change every user visits rarely) is a
//! second bundle that supervisors and admins load when
//! they open one of its pages. One rule for both sides: the server picks the app's
//! `index.html` by it, and the apps use it to tell a link inside the running app (the
//! router takes it) from one to the other app (a full page load).

/// Client routes of the back office: a path equal to one of these or below it.
pub const BACK_OFFICE_ROUTES: [&str; 4] = ["/board", "/admin", "/reports", "/account"];

/// Where the back office's build (its `index.html`, WASM, JS and CSS) is served from,
/// below the desktop's `dist/`.
pub const BACK_OFFICE_ASSETS: &str = "/office/";

/// Whether the back office serves `path` (a path, optionally with `?query` or
/// `#fragment`). Matching is by whole segments: `/boards` is the desktop's.
pub fn is_back_office_path(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or("");
    BACK_OFFICE_ROUTES.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_office_paths_are_whole_segments() {
        for p in [
            "/board",
            "/board/",
            "/board/agents/7",
            "/board?team=2",
            "/board#x",
            "/admin/crm",
            "/admin",
            "/reports?interval=hour",
            "/account/password?next=%2Fcontacts",
        ] {
            assert!(is_back_office_path(p), "{p}");
        }
        for p in [
            "/",
            "/contacts",
            "/contacts/1",
            "/boards",
            "/administrator",
            "/reportsx",
            "/accounts",
            "/login?next=%2Fboard",
            "/launch?next=/board",
            "",
            "board",
        ] {
            assert!(!is_back_office_path(p), "{p}");
        }
    }
}
