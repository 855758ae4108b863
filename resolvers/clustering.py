"""Constrained, deterministic merging of records into clusters.

A union–find over record indices where every union is checked against the clusters' summaries
first. A union is refused — and the refusal reported — when it would:

* join a cannot-link pair (a steward's override);
* put two different values of an exclusive identifier in one profile (two LinkedIn profiles,
  two CRM ids of one namespace, two dates of birth that are not a day/month swap);
* put two clearly different names in one profile (Marco and Giulia sharing a family phone);
* grow a profile beyond the size guard, or beyond the breadth guard (too many distinct
  personal emails or phones of one kind: the mark of a chain through a shared value).

Given the same records and the same ordered list of proposed unions, the result is the same:
nothing here depends on hashing order or arrival order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from resolvers.compare import Level, name_levels, names_conflict
from resolvers.features import MatchRecord
from resolvers.normalize.names import PersonName

__all__ = ["Clusters", "dates_conflict"]


def dates_conflict(a: date, b: date) -> bool:
    """Whether two dates of birth cannot belong to one person (a day/month swap can)."""
    if a == b:
        return False
    return not (a.year == b.year and a.month == b.day and a.day == b.month)


@dataclass(slots=True)
class _Summary:
    """What a cluster holds that a union could contradict."""

    members: list[int]
    names: set[PersonName] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    linkedin: set[str] = field(default_factory=set)
    exclusive: dict[str, str] = field(default_factory=dict)
    strong: dict[str, set[str]] = field(default_factory=dict)
    cannot: set[int] = field(default_factory=set)


def _summary(record: MatchRecord, cannot: set[int]) -> _Summary:
    summary = _Summary(members=[record.index], cannot=set(cannot))
    if record.name is not None:
        summary.names.add(record.name)
    if record.date_of_birth is not None:
        summary.dates.add(record.date_of_birth)
    summary.linkedin.update(record.linkedin_profiles)
    summary.exclusive.update(record.exclusive_ids)
    for value in record.strong:
        summary.strong.setdefault(value.partition(":")[0], set()).add(value)
    return summary


class Clusters:
    """Union–find over records with constraint-checked unions.

    A cluster's summary is built the first time a union touches it: most records of a large set
    stay alone, and building a summary for each of them up front would cost more than all the
    unions together.
    """

    def __init__(self, records: Sequence[MatchRecord], *, cannot_link: dict[int, set[int]],
                 max_records: int, max_distinct: int) -> None:
        self._records = records
        self._cannot = cannot_link
        self._parent = list(range(len(records)))
        self._summaries: dict[int, _Summary] = {}
        self._max_records = max_records
        self._max_distinct = max_distinct

    def _summary(self, root: int) -> _Summary:
        summary = self._summaries.get(root)
        if summary is None:
            summary = self._summaries[root] = _summary(self._records[root], self._cannot.get(root, set()))
        return summary

    def find(self, index: int) -> int:
        """Return the root of ``index``'s cluster (with path halving)."""
        parent = self._parent
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def members(self, root: int) -> list[int]:
        """Return the record indices of the cluster whose root is ``root``."""
        summary = self._summaries.get(root)
        return summary.members if summary is not None else [root]

    def roots(self) -> list[int]:
        """Return every cluster root, in index order."""
        return [i for i, parent in enumerate(self._parent) if parent == i]

    def conflict(self, a: int, b: int, *, check_names: bool = True) -> str | None:
        """Return why the clusters of ``a`` and ``b`` may not be merged, or None if they may."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        sa, sb = self._summary(ra), self._summary(rb)
        if len(sa.members) + len(sb.members) > self._max_records:
            return "size_guard"
        small, large = (sa, sb) if len(sa.members) <= len(sb.members) else (sb, sa)
        if any(m in large.cannot for m in small.members):
            return "cannot_link"
        if any(v != large.exclusive[k] for k, v in small.exclusive.items() if k in large.exclusive):
            return "exclusive_id_conflict"
        if _linkedin_conflict(sa.linkedin, sb.linkedin):
            return "linkedin_conflict"
        if any(dates_conflict(x, y) for x in sa.dates for y in sb.dates):
            return "date_of_birth_conflict"
        for kind, values in small.strong.items():
            if len(values | large.strong.get(kind, set())) > self._max_distinct:
                return "breadth_guard"
        if check_names and _names_clash(sa.names, sb.names):
            return "name_conflict"
        return None

    def union(self, a: int, b: int) -> int:
        """Merge the clusters of ``a`` and ``b`` (callers check ``conflict`` first); return the root."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if ra > rb:
            ra, rb = rb, ra
        keep, gone = self._summary(ra), self._summary(rb)
        del self._summaries[rb]
        self._parent[rb] = ra
        keep.members.extend(gone.members)
        keep.names |= gone.names
        keep.dates |= gone.dates
        keep.linkedin |= gone.linkedin
        keep.exclusive.update(gone.exclusive)
        keep.cannot |= gone.cannot
        for kind, values in gone.strong.items():
            keep.strong.setdefault(kind, set()).update(values)
        return ra


def _names_clash(a: set[PersonName], b: set[PersonName]) -> bool:
    """Whether two clusters hold names of two different people.

    A pair of conflicting names is forgiven when a third name of either cluster strongly agrees
    with both: "Roberr Jones" (a typo) and "Bobby Jones" (a nickname) are bridged by "Robert
    Jones". Marco and Giulia Rossi have no such bridge.
    """
    union = a | b
    for x in a:
        for y in b:
            if names_conflict(x, y) and not any(_bridges(z, x) and _bridges(z, y) for z in union):
                return True
    return False


def _bridges(z: PersonName, x: PersonName) -> bool:
    first, last = name_levels(z, x)
    return first.strong and last != Level.DIFFERENT


def _linkedin_conflict(a: set[str], b: set[str]) -> bool:
    """Whether two clusters hold different LinkedIn profiles of the same URL form (vanity or pub)."""
    if not a or not b or a & b:
        return False
    for prefix in ("linkedin.com/in/", "linkedin.com/pub/"):
        left = {v for v in a if v.startswith(prefix)}
        right = {v for v in b if v.startswith(prefix)}
        if left and right and not left & right:
            return True
    return False
