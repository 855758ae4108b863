"""API keys (``admin``): create one (the key is in the answer, once), list them, revoke one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlmodel import Session

from service import ingest, keys
from service.auth import require_scope
from service.body_limit import body_limit_extra
from service.dependencies import AdminKey, EngineDep
from service.routes.responses import BUSY, ERRORS, WRITE_ERRORS
from service.schemas import KeyCreated, KeyIn, KeyPublic
from service.tables import ApiKeyRow

__all__ = ["router"]

router = APIRouter(prefix="/v1/keys", tags=["keys"], dependencies=[Depends(require_scope("admin"))])
KeyIdPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-f]+$")]


def key_public(row: ApiKeyRow) -> KeyPublic:
    """Return the API form of a stored key (never its hash)."""
    return KeyPublic(id=row.id, name=row.name, scopes=sorted(keys.scopes_of(row), key=keys.SCOPES.index),
                     created_by=row.created_by, created_at=row.created_at, revoked_at=row.revoked_at)


@router.post("", response_model=KeyCreated, status_code=201, responses=WRITE_ERRORS,
             openapi_extra=body_limit_extra(4096))
def create_key(body: KeyIn, engine: EngineDep, principal: AdminKey) -> KeyCreated:
    """Create an API key with the given scopes; the answer holds the key, which is never shown again."""
    issued = ingest.in_transaction(engine, lambda session: keys.create_key(
        session, scopes=body.scopes, name=body.name, actor=principal.key_id, request_id=principal.request_id))
    return KeyCreated(key=issued.key, details=key_public(issued.row))


@router.get("", response_model=list[KeyPublic], responses=ERRORS)
def list_keys(engine: EngineDep) -> list[KeyPublic]:
    """List every key, revoked ones included, oldest first."""
    with Session(engine) as session:
        return [key_public(row) for row in keys.list_keys(session)]


@router.delete("/{key_id}", response_model=KeyPublic, responses={**ERRORS, **BUSY})
def revoke_key(key_id: KeyIdPath, engine: EngineDep, principal: AdminKey, request: Request) -> KeyPublic:
    """Revoke a key: it answers 401 from the next request on; revoking a revoked key changes nothing.

    The server's other workers may accept the key for up to `THROUGHLINE_KEY_CACHE_SECONDS` more.
    """
    row = ingest.in_transaction(engine, lambda session: keys.revoke_key(
        session, key_id=key_id, actor=principal.key_id, request_id=principal.request_id))
    request.app.state.key_cache.clear()
    return key_public(row)
