"""The change feed (``read``): profile.created, .updated, .merged, .split and .erased, in order, resumable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from service import queries
from service.auth import require_scope
from service.dependencies import EngineDep
from service.routes.responses import ERRORS, MAX_ID
from service.schemas import ChangePublic, ChangesPage

__all__ = ["router"]

router = APIRouter(prefix="/v1/changes", tags=["changes"], dependencies=[Depends(require_scope("read"))])


@router.get("", response_model=ChangesPage, responses=ERRORS)
def list_changes(engine: EngineDep,
                 after: Annotated[int, Query(ge=0, le=MAX_ID, description="Last sequence number read.")] = 0,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> ChangesPage:
    """Return the changes after sequence number ``after``; resume with ``next_after``."""
    with Session(engine) as session:
        rows = queries.list_changes(session, after=after, limit=limit)
    changes = [ChangePublic(seq=row.seq or 0, type=row.type, profile_id=row.profile_id, payload=queries.payload(row),
                            created_at=row.created_at) for row in rows]
    return ChangesPage(changes=changes, next_after=changes[-1].seq if changes else after)
