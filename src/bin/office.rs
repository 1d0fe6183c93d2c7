//! Entry point of the back office (board, agent logs, administration): a bundle of its
//! own, so that agents' desktops never load these pages.

fn main() {
    agentdesk::crash::install();
    agentdesk::theme::restore();
    agentdesk::nav::set_back_office();
    leptos::mount::mount_to_body(agentdesk::office::OfficeApp);
}
