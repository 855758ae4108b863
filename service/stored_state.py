"""The stored records as a change's region reads them (``resolvers.region.StoredState``), over the database.

Records are named by their row id, so that following keys from record to record reads one table
at a time (a join's plan can go wrong on PostgreSQL while a bulk load has left the statistics
stale). A change's new records have no row yet: the caller names them with negative numbers,
which are never looked up. Reads go through the open session, so a change sees the state its
write transaction holds the lock on; what is read is kept for the rest of the change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
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


def _stored(ids: Iterable[int]) -> set[int]:
    """Return the ids of stored records among ``ids`` (a change names its new records below zero)."""
    return {i for i in ids if i > 0}


class DatabaseState:
    """``StoredState`` over the service's tables, for one change in one transaction.

    ``link_kinds`` are the kinds of link stored at all (``store.link_kinds``): most databases hold
    none, and then no link is looked up. ``known`` are stored rows the caller has read already.
    """

    def __init__(self, session: Session, *, link_kinds: frozenset[str], known: Iterable[RecordRow] = ()) -> None:
        self._session = session
        self._link_kinds = link_kinds
        self._refs: dict[int, store.StoredRef] = {}
        self._rows: dict[int, store.StoredRecord] = {}
        for row in known:
            if row.id is not None:
                self._refs[row.id] = store.StoredRef(row.id, row.source, row.source_record_id, row.profile_id)
                self._rows[row.id] = store.StoredRecord(row.id, row.source, row.source_record_id, row.profile_id,
                                                        row.normalized, row.match)

    def _references(self, ids: Iterable[int]) -> dict[int, store.StoredRef]:
        """Return the key and profile of each stored record among ``ids``, reading the ones not read yet."""
        ids = _stored(ids)
        for ref in store.stored_refs_by_ids(self._session, ids=ids - self._refs.keys()):
            self._refs[ref.id] = ref
        return {i: self._refs[i] for i in ids if i in self._refs}

    def rows(self, ids: Iterable[int]) -> dict[RecordKey, store.StoredRecord]:
        """Return the stored rows of the stored records among ``ids``, by record key."""
        ids = _stored(ids)
        for row in store.stored_records(self._session, ids=ids - self._rows.keys()):
            self._rows[row.id] = row
        return {(row.source, row.source_record_id): row for row in (self._rows[i] for i in ids if i in self._rows)}

    def keys_of(self, records: Collection[int]) -> dict[int, list[str]]:
        """Return the stored candidate keys of the stored records among ``records``."""
        return store.keys_of_records(self._session, ids=_stored(records))

    def counts(self, keys: Collection[str]) -> dict[str, int]:
        """Return how many stored records hold each key."""
        return store.key_counts(self._session, keys=keys)

    def holders(self, keys: Collection[str]) -> dict[str, list[int]]:
        """Return the stored records holding each key."""
        return store.holdings(self._session, keys=keys)

    def mates(self, records: Collection[int]) -> dict[int, list[int]]:
        """Return the records of each stored record's profile."""
        refs = self._references(records)
        by_profile: dict[str, list[int]] = defaultdict(list)
        for member in store.profile_members(self._session, profile_ids={ref.profile_id for ref in refs.values()}):
            self._refs[member.id] = member
            by_profile[member.profile_id].append(member.id)
        return {i: by_profile[ref.profile_id] for i, ref in refs.items()}

    def _links(self, records: Collection[int]) -> list[tuple[str, int, int]]:
        """Return ``(kind, a, b)`` for the stored links touching ``records``, by row id (both ends stored)."""
        keys = {(ref.source, ref.source_record_id): i for i, ref in self._references(records).items()}
        links = store.links_among(self._session, keys=keys)
        ends = {(link.a_source, link.a_record_id) for link in links} | {(link.b_source, link.b_record_id)
                                                                        for link in links}
        keys |= {(ref.source, ref.source_record_id): ref.id
                 for ref in store.stored_refs(self._session, keys=ends - keys.keys())}
        found = []
        for link in links:
            a, b = (link.a_source, link.a_record_id), (link.b_source, link.b_record_id)
            if a in keys and b in keys:
                found.append((link.kind, keys[a], keys[b]))
        return found

    def partners(self, records: Collection[int]) -> dict[int, set[int]]:
        """Return the records a stored must-link joins to each record."""
        if "must" not in self._link_kinds:
            return {}
        found: dict[int, set[int]] = defaultdict(set)
        for kind, a, b in self._links(records):
            if kind == "must":
                found[a].add(b)
                found[b].add(a)
        return found

    def matches(self, records: Collection[int]) -> dict[int, MatchRecord]:
        """Return the stored match forms of ``records`` (only the match form is read: most are context)."""
        ids = _stored(records)
        forms = {i: self._rows[i].match for i in ids if i in self._rows}
        forms.update(store.match_forms(self._session, ids=ids - forms.keys()))
        return {i: match_form(text) for i, text in forms.items()}

    def links(self, records: Collection[int]) -> tuple[list[Link], list[Link]]:
        """Return the stored must-links and cannot-links between two of ``records``."""
        if not self._link_kinds:
            return [], []
        among = _stored(records)
        pairs: dict[str, list[Link]] = {"must": [], "cannot": []}
        refs = self._references(among)
        for kind, a, b in self._links(among):
            if a in among and b in among:
                pairs[kind].append(((refs[a].source, refs[a].source_record_id),
                                     (refs[b].source, refs[b].source_record_id)))
        return pairs["must"], pairs["cannot"]
