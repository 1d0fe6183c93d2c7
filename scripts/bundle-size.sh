#!/usr/bin/env bash
# Prints each browser bundle's files (the desktop in dist/, the back office in
# dist/office/) with raw, gzip -9 and brotli -q 11 sizes and a total per bundle, then
# checks the desktop's total (WASM + JS + CSS, gzip) against bundle-budget.txt and fails
# above it. Builds first (scripts/build-web.sh) unless given --no-build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${1:-}" != "--no-build" ]; then
  . scripts/setup.sh >/dev/null
  scripts/build-web.sh >/dev/null 2>&1
fi
[ -f dist/index.html ] || { echo "dist/ is not built (scripts/build-web.sh)" >&2; exit 1; }

br_size() {
  if command -v brotli >/dev/null 2>&1; then brotli -q 11 -c "$1" | wc -c; else echo "-"; fi
}

# bundle DIR NAME: one table, and the gzip total in $TOTAL_GZ.
bundle() {
  local dir=$1 name=$2 raw=0 gz=0 br=0 f r g b
  printf '\n%s (%s)\n%-44s %10s %10s %10s\n' "$name" "$dir" file raw gzip brotli
  for f in "$dir"/*.wasm "$dir"/*.js "$dir"/*.css; do
    [ -f "$f" ] || continue
    r=$(stat -c %s "$f"); g=$(gzip -9 -n -c "$f" | wc -c); b=$(br_size "$f")
    printf '%-44s %10d %10d %10s\n' "$(basename "$f")" "$r" "$g" "$b"
    raw=$((raw + r)); gz=$((gz + g)); if [ "$b" = "-" ]; then br="-"; elif [ "$br" != "-" ]; then br=$((br + b)); fi
  done
  printf '%-44s %10d %10d %10s\n' "total (WASM + JS + CSS)" "$raw" "$gz" "$br"
  TOTAL_GZ=$gz
}

ls dist/*.wasm >/dev/null 2>&1 || { echo "dist/ has no WASM: not a complete build" >&2; exit 1; }
bundle dist "desktop (every user's first load)"
AGENT_GZ=$TOTAL_GZ
if [ -f dist/office/index.html ]; then bundle dist/office "back office (supervisors, admins)"; fi

BUDGET=$(sed -n 's/^agent_gzip_bytes *= *\([0-9][0-9]*\) *$/\1/p' bundle-budget.txt)
[[ "$BUDGET" =~ ^[0-9]+$ ]] || { echo "bundle-budget.txt has no 'agent_gzip_bytes = N' line" >&2; exit 1; }
echo
if [ "$AGENT_GZ" -gt "$BUDGET" ]; then
  echo "FAIL: the desktop bundle is $AGENT_GZ bytes gzip, over its budget of $BUDGET (bundle-budget.txt)" >&2
  exit 1
fi
echo "ok: the desktop bundle is $AGENT_GZ bytes gzip, within its budget of $BUDGET (bundle-budget.txt)"
