"""gridAt over HTTP against a running server (`make run`, or --url).

Sequential requests measure latency (median, p99); N concurrent clients measure throughput.
Time-bounded; loopback only. Run by hand: .venv/bin/python bench/bench_http.py [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import httpx

QUERY = "query($p: PointInput!) { gridAt(point: $p) { code name } }"
# Linzi demo district bounds (fixtures/linzi.py outline)
BOX = (118.13, 36.72, 118.51, 36.96)


def points(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    return [{"lon": rng.uniform(BOX[0], BOX[2]), "lat": rng.uniform(BOX[1], BOX[3])}
            for _ in range(n)]


async def concurrent(url: str, clients: int, seconds: float) -> tuple[int, list[float], float]:
    """`clients` clients posting gridAt until the time is up: (requests, latencies, seconds)."""
    lat: list[float] = []
    deadline = time.monotonic() + seconds

    async def client(k: int) -> None:
        pts = points(50_000, seed=k)
        async with httpx.AsyncClient(timeout=10) as http:
            i = 0
            while time.monotonic() < deadline:
                t = time.perf_counter()
                r = await http.post(url, json={"query": QUERY, "variables": {"p": pts[i]}})
                lat.append(time.perf_counter() - t)
                r.raise_for_status()
                i += 1

    t0 = time.monotonic()
    await asyncio.gather(*(client(k) for k in range(clients)))
    return len(lat), lat, time.monotonic() - t0


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=8)
    a = ap.parse_args()
    if not a.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("loopback addresses only")
    _, lat, _ = asyncio.run(concurrent(a.url, 1, a.seconds))
    print(f"gridAt sequential: {len(lat)} requests, median {statistics.median(lat) * 1000:.2f} ms,"
          f" p99 {pct(lat, 0.99):.2f} ms")
    n, lat, elapsed = asyncio.run(concurrent(a.url, a.clients, a.seconds))
    print(f"gridAt {a.clients} clients: {n / elapsed:.0f} requests/s, median "
          f"{statistics.median(lat) * 1000:.2f} ms, p99 {pct(lat, 0.99):.2f} ms")


if __name__ == "__main__":
    main()
