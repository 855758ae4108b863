"""POST /v1/normalize (``read``): show what Throughline makes of a record, without storing it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from resolvers import RecordIn, normalize_record
from resolvers.records import MAX_RECORD_BYTES
from service.body_limit import body_limit_extra
from service.dependencies import ReadKey, SettingsDep
from service.routes.responses import AUTH_ERRORS
from service.schemas import ErrorResponse, NormalizedRecordPublic, normalized_record_public

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["normalize"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    400: {"model": ErrorResponse, "description": "The body is not valid JSON."},
    413: {"model": ErrorResponse, "description": "The body is larger than the configured limit."},
    415: {"model": ErrorResponse, "description": "The body is not sent as application/json."},
    422: {"model": ErrorResponse, "description": "The record does not match the schema; one detail per field."},
}


@router.post("/normalize", response_model=NormalizedRecordPublic, responses=_ERRORS,
             openapi_extra=body_limit_extra(MAX_RECORD_BYTES))
def normalize(record: RecordIn, settings: SettingsDep, _: ReadKey) -> NormalizedRecordPublic:
    """Return the normalized identifiers, keys and issues of one record; nothing is stored."""
    return normalized_record_public(normalize_record(record, default_region=settings.default_region))
