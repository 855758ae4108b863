"""Candidate generation: which records (stage 1) and which profiles (stage 2) are compared.

Stage 1 compares records that share an identifier value. Stage 2 compares stage-1 clusters that
share a *profile key*: a full name (formal given name × surname token, and its phonetic form), a
given name at an employer, or a name spelled out in a mailbox. A key carried by more records or
profiles than the configured bound stops producing candidates and is reported, so the work per
record stays bounded and no single value can chain a crowd together.

``record_keys`` lists every key a record can meet others on; the records transitively sharing
keys with a changed record are exactly the ones whose clusters the change can affect.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from resolvers.compare import Level, name_levels, names_conflict
from resolvers.config import ResolverConfig
from resolvers.features import IdentifierClass, MatchRecord, exclusive_kind
from resolvers.normalize.names import PersonName

__all__ = ["Components", "IdentifierGroup", "ValuePeople", "components", "identifier_groups", "is_profile_key",
           "key_bound", "name_order", "profile_candidates", "profile_key_counts", "record_keys", "value_people"]


@dataclass(frozen=True, slots=True)
class IdentifierGroup:
    """The records that share one identifier value, and the value's class."""

    klass: IdentifierClass
    members: list[int]


def identifier_groups(records: Sequence[MatchRecord], config: ResolverConfig, disabled: list[tuple[str, int]],
                      crowded: frozenset[str] = frozenset()) -> dict[str, IdentifierGroup]:
    """Return every identifier value shared by two or more records (within the bound).

    ``crowded`` keys are over the bound in a larger record set that this one is a part of.
    """
    members: dict[str, list[int]] = defaultdict(list)
    classes: dict[str, IdentifierClass] = {}
    for record in records:
        for value, klass in record.identifiers:
            members[value].append(record.index)
            classes[value] = klass
    groups = {}
    for value, indices in members.items():
        if len(indices) > config.max_identifier_group or value in crowded:
            disabled.append((value, len(indices)))
        elif len(indices) > 1:
            groups[value] = IdentifierGroup(klass=classes[value], members=indices)
    return groups


def name_order(name: PersonName) -> tuple[str, tuple[str, ...], str, str]:
    """Return a sort key for names, so that every iteration over names is deterministic."""
    return (name.first_key, name.last_tokens, name.first or "", name.last or "")


@dataclass(frozen=True, slots=True)
class ValuePeople:
    """Who is seen on one identifier value: person-like groups of names, and whether it is shared."""

    shared: bool
    person_of: dict[int, int]


def value_people(members: Iterable[int], records: Sequence[MatchRecord]) -> ValuePeople:
    """Group the names seen on a value into person-like groups.

    Names whose given names strongly agree (and whose surnames do not conflict) form one group,
    so a typo does not make one person look like two. The value is *shared* when two groups hold
    conflicting names. A group that itself holds conflicting names (a lone "John" joining "John
    Smith" and "John Brown") is ambiguous: its records are not assigned to anyone.
    """
    by_name: dict[PersonName, list[int]] = defaultdict(list)
    for i in members:
        name = records[i].name
        if name is not None and name.first_tokens and not name.initial_only and not name.ambiguous:
            by_name[name].append(i)
    if len(by_name) == 1:
        (name, indices), = by_name.items()
        return ValuePeople(shared=False, person_of=dict.fromkeys(indices, 0))
    names = sorted(by_name, key=name_order)
    parent = list(range(len(names)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            first, last = name_levels(a, names[j])
            if first.strong and last != Level.DIFFERENT:
                parent[root(j)] = root(i)
    shared, ambiguous = False, set()
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            if names_conflict(a, names[j]):
                if root(i) == root(j):
                    ambiguous.add(root(i))
                else:
                    shared = True
    person_of = {record: root(i) for i, name in enumerate(names) if root(i) not in ambiguous
                 for record in by_name[name]}
    return ValuePeople(shared=shared, person_of=person_of)


def _cluster_keys(members: Iterable[int], records: Sequence[MatchRecord]) -> set[str]:
    """Return a cluster's profile keys: the union of its records' (see ``features.profile_keys``)."""
    keys: set[str] = set()
    for i in members:
        keys |= records[i].profile_keys
    return keys


def profile_key_counts(records: Sequence[MatchRecord]) -> dict[str, int]:
    """Return how many records hold each profile key (a key over the bound links nothing)."""
    counts: dict[str, int] = defaultdict(int)
    for record in records:
        for key in record.profile_keys:
            counts[key] += 1
    return counts


# Kinds of identifier one person has only one of: distinct values among a key's profiles are a
# lower bound on how many people carry the key.
_EXCLUSIVE_KINDS = ("instagram", "tiktok", "x", "facebook", "youtube", "snapchat", "linkedin")


def profile_candidates(clusters: dict[int, list[int]], records: Sequence[MatchRecord], config: ResolverConfig,
                       disabled: list[tuple[str, int]],
                       crowded: frozenset[str] = frozenset()) -> dict[tuple[int, int], tuple[int, int]]:
    """Return candidate cluster pairs with their context: (crowd, people) of their most specific key.

    ``crowd`` is how many clusters carry the key, ``people`` a lower bound on how many different
    people do (distinct exclusive identifiers, such as social handles, among them). ``crowded``
    keys are over the bound in a larger record set that this one is a part of.
    """
    holders = profile_key_counts(records)
    blocks: dict[str, list[int]] = defaultdict(list)
    for root in sorted(clusters):
        for key in _cluster_keys(clusters[root], records):
            blocks[key].append(root)
    exclusive: dict[int, frozenset[tuple[str, str]]] = {}

    def exclusive_values(root: int) -> frozenset[tuple[str, str]]:
        """Return the cluster's values of the exclusive kinds, as (kind, value)."""
        if root not in exclusive:
            exclusive[root] = frozenset((kind, value) for i in clusters[root] for value, _ in records[i].identifiers
                                        if (kind := exclusive_kind(value)) in _EXCLUSIVE_KINDS)
        return exclusive[root]

    context: dict[tuple[int, int], tuple[int, int]] = {}
    for key, roots in blocks.items():
        if holders[key] > config.max_name_block or key in crowded:
            disabled.append((key, holders[key]))
            continue
        if len(roots) < 2:
            continue
        values = {pair for root in roots for pair in exclusive_values(root)}
        people = max(Counter(kind for kind, _ in values).values()) if values else 0
        here = (len(roots), people)
        for i, a in enumerate(roots):
            for b in roots[i + 1:]:
                previous = context.get((a, b))
                if previous is None or here < previous:
                    context[(a, b)] = here
    return context


@dataclass(frozen=True, slots=True)
class Components:
    """Independent parts of a record set, and the keys too crowded to link anything."""

    parts: list[list[int]]
    crowded: frozenset[str]


def components(records: Sequence[MatchRecord], config: ResolverConfig) -> Components:
    """Split records into independent components: no candidate pair of either stage crosses two.

    First the records sharing an identifier value are joined (the stage-1 clusters can only be
    finer), then those groups that share a profile key — computed over the whole group, so a
    superset of any of its clusters' keys. A key over its bound links nothing and joins nothing;
    it is returned in ``crowded``, and resolving any part with those keys disabled gives the same
    clusters as resolving everything at once. Parts are largest first, members in index order.
    """
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(members: Sequence[int]) -> None:
        first = find(members[0])
        for other in members[1:]:
            root = find(other)
            if root != first:
                parent[root] = first

    crowded: set[str] = set()
    disabled: list[tuple[str, int]] = []
    for group in identifier_groups(records, config, disabled).values():
        join(group.members)
    crowded.update(key for key, _ in disabled)
    by_root: dict[int, list[int]] = defaultdict(list)
    for record in records:
        by_root[find(record.index)].append(record.index)
    counts = profile_key_counts(records)
    holders: dict[str, list[int]] = defaultdict(list)
    for root, members in by_root.items():
        for key in _cluster_keys(members, records):
            holders[key].append(root)
    for key, roots in holders.items():
        if counts[key] > config.max_name_block:
            crowded.add(key)
        elif len(roots) > 1:
            join(roots)
    result: dict[int, list[int]] = defaultdict(list)
    for record in records:
        result[find(record.index)].append(record.index)
    parts = sorted(result.values(), key=lambda members: (-len(members), members[0]))
    return Components(parts=parts, crowded=frozenset(crowded))


# n: full name, p: phonetic full name, m: mailbox spelling, e: given name at employer, c: corroborated name.
_PROFILE_KEY_KINDS = frozenset("npmec")


def record_keys(record: MatchRecord) -> list[str]:
    """Return every candidate key of a record: its identifier values and its profile keys, sorted."""
    return sorted({value for value, _ in record.identifiers} | record.profile_keys)


def is_profile_key(key: str) -> bool:
    """Whether a key is a stage-2 profile key (``n:``, ``p:``, ``m:``, ``e:``, ``c:``) rather than an identifier."""
    return len(key) > 1 and key[1] == ":" and key[0] in _PROFILE_KEY_KINDS


def key_bound(key: str, config: ResolverConfig) -> int:
    """Return how many records may hold ``key`` before it is crowded and links nothing."""
    return config.max_name_block if is_profile_key(key) else config.max_identifier_group
