"""Incremental resolution: apply a change to the records of the affected components.

The caller (the service) loads the records of every component a change can touch — all records
transitively sharing a candidate key with the changed records (``blocking.record_keys``) — and
the current partition of those records. ``resolve_change`` applies the upserts and deletions,
resolves the result from scratch with ``engine.resolve`` and describes the difference as
cluster changes. Because ``resolve`` only reads records that share keys, resolving a closed
set of components this way gives exactly the clusters a full re-resolution would.

A change is described cluster by cluster: the old and new clusters that share records form one
group, and the group's shape names the change (created, removed, unchanged, changed, merged,
split, or rearranged when clusters both merged and split at once).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from resolvers.blocking import components
from resolvers.config import ResolverConfig
from resolvers.engine import Resolution, resolve
from resolvers.features import match_record
from resolvers.records import NormalizedRecord, RecordKey

__all__ = ["ClusterChange", "IdAssignment", "ProfileEvent", "affected_keys", "assign_profile_ids", "diff_partitions",
           "resolve_change"]

Cluster = tuple[RecordKey, ...]


@dataclass(frozen=True, slots=True)
class ClusterChange:
    """How a group of old clusters became a group of new ones."""

    kind: str
    before: tuple[Cluster, ...]
    after: tuple[Cluster, ...]


def _kind(before: Sequence[Cluster], after: Sequence[Cluster]) -> str:
    if not before:
        return "created"
    if not after:
        return "removed"
    if len(before) == 1 and len(after) == 1:
        return "unchanged" if set(before[0]) == set(after[0]) else "changed"
    if len(after) == 1:
        return "merged"
    if len(before) == 1:
        return "split"
    return "rearranged"


def diff_partitions(before: Iterable[Iterable[RecordKey]],
                    after: Iterable[Iterable[RecordKey]]) -> tuple[ClusterChange, ...]:
    """Describe how partition ``before`` became partition ``after``, group by group."""
    old = [tuple(sorted(c)) for c in before]
    new = [tuple(sorted(c)) for c in after]
    # Union-find over cluster nodes ("o", i) and ("n", j) joined when they share a record.
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(node: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    owner: dict[RecordKey, int] = {key: i for i, cluster in enumerate(old) for key in cluster}
    for j, cluster in enumerate(new):
        find(("n", j))
        for key in cluster:
            if key in owner:
                parent[find(("o", owner[key]))] = find(("n", j))
    for i in range(len(old)):
        find(("o", i))
    groups: dict[tuple[str, int], tuple[list[Cluster], list[Cluster]]] = {}
    for node in sorted(parent):
        side, index = node
        olds, news = groups.setdefault(find(node), ([], []))
        (olds if side == "o" else news).append(old[index] if side == "o" else new[index])
    changes = [ClusterChange(kind=_kind(b, a), before=tuple(sorted(b)), after=tuple(sorted(a)))
               for b, a in groups.values()]
    return tuple(sorted(changes, key=lambda c: (c.after or c.before)[0]))


def resolve_change(
    records: Iterable[NormalizedRecord],
    *,
    previous: Iterable[Iterable[RecordKey]],
    upserts: Iterable[NormalizedRecord] = (),
    deletes: Iterable[RecordKey] = (),
    config: ResolverConfig | None = None,
    must_link: Iterable[tuple[RecordKey, RecordKey]] = (),
    cannot_link: Iterable[tuple[RecordKey, RecordKey]] = (),
) -> tuple[Resolution, tuple[ClusterChange, ...]]:
    """Apply upserts and deletions to the affected records, re-resolve them and diff the partition.

    ``records`` are the current records of the affected components and ``previous`` their current
    partition; an upsert replaces the record with the same key.
    """
    current = {r.key: r for r in records}
    for key in deletes:
        current.pop(key, None)
    for record in upserts:
        current[record.key] = record
    resolution = resolve(current.values(), config=config, must_link=must_link, cannot_link=cannot_link)
    return resolution, diff_partitions(previous, resolution.clusters)


def _component_keys(records: Sequence[NormalizedRecord], changed: set[RecordKey],
                    config: ResolverConfig) -> set[RecordKey]:
    ordered = sorted(records, key=lambda r: r.key)
    matched = [match_record(r, index=i, multi_valued=config.multi_valued_namespaces) for i, r in enumerate(ordered)]
    found: set[RecordKey] = set()
    for members in components(matched, config).parts:
        member_keys = {matched[i].key for i in members}
        if member_keys & changed:
            found |= member_keys
    return found


def affected_keys(before: Sequence[NormalizedRecord], after: Sequence[NormalizedRecord],
                  changed: Iterable[RecordKey], config: ResolverConfig | None = None) -> set[RecordKey]:
    """Return the keys of every record whose cluster a change may alter.

    That is every record in a component (``blocking.components``) holding a changed record,
    before the change (a deleted record may have been the bridge) or after it (a new one may
    bridge). This is the reference the service's database closure must reproduce.
    """
    config = config or ResolverConfig()
    touched = set(changed)
    return (_component_keys(before, touched, config) | _component_keys(after, touched, config)) - (
        touched - {r.key for r in after})


@dataclass(frozen=True, slots=True)
class ProfileEvent:
    """A change of a profile id, as the change feed reports it.

    ``type`` is ``profile.created``, ``profile.updated``, ``profile.merged`` (``related``: the
    absorbed ids), ``profile.split`` (``related``: the new ids) or ``profile.erased``.
    """

    type: str
    profile_id: str
    related: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IdAssignment:
    """Profile ids for the new clusters, what became of retired ids, and the events to publish."""

    ids: dict[Cluster, str]
    merged_into: dict[str, str]
    erased: tuple[str, ...]
    events: tuple[ProfileEvent, ...]
    revived: tuple[str, ...] = ()  # merged-away ids live again (``assign_profile_ids``)
    repointed: dict[str, str] = field(default_factory=dict)  # other merged-away ids, to the id taken back


def _survivor_order(cluster: Cluster, current: dict[Cluster, str], age: dict[str, int]) -> tuple[int, int, str]:
    """Sort key of old clusters for keeping their id: most records, then oldest id, then smallest id."""
    profile = current[cluster]
    return (-len(cluster), age.get(profile, 0), profile)


def _homes(news: Sequence[Cluster], *, olds: Iterable[str], origins: Mapping[RecordKey, str],
           merged: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """Return, for each id merged into one of ``olds``, the cluster of ``news`` holding most of its first records.

    As ``(its index in news, how many it holds)``; ties go to the cluster first in ``news`` (the
    larger one, as it is sorted).
    """
    olds = set(olds)
    held: dict[str, Counter[int]] = {}
    for index, cluster in enumerate(news):
        for key in cluster:
            origin = origins.get(key)
            if origin is not None and merged.get(origin) in olds:
                held.setdefault(origin, Counter())[index] += 1
    return {origin: min(((i, n) for i, n in counts.items()), key=lambda item: (-item[1], item[0]))
            for origin, counts in held.items()}


def _keepers(news: Sequence[Cluster], overlaps: Mapping[Cluster, Counter[int]]) -> dict[int, int]:
    """Return the old profile (by survivor order) whose id each part of ``news`` keeps, by the part's index.

    Pairs of an old profile and a part holding some of its records are taken greedily: most of its
    records first, then the part they make up the larger share of, then survivor order, then the
    parts' order. Each id goes to one part, each part keeps one id.
    """
    pairs = sorted((-held, -held / len(cluster), old, index) for index, cluster in enumerate(news)
                   for old, held in overlaps[cluster].items())
    kept: dict[int, int] = {}
    placed: set[int] = set()
    for _, _, old, index in pairs:
        if old not in placed and index not in kept:
            kept[index] = old
            placed.add(old)
    return kept


def _revived(homed: Sequence[tuple[int, str]], *, split_from: set[str], merged: Mapping[str, str],
             taken: set[str]) -> str | None:
    """Return the merged-away id that a cluster split off a profile in ``split_from`` takes back; None if none.

    ``homed`` holds ``(-records, id)`` of the merged-away ids whose first records no other cluster
    holds more of (``_homes``). The id is one of those merged into that profile; of several, the one
    with most records in the cluster (ties: the smallest id).
    """
    held = [(count, origin) for count, origin in homed if merged[origin] in split_from and origin not in taken]
    return min(held)[1] if held else None


def assign_profile_ids(changes: Sequence[ClusterChange], *, current: dict[Cluster, str], age: dict[str, int],
                       new_id: Callable[[], str], origins: Mapping[RecordKey, str] | None = None,
                       merged: Mapping[str, str] | None = None) -> IdAssignment:
    """Give every new cluster a profile id so that ids stay stable (ARCHITECTURE.md, property 5).

    A merge keeps the id of the largest old profile (ties: the oldest, then the smallest id) and the
    others answer "merged into" it; a split keeps the id on the part with the most records (ties:
    where the profile splits alone, the part with more records first stored in it; then the one
    with the smallest record key) and gives the other parts new ids. ``current`` maps old clusters
    to their ids, ``age`` orders ids by creation (smaller is older), ``new_id`` mints ids.

    A part split off takes back, rather than a new id, an id that was merged into the profile it
    left and whose first records it holds most of (``_revived``): once the record that bridged two
    people is erased, the id a service stored for the second one names that person again, not the
    first. ``origins`` gives the first profile id of stored records and ``merged`` the live id each
    merged-away id among them answers; without them every part split off gets a new id. Any other
    merged-away id whose first records are mostly in a part that took an id back then points at
    that part, where its person is (``repointed``; one merged into the id taken back, say, before
    that one was merged on).
    """
    origins = origins or {}
    merged = merged or {}
    ids: dict[Cluster, str] = {}
    merged_into: dict[str, str] = {}
    erased: list[str] = []
    events: list[ProfileEvent] = []
    revived: list[str] = []
    repointed: dict[str, str] = {}
    for change in changes:
        if change.kind == "removed":
            for old in change.before:
                erased.append(current[old])
                events.append(ProfileEvent("profile.erased", current[old]))
            continue
        olds = sorted(change.before, key=lambda c: _survivor_order(c, current, age))
        # Old profiles by their index in survivor order (a cluster's hash reads all its records).
        old_ids = [current[old] for old in olds]
        old_set = set(old_ids)
        old_of = {key: i for i, old in enumerate(olds) for key in old}
        # How many records each new cluster takes from each old one: counted once, as a profile may
        # fall apart into thousands of parts.
        overlaps = {cluster: Counter(old_of[key] for key in cluster if key in old_of) for cluster in change.after}
        # The parts' order, the last tie between them (``_keepers``, ``_homes``): largest first; then,
        # where one profile splits alone, most records first stored in it; then the smallest record key.
        alone = old_ids[0] if len(olds) == 1 and origins else None
        news = sorted(change.after, key=lambda c: (-len(c), -sum(origins.get(k) == alone for k in c) if alone else 0,
                                                   c[0]))
        taken: set[str] = set()
        minted: set[str] = set()
        parents: dict[str, str] = {}  # the old profile whose split announces a new id holding old records
        homed: dict[int, list[tuple[int, str]]] = defaultdict(list)  # by index in news
        for origin, (home, count) in (_homes(news, olds=old_ids, origins=origins, merged=merged)
                                      if merged else {}).items():
            homed[home].append((-count, origin))
        keepers = _keepers(news, overlaps)
        taken.update(old_ids[old] for old in keepers.values())
        for index, cluster in enumerate(news):
            overlap = overlaps[cluster]
            best = keepers.get(index)
            if best is not None:
                ids[cluster] = old_ids[best]
            else:
                split_from = {old_ids[i] for i in overlap}
                back = _revived(homed.get(index, []), split_from=split_from, merged=merged, taken=taken)
                ids[cluster] = new_id() if back is None else back
                minted.add(ids[cluster])
                if back is not None:
                    revived.append(back)
                    parents[back] = merged[back]
                elif overlap:
                    # Parts of several profiles: the one giving it most records (ties: survivor order).
                    parents[ids[cluster]] = old_ids[max(overlap, key=lambda i: (overlap[i], -i))]
            taken.add(ids[cluster])
        # A new id holding records of an old profile is announced by that profile's split (its
        # new_ids); one holding only records new to profiles, as created. Every id is announced once.
        events.extend(ProfileEvent("profile.created", ids[cluster]) for cluster in news
                      if ids[cluster] in minted and not overlaps[cluster])
        announced: dict[str, list[str]] = defaultdict(list)
        for new, parent in parents.items():
            announced[parent].append(new)
        for i, profile in enumerate(old_ids):
            if profile not in taken:
                # Its records moved to others: it answers "merged into" the one holding most of them.
                target = max((c for c in news if i in overlaps[c]), key=lambda c: overlaps[c][i])
                merged_into[profile] = ids[target]
                continue
            # Split off: the parts given new ids. Records that moved to another old profile's id
            # are no split: both profiles are updated. A part taking records of several profiles
            # is announced by one of them (``parents``), so that no id is announced twice.
            new_homes = sorted(announced.get(profile, ()))
            if new_homes:
                events.append(ProfileEvent("profile.split", profile, tuple(new_homes)))
        # A merged-away id whose first records are mostly in a part it does not answer (one that took
        # an id back, or another profile's that they moved to) now points at that part: its person.
        pointed = {origin: ids[news[home]] for home, held in homed.items() for _, origin in held
                   if ids[news[home]] not in (origin, merged_into.get(merged[origin], merged[origin]))}
        repointed |= pointed
        for cluster in news:
            absorbed = tuple(sorted([*(p for p, target in merged_into.items() if target == ids[cluster]
                                       and p in old_set),
                                     *(p for p, target in pointed.items() if target == ids[cluster])]))
            if absorbed:
                events.append(ProfileEvent("profile.merged", ids[cluster], absorbed))
            elif change.kind in ("changed", "rearranged") and ids[cluster] in old_set:
                events.append(ProfileEvent("profile.updated", ids[cluster]))
    return IdAssignment(ids=ids, merged_into=merged_into, erased=tuple(erased), events=tuple(events),
                        revived=tuple(revived), repointed=repointed)
