"""SQLModel tables: the database is the source of truth (ARCHITECTURE.md, "Storage").

* ``records`` — every accepted record as received (``raw``), its normalized form, its match form
  (what the resolver compares) and the profile it belongs to;
* ``record_keys`` — the candidate keys of each record (identifier values and profile keys): the
  index that finds the records a change can affect;
* ``profiles`` — one row per profile id ever issued: live ones carry the golden profile, merged
  ones point at their survivor, erased ones are empty;
* ``links`` — stewards' must-link and cannot-link overrides between two records;
* ``changes`` — the ordered change feed; payloads hold profile ids and counts, never personal values;
* ``imports``, ``import_records`` and ``import_errors`` — bulk import jobs (state, phase, counts, the
  line to resume from), the records each has staged but not yet applied, and the lines each rejected;
* ``api_keys`` — API keys: a public id, the SHA-256 of the key (never the key), scopes, revocation;
* ``audit_log`` — who (key id) did what (links, erasures, exports, key changes) when, under which
  request id; ids and counts only, never personal values.

Times are stored as naive UTC (SQLite has no time zones); the API adds the ``Z`` back.
Schema changes go through Alembic migrations (``service/migrations``), not ``create_all``.
"""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["ApiKeyRow", "AuditRow", "ChangeRow", "ImportErrorRow", "ImportRecordRow", "ImportRow", "LinkRow",
           "ProfileRow", "RecordKeyRow", "RecordRow"]


class RecordRow(SQLModel, table=True):
    """One accepted record, keyed by ``(source, source_record_id)``."""

    __tablename__ = "records"
    __table_args__ = (UniqueConstraint("source", "source_record_id", name="uq_records_source_id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    source: str = Field(max_length=64)
    source_record_id: str = Field(max_length=256)
    content_hash: str = Field(max_length=64)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    normalized: str = Field(sa_column=Column(Text, nullable=False))
    match: str = Field(sa_column=Column(Text, nullable=False))
    observed_at: NaiveDatetime | None = None
    profile_id: str = Field(max_length=40, index=True)
    # The profile the record was first stored in: a part split off a profile takes back the id it
    # was merged away from (``resolvers.incremental.assign_profile_ids``).
    origin_profile_id: str | None = Field(default=None, max_length=40)
    created_at: NaiveDatetime
    updated_at: NaiveDatetime


class RecordKeyRow(SQLModel, table=True):
    """A candidate key a record holds (``email:…``, ``phone:…``, ``n:…`` and so on)."""

    __tablename__ = "record_keys"
    __table_args__ = (Index("ix_record_keys_record_id", "record_id"),)

    key: str = Field(sa_column=Column(Text, primary_key=True))
    record_id: int = Field(sa_column=Column(Integer, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True))


class ProfileRow(SQLModel, table=True):
    """A profile id: live (with its golden profile), merged into another, or erased."""

    __tablename__ = "profiles"

    id: str = Field(primary_key=True, max_length=40)
    status: str = Field(max_length=16)
    merged_into: str | None = Field(default=None, max_length=40, index=True)
    golden: str = Field(sa_column=Column(Text, nullable=False))
    record_count: int = 0
    created_at: NaiveDatetime
    updated_at: NaiveDatetime


class LinkRow(SQLModel, table=True):
    """A steward's override: these two records are (must) or are not (cannot) one person."""

    __tablename__ = "links"
    # AUTOINCREMENT: SQLite would give a deleted newest link's id to the next one (migration 0006).
    __table_args__ = (Index("ix_links_a", "a_source", "a_record_id"), Index("ix_links_b", "b_source", "b_record_id"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    kind: str = Field(max_length=16)
    a_source: str = Field(max_length=64)
    a_record_id: str = Field(max_length=256)
    b_source: str = Field(max_length=64)
    b_record_id: str = Field(max_length=256)
    reason: str = Field(max_length=500)
    created_at: NaiveDatetime


class ChangeRow(SQLModel, table=True):
    """One entry of the change feed; ``seq`` orders the feed and lets consumers resume."""

    __tablename__ = "changes"

    seq: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                           primary_key=True, autoincrement=True))
    type: str = Field(max_length=32)
    profile_id: str = Field(max_length=40, index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: NaiveDatetime


class ImportRow(SQLModel, table=True):
    """A bulk import job: its spooled body, state, counts (JSON) and the first line not yet committed."""

    __tablename__ = "imports"

    id: str = Field(primary_key=True, max_length=40)
    state: str = Field(max_length=16, index=True)
    # staging (lines are read and staged) or applying (the staged records are resolved and stored).
    phase: str = Field(default="staging", sa_column=Column(String(16), nullable=False, server_default="staging"))
    format: str = Field(max_length=16)
    encoding: str = Field(max_length=16)
    spool: str = Field(sa_column=Column(Text, nullable=False))
    bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    counts: str = Field(sa_column=Column(Text, nullable=False))
    resume_line: int = Field(sa_column=Column(BigInteger, nullable=False))
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # JSON list of the [source, source_record_id] erased while the job runs, skipped (``imports.exclude_erased``).
    erased_keys: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    owner: str | None = Field(default=None, max_length=200)
    lease_until: NaiveDatetime | None = None
    created_at: NaiveDatetime
    started_at: NaiveDatetime | None = None
    finished_at: NaiveDatetime | None = None
    updated_at: NaiveDatetime


class ImportRecordRow(SQLModel, table=True):
    """A record an import has read and prepared but not yet applied: its stored forms and candidate keys.

    One row per record key and job: a later line for the same record replaces the earlier one.
    """

    __tablename__ = "import_records"
    __table_args__ = (UniqueConstraint("import_id", "source", "source_record_id", name="uq_import_records_key"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    import_id: str = Field(sa_column=Column(Text, ForeignKey("imports.id", ondelete="CASCADE"), nullable=False))
    line: int = Field(sa_column=Column(BigInteger, nullable=False))
    source: str = Field(max_length=64)
    source_record_id: str = Field(max_length=256)
    content_hash: str = Field(max_length=64)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    normalized: str = Field(sa_column=Column(Text, nullable=False))
    match: str = Field(sa_column=Column(Text, nullable=False))
    keys: str = Field(sa_column=Column(Text, nullable=False))  # JSON array of candidate keys
    observed_at: NaiveDatetime | None = None


class ImportErrorRow(SQLModel, table=True):
    """One rejected line of an import: its number and the reasons (JSON list of field, value, reason)."""

    __tablename__ = "import_errors"

    import_id: str = Field(sa_column=Column(Text, ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True))
    line: int = Field(sa_column=Column(BigInteger, primary_key=True))
    details: str = Field(sa_column=Column(Text, nullable=False))


class ApiKeyRow(SQLModel, table=True):
    """An API key: its public id, the hash of the whole key, its scopes (space-separated) and when it was revoked."""

    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    key_hash: str = Field(max_length=64)
    scopes: str = Field(max_length=100)
    created_by: str = Field(max_length=32)
    created_at: NaiveDatetime
    revoked_at: NaiveDatetime | None = None


class AuditRow(SQLModel, table=True):
    """One audited action: actor key id (or ``cli``), action, target id, request id and counts (JSON)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                          primary_key=True, autoincrement=True))
    at: NaiveDatetime
    actor: str = Field(max_length=32)
    request_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=32)
    target: str | None = Field(default=None, max_length=64)
    details: str = Field(sa_column=Column(Text, nullable=False))
