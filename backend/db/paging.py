"""Keyset pagination (Relay connections) over a SQLAlchemy select."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, Select, func, select
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


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(f"k:{value}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, key: ColumnElement) -> Any:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("k:"):
            raise ValueError
        value = raw[2:]
        return int(value) if isinstance(key.type, Integer) else value
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadInput(f"after: {cursor!r} is not a cursor from this API", "after") from None


def keyset_page(
    session: Session,
    stmt: Select,
    key: ColumnElement,
    first: int | None,
    after: str | None,
    max_page: int,
    key_of: Callable[[Any], Any],
) -> Page:
    """One page of `stmt` ordered by the unique `key`; `key_of(row)` reads the key back."""
    if first is None:
        first = DEFAULT_PAGE
    if not 0 <= first <= max_page:
        raise BadInput(f"first must be between 0 and {max_page}, got {first}", "first")
    paged = stmt
    if after is not None:
        paged = paged.where(key > _decode_cursor(after, key))
    rows = list(session.scalars(paged.order_by(key).limit(first + 1)))
    has_next = len(rows) > first
    rows = rows[:first]

    def total() -> int:
        return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))

    return Page(rows, [encode_cursor(key_of(r)) for r in rows], has_next, after is not None,
                total)
