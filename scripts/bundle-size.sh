#!/usr/bin/env bash
# Prints the size of the release browser bundle (raw and gzip -9) as served from dist/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh >/dev/null
trunk build --release --offline >/dev/null 2>&1
printf '%-40s %12s %12s\n' file raw gzip
for f in dist/*.wasm dist/*.js dist/*.css dist/index.html; do
  printf '%-40s %12d %12d\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done
