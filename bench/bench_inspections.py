"""recordInspection over HTTP: 8 clients (inspectors) recording their drawn assignments.

Builds its own database (SpatiaLite in a temporary directory, or DATABASE_URL): the small
district, 2,000 targets, 16 inspectors and one drawn plan; starts `uvicorn` on 127.0.0.1,
runs the clients until the time is up or the assignments run out, prints throughput, median
and p99. Run by hand: .venv/bin/python bench/bench_inspections.py [--clients 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

RECORD = """mutation($i: RecordInspectionInput!) { recordInspection(input: $i) {
  inspection { id distanceM outsideGeofence } errors { code message } } }"""
LOGIN = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }"""
PASSWORD = "wangge-bench"


def build(url: str, inspectors: int, targets: int, sample: int) -> dict[str, list[tuple]]:
    """The database; returns username -> [(assignment id, lon, lat)] it records."""
    from backend.api.relay import to_global_id
    from backend.auth.models import User
    from backend.auth.service import Caller, add_user, hash_password
    from backend.db.engine import make_engine, make_sessionmaker
    from backend.db.migrate import upgrade
    from backend.inspections import service
    from backend.inspections.models import (
        AssignmentInspector,
        InspectionAssignment,
        InspectionTarget,
    )
    from backend.load import load_document
    from fixtures import small

    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(8)
    with make_sessionmaker(engine)() as s:
        load_document(s, small.build())
        pw = hash_password(PASSWORD)
        names = {}
        for k in range(inspectors):
            u = add_user(s, f"bench-inspector-{k}", None, f"检查员{k}", ["INSPECTOR"],
                         ["370305001", "370305101"], password_hash=pw, department_code="SCJ")
            service.add_inspector(s, u.id, f"B{k:04d}")
            names[u.id] = u.username
        for n in range(targets):
            service.add_target(s, f"B{n:06d}", f"压测主体{n}", "RESTAURANT", "ABCD"[n % 4],
                               rng.uniform(118.301, 118.379), rng.uniform(36.801, 36.829))
        s.flush()
        admin = s.scalar(select(User.id).where(User.username == "admin"))
        caller = Caller(user_id=admin, roles=frozenset({"ADMIN"}))
        seed = uuid.uuid4().hex
        now = datetime.now(UTC)
        plan = service.create_plan(s, caller, service.PlanInput(
            client_id=str(uuid.uuid4()), name="压测计划", department_code="SCJ",
            items=("现场检查",), seed_commitment=hashlib.sha256(seed.encode()).hexdigest(),
            sample_size=sample), now)
        service.draw_plan(s, caller, plan.id, seed, now)
        work: dict[str, list[tuple]] = {u: [] for u in names.values()}
        for a, lon, lat in s.execute(
                select(InspectionAssignment.id, InspectionTarget.lon, InspectionTarget.lat)
                .join(InspectionTarget, InspectionTarget.id == InspectionAssignment.target_id)
                .where(InspectionAssignment.plan_id == plan.id)):
            first = s.scalar(select(AssignmentInspector.user_id)
                             .where(AssignmentInspector.assignment_id == a,
                                    AssignmentInspector.position == 1))
            work[names[first]].append((to_global_id("InspectionAssignment", a), lon, lat))
        s.commit()
    engine.dispose()
    return work


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def run(url: str, work: dict[str, list[tuple]], clients: int, seconds: float
              ) -> tuple[int, int, list[float], float]:
    times: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    users = sorted(work)[:clients]

    async def client(user: str) -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=30) as http:
            r = await http.post(url, json={"query": LOGIN,
                                           "variables": {"u": user, "p": PASSWORD}})
            token = r.json()["data"]["login"]["token"]
            headers = {"Authorization": f"Bearer {token}"}
            for gid, lon, lat in work[user]:
                if time.monotonic() >= deadline:
                    return
                i = {"clientId": str(uuid.uuid4()), "assignmentId": gid, "mode": "ON_SITE",
                     "result": "PASS", "items": [{"item": "现场检查", "ok": True}],
                     "position": {"lon": lon + 0.0001, "lat": lat, "accuracyM": 8}}
                t = time.perf_counter()
                r = await http.post(url, json={"query": RECORD, "variables": {"i": i}},
                                    headers=headers)
                times.append(time.perf_counter() - t)
                body = r.json()
                if "errors" in body or body["data"]["recordInspection"]["errors"]:
                    errors += 1

    t0 = time.monotonic()
    await asyncio.gather(*(client(u) for u in users))
    return len(times), errors, times, time.monotonic() - t0


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--targets", type=int, default=2000)
    ap.add_argument("--sample", type=int, default=1600)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="wangge-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    print(f"building {url} ...", flush=True)
    work = build(url, max(a.clients, 2), a.targets, a.sample)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "WANGGE_SECRET": "bench-" + "x" * 40,
           "WANGGE_VAR": tmp}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "backend.app:create_app",
                               "--factory", "--host", "127.0.0.1", "--port", str(port),
                               "--log-level", "warning"], env=env, cwd=Path(__file__).parent.parent)
    try:
        endpoint = f"http://127.0.0.1:{port}/graphql"
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        n, errors, lat, elapsed = asyncio.run(run(endpoint, work, a.clients, a.seconds))
        print(f"recordInspection, {a.clients} clients: {n} requests in {elapsed:.1f} s, "
              f"{n / elapsed:.0f}/s, median {statistics.median(lat) * 1000:.1f} ms, "
              f"p99 {pct(lat, 0.99):.1f} ms, {errors} errors")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
