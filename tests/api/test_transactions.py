"""A request's transaction: a query ends with COMMIT (psycopg keeps its prepared statements
only past a COMMIT); a refused mutation writes nothing and commits nothing."""

import json
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, event

from tests.conftest import Api, codes
from tests.events.helpers import pick, report_input
from tests.events.test_queries import PNG

EVENTS = "{ events(first: 5) { edges { node { id status } } } }"
BAD_REPORT = """mutation { reportEvent(input: {clientId: "7d3f8a52-1b9e-4c1d-9a57-0c2f4e6b8d10",
  categoryCode: "9999", description: "x", location: {lon: 118.37, lat: 36.81}}) {
  event { id } errors { code } } }"""


def _ends(engine: Engine, api: Api, query: str) -> tuple[list[str], dict]:
    api.token("admin")  # logged in before: the login's own commit is not counted
    seen: list[str] = []
    listeners = {"commit": lambda _c: seen.append("commit"),
                 "rollback": lambda _c: seen.append("rollback")}
    for name, fn in listeners.items():
        event.listen(engine, name, fn)
    try:
        result = api.post(query, as_user="admin")
    finally:
        for name, fn in listeners.items():
            event.remove(engine, name, fn)
    return seen, result


def test_a_query_commits_and_a_refused_mutation_does_not(api: Api, engine: Engine) -> None:
    ends, r = _ends(engine, api, EVENTS)
    assert "errors" not in r and ends == ["commit"]
    ends, r = _ends(engine, api, BAD_REPORT)
    assert "NOT_FOUND" in codes(r) + [e["code"] for e in r["data"]["reportEvent"]["errors"]], r
    assert "commit" not in ends, ends


def _autocommit_seen(engine: Engine, api: Api, query: str) -> set[bool]:
    api.token("admin")
    return _autocommit_during(engine, lambda: api.post(query, as_user="admin"))


def _autocommit_during(engine: Engine, request: Callable[[], object]) -> set[bool]:
    """Whether the statements the request sends run in autocommit."""
    seen: set[bool] = set()

    def note(conn, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.add(conn.connection.dbapi_connection.autocommit)

    event.listen(engine, "before_cursor_execute", note)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_on_postgresql_a_query_runs_without_begin_and_a_mutation_in_a_transaction(
        api: Api, engine: Engine) -> None:
    """No BEGIN and COMMIT round trips for a read; writes stay atomic. (SQLite's
    transactions cost no round trip and are kept for reads too.)"""
    if engine.dialect.name != "postgresql":
        return
    assert _autocommit_seen(engine, api, EVENTS) == {True}
    login = 'mutation { login(username: "admin", password: "not it") { token } }'
    assert _autocommit_seen(engine, api, login) == {False}


GOOD_REPORT = """mutation { reportEvent(input: {clientId: "5b0c2f7e-3d4a-4e8b-9c61-2a7f0d9e4b13",
  categoryCode: "0101", description: "x", location: {lon: 118.37, lat: 36.81},
  acknowledgeDuplicate: true}) { event { id } errors { code } } }"""


def test_on_postgresql_a_report_is_one_statement_without_begin_unless_it_has_photos(
        api: Api, engine: Engine) -> None:
    """Its case, steps and task are one statement (backend/db/direct.py insert_linked),
    atomic by itself; photos are rows of their own, in a transaction with the case."""
    if engine.dialect.name != "postgresql":
        return
    assert _autocommit_seen(engine, api, GOOD_REPORT) == {True}
    cat = pick(api, self_handleable=False)
    i = report_input(cat["code"], 118.3713, 36.8113, acknowledgeDuplicate=True, media=[None])
    operations = json.dumps({"query": "mutation($i: ReportEventInput!) { reportEvent(input: $i)"
                                      " { event { media { size } } errors { code } } }",
                             "variables": {"i": i}})
    token = api.token("agent")
    answers = []
    seen = _autocommit_during(engine, lambda: answers.append(api.client.post(
        "/graphql", data={"operations": operations, "map": '{"0": ["variables.i.media.0"]}'},
        files={"0": ("a.png", PNG, "image/png")},
        headers={"Authorization": f"Bearer {token}"}).json()))
    assert answers[0]["data"]["reportEvent"]["event"]["media"] == [{"size": len(PNG)}]
    assert seen == {False}


def test_work_said_to_be_one_statement_may_not_leave_orm_changes(engine: Engine) -> None:
    """They would be flushed outside a transaction on PostgreSQL: refused, nothing written."""
    from types import SimpleNamespace

    import pytest
    from sqlalchemy import func, select

    from backend.api.mutations import mutate
    from backend.db.engine import make_sessionmaker
    from backend.tasks.models import Task
    from backend.tasks.service import open_task

    sessions = make_sessionmaker(engine)
    with sessions() as session:
        before = session.scalar(select(func.count(Task.id)))
        info = SimpleNamespace(context=SimpleNamespace(session=session))
        with pytest.raises(RuntimeError, match="one statement"):
            mutate(info, lambda: open_task(session, "EVENT", 1, 1, None,  # type: ignore[arg-type]
                                           datetime.now(UTC), None), one_statement=True)
    with sessions() as session:
        assert session.scalar(select(func.count(Task.id))) == before


def test_the_session_ends_when_an_error_escapes_the_operation(api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A syntax error leaves the parse step as an exception: the request's session is still
    closed (without COMMIT), and the answer is BAD_INPUT."""
    from backend.api.context import Context

    api.token("admin")  # logged in before: the login's own close is not counted
    closed: list[bool] = []
    close = Context.close

    def spy(self, commit: bool = False) -> None:  # type: ignore[no-untyped-def]
        closed.append(commit)
        close(self, commit)

    monkeypatch.setattr(Context, "close", spy)
    assert codes(api.post("{ events(first: 1) { ")) == ["BAD_INPUT"]
    assert closed == [False]
    api.post(EVENTS, as_user="admin")
    assert closed == [False, True]
