#!/usr/bin/env bash
# The timeline benchmark: loads 1,000,000 activities (one contact with 200,000) into a
# fresh SQLite file and prints latency percentiles of the timeline query next to the
# naive COUNT/OFFSET approach, as a Markdown table (see docs/benchmarks.md).
# BENCH_ACTIVITIES, BENCH_BIG, BENCH_ITERATIONS and BENCH_DB tune it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo bench --locked -p agentdesk-server --bench timeline
