#!/usr/bin/env bash
# The load test (server/benches/load.rs): 500 simulated agents for 60 s against the
# release server binary on loopback — timeline reads, status changes, SMS ingest, each
# agent with its real-time stream open — and a Markdown table of throughput, p50/p99
# latency and errors (see docs/benchmarks.md). Exits non-zero when any request failed.
# LOAD_AGENTS, LOAD_SECS, LOAD_THINK_MS, LOAD_INSTANCES and LOAD_DATABASE_URL tune it
# (LOAD_DATABASE_URL must name an empty database).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Two sockets per agent on each side of loopback: more than the usual 1,024 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cargo bench --locked -p agentdesk-server --bench load
