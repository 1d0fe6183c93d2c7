#!/usr/bin/env bash
# Runs every test: all crates' unit and API tests (each on a fresh SQLite database) and
# the end-to-end tests in headless Chromium against the built app; then the API tests
# again on PostgreSQL, in a throwaway cluster started here (temporary directory, a free
# port on 127.0.0.1 only, trust authentication) and removed on exit, pass or fail.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/setup.sh

cargo fetch --locked
# The browser tests load the built app from dist/.
trunk build --release --offline
cargo test --workspace --locked --offline

# The API tests on PostgreSQL: each test creates its own database in this cluster.
PG_BIN=$(pg_bindir) || { echo "PostgreSQL's initdb and pg_ctl not found (scripts/setup.sh installs them)" >&2; exit 1; }
PG_DIR=$(mktemp -d)
# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$PG_DIR"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
stop_pg() {
  local rc=$?
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  exit "$rc"
}
trap stop_pg EXIT
# Interrupted or killed: exit, which runs the EXIT trap above.
trap 'exit 130' INT
trap 'exit 143' TERM
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
# TLS with a certificate for 127.0.0.1 from a CA made here, so that a test can require a
# verified TLS connection (and see one that trusts another root refused).
(
  cd "$PG_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=agentdesk test CA" \
    -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key \
    -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.crt 2>/dev/null
  chmod 600 server.key
  if [ "$(id -u)" -eq 0 ]; then chown postgres: server.key server.crt; fi
)
# A free port: nothing answers on it (retried should another process take it first).
for _ in 1 2 3 4 5 6 7 8 9 10; do
  PG_PORT=$((20000 + RANDOM % 20000))
  if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then continue; fi
  # Durability is pointless in a throwaway cluster: fsync off makes it faster.
  if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c ssl=on -c ssl_cert_file=$PG_DIR/server.crt -c ssl_key_file=$PG_DIR/server.key" \
      >/dev/null; then
    break
  fi
  PG_PORT=
done
if [ -z "${PG_PORT:-}" ]; then
  echo "could not start PostgreSQL; its log:" >&2
  cat "$PG_DIR/log" >&2 || true
  exit 1
fi
echo "API tests on PostgreSQL (127.0.0.1:$PG_PORT)"
# AGENTDESK_TEST_PG_BIN lets the outage test start (and stop) a cluster of its own.
AGENTDESK_TEST_PG="postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
AGENTDESK_TEST_PG_BIN="$PG_BIN" \
AGENTDESK_TEST_PG_CA="$PG_DIR/ca.crt" \
  cargo test -p agentdesk-server --test api --locked --offline
