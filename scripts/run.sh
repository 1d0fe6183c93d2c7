#!/usr/bin/env bash
# Installs what is missing, builds the browser app and the server, and runs agentdesk
# on http://127.0.0.1:8080 with the embedded SQLite database (data/agentdesk.db).
# An empty database gets the demo data set. Extra arguments go to `serve`
# (see `cargo run -p agentdesk-server -- serve --help`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh

cargo fetch --locked
scripts/build-web.sh
cargo build --release --locked -p agentdesk-server
echo "agentdesk: http://127.0.0.1:8080  (demo logins in README.md; Ctrl-C stops)"
exec target/release/agentdesk-server serve --dist-dir dist "$@"
