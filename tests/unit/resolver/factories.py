"""Small factories for resolver tests: records from keyword fields, partitions as sets."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from resolvers import NormalizedRecord, RecordIn, normalize_record
from resolvers.engine import Resolution

_ids = itertools.count(1)


def record(source: str = "crm", record_id: str | None = None, **fields: Any) -> NormalizedRecord:
    """Return a normalized record; ``record_id`` defaults to a fresh one."""
    fields.setdefault("observed_at", "2024-01-01T00:00:00Z")
    raw = RecordIn.model_validate({"source": source, "source_record_id": record_id or f"r{next(_ids):05d}", **fields})
    return normalize_record(raw, default_region="US")


def partition(resolution: Resolution) -> set[frozenset[tuple[str, str]]]:
    """Return the clusters of a resolution as a set of frozensets of record keys."""
    return {frozenset(cluster) for cluster in resolution.clusters}


def together(resolution: Resolution, *records: NormalizedRecord) -> bool:
    """Whether all ``records`` ended in one cluster."""
    keys = {r.key for r in records}
    return any(keys <= set(cluster) for cluster in resolution.clusters)


def cluster_of(resolution: Resolution, item: NormalizedRecord) -> frozenset[tuple[str, str]]:
    """Return the cluster holding ``item``."""
    return next(frozenset(c) for c in resolution.clusters if item.key in c)


def keys(records: Iterable[NormalizedRecord]) -> set[tuple[str, str]]:
    """Return the keys of ``records``."""
    return {r.key for r in records}
