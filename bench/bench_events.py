"""reportEvent and events(bbox) under load, over HTTP, against a running server.

    .venv/bin/python bench/bench_events.py --url http://127.0.0.1:8000/graphql [--clients 8]

8 concurrent clients (httpx, asyncio), each bounded in time; loopback only. Prints
throughput and p50/p99 latency. Run it against `wangge serve` on a database filled by
bench/gen_events.py, once per backend.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import re
import subprocess
import time
import uuid

import httpx

REPORT = """mutation($i: ReportEventInput!) { reportEvent(input: $i) { event { id status }
  errors { code message } } }"""
BOX = """query($b: [Float!]!) { events(filter: {bbox: $b}, first: 50) { edges { node { id code
  status reportedAt location } } } }"""
DISTRICT = (118.15, 36.74, 118.49, 36.94)
KM = (0.0112, 0.009)  # about 1 km of longitude and latitude at 36.8 N


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")


async def run(url: str, token: str, clients: int, seconds: float, make) -> tuple[float, list]:  # type: ignore[no-untyped-def]
    lat: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    timeout = {"timeout": httpx.Timeout(30).as_dict()}

    async def client(k: int) -> None:
        nonlocal errors
        rng = random.Random(k)
        # httpx's transport, without its Client: the client shares the two cores with the
        # server, and the Client's layer (cookies, auth flow, URL and header merging) was a
        # quarter of its CPU a request (0.86 ms against 0.62, measured alone)
        async with httpx.AsyncHTTPTransport() as http:
            while time.monotonic() < deadline:
                body = json.dumps(make(rng)).encode()
                t = time.perf_counter()
                r = await http.handle_async_request(
                    httpx.Request("POST", url, content=body, headers=headers, extensions=timeout))
                content = await r.aread()
                lat.append(time.perf_counter() - t)
                # a byte test, not a parse: decoding every 50-node page was a large part of
                # the client's cost
                if r.status_code != 200 or b'"errors":[{' in content:
                    errors += 1

    t0 = time.monotonic()
    seen = asyncio.create_task(asyncio.to_thread(spread, url, min(2.0, seconds / 2)))
    await asyncio.gather(*(client(k) for k in range(clients)))
    if errors:
        print(f"  ({errors} responses with errors)")
    if (counts := await seen) is not None:
        print(f"  (the {clients} connections per server process: {counts})")
    return len(lat) / (time.monotonic() - t0), lat


def spread(url: str, after: float) -> str | None:
    """How the clients' connections are spread over the server's worker processes, as `ss`
    sees them a while into the run. The workers share one listening socket, and the first
    awake takes every connection waiting: 8 on one worker and none on the other did 247
    reports/s where 3 and 5 did 650/s, in the same minutes."""
    time.sleep(after)
    port = httpx.URL(url).port
    try:
        out = subprocess.run(["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    pids = collections.Counter(re.findall(r"pid=(\d+)", out))
    return ", ".join(str(n) for n in sorted(pids.values(), reverse=True)) or None


def report_body(rng: random.Random) -> dict:
    return {"query": REPORT, "variables": {"i": {
        # fresh every run: drawn from the seeded rng, a second run replayed the first's reports
        "clientId": str(uuid.uuid4()),
        "categoryCode": rng.choice(["0101", "0102", "0103", "0104", "0501", "0601"]),
        "description": "bench", "acknowledgeDuplicate": rng.random() < 0.5,
        "location": {"lon": rng.uniform(DISTRICT[0], DISTRICT[2]),
                     "lat": rng.uniform(DISTRICT[1], DISTRICT[3])}}}}


def box_body(rng: random.Random) -> dict:
    x = rng.uniform(118.25, 118.40)
    y = rng.uniform(36.78, 36.88)
    return {"query": BOX, "variables": {"b": [x, y, x + KM[0], y + KM[1]]}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="wangge-demo")
    ap.add_argument("--only", choices=("bbox", "report"), help="run one of the two")
    a = ap.parse_args()
    if not a.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("loopback addresses only")
    login = httpx.post(a.url, json={"query": "mutation($u: String!, $p: String!) { login("
                                             "username: $u, password: $p) { token } }",
                                    "variables": {"u": a.user, "p": a.password}}, timeout=30)
    token = login.json()["data"]["login"]["token"]
    runs = {"bbox": ("events(bbox ~1 km, first: 50)", box_body),
            "report": ("reportEvent", report_body)}
    for key, (name, make) in runs.items():
        if a.only not in (None, key):
            continue
        rate, lat = asyncio.run(run(a.url, token, a.clients, a.seconds, make))
        print(f"{name}: {rate:.0f}/s with {a.clients} clients, p50 {pct(lat, 0.5):.1f} ms, "
              f"p99 {pct(lat, 0.99):.1f} ms ({len(lat)} requests)")


if __name__ == "__main__":
    main()
