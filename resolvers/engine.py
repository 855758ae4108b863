"""Resolve a set of records into clusters (one per real person): the two linking stages.

Stage 1 — shared identifiers. Records sharing an identifier value are candidates. A value seen
with two clearly different names (a family landline, a switchboard, a recycled number, a shared
mailbox) is *shared*: it then links only records whose names agree. Line and role identifiers
always need agreeing names. Edges are applied strongest first under the cluster constraints.

Stage 2 — profile matching. The clusters of stage 1 that share a profile key (a full name, a
given name at an employer, a name spelled out in a mailbox) are compared as profiles: name
agreement, discounted when the name is common, plus corroboration from date of birth, postal
code, street, city, company and corporate email domain; contradictions subtract or forbid.

Both stages only read records that share a key with each other, so the partition of a connected
set of records depends on that set alone: resolving the whole data set or only the component a
change touches gives the same clusters. Every iteration that could leak an order into the result
is sorted, and edges are applied in a fixed order (score, then record keys).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from resolvers.blocking import identifier_groups, profile_candidates
from resolvers.clustering import Clusters
from resolvers.config import ResolverConfig
from resolvers.features import MatchRecord, match_record
from resolvers.records import NormalizedRecord, RecordKey
from resolvers.scoring import ScoredPair, build_profile, identifier_edges, profile_score

__all__ = ["Edge", "Refusal", "Resolution", "resolve", "resolve_matched"]


@dataclass(frozen=True, slots=True)
class Edge:
    """Evidence joining two records: the score and what it is made of."""

    a: RecordKey
    b: RecordKey
    score: float | None  # None for a steward's must-link: a decision, not a score
    evidence: tuple[str, ...]
    stage: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """An edge strong enough to merge that a constraint refused, and which constraint."""

    edge: Edge
    reason: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """The partition of a record set, with the edges that made it and those that were refused."""

    clusters: tuple[tuple[RecordKey, ...], ...]
    edges: tuple[Edge, ...]
    refused: tuple[Refusal, ...]
    disabled_keys: tuple[tuple[str, int], ...]


def _apply(pairs: list[ScoredPair], *, stage: str, records: Sequence[MatchRecord], clusters: Clusters,
           applied: list[Edge] | None, refused: list[Refusal] | None) -> None:
    """Apply edges strongest first (ties broken by record keys) under the cluster constraints.

    ``applied`` and ``refused`` collect the explanation; pass None to skip either (batch runs skip both).
    """
    for score, a, b, evidence in sorted(pairs, key=lambda e: (-e[0], e[1], e[2])):
        if clusters.find(a) == clusters.find(b):
            continue
        reason = clusters.conflict(a, b)
        if reason is None:
            clusters.union(a, b)
            if applied is not None:
                applied.append(Edge(a=records[a].key, b=records[b].key, score=round(score, 3), evidence=evidence,
                                    stage=stage))
        elif refused is not None:
            edge = Edge(a=records[a].key, b=records[b].key, score=round(score, 3), evidence=evidence, stage=stage)
            refused.append(Refusal(edge=edge, reason=reason))


def _overrides(matched: Sequence[MatchRecord], clusters: Clusters, must_link: Iterable[tuple[RecordKey, RecordKey]],
               applied: list[Edge], refused: list[Refusal]) -> None:
    """Apply must-links first: a steward's word beats name evidence, never a cannot-link."""
    position = {r.key: r.index for r in matched}
    pairs = sorted((min(position[x], position[y]), max(position[x], position[y]))
                   for x, y in must_link if x in position and y in position and x != y)
    for a, b in pairs:
        edge = Edge(a=matched[a].key, b=matched[b].key, score=None, evidence=("must_link",), stage="override")
        reason = clusters.conflict(a, b, check_names=False)
        if reason is None:
            clusters.union(a, b)
            applied.append(edge)
        elif clusters.find(a) != clusters.find(b):
            refused.append(Refusal(edge=edge, reason=reason))


def _profile_pairs(matched: Sequence[MatchRecord], clusters: Clusters, config: ResolverConfig,
                   disabled: list[tuple[str, int]], crowded: frozenset[str]) -> list[ScoredPair]:
    members = {root: clusters.members(root) for root in clusters.roots()}
    candidates = profile_candidates(members, matched, config, disabled, crowded)
    involved = sorted({root for pair in candidates for root in pair})
    profiles = {root: build_profile(members[root], matched) for root in involved}
    pairs = []
    for (a, b), (crowd, people) in sorted(candidates.items()):
        scored = profile_score(profiles[a], profiles[b], crowd=crowd, people=people, max_crowd=config.max_name_crowd)
        if scored is not None and scored[0] >= config.profile_link_threshold:
            pairs.append((scored[0], a, b, scored[1]))
    return pairs


def resolve(records: Iterable[NormalizedRecord], *, config: ResolverConfig | None = None,
            must_link: Iterable[tuple[RecordKey, RecordKey]] = (),
            cannot_link: Iterable[tuple[RecordKey, RecordKey]] = ()) -> Resolution:
    """Partition ``records`` into clusters of one person each; overrides are applied as given."""
    config = config or ResolverConfig()
    ordered = sorted(records, key=lambda r: r.key)
    matched = [match_record(r, index=i, multi_valued=config.multi_valued_namespaces) for i, r in enumerate(ordered)]
    return resolve_matched(matched, config=config, must_link=must_link, cannot_link=cannot_link)


def resolve_matched(matched: Sequence[MatchRecord], *, config: ResolverConfig,
                    must_link: Iterable[tuple[RecordKey, RecordKey]] = (),
                    cannot_link: Iterable[tuple[RecordKey, RecordKey]] = (),
                    explain: bool = True, refusals: bool = False,
                    crowded: frozenset[str] = frozenset()) -> Resolution:
    """Resolve records already in match form; ``matched[i].index`` must be ``i``, in key order.

    With ``explain=False`` the edges and refusals are not collected (the batch CLI needs only
    the partition, and a million edges cost memory), except the refusals with ``refusals=True``
    (a change's region follows them, see ``region``; refused identifier edges then carry no
    evidence). ``crowded`` keys are disabled whatever their count here: they are over their bound
    in the whole record set this one is part of.
    """
    position = {r.key: r.index for r in matched}
    forbidden: dict[int, set[int]] = defaultdict(set)
    for left, right in cannot_link:
        if left in position and right in position:
            forbidden[position[left]].add(position[right])
            forbidden[position[right]].add(position[left])
    clusters = Clusters(matched, cannot_link=forbidden, max_records=config.max_cluster_records,
                        max_distinct=config.max_distinct_strong_per_kind)
    applied: list[Edge] = []
    refused: list[Refusal] = []
    disabled: list[tuple[str, int]] = []
    _overrides(matched, clusters, must_link, applied, refused)
    collect_applied = applied if explain else None
    collect_refused = refused if explain or refusals else None
    groups = identifier_groups(matched, config, disabled, crowded)
    _apply(identifier_edges(matched, groups, sorted(groups), explain=explain), stage="identifier", records=matched,
           clusters=clusters, applied=collect_applied, refused=collect_refused)
    _apply(_profile_pairs(matched, clusters, config, disabled, crowded), stage="profile", records=matched,
           clusters=clusters, applied=collect_applied, refused=collect_refused)
    partition = sorted(tuple(matched[i].key for i in sorted(clusters.members(root))) for root in clusters.roots())
    return Resolution(clusters=tuple(partition), edges=tuple(applied), refused=tuple(refused),
                      disabled_keys=tuple(sorted(disabled)))
