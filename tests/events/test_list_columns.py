"""events: a page reads only the columns of the fields selected on its nodes, and answers
each field as it does from whole rows."""

from graphql import get_named_type, is_leaf_type, is_object_type
from sqlalchemy import event

from backend.api.schema import schema
from backend.events import schema as events_schema
from tests.conftest import Api
from tests.events.helpers import act, pick, report

PAGE = "{ events(first: 40) { edges { node { %s } } } }"


def _selection(field_name: str, field) -> str:  # type: ignore[no-untyped-def]
    """The field, with every leaf of its type below it for an object (or a list of them)."""
    kind = get_named_type(field.type)
    if is_leaf_type(kind):
        return field_name
    assert is_object_type(kind), field_name
    leaves = [n for n, f in kind.fields.items()
              if is_leaf_type(get_named_type(f.type)) and not f.args]
    return f"{field_name} {{ {' '.join(leaves)} }}"


def _event_fields() -> dict[str, str]:
    event_type = schema._schema.get_type("Event")
    return {n: _selection(n, f) for n, f in event_type.fields.items() if not f.args}


def _cases(api: Api) -> None:
    """Cases in several states, located or not, by the agent and the admin."""
    cat = pick(api, self_handleable=True)
    dispatched = report(api, "agent", cat["code"], 118.3716, 36.8116,
                        acknowledgeDuplicate=True)["event"]
    act(api, "agent", dispatched["id"], "ACCEPT")
    report(api, "admin", cat["code"], 118.3716, 36.8116)  # merged into the first
    report(api, "admin", pick(api, self_handleable=False)["code"], addressText="无此地址")


def test_each_field_answers_as_from_whole_rows(api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _cases(api)
    fields = _event_fields()
    assert {"id", "code", "status", "location", "overdue", "allowedActions"} <= set(fields)
    pruned = {(user, n): api.post(PAGE % sel, as_user=user)
              for user in ("admin", "agent") for n, sel in fields.items()}
    monkeypatch.setattr(events_schema, "_READS", {})  # no field known: every column
    monkeypatch.setattr(events_schema, "_READS_BY_GRAPHQL_NAME", {})
    for (user, n), answer in pruned.items():  # errors too (an agent's view of a grid's shape)
        assert answer == api.post(PAGE % fields[n], as_user=user), n
        assert answer["data"]["events"]["edges"], n


def test_a_page_selects_the_columns_its_fields_read(api: Api, engine) -> None:  # type: ignore[no-untyped-def]
    _cases(api)
    seen: list[str] = []

    def capture(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        narrow = api.post(PAGE % "id status", as_user="admin")
        wide = api.post(PAGE % "id status description", as_user="admin")
        unknown = api.post(PAGE % "id serviceCoverage { __typename }", as_user="admin")
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert "errors" not in narrow and "errors" not in wide, (narrow, wide)
    pages = [s for s in seen if "FROM events" in s and "ORDER BY events.id DESC" in s]
    selects = [s.split("FROM events")[0] for s in pages]
    assert "events.status" in selects[0] and "events.description" not in selects[0]
    assert "events.description" in selects[1]
    if "errors" not in unknown:  # a field not in _READS: the whole row
        assert "events.request_hash" in selects[2]


def test_fields_through_fragments_are_read(api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _cases(api)
    q = ("{ events(first: 20) { totalCount edges { cursor node { ...F ... on Event { code "
         "location } n: overdue } } } } fragment F on Event { status allowedActions }")
    pruned = api.post(q, as_user="admin")
    monkeypatch.setattr(events_schema, "_READS", {})
    monkeypatch.setattr(events_schema, "_READS_BY_GRAPHQL_NAME", {})
    assert "errors" not in pruned and pruned == api.post(q, as_user="admin")
