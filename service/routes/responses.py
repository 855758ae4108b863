"""The error responses routes declare in the OpenAPI document, and the bound shared by their id parameters."""

from __future__ import annotations

from typing import Any

from service.schemas import ErrorResponse

__all__ = ["AUTH_ERRORS", "BUSY", "ERRORS", "MAX_ID", "WRITE_ERRORS"]

# The largest BIGINT: an id or cursor past it cannot be in the database, and would overflow the driver (500).
MAX_ID = 2**63 - 1

# Every /v1 endpoint needs an API key (service.auth).
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No API key, or a malformed, unknown or revoked one."},
    403: {"model": ErrorResponse, "description": "The API key lacks the scope this endpoint needs."},
    429: {"model": ErrorResponse, "description": "The API key passed its rate limit; retry after Retry-After seconds."},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    404: {"model": ErrorResponse, "description": "No such record, profile or link."},
    410: {"model": ErrorResponse, "description": "The profile was erased."},
    422: {"model": ErrorResponse, "description": "A parameter is invalid; one detail per field."},
}
# Every endpoint that writes (an export writes its audit entry): another write held the lock past the wait.
BUSY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "Another write (a bulk import being applied) held the database past "
                                                 "THROUGHLINE_WRITE_WAIT_SECONDS; retry after Retry-After seconds."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    **BUSY,
    400: {"model": ErrorResponse, "description": "The body is not valid JSON."},
    413: {"model": ErrorResponse, "description": "The body is larger than the configured limit."},
    415: {"model": ErrorResponse, "description": "The body is not sent as application/json."},
}
