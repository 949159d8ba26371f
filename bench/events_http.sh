#!/usr/bin/env bash
# reportEvent and events(bbox ~1 km, first: 50) over HTTP, on the database of DATABASE_URL
# (filled by bench/gen_events.py): starts `wangge serve --workers W` on 127.0.0.1, runs wrk
# (8 connections) and bench_events.py (8 httpx clients) for S seconds each, stops the server.
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
  wrk -t2 -c8 -d"${secs}s" --latency -s "bench/wrk/$s.lua" "$url" \
    | grep -E "Requests/sec|  50%|  99%|Non-2xx|Socket errors"
done
echo "== bench_events.py, 8 httpx clients"
.venv/bin/python bench/bench_events.py --url "$url" --clients 8 --seconds "$secs"
.venv/bin/python bench/machine_speed.py
