"""The one error model of the API: every error carries a stable ``extensions.code`` and a
message a person can act on. Raise these anywhere; ``graphql/errors.py`` shapes them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from starlette.responses import JSONResponse


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    TENANT_UNKNOWN = "TENANT_UNKNOWN"
    RATE_LIMITED = "RATE_LIMITED"
    THROTTLED = "THROTTLED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL = "INTERNAL"


# The HTTP status of a response that is this error alone, refused before GraphQL ran (over
# application/graphql-response+json, GraphQL's own request errors follow the same table).
# A persisted query the service does not know yet is a normal turn of the protocol.
HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: 200,
    ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED: 200,
    ErrorCode.TENANT_UNKNOWN: 404,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.THROTTLED: 429,
    ErrorCode.QUERY_TOO_COMPLEX: 400,
    ErrorCode.GRAPHQL_PARSE_FAILED: 400,
    ErrorCode.GRAPHQL_VALIDATION_FAILED: 400,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


class JobgraphError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class BadUserInput(JobgraphError):
    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, field: str | None = None, **extensions: Any) -> None:
        if field is not None:
            extensions["field"] = field
        super().__init__(message, **extensions)


def required_text(value: str | None, field: str, limit: int) -> str:
    """``value`` stripped, or a BAD_USER_INPUT naming the field when empty or too long."""
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise BadUserInput(f"{field} must have 1 to {limit} characters.", field=field)
    return value


class Unauthenticated(JobgraphError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(JobgraphError):
    code = ErrorCode.FORBIDDEN


class NotFound(JobgraphError):
    code = ErrorCode.NOT_FOUND


class Conflict(JobgraphError):
    """The thing changed since the client read it; reloading and retrying resolves it."""

    code = ErrorCode.CONFLICT


class PersistedQueryNotFound(JobgraphError):
    code = ErrorCode.PERSISTED_QUERY_NOT_FOUND


class PersistedQueryNotSupported(JobgraphError):
    code = ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED


class TenantUnknown(JobgraphError):
    code = ErrorCode.TENANT_UNKNOWN


class ServiceUnavailable(JobgraphError):
    code = ErrorCode.SERVICE_UNAVAILABLE


def error_response(
    error: JobgraphError, status: int | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The response of a request refused with ``error`` before GraphQL ran: its status
    from ``HTTP_STATUS``, unless the refusal is about the HTTP request itself (``status``:
    413 too large, 405 wrong method)."""
    return JSONResponse(
        error_body(error), status_code=status or HTTP_STATUS[error.code], headers=headers
    )


def error_body(error: JobgraphError) -> dict[str, Any]:
    """A GraphQL-shaped response body for errors raised outside GraphQL execution."""
    return {
        "errors": [
            {"message": error.message, "extensions": {"code": str(error.code), **error.extensions}}
        ]
    }
