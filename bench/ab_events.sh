#!/usr/bin/env bash
# The events' two hot operations, this tree against an older commit, alternated on the same
# database (these machines drift by ±20% from one minute to the next: compare pairs, not
# runs): each round serves the old tree, then this one, with `wangge serve --workers W` on
# 127.0.0.1 and S seconds of wrk (8 connections) per operation; then the medians.
#   DATABASE_URL=... bench/ab_events.sh OLD_COMMIT [ROUNDS=5] [SECONDS=10] [WORKERS=2]
# Schema changes between the two are not undone: a migration's effect is measured apart.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
old=${1:?an older commit}; rounds=${2:-5}; secs=${3:-10}; workers=${4:-2}; port=8098
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
tree=$(mktemp -d)
git worktree add -q --detach "$tree" "$old"
server=
cleanup() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
  git worktree remove --force "$tree"
}
trap cleanup EXIT
url=http://127.0.0.1:$port/graphql
out=$(mktemp)

run() {  # run LABEL SOURCE_TREE
  (cd "$2" && PYTHONPATH="$2" exec "$root/.venv/bin/python" -m backend.cli serve \
     --host 127.0.0.1 --port "$port" --workers "$workers") >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.5; done
  TOKEN=$(curl -s "$url" -H 'content-type: application/json' \
    -d '{"query":"mutation { login(username: \"admin\", password: \"wangge-demo\") { token } }"}' \
    | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
  export TOKEN
  for s in events_bbox report_event; do
    wrk -t2 -c8 -d3s -s "bench/wrk/$s.lua" "$url" >/dev/null  # warm connections and caches
    r=$(wrk -t2 -c8 -d"${secs}s" --latency -s "bench/wrk/$s.lua" "$url")
    rate=$(echo "$r" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$r" | awk '$1=="99%" {print $2}')
    echo "$1 $s $rate $p99" | tee -a "$out"
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=
}

for _ in $(seq "$rounds"); do
  run old "$tree"
  run new "$root"
done
echo "== medians over $rounds rounds ($old → this tree), and the median of the pairs' ratios"
.venv/bin/python - "$out" <<'EOF'
import statistics, sys
runs = [line.split() for line in open(sys.argv[1])]
for op in ("events_bbox", "report_event"):
    old = [float(r[2]) for r in runs if r[0] == "old" and r[1] == op]
    new = [float(r[2]) for r in runs if r[0] == "new" and r[1] == op]
    ratios = [n / o for o, n in zip(old, new)]
    print(f"{op}: {statistics.median(old):.0f}/s → {statistics.median(new):.0f}/s, "
          f"pairs ×{min(ratios):.2f}–{max(ratios):.2f}, median ×{statistics.median(ratios):.2f}")
EOF
