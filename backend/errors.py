"""Typed errors raised by the service layer; the API maps each code to a response in one place."""

from __future__ import annotations


class AppError(Exception):
    code = "INTERNAL"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadInput(AppError):
    code = "BAD_INPUT"


class NotFound(AppError):
    code = "NOT_FOUND"


class Conflict(AppError):
    code = "CONFLICT"


class InvalidTransition(AppError):
    code = "INVALID_TRANSITION"


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"


class Forbidden(AppError):
    code = "FORBIDDEN"


class Behind(AppError):
    """A subscriber that did not keep up with the changes; it subscribes again."""
    code = "BEHIND"
