"""One transaction per mutation, and the codes that go into a payload's `errors`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from backend.api.context import Info
from backend.api.scalars import UserError
from backend.db.engine import writing
from backend.errors import AppError

T = TypeVar("T")
# What the caller can fix or must be told goes into the payload (API.md); not being logged
# in or allowed is a top-level error.
PAYLOAD_CODES = frozenset({"BAD_INPUT", "NOT_FOUND", "INVALID_TRANSITION", "CONFLICT"})


def mutate(info: Info, work: Callable[[], T], payload_codes: frozenset[str] = PAYLOAD_CODES,
           one_statement: bool = False) -> tuple[T | None, list[UserError]]:
    """Run `work` and commit; on an error roll everything back (nothing half-written).
    `one_statement`: work writes with one statement at most (see `writing`)."""
    session = info.context.session
    written = writing(session, one_statement)  # True: each statement commits by itself
    try:
        result = work()
        if one_statement and (session.new or session.dirty or session.deleted):
            raise RuntimeError("work said to write one statement left ORM changes to flush")
        if not written:
            session.commit()
        return result, []
    except AppError as e:
        session.rollback()
        if e.code in payload_codes:
            return None, [UserError(field=e.field, code=e.code, message=e.message)]
        raise
    except BaseException:
        session.rollback()
        raise
