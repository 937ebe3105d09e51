"""Errors as RFC 9457 problem details, each with a stable machine-readable ``code``.

Domain errors map by class (the most specific registered ancestor wins); Litestar's own errors
(routing, body decoding, size limits) get codes too; anything unexpected becomes a bare 500
whose details go to the log only, never to the client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from kustodia_domain.fraud.errors import OverrideError
from kustodia_domain.identity.credentials import AccountLockedError, AuthenticationError
from kustodia_domain.ledger.balances import NegativeBalanceError
from kustodia_domain.shared.errors import (
    ConcurrencyConflictError,
    ConflictError,
    CurrencyMismatchError,
    ForbiddenError,
    KustodiaError,
    NotFoundError,
    OperationBlockedError,
    RuleViolationError,
    ValidationError,
)

PROBLEM_JSON = "application/problem+json"
SERVER_ERROR = 500
TYPE_BASE = "https://kustodia.mx/problems/"

_STATUS: dict[type[KustodiaError], int] = {
    AuthenticationError: 401,
    AccountLockedError: 429,
    ValidationError: 422,
    CurrencyMismatchError: 422,
    NotFoundError: 404,
    ForbiddenError: 403,
    OperationBlockedError: 403,
    ConflictError: 409,
    NegativeBalanceError: 409,
    RuleViolationError: 422,
    OverrideError: 422,
}
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}
_HTTP_CODES = {
    400: "request.malformed",
    401: "auth.unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
    429: "rate_limited",
}
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")

log = structlog.get_logger("kustodia.http")


def problem(
    status: int, code: str, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    """A problem-details response."""
    body = {
        "type": TYPE_BASE + code,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def status_of(error: KustodiaError) -> int:
    """The HTTP status of a domain error."""
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def domain_error(request: Request[Any, Any, Any], exc: KustodiaError) -> Response[dict[str, Any]]:
    """Map a domain error to its problem."""
    status = status_of(exc)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        extra = {"field": exc.field, "errors": [{"field": exc.field, "message": exc.message}]}
    if isinstance(exc, AccountLockedError):
        headers["Retry-After"] = "900"
    if isinstance(exc, ConcurrencyConflictError):
        # A concurrent change won the race; the same request may succeed if sent again (and an
        # Idempotency-Key does not keep this answer, see ``idempotency``).
        headers["Retry-After"] = "1"
    return problem(status, exc.code, exc.message, headers=headers, **extra)


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message = str(item.get("message", "invalid value"))
        key = str(item.get("key", ""))
        missing = _MISSING_FIELD.search(message)
        errors.append({"field": missing.group(1) if missing else key, "message": message})
    return errors


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Map Litestar's errors; body validation failures become 422 naming the field."""
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc)
        field = errors[0]["field"] if errors else "body"
        return problem(
            422, "validation.invalid", "the request is not valid", field=field, errors=errors
        )
    status = exc.status_code
    code = _HTTP_CODES.get(status, f"http.{status}")
    headers = dict(exc.headers or {})
    detail = str(exc.detail) if status < SERVER_ERROR else _TITLES[SERVER_ERROR]
    return problem(status, code, detail, headers=headers)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Log the failure with its traceback; tell the client nothing about it."""
    log.error("unhandled error", error_type=type(exc).__name__, exc_info=exc)
    return problem(SERVER_ERROR, "internal", "the server could not handle this request")


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    KustodiaError: domain_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
