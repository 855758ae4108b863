"""The error responses routes declare in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from service.schemas import ErrorResponse

__all__ = ["ERRORS", "WRITE_ERRORS"]

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such record, profile or link."},
    410: {"model": ErrorResponse, "description": "The profile was erased."},
    422: {"model": ErrorResponse, "description": "A parameter is invalid; one detail per field."},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"model": ErrorResponse, "description": "The body is not valid JSON."},
    413: {"model": ErrorResponse, "description": "The body is larger than the configured limit."},
    415: {"model": ErrorResponse, "description": "The body is not sent as application/json."},
}
