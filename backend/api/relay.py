"""Relay conventions: the Node interface, global ids and connections with totalCount."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from backend.db.paging import Page
from backend.errors import BadInput

T = TypeVar("T")


@strawberry.interface(description="An object with a global id, fetchable by `node(id:)`.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{pk}".encode()).decode())


def from_global_id(gid: str, field: str = "id") -> tuple[str, int]:
    try:
        type_name, _, pk = base64.b64decode(gid, validate=True).decode().partition(":")
        return type_name, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadInput(f"{field}: {gid!r} is not an id from this API", field) from None


def pk_of(gid: str | None, type_name: str, field: str) -> int | None:
    """The primary key behind a global id that must be of `type_name`."""
    if gid is None:
        return None
    kind, pk = from_global_id(gid, field)
    if kind != type_name:
        raise BadInput(f"{field}: expected a {type_name} id, got a {kind} id", field)
    return pk


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def _edge_cursor(root: Edge) -> str:
    return root._cursor()


@strawberry.type
class Edge(Generic[T]):
    cursor: str = strawberry.field(resolver=_edge_cursor)  # encoded only when asked
    node: T
    _cursor: strawberry.Private[Callable[[], str]]


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], int]]

    @strawberry.field(description="All matching items, not only this page (one COUNT query).")
    def total_count(self) -> int:
        return self._total()


def connection(page: Page, to_node: Callable[[object], T]) -> Connection[T]:
    rows, cursor = page.rows, page.cursor
    return Connection(
        edges=[Edge(node=to_node(r), _cursor=partial(cursor, i)) for i, r in enumerate(rows)],
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=cursor(0) if rows else None,
            end_cursor=cursor(len(rows) - 1) if rows else None,
        ),
        _total=page.total,
    )


def node_fields(info: Info) -> frozenset[str]:
    """The names of the fields the query selects on a connection's nodes (`edges { node
    { ... } }`), through fragments and whatever their directives say (a superset is safe)."""
    names: set[str] = set()

    def fields(selections: list[Selection]) -> list[SelectedField]:
        out = []
        for s in selections:
            if isinstance(s, (FragmentSpread, InlineFragment)):
                out += fields(s.selections)
            else:
                out.append(s)
        return out

    for connection in info.selected_fields:  # the connection's field (once per node of it)
        for edges in fields(connection.selections):
            for node in fields(edges.selections) if edges.name == "edges" else ():
                if node.name == "node":
                    names.update(f.name for f in fields(node.selections))
    return frozenset(names)
