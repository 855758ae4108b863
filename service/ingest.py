"""Use cases that change records: upsert, delete, erase a profile, add or remove a link.

Each runs in one transaction that this module opens and commits (the only place that commits
record data). A change is applied the way the resolver's incremental entry point is meant to
be used:

1. find the change's region (``resolvers.region``, reading the database through
   ``stored_state.DatabaseState``): the records whose clusters the change can alter, grown until no
   strong edge leaves them, with the context that decides them — not the whole candidate component,
   which percolates as the data grows;
2. resolve the region with that context, keys crowded over the whole database disabled, so its
   clusters are the ones a resolution of everything gives;
3. diff the region's new clusters against its stored profiles, give ids (merges keep a survivor,
   splits keep the larger part), recompute the golden profiles that changed, and write it all with
   the change feed entries.

Concurrent changes are serialized: on PostgreSQL every write transaction first takes one
transaction-level advisory lock (per schema) and then reads at READ COMMITTED, so it sees every
change committed before it got the lock; SQLite takes its write lock at BEGIN (``BEGIN
IMMEDIATE``, see ``service.db``). Writers therefore run one at a time, as a serial run would, with
no retry storms (SERIALIZABLE with 8 retries still failed requests when 8 writers hit one
component); reads never wait. A deadlock or serialization error (not expected) is retried.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from resolvers import Issue, RecordIn, RecordKey, normalize_record
from resolvers.blocking import key_bound, record_keys
from resolvers.config import ResolverConfig
from resolvers.engine import Resolution
from resolvers.features import MatchRecord, match_record, to_wire, wire_to_json
from resolvers.incremental import ClusterChange, IdAssignment, ProfileEvent, assign_profile_ids, diff_partitions
from resolvers.profiles import ProfileFacts, golden_profile_of, profile_facts
from resolvers.region import change_region
from service import store
from service.db import SQLITE_IMMEDIATE, SQLITE_UNCHECKED_FOREIGN_KEYS, WRITE_GATE, WRITE_WAIT, WRITE_WAIT_SECONDS
from service.errors import BusyError, lock_timed_out, sqlstate
from service.schemas import golden_json, normalized_record_json, profile_facts_from_json, with_profile_id
from service.stored_state import DatabaseState, match_form
from service.tables import LinkRow, RecordRow
from service.write_gate import GateTimeoutError, WriteGate

__all__ = ["Affected", "ChangeOutcome", "Prepared", "RecordOutcome", "RecordWriter", "add_link", "apply_change",
           "apply_resolution", "closure", "content_hash", "empty_write_ahead_log", "in_transaction", "link_pairs",
           "prepare", "remove_link", "stored_facts", "utc_now"]

T = TypeVar("T")
log = logging.getLogger(__name__)
Cluster = tuple[RecordKey, ...]
_RETRIES = 8
# One lock per schema (tests and tenants may share a database): every write transaction holds it,
# waiting at most ``:wait`` for it (a transaction-local lock_timeout, set by the subquery first; one
# round trip). SQLite's busy timeout is the same wait (see ``db.make_engine``).
_WRITE_LOCK = text("SELECT timeout.setting, pg_advisory_xact_lock(hashtext('throughline.write:' || current_schema())) "
                   "FROM (SELECT set_config('lock_timeout', :wait, true) AS setting) AS timeout")
# SQLSTATE codes PostgreSQL raises when a transaction must be retried.
_RETRYABLE = frozenset({"40001", "40P01"})


@dataclass(frozen=True, slots=True)
class Prepared:
    """A record ready to store and resolve: its stored forms (as text), candidate keys and profile facts.

    Everything here is worked out by whoever prepares the record (for imports, the worker
    processes), not inside the write transaction.
    """

    key: RecordKey
    content_hash: str
    raw: str  # the body as received, as JSON text
    observed_at: datetime | None  # naive UTC, as stored
    normalized: str  # ``NormalizedRecordPublic`` as JSON text
    match_json: str
    keys: tuple[str, ...]  # ``blocking.record_keys`` of the match form
    facts: ProfileFacts | None = None  # the survivorship facts when at hand; else read from ``normalized``
    issues: tuple[Issue, ...] = ()
    match: MatchRecord | None = None  # the match form when at hand; else read from ``match_json``

    @property
    def match_form(self) -> MatchRecord:
        """Return the match form."""
        return self.match if self.match is not None else match_form(self.match_json)

    @property
    def facts_form(self) -> ProfileFacts:
        """Return the survivorship facts."""
        return self.facts if self.facts is not None else profile_facts_from_json(self.normalized)


@dataclass(slots=True)
class RecordOutcome:
    """What happened to one record: created, updated, unchanged or deleted, and its profile."""

    key: RecordKey
    status: str
    profile_id: str | None
    row: RecordRow | None = None


@dataclass(slots=True)
class ChangeOutcome:
    """The result of one change: per-record outcomes, the profile events it caused, the records it read.

    ``previous`` holds the profile id each record named by the change had before it, if it was stored.
    """

    records: list[RecordOutcome] = field(default_factory=list)
    events: list[ProfileEvent] = field(default_factory=list)
    read: int = 0
    previous: dict[RecordKey, str] = field(default_factory=dict)


def content_hash(raw: dict[str, Any]) -> str:
    """Return a hash of a record's content, independent of key order: equal content, equal hash.

    The canonical text is the standard library's: the hashes stored by earlier versions must hold
    (``orjson`` writes some numbers differently, ``1e16`` for ``1e+16``).
    """
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _raw_json(raw: dict[str, Any]) -> str:
    """Return a record's body as JSON text, for storage (equal as JSON to what was sent)."""
    try:
        return orjson.dumps(raw).decode()
    except orjson.JSONEncodeError:  # an integer past 64 bits, which JSON allows
        return json.dumps(raw, ensure_ascii=False)


def prepare(raw: dict[str, Any], record: RecordIn, *, config: ResolverConfig, with_facts: bool = True) -> Prepared:
    """Normalize a validated record and reduce it to what storage and resolution need.

    ``with_facts=False`` leaves the profile facts out (``facts_form`` then reads them from the
    normalized text): an import's workers only stage the text forms.
    """
    normalized = normalize_record(record, default_region=config.default_region)
    match = match_record(normalized, index=-1, multi_valued=config.multi_valued_namespaces)
    observed = record.observed_at
    return Prepared(key=record.key, content_hash=content_hash(raw), raw=_raw_json(raw),
                    observed_at=observed.replace(tzinfo=None) if observed else None,
                    normalized=normalized_record_json(normalized),
                    match_json=wire_to_json(to_wire(match)), keys=tuple(record_keys(match)),
                    facts=profile_facts(normalized) if with_facts else None, issues=normalized.issues,
                    match=match)


@lru_cache(maxsize=65536)
def stored_facts(normalized: str) -> ProfileFacts:
    """Return the survivorship facts of a stored record from its normalized form; cached on the text."""
    return profile_facts_from_json(normalized)


def utc_now() -> datetime:
    """Return the time now as naive UTC, as the tables store it."""
    return datetime.now(UTC).replace(tzinfo=None)


def _new_profile_id() -> str:
    return f"p_{uuid.uuid4().hex[:20]}"


# --- the affected records -------------------------------------------------------------------------

@dataclass(slots=True)
class Affected:
    """The stored records a change can affect: their ids and keys, and the stored count of every key seen."""

    ids: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    keys: dict[int, list[str]] = field(default_factory=dict)


def closure(session: Session, *, seed_keys: set[str], seed_ids: set[int], delta: dict[str, int],
            config: ResolverConfig, follow_links: bool = True) -> Affected:
    """Return every stored record a change can affect, with the counts of the keys seen on the way.

    ``delta`` is how the change alters each key's number of holders: a key is followed when it is
    within its bound before or after the change. ``follow_links=False`` (no must-link is stored)
    skips the chase along must-links.
    """
    found = Affected()
    seen: set[str] = set()
    frontier, arrived = set(seed_keys), set(seed_ids)
    while frontier or arrived:
        seen |= frontier
        found.counts.update(dict.fromkeys(frontier, 0))
        found.counts.update(store.key_counts(session, keys=frontier))
        usable = {key for key in frontier
                  if min(found.counts[key], found.counts[key] + delta.get(key, 0)) <= key_bound(key, config)}
        arrived |= store.holders(session, keys=usable) - found.ids
        if follow_links:
            arrived |= _linked(session, ids=arrived, known=found.ids | arrived)
        found.ids |= arrived
        keys = store.keys_of_records(session, ids=arrived)
        found.keys.update(keys)
        frontier = {key for held in keys.values() for key in held} - seen
        arrived = set()
    return found


def _linked(session: Session, *, ids: set[int], known: set[int]) -> set[int]:
    """Return the records reachable from ``ids`` through chains of must-links, beyond ``known``."""
    found: set[int] = set()
    step = ids
    while step:
        rows = store.records_by_ids(session, ids=step)
        partners = store.link_partners(session, keys=[(row.source, row.source_record_id) for row in rows])
        step = {row.id for row in store.records_by_keys(session, keys=partners).values() if row.id} - known - found
        found |= step
    return found


def _events_rows(events: Iterable[ProfileEvent], sizes: dict[str, int], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        payload: dict[str, Any] = {"profile_id": event.profile_id, "record_count": sizes.get(event.profile_id, 0)}
        if event.type == "profile.merged":
            payload["absorbed"] = list(event.related)
        elif event.type == "profile.split":
            payload["new_ids"] = list(event.related)
        rows.append({"type": event.type, "profile_id": event.profile_id, "payload": json.dumps(payload),
                     "created_at": now})
    return rows


# --- one change -----------------------------------------------------------------------------------

def link_pairs(session: Session, *, keys: Iterable[RecordKey]) -> dict[str, list[tuple[RecordKey, RecordKey]]]:
    """Return the stored must-links and cannot-links among ``keys``, by kind."""
    links = store.links_among(session, keys=keys)
    return {kind: [((lk.a_source, lk.a_record_id), (lk.b_source, lk.b_record_id)) for lk in links if lk.kind == kind]
            for kind in store.LINK_KINDS}


def _record_values(prepared: Prepared, *, profile_id: str, now: datetime) -> dict[str, Any]:
    """Return the column values of one record as stored (everything but its row id and creation time)."""
    return {"source": prepared.key[0], "source_record_id": prepared.key[1], "content_hash": prepared.content_hash,
            "raw": prepared.raw, "normalized": prepared.normalized, "match": prepared.match_json,
            "observed_at": prepared.observed_at, "profile_id": profile_id, "updated_at": now}


def _write_records(session: Session, *, changed: Sequence[Prepared], existing: dict[RecordKey, int],
                   profile_of: Mapping[RecordKey, str], now: datetime,
                   rows: dict[RecordKey, RecordRow] | None) -> list[RecordOutcome]:
    """Insert or update the changed records and their keys, set-based; return their outcomes.

    ``existing`` holds the row ids of the changed records already stored. New rows go in as one
    batched ``INSERT ... RETURNING`` and updated ones as one batched ``UPDATE``, without ORM objects.
    With ``rows`` (the stored rows of the existing records, or an empty dict), the outcomes carry
    each record's row as stored now, for callers that answer with it.
    """
    ids: dict[RecordKey, int] = {}
    fresh: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    for prepared in changed:
        values = _record_values(prepared, profile_id=profile_of[prepared.key], now=now)
        if prepared.key in existing:
            ids[prepared.key] = existing[prepared.key]
            updated.append({"row_id": existing[prepared.key], **values})
        else:
            fresh.append({**values, "origin_profile_id": values["profile_id"], "created_at": now})
    store.update_records(session, values=updated)
    ids.update(store.insert_records(session, values=fresh))
    store.delete_keys(session, record_ids=[ids[p.key] for p in changed if p.key in existing])
    store.insert_keys(session, keys=[(ids[p.key], key) for p in changed for key in p.keys])
    if rows is None:
        return [RecordOutcome(p.key, "updated" if p.key in existing else "created", profile_of[p.key]) for p in changed]
    for values in updated:
        # An ORM row the caller may answer with: keep it true without reading it back.
        row = rows[(values["source"], values["source_record_id"])]
        for name, value in values.items():
            if name != "row_id":
                set_committed_value(row, name, value)
    # The stored row of a new record is its column values and its id: no need to read it back.
    created = {(v["source"], v["source_record_id"]): RecordRow(id=ids[(v["source"], v["source_record_id"])], **v)
               for v in fresh}
    return [RecordOutcome(p.key, "updated" if p.key in existing else "created", profile_of[p.key],
                          rows.get(p.key) or created.get(p.key)) for p in changed]


def _facts(key: RecordKey, fresh: Mapping[RecordKey, ProfileFacts | None],
           rows: Mapping[RecordKey, store.StoredRecord]) -> ProfileFacts:
    """Return the survivorship facts of a record the change writes (``fresh``) or of a stored one."""
    if key not in fresh:
        return stored_facts(rows[key].normalized)
    facts = fresh[key]
    if facts is None:
        raise ValueError(f"no golden profile and no facts were given for the changed record {key}")
    return facts


def _write_profiles(session: Session, *, resolution: Resolution, changes: Sequence[ClusterChange],
                    assignment: IdAssignment, known: set[str], rows: dict[RecordKey, store.StoredRecord],
                    fresh: Mapping[RecordKey, ProfileFacts | None], config: ResolverConfig, now: datetime,
                    goldens: Mapping[Cluster, str] | None) -> list[ProfileEvent]:
    """Write golden profiles of changed clusters and retire merged and erased ids; return all events.

    ``known`` holds the ids of the stored profiles the change started from; ``fresh`` the facts of
    the records the change writes (the others' facts are read from their stored normalized form);
    ``goldens`` the golden profiles already made, without their ids (``schemas.golden_json_without_id``).
    """
    events = list(assignment.events)
    edited = set(fresh)
    for change in changes:
        # Same members, but a record's content changed: the golden profile may have changed too.
        if change.kind == "unchanged" and edited & set(change.after[0]):
            events.append(ProfileEvent("profile.updated", assignment.ids[change.after[0]]))
    stale = [c for change in changes for c in change.after if change.kind != "unchanged" or edited & set(c)]
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for cluster in stale:
        profile_id = assignment.ids[cluster]
        if goldens is not None and cluster in goldens:
            golden = with_profile_id(profile_id, goldens[cluster])
        else:
            members = [_facts(key, fresh, rows) for key in cluster]
            golden = golden_json(profile_id, golden_profile_of(members, config=config))
        values = {"id": profile_id, "status": "active", "merged_into": None, "golden": golden,
                  "record_count": len(cluster), "updated_at": now}
        if profile_id in known or profile_id in assignment.revived:
            updates.append(values)
        else:
            inserts.append({**values, "created_at": now})
    retired: list[tuple[str, str, str | None]] = [
        (profile_id, "merged", survivor) for profile_id, survivor in (assignment.merged_into
                                                                      | assignment.repointed).items()]
    retired += [(profile_id, "erased", None) for profile_id in assignment.erased]
    updates += [{"id": profile_id, "status": status, "merged_into": survivor, "golden": "{}", "record_count": 0,
                 "updated_at": now} for profile_id, status, survivor in retired]
    store.write_profiles(session, inserts=inserts, updates=updates)
    for profile_id, survivor in assignment.merged_into.items():
        store.repoint_merged(session, retired=profile_id, survivor=survivor)
    sizes = {assignment.ids[cluster]: len(cluster) for cluster in resolution.clusters}
    store.insert_changes(session, changes=_events_rows(events, sizes, now))
    return events


RecordWriter = Callable[[Mapping[RecordKey, str]], list[RecordOutcome]]


def _assign_ids(session: Session, *, changes: Sequence[ClusterChange], current: dict[Cluster, str],
                age: dict[str, int], rows: Mapping[RecordKey, store.StoredRecord]) -> IdAssignment:
    """Give the change's clusters their ids (``assign_profile_ids``), by the records' first profiles where one splits.

    Only a change that splits a profile (or rearranges several) reads the stored records' first
    profiles and the merged-away ids among them: a part may take one back, and they break ties of
    size. Splits are rare, and most changes read nothing more.
    """
    origins: dict[RecordKey, str] = {}
    merged: dict[str, str] = {}
    if any(change.kind in ("split", "rearranged") for change in changes):
        first = store.origin_profiles(session, ids=[row.id for row in rows.values()])
        origins = {key: first[row.id] for key, row in rows.items() if row.id in first}
        merged = store.merged_targets(session, profile_ids=set(origins.values()) - set(current.values()))
    return assign_profile_ids(changes, current=current, age=age, new_id=_new_profile_id, origins=origins,
                              merged=merged)


def apply_resolution(session: Session, *, outcome: ChangeOutcome, rows: dict[RecordKey, store.StoredRecord],
                     changed: Mapping[RecordKey, ProfileFacts | None], write_records: RecordWriter,
                     deletes: Sequence[RecordKey], resolution: Resolution, config: ResolverConfig, now: datetime,
                     orm_rows: dict[RecordKey, RecordRow] | None = None,
                     goldens: Mapping[Cluster, str] | None = None) -> None:
    """Store a resolution of the affected records: their profiles, the changed records, the change feed.

    ``rows`` are the stored records the change affects (as they were before it), ``changed`` the
    records it writes, with their facts for golden profiles (None when ``goldens`` has them), which
    ``write_records`` stores given each record's profile id; ``deletes`` the records it erases, and
    ``resolution`` the partition of the affected records after the change. The outcome's records and
    events are added to ``outcome``; ``orm_rows`` as in ``_write_records``; ``goldens`` as in
    ``_write_profiles``.
    """
    previous: dict[str, list[RecordKey]] = defaultdict(list)
    for record_key, row in rows.items():
        previous[row.profile_id].append(record_key)
    current = {tuple(sorted(keys)): profile for profile, keys in previous.items()}
    changes = diff_partitions(current, resolution.clusters)
    created = store.profile_ages(session, ids=previous)
    age = {profile: int(at.timestamp() * 1_000_000) for profile, at in created.items()}
    assignment = _assign_ids(session, changes=changes, current=current, age=age, rows=rows)
    profile_of = {key: assignment.ids[cluster] for cluster in resolution.clusters for key in cluster}
    store.delete_records(session, ids=[rows[k].id for k in deletes if k in rows])
    store.delete_links_of(session, keys=[k for k in deletes if k in rows])
    outcome.records.extend(write_records(profile_of))
    moved = {key: profile_of[key] for key, row in rows.items()
             if key in profile_of and key not in changed and row.profile_id != profile_of[key]}
    store.set_profile_ids(session, profile_of=[(rows[key].id, profile) for key, profile in moved.items()], now=now)
    for key, profile in moved.items():
        if orm_rows and key in orm_rows:  # an ORM row the caller may answer with: keep it true
            set_committed_value(orm_rows[key], "profile_id", profile)
            set_committed_value(orm_rows[key], "updated_at", now)
    outcome.records.extend(RecordOutcome(k, "deleted", None) for k in deletes if k in rows)
    outcome.events.extend(_write_profiles(
        session, resolution=resolution, changes=changes, assignment=assignment, known=set(created), rows=rows,
        fresh=changed, config=config, now=now, goldens=goldens))


def apply_change(session: Session, *, upserts: Sequence[Prepared] = (), deletes: Sequence[RecordKey] = (),
                 config: ResolverConfig, extra_seeds: Iterable[RecordKey] = (),
                 with_rows: bool = True) -> ChangeOutcome:
    """Apply upserts and deletions (and re-resolve ``extra_seeds``' profiles) in the open transaction.

    Only the change's region is read and re-decided (``resolvers.region``). ``with_rows=False``
    leaves the stored rows out of the outcomes.
    """
    now = utc_now()
    outcome = ChangeOutcome()
    by_key = {p.key: p for p in upserts}
    seeds = list(extra_seeds)
    existing = store.records_by_keys(session, keys=[*by_key, *deletes, *seeds])
    outcome.previous = {key: row.profile_id for key, row in existing.items()}
    changed = [p for p in by_key.values() if p.key not in existing or existing[p.key].content_hash != p.content_hash]
    changed_keys = {p.key for p in changed}
    outcome.records.extend(RecordOutcome(key, "unchanged", existing[key].profile_id,
                                         existing[key] if with_rows else None)
                           for key in by_key if key not in changed_keys)
    outcome.records.extend(RecordOutcome(k, "not_found", None) for k in deletes if k not in existing)
    erased = [k for k in deletes if k in existing]
    if not changed and not erased and not any(k in existing for k in seeds):
        return outcome
    # Records are named by row id; the change's new records, which have none yet, below zero.
    named = {key: row.id for key, row in existing.items() if row.id is not None}
    named |= {p.key: -n for n, p in enumerate((p for p in changed if p.key not in named), start=1)}
    state = DatabaseState(session, link_kinds=store.link_kinds(session), known=existing.values())
    region = change_region(state, upserts={named[p.key]: p.match_form for p in changed},
                           deletes=[named[k] for k in erased], seeds=[named[k] for k in seeds if k in named],
                           config=config)
    outcome.read = region.read
    resolution = Resolution(clusters=region.clusters, edges=(), refused=(), disabled_keys=())
    orm_rows = existing if with_rows else None

    def write_records(profile_of: Mapping[RecordKey, str]) -> list[RecordOutcome]:
        stored = {key: row.id for key, row in existing.items() if row.id is not None}
        return _write_records(session, changed=changed, existing=stored, profile_of=profile_of, now=now,
                              rows=orm_rows)

    apply_resolution(session, outcome=outcome, rows=state.rows(region.decided),
                     changed={p.key: p.facts_form for p in changed}, write_records=write_records, deletes=erased,
                     resolution=resolution, config=config, now=now, orm_rows=orm_rows)
    return outcome


# --- transactions -----------------------------------------------------------------------------

def _write_gate(engine: Engine) -> tuple[WriteGate, float]:
    """Return the gate an engine's writes queue at (``db.make_engine``), and how long a write waits by default."""
    options = engine.get_execution_options()
    gate: WriteGate = options.get(WRITE_GATE) or WriteGate()
    return gate, float(options.get(WRITE_WAIT, WRITE_WAIT_SECONDS))


def in_transaction(engine: Engine, work: Callable[[Session], T], *, wait: float | None = None,
                   check_foreign_keys: bool = True) -> T:
    """Run ``work`` in one write transaction, alone among writers (see the module doc), committed at the end.

    A write queues at the engine's ``WriteGate`` (``db.make_engine``), then takes the database's
    write lock; it waits ``wait`` seconds in all (by default as long as the engine says), then
    raises ``BusyError``. ``check_foreign_keys=False`` spares SQLite the check of every row's
    foreign keys, for a bulk write whose rows hold together by construction (PostgreSQL checks).
    """
    gate, default_wait = _write_gate(engine)
    wait = default_wait if wait is None else wait
    try:
        with gate.held(wait=wait) as left:
            return _one_writer(engine, work, wait=left, check_foreign_keys=check_foreign_keys)
    except GateTimeoutError:
        raise BusyError(f"the database was busy with another write for {wait:g} s (a bulk import being "
                        "applied holds it until it is done); retry later") from None


def empty_write_ahead_log(engine: Engine) -> bool:
    """Copy SQLite's write-ahead log into the database file and truncate it; return whether it was done.

    Called after an erasure: the log keeps each page a transaction wrote until a checkpoint lets
    later writes go over it, so the pages that held an erased record would stay in it, where
    ``secure_delete`` zeroes them only in the database file (ARCHITECTURE.md, property 7). The
    checkpoint queues at the write gate as a write does, and waits for readers still on the log
    as long as the engine's busy timeout: a reader that keeps its snapshot longer (an export being
    streamed) leaves the log as it is, which is logged, and the next checkpoint that completes
    empties it. PostgreSQL: nothing to do here (its files are the server's).
    """
    if engine.dialect.name != "sqlite":
        return True
    gate, wait = _write_gate(engine)
    try:
        with gate.held(wait=wait), engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    except (GateTimeoutError, DBAPIError) as error:
        log.warning("could not empty the write-ahead log after an erasure (%s)", type(error).__name__)
        return False
    if busy:
        log.warning("could not empty the write-ahead log after an erasure: a reader still uses it")
    return not busy


def _one_writer(engine: Engine, work: Callable[[Session], T], *, wait: float, check_foreign_keys: bool) -> T:
    """Run ``work`` in a transaction that holds the database's write lock, waiting ``wait`` seconds for it."""
    for attempt in range(_RETRIES):
        with Session(engine, expire_on_commit=False) as session:
            try:
                if engine.dialect.name == "postgresql":
                    connection = session.connection(execution_options={"isolation_level": "READ COMMITTED"})
                    connection.execute(_WRITE_LOCK, {"wait": f"{max(1, round(wait * 1000))}ms"})
                else:
                    session.connection(execution_options={SQLITE_IMMEDIATE: True,
                                                           SQLITE_UNCHECKED_FOREIGN_KEYS: not check_foreign_keys})
                result = work(session)
                session.commit()
                return result
            except DBAPIError as error:
                session.rollback()
                if lock_timed_out(error):
                    raise GateTimeoutError("the database's write lock stayed taken") from None
                if attempt == _RETRIES - 1 or sqlstate(error) not in _RETRYABLE:
                    raise
    raise AssertionError("unreachable")


def add_link(session: Session, *, kind: str, a: RecordKey, b: RecordKey, reason: str,
             config: ResolverConfig) -> tuple[LinkRow, ChangeOutcome]:
    """Store a must-link or cannot-link between two records and re-resolve their components."""
    link = LinkRow(kind=kind, a_source=a[0], a_record_id=a[1], b_source=b[0], b_record_id=b[1], reason=reason,
                   created_at=utc_now())
    session.add(link)
    session.flush()
    return link, apply_change(session, config=config, extra_seeds=[a, b])


def remove_link(session: Session, *, link: LinkRow, config: ResolverConfig) -> ChangeOutcome:
    """Delete a link and re-resolve the components of its two records."""
    seeds = [(link.a_source, link.a_record_id), (link.b_source, link.b_record_id)]
    session.delete(link)
    session.flush()
    return apply_change(session, config=config, extra_seeds=seeds)
