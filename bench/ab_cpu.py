"""The CPU a request takes, an older tree against this one, alternated finely.

    DATABASE_URL=... .venv/bin/python bench/ab_cpu.py OLD_COMMIT report|bbox [TURNS] [BATCH]

These machines drift by ±20-40% within minutes, which hides a 10% change between two wrk
runs. Here two worker processes (the old tree in a git worktree, this one) call the real
app in process (ASGI, no HTTP), taking turns of BATCH requests, TURNS each; each turn's
Python CPU is the process's, PostgreSQL's the sum over its processes in /proc. Prints the
medians and the median of the pairs' ratios (new / old). Bounded by its count of requests.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r'''
import asyncio, json, os, random, sys, time, uuid
from backend.app import create_app

app = create_app()
rng = random.Random(1)
CATEGORIES = ["0101", "0102", "0103", "0104", "0501", "0601"]
REPORT = ("mutation($i: ReportEventInput!) { reportEvent(input: $i) { event { id status } "
          "errors { code } } }")
BOX = ("query($b: [Float!]!) { events(filter: {bbox: $b}, first: 50) { edges { node { id code "
       "status reportedAt location } } } }")


async def call(body, token=None):
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if token:
        headers.append((b"authorization", b"Bearer " + token.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000)}
    sent, out = False, []

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)

    async def send(message):
        if message["type"] == "http.response.body":
            out.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(out)


def report():
    i = {"clientId": str(uuid.uuid4()), "categoryCode": rng.choice(CATEGORIES),
         "description": "bench", "acknowledgeDuplicate": rng.random() < 0.5,
         "location": {"lon": 118.15 + rng.random() * 0.34, "lat": 36.74 + rng.random() * 0.2}}
    return json.dumps({"query": REPORT, "variables": {"i": i}}).encode()


def box():
    x, y = 118.25 + rng.random() * 0.15, 36.78 + rng.random() * 0.1
    return json.dumps({"query": BOX, "variables": {"b": [x, y, x + 0.0112, y + 0.009]}}).encode()


def postgres_cpu():
    total = 0
    for pid in os.listdir("/proc"):
        try:
            if not pid.isdigit() or open(f"/proc/{pid}/comm").read().strip() != "postgres":
                continue
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


async def main():
    login = ('{"query":"mutation { login(username: \\"admin\\", password: \\"wangge-demo\\") '
             '{ token } }"}').encode()
    token = json.loads(await call(login))["data"]["login"]["token"]
    make = report if sys.argv[1] == "report" else box
    for _ in range(50):
        await call(make(), token)
    print("ready", flush=True)
    for line in sys.stdin:
        n = int(line)
        c0, p0 = time.process_time(), postgres_cpu()
        for _ in range(n):
            await call(make(), token)
        c1, p1 = time.process_time(), postgres_cpu()
        print(f"{1000 * (c1 - c0) / n:.4f} {1000 * (p1 - p0) / n:.4f}", flush=True)

asyncio.run(main())
'''


def spawn(tree: Path, op: str) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", WORKER, op], cwd=tree, text=True,
                         env={**os.environ, "PYTHONPATH": str(tree)},
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def main() -> None:
    old, op = sys.argv[1], sys.argv[2]
    turns = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), old], cwd=ROOT,
                       check=True)
        try:
            workers = {"old": spawn(tree, op), "new": spawn(ROOT, op)}
            runs: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
            for k in range(turns):
                for name in ("old", "new") if k % 2 == 0 else ("new", "old"):
                    p = workers[name]
                    p.stdin.write(f"{batch}\n")  # type: ignore[union-attr]
                    p.stdin.flush()  # type: ignore[union-attr]
                    python, postgres = map(float, p.stdout.readline().split())  # type: ignore[union-attr]
                    runs[name].append((python, postgres))
            for p in workers.values():
                p.stdin.close()  # type: ignore[union-attr]
                p.wait()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           check=True)
    print(f"{op}: {turns} turns of {batch} requests each, {old} → this tree")
    for i, label in ((0, "Python"), (1, "PostgreSQL")):
        o, n = [r[i] for r in runs["old"]], [r[i] for r in runs["new"]]
        if not any(o):
            continue
        ratios = [b / a for a, b in zip(o, n, strict=True) if a > 0]
        print(f"  {label}: {statistics.median(o):.3f} → {statistics.median(n):.3f} ms a request, "
              f"pairs ×{statistics.median(ratios):.3f} (quartiles "
              f"×{statistics.quantiles(ratios, n=4)[0]:.3f}–×{statistics.quantiles(ratios, n=4)[2]:.3f})")
    both = [sum(b) / sum(a) for a, b in zip(runs["old"], runs["new"], strict=True)]
    print(f"  both: pairs ×{statistics.median(both):.3f}")


if __name__ == "__main__":
    main()
