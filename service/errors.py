"""The service's errors, and the one place they become HTTP responses.

Every error response has the body ``{"error": {"code", "message", "details": [{"field", "value",
"reason"}]}}`` (``schemas.ErrorResponse``). Codes are stable API; messages are for people.

Errors raised by the service's own code::

    ThroughlineError
    ├── DatabaseNotMigratedError   the database is not at the migration head (stops startup)
    ├── NotReadyError              a dependency is unavailable                → 503 not_ready
    ├── BusyError                  the write lock was not free in time        → 503 busy (Retry-After)
    ├── UnauthorizedError          no API key, a malformed or a revoked one   → 401 unauthorized
    ├── ForbiddenError             the key lacks the scope the endpoint needs → 403 forbidden
    ├── RateLimitedError           the key passed its request rate            → 429 rate_limited
    ├── NotFoundError              no record, profile or link with that id    → 404 not_found
    ├── GoneError                  the profile was erased                     → 410 gone
    └── InvalidRequestError        a request valid in shape but not in sense  → 422 invalid_request
        └── ValidationFailedError  a body not matching its schema             → 422 validation_error

Errors of the web framework are mapped too: request validation → 422 ``validation_error`` (or 400
``malformed_json``, 415 ``unsupported_media_type``), HTTP errors → their status (404 ``not_found``,
405 ``method_not_allowed``, 413 ``payload_too_large``, ...), a database lock not free within the wait → 503
``busy``, anything else → 500 ``internal_error``
with a generic message, logged with its traceback (by route template: a raw path can hold personal values).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from email.message import Message
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from service.metrics import route_template
from service.schemas import ErrorBody, ErrorDetail, ErrorResponse, printable

__all__ = [
    "BusyError",
    "ConflictError",
    "DatabaseNotMigratedError",
    "ForbiddenError",
    "GoneError",
    "InvalidRequestError",
    "NotFoundError",
    "NotReadyError",
    "RateLimitedError",
    "ThroughlineError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "ValidationFailedError",
    "detail_value",
    "error_response",
    "install_error_handlers",
    "is_json_media_type",
    "lock_timed_out",
    "service_error_response",
    "sqlstate",
    "validation_details",
]

logger = logging.getLogger(__name__)

MAX_VALUE_CHARS = 200


class ThroughlineError(Exception):
    """Base of the errors the service raises itself."""


class DatabaseNotMigratedError(ThroughlineError):
    """The database schema is not at the revision this code expects."""


class NotReadyError(ThroughlineError):
    """A dependency the service needs (the database) is unavailable or not migrated."""


class BusyError(ThroughlineError):
    """Another write held the database's write lock for longer than a write waits (a bulk import applying)."""

    retry_after = 5


class NotFoundError(ThroughlineError):
    """No record, profile or link has the requested id."""


class GoneError(ThroughlineError):
    """The requested profile existed but was erased."""


class ConflictError(ThroughlineError):
    """The request contradicts something stored (a must-link where a cannot-link stands)."""


class UnauthorizedError(ThroughlineError):
    """The request carries no API key, or one that is malformed, unknown or revoked."""


class ForbiddenError(ThroughlineError):
    """The API key is valid but lacks the scope the endpoint needs."""


class RateLimitedError(ThroughlineError):
    """The API key sent more requests than its rate allows; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnsupportedMediaTypeError(ThroughlineError):
    """The body's Content-Type or Content-Encoding is not one the endpoint reads."""

    def __init__(self, message: str, details: Sequence[ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.details = list(details)


class InvalidRequestError(ThroughlineError):
    """A request that is well-formed but cannot be done; ``details`` say which field and why."""

    def __init__(self, message: str, details: Sequence[ErrorDetail] = ()) -> None:
        super().__init__(message)
        self.details = list(details)


class ValidationFailedError(InvalidRequestError):
    """A body that does not match its schema, found by the service's own validation rather than FastAPI's."""


# The HTTP edge: each service error's status and stable code (a subclass before its base).
_SERVICE_ERRORS: dict[type[ThroughlineError], tuple[int, str]] = {
    NotReadyError: (503, "not_ready"),
    BusyError: (503, "busy"),
    UnauthorizedError: (401, "unauthorized"),
    ForbiddenError: (403, "forbidden"),
    RateLimitedError: (429, "rate_limited"),
    NotFoundError: (404, "not_found"),
    GoneError: (410, "gone"),
    ConflictError: (409, "conflict"),
    ValidationFailedError: (422, "validation_error"),
    InvalidRequestError: (422, "invalid_request"),
    UnsupportedMediaTypeError: (415, "unsupported_media_type"),
}
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


_LOCK_NOT_AVAILABLE = "55P03"


def sqlstate(error: DBAPIError) -> str | None:
    """Return the SQLSTATE code a PostgreSQL error carries, if any."""
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code if isinstance(code, str) else None


def lock_timed_out(error: DBAPIError) -> bool:
    """Whether the write lock was not free within the wait (SQLite's busy timeout, PostgreSQL's lock_timeout)."""
    return sqlstate(error) == _LOCK_NOT_AVAILABLE or "database is locked" in str(error.orig)


def error_response(
    *, status_code: int, code: str, message: str, details: Sequence[ErrorDetail] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Return a JSON response in the service's error shape."""
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=list(details)))
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


def detail_value(value: object) -> str | None:
    """Return ``value`` as text for an error detail, cut to ``MAX_VALUE_CHARS``."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            text = type(value).__name__
    text = printable(text)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _field_path(loc: Sequence[Any]) -> str:
    """Return the dotted path of a pydantic error location, without FastAPI's leading ``body``."""
    parts = list(loc[1:] if loc and loc[0] == "body" else loc)
    return ".".join(str(part) for part in parts)


def validation_details(errors: Sequence[Mapping[str, Any]]) -> list[ErrorDetail]:
    """Return one detail per pydantic error: the field, the value sent for it, and the reason."""
    details = []
    for error in errors:
        field = _field_path(error.get("loc", ()))
        # "missing" and whole-body errors carry the enclosing object as input; never echo a whole body.
        own_input = error.get("type") != "missing" and field != ""
        value = detail_value(error.get("input")) if own_input else None
        details.append(ErrorDetail(field=field, value=value, reason=str(error.get("msg", "invalid"))))
    return details


def is_json_media_type(content_type: str | None) -> bool:
    """Return whether a Content-Type names JSON (``application/json`` or ``application/*+json``)."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _malformed_json_message(error: Mapping[str, Any], document: object) -> str:
    """Say where JSON parsing failed: line, column and character position."""
    loc = error.get("loc", ())
    position = loc[-1] if loc and isinstance(loc[-1], int) else 0
    reason = (error.get("ctx") or {}).get("error", "invalid JSON")
    text = document if isinstance(document, str) else ""
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return f"the body is not valid JSON: {reason} at line {line}, column {column} (position {position})"


async def _on_request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    malformed = next((error for error in errors if error.get("type") == "json_invalid"), None)
    if malformed is not None:
        message = _malformed_json_message(malformed, exc.body)
        return error_response(status_code=400, code="malformed_json", message=message)
    whole_body_rejected = any(tuple(e.get("loc", ())) == ("body",) and e.get("type") != "missing" for e in errors)
    if whole_body_rejected and not is_json_media_type(request.headers.get("content-type")):
        # FastAPI leaves a non-JSON body as bytes, which then fails validation as "not an object".
        return error_response(status_code=415, code="unsupported_media_type",
                              message="send the body as JSON with Content-Type: application/json")
    return error_response(status_code=422, code="validation_error",
                          message="the request failed validation; see details",
                          details=validation_details(errors))


def _http_status(status_code: int) -> HTTPStatus | None:
    try:
        return HTTPStatus(status_code)
    except ValueError:
        return None


def _http_message(request: Request, exc: HTTPException) -> str:
    status = _http_status(exc.status_code)
    default = status.phrase if status else ""
    if exc.detail and exc.detail != default:
        return str(exc.detail)
    path = request.url.path[:MAX_VALUE_CHARS]
    if exc.status_code == 404:
        return f"no endpoint at {path}"
    if exc.status_code == 405:
        return f"{request.method} is not allowed on {path}"
    return default or "request failed"


def _allowed_methods(request: Request) -> list[str]:
    """Return every method some route of the app answers on the request's path, sorted.

    The router's own ``Allow`` names only the first route whose path matches, and each method of a
    path is a route of its own (RFC 9110, section 15.5.6: a 405 lists every method the path supports).
    """
    path, root = request.scope["path"], request.scope.get("root_path", "")
    path = path.removeprefix(root) if root else path  # routes match the path below the app's mount point
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        pattern = getattr(context, "path_regex", None)
        if pattern is not None and pattern.match(path):
            methods |= set(context.methods or ())
    return sorted(methods)


async def _on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    status = _http_status(exc.status_code)
    code = _HTTP_CODES.get(exc.status_code) or (status.name.lower() if status else "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        headers["Allow"] = ", ".join(allowed)
    return error_response(status_code=exc.status_code, code=code, message=_http_message(request, exc),
                          headers=headers)


def service_error_response(exc: ThroughlineError) -> JSONResponse:
    """Return the response a service error maps to: its status, code, message, details and headers."""
    status_code, code = next(mapped for cls, mapped in _SERVICE_ERRORS.items() if isinstance(exc, cls))
    details = exc.details if isinstance(exc, InvalidRequestError | UnsupportedMediaTypeError) else ()
    headers: dict[str, str] = {}
    if isinstance(exc, UnauthorizedError):
        headers["WWW-Authenticate"] = 'Bearer realm="throughline"'  # RFC 6750, section 3
    if isinstance(exc, RateLimitedError | BusyError):
        headers["Retry-After"] = str(exc.retry_after)  # RFC 9110, section 10.2.3
    return error_response(status_code=status_code, code=code, message=str(exc), details=details, headers=headers)


async def _on_service_error(request: Request, exc: ThroughlineError) -> JSONResponse:
    return service_error_response(exc)


async def _on_database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    if lock_timed_out(exc):
        # A small write that does not queue for the lock as changes do (``ingest.in_transaction``): an audit
        # entry, an import job. It waited the busy timeout, on SQLite, while a long write held the file.
        logger.warning("a write on %s %s waited too long for the lock", request.method, route_template(request.scope))
        return service_error_response(BusyError("the database was busy with another write; retry later"))
    return await _on_unhandled(request, exc)


async def _on_unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, route_template(request.scope), exc_info=exc)
    return error_response(status_code=500, code="internal_error",
                          message="an internal error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into the service's JSON error shape."""
    app.exception_handler(RequestValidationError)(_on_request_validation)
    app.exception_handler(HTTPException)(_on_http_error)
    for error_class in _SERVICE_ERRORS:
        app.exception_handler(error_class)(_on_service_error)
    app.exception_handler(DBAPIError)(_on_database_error)
    app.exception_handler(Exception)(_on_unhandled)
