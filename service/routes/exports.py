"""Exports for data engineers: every record's profile assignment, and every golden profile, as NDJSON.

Both stream from the database a page at a time, so an export of millions of rows never sits in
memory; each export is written to the audit log (who exported what, never a value).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from resolvers.json_lines import escape_line_breaks, json_line
from service import audit, queries
from service.db import snapshot_session
from service.dependencies import EngineDep, ReadKey
from service.routes.ndjson import ndjson_response
from service.routes.responses import BUSY, ERRORS

__all__ = ["router"]

router = APIRouter(prefix="/v1/exports", tags=["exports"])


def _ndjson(description: str) -> dict[int | str, dict[str, Any]]:
    return {**ERRORS, **BUSY, 200: {"description": description, "content": {"application/x-ndjson": {}}}}


def _assignment_lines(engine: Engine) -> Iterator[bytes]:
    with snapshot_session(engine) as session:
        for source, record_id, profile_id in queries.iter_assignments(session):
            line = {"source": source, "source_record_id": record_id, "profile_id": profile_id}
            yield json_line(line).encode()


def _profile_lines(engine: Engine) -> Iterator[bytes]:
    with snapshot_session(engine) as session:
        for golden in queries.iter_golden_profiles(session):
            yield (escape_line_breaks(golden) + "\n").encode()


@router.get("/assignments", response_class=StreamingResponse,
            responses=_ndjson('One `{"source", "source_record_id", "profile_id"}` per stored record.'))
def export_assignments(engine: EngineDep, principal: ReadKey) -> StreamingResponse:
    """Stream every record's profile id as NDJSON, in the order records were first stored."""
    audit.record_now(engine, actor=principal.key_id, request_id=principal.request_id, action="export",
                     target="assignments")
    return ndjson_response(_assignment_lines(engine))


@router.get("/profiles", response_class=StreamingResponse,
            responses=_ndjson("One golden profile (the body of `GET /v1/profiles/{id}`) per live profile."))
def export_profiles(engine: EngineDep, principal: ReadKey) -> StreamingResponse:
    """Stream every live golden profile as NDJSON, in profile id order."""
    audit.record_now(engine, actor=principal.key_id, request_id=principal.request_id, action="export",
                     target="profiles")
    return ndjson_response(_profile_lines(engine))
