"""Typed domain errors. Tools phrase them for the model; HTTP maps them to 403/404/409/422."""

from __future__ import annotations

from typing import Any, Literal

ErrorKind = Literal["not_found", "forbidden", "invalid", "conflict", "unavailable"]


class DomainError(Exception):
    kind: ErrorKind = "invalid"
    status: int = 422

    def __init__(self, message: str, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.kind
        self.details = details


class NotFound(DomainError):
    kind = "not_found"
    status = 404


class Forbidden(DomainError):
    kind = "forbidden"
    status = 403


class Invalid(DomainError):
    kind = "invalid"
    status = 422


class Conflict(DomainError):
    kind = "conflict"
    status = 409


class Unavailable(DomainError):
    """A dependency (CRM, calendar, provider) is down; the caller may retry later."""

    kind = "unavailable"
    status = 503
