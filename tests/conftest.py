"""Test fixtures: the whole suite runs against the database named by DATABASE_URL
(`make test` runs it once on SpatiaLite and once on PostGIS); without it, a temporary
SpatiaLite file. Each run gets a fresh database, migrated and loaded with fixtures/small.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from backend.app import create_app
from backend.auth import service as auth_service
from backend.config import Settings
from backend.db.engine import engine_url, make_engine, make_sessionmaker
from backend.db.migrate import upgrade
from backend.load import load_document
from fixtures import small

SECRET = "test-secret-" + "x" * 32
# One process: a write to users, roles or grid agents clears the callers' cache at commit, so
# the TTL (for other workers) would only make the statement counts of N+1 tests flaky.
auth_service.CALLER_TTL_S = 3600.0
# Monday 23 November 2026, 09:00 in Linzi: a working day, in office hours
START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Clock:
    """The tests' clock: the app reads it through Settings.clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


CLOCK = Clock(START)


def _fresh_database(tmp: Path) -> tuple[str, callable]:
    url = os.environ.get("DATABASE_URL")
    if not url or url.startswith("sqlite"):
        return f"sqlite:///{tmp / 'wangge-test.db'}", lambda: None
    name = f"wangge_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(engine_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    with create_engine(engine_url(test_url), isolation_level="AUTOCOMMIT").connect() as c:
        c.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return test_url, drop


def small_database(tmp: Path) -> tuple[str, callable]:
    """A fresh database, migrated and loaded with fixtures/small.py; its URL and its drop."""
    url, drop = _fresh_database(tmp)
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        load_document(s, small.build())
        s.commit()
    engine.dispose()
    return url, drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, drop = small_database(tmp_path_factory.mktemp("db"))
    yield url
    drop()


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second database with the Linzi demo at scale 0.05 (24 villages, ~100 grids, a year
    of 1,000 cases)."""
    from fixtures import demo

    url, drop = _fresh_database(tmp_path_factory.mktemp("demo"))
    engine = make_engine(url)
    upgrade(engine)
    with make_sessionmaker(engine)() as s:
        demo.load(s, START, scale=0.05)
        s.commit()
    engine.dispose()
    yield url
    drop()


@pytest.fixture(scope="session")
def demo_engine(demo_url: str) -> Iterator[Engine]:
    e = make_engine(demo_url)
    yield e
    e.dispose()


@pytest.fixture(scope="session")
def demo_api(demo_url: str, demo_engine: Engine) -> Iterator[Api]:
    from fixtures import demo

    with TestClient(create_app(Settings(database_url=demo_url, secret=SECRET, clock=CLOCK,
                                        sweep_interval_s=0), demo_engine)) as c:
        yield Api(c, demo.PASSWORD)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(database_url=database_url, secret=SECRET, clock=CLOCK,
                    media_dir=tmp_path_factory.mktemp("media"), sweep_interval_s=0)


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The app's clock, put back where it was after the test."""
    before = CLOCK.now
    yield CLOCK
    CLOCK.now = before


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    e = make_engine(settings.database_url)
    yield e
    e.dispose()


@pytest.fixture
def session(engine: Engine):  # type: ignore[no-untyped-def]
    with make_sessionmaker(engine)() as s:
        yield s
        s.rollback()


@pytest.fixture(scope="session")
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine)) as c:
        yield c


class Api:
    """Posts GraphQL to the real endpoint, as a given user."""

    def __init__(self, client: TestClient, password: str = small.PASSWORD) -> None:
        self.client = client
        self.password = password
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            r = self.post(LOGIN, {"u": username, "p": self.password})
            self._tokens[username] = r["data"]["login"]["token"]
        return self._tokens[username]

    def post(self, query: str, variables: dict | None = None, as_user: str | None = None,
             token: str | None = None) -> dict:
        headers = {}
        if as_user:
            token = self.token(as_user)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        r = self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                             headers=headers)
        assert r.status_code in (200, 400), r.text
        return r.json()


LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) " \
        "{ token expiresAt user { username roles } errors { field code message } } }"


@pytest.fixture(scope="session")
def api(client: TestClient) -> Api:
    return Api(client)


def codes(result: dict) -> list[str]:
    """The extensions.code of each top-level error."""
    return [e["extensions"]["code"] for e in result.get("errors") or []]


class StatementCounter:
    """Counts the SQL statements an engine sends."""

    def __init__(self, engine: Engine) -> None:
        self.n = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: object) -> None:
        self.n += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def count_statements(demo_engine: Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter(demo_engine)
    yield counter
    counter.close()
