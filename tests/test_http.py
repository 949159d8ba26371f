"""The real server: `wangge serve` under uvicorn on a loopback port, a real HTTP client."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from fixtures import demo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_serving(base: str, log: Callable[[], str], seconds: float = 30) -> None:
    """Until `base`/healthz answers; else the test fails with the server's output."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).text == "ok":
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("server did not start: " + log())


@pytest.fixture(scope="module")
def server(demo_url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": demo_url, "WANGGE_SECRET": "s" * 40}
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_serving(base, lambda: proc.stdout.read1().decode())  # type: ignore[union-attr]
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def test_login_then_grid_at_over_http(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        r = http.post("/graphql", json={"query": "mutation { login(username: \"admin\", "
                                                 f"password: \"{demo.PASSWORD}\") {{ token }} }}"})
        token = r.json()["data"]["login"]["token"]
        q = {"query": "query($p: PointInput!) { gridAt(point: $p) { code village { name } } }",
             "variables": {"p": {"lon": 118.30, "lat": 36.84}}}
        r = http.post("/graphql", json=q, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        body = r.json()
        assert "errors" not in body, body
        grid = body["data"]["gridAt"]
        assert grid is None or len(grid["code"]) == 15


def test_graphiql_over_http(server: str) -> None:
    r = httpx.get(server + "/graphql", headers={"accept": "text/html"}, timeout=10)
    assert r.status_code == 200 and "graphiql" in r.text.lower()


def test_get_queries_work(server: str) -> None:
    r = httpx.get(server + "/graphql", params={"query": "{ me { id } }"}, timeout=10)
    assert r.json() == {"data": {"me": None}}
