//! Entry point of the browser app: mount the root component, nothing else.

fn main() {
    agentdesk::crash::install();
    leptos::mount::mount_to_body(agentdesk::app::App);
}
