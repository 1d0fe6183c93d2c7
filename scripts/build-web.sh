#!/usr/bin/env bash
# Builds both browser apps into dist/ (release): the desktop every user loads
# (index.html -> dist/) and the back office for supervisors and admins (office.html ->
# dist/office/, served below /office/). Then writes a brotli (.br, when the `brotli`
# command is installed) and a gzip (.gz) copy beside every WASM, JS and CSS file; the
# server sends those to browsers that accept them instead of compressing on the fly.
# The desktop first: Trunk empties its dist directory, office/ included.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
trunk build index.html --release --offline
trunk build office.html --release --offline --dist dist/office --public-url /office/
find dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) -print0 |
  while IFS= read -r -d '' f; do
    gzip -9 -n -k -f "$f"
    if command -v brotli >/dev/null 2>&1; then brotli -q 11 -k -f "$f"; fi
  done
