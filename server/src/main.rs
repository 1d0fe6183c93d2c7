//! The `agentdesk-server` binary: parse the configuration and hand over to [`agentdesk_server::cli`].

use clap::Parser;

fn main() -> anyhow::Result<std::process::ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Database answers wake their requests from the driver's threads, which puts them
        // in the runtime's shared queue; a worker looks there only every so many tasks
        // (61 by default). Under load the one writer connection then sat idle between a
        // transaction's statements while the task driving it waited its turn: looking
        // every 8 tasks keeps it busy (docs/benchmarks.md, load at 2,000 agents).
        .global_queue_interval(8)
        .build()?
        .block_on(agentdesk_server::cli::run(
            agentdesk_server::config::Cli::parse(),
        ))
}
