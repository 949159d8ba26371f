"""Subscriptions: how long a change takes to reach its subscribers, and what waiting costs.

    DATABASE_URL=... .venv/bin/python bench/bench_live.py [--subscribers 1,100] [--poll 1.0,0.1]

For each poll interval, starts `wangge serve` (one worker) on a loopback port, opens the
subscribers (eventChanged as the admin, one websocket each), then reports events over HTTP
at about 10 a second for 10 s and times each from its HTTP answer to its arrival at every
subscriber. Also the server's CPU while the subscribers wait with nothing changing (the
polling). Prints medians and p99; bounded in time. Run it on a database of the demo (or
bench/gen_events.py's million).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
CHANGES = "subscription { eventChanged { id status } }"
REPORT = """mutation($i: ReportEventInput!) { reportEvent(input: $i) { event { id } errors { code } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def subscriber(url: str, token: str, arrived: dict[str, list[float]],
                     ready: asyncio.Event, count: list[int]) -> None:
    async with connect(url, subprotocols=["graphql-transport-ws"], max_queue=None) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {token}"}}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": CHANGES}}))
        count[0] += 1
        if count[0] == count[1]:
            ready.set()
        async for frame in ws:
            m = json.loads(frame)
            if m.get("type") == "next":
                arrived.setdefault(m["payload"]["data"]["eventChanged"]["id"], []).append(
                    time.perf_counter())


async def one_run(base: str, pid: int, subscribers: int, poll: float) -> None:
    async with httpx.AsyncClient(base_url=f"http://{base}", timeout=30) as http:
        r = await http.post("/graphql", json={"query": 'mutation { login(username: "admin", '
                                                        'password: "wangge-demo") { token } }'})
        token = r.json()["data"]["login"]["token"]
        arrived: dict[str, list[float]] = {}
        ready = asyncio.Event()
        subs = [asyncio.create_task(subscriber(f"ws://{base}/graphql", token, arrived, ready,
                                               count)) for count in [[0, subscribers]]
                for _ in range(subscribers)]
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(2 * poll + 0.5)
        c0, t0 = cpu_s(pid), time.monotonic()
        await asyncio.sleep(5)  # waiting, nothing changes
        idle = (cpu_s(pid) - c0) / (time.monotonic() - t0)
        rng = random.Random(1)
        answered: dict[str, float] = {}
        end = time.monotonic() + 10
        while time.monotonic() < end:
            i = {"clientId": str(uuid.uuid4()), "categoryCode": "0101", "description": "bench",
                 "acknowledgeDuplicate": True,
                 "location": {"lon": 118.25 + rng.random() * 0.15,
                              "lat": 36.78 + rng.random() * 0.10}}
            r = await http.post("/graphql", json={"query": REPORT, "variables": {"i": i}},
                                headers={"Authorization": f"Bearer {token}"})
            answered[r.json()["data"]["reportEvent"]["event"]["id"]] = time.perf_counter()
            await asyncio.sleep(0.1)
        await asyncio.sleep(2 * poll + 1)
        for t in subs:
            t.cancel()
        delays = [(a - answered[e]) * 1000 for e, times in arrived.items() if e in answered
                  for a in times]
        expected = len(answered) * subscribers
        delays.sort()
        p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))] if delays else float("nan")
        print(f"poll {poll:4.1f} s, {subscribers:3d} subscribers: {len(answered)} reports, "
              f"{len(delays)}/{expected} arrivals, delay median "
              f"{statistics.median(delays) if delays else float('nan'):.0f} ms, p99 {p99:.0f} ms;"
              f" server CPU while waiting {100 * idle:.1f}% of a core")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", default="1,100")
    ap.add_argument("--poll", default="1.0,0.1")
    a = ap.parse_args()
    for poll in (float(p) for p in a.poll.split(",")):
        port = free_port()
        env = {**os.environ, "WANGGE_LIVE_POLL_S": str(poll)}
        server = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port",
                                   str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        base = f"127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    if httpx.get(f"http://{base}/healthz", timeout=1).text == "ok":
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            for n in (int(s) for s in a.subscribers.split(",")):
                asyncio.run(asyncio.wait_for(one_run(base, server.pid, n, poll), 120))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
