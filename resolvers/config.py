"""Resolver configuration: every weight, threshold and guard in one frozen object.

Weights are log-odds in natural units: a value of 3 means "this observation is about e³ ≈ 20
times more likely for two records of one person than for two records of different people".
The defaults are set from first principles about each kind of evidence (see ``scoring.py``),
not fitted to any one dataset; they are configurable because businesses differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ResolverConfig"]


@dataclass(frozen=True, slots=True)
class ResolverConfig:
    """Thresholds, weights and guards of the resolver."""

    default_region: str = "US"
    # A key held by more records than this stops producing candidates (and is reported).
    max_identifier_group: int = 500
    max_name_block: int = 40
    # A name alone links profiles only when at most this many carry it (see scoring).
    max_name_crowd: int = 3
    # No profile grows beyond these bounds through automatic merges.
    max_cluster_records: int = 1000
    max_distinct_strong_per_kind: int = 6
    # Link decisions.
    link_threshold: float = 6.0
    profile_link_threshold: float = 8.0
    # External-id namespaces that may legitimately hold several values per person.
    multi_valued_namespaces: frozenset[str] = field(default_factory=frozenset)
    # Sources ranked by how much their company / job title can be trusted (survivorship).
    source_trust: tuple[str, ...] = ("crm", "linkedin", "demo_form", "account", "web_order")
