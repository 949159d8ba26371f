"""The executor's short path answers exactly as graphql-core's own, errors included."""

import asyncio
import enum
from datetime import UTC, datetime

import strawberry
from strawberry.extensions import ParserCache
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

    @strawberry.field
    def hue(self) -> Colour:  # a member, its value, or a string of neither
        return ({0: self.colour, 1: "red", 2: "green"}[self.size])  # type: ignore[return-value]


THINGS = [Thing(name=n, note=None if k % 2 else "x", colour=Colour.RED if k % 2 else Colour.BLUE,
                at=datetime(2026, 12, 1, k, tzinfo=UTC), size=k, broken=None,  # type: ignore[arg-type]
                wrong="seven")  # type: ignore[arg-type]
          for k, n in enumerate(("a", "b", "c"))]


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Part(Named):
    size: int
    tags: list[str]
    maybe_tags: list[str | None] | None

    @strawberry.field
    def where(self, info: Info) -> str:  # info inside a plan: needs the path
        return ".".join(str(k) for k in info.path.as_list())

    @strawberry.field
    def fails_at(self) -> int | None:
        if self.size == 2:
            raise ValueError("no size 2")
        return self.size


def _label_of(root: "Box") -> str:
    return f"box {root.name}"


@strawberry.type
class Box:
    name: str
    label: str = strawberry.field(resolver=_label_of)  # a root parameter
    parts: list[Part]
    main: Part | None
    must: Part  # set to None on one box: a non-null error inside a plan
    thing: Thing

    @strawberry.field
    async def later_part(self) -> Part:
        return self.parts[0]


def _part(k: int) -> Part:
    return Part(name=f"p{k}", size=k, tags=[f"t{k}", "x"],
                maybe_tags=None if k % 2 else [None, "y"])


BOXES = [Box(name=f"b{k}", parts=[_part(k), _part(k + 1)], main=_part(k) if k else None,
             must=_part(k) if k != 2 else None, thing=THINGS[k % 3])  # type: ignore[arg-type]
         for k in range(4)]


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return THINGS

    @strawberry.field
    def sturdy(self) -> list[Thing]:
        return THINGS

    @strawberry.field
    def boxes(self, upto: int = 4) -> list[Box]:
        return BOXES[:upto]


QUERIES = [
    "{ things { name note colour at size label askedBy later shout(times: 3) __typename } }",
    "{ things { n: name c: colour ...F } } fragment F on Thing { label note at }",
    "query($s: Boolean!) { things { name @skip(if: $s) size @include(if: $s) } }",
    "{ things { name failing } }",
    "{ things { name broken } }",
    "{ things { name wrong } }",
    "{ things { name missing } }",
    "{ things { name colour hue } }",
    "{ sturdy { name } things { broken } }",
    # objects answered by plans, and what makes them fall back
    "{ boxes(upto: 2) { name label parts { name size tags maybeTags where __typename } "
    "main { name where } must { size } thing { name colour at } } }",
    "{ boxes(upto: 3) { name thing { colour hue } } }",
    "{ boxes(upto: 2) { b: name p: parts { n: name ...P } } } fragment P on Part { tags size }",
    "{ boxes(upto: 2) { parts { ... on Named { name } } } }",
    "{ boxes { name must { size } } }",
    "{ boxes { name parts { failsAt where } } }",
    "{ boxes(upto: 2) { name laterPart { name where } } }",
    "{ boxes(upto: 2) { name thing { name broken } } }",
    "query($s: Boolean!) { boxes(upto: 2) { name @skip(if: $s) parts { size @include(if: $s) } } }",
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


class _Counting(Executor):
    standard = 0

    def execute_fields(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).standard += 1
        return super().execute_fields(*args, **kwargs)


def test_plain_objects_are_answered_by_plans() -> None:
    """The plans are used (not only correct): a list of plain boxes is answered without
    graphql-core's field execution below the root; a failing one falls back."""
    schema = strawberry.Schema(query=Query, execution_context_class=_Counting)
    _Counting.standard = 0
    _run(schema, "{ boxes(upto: 2) { name label parts { name tags where } main { name } } }")
    assert _Counting.standard == 1  # the root's fields only
    _Counting.standard = 0
    r = _run(schema, "{ boxes { name must { size } } }")
    assert _Counting.standard > 1 and r["errors"] == [
        ("Cannot return null for non-nullable field Box.must.", ("boxes", 2, "must"))]


def test_plans_are_shared_across_requests_unless_variables_could_change_them() -> None:
    standard = strawberry.Schema(query=Query)
    short = strawberry.Schema(query=Query, execution_context_class=Executor,
                              extensions=[lambda: ParserCache(maxsize=16)])
    skip = "query($s: Boolean!) { boxes(upto: 2) { name parts { name @skip(if: $s) size } } }"
    for s in (True, False, True):
        assert (asyncio.run(short.execute(skip, variable_values={"s": s})).data
                == asyncio.run(standard.execute(skip, variable_values={"s": s})).data)
    made = []
    original = Executor._make_plan

    def counting(self, *args):  # type: ignore[no-untyped-def]
        made.append(1)
        return original(self, *args)

    Executor._make_plan = counting  # type: ignore[method-assign]
    try:
        plain = "{ boxes(upto: 2) { name parts { name size } } }"
        for _ in range(3):
            assert asyncio.run(short.execute(plain)).errors is None
    finally:
        Executor._make_plan = original  # type: ignore[method-assign]
    assert len(made) == 2  # Box and Part, once: the same parsed document each time
