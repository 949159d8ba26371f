"""Maps every error to a response in one place: AppError codes to `extensions.code`,
anything unexpected to a masked INTERNAL error (logged, never shown)."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.types import ExecutionResult

from backend.errors import AppError

log = logging.getLogger("wangge")


def coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, AppError):
        code, message = original.code, original.message
    elif original is None or isinstance(original, GraphQLError):
        # a syntax or validation error in the document, or a variable of the wrong type
        code, message = "BAD_INPUT", error.message
    else:
        log.error("unexpected error", exc_info=original)
        code, message = "INTERNAL", "internal error: it has been logged"
    return GraphQLError(message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path,
                        extensions={**(error.extensions or {}), "code": code})


def with_codes(result: ExecutionResult) -> ExecutionResult:
    """Every error of a result, parse and validation errors included, carries a code."""
    if result.errors:
        result.errors = [coded(e) for e in result.errors]
    return result
