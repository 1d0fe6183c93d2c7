//! Moving between pages when two apps share the origin: the desktop (every user) and the
//! back office (supervisors' and admins' screens, a bundle of its own). A path the
//! running app owns goes through its router; a path of the other app is a full page
//! load (the other app's `index.html` and bundle). Which app owns a path is the
//! protocol's rule, the same one the server serves by.

use std::cell::Cell;

use agentdesk_protocol::apps::is_back_office_path;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

thread_local! {
    static BACK_OFFICE: Cell<bool> = const { Cell::new(false) };
}

/// Called by the back office's `main` before it mounts.
pub fn set_back_office() {
    BACK_OFFICE.with(|b| b.set(true));
}

/// Whether the running app's router serves `path`.
pub fn is_ours(path: &str) -> bool {
    is_back_office_path(path) == BACK_OFFICE.with(Cell::get)
}

/// A full page load of `path` (the other app), replacing the current history entry or
/// adding one.
fn load(path: &str, replace: bool) {
    let location = window().location();
    let _ = if replace {
        location.replace(path)
    } else {
        location.assign(path)
    };
}

/// Navigation for any path, either app's; call in a component's body.
pub fn use_go() -> impl Fn(&str, bool) + Clone + 'static {
    let navigate = use_navigate();
    move |path: &str, replace: bool| {
        if is_ours(path) {
            navigate(
                path,
                NavigateOptions {
                    replace,
                    ..Default::default()
                },
            );
        } else {
            load(path, replace);
        }
    }
}

/// A link for any path: the router's `<A>` (with `aria-current` on the active page)
/// inside the running app, a plain link the router leaves alone to the other one.
#[component]
pub fn NavLink(
    #[prop(into)] href: String,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    if is_ours(&href) {
        view! { <A href=href attr:id=id attr:class=class>{children()}</A> }.into_any()
    } else {
        view! { <a href=href id=id class=class rel="external">{children()}</a> }.into_any()
    }
}

/// Leaves for `path` (either app) as soon as it is mounted, replacing the history entry.
#[component]
pub fn Leave(path: String) -> impl IntoView {
    let go = use_go();
    Effect::new(move |_| go(&path, true));
}
