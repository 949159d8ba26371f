"""Subscriptions over a real websocket (graphql-transport-ws) to `wangge serve` on a loopback
port, with the changes made through the real HTTP endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest
import websockets
from websockets.asyncio.client import connect

from fixtures import small
from tests.test_http import free_port, wait_serving

PROTOCOL = "graphql-transport-ws"
POLL_S = 0.1
WAIT_S = 10.0  # for a change that must come; one that must not is given 1.5 s (15 polls)
SETTLE_S = 1.0  # for a subscription to be in place (the protocol does not say when it is)
TOWNSHIP_A, TOWNSHIP_B = "370305001", "370305101"  # fixtures.small


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("ws") / "server.log"  # a file: a pipe nobody reads fills up
    env = {**os.environ, "DATABASE_URL": database_url, "WANGGE_SECRET": "s" * 40,
           "WANGGE_LIVE_POLL_S": str(POLL_S)}
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
                            env=env, stdout=(out := log.open("w")), stderr=subprocess.STDOUT)
    base = f"127.0.0.1:{port}"
    try:
        wait_serving(f"http://{base}", log.read_text)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        out.close()


class Http:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=f"http://{base}", timeout=10)
        self.tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self.tokens:
            r = self.post("mutation($u: String!, $p: String!) { login(username: $u, password: $p)"
                          " { token } }", {"u": user, "p": small.PASSWORD})
            self.tokens[user] = r["login"]["token"]
        return self.tokens[user]

    def post(self, query: str, variables: dict, user: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        body = self.http.post("/graphql", json={"query": query, "variables": variables},
                              headers=headers).json()
        assert "errors" not in body, body
        return body["data"]

    def report(self, user: str, lon: float, lat: float, category: str = "0101") -> dict:
        i = {"clientId": str(uuid.uuid4()), "categoryCode": category, "description": "订阅测试",
             "location": {"lon": lon, "lat": lat}, "acknowledgeDuplicate": True}
        r = self.post("mutation($i: ReportEventInput!) { reportEvent(input: $i) { event { id "
                      "status assignee { username } } errors { code } } }", {"i": i}, user)
        assert r["reportEvent"]["errors"] == [], r
        return r["reportEvent"]["event"]

    def township_id(self, code: str) -> str:
        r = self.post("{ townships { edges { node { id code } } } }", {}, "admin")
        return next(e["node"]["id"] for e in r["townships"]["edges"]
                    if e["node"]["code"] == code)


@pytest.fixture(scope="module")
def http(server: str) -> Iterator[Http]:
    h = Http(server)
    yield h
    h.http.close()


class Socket:
    """One graphql-transport-ws connection."""

    def __init__(self, ws) -> None:  # type: ignore[no-untyped-def]
        self.ws = ws

    async def subscribe(self, op_id: str, query: str, variables: dict | None = None) -> None:
        await self.ws.send(json.dumps({"id": op_id, "type": "subscribe",
                                       "payload": {"query": query,
                                                   "variables": variables or {}}}))

    async def message(self, timeout: float = WAIT_S) -> dict:
        frame = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(frame, str), "graphql-transport-ws speaks in text frames"
        return json.loads(frame)

    async def refused(self, op_id: str) -> str:
        """The code of an operation's error: an `error` message for a document that does not
        validate, else a `next` with the resolver's error, then `complete`."""
        m = await self.message()
        assert m["id"] == op_id and m["type"] in ("error", "next"), m
        errors = m["payload"] if m["type"] == "error" else m["payload"]["errors"]
        if m["type"] == "next":
            assert m["payload"]["data"] is None
            assert await self.message() == {"id": op_id, "type": "complete"}
        return errors[0]["extensions"]["code"]

    async def nothing_for(self, seconds: float = 1.5) -> None:
        with pytest.raises(TimeoutError):
            m = await self.message(seconds)
            raise AssertionError(f"unexpected message {m}")


async def opened(base: str, token: str | None) -> Socket:
    ws = await connect(f"ws://{base}/graphql", subprotocols=[PROTOCOL])
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    s = Socket(ws)
    assert (await s.message())["type"] == "connection_ack"
    return s


TASKS = "subscription { taskAssigned { id kind status subject { ... on Event { id } } } }"
CHANGES = ("subscription($t: ID) { eventChanged(townshipId: $t) { id status township { code } "
           "assignee { username } } }")


def run(coro) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(asyncio.wait_for(coro, 60))


def test_an_agent_hears_of_the_task_a_report_gives_them(server: str, http: Http) -> None:
    async def go() -> None:
        mine = await opened(server, http.token("agent"))
        other = await opened(server, http.token("agent2"))
        await mine.subscribe("1", TASKS)
        await other.subscribe("1", TASKS)
        await asyncio.sleep(SETTLE_S)  # subscribed: from now on
        event = await asyncio.to_thread(http.report, "dispatcher", 118.305, 36.82)
        assert event["assignee"]["username"] == "agent"
        m = await mine.message()
        assert m["type"] == "next" and m["id"] == "1", m
        assert "errors" not in m["payload"], m
        task = m["payload"]["data"]["taskAssigned"]
        assert task["kind"] == "EVENT" and task["status"] == "OPEN"
        assert task["subject"]["id"] == event["id"]
        await other.nothing_for()
        await mine.ws.close()
        await other.ws.close()

    run(go())


def _task_of(http: Http, user: str, event_id: str) -> str:
    """The user's open task for the event, on whichever page of their inbox it is (the tasks
    the earlier tests gave them come first, due sooner)."""
    after = None
    while True:
        page = http.post("query($after: String) { myTasks(after: $after) { edges { node { id "
                         "subject { ... on Event { id } } } } pageInfo { hasNextPage endCursor "
                         "} } }", {"after": after}, user)["myTasks"]
        for e in page["edges"]:
            if e["node"]["subject"] and e["node"]["subject"]["id"] == event_id:
                return e["node"]["id"]
        assert page["pageInfo"]["hasNextPage"], f"{user} has no task for {event_id}"
        after = page["pageInfo"]["endCursor"]


def test_a_reassigned_task_goes_to_its_new_assignee(server: str, http: Http) -> None:
    async def go() -> None:
        event = await asyncio.to_thread(http.report, "dispatcher", 118.306, 36.821)
        task_id = await asyncio.to_thread(_task_of, http, "agent", event["id"])
        agent2 = (await asyncio.to_thread(http.post, "{ me { id } }", {}, "agent2"))["me"]["id"]
        s = await opened(server, http.token("agent2"))
        await s.subscribe("t", TASKS)
        await asyncio.sleep(SETTLE_S)
        r = await asyncio.to_thread(
            http.post, "mutation($id: ID!, $a: ID!) { assignTask(id: $id, assigneeId: $a, "
            "reason: \"换人\") { errors { code } } }", {"id": task_id, "a": agent2}, "dispatcher")
        assert r["assignTask"]["errors"] == []
        task = (await s.message())["payload"]["data"]["taskAssigned"]
        assert task["subject"]["id"] == event["id"] and task["id"] != task_id
        await s.ws.close()

    run(go())


def test_a_township_centre_follows_its_cases(server: str, http: Http) -> None:
    async def go() -> None:
        a = await asyncio.to_thread(http.township_id, TOWNSHIP_A)
        centre = await opened(server, http.token("dispatcher"))
        await centre.subscribe("c", CHANGES, {"t": a})
        other = await opened(server, http.token("dispatcher_b"))
        await other.subscribe("c", CHANGES)
        await asyncio.sleep(SETTLE_S)
        event = await asyncio.to_thread(http.report, "agent", 118.307, 36.822)
        seen = (await centre.message())["payload"]["data"]["eventChanged"]
        assert seen["id"] == event["id"] and seen["status"] == "DISPATCHED"
        assert seen["township"]["code"] == TOWNSHIP_A
        await other.nothing_for()  # not dispatcher_b's township

        r = await asyncio.to_thread(
            http.post, "mutation($id: ID!) { transitionEvent(id: $id, action: ACCEPT) "
            "{ errors { code } } }", {"id": event["id"]}, "agent")
        assert r["transitionEvent"]["errors"] == []
        seen = (await centre.message())["payload"]["data"]["eventChanged"]
        assert (seen["id"], seen["status"]) == (event["id"], "ACCEPTED")

        elsewhere = await asyncio.to_thread(http.report, "admin", 118.35, 36.82)  # township B
        seen = (await other.message())["payload"]["data"]["eventChanged"]
        assert seen["id"] == elsewhere["id"] and seen["township"]["code"] == TOWNSHIP_B
        await centre.nothing_for()  # filtered to township A
        await centre.ws.close()
        await other.ws.close()

    run(go())


def test_subscriptions_refuse_bad_callers_and_arguments(server: str, http: Http) -> None:
    async def go() -> None:
        public = await opened(server, None)
        await public.subscribe("p", TASKS)
        assert await public.refused("p") == "UNAUTHENTICATED"
        await public.subscribe("q", CHANGES)
        assert await public.refused("q") == "UNAUTHENTICATED"

        centre = await opened(server, http.token("dispatcher"))
        b = await asyncio.to_thread(http.township_id, TOWNSHIP_B)
        cases = [({"t": b}, "FORBIDDEN"), ({"t": "nonsense"}, "BAD_INPUT"),
                 ({"t": "VG93bnNoaXA6OTk5OTk="}, "NOT_FOUND")]  # Township:99999
        for n, (variables, code) in enumerate(cases):
            await centre.subscribe(str(n), CHANGES, variables)
            assert await centre.refused(str(n)) == code, variables
        await centre.subscribe("bad", "subscription { eventChanged { nope } }")
        assert await centre.refused("bad") == "BAD_INPUT"
        await public.ws.close()
        await centre.ws.close()

    run(go())


def test_a_bad_token_closes_the_socket(server: str) -> None:
    async def go() -> None:
        ws = await connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL])
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": "Bearer not-a-token"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT_S)
        assert closed.value.rcvd.code == 4403

    run(go())


def test_the_legacy_protocol_is_not_spoken(server: str) -> None:
    async def go() -> None:
        ws = await connect(f"ws://{server}/graphql", subprotocols=["graphql-ws"])
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), WAIT_S)
        assert closed.value.rcvd.code == 4406

    run(go())


def test_a_subscription_over_http_is_told_where_to_go(server: str) -> None:
    for r in (httpx.post(f"http://{server}/graphql", json={"query": TASKS}, timeout=10),
              httpx.get(f"http://{server}/graphql", params={"query": TASKS}, timeout=10)):
        body = r.json()
        assert body["data"] is None, body
        assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT"
        assert "websocket" in body["errors"][0]["message"]


def test_queries_and_mutations_also_run_over_the_websocket(server: str, http: Http) -> None:
    async def go() -> None:
        s = await opened(server, http.token("agent"))
        await s.subscribe("q", "{ me { username } }")
        assert (await s.message())["payload"] == {"data": {"me": {"username": "agent"}}}
        assert await s.message() == {"id": "q", "type": "complete"}
        await s.subscribe("m", "mutation { pingLocation(position: {lon: 118.305, lat: 36.8225}) }")
        assert (await s.message())["payload"] == {"data": {"pingLocation": True}}
        assert await s.message() == {"id": "m", "type": "complete"}
        await s.subscribe("bad", "mutation { pingLocation(position: {lon: 200, lat: 36.8}) }")
        assert await s.refused("bad") == "BAD_INPUT"
        await s.ws.close()

    run(go())


def test_a_websocket_runs_at_most_twenty_operations_at_once(server: str, http: Http) -> None:
    from backend.app import MAX_SUBSCRIPTIONS

    async def go() -> None:
        s = await opened(server, http.token("agent"))
        for n in range(MAX_SUBSCRIPTIONS):
            await s.subscribe(f"s{n}", TASKS)
        await s.subscribe("over", "{ me { username } }")
        m = await s.message()
        assert (m["id"], m["type"]) == ("over", "error"), m
        assert m["payload"][0]["extensions"]["code"] == "BAD_INPUT"
        assert str(MAX_SUBSCRIPTIONS) in m["payload"][0]["message"]
        await s.ws.send(json.dumps({"id": "s0", "type": "complete"}))  # one place frees up
        await s.subscribe("again", "{ me { username } }")
        assert (await s.message())["payload"] == {"data": {"me": {"username": "agent"}}}
        assert await s.message() == {"id": "again", "type": "complete"}
        await s.ws.close()

    run(go())


def test_a_message_that_is_not_the_protocol_closes_the_socket(server: str, http: Http) -> None:
    async def go() -> None:
        for frame in ('"x"', "[" * 100_000 + "]" * 100_000, "{not json", '{"type": 7}'):
            s = await opened(server, http.token("agent"))
            await s.ws.send(frame)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(s.ws.recv(), WAIT_S)
            assert closed.value.rcvd.code == 4400, frame[:20]

    run(go())
