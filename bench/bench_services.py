"""checkInVisit and myTasks under load, over HTTP, against a uvicorn started here.

    DATABASE_URL=sqlite:///var/wangge.db .venv/bin/python bench/bench_services.py \
        [--clients 8] [--seconds 20] [--port 8765] [--url http://127.0.0.1:8000/graphql]

The database must hold the demo district (`wangge demo`). Unless --url names a running
server, this starts `wangge serve` on 127.0.0.1:--port, waits for /healthz, and stops it at
the end. Each of the 8 clients is an agent of a different grid: the seed load files requests
for the households of his grid on his own round (requestService, measured too), then the
clients check in on them (checkInVisit: a visit and a step each) and read their inboxes
(myTasks, 20 tasks with their subjects), each phase bounded in time. Loopback only. Prints
throughput and p50/p99 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid

import httpx

LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"""
GRIDS = """{ grids(first: 100) { edges { node { id code agents { username } } } } }"""
HOMES = """query($g: ID) { households(filter: {gridId: $g}, first: 100) { edges { node { id
  location } } } }"""
REQUEST = """mutation($i: RequestServiceInput!) { requestService(input: $i) { request { id
  status } errors { code message } } }"""
CHECK_IN = """mutation($i: CheckInVisitInput!) { checkInVisit(input: $i) { visit { id distanceM
  flagged } errors { code message } } }"""
TASKS = """{ myTasks(first: 20) { edges { node { kind dueAt location subject {
  ... on ServiceRequest { code requestStatus: status item { name } household { address } }
  ... on Reminder { expiresOn item { name } }
  ... on Event { code eventStatus: status } } } } } }"""
ITEMS = ("RS02", "RS05", "RS07", "MZ01", "YB01", "CL02", "TY01", "WJ04")
METRE = 1 / 111_000


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")


class Agent:
    def __init__(self, username: str, token: str, homes: list[dict]) -> None:
        self.username, self.token, self.homes = username, token, homes
        self.requests: list[tuple[str, float, float]] = []  # id, lon, lat


async def phase(name: str, agents: list[Agent], seconds: float, make, url: str,  # type: ignore[no-untyped-def]
                after=None) -> None:
    lat: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def client(a: Agent, k: int) -> None:
        nonlocal errors
        rng = random.Random(f"{k}-{time.time_ns()}")  # fresh clientIds on every run
        async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {a.token}"}
                                     ) as http:
            while time.monotonic() < deadline:
                body = make(a, rng)
                if body is None:
                    return
                t = time.perf_counter()
                r = await http.post(url, json={k: v for k, v in body.items() if k != "home"})
                lat.append(time.perf_counter() - t)
                data = r.json()
                payload = next(iter((data.get("data") or {}).values()), None)
                errs = data.get("errors") or (isinstance(payload, dict)
                                              and payload.get("errors"))
                if after is not None and not errs:
                    after(a, body, payload)
                if r.status_code != 200 or errs:
                    if not errors:
                        print(f"  first error: {str(errs or r.text)[:300]}")
                    errors += 1

    t0 = time.monotonic()
    await asyncio.gather(*(client(a, k) for k, a in enumerate(agents)))
    elapsed = time.monotonic() - t0
    print(f"{name}: {len(lat) / elapsed:.0f}/s with {len(agents)} clients, "
          f"p50 {pct(lat, 0.5):.1f} ms, p99 {pct(lat, 0.99):.1f} ms ({len(lat)} requests"
          f"{f', {errors} with errors' if errors else ''})")


def request_body(a: Agent, rng: random.Random) -> dict:
    h = a.homes[rng.randrange(len(a.homes))]
    return {"query": REQUEST, "home": h, "variables": {"i": {
        "clientId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "itemCode": rng.choice(ITEMS), "householdId": h["id"], "channel": "ROUND"}}}


def requested(a: Agent, body: dict, payload: dict) -> None:
    a.requests.append((payload["request"]["id"], *body["home"]["location"]["coordinates"]))


def check_in_body(a: Agent, rng: random.Random) -> dict | None:
    if not a.requests:
        return None
    rid, lon, lat = a.requests[rng.randrange(len(a.requests))]
    off = rng.gauss(0, 30)  # rural GPS: some land outside the 100 m geofence
    return {"query": CHECK_IN, "variables": {"i": {
        "clientId": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "requestId": rid,
        "position": {"lon": lon + off * METRE, "lat": lat + rng.gauss(0, 30) * METRE,
                     "accuracyM": abs(rng.gauss(15, 10))}}}}


def tasks_body(_a: Agent, _rng: random.Random) -> dict:
    return {"query": TASKS}


async def setup(url: str, clients: int, password: str) -> list[Agent]:
    async with httpx.AsyncClient(timeout=60) as http:
        async def login(u: str) -> str:
            r = await http.post(url, json={"query": LOGIN, "variables": {"u": u, "p": password}})
            return r.json()["data"]["login"]["token"]

        admin = await login("admin")
        r = await http.post(url, json={"query": GRIDS},
                            headers={"Authorization": f"Bearer {admin}"})
        grids = [e["node"] for e in r.json()["data"]["grids"]["edges"] if e["node"]["agents"]]
        step = max(1, len(grids) // clients)
        agents = []
        for g in grids[::step][:clients]:
            username = g["agents"][0]["username"]
            token = await login(username)
            homes = await http.post(url, json={"query": HOMES, "variables": {"g": g["id"]}},
                                    headers={"Authorization": f"Bearer {token}"})
            agents.append(Agent(username, token, [e["node"] for e in
                                                  homes.json()["data"]["households"]["edges"]]))
        return agents


def start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=os.environ.copy())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the server did not come up within 60 s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=None, help="a running server (else one is started)")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--seed-seconds", type=float, default=10)
    ap.add_argument("--password", default="wangge-demo")
    a = ap.parse_args()
    url = a.url or f"http://127.0.0.1:{a.port}/graphql"
    if not url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("loopback addresses only")
    proc = None if a.url else start_server(a.port)
    try:
        agents = asyncio.run(setup(url, a.clients, a.password))
        print(f"{len(agents)} agents: {', '.join(x.username for x in agents)}")
        asyncio.run(phase("requestService (seed load)", agents, a.seed_seconds, request_body,
                          url, requested))
        asyncio.run(phase("checkInVisit", agents, a.seconds, check_in_body, url))
        asyncio.run(phase("myTasks(first: 20)", agents, a.seconds, tasks_body, url))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
