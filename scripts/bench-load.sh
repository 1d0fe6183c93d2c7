#!/usr/bin/env bash
# Cold-load timings of the desktop in headless Chromium (see docs/benchmarks.md): builds
# the app, then runs the ignored `cold_load_timings` browser scenario, which prints the
# medians of LOAD_RUNS (default 10) fresh-profile loads.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh >/dev/null
[ "${1:-}" = "--no-build" ] || scripts/build-web.sh
cargo test --locked --test e2e cold_load_timings -- --ignored --nocapture
