"""Keyset pagination (Relay connections) over a SQLAlchemy select."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Integer, Select, func, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from backend.errors import BadInput

T = TypeVar("T")
DEFAULT_PAGE = 20


@dataclass
class Page(Generic[T]):
    rows: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total: Callable[[], int]


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, keys: Sequence[ColumnElement]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        out = []
        for v, k in zip(values, keys, strict=True):
            if isinstance(k.type, Integer):
                out.append(int(v))
            elif isinstance(getattr(k.type, "impl", k.type), DateTime):
                out.append(datetime.fromisoformat(v))
            else:
                out.append(str(v))
        return out
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadInput(f"after: {cursor!r} is not a cursor from this API", "after") from None


def keyset_page(
    session: Session,
    stmt: Select,
    keys: ColumnElement | Sequence[ColumnElement],
    first: int | None,
    after: str | None,
    max_page: int,
    key_of: Callable[[Any], Any],
    descending: bool = False,
    scalars: bool = True,
) -> Page:
    """One page of `stmt` ordered by `keys` (unique together); `key_of(row)` reads them back
    from a row (a value, or a tuple for several keys). `scalars=False` pages a select of
    several columns as rows (no ORM objects: hot lists)."""
    keys = list(keys) if isinstance(keys, (list, tuple)) else [keys]
    if first is None:
        first = DEFAULT_PAGE
    if not 0 <= first <= max_page:
        raise BadInput(f"first must be between 0 and {max_page}, got {first}", "first")
    paged = stmt
    if after is not None:
        values = _decode_cursor(after, keys)
        left, right = (keys[0], values[0]) if len(keys) == 1 else (tuple_(*keys), tuple_(*values))
        paged = paged.where(left < right if descending else left > right)
    order = [k.desc() if descending else k for k in keys]
    paged = paged.order_by(*order).limit(first + 1)
    rows = list(session.scalars(paged) if scalars else session.execute(paged).all())
    has_next = len(rows) > first
    rows = rows[:first]

    def total() -> int:
        return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))

    def cursor(row: Any) -> str:
        key = key_of(row)
        return encode_cursor(key if isinstance(key, tuple) else (key,))

    return Page(rows, [cursor(r) for r in rows], has_next, after is not None, total)
