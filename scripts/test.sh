#!/usr/bin/env bash
# Runs every test, in four passes that all run whatever the others do:
#   unit        every crate's unit tests and the protocol's property tests
#   api-sqlite  the server's API tests, each on a fresh SQLite database
#   e2e         the browser tests in headless Chromium against the built app
#   api-pg      the API tests again on PostgreSQL, in a throwaway cluster started here
#               (temporary directory, a loopback port, trust authentication + TLS)
# Each pass has a time limit; a summary of all passes (and of tests that skipped
# themselves) is printed at the end, and the exit status is non-zero if any failed.
# Everything the tests start (servers, clusters, Dovecot, Chromium) is stopped on any
# exit: each pass runs in its own process group, which is killed when it ends, and
# PostgreSQL clusters (which detach from it) are found under this run's TMPDIR.
#
# AGENTDESK_NOW=2028-03-01T00:30:00-03:00 runs the whole suite with the server's
# clock starting at that instant (see docs/testing.md).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
set -e
. scripts/setup.sh
set +e

# Time limits (GNU timeout durations); generous for a loaded 2-core machine.
BUILD_LIMIT=${AGENTDESK_BUILD_LIMIT:-75m}
PASS_LIMIT=${AGENTDESK_PASS_LIMIT:-25m}

RUN_DIR=$(mktemp -d)
export TMPDIR="$RUN_DIR/tmp"
mkdir -p "$TMPDIR"
chmod 755 "$RUN_DIR"
chmod 1777 "$TMPDIR"
# Tests that skip themselves append a line here (see server/tests/api/support.rs).
export AGENTDESK_TEST_SKIPS="$RUN_DIR/skipped"
: > "$AGENTDESK_TEST_SKIPS"
chmod 666 "$AGENTDESK_TEST_SKIPS"

PG_BIN=$(pg_bindir) || PG_BIN=
if [ "$(id -u)" -eq 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

CURRENT_GROUP=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CURRENT_GROUP" ]; then
    kill -TERM -- "-$CURRENT_GROUP" 2>/dev/null
    sleep 1
    kill -KILL -- "-$CURRENT_GROUP" 2>/dev/null
  fi
  # Any cluster left running under this run's directory: ours, or a test's own.
  if [ -n "$PG_BIN" ]; then
    find "$RUN_DIR" -name postmaster.pid 2>/dev/null | while read -r pid; do
      as_pg "$PG_BIN/pg_ctl" -D "$(dirname "$pid")" -m immediate -w stop >/dev/null 2>&1
    done
  fi
  rm -rf "$RUN_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

NAMES=()
RESULTS=()
TIMES=()

# run_step NAME LIMIT COMMAND...: runs COMMAND in a process group of its own under a
# time limit, records its outcome, then kills whatever it left behind.
run_step() {
  local name=$1 limit=$2
  shift 2
  printf '\n\033[1;34m==> %s\033[0m (limit %s)\n' "$name" "$limit"
  local start=$SECONDS
  # `timeout` puts itself and the command in a new process group and, on expiry,
  # signals the whole group.
  AGENTDESK_TEST_PASS="$name" timeout --kill-after=30s "$limit" "$@" &
  CURRENT_GROUP=$!
  wait "$CURRENT_GROUP"
  local rc=$?
  kill -KILL -- "-$CURRENT_GROUP" 2>/dev/null
  CURRENT_GROUP=
  local outcome=passed
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    outcome="TIMED OUT after $limit"
  elif [ "$rc" -ne 0 ]; then
    outcome="FAILED (exit $rc)"
  fi
  NAMES+=("$name")
  RESULTS+=("$outcome")
  TIMES+=("$((SECONDS - start))s")
  [ "$rc" -eq 0 ]
}

skip_step() {
  NAMES+=("$1")
  RESULTS+=("NOT RUN: $2")
  TIMES+=("-")
}

CARGO=(cargo --locked --offline)
set -e
cargo fetch --locked
set +e

# The browser tests load the built app from dist/; the test binaries are built once,
# under their own limit, so that each pass's limit covers running tests only.
run_step "build app (trunk)" "$BUILD_LIMIT" scripts/build-web.sh
APP_BUILT=$?
if [ "$APP_BUILT" -eq 0 ]; then
  # The desktop bundle's size against bundle-budget.txt (the build is deterministic).
  run_step "bundle budget" 2m scripts/bundle-size.sh --no-build
else
  skip_step "bundle budget" "the app did not build"
fi
# Each pass's own target selection, built here: cargo unifies features per selection, so
# building only `--workspace --no-run` would leave a pass to recompile inside its limit.
run_step "build tests" "$BUILD_LIMIT" bash -c "${CARGO[*]} test --workspace --no-run \
  && ${CARGO[*]} test --workspace --lib --bins --test bridge_props --no-run \
  && ${CARGO[*]} test --workspace --test api --no-run \
  && ${CARGO[*]} test --workspace --test e2e --no-run"
TESTS_BUILT=$?

if [ "$TESTS_BUILT" -eq 0 ]; then
  run_step "unit" "$PASS_LIMIT" "${CARGO[@]}" test --workspace --no-fail-fast --lib --bins \
    --test bridge_props
  run_step "api-sqlite" "$PASS_LIMIT" "${CARGO[@]}" test --workspace --test api \
    --no-fail-fast
  if [ "$APP_BUILT" -eq 0 ]; then
    # One browser scenario at a time: each starts its own server and Chromium.
    run_step "e2e" "$PASS_LIMIT" "${CARGO[@]}" test --workspace --test e2e --no-fail-fast \
      -- --test-threads=1
  else
    skip_step "e2e" "the app did not build"
  fi
else
  skip_step "unit" "the tests did not build"
  skip_step "api-sqlite" "the tests did not build"
  skip_step "e2e" "the tests did not build"
fi

# start_pg: a throwaway cluster for the PostgreSQL pass, on a loopback port that is
# retried until PostgreSQL itself binds it, with TLS from a CA made here.
start_pg() {
  PG_DIR="$RUN_DIR/pg"
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DIR"; fi
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale \
    >/dev/null || return 1
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
  ) || return 1
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    PG_PORT=$((20000 + RANDOM % 20000))
    # PostgreSQL binds the port itself: should another process hold it, the start
    # fails and another port is tried. fsync is pointless in a throwaway cluster.
    if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c ssl=on -c ssl_cert_file=$PG_DIR/server.crt -c ssl_key_file=$PG_DIR/server.key" \
        >/dev/null; then
      # Ready means PostgreSQL answers a query on that port, not only that it listens.
      if as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atc \
          'select 1' 2>/dev/null | grep -qx 1; then
        return 0
      fi
      as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    fi
  done
  echo "could not start PostgreSQL; its log:" >&2
  cat "$PG_DIR/log" >&2
  return 1
}

if [ "$TESTS_BUILT" -ne 0 ]; then
  skip_step "api-pg" "the tests did not build"
elif [ -z "$PG_BIN" ]; then
  NAMES+=("api-pg"); RESULTS+=("FAILED: PostgreSQL's initdb and pg_ctl not found"); TIMES+=("-")
elif ! start_pg; then
  NAMES+=("api-pg"); RESULTS+=("FAILED: could not start PostgreSQL"); TIMES+=("-")
else
  echo "API tests on PostgreSQL (127.0.0.1:$PG_PORT)"
  # AGENTDESK_TEST_PG_BIN lets the outage test start (and stop) a cluster of its own;
  # AGENTDESK_TEST_PG_CA lets the TLS test verify the server's certificate.
  AGENTDESK_TEST_PG="postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
  AGENTDESK_TEST_PG_BIN="$PG_BIN" \
  AGENTDESK_TEST_PG_CA="$PG_DIR/ca.crt" \
    run_step "api-pg" "$PASS_LIMIT" "${CARGO[@]}" test --workspace --test api \
      --no-fail-fast
fi

FAILED=0
printf '\n\033[1m%-20s %-8s %s\033[0m\n' "pass" "time" "outcome"
for i in "${!NAMES[@]}"; do
  printf '%-20s %-8s %s\n' "${NAMES[$i]}" "${TIMES[$i]}" "${RESULTS[$i]}"
  [ "${RESULTS[$i]}" = passed ] || FAILED=1
done
if [ -s "$AGENTDESK_TEST_SKIPS" ]; then
  printf '\nskipped tests (not failures; each names why):\n'
  sort "$AGENTDESK_TEST_SKIPS" | sed 's/^/  /'
fi
if [ "$FAILED" -ne 0 ]; then
  echo "some passes failed" >&2
  exit 1
fi
echo "all passes passed"
