"""The executor's short path answers exactly as graphql-core's own, errors included."""

import asyncio
import enum
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from backend.api.execution import Executor


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    name: str
    note: str | None
    colour: Colour
    at: datetime
    size: int
    broken: str  # set to None below: an error with a path, not a crash
    wrong: int  # set to a string: the scalar refuses it

    @strawberry.field
    def label(self) -> str:
        return self.name.upper()

    @strawberry.field
    def asked_by(self, info: Info) -> str:
        return str(info.field_name)

    @strawberry.field
    def failing(self) -> str | None:
        raise ValueError(f"no label for {self.name}")

    @strawberry.field
    def missing(self) -> int:
        return None  # type: ignore[return-value]

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return self.name

    @strawberry.field
    def shout(self, times: int = 2) -> str:
        return self.name * times


THINGS = [Thing(name=n, note=None if k % 2 else "x", colour=Colour.RED if k % 2 else Colour.BLUE,
                at=datetime(2026, 12, 1, k, tzinfo=UTC), size=k, broken=None,  # type: ignore[arg-type]
                wrong="seven")  # type: ignore[arg-type]
          for k, n in enumerate(("a", "b", "c"))]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return THINGS

    @strawberry.field
    def sturdy(self) -> list[Thing]:
        return THINGS


QUERIES = [
    "{ things { name note colour at size label askedBy later shout(times: 3) __typename } }",
    "{ things { n: name c: colour ...F } } fragment F on Thing { label note at }",
    "query($s: Boolean!) { things { name @skip(if: $s) size @include(if: $s) } }",
    "{ things { name failing } }",
    "{ things { name broken } }",
    "{ things { name wrong } }",
    "{ things { name missing } }",
    "{ sturdy { name } things { broken } }",
]


def _run(schema: strawberry.Schema, query: str) -> dict:
    r = asyncio.run(schema.execute(query, variable_values={"s": True}))
    return {"data": r.data,
            "errors": sorted((e.message, tuple(e.path or ())) for e in r.errors or [])}


def test_the_short_path_answers_as_graphql_core() -> None:
    standard = strawberry.Schema(query=Query)
    short = strawberry.Schema(query=Query, execution_context_class=Executor)
    for q in QUERIES:
        assert _run(short, q) == _run(standard, q), q
    broken = _run(short, "{ things { name broken } }")
    assert broken["data"] is None and len(broken["errors"]) == 1  # a non-null null, with path
