"""API keys: random, shown once, stored only as a hash, each with its scopes.

A key reads ``tl_<id>_<secret>``. ``tl_`` says what it is (so secret scanners can match it);
``<id>`` is 12 hex digits, public: it names the key in logs, the audit log and ``keys list``;
``<secret>`` is 32 random bytes from ``secrets`` (256 bits, base64url). The database keeps only
the SHA-256 of the whole key: a fast hash is enough for a random 256-bit secret, which has no
dictionary to guess from (slow hashes are for passwords, OWASP Password Storage Cheat Sheet), and
verifying is one read by id and a constant-time comparison.

Scopes (independent; a key holds any set of them):

* ``read``  — records, profiles, lookups, explanations, the change feed, normalize, exports, imports' status;
* ``write`` — upserts and imports;
* ``admin`` — links, erasure, keys and the audit log;
* ``metrics`` — ``/metrics`` when ``THROUGHLINE_METRICS_PUBLIC`` is off (a scraper needs no other power).

Creating and revoking a key writes an audit entry in the same transaction. Functions here take an
open session and never commit, except ``bootstrap_admin_key``, which owns its transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from service import audit
from service.errors import InvalidRequestError, NotFoundError
from service.schemas import ErrorDetail
from service.tables import ApiKeyRow

__all__ = [
    "BOOTSTRAP_SCOPES",
    "SCOPES",
    "IssuedKey",
    "Scope",
    "bootstrap_admin_key",
    "create_key",
    "key_id_of",
    "list_keys",
    "revoke_key",
    "scopes_of",
    "verify_key",
]

Scope = Literal["read", "write", "admin", "metrics"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
# The first key of a fresh database can do everything a person at the API needs.
BOOTSTRAP_SCOPES: tuple[Scope, ...] = ("read", "write", "admin")

PREFIX = "tl_"
_KEY = re.compile(r"^tl_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just created: the key itself (shown this once) and its stored row."""

    key: str
    row: ApiKeyRow


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def key_hash(key: str) -> str:
    """Return the SHA-256 of ``key`` as stored (hex): a key is never stored or kept in memory as itself."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str) -> str | None:
    """Return the public id of a well-formed key, or None when ``key`` is not shaped like one."""
    match = _KEY.fullmatch(key)
    return match["id"] if match else None


def scopes_of(row: ApiKeyRow) -> frozenset[str]:
    """Return the scopes a stored key holds."""
    return frozenset(row.scopes.split())


def _checked_scopes(scopes: Iterable[str]) -> list[str]:
    """Return the scopes in their canonical order, or raise when one is unknown or there are none."""
    given = set(scopes)
    unknown = sorted(given - set(SCOPES))
    if unknown or not given:
        raise InvalidRequestError("a key needs one or more known scopes", [ErrorDetail(
            field="scopes", value=" ".join(unknown) or None, reason=f"one or more of {', '.join(SCOPES)}")])
    return sorted(given, key=SCOPES.index)


def create_key(session: Session, *, scopes: Iterable[str], name: str, actor: str,
               request_id: str | None) -> IssuedKey:
    """Create a key with ``scopes`` and audit it; the key is in the result and nowhere else."""
    chosen = _checked_scopes(scopes)
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKeyRow(id=key_id, name=name, key_hash=key_hash(key), scopes=" ".join(chosen), created_by=actor,
                    created_at=_now())
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, request_id=request_id, action="key.created", target=key_id,
                 details={"scopes": chosen})
    return IssuedKey(key=key, row=row)


def list_keys(session: Session) -> list[ApiKeyRow]:
    """Return every key, revoked ones included, oldest first."""
    return list(session.exec(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)))  # type: ignore[arg-type]


def revoke_key(session: Session, *, key_id: str, actor: str, request_id: str | None) -> ApiKeyRow:
    """Revoke a key from now on and audit it; revoking a revoked key changes nothing."""
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        raise NotFoundError(f"no key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = _now()
        session.add(row)
        audit.record(session, actor=actor, request_id=request_id, action="key.revoked", target=key_id)
    return row


def verify_key(session: Session, *, key: str) -> ApiKeyRow | None:
    """Return the live key row ``key`` belongs to, or None when it is malformed, unknown, wrong or revoked."""
    key_id = key_id_of(key)
    row = session.get(ApiKeyRow, key_id) if key_id else None
    if row is None or not hmac.compare_digest(row.key_hash, key_hash(key)) or row.revoked_at is not None:
        return None
    return row


def bootstrap_admin_key(engine: Engine) -> str | None:
    """Create the first key (scopes read, write, admin) when the database has none; return it, else None."""
    with Session(engine) as session:
        if session.exec(select(func.count()).select_from(ApiKeyRow)).one():
            return None
        issued = create_key(session, scopes=BOOTSTRAP_SCOPES, name="bootstrap admin", actor="cli", request_id=None)
        session.commit()
        return issued.key
