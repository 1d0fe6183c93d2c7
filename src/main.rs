//! Entry point of the browser app: mount the root component, nothing else.

fn main() {
    agentdesk::crash::install();
    agentdesk::theme::restore();
    leptos::mount::mount_to_body(agentdesk::app::App);
}
