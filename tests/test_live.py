"""The poller behind subscriptions (backend/live.py), in process, on the test database."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import jwt
import pytest
from sqlalchemy import Engine, Insert, func, insert, select, text
from starlette.testclient import TestClient

from backend import live
from backend.app import create_app
from backend.config import Settings
from backend.db.engine import make_sessionmaker
from backend.errors import Behind
from backend.events.models import EventTransition
from backend.events.service import CHANGES
from tests.conftest import CLOCK, SECRET, Api
from tests.events.helpers import pick, report

POLL_S = 0.02
SETTLE_S = 0.5  # for a subscription to be in place before the change it must see


def step(event_id: int, **given: int) -> Insert:
    return insert(EventTransition.__table__).values(
        event_id=event_id, action="NOTE", from_status="DISPATCHED", to_status="DISPATCHED",
        at=datetime.now(UTC), **given)


def write_step(engine: Engine, step_id: int, event_id: int, *more: tuple[int, int]) -> None:
    """History rows with chosen ids, as if handed out earlier and committed later; `more`
    (id, event) in the same transaction."""
    with engine.begin() as c:
        for i, e in ((step_id, event_id), *more):
            c.execute(step(e, id=i))
        if c.dialect.name == "postgresql":  # the ids given by hand are not the sequence's
            c.execute(text("SELECT setval(pg_get_serial_sequence('event_transitions', 'id'), "
                           "(SELECT max(id) FROM event_transitions))"))


def newest_step(engine: Engine) -> int:
    with engine.connect() as c:
        return c.scalar(select(func.max(EventTransition.id))) or 0


def new_events(api: Api, n: int) -> list[int]:
    from backend.api.relay import from_global_id

    out = []
    for i in range(n):
        e = report(api, "agent", "0101", 118.3051 + i * 0.001, 36.8205, acknowledgeDuplicate=True)
        out.append(from_global_id(e["event"]["id"])[1])
    return out


async def next_of(items, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    return await asyncio.wait_for(anext(items), timeout)


def test_a_row_committed_after_a_later_one_is_still_delivered(api: Api, engine: Engine) -> None:
    first, second = new_events(api, 2)
    top = newest_step(engine)

    async def go() -> None:
        hub = live.Hub(make_sessionmaker(engine), POLL_S)
        async with hub.subscribe(CHANGES) as items:
            write_step(engine, top + 2, first)  # top + 1 is still "in flight"
            assert (await next_of(items)).id == first
            write_step(engine, top + 1, second)  # committed late: read again as a gap
            assert (await next_of(items)).id == second
            with pytest.raises(TimeoutError):  # and only once
                await next_of(items, 0.3)
        assert not hub._watches  # the last subscriber gone, nothing is polled

    asyncio.run(go())


def test_a_transaction_that_commits_after_a_later_one_is_not_missed(api: Api,
                                                                   engine: Engine) -> None:
    """The real thing on PostgreSQL: two writers, the first to take an id commits last.
    (SQLite cannot get there: a writer holds the database until it commits.)"""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    first, second = new_events(api, 2)

    async def go() -> None:
        hub = live.Hub(make_sessionmaker(engine), POLL_S)
        async with hub.subscribe(CHANGES) as items:
            with engine.connect() as slow:
                slow.execute(step(first))  # takes the next id, not committed yet
                with engine.begin() as quick:
                    quick.execute(step(second))
                assert (await next_of(items)).id == second
                slow.commit()
            assert (await next_of(items)).id == first

    asyncio.run(go())


def test_a_gap_is_given_up_after_a_while(api: Api, engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first, second = new_events(api, 2)
    top = newest_step(engine)
    monkeypatch.setattr(live, "GAP_S", 0.0)

    async def go() -> None:
        hub = live.Hub(make_sessionmaker(engine), POLL_S)
        async with hub.subscribe(CHANGES) as items:
            write_step(engine, top + 2, first)
            assert (await next_of(items)).id == first
            await asyncio.sleep(5 * POLL_S)  # the gap expired: a rolled-back insert, say
            write_step(engine, top + 1, second)
            with pytest.raises(TimeoutError):
                await next_of(items, 0.3)

    asyncio.run(go())


def test_changes_of_one_case_in_one_poll_come_once(api: Api, engine: Engine) -> None:
    (event,) = new_events(api, 1)
    top = newest_step(engine)

    async def go() -> None:
        hub = live.Hub(make_sessionmaker(engine), 0.3)
        async with hub.subscribe(CHANGES) as items:
            write_step(engine, top + 1, event, (top + 2, event))  # seen by the same poll
            assert (await next_of(items)).id == event
            with pytest.raises(TimeoutError):
                await next_of(items, 0.6)

    asyncio.run(go())


def test_a_subscriber_that_falls_behind_is_told(api: Api, engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    events = new_events(api, 4)
    top = newest_step(engine)
    monkeypatch.setattr(live, "QUEUE", 2)

    async def go() -> None:
        hub = live.Hub(make_sessionmaker(engine), POLL_S)
        async with hub.subscribe(CHANGES) as items:
            for n, e in enumerate(events):
                write_step(engine, top + 1 + n, e)
            await asyncio.sleep(10 * POLL_S)  # not reading meanwhile
            with pytest.raises(Behind):
                for _ in range(3):
                    await next_of(items)

    asyncio.run(go())


@pytest.fixture
def live_client(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    s = Settings(database_url=settings.database_url, secret=SECRET, clock=CLOCK,
                 sweep_interval_s=0, live_poll_s=POLL_S)
    with TestClient(create_app(s, engine)) as c:
        yield c


CHANGED = "subscription { eventChanged { id status township { code } } }"


@contextmanager
def subscribed(client: TestClient, token: str, query: str):  # type: ignore[no-untyped-def]
    """A websocket logged in with `token`, subscribed (as operation "1") and settled."""
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        time.sleep(SETTLE_S)
        yield ws


def none_held(pool) -> bool:  # type: ignore[no-untyped-def]
    """No connection checked out at some moment of the next 2 s: the poller takes one for a
    few milliseconds every POLL_S, a session left open would hold one throughout."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if pool.checkedout() == 0:
            return True
        time.sleep(0.001)
    return False


def test_no_connection_is_held_while_a_subscription_waits(live_client: TestClient,
                                                          api: Api, engine: Engine) -> None:
    pool = engine.pool
    token = api.token("dispatcher")
    with subscribed(live_client, token, CHANGED) as ws:
        assert none_held(pool)
        e = report(api, "agent", "0101", 118.3089, 36.8261, acknowledgeDuplicate=True)
        m = ws.receive_json()
        assert m["payload"]["data"]["eventChanged"]["id"] == e["event"]["id"]
        assert none_held(pool)  # the result's session was ended once it was sent


def test_a_subscription_ends_when_its_token_expires(live_client: TestClient, api: Api) -> None:
    me = api.post("{ me { id } }", as_user="agent")["data"]["me"]["id"]
    from backend.api.relay import from_global_id

    now = int(time.time())
    token = jwt.encode({"sub": str(from_global_id(me)[1]), "iat": now, "exp": now + 3}, SECRET,
                       "HS256")
    with subscribed(live_client, token, CHANGED) as ws:
        e = report(api, "agent", "0101", 118.3011, 36.8161, acknowledgeDuplicate=True)
        assert ws.receive_json()["payload"]["data"]["eventChanged"]["id"] == e["event"]["id"]
        time.sleep(max(0.0, now + 3.1 - time.time()))
        report(api, "agent", "0101", 118.3021, 36.8171, acknowledgeDuplicate=True)
        m = ws.receive_json()
        assert m["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", json.dumps(m)
        assert ws.receive_json() == {"id": "1", "type": "complete"}


def test_sessions_an_operation_left_open_end_with_the_socket(live_client: TestClient, api: Api,
                                                             engine: Engine,
                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from backend.api.context import LiveContext

    monkeypatch.setattr(LiveContext, "end_task", lambda self, commit=True: None)  # ends missed
    token = api.token("dispatcher")
    with subscribed(live_client, token, CHANGED) as ws:
        report(api, "agent", "0101", 118.3093, 36.8263, acknowledgeDuplicate=True)
        ws.receive_json()
        assert engine.pool.checkedout() >= 1  # what the missed ends left
    assert none_held(engine.pool)


@pytest.fixture
def impatient(settings: Settings):  # type: ignore[no-untyped-def]
    """An app whose pool gives up after 2 s: a leak of connections fails its operation at
    once instead of stalling the whole event loop on a checkout."""
    from backend.db.engine import make_engine

    e = make_engine(settings.database_url, pool_timeout=2)
    s = Settings(database_url=settings.database_url, secret=SECRET, clock=CLOCK,
                 sweep_interval_s=0, live_poll_s=POLL_S)
    with TestClient(create_app(s, e)) as c:
        yield c, e
    e.dispose()


def _within(seconds: float, work):  # type: ignore[no-untyped-def]
    """work() in a thread; its result, or a failure when it has not answered in time (a
    websocket receive waits for ever)."""
    import threading

    out: list = []
    t = threading.Thread(target=lambda: out.append(work()), daemon=True)
    t.start()
    t.join(seconds)
    assert out, f"no answer in {seconds} s"
    return out[0]


def test_a_query_of_many_loaded_fields_answers_over_a_websocket(impatient, api: Api) -> None:  # type: ignore[no-untyped-def]
    # Each object's loaded fields resolve in tasks of their own: with a session per task, the
    # 63 categories' parents and departments took a connection each, and waited for ever
    # once the pool was empty.
    q = "{ eventCategories { code parent { code } department { code } } }"
    live_client, engine = impatient
    want = api.post(q, as_user="admin")["data"]
    with live_client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init",
                      "payload": {"authorization": f"Bearer {api.token('admin')}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        for k in range(3):
            ws.send_json({"id": str(k), "type": "subscribe", "payload": {"query": q}})
            m = _within(10, ws.receive_json)
            assert m["type"] == "next" and m["payload"] == {"data": want}, json.dumps(m)[:300]
            assert _within(10, ws.receive_json) == {"id": str(k), "type": "complete"}
        assert none_held(engine.pool)


def test_results_with_loaded_fields_hold_no_connection(impatient, api: Api) -> None:  # type: ignore[no-untyped-def]
    many = ("subscription { eventChanged { id township { code } grid { code } category { code }"
            " assignee { username } department { code } } }")
    live_client, engine = impatient
    code = pick(api, self_handleable=False)["code"]  # no agent's task: other tests count those
    with subscribed(live_client, api.token("dispatcher"), many) as ws:
        for i in range(20):  # more results than the pool has connections
            e = report(api, "agent", code, 118.3031 + i * 0.0002, 36.8181,
                       acknowledgeDuplicate=True)
            m = _within(10, ws.receive_json)
            assert m["payload"]["data"]["eventChanged"]["id"] == e["event"]["id"], m
        assert none_held(engine.pool)
