#!/usr/bin/env bash
# The import benchmark: generates queue_log_repo CSV exports (100,000 and 1,000,000 rows
# by default, sizes in BENCH_IMPORT_ROWS) and imports each into a fresh SQLite file with
# the release `import-ccrepo` command, printing its summary: rows/s and peak memory.
# Peak memory must not grow with the file size (the import streams in batches).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ROWS="${BENCH_IMPORT_ROWS:-100000 1000000}"
WORK="$ROOT/target/bench-import"
mkdir -p "$WORK"
# IMPORT_SERVER_BIN: another build's binary (to measure before and after, one right
# after the other).
if [ -n "${IMPORT_SERVER_BIN:-}" ]; then
  BIN="$IMPORT_SERVER_BIN"
else
  cargo build --release --locked -p agentdesk-server
  BIN="$ROOT/target/release/agentdesk-server"
fi

for n in $ROWS; do
  csv="$WORK/queue_log_$n.csv"
  if [ ! -f "$csv" ]; then
    python3 - "$n" "$csv" <<'PY'
import sys, random, datetime
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(7)
events = ["ENTERQUEUE", "CONNECT", "HOLD", "UNHOLD", "COMPLETEAGENT", "COMPLETECALLER", "ABANDON", "RINGNOANSWER", "FINISHWRAPUP", "OUTCALL", "BREAK", "UNBREAK"]
agents = [f"agent{i:03d}" for i in range(200)]
start = datetime.datetime(2026, 1, 1, 8, 0, 0)
with open(path, "w", newline="") as f:
    f.write("origid,datetime,callid,queuename,agent,event,data1,data2,data3,data4,data5\r\n")
    for i in range(n):
        t = start + datetime.timedelta(seconds=i * 3)
        e = events[i % len(events)]
        f.write(f"{i},{t:%Y-%m-%d %H:%M:%S},c{i // 4},\"Ventas, turno {i % 3}\"<-,{random.choice(agents)},{e},{i % 97},{i % 13},,,\r\n")
PY
  fi
  db="$WORK/import_$n.db"
  rm -f "$db" "$db-wal" "$db-shm"
  url="sqlite://$db"
  AGENTDESK_PASSWORD=ccrepo-loader-2026 "$BIN" --database-url "$url" create-user --username bench --role admin --teams Bench >/dev/null
  echo "== queue_log_repo, $n rows ($(du -h "$csv" | cut -f1))"
  "$BIN" --database-url "$url" import-ccrepo --table queue-log --team Bench --quiet "$csv"
  echo "== the same file again (everything a duplicate)"
  "$BIN" --database-url "$url" import-ccrepo --table queue-log --team Bench --quiet "$csv" | grep -E "imported|duplicates|rows/s|peak"
done
