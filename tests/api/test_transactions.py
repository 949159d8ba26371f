"""A request's transaction: a query ends with COMMIT (psycopg keeps its prepared statements
only past a COMMIT); a refused mutation writes nothing and commits nothing."""

from sqlalchemy import Engine, event

from tests.conftest import Api, codes

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
    seen: set[bool] = set()

    def note(conn, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.add(conn.connection.dbapi_connection.autocommit)

    event.listen(engine, "before_cursor_execute", note)
    try:
        api.post(query, as_user="admin")
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
