"""Explanations: the evidence graph that holds a cluster together, and what was refused.

Nodes are the cluster's records; edges are the merges that joined them (record pair, evidence
items, score, stage); refused edges are merges the evidence asked for but a constraint forbade
(with the constraint), for edges touching the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from resolvers.engine import Edge, Refusal, Resolution
from resolvers.records import RecordKey

__all__ = ["Explanation", "explain_cluster"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a set of records is one profile."""

    records: tuple[RecordKey, ...]
    edges: tuple[Edge, ...]
    refused: tuple[Refusal, ...]


def explain_cluster(resolution: Resolution, cluster: Iterable[RecordKey]) -> Explanation:
    """Return the edges inside ``cluster`` and the refused edges that touch it."""
    members = set(cluster)
    return Explanation(
        records=tuple(sorted(members)),
        edges=tuple(e for e in resolution.edges if e.a in members and e.b in members),
        refused=tuple(r for r in resolution.refused if r.edge.a in members or r.edge.b in members),
    )
