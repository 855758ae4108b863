"""Links: a steward's must-link or cannot-link between two records, applied at once and kept (``admin``)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlmodel import Session

from service import audit, ingest, queries
from service.auth import require_scope
from service.body_limit import body_limit_extra
from service.dependencies import AdminKey, ConfigDep, EngineDep, MetricsDep
from service.errors import ConflictError, InvalidRequestError, NotFoundError
from service.metrics import observe_change
from service.routes.responses import BUSY, ERRORS, WRITE_ERRORS
from service.schemas import (
    DeletionResponse,
    ErrorDetail,
    ErrorResponse,
    LinkIn,
    LinkPublic,
    LinkResponse,
    RecordRefIn,
    event_public,
)
from service.tables import LinkRow

__all__ = ["router"]

router = APIRouter(prefix="/v1/links", tags=["links"], dependencies=[Depends(require_scope("admin"))])
MAX_LINK_BYTES = 16_384
# links.id is a 32-bit INTEGER: a larger id cannot exist, and PostgreSQL refuses to compare with one (a 500).
MAX_LINK_ID = 2**31 - 1


def _public(link: LinkRow) -> LinkPublic:
    return LinkPublic(id=link.id or 0, kind=link.kind, reason=link.reason, created_at=link.created_at,
                      a=RecordRefIn(source=link.a_source, source_record_id=link.a_record_id),
                      b=RecordRefIn(source=link.b_source, source_record_id=link.b_record_id))


@router.post("", response_model=LinkResponse, status_code=201, openapi_extra=body_limit_extra(MAX_LINK_BYTES),
             responses={**WRITE_ERRORS, 200: {"model": LinkResponse, "description": "The same link stood already: "
                                                                                 "the stored one, unchanged."},
                        409: {"model": ErrorResponse, "description": "An opposite link stands."}})
def create_link(body: LinkIn, engine: EngineDep, config: ConfigDep, metrics: MetricsDep,
                principal: AdminKey, response: Response) -> LinkResponse:
    """Say two records are (must) or are not (cannot) one person; their profiles are re-resolved at once.

    Repeating a link returns the stored one unchanged, with 200; a link of the other kind between the
    same two records is a conflict (409) until that one is deleted. A must-link that stronger facts contradict
    (two different LinkedIn profiles, a cannot-link between records it would join) is kept but not
    in effect: ``in_effect`` is false, and the profile's explanation lists it as refused, with why.
    """
    a, b = (body.a.source, body.a.source_record_id), (body.b.source, body.b.source_record_id)
    if a == b:
        raise InvalidRequestError("a link joins two different records",
                                  [ErrorDetail(field="b", value=f"{b[0]}/{b[1]}", reason="the same record as a")])

    def work(session: Session) -> tuple[LinkRow, ingest.ChangeOutcome, bool]:
        for key in (a, b):
            queries.get_record(session, key=key)
        for existing in queries.links_between(session, a=a, b=b):
            if existing.kind == body.kind:  # saying it twice changes nothing
                response.status_code = 200
                return existing, ingest.ChangeOutcome(), _in_effect(session, existing)
            raise ConflictError(f"link {existing.id} already says these records are {existing.kind}-linked; "
                                "delete it first")
        link, outcome = ingest.add_link(session, kind=body.kind, a=a, b=b, reason=body.reason, config=config)
        audit.record(session, actor=principal.key_id, request_id=principal.request_id, action="link.created",
                     target=str(link.id), details={"kind": link.kind})
        return link, outcome, _in_effect(session, link)

    started = time.perf_counter()
    link, outcome, in_effect = ingest.in_transaction(engine, work)
    observe_change(metrics, outcome=outcome, seconds=time.perf_counter() - started, operation="link")
    return LinkResponse(link=_public(link), changes=[event_public(e) for e in outcome.events], in_effect=in_effect)


def _in_effect(session: Session, link: LinkRow) -> bool:
    """Return whether the link's records are now in one profile (must) or in two (cannot)."""
    a, b = (link.a_source, link.a_record_id), (link.b_source, link.b_record_id)
    profile = queries.profiles_of(session, keys=[a, b])
    return (profile[a] == profile[b]) == (link.kind == "must")


@router.get("", response_model=list[LinkPublic], responses=ERRORS)
def list_links(engine: EngineDep, after: Annotated[int, Query(ge=0, le=MAX_LINK_ID)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[LinkPublic]:
    """List links in the order they were made, ``limit`` at a time after the id ``after``."""
    with Session(engine) as session:
        return [_public(link) for link in queries.list_links(session, after=after, limit=limit)]


@router.delete("/{link_id}", response_model=DeletionResponse, responses={**ERRORS, **BUSY})
def delete_link(link_id: Annotated[int, Path(ge=1, le=MAX_LINK_ID)], engine: EngineDep, config: ConfigDep,
                metrics: MetricsDep, principal: AdminKey) -> DeletionResponse:
    """Remove a link; the two records' profiles are re-resolved without it."""

    def work(session: Session) -> ingest.ChangeOutcome:
        link = session.get(LinkRow, link_id)
        if link is None:
            raise NotFoundError(f"no link {link_id}")
        audit.record(session, actor=principal.key_id, request_id=principal.request_id, action="link.deleted",
                     target=str(link_id), details={"kind": link.kind})
        return ingest.remove_link(session, link=link, config=config)

    started = time.perf_counter()
    outcome = ingest.in_transaction(engine, work)
    observe_change(metrics, outcome=outcome, seconds=time.perf_counter() - started, operation="unlink")
    return DeletionResponse(erased=[], changes=[event_public(e) for e in outcome.events])
