"""Small factories for resolver tests: records from keyword fields, partitions as sets."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from resolvers import NormalizedRecord, RecordIn, RecordKey, normalize_record
from resolvers.blocking import record_keys
from resolvers.config import ResolverConfig
from resolvers.engine import Resolution, resolve
from resolvers.features import MatchRecord, match_record
from resolvers.region import Region, change_region

Link = tuple[RecordKey, RecordKey]
# Batches of changes: (upserts, records to delete, links to set or drop as (kind, a, b), kind "drop" to drop).
History = list[tuple[list[NormalizedRecord], list[RecordKey], list[tuple[str, RecordKey, RecordKey]]]]

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


class MemoryState:
    """Records held in memory, answering as the service's database does for ``change_region``."""

    def __init__(self, records: dict[RecordKey, MatchRecord], clusters: Iterable[frozenset[RecordKey]],
                 links: dict[tuple[RecordKey, RecordKey], str]) -> None:
        self._records = records
        self._keys = {key: record_keys(record) for key, record in records.items()}
        self._index: dict[str, set[RecordKey]] = defaultdict(set)
        for key, held in self._keys.items():
            for value in held:
                self._index[value].add(key)
        self._profile = {key: cluster for cluster in clusters for key in cluster}
        self._links = links

    def keys_of(self, records: Collection[RecordKey]) -> dict[RecordKey, list[str]]:
        return {r: self._keys[r] for r in records if r in self._keys}

    def counts(self, keys: Collection[str]) -> dict[str, int]:
        return {k: len(self._index[k]) for k in keys if k in self._index}

    def holders(self, keys: Collection[str]) -> dict[str, set[RecordKey]]:
        return {k: self._index[k] for k in keys if k in self._index}

    def mates(self, records: Collection[RecordKey]) -> dict[RecordKey, frozenset[RecordKey]]:
        return {r: self._profile[r] for r in records if r in self._profile}

    def partners(self, records: Collection[RecordKey]) -> dict[RecordKey, set[RecordKey]]:
        found: dict[RecordKey, set[RecordKey]] = defaultdict(set)
        for (a, b), kind in self._links.items():
            if kind == "must":
                found[a].add(b)
                found[b].add(a)
        return {r: found[r] for r in records if r in found}

    def matches(self, records: Collection[RecordKey]) -> dict[RecordKey, MatchRecord]:
        return {r: self._records[r] for r in records}

    def links(self, records: Collection[RecordKey]) -> tuple[list[Link], list[Link]]:
        among = set(records)
        pairs = {kind: [(a, b) for (a, b), k in sorted(self._links.items()) if k == kind and {a, b} <= among]
                 for kind in ("must", "cannot")}
        return pairs["must"], pairs["cannot"]


def replay_regions(batches: History, config: ResolverConfig | None = None) -> list[Region]:
    """Apply each batch (links first) to its region only; check each partition against resolving everything.

    Return each batch's region.
    """
    config = config or ResolverConfig()
    regions: list[Region] = []
    live: dict[RecordKey, NormalizedRecord] = {}
    clusters: set[frozenset[RecordKey]] = set()
    links: dict[Link, str] = {}
    for upserts, deletions, link_changes in batches:
        seeds: set[RecordKey] = set()
        for kind, a, b in link_changes:
            if a != b and {a, b} <= set(live):
                # Links are stored first and their records re-resolved, as the service does.
                links.pop((b, a), None)
                if kind == "drop":
                    links.pop((a, b), None)
                else:
                    links[(a, b)] = kind
                seeds |= {a, b}
        deleted = set(deletions) & set(live) - {r.key for r in upserts}
        stored = MemoryState({k: match_record(r, index=-1) for k, r in live.items()}, clusters, links)

        region = change_region(stored, upserts={r.key: match_record(r, index=-1) for r in upserts}, deletes=deleted,
                               seeds=seeds, config=config)
        regions.append(region)

        assert all(c <= region.decided or c.isdisjoint(region.decided) for c in clusters)
        clusters = {c for c in clusters if c.isdisjoint(region.decided)} | {frozenset(c) for c in region.clusters}
        live = {k: r for k, r in live.items() if k not in deleted} | {r.key: r for r in upserts}
        links = {pair: kind for pair, kind in links.items() if not set(pair) & deleted}
        must = [pair for pair, kind in sorted(links.items()) if kind == "must"]
        cannot = [pair for pair, kind in sorted(links.items()) if kind == "cannot"]
        expected = resolve(list(live.values()), config=config, must_link=must, cannot_link=cannot).clusters
        assert clusters == {frozenset(c) for c in expected}
    return regions
