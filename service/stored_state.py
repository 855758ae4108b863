"""The stored records as a change's region reads them (``resolvers.region.StoredState``), over the database.

Reads go through the open session, so a change sees the state its write transaction holds the
lock on. Each record's row is read once per change and kept: the region asks about the same
records several times while it grows, and the change writes the rows of the records it decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache

from sqlmodel import Session

from resolvers.features import MatchRecord, from_wire, wire_from_json
from resolvers.records import RecordKey
from service import store
from service.tables import RecordRow

__all__ = ["DatabaseState", "match_form"]

Link = tuple[RecordKey, RecordKey]


@lru_cache(maxsize=131072)
def match_form(stored: str) -> MatchRecord:
    """Return the match form stored as ``stored``; cached, as one record is re-read by many changes."""
    return from_wire(wire_from_json(stored), index=-1)


class DatabaseState:
    """``StoredState`` over the service's tables, for one change in one transaction.

    Following keys reads only references to records (``store.StoredRef``); the stored forms are
    read once, for the records that are resolved. ``link_kinds`` are the kinds of link stored at
    all (``store.link_kinds``): most databases hold none, and then no link is looked up.
    ``known`` are stored rows the caller has read already and ``absent`` records it knows are not
    stored (a change's new records), so that neither is looked up again.
    """

    def __init__(self, session: Session, *, link_kinds: frozenset[str], known: Iterable[RecordRow] = (),
                 absent: Iterable[RecordKey] = ()) -> None:
        self._session = session
        self._link_kinds = link_kinds
        self._refs: dict[RecordKey, store.StoredRef | None] = dict.fromkeys(absent)
        self._rows: dict[RecordKey, store.StoredRecord] = {}
        self._ids: dict[int, RecordKey] = {}
        self._counts: dict[str, int] = {}
        self._keys: dict[RecordKey, list[str]] = {}
        for row in known:
            if row.id is not None:
                key = (row.source, row.source_record_id)
                self._remember([store.StoredRef(row.id, row.source, row.source_record_id, row.profile_id)])
                self._rows[key] = store.StoredRecord(row.id, row.source, row.source_record_id, row.profile_id,
                                                     row.normalized, row.match)

    def _remember(self, refs: Iterable[store.StoredRef]) -> list[RecordKey]:
        found = []
        for ref in refs:
            key = (ref.source, ref.source_record_id)
            self._refs[key] = ref
            self._ids[ref.id] = key
            found.append(key)
        return found

    def _stored(self, records: Iterable[RecordKey]) -> dict[RecordKey, store.StoredRef]:
        """Return the references of the stored records among ``records``, looking up the ones not seen yet."""
        records = set(records)
        unseen = records - set(self._refs)
        if unseen:
            self._remember(store.stored_refs(self._session, keys=unseen))
            self._refs.update({key: None for key in unseen if key not in self._refs})
        return {key: ref for key in records if (ref := self._refs[key]) is not None}

    def rows(self, records: Iterable[RecordKey]) -> dict[RecordKey, store.StoredRecord]:
        """Return the stored rows of ``records`` (those stored), reading the ones not read yet."""
        refs = self._stored(records)
        unread = [ref.id for key, ref in refs.items() if key not in self._rows]
        for row in store.stored_records(self._session, ids=unread):
            self._rows[(row.source, row.source_record_id)] = row
        return {key: self._rows[key] for key in refs}

    def keys_of(self, records: Collection[RecordKey]) -> dict[RecordKey, list[str]]:
        """Return the stored candidate keys of the stored records among ``records``."""
        refs = self._stored(r for r in records if r not in self._keys)
        held = store.keys_of_records(self._session, ids=[ref.id for ref in refs.values()])
        self._keys.update({key: held.get(ref.id, []) for key, ref in refs.items()})
        return {key: self._keys[key] for key in records if key in self._keys}

    def counts(self, keys: Collection[str]) -> dict[str, int]:
        """Return how many stored records hold each key."""
        unknown = [k for k in keys if k not in self._counts]
        self._counts.update(dict.fromkeys(unknown, 0))
        self._counts.update(store.key_counts(self._session, keys=unknown))
        return {key: self._counts[key] for key in keys}

    def reach(self, limits: Mapping[str, int]) -> tuple[dict[str, int], dict[str, list[RecordKey]]]:
        """Return how many stored records hold each key, and who holds each key held by at most its limit.

        Three lookups on one table each (counts, holders, their rows): a join's plan can go wrong on
        PostgreSQL while a bulk load has left the statistics stale.
        """
        counts = self.counts(limits)
        within = [key for key, limit in limits.items() if 0 < counts[key] <= limit]
        holdings = store.holdings(self._session, keys=within)
        unseen = {i for ids in holdings.values() for i in ids} - self._ids.keys()
        self._remember(store.stored_refs_by_ids(self._session, ids=unseen))
        return counts, {key: [self._ids[i] for i in holdings.get(key, ())] for key in within}

    def mates(self, records: Collection[RecordKey]) -> dict[RecordKey, list[RecordKey]]:
        """Return the records of each stored record's profile."""
        refs = self._stored(records)
        by_profile: dict[str, list[RecordKey]] = defaultdict(list)
        for member in store.profile_members(self._session, profile_ids={ref.profile_id for ref in refs.values()}):
            by_profile[member.profile_id].extend(self._remember([member]))
        return {key: by_profile[ref.profile_id] for key, ref in refs.items()}

    def partners(self, records: Collection[RecordKey]) -> dict[RecordKey, set[RecordKey]]:
        """Return the records a stored must-link joins to each record."""
        if "must" not in self._link_kinds:
            return {}
        found: dict[RecordKey, set[RecordKey]] = defaultdict(set)
        for link in store.links_among(self._session, keys=records):
            if link.kind == "must":
                a, b = (link.a_source, link.a_record_id), (link.b_source, link.b_record_id)
                found[a].add(b)
                found[b].add(a)
        return found

    def matches(self, records: Collection[RecordKey]) -> dict[RecordKey, MatchRecord]:
        """Return the stored match forms of ``records`` (only the match form is read: most are context)."""
        refs = self._stored(records)
        forms = {key: row.match for key, row in self._rows.items() if key in refs}
        unread = {ref.id: key for key, ref in refs.items() if key not in forms}
        forms.update((unread[row_id], text) for row_id, text in store.match_forms(self._session, ids=unread).items())
        return {key: match_form(text) for key, text in forms.items()}

    def links(self, records: Collection[RecordKey]) -> tuple[list[Link], list[Link]]:
        """Return the stored must-links and cannot-links between two of ``records``."""
        if not self._link_kinds:
            return [], []
        among = set(records)
        pairs: dict[str, list[Link]] = {"must": [], "cannot": []}
        for link in store.links_among(self._session, keys=among):
            a, b = (link.a_source, link.a_record_id), (link.b_source, link.b_record_id)
            if a in among and b in among:
                pairs[link.kind].append((a, b))
        return pairs["must"], pairs["cannot"]
