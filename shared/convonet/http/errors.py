"""The one error shape of every HTTP function: {"error": {"code", "message", ...}}."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error meant for the caller: a status, a stable code and a readable message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str, code: str = "bad_request", details: Any = None) -> ApiError:
    return ApiError(400, code, message, details=details)


def unauthorized(message: str = "Authentication required.", code: str = "unauthorized") -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str = "You may not do that.", code: str = "forbidden") -> ApiError:
    return ApiError(403, code, message)


def not_found(message: str = "Not found.", code: str = "not_found") -> ApiError:
    return ApiError(404, code, message)


def conflict(message: str, code: str = "conflict", details: Any = None) -> ApiError:
    return ApiError(409, code, message, details=details)


def too_many_requests(message: str, retry_after_s: int, code: str = "rate_limited") -> ApiError:
    return ApiError(
        429,
        code,
        message,
        details={"retry_after_s": retry_after_s},
        headers={"Retry-After": str(max(1, retry_after_s))},
    )


def not_implemented(message: str) -> ApiError:
    return ApiError(501, "not_implemented", message)
