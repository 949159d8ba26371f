"""`wangge serve --workers 2` as a process: connections spread over the workers, a dead worker
replaced, a clean stop, a failed start said plainly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_http import free_port, wait_serving

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc")


def _start(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "WANGGE_SECRET": "s" * 40}
    return subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port),
                             "--workers", "2"], env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


def _stat(pid: int) -> list[str]:
    """A live process's /proc stat fields after its name (state, ppid, ...); [] when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _children(pid: int) -> set[int]:
    return {int(e.name) for e in Path("/proc").iterdir()
            if e.name.isdigit() and _stat(int(e.name))[1:2] == [str(pid)]}


def _workers(pid: int) -> set[int]:
    """The server's workers: its children but the resource tracker (which holds no port)."""
    found = set()
    for child in _children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.add(child)
    return found


def _established_per_process(port: int, pids: set[int]) -> Counter:
    """How many established connections to `port` each process holds (from /proc)."""
    inodes = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
              if int(line.split()[1].split(":")[1], 16) == port and line.split()[3] == "01"}
    counts: Counter = Counter()
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                counts[pid] += 1
    return counts


@pytest.fixture(scope="module")
def two_workers(database_url: str, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[subprocess.Popen, int]]:
    port, log = free_port(), tmp_path_factory.mktemp("serve") / "serve.log"
    proc = _start(database_url, port, log)
    try:
        wait_serving(f"http://127.0.0.1:{port}", log.read_text, 60)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


async def _burst(port: int, n: int) -> list[asyncio.StreamWriter]:
    """n keep-alive connections opened at once, each answered once (so it has been accepted)."""
    async def one() -> asyncio.StreamWriter:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: wangge\r\n\r\n")
        await writer.drain()
        assert b"200 OK" in await reader.read(1000)
        return writer
    return await asyncio.gather(*(one() for _ in range(n)))


def test_connections_opened_at_once_spread_over_the_workers(two_workers) -> None:  # type: ignore[no-untyped-def]
    """With one shared listening socket, 8 connections opened at once all went to one worker
    in 24 bursts of 30; with a socket per worker, in none (binomially, 2 in 256)."""
    proc, port = two_workers
    lopsided = 0

    async def bursts() -> None:
        nonlocal lopsided
        for _ in range(10):
            writers = await _burst(port, 8)
            counts = _established_per_process(port, _children(proc.pid))
            assert sum(counts.values()) == 8, counts
            lopsided += max(counts.values()) == 8
            for w in writers:
                w.close()
            await asyncio.sleep(0.1)

    asyncio.run(bursts())
    assert lopsided <= 2


def test_a_dead_worker_is_replaced(two_workers) -> None:  # type: ignore[no-untyped-def]
    proc, port = two_workers
    before = _workers(proc.pid)
    assert len(before) == 2
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = _workers(proc.pid)
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"no worker replaced {victim}: {_workers(proc.pid)}")
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).text == "ok"


def test_sigterm_stops_every_worker(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    proc = _start(database_url, port, tmp_path / "serve.log")
    try:
        wait_serving(f"http://127.0.0.1:{port}", (tmp_path / "serve.log").read_text, 60)
    except BaseException:
        proc.kill()
        raise
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    time.sleep(0.5)
    assert not [p for p in workers if _stat(p)[:1] not in ([], ["Z"])]  # gone, or a zombie


def test_a_port_in_use_fails_the_start_plainly(database_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _start(database_url, port, tmp_path / "serve.log")
        assert proc.wait(60) == 1
    log = (tmp_path / "serve.log").read_text()
    assert "Address already in use" in log and "a worker failed to start" in log
