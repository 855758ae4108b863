"""Use every core for batch work: normalization in worker processes, resolution by component.

Workers are forked (the POSIX ``fork`` start method), so they inherit the parent's data without
copying it through pipes; what travels back is primitives (wire tuples, lists of indices).
Nothing here changes a result: chunks come back in input order, components are independent (see
``blocking.components``) and every partition is sorted. With ``workers=1`` everything runs in the
calling process. This module does no I/O of its own: callers hand it lines or row mappings.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from resolvers.blocking import components
from resolvers.config import ResolverConfig
from resolvers.csv_rows import ROW_ERROR
from resolvers.engine import resolve_matched
from resolvers.features import MatchRecord, Wire, from_wire, match_record, to_wire
from resolvers.normalize.record import normalize_record
from resolvers.records import RecordIn, RecordKey

__all__ = ["NormalizedBatch", "normalize_rows", "resolve_partition"]

_CHUNK = 4000
Row = bytes | str | dict[str, Any]


@dataclass(slots=True)
class NormalizedBatch:
    """Records ready to resolve, in key order, and what was skipped or rejected on the way."""

    matched: list[MatchRecord]
    order: list[RecordKey]
    skipped: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0


@dataclass(slots=True)
class _Chunk:
    wires: list[Wire] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)


_CONFIG: list[ResolverConfig] = []
_MATCHED: list[Sequence[MatchRecord]] = []
_CROWDED: list[frozenset[str]] = []


def _normalize_chunk(rows: Sequence[Row]) -> _Chunk:
    """Validate, normalize and reduce one chunk of rows (runs in a worker)."""
    config = _CONFIG[0]
    chunk = _Chunk()
    for row in rows:
        if isinstance(row, dict) and ROW_ERROR in row:
            chunk.skipped["unreadable CSV row"] += 1
            continue
        try:
            record = RecordIn.model_validate(row) if isinstance(row, dict) else RecordIn.model_validate_json(row)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(map(str, first["loc"])) or "record"
            chunk.skipped["invalid JSON" if first["type"] == "json_invalid" else f"{where}: {first['type']}"] += 1
            continue
        normalized = normalize_record(record, default_region=config.default_region)
        chunk.rejected.update(f"{issue.field.split('[')[0].split('.')[0]}:{issue.code}" for issue in normalized.issues)
        chunk.wires.append(to_wire(match_record(normalized, index=-1, multi_valued=config.multi_valued_namespaces)))
    return chunk


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        if isinstance(row, bytes | str) and not row.strip():
            continue
        chunk.append(row)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pool_map(function: Callable[[Any], Any], items: Iterable[Any], workers: int) -> Iterator[Any]:
    """Map ``function`` over ``items`` in ``workers`` forked processes, results in order."""
    if workers <= 1:
        yield from map(function, items)
        return
    gc.freeze()  # keep the garbage collector from touching (and so copying) inherited pages
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(function, items)
    gc.unfreeze()


def normalize_rows(rows: Iterable[Row], *, config: ResolverConfig, workers: int = 1,
                   progress: Callable[[int], None] | None = None) -> NormalizedBatch:
    """Normalize rows (NDJSON lines or mappings) into match records, in key order.

    A record key seen twice keeps its last version, as repeated upserts would.
    """
    _CONFIG[:] = [config]
    wires: dict[RecordKey, Wire] = {}
    order: dict[RecordKey, None] = {}
    batch = NormalizedBatch(matched=[], order=[])
    for chunk in _pool_map(_normalize_chunk, _chunks(rows), workers):
        batch.skipped.update(chunk.skipped)
        batch.rejected.update(chunk.rejected)
        for wire in chunk.wires:
            key = wire[0]
            if key in wires:
                batch.duplicates += 1
                del order[key]
            wires[key] = wire
            order[key] = None
        if progress is not None:
            progress(len(chunk.wires))
    batch.order = list(order)
    for index, key in enumerate(sorted(wires)):
        batch.matched.append(from_wire(wires.pop(key), index=index))
    return batch


def _resolve_share(share: list[int]) -> list[list[int]]:
    """Resolve the records at positions ``share`` of the inherited list (runs in a worker)."""
    matched = _MATCHED[0]
    subset = [matched[position].at(i) for i, position in enumerate(share)]
    resolution = resolve_matched(subset, config=_CONFIG[0], explain=False, crowded=_CROWDED[0])
    local = {record.key: i for i, record in enumerate(subset)}
    return [[share[local[key]] for key in cluster] for cluster in resolution.clusters]


def resolve_partition(matched: Sequence[MatchRecord], *, config: ResolverConfig,
                      workers: int = 1) -> list[tuple[RecordKey, ...]]:
    """Return the partition of ``matched`` (in key order, ``matched[i].index == i``), using ``workers``.

    Components are dealt to workers largest first, each to the least loaded, so the work is
    balanced; each worker resolves its components together, which gives the same clusters as
    resolving each alone.
    """
    if workers <= 1:
        return list(resolve_matched(matched, config=config, explain=False).clusters)
    loads = [0] * workers
    shares: list[list[int]] = [[] for _ in range(workers)]
    split = components(matched, config)
    for members in split.parts:
        target = loads.index(min(loads))
        shares[target].extend(members)
        loads[target] += len(members)
    _CONFIG[:] = [config]
    _MATCHED[:] = [matched]
    _CROWDED[:] = [split.crowded]
    partition: list[tuple[RecordKey, ...]] = []
    try:
        for clusters in _pool_map(_resolve_share, [sorted(share) for share in shares if share], workers):
            partition.extend(tuple(matched[i].key for i in cluster) for cluster in clusters)
    finally:
        _MATCHED.clear()
    return sorted(partition)

