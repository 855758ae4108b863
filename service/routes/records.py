"""Records: upsert one (PUT) or a batch (POST) (``write``), read one (GET, ``read``), erase one (DELETE, ``admin``)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from pydantic import ValidationError
from sqlmodel import Session

from resolvers import RecordIn, RecordKey
from resolvers.config import ResolverConfig
from resolvers.records import MAX_RECORD_BYTES
from service import audit, imports, ingest, queries
from service.body_limit import body_limit_extra
from service.dependencies import AdminKey, ConfigDep, EngineDep, MetricsDep, ReadKey, UpsertsDep, WriteKey
from service.errors import InvalidRequestError, ValidationFailedError, detail_value, validation_details
from service.metrics import observe_change, observe_issues
from service.routes.responses import BUSY, ERRORS, WRITE_ERRORS
from service.schemas import (
    BatchItemResult,
    BatchResponse,
    DeletionResponse,
    ErrorBody,
    ErrorDetail,
    StoredRecordPublic,
    UpsertResponse,
    event_public,
    stored_record_public,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/records", tags=["records"])

MAX_BATCH = 1000
SourcePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")]
RecordIdPath = Annotated[str, Path(min_length=1, max_length=256)]


def _record_body_schema() -> dict[str, Any]:
    """Return RecordIn's schema with ``source`` and ``source_record_id`` optional: the path gives them."""
    schema = RecordIn.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)  # AddressIn is a component already: RecordIn is the body of /v1/normalize
    schema["required"] = [name for name in schema.get("required", []) if name not in ("source", "source_record_id")]
    schema["title"] = "RecordBody"
    return schema


_RECORD_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": _record_body_schema()}}},
                **body_limit_extra(MAX_RECORD_BYTES)}
_RECORDS = {"type": "array", "maxItems": MAX_BATCH, "items": {"$ref": "#/components/schemas/RecordIn"}}
_BATCH_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["records"], "properties": {"records": _RECORDS},
}}}}}


def _validate(raw: dict[str, Any]) -> RecordIn:
    """Validate one record body, or raise ``ValidationFailedError`` with a detail per field."""
    try:
        return RecordIn.model_validate(raw)
    except ValidationError as error:
        raise ValidationFailedError("the record failed validation; see details",
                                    validation_details(error.errors())) from None


def _with_path(raw: dict[str, Any], source: str, record_id: str) -> dict[str, Any]:
    """Fill the record's key from the path; a body that names another key is refused."""
    for field, value in (("source", source), ("source_record_id", record_id)):
        if field in raw and raw[field] != value:
            raise InvalidRequestError("the body names another record than the path", [ErrorDetail(
                field=field, value=detail_value(raw[field]), reason=f"must equal the path's {field} or be left out")])
    return {"source": source, "source_record_id": record_id, **raw}


@router.put("/{source}/{source_record_id}", response_model=UpsertResponse, responses=WRITE_ERRORS,
            openapi_extra=_RECORD_BODY)
def upsert_record(source: SourcePath, source_record_id: RecordIdPath, body: Annotated[dict[str, Any], Body()],
                  upserts: UpsertsDep, config: ConfigDep, metrics: MetricsDep, _: WriteKey) -> UpsertResponse:
    """Create or update one record and re-resolve what it touches; identical content changes nothing.

    Upserts that wait for the write lock together are applied in one transaction (group commit);
    ``changes`` then lists the profile events about this record's profiles, before and after.
    """
    raw = _with_path(body, source, source_record_id)
    prepared = ingest.prepare(raw, _validate(raw), config=config)
    applied = upserts.upsert(prepared)
    observe_issues(metrics, issues=prepared.issues)
    record = applied.record
    if record.row is None or record.profile_id is None:
        raise AssertionError("an upserted record always has a row and a profile")
    return UpsertResponse(status=record.status, record=stored_record_public(record.row),
                          profile_id=record.profile_id, changes=[event_public(e) for e in applied.events])


def _batch_item(index: int, item: object, config: ResolverConfig) -> ingest.Prepared | BatchItemResult:
    if not isinstance(item, dict):
        return BatchItemResult(index=index, status="rejected", error=ErrorBody(
            code="validation_error", message="a record must be a JSON object",
            details=[ErrorDetail(field=f"records.{index}", value=None, reason="not an object")]))
    try:
        return ingest.prepare(item, _validate(item), config=config)
    except InvalidRequestError as error:
        # The key is echoed only when it is text (a rejected item may hold anything there), cut as any echoed value.
        source, record_id = item.get("source"), item.get("source_record_id")
        return BatchItemResult(index=index, status="rejected",
                               source=detail_value(source) if isinstance(source, str) else None,
                               source_record_id=detail_value(record_id) if isinstance(record_id, str) else None,
                               error=ErrorBody(code="validation_error", message=str(error), details=error.details))


@router.post("/batch", response_model=BatchResponse, responses=WRITE_ERRORS, openapi_extra=_BATCH_BODY)
def upsert_batch(body: Annotated[dict[str, Any], Body()], engine: EngineDep, config: ConfigDep, metrics: MetricsDep,
                 _: WriteKey) -> BatchResponse:
    """Upsert up to 1,000 records at once; each item succeeds or fails on its own."""
    items = body.get("records")
    if not isinstance(items, list) or set(body) != {"records"}:
        raise InvalidRequestError("the body is {\"records\": [...]}", [ErrorDetail(
            field="records", value=None, reason="a list of records, and no other field")])
    if len(items) > MAX_BATCH:
        raise InvalidRequestError(f"at most {MAX_BATCH} records per batch", [ErrorDetail(
            field="records", value=str(len(items)), reason=f"more than {MAX_BATCH} items")])
    checked = [_batch_item(i, item, config) for i, item in enumerate(items)]
    prepared: dict[RecordKey, ingest.Prepared] = {}
    for item in checked:
        if isinstance(item, ingest.Prepared):
            prepared[item.key] = item  # the last version of a key in the batch wins, as sequential upserts would
    started = time.perf_counter()
    outcome = ingest.in_transaction(engine, lambda session: ingest.apply_change(
        session, upserts=list(prepared.values()), config=config))
    observe_change(metrics, outcome=outcome, seconds=time.perf_counter() - started, operation="batch")
    observe_issues(metrics, issues=[issue for item in prepared.values() for issue in item.issues])
    by_key = {r.key: r for r in outcome.records}
    results = []
    for index, item in enumerate(checked):
        if isinstance(item, BatchItemResult):
            results.append(item)
            continue
        record = by_key[item.key]
        results.append(BatchItemResult(index=index, status=record.status, source=item.key[0],
                                       source_record_id=item.key[1], profile_id=record.profile_id))
    return BatchResponse(results=results, changes=[event_public(e) for e in outcome.events])


@router.get("/{source}/{source_record_id}", response_model=StoredRecordPublic, responses=ERRORS)
def get_record(source: SourcePath, source_record_id: RecordIdPath, engine: EngineDep, _: ReadKey) -> StoredRecordPublic:
    """Return a stored record: the body as received, its normalized form and its profile id."""
    with Session(engine) as session:
        return stored_record_public(queries.get_record(session, key=(source, source_record_id)))


@router.delete("/{source}/{source_record_id}", response_model=DeletionResponse, responses={**ERRORS, **BUSY})
def delete_record(source: SourcePath, source_record_id: RecordIdPath, engine: EngineDep,
                  config: ConfigDep, metrics: MetricsDep, principal: AdminKey) -> DeletionResponse:
    """Erase one record everywhere it was stored and re-resolve its component."""
    key = (source, source_record_id)

    def work(session: Session) -> ingest.ChangeOutcome:
        record = queries.get_record(session, key=key)
        # The record id may itself be personal (an email address): the audit names the source and profile only.
        audit.record(session, actor=principal.key_id, request_id=principal.request_id, action="record.erased",
                     target=record.profile_id, details={"source": source, "records": 1})
        imports.exclude_erased(session, keys=[key])
        return ingest.apply_change(session, deletes=[key], config=config)

    started = time.perf_counter()
    outcome = ingest.in_transaction(engine, work)
    ingest.empty_write_ahead_log(engine)
    observe_change(metrics, outcome=outcome, seconds=time.perf_counter() - started, operation="erase_record")
    return DeletionResponse(erased=[f"{s}/{r}" for (s, r) in [key]], changes=[event_public(e) for e in outcome.events])
