#!/usr/bin/env bash
# Installs whatever agentdesk's build and tests need and is missing; skips what is there.
#   wasm32 target, trunk 0.21.14, wasm-bindgen-cli matching Cargo.lock, wasm-opt
#   (binaryen 132 from npm, into .tools/), Chromium + chromedriver (for the browser tests),
#   Dovecot + openssl (a real IMAP server for the mailbox connector's tests), brotli
#   (pre-compressed copies of the browser bundles),
#   PostgreSQL's server binaries (the API tests' second backend; scripts/test.sh starts
#   its own throwaway cluster, the packaged one is not used).
# Source it (`. scripts/setup.sh`) so that PATH is updated in the caller too.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.tools/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else echo "need root to run: $*" >&2; return 1; fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v cargo >/dev/null 2>&1 || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (a few minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

WBG=$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/version = "\(.*\)"/\1/p')
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG" ]; then
  say "installing wasm-bindgen-cli $WBG (matches Cargo.lock)"
  # Not --locked: its own lockfile pins a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WBG"
fi
grep -q "wasm_bindgen = \"$WBG\"" "$ROOT/Trunk.toml" || {
  echo "Trunk.toml [tools] wasm_bindgen must be \"$WBG\" (Cargo.lock's wasm-bindgen)" >&2; exit 1; }

if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "132" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    say "installing Node.js and npm (for binaryen's wasm-opt)"
    apt_install nodejs npm
  fi
  say "installing wasm-opt (binaryen $BINARYEN_VERSION) into .tools/"
  # Debian's binaryen (108) produces modules Chromium rejects; npm's 132 is known good.
  npm install --silent --no-audit --no-fund --prefix "$ROOT/.tools/npm" "binaryen@$BINARYEN_VERSION" >/dev/null
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  say "installing Chromium and chromedriver (for the browser tests)"
  apt_install chromium chromium-driver
fi

if [ ! -x /usr/sbin/dovecot ] || ! command -v openssl >/dev/null 2>&1; then
  say "installing Dovecot and openssl (a real IMAP server for the mailbox connector's tests)"
  apt_install dovecot-imapd openssl
  # The tests start their own Dovecot on loopback ports; the packaged one is not needed.
  as_root systemctl disable --now dovecot >/dev/null 2>&1 || as_root service dovecot stop >/dev/null 2>&1 || true
fi

if ! command -v brotli >/dev/null 2>&1; then
  say "installing brotli (pre-compressed copies of the browser bundles)"
  apt_install brotli
fi

# The newest PostgreSQL server binaries' directory (Debian keeps them off PATH).
pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return
  fi
  return 1
}

if ! pg_bindir >/dev/null; then
  say "installing PostgreSQL (the API tests run on it too)"
  apt_install postgresql
  # scripts/test.sh starts its own cluster on a free loopback port; the packaged one is
  # not needed.
  as_root systemctl disable --now postgresql >/dev/null 2>&1 || as_root service postgresql stop >/dev/null 2>&1 || true
fi
