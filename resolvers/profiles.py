"""Survivorship: the golden profile of one cluster of records.

Rules (deterministic; ties broken by record key):

* display name: the full name seen most often, preferring names with both parts, then the most
  recent;
* identifiers (emails, phones, LinkedIn, handles, external ids): every distinct value with how
  many records carry it and when it was first and last seen;
* company and job title: from the most trusted source that has one (``ResolverConfig.source_trust``,
  unknown sources last), the most recent record;
* channels: each source touched, with counts and first/last seen;
* timeline: every record ordered by ``observed_at`` — the person's cross-channel journey.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from resolvers.config import ResolverConfig
from resolvers.records import NormalizedRecord, RecordKey

__all__ = ["GoldenProfile", "Seen", "TimelineEntry", "golden_profile"]


@dataclass(frozen=True, slots=True)
class Seen:
    """A value of the profile, how many records carry it, and when it was first and last seen."""

    value: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One record in the person's journey."""

    observed_at: datetime | None
    source: str
    source_record_id: str


@dataclass(frozen=True, slots=True)
class GoldenProfile:
    """The best current view of one person, built from all of their records."""

    display_name: str | None
    names: tuple[Seen, ...]
    emails: tuple[Seen, ...]
    phones: tuple[Seen, ...]
    linkedin: tuple[Seen, ...]
    handles: tuple[Seen, ...]
    external_ids: tuple[Seen, ...]
    company: str | None
    job_title: str | None
    channels: tuple[Seen, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    timeline: tuple[TimelineEntry, ...]
    records: tuple[RecordKey, ...]


def _time_key(moment: datetime | None) -> float:
    return moment.timestamp() if moment else float("-inf")


@dataclass(slots=True)
class _Tally:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, moment: datetime | None) -> None:
        self.count += 1
        if moment is not None:
            self.first = moment if self.first is None or moment < self.first else self.first
            self.last = moment if self.last is None or moment > self.last else self.last


def _seen(records: Sequence[NormalizedRecord], values: Callable[[NormalizedRecord], Iterable[str]]) -> tuple[Seen, ...]:
    """Count each distinct value over ``records``, with first and last observation."""
    tallies: dict[str, _Tally] = {}
    for record in records:
        for value in dict.fromkeys(values(record)):
            tallies.setdefault(value, _Tally()).add(record.observed_at)
    seen = [Seen(value=v, count=t.count, first_seen=t.first, last_seen=t.last) for v, t in tallies.items()]
    return tuple(sorted(seen, key=lambda s: (-s.count, -_time_key(s.last_seen), s.value)))


def _display_name(records: Sequence[NormalizedRecord]) -> str | None:
    candidates: dict[str, tuple[int, int, float]] = {}
    for record in records:
        name = record.name
        if name is None or not name.display:
            continue
        complete = int(bool(name.first and name.last and not name.initial_only and not name.ambiguous))
        count, _, latest = candidates.get(name.display, (0, complete, float("-inf")))
        candidates[name.display] = (count + 1, complete, max(latest, _time_key(record.observed_at)))
    if not candidates:
        return None
    return min(candidates, key=lambda d: (-candidates[d][1], -candidates[d][0], -candidates[d][2], d))


def _trusted_latest(records: Sequence[NormalizedRecord], value: Callable[[NormalizedRecord], str | None],
                    trust: Sequence[str]) -> str | None:
    """Return ``value`` from the most trusted source that has one, most recent record first."""
    rank = {source: i for i, source in enumerate(trust)}
    holders = [r for r in records if value(r)]
    if not holders:
        return None
    best = min(holders, key=lambda r: (rank.get(r.source, len(rank)), -_time_key(r.observed_at), r.key))
    return value(best)


def golden_profile(records: Iterable[NormalizedRecord], *, config: ResolverConfig | None = None) -> GoldenProfile:
    """Return the golden profile of one cluster of records."""
    config = config or ResolverConfig()
    ordered = sorted(records, key=lambda r: (_time_key(r.observed_at), r.key))
    moments = [r.observed_at for r in ordered if r.observed_at is not None]
    return GoldenProfile(
        display_name=_display_name(ordered),
        names=_seen(ordered, lambda r: [r.name.display] if r.name and r.name.display else []),
        emails=_seen(ordered, lambda r: [e.key for e in r.emails]),
        phones=_seen(ordered, lambda r: [p.e164 or f"national:{p.national}" for p in r.phones]),
        linkedin=_seen(ordered, lambda r: [p.value for p in r.linkedin]),
        handles=_seen(ordered, lambda r: [f"{h.platform}:{h.handle}" for h in r.handles]),
        external_ids=_seen(ordered, lambda r: [f"{ns}:{v}" for ns, v in r.external_ids]),
        company=_trusted_latest(ordered, lambda r: r.company.display if r.company else None, config.source_trust),
        job_title=_trusted_latest(ordered, lambda r: r.job_title, config.source_trust),
        channels=_seen(ordered, lambda r: [r.source]),
        first_seen=min(moments) if moments else None,
        last_seen=max(moments) if moments else None,
        timeline=tuple(TimelineEntry(r.observed_at, r.source, r.source_record_id) for r in ordered),
        records=tuple(sorted(r.key for r in ordered)),
    )
