#!/usr/bin/env bash
# The load test (server/benches/load/): simulated agents for 60 s against the release
# server binary on loopback — timeline reads, status changes, SMS ingest, each agent with
# its real-time stream open — and Markdown tables of throughput, p50/p99 latency, shed
# requests and errors, write-to-stream latency, CPU per process and CPU per request of
# each action (see docs/benchmarks.md). Exits non-zero when any request failed.
#   scripts/load.sh [AGENTS [INSTANCES]]      e.g. scripts/load.sh 2000 2
# LOAD_AGENTS (500), LOAD_INSTANCES (1), LOAD_SECS, LOAD_THINK_MS, LOAD_CALIBRATE,
# LOAD_SERVER_BIN and LOAD_DATABASE_URL tune it (LOAD_DATABASE_URL must name an empty
# database; without it a fresh SQLite file is used).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Two sockets per agent on each side of loopback: more than the usual 1,024 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export LOAD_AGENTS="${1:-${LOAD_AGENTS:-500}}"
export LOAD_INSTANCES="${2:-${LOAD_INSTANCES:-1}}"
cargo bench --locked -p agentdesk-server --bench load
