"""The audit log: who did what to the data, when, under which request.

Audited actions: ``link.created``, ``link.deleted``, ``record.erased``, ``profile.erased``,
``export``, ``key.created``, ``key.revoked``, ``import.cancelled``, ``import.deleted``. Each entry
names its actor (the API key id, or ``cli``), the request id, a target id (a link, profile, key,
export or import id) and counts. Entries
never hold personal values: an erased record is named by its source and former profile id, not by
its ``source_record_id``, which may be an email address — and which erasure must remove
(ARCHITECTURE.md, property 7). Entries are written in the transaction of the change they describe.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from service.tables import AuditRow

__all__ = ["ACTIONS", "AuditValue", "list_entries", "record", "record_now"]

ACTIONS = frozenset({"link.created", "link.deleted", "record.erased", "profile.erased", "export", "key.created",
                     "key.revoked", "import.cancelled", "import.deleted"})
AuditValue = int | str | Sequence[str]


def record(session: Session, *, actor: str, request_id: str | None, action: str, target: str | None = None,
           details: Mapping[str, AuditValue] | None = None) -> AuditRow:
    """Add an audit entry to the open transaction; ``details`` hold ids and counts only."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = AuditRow(at=datetime.now(UTC).replace(tzinfo=None), actor=actor, request_id=request_id, action=action,
                   target=target, details=json.dumps(dict(details or {}), sort_keys=True))
    session.add(row)
    return row


def record_now(engine: Engine, *, actor: str, request_id: str | None, action: str, target: str | None = None,
               details: Mapping[str, AuditValue] | None = None) -> None:
    """Write one audit entry in a transaction of its own (for actions that change nothing else, as exports)."""
    with Session(engine) as session:
        record(session, actor=actor, request_id=request_id, action=action, target=target, details=details)
        session.commit()


def list_entries(session: Session, *, after: int, limit: int) -> list[AuditRow]:
    """Return up to ``limit`` entries with an id after ``after``, oldest first."""
    query = select(AuditRow).where(AuditRow.id > after).order_by(AuditRow.id).limit(limit)  # type: ignore[arg-type,operator]
    return list(session.exec(query))
