"""`wangge serve`: uvicorn workers, each listening on a socket of its own (SO_REUSEPORT).

uvicorn's workers share one listening socket, and the first to wake accepts every connection
waiting. Eight clients connecting at once all landed on one of two workers in 24 bursts of
30 (measured), and the other worker idled: a load client's 8 keep-alive connections did 247
reports/s spread 8 and 0, 650/s spread 3 and 5. With a socket each, the kernel spreads the
connections over the workers as they arrive (in 30 bursts: 4/4, 5/3 or 6/2, and 7/1 twice).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from typing import Any

import uvicorn

APP = "backend.app:create_app"
log = logging.getLogger("wangge.serve")


def serve(host: str, port: int, workers: int) -> None:
    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers,
                    log_level="warning")
        return
    _supervise(host, port, workers)


def listening_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    return sock


class _Server(uvicorn.Server):
    """Says when it serves, so that the supervisor tells a failed start from a later death."""

    def __init__(self, config: uvicorn.Config, ready: Any) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.ready.set()


def _worker(host: str, port: int, ready: Any) -> None:
    sock = listening_socket(host, port)
    _Server(uvicorn.Config(APP, factory=True, log_level="warning"), ready).run(sockets=[sock])


def _supervise(host: str, port: int, workers: int) -> None:
    """Start the workers, replace one that dies, stop them all on SIGINT or SIGTERM (each
    finishes its requests: uvicorn's graceful shutdown). A worker that dies while starting
    (the port taken, the database unreachable) stops the whole server with its error."""
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)

    def start() -> tuple[multiprocessing.process.BaseProcess, Any]:
        ready = context.Event()
        process = context.Process(target=_worker, args=(host, port, ready))
        process.start()
        return process, ready

    running = [start() for _ in range(workers)]
    failed = None
    while not stopping and failed is None:
        time.sleep(0.2)
        for i, (process, ready) in enumerate(running):
            if process.is_alive() or stopping:
                continue
            if not ready.is_set():
                failed = process.exitcode
                break
            log.warning("worker %s died (exit code %s); starting another",
                        process.pid, process.exitcode)
            running[i] = start()
    for process, _ in running:
        process.terminate()
    for process, _ in running:
        process.join(30)
        if process.is_alive():
            process.kill()
    if failed is not None:
        raise SystemExit(f"a worker failed to start (exit code {failed}); see above")
