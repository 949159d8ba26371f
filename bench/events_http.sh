#!/usr/bin/env bash
# reportEvent and events(bbox ~1 km, first: 50) over HTTP, on the database of DATABASE_URL
# (filled by bench/gen_events.py): starts `wangge serve --workers W` on 127.0.0.1, runs wrk
# (8 connections) and bench_events.py (8 httpx clients) for S seconds each, stops the server.
# On PostGIS it also runs DESIGN.md's bare stack (bench/bare_stack.py) with wrk, to give the
# ratio of the two report rates measured in the same minute; and it prints the machine's
# speed (bench/machine_speed.py) before and after.
#   DATABASE_URL=... bench/events_http.sh [WORKERS=2] [SECONDS=15] [PORT=8099]
set -euo pipefail
cd "$(dirname "$0")/.."
workers=${1:-2}; secs=${2:-15}; port=${3:-8099}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
.venv/bin/wangge db upgrade >/dev/null
.venv/bin/wangge sweep >/dev/null  # no escalation backlog for the servers sweepers to chew on
.venv/bin/python bench/gen_events.py --settle  # vacuumed and analyzed, as autovacuum keeps it
.venv/bin/wangge serve --host 127.0.0.1 --port "$port" --workers "$workers" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
url=http://127.0.0.1:$port/graphql
for _ in $(seq 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.5; done
TOKEN=$(curl -s "$url" -H 'content-type: application/json' \
  -d '{"query":"mutation { login(username: \"admin\", password: \"wangge-demo\") { token } }"}' \
  | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
export TOKEN
for s in events_bbox report_event; do  # warm every worker's connections and caches
  wrk -t2 -c8 -d3s -s "bench/wrk/$s.lua" "$url" >/dev/null
done
.venv/bin/python bench/machine_speed.py
echo "== $(.venv/bin/python -c 'from backend.config import load_settings as l; print(l().database_url.split(":")[0])'), $workers worker(s), wrk 8 connections, ${secs} s"
for s in events_bbox report_event; do  # the box first: on the table as settled
  echo "-- $s"
  wrk -t2 -c8 -d"${secs}s" --latency -s "bench/wrk/$s.lua" "$url" | tee /tmp/wangge-wrk.$$ \
    | grep -E "Requests/sec|  50%|  99%|Non-2xx|Socket errors"
done
if [[ $DATABASE_URL == postgres* ]]; then  # DESIGN.md's bare stack, the same minute
  ours=$(awk '/Requests\/sec/ {print $2}' /tmp/wangge-wrk.$$)
  .venv/bin/python bench/bare_stack.py setup
  .venv/bin/uvicorn --app-dir bench bare_stack:app --host 127.0.0.1 --port $((port + 1)) \
    --workers "$workers" --log-level warning &
  bare=$!
  trap 'kill $server $bare 2>/dev/null; wait $server $bare 2>/dev/null || true
        .venv/bin/python bench/bare_stack.py teardown; rm -f /tmp/wangge-wrk.$$' EXIT
  for _ in $(seq 60); do curl -sf -o /dev/null "http://127.0.0.1:$((port + 1))/graphql?query=%7Bhello%7D" && break; sleep 0.5; done
  wrk -t2 -c8 -d3s -s bench/wrk/bare_report.lua "http://127.0.0.1:$((port + 1))/graphql" >/dev/null
  echo "-- bare stack (bench/bare_stack.py): point -> grid + insert"
  wrk -t2 -c8 -d"${secs}s" --latency -s bench/wrk/bare_report.lua \
    "http://127.0.0.1:$((port + 1))/graphql" | tee /tmp/wangge-wrk.$$ \
    | grep -E "Requests/sec|  50%|  99%|Non-2xx|Socket errors"
  kill $bare; wait $bare 2>/dev/null || true
  awk -v ours="$ours" '/Requests\/sec/ {printf "reportEvent / bare stack: %.2f\n", ours / $2}' \
    /tmp/wangge-wrk.$$
fi
rm -f /tmp/wangge-wrk.$$
echo "== bench_events.py, 8 httpx clients"
.venv/bin/python bench/bench_events.py --url "$url" --clients 8 --seconds "$secs"
.venv/bin/python bench/machine_speed.py
