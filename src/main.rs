//! Entry point of the browser app: mount the root component, nothing else.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(agentdesk::app::App);
}
