//! The `agentdesk-server` binary: parse the configuration and hand over to [`agentdesk_server::cli`].

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    agentdesk_server::cli::run(agentdesk_server::config::Cli::parse()).await
}
