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

Survivorship reads only a few facts of each record (``ProfileFacts``): a service keeps them with the
record's stored form, so a profile is rebuilt without normalizing its records again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from resolvers.config import ResolverConfig
from resolvers.records import NormalizedRecord, RecordKey

__all__ = ["GoldenProfile", "ProfileFacts", "Seen", "TimelineEntry", "golden_profile", "golden_profile_of",
           "profile_facts"]


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


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    """What survivorship reads of one record: its key, time, name, identifiers, company and job title."""

    key: RecordKey
    observed_at: datetime | None
    name: str | None  # display form
    complete_name: bool  # both a given name (not an initial) and a surname
    emails: tuple[str, ...]
    phones: tuple[str, ...]  # E.164, or ``national:<digits>`` for a number of unknown country
    linkedin: tuple[str, ...]
    handles: tuple[str, ...]  # ``platform:handle``
    external_ids: tuple[str, ...]  # ``namespace:value``
    company: str | None  # display form
    job_title: str | None


def profile_facts(record: NormalizedRecord) -> ProfileFacts:
    """Return the facts of a normalized record that its profile's survivorship reads."""
    name = record.name
    return ProfileFacts(
        key=record.key,
        observed_at=record.observed_at,
        name=name.display or None if name else None,
        complete_name=bool(name and name.first and name.last and not name.initial_only and not name.ambiguous),
        emails=tuple(e.key for e in record.emails),
        phones=tuple(p.e164 or f"national:{p.national}" for p in record.phones),
        linkedin=tuple(p.value for p in record.linkedin),
        handles=tuple(f"{h.platform}:{h.handle}" for h in record.handles),
        external_ids=tuple(f"{ns}:{v}" for ns, v in record.external_ids),
        company=record.company.display if record.company else None,
        job_title=record.job_title,
    )


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


def _seen(records: Sequence[ProfileFacts], values: Callable[[ProfileFacts], Iterable[str]]) -> tuple[Seen, ...]:
    """Count each distinct value over ``records``, with first and last observation."""
    tallies: dict[str, _Tally] = {}
    for record in records:
        for value in dict.fromkeys(values(record)):
            tallies.setdefault(value, _Tally()).add(record.observed_at)
    seen = [Seen(value=v, count=t.count, first_seen=t.first, last_seen=t.last) for v, t in tallies.items()]
    return tuple(sorted(seen, key=lambda s: (-s.count, -_time_key(s.last_seen), s.value)))


def _display_name(records: Sequence[ProfileFacts]) -> str | None:
    candidates: dict[str, tuple[int, int, float]] = {}
    for record in records:
        if not record.name:
            continue
        count, _, latest = candidates.get(record.name, (0, int(record.complete_name), float("-inf")))
        candidates[record.name] = (count + 1, int(record.complete_name), max(latest, _time_key(record.observed_at)))
    if not candidates:
        return None
    return min(candidates, key=lambda d: (-candidates[d][1], -candidates[d][0], -candidates[d][2], d))


def _trusted_latest(records: Sequence[ProfileFacts], value: Callable[[ProfileFacts], str | None],
                    trust: Sequence[str]) -> str | None:
    """Return ``value`` from the most trusted source that has one, most recent record first."""
    rank = {source: i for i, source in enumerate(trust)}
    holders = [r for r in records if value(r)]
    if not holders:
        return None
    best = min(holders, key=lambda r: (rank.get(r.key[0], len(rank)), -_time_key(r.observed_at), r.key))
    return value(best)


def golden_profile(records: Iterable[NormalizedRecord], *, config: ResolverConfig | None = None) -> GoldenProfile:
    """Return the golden profile of one cluster of records."""
    return golden_profile_of(map(profile_facts, records), config=config)


def golden_profile_of(records: Iterable[ProfileFacts], *, config: ResolverConfig | None = None) -> GoldenProfile:
    """Return the golden profile of one cluster, from its records' facts (see ``profile_facts``)."""
    config = config or ResolverConfig()
    ordered = sorted(records, key=lambda r: (_time_key(r.observed_at), r.key))
    moments = [r.observed_at for r in ordered if r.observed_at is not None]
    return GoldenProfile(
        display_name=_display_name(ordered),
        names=_seen(ordered, lambda r: [r.name] if r.name else []),
        emails=_seen(ordered, lambda r: r.emails),
        phones=_seen(ordered, lambda r: r.phones),
        linkedin=_seen(ordered, lambda r: r.linkedin),
        handles=_seen(ordered, lambda r: r.handles),
        external_ids=_seen(ordered, lambda r: r.external_ids),
        company=_trusted_latest(ordered, lambda r: r.company, config.source_trust),
        job_title=_trusted_latest(ordered, lambda r: r.job_title, config.source_trust),
        channels=_seen(ordered, lambda r: [r.key[0]]),
        first_seen=min(moments) if moments else None,
        last_seen=max(moments) if moments else None,
        timeline=tuple(TimelineEntry(r.observed_at, r.key[0], r.key[1]) for r in ordered),
        records=tuple(sorted(r.key for r in ordered)),
    )
