"""The argument converter made once per field gives strawberry's values and errors."""

from __future__ import annotations

import enum
from datetime import datetime

import pytest
import strawberry
from strawberry import relay
from strawberry.schema import schema_converter
from strawberry.types.arguments import convert_arguments as strawberrys

from backend.api import arguments
from backend.api import schema as _installs  # noqa: F401


@strawberry.enum
class Kind(enum.Enum):
    A = "a"
    B = "b"


@strawberry.input
class Inner:
    x: float
    tags: list[str] | None = None
    kind: Kind = Kind.A
    note: str | None


@strawberry.input
class Outer:
    name: str
    inner: Inner | None = None
    inners: list[Inner | None] | None = None
    when: datetime | None = None
    from_: int | None = strawberry.field(default=None, name="from")
    ids: list[relay.GlobalID] | None = None
    maybe: strawberry.Maybe[int | None]


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, o: Outer | None = None, n: int = 3, ks: list[Kind] | None = None,
             g: relay.GlobalID | None = None, xs: list[int] = [1, 2]) -> str:  # noqa: B006
        xs.append(0)  # a converted default must be a copy
        return repr((o, n, ks, g, xs))


QUERIES = [
    "{ echo }",
    '{ echo(n: 5, ks: [A, B], xs: [7]) }',
    '{ echo(o: {name: "a"}) }',
    '{ echo(o: {name: "a", maybe: null, from: 4}) }',
    '{ echo(o: {name: "a", maybe: 2, inner: {x: 1.5, tags: ["t"], kind: B, note: "n"}}) }',
    '{ echo(o: {name: "a", inners: [{x: 1}, null, {x: 2, note: null}]}) }',
    '{ echo(o: {name: "a", when: "2026-12-01T08:00:00+08:00"}) }',
    '{ echo(o: {name: "a", ids: ["RXZlbnQ6MQ=="]}, g: "RXZlbnQ6Mg==") }',
    '{ echo(g: "not a global id") }',
    '{ echo(o: {name: "a", ids: ["bm8="]}) }',
]


@pytest.mark.parametrize("query", QUERIES)
def test_values_and_errors_are_strawberrys(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = strawberry.Schema(query=Query)
    ours = [schema.execute_sync(query) for _ in range(2)]  # the second uses the made one
    monkeypatch.setattr(schema_converter, "convert_arguments", strawberrys)
    theirs = [schema.execute_sync(query) for _ in range(2)]
    for a, b in zip(ours, theirs, strict=True):
        assert a.data == b.data
        assert [e.message for e in a.errors or []] == [e.message for e in b.errors or []]


def test_the_schema_uses_it() -> None:
    assert schema_converter.convert_arguments is arguments.convert_arguments
    schema = strawberry.Schema(query=Query)
    before = len(arguments._MADE)
    assert schema.execute_sync("{ echo(n: 1) }").errors is None
    assert len(arguments._MADE) == before + 1
