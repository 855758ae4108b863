"""The region of a change: the records whose profiles a change can alter, and the context that decides them.

Resolving a change's whole candidate component (every record transitively sharing an uncrowded
key with it, ``blocking.components``) is exact, but components percolate as data grows: over a
million records one of them holds over a hundred thousand. Clustering itself is local, though.
Edges are applied strongest first under constraints that look only at the two clusters being
joined, so the clusters of a set of records that no *strong* edge leaves (an edge over its
threshold, applied or refused) depend on the edges inside that set alone. A change can only
alter edges

* inside the identifier groups of the records it touches (a value's people are recounted), and
  so the stage-1 clusters of the records that share identifiers with them, transitively;
* between the stage-1 clusters holding a profile key that those records carry (a key's crowd and
  its people are recounted, a cluster's profile changes).

Those records are the *seeds*. The *region* grows from them until it is closed under strong
edges and under stored profiles (a profile that loses its bridge is re-decided whole); records
outside it keep their clusters, and the region's own clusters come out as a resolution of
everything would give them. Deciding it exactly needs its *context*: every holder of every key
of the region (to count a value's people and a key's crowd), with the records they share
identifiers with (so that their own stage-1 clusters are right). The region is found by
resolving that context and following the strong edges that leave the region, until none does.

Both states count: keys are followed when they are within their bound before or after the
change, and through their holders before and after, so the region covers what the change
breaks as well as what it joins. The stored state is read through ``StoredState``, so the same
code runs over the service's database and over records held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from resolvers.blocking import is_profile_key, key_bound, record_keys
from resolvers.config import ResolverConfig
from resolvers.engine import Resolution, resolve_matched
from resolvers.features import MatchRecord
from resolvers.records import RecordKey

__all__ = ["Region", "StoredState", "change_region"]

Link = tuple[RecordKey, RecordKey]
# A record as the stored state names it: its key, or a cheaper handle such as a row id.
R = TypeVar("R", bound=Hashable)
K = TypeVar("K")
V = TypeVar("V")


class StoredState(Protocol[R]):
    """Read access to the records as stored before a change, and to what is stored with them.

    Records are named by ``R``, a change's new records too (the caller names them). Each method
    answers for every item asked about; an item it says nothing of has nothing.
    """

    def keys_of(self, records: Collection[R]) -> Mapping[R, Collection[str]]:
        """Return the candidate keys (``blocking.record_keys``) of the stored records among ``records``."""

    def counts(self, keys: Collection[str]) -> Mapping[str, int]:
        """Return how many stored records hold each key."""

    def holders(self, keys: Collection[str]) -> Mapping[str, Collection[R]]:
        """Return the stored records holding each key (asked only of keys within their bound)."""

    def mates(self, records: Collection[R]) -> Mapping[R, Collection[R]]:
        """Return the records of each stored record's profile."""

    def partners(self, records: Collection[R]) -> Mapping[R, Collection[R]]:
        """Return the records a stored must-link joins to each record."""

    def matches(self, records: Collection[R]) -> Mapping[R, MatchRecord]:
        """Return the stored match forms of ``records`` (each carries its record key)."""

    def links(self, records: Collection[R]) -> tuple[list[Link], list[Link]]:
        """Return the stored must-links and cannot-links between two of ``records`` (read by ``matches``)."""


@dataclass(frozen=True, slots=True)
class Region(Generic[R]):
    """The records a change re-decides, their clusters after it, and what was read to decide them.

    ``decided`` holds live and deleted records and is a union of stored profiles; ``clusters``
    partition its live records, by record key. ``resolution`` resolves everything that was read
    (``read`` records): exact for the decided records only.
    """

    decided: frozenset[R]
    clusters: tuple[tuple[RecordKey, ...], ...]
    resolution: Resolution
    read: int


def _read_through(cache: dict[K, V], items: Iterable[K], fetch: Callable[[set[K]], Mapping[K, V]],
                  missing: V) -> None:
    """Fill ``cache`` with ``fetch``'s answer for the items it does not hold yet (``missing`` where it has none)."""
    unknown = {item for item in items if item not in cache}
    if unknown:
        found = fetch(unknown)
        for item in unknown:
            cache[item] = found.get(item, missing)


class _Change(Generic[R]):
    """The stored state before and after a change, read lazily and remembered."""

    def __init__(self, stored: StoredState[R], *, upserts: Mapping[R, MatchRecord],
                 deletes: Collection[R], config: ResolverConfig) -> None:
        self._stored = stored
        self._upserts = upserts
        self.deletes = frozenset(deletes) - set(upserts)
        self._config = config
        self._new_keys = {key: frozenset(record_keys(record)) for key, record in upserts.items()}
        self._old_keys: dict[R, Collection[str]] = {}
        self._counts: dict[str, int] = {}
        self._holders: dict[str, Collection[R]] = {}
        self._mates: dict[R, Collection[R]] = {}
        self._partners: dict[R, Collection[R]] = {}
        self._matches: dict[R, MatchRecord] = {}
        # Record key → record, for the records resolved (a resolution names records by key).
        self.named: dict[RecordKey, R] = {}
        self._delta: dict[str, int] = {}
        changed = set(upserts) | self.deletes
        self._read_keys(changed)
        for record in changed:
            for key in self._old_keys[record]:
                self._delta[key] = self._delta.get(key, 0) - 1
            for key in self._new_keys.get(record, ()):
                self._delta[key] = self._delta.get(key, 0) + 1

    def _read_keys(self, records: Iterable[R]) -> None:
        _read_through(self._old_keys, records, self._stored.keys_of, frozenset())

    def keys(self, record: R) -> set[str]:
        """Return the record's keys before and after the change (read with ``_read_keys`` first)."""
        return {*self._old_keys[record], *self._new_keys.get(record, ())}

    def keys_after(self, record: R) -> Collection[str]:
        """Return the record's keys after the change (read with ``_read_keys`` first)."""
        if record in self._upserts:
            return self._new_keys[record]
        return () if record in self.deletes else self._old_keys[record]

    def count_after(self, key: str) -> int:
        """Return how many records hold ``key`` after the change (counts read first)."""
        return self._counts[key] + self._delta.get(key, 0)

    def _followed_holders(self, keys: set[str]) -> set[R]:
        """Return the records holding, before or after the change, a key of ``keys`` that may link records.

        A key may link records when it is within its bound before or after the change: held by at
        most ``bound + max(0, -delta)`` stored records.
        """
        limits = {k: key_bound(k, self._config) + max(0, -self._delta.get(k, 0)) for k in keys}
        _read_through(self._counts, keys, self._stored.counts, 0)
        followed = {k for k in keys if self._counts[k] <= limits[k]}
        _read_through(self._holders, {k for k in followed if self._counts[k]}, self._stored.holders, ())
        found = {record for key in followed for record in self._holders.get(key, ())}
        return found | {record for record, new in self._new_keys.items() if not followed.isdisjoint(new)}

    def _neighbours(self, records: set[R], *, profile: bool) -> set[R]:
        """Return the records sharing a followed key with ``records``: a profile key, or an identifier or must-link."""
        self._read_keys(records)
        held = {k for r in records for k in self.keys(r)}
        # Every key of a record is counted at once: the other kind is followed next, and all of them
        # decide which keys are crowded when the records are resolved.
        _read_through(self._counts, held, self._stored.counts, 0)
        found = self._followed_holders({k for k in held if is_profile_key(k) == profile})
        if not profile:
            _read_through(self._partners, records, self._stored.partners, ())
            found.update(partner for record in records for partner in self._partners[record])
        return found

    def identifier_closure(self, start: set[R]) -> set[R]:
        """Return ``start`` and the records joined to it through identifiers and must-links, transitively."""
        found, frontier = set(start), set(start)
        while frontier:
            frontier = self._neighbours(frontier, profile=False) - found
            found |= frontier
        return found

    def with_key_holders(self, records: set[R]) -> set[R]:
        """Return ``records`` and every holder of a profile key one of them carries."""
        return records | self._neighbours(records, profile=True)

    def with_mates(self, records: set[R]) -> set[R]:
        """Return ``records`` and the records of their stored profiles."""
        _read_through(self._mates, records, self._stored.mates, ())
        return records | {mate for record in records for mate in self._mates[record]}

    def resolve(self, records: set[R], *, explain: bool) -> Resolution:
        """Resolve the live ``records`` as they are after the change, with their stored links."""
        live = records - self.deletes
        self._read_keys(live)
        unread = [r for r in live if r not in self._upserts and r not in self._matches]
        if unread:
            self._matches.update(self._stored.matches(unread))
        forms = {r: self._upserts[r] if r in self._upserts else self._matches[r] for r in live}
        self.named.update((form.key, r) for r, form in forms.items())
        matched = [form.at(i) for i, form in enumerate(sorted(forms.values(), key=lambda form: form.key))]
        keys = {k for r in live for k in self.keys_after(r)}
        _read_through(self._counts, keys, self._stored.counts, 0)
        crowded = frozenset(k for k in keys if self.count_after(k) > key_bound(k, self._config))
        must, cannot = self._stored.links(live)
        return resolve_matched(matched, config=self._config, explain=explain, refusals=True, crowded=crowded,
                               must_link=must, cannot_link=cannot)


def _leaving(resolution: Resolution, region: set[R], named: Mapping[RecordKey, R]) -> set[R]:
    """Return the records outside ``region`` that a strong edge joins to it: a shared cluster or a refusal."""
    found: set[R] = set()
    for cluster in resolution.clusters:
        members = {named[key] for key in cluster}
        if not region.isdisjoint(members):
            found |= members
    for refusal in resolution.refused:
        ends = {named[refusal.edge.a], named[refusal.edge.b]}
        if not region.isdisjoint(ends):
            found |= ends
    return found - region


def change_region(stored: StoredState[R], *, upserts: Mapping[R, MatchRecord] | None = None,
                  deletes: Collection[R] = (), seeds: Collection[R] = (),
                  config: ResolverConfig, explain: bool = False) -> Region[R]:
    """Return the region of a change (see the module docstring) and its clusters after the change.

    ``upserts`` are the new versions of records (new or stored), ``deletes`` the records erased,
    ``seeds`` records whose stored links changed. With ``explain`` the resolution carries every
    edge with its evidence.
    """
    upserts = upserts or {}
    change = _Change(stored, upserts=upserts, deletes=deletes, config=config)
    decided = change.with_key_holders(change.identifier_closure({*upserts, *deletes, *seeds}))
    resolved: tuple[set[R], Resolution] | None = None
    while True:
        decided = change.with_mates(decided)
        read = change.identifier_closure(change.with_key_holders(decided))
        if resolved is None or resolved[0] != read:
            # A region that grew within what was read already has the resolution it had.
            resolved = read, change.resolve(read, explain=explain)
        resolution = resolved[1]
        reached = _leaving(resolution, decided, change.named)
        if not reached:
            break
        decided |= reached
    clusters = tuple(cluster for cluster in resolution.clusters if change.named[cluster[0]] in decided)
    return Region(decided=frozenset(decided), clusters=clusters, resolution=resolution, read=len(read))
