"""Bulk imports: send a file (NDJSON or CSV, optionally gzip), follow the job, read its rejected lines."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from datetime import datetime
from email.message import Message
from email.utils import collapse_rfc2231_value
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlmodel import Session, col, select

from resolvers.csv_rows import csv_encoding
from resolvers.json_lines import json_line
from service import audit, imports, ingest
from service.body_limit import BodyTooLargeError
from service.db import snapshot_session
from service.dependencies import AdminKey, EngineDep, ReadKey, SettingsDep, WriteKey
from service.errors import NotFoundError, UnsupportedMediaTypeError
from service.progress import read_apply_progress
from service.routes.ndjson import ndjson_response
from service.routes.responses import BUSY, ERRORS
from service.schemas import (
    ErrorDetail,
    ErrorResponse,
    ImportListResponse,
    ImportPublic,
    import_public,
    is_applying,
)
from service.tables import ImportRow

__all__ = ["router"]

router = APIRouter(prefix="/v1/imports", tags=["imports"])

ImportIdPath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^imp_[0-9a-f]+$")]
_BODY = {"requestBody": {"required": True, "description": (
    "One record per line as NDJSON (`application/x-ndjson`), or CSV (`text/csv`) with a header row: one "
    "column per field, dotted names for nested fields (`address.city`, `handles.tiktok`, `external_ids.crm`), "
    "several `emails`/`phones` separated by `;`. Send `Content-Encoding: gzip` for a compressed body."),
    "content": {media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("application/x-ndjson", "text/csv")}}}
_POST_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "The body is larger than THROUGHLINE_MAX_IMPORT_BYTES."},
    415: {"model": ErrorResponse, "description": "Not NDJSON or CSV, a charset other than UTF-8 (a CSV may be "
                                                 "declared UTF-16 or UTF-32 if its byte order mark starts it), or "
                                                 "an encoding other than gzip."},
}


_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})  # ASCII is UTF-8 too
# A CSV may be UTF-16 or UTF-32 after its byte order mark (``csv_rows.csv_encoding``): so declared, it is
# read. By the charset's letters and digits alone ("UTF-16LE", "utf_16", "utf16" are one).
_MARKED = {f"utf{width}{order}": f"utf-{width}" for width in ("16", "32") for order in ("", "le", "be")}


def _declared_unicode(charset: str, fmt: str) -> str | None:
    """Return the UTF-16 or UTF-32 a CSV body's charset declares (as ``csv_encoding`` names it), or None."""
    return _MARKED.get("".join(filter(str.isalnum, charset))) if fmt == "csv" else None


def _check_mark(spool: FilePath, *, encoding: str, declared: str, content_type: str | None) -> None:
    """Raise 415 unless the spooled body starts with the byte order mark of the UTF-16 or UTF-32 it was declared in."""
    try:
        with (gzip.open(spool, "rb") if encoding == "gzip" else spool.open("rb")) as body:
            head = body.read(4)
    except (OSError, EOFError, zlib.error):
        return  # a body that cannot be read fails its job, saying why
    if head and csv_encoding(head) != declared:
        raise UnsupportedMediaTypeError(f"a CSV declared {declared.upper()} is read after its byte order mark", [
            ErrorDetail(field="header.content-type", value=content_type,
                        reason=f"the body does not start with a {declared.upper()} byte order mark: add one, or "
                               f"convert the file to UTF-8 (iconv -f {declared.upper()} -t UTF-8)")])


def _format_of(request: Request) -> tuple[str, str, str | None]:
    """Return the body's format, encoding and declared UTF-16 or UTF-32 (``_declared_unicode``), or raise 415."""
    message = Message()
    message["content-type"] = request.headers.get("content-type", "")
    fmt = imports.FORMATS.get(message.get_content_type())
    if fmt is None:
        raise UnsupportedMediaTypeError("an import body is NDJSON or CSV", [ErrorDetail(
            field="header.content-type", value=request.headers.get("content-type"),
            reason="use application/x-ndjson or text/csv")])
    charset = collapse_rfc2231_value(message.get_param("charset") or "utf-8").strip().lower()
    declared = _declared_unicode(charset, fmt)
    if charset not in _UTF8 and declared is None:
        # Read as UTF-8, a CSV exported in Windows-1252 would have every line with an accent rejected.
        raise UnsupportedMediaTypeError("an import body is read as UTF-8", [ErrorDetail(
            field="header.content-type", value=request.headers.get("content-type"),
            reason=f"convert the file from {charset[:40]} to UTF-8 (iconv -f {charset[:40]} -t UTF-8) and send it "
                   "with charset=utf-8 or no charset")])
    encoding = request.headers.get("content-encoding", "identity").strip().lower() or "identity"
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaTypeError("an import body is sent plain or gzip-compressed", [ErrorDetail(
            field="header.content-encoding", value=encoding[:200], reason="use gzip, or leave the header out")])
    return fmt, encoding, declared


@router.post("", status_code=202, response_model=ImportPublic, responses={**ERRORS, **_POST_ERRORS, **BUSY},
             openapi_extra=_BODY)
async def create_import(request: Request, response: Response, engine: EngineDep, settings: SettingsDep,
                        _: WriteKey) -> ImportPublic:
    """Start an import: the body is spooled to disk as it arrives, then applied by a background job.

    Answers 202 with the job; follow it with `GET /v1/imports/{id}`. Bad lines do not stop the job.
    """
    fmt, encoding, declared = _format_of(request)
    spool = imports.new_spool_path(settings.import_dir)
    upload = imports.upload_path(spool)  # the spool once whole: what a crash cuts off is told apart
    size = 0
    try:
        with upload.open("wb") as handle:
            async for part in request.stream():
                size += len(part)
                if size > settings.max_import_bytes:
                    raise BodyTooLargeError(settings.max_import_bytes)
                await run_in_threadpool(handle.write, part)
            await run_in_threadpool(handle.flush)
        if declared is not None:
            await run_in_threadpool(_check_mark, upload, encoding=encoding, declared=declared,
                                    content_type=request.headers.get("content-type"))
        await run_in_threadpool(os.replace, upload, spool)
        job = await run_in_threadpool(imports.create_job, engine, spool=spool, fmt=fmt, encoding=encoding, size=size)
    except BaseException:
        upload.unlink(missing_ok=True)
        spool.unlink(missing_ok=True)
        raise
    runner: imports.ImportRunner | None = getattr(request.app.state, "import_runner", None)
    if runner is not None:
        runner.wake()
    response.headers["Location"] = f"/v1/imports/{job.id}"
    return import_public(job, now=ingest.utc_now())


@router.get("", response_model=ImportListResponse, responses=ERRORS)
def list_imports(engine: EngineDep, _: ReadKey,
                 limit: Annotated[int, Query(ge=1, le=500, description="Jobs to return, newest first.")] = 50,
                 ) -> ImportListResponse:
    """List import jobs, newest first."""
    with Session(engine) as session:
        rows = session.scalars(select(ImportRow).order_by(col(ImportRow.created_at).desc()).limit(limit))
        now = ingest.utc_now()
        return ImportListResponse(imports=[_public(row, now=now) for row in rows])


def _public(row: ImportRow, *, now: datetime) -> ImportPublic:
    """Return the job's public view, with the progress of its applying phase when this host runs it."""
    return import_public(row, now=now, applying=read_apply_progress(FilePath(row.spool)) if is_applying(row) else None)


def _job(session: Session, job_id: str) -> ImportRow:
    job = session.get(ImportRow, job_id)
    if job is None:
        raise NotFoundError(f"no import has id {job_id}")
    return job


@router.get("/{import_id}", response_model=ImportPublic, responses=ERRORS)
def get_import(import_id: ImportIdPath, engine: EngineDep, _: ReadKey) -> ImportPublic:
    """Return an import job: state, counts, records per second, ETA, resume point."""
    with Session(engine) as session:
        return _public(_job(session, import_id), now=ingest.utc_now())


@router.post("/{import_id}/cancel", response_model=ImportPublic, responses={**ERRORS, **BUSY, 409: {
    "model": ErrorResponse, "description": "The import has ended, or is applying its records (all or none)."}})
def cancel_import(import_id: ImportIdPath, engine: EngineDep, principal: WriteKey) -> ImportPublic:
    """Cancel an import that has not begun applying: nothing of it is applied, what it staged and its body are deleted.

    A running job stops at its next chunk. Its rejected lines stay listed. Cancelling a cancelled job
    answers it again.
    """

    def work(session: Session) -> ImportRow:
        job, cancelled = imports.cancel_job(session, job_id=import_id)
        if cancelled:
            audit.record(session, actor=principal.key_id, request_id=principal.request_id, action="import.cancelled",
                         target=import_id, details={"resume_line": job.resume_line})
        return job

    job = ingest.in_transaction(engine, work)
    imports.remove_spool(FilePath(job.spool))
    return _public(job, now=ingest.utc_now())


@router.delete("/{import_id}", status_code=204, response_class=Response, responses={**ERRORS, **BUSY, 409: {
    "model": ErrorResponse, "description": "The import has not ended: cancel it first."}})
def delete_import(import_id: ImportIdPath, engine: EngineDep, principal: AdminKey) -> Response:
    """Delete an ended import and its rejected lines, with the values they hold; the records it stored stay.

    Answers 204. A running or queued import must be cancelled first.
    """

    def work(session: Session) -> ImportRow:
        job = imports.delete_job(session, job_id=import_id)
        audit.record(session, actor=principal.key_id, request_id=principal.request_id, action="import.deleted",
                     target=import_id, details={"state": job.state})
        return job

    job = ingest.in_transaction(engine, work)
    imports.remove_spool(FilePath(job.spool))  # gone already, unless a process died before it could remove it
    ingest.empty_write_ahead_log(engine)  # the rejected lines' bytes, as after an erasure
    return Response(status_code=204)


@router.get("/{import_id}/errors", responses={**ERRORS, 200: {"description": "One JSON object per rejected line.",
                                                              "content": {"application/x-ndjson": {}}}},
            response_class=StreamingResponse)
def get_import_errors(import_id: ImportIdPath, engine: EngineDep, _: ReadKey) -> StreamingResponse:
    """Stream the rejected lines as NDJSON: `{"line": n, "errors": [{"field", "value", "reason"}]}`, in line order."""
    with Session(engine) as session:
        _job(session, import_id)

    def lines() -> Iterator[bytes]:
        with snapshot_session(engine) as session:
            for entry in imports.job_errors(session, job_id=import_id):
                yield json_line(entry).encode()

    return ndjson_response(lines())
