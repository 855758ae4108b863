"""GET /v1/audit (``admin``): who changed links, erased, exported or managed keys, and when."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from service import audit
from service.auth import require_scope
from service.dependencies import EngineDep
from service.routes.responses import ERRORS, MAX_ID
from service.schemas import AuditEntryPublic, AuditPage

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["audit"], dependencies=[Depends(require_scope("admin"))])


@router.get("", response_model=AuditPage, responses=ERRORS)
def list_audit(engine: EngineDep, after: Annotated[int, Query(ge=0, le=MAX_ID, description="Last entry id read.")] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> AuditPage:
    """Return the audit entries after id ``after``, oldest first; resume with ``next_after``."""
    with Session(engine) as session:
        rows = audit.list_entries(session, after=after, limit=limit)
    entries = [AuditEntryPublic(id=row.id or 0, at=row.at, actor=row.actor, request_id=row.request_id,
                                action=row.action, target=row.target, details=json.loads(row.details))
               for row in rows]
    return AuditPage(entries=entries, next_after=entries[-1].id if entries else after)
