#!/usr/bin/env bash
# Runs every test: all crates' unit and API tests (each on a fresh SQLite database) and
# the end-to-end tests in headless Chromium against the built app.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh

cargo fetch --locked
# The browser tests load the built app from dist/.
trunk build --release --offline
cargo test --workspace --locked --offline
