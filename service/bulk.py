"""Apply a staged import as one change: every record of the file resolved together, batch by batch.

An import first stages the records it reads (``service.imports``); this module then applies all of
them at once, in the one write transaction the runner opens. Applying a whole file at once is what
keeps a large import linear: applying it chunk by chunk would re-read, for every chunk, the stored
records its records reach through keys that are still rare while the file is half in (a name held
by 30 of the first records of a million), and re-resolve them again and again.

The steps follow ``ingest.apply_change`` with the whole file as the change:

1. split the staged records into unchanged ones (the same content is stored) and changed ones;
2. find the stored records the change can affect (``ingest.closure``, once for the file) and count
   every key over the database after the change, so a key's crowding is the final one;
3. split the changed and affected records into independent parts: records that share a key that
   is not crowded, a must-link or a stored profile are in one part (``blocking.components`` with
   the final counts);
4. resolve the parts batch by batch — in the import's worker processes when it has them, which
   also make each cluster's golden profile — and store each batch with ``ingest.apply_resolution``,
   the code every real-time change ends with;
5. write the candidate keys of every stored record at once, in the order of one of their indexes
   (``store.write_staged_keys``): nothing the apply reads needs them before, and written batch
   by batch they landed on random pages of the key indexes.

Each step's time is logged at INFO, and the runner (``service.imports``) logs the commit's.

Resolving independent parts apart gives the clusters resolving them together would, so the result
is the one the same records upserted one by one give (ARCHITECTURE.md, property 8). Memory stays
bounded by a batch plus one small index entry per staged record.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine
from sqlmodel import Session

from resolvers.blocking import key_bound
from resolvers.config import ResolverConfig
from resolvers.engine import Resolution, resolve_matched
from resolvers.features import from_wire, wire_from_json
from resolvers.profiles import golden_profile_of
from resolvers.records import RecordKey
from service import store
from service.db import make_engine
from service.ingest import (
    Affected,
    ChangeOutcome,
    RecordOutcome,
    RecordWriter,
    apply_resolution,
    closure,
    link_pairs,
    utc_now,
)
from service.schemas import golden_json_without_id, profile_facts_from_json

__all__ = ["ResolveAll", "ResolveTask", "Resolved", "apply_staged", "bounded_map", "resolve_task", "resolve_with"]

log = logging.getLogger(__name__)

Partition = tuple[tuple[RecordKey, ...], ...]
Pairs = list[tuple[RecordKey, RecordKey]]


@dataclass(frozen=True, slots=True)
class ResolveTask:
    """One batch to resolve: which staged and stored records (by row id), and what constrains them.

    Only ids and text, so that it travels to a worker process cheaply: the worker reads the records'
    match and normalized forms from the database itself (``database``, its URL).
    """

    database: str
    staged_ids: list[int]
    stored_ids: list[int]
    crowded: frozenset[str]
    must_link: Pairs
    cannot_link: Pairs
    config: ResolverConfig


@dataclass(frozen=True, slots=True)
class Resolved:
    """A resolved batch: its clusters, and each one's golden profile without its id (``golden_json_without_id``)."""

    clusters: Partition
    goldens: tuple[str, ...]


_ENGINES: dict[str, Engine] = {}


def _reader(database: str) -> Engine:
    """Return this worker process's engine for reading ``database`` (made once)."""
    if database not in _ENGINES:
        _ENGINES[database] = make_engine(database)
    return _ENGINES[database]


def resolve_task(task: ResolveTask, engine: Engine | None = None) -> Resolved:
    """Resolve one batch and make its golden profiles (in a worker process, or in this one with ``engine``)."""
    with Session(engine or _reader(task.database)) as session:
        records = sorted(store.record_forms(session, staged_ids=task.staged_ids, stored_ids=task.stored_ids))
    matched = [from_wire(wire_from_json(match), index=i) for i, (_, match, _) in enumerate(records)]
    clusters = resolve_matched(matched, config=task.config, explain=False, crowded=task.crowded,
                               must_link=task.must_link, cannot_link=task.cannot_link).clusters
    normalized = {key: text for key, _, text in records}
    goldens = tuple(golden_json_without_id(golden_profile_of(
        (profile_facts_from_json(normalized[key]) for key in cluster), config=task.config)) for cluster in clusters)
    return Resolved(clusters=clusters, goldens=goldens)


ResolveAll = Callable[[Iterator[ResolveTask]], Iterator[Resolved]]


def resolve_with(engine: Engine) -> ResolveAll:
    """Return a way to resolve batches one after the other in this process, reading with ``engine``."""
    return lambda tasks: (resolve_task(task, engine) for task in tasks)


@dataclass(slots=True)
class _Node:
    """A record of the change: a staged record (``staged`` is its staging row id) or an affected stored one."""

    key: RecordKey
    keys: list[str]
    staged: int | None = None
    stored_id: int | None = None
    profile: str | None = None


@dataclass(slots=True)
class _Batch:
    """The records of whole parts, to resolve and store together."""

    nodes: list[_Node] = field(default_factory=list)


def _parts(nodes: Sequence[_Node], *, crowded: set[str], must: Pairs) -> list[list[int]]:
    """Return the independent parts of ``nodes`` (indices), largest first.

    Nodes are joined when they share a key that is not crowded, a must-link, or a stored profile
    (a profile's records are written by one batch, so that its id is given out once).
    """
    parent = list(range(len(nodes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}  # the first node holding each key
    for i, node in enumerate(nodes):
        for key in [*node.keys, f"\x00profile:{node.profile}"] if node.profile else node.keys:
            holder = first.setdefault(key, i)
            if holder != i and key not in crowded:
                parent[find(i)] = find(holder)
    position = {node.key: i for i, node in enumerate(nodes)}
    for a, b in must:
        if a in position and b in position:
            parent[find(position[a])] = find(position[b])
    parts: dict[int, list[int]] = defaultdict(list)
    for i in range(len(nodes)):
        parts[find(i)].append(i)
    return sorted(parts.values(), key=lambda part: (-len(part), part[0]))


def _batches(nodes: Sequence[_Node], parts: list[list[int]], *, size: int) -> list[_Batch]:
    """Pack whole parts into batches of about ``size`` records (a larger part is a batch of its own)."""
    batches: list[_Batch] = []
    current = _Batch()
    for part in parts:
        if current.nodes and len(current.nodes) + len(part) > size:
            batches.append(current)
            current = _Batch()
        current.nodes.extend(nodes[i] for i in part)
    if current.nodes:
        batches.append(current)
    return batches


@dataclass(slots=True)
class _Plan:
    """What the whole change is about: its records (nodes), the stored ones it affects, and the crowded keys."""

    nodes: list[_Node]
    stored: dict[RecordKey, store.StoredRecord]
    existing: dict[RecordKey, int]
    crowded: set[str]
    links: dict[str, Pairs]


def _crowded(*, delta: Mapping[str, int], stored: Mapping[str, int], config: ResolverConfig) -> set[str]:
    """Return the keys held by more records than their bound once the change is in (stored count plus delta)."""
    least = min(config.max_name_block, config.max_identifier_group)  # no key's bound is lower
    over = {key for key, count in delta.items() if count + stored.get(key, 0) > least}
    over |= {key for key, count in stored.items() if count > least and key not in delta}
    return {key for key in over if delta.get(key, 0) + stored.get(key, 0) > key_bound(key, config)}


def _plan(session: Session, *, changed: list[store.StagedKey], config: ResolverConfig) -> _Plan:
    """Find what the changed staged records affect, and the final count of every key (steps 2 and 3)."""
    nodes = [_Node(key=(row.source, row.source_record_id), keys=orjson.loads(row.keys), staged=row.id,
                   profile=row.stored_profile) for row in changed]
    replaced = {row.stored_id for row in changed if row.stored_id is not None}
    old_keys = store.keys_of_records(session, ids=replaced)
    delta: Counter[str] = Counter(key for node in nodes for key in node.keys)
    delta.subtract(key for keys in old_keys.values() for key in keys)
    link_kinds = store.link_kinds(session)
    affected = Affected()
    if store.has_records(session):
        affected = closure(session, seed_keys=set(delta), seed_ids=replaced, delta=delta, config=config,
                           follow_links="must" in link_kinds)
    stored = {(row.source, row.source_record_id): row for row in store.stored_records(session, ids=affected.ids)}
    nodes += [_Node(key=key, keys=affected.keys.get(row.id, []), stored_id=row.id, profile=row.profile_id)
              for key, row in sorted(stored.items()) if row.id not in replaced]
    # Every key of every record here was counted (a staged key, or a key of a loaded record).
    crowded = _crowded(delta=delta, stored=affected.counts, config=config)
    links = link_pairs(session, keys=[node.key for node in nodes]) if link_kinds else {"must": [], "cannot": []}
    existing = {(row.source, row.source_record_id): row.stored_id for row in changed if row.stored_id is not None}
    return _Plan(nodes=nodes, stored=stored, existing=existing, crowded=crowded, links=links)


def _task(batch: _Batch, plan: _Plan, *, database: str, config: ResolverConfig) -> ResolveTask:
    keys = {node.key for node in batch.nodes}
    held = {key for node in batch.nodes for key in node.keys}
    return ResolveTask(database=database, staged_ids=[n.staged for n in batch.nodes if n.staged is not None],
                       stored_ids=[n.stored_id for n in batch.nodes if n.stored_id is not None],
                       crowded=frozenset(held & plan.crowded),
                       must_link=[(a, b) for a, b in plan.links["must"] if a in keys and b in keys],
                       cannot_link=[(a, b) for a, b in plan.links["cannot"] if a in keys and b in keys], config=config)


def _record_writer(session: Session, batch: _Batch, plan: _Plan, now: datetime) -> RecordWriter:
    """Return the writer of a batch's staged records, given their profiles (see ``ingest.apply_resolution``)."""

    def write(profile_of: Mapping[RecordKey, str]) -> list[RecordOutcome]:
        staged = [(node.staged, node.key) for node in batch.nodes if node.staged is not None]
        store.write_staged(session, assignments=[(row_id, key, plan.existing.get(key), profile_of[key])
                                                 for row_id, key in staged], now=now)
        return [RecordOutcome(key, "updated" if key in plan.existing else "created", profile_of[key])
                for _, key in staged]

    return write


@contextmanager
def _step(import_id: str, name: str) -> Iterator[None]:
    """Log how long one step of applying an import took (INFO): where a long import's time goes."""
    started = time.perf_counter()
    yield
    log.info("import %s: %s in %.1f s", import_id, name, time.perf_counter() - started)


def apply_staged(session: Session, *, import_id: str, config: ResolverConfig, batch_records: int,
                 resolve_all: ResolveAll, on_progress: Callable[[int, int], None] | None = None) -> ChangeOutcome:
    """Apply every record an import has staged, in the open transaction, and remove them from staging.

    ``resolve_all`` maps resolve tasks to resolved batches in order (a worker pool, or ``resolve_with``).
    ``on_progress(applied, total)`` is told how many of the changed staged records are stored, after
    each batch (the candidate keys of them all are written after the last one).
    """
    now = utc_now()
    outcome = ChangeOutcome()
    with _step(import_id, "read the staged index"):
        index = list(store.staged_index(session, import_id=import_id))
    changed = [row for row in index if row.stored_hash != row.content_hash]
    outcome.records.extend(RecordOutcome((row.source, row.source_record_id), "unchanged", row.stored_profile)
                           for row in index if row.stored_hash == row.content_hash)
    del index
    if changed:
        total, applied = len(changed), 0
        with _step(import_id, f"planned {total:,} changed records"):
            plan = _plan(session, changed=changed, config=config)
            del changed
        with _step(import_id, f"split {len(plan.nodes):,} records into batches"):
            parts = _parts(plan.nodes, crowded=plan.crowded, must=plan.links["must"])
            batches = _batches(plan.nodes, parts, size=batch_records)
            del parts
        database = session.connection().engine.url.render_as_string(hide_password=False)
        contexts: deque[_Batch] = deque()
        store.begin_staged_writes(session)

        def tasks() -> Iterator[ResolveTask]:
            for batch in batches:
                contexts.append(batch)
                yield _task(batch, plan, database=database, config=config)

        with _step(import_id, f"resolved and stored {len(batches):,} batches"):
            for resolved in resolve_all(tasks()):
                batch = contexts.popleft()
                changed_here = {n.key: None for n in batch.nodes if n.staged is not None}
                apply_resolution(session, outcome=outcome,
                                 rows={n.key: plan.stored[n.key] for n in batch.nodes if n.key in plan.stored},
                                 changed=changed_here,
                                 write_records=_record_writer(session, batch, plan, now), deletes=(),
                                 resolution=Resolution(clusters=resolved.clusters, edges=(), refused=(),
                                                       disabled_keys=()),
                                 config=config, now=now,
                                 goldens=dict(zip(resolved.clusters, resolved.goldens, strict=True)))
                if on_progress is not None:
                    applied += len(changed_here)
                    on_progress(applied, total)
        with _step(import_id, "wrote the candidate keys"):
            store.write_staged_keys(session)
    with _step(import_id, "emptied the staging table"):
        store.delete_staged(session, import_id=import_id)
    return outcome


def bounded_map(pool: Any, function: Callable[[Any], Any], items: Iterator[Any], *, ahead: int) -> Iterator[Any]:
    """Map ``function`` over ``items`` in ``pool``, in order, with at most ``ahead`` items in flight.

    ``Pool.imap`` would take every item at once; this keeps memory bounded and leaves each item
    to be made (in this thread) only when there is room for it.
    """
    pending: deque[Any] = deque()
    for item in items:
        pending.append(pool.apply_async(function, (item,)))
        if len(pending) >= ahead:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()
