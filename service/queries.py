"""Read use cases: records, profiles (by id or by identifier), explanations, links and the change feed.

Lookups put the query value through the same normalizers as ingestion, so ``+39 347 123 4567``
finds a record stored as ``347 123 4567`` with country IT.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from resolvers.config import ResolverConfig
from resolvers.explain import Explanation, explain_cluster
from resolvers.normalize.company import normalize_company
from resolvers.normalize.email import normalize_email
from resolvers.normalize.handles import normalize_handle
from resolvers.normalize.linkedin import normalize_linkedin
from resolvers.normalize.names import PersonName, normalize_name
from resolvers.normalize.phone import RegionHints, normalize_phone
from resolvers.normalize.record import external_id
from resolvers.normalize.rejection import Rejection
from resolvers.records import RecordKey
from resolvers.region import change_region
from service import store
from service.errors import GoneError, InvalidRequestError, NotFoundError
from service.schemas import ErrorDetail
from service.stored_state import DatabaseState, match_form
from service.tables import ChangeRow, LinkRow, ProfileRow, RecordRow

__all__ = [
    "Lookup",
    "LookupKey",
    "Matches",
    "count_profiles",
    "explain_profile",
    "find_profiles",
    "get_profile",
    "get_record",
    "iter_assignments",
    "iter_golden_profiles",
    "links_between",
    "list_changes",
    "list_links",
    "lookup_keys",
    "payload",
    "profiles_of",
]

MAX_MATCHES = 50  # profiles a lookup answers at most
MAX_HOLDERS = 500  # records read per looked-up key at most


def get_record(session: Session, *, key: RecordKey) -> RecordRow:
    """Return a stored record or raise ``NotFoundError``."""
    row = store.records_by_keys(session, keys=[key]).get(key)
    if row is None:
        raise NotFoundError(f"no record {key[0]}/{key[1]}")
    return row


def get_profile(session: Session, *, profile_id: str) -> ProfileRow:
    """Return the live profile an id stands for now (following merges), or raise."""
    row = store.live_profile_id(session, profile_id=profile_id)
    if row is None:
        raise NotFoundError(f"no profile {profile_id}")
    if row.status == "erased":
        raise GoneError(f"profile {row.id} was erased")
    return row


@dataclass(frozen=True, slots=True)
class Lookup:
    """One lookup request: which identifiers, their values, and hints (``country`` for a phone)."""

    email: str | None = None
    phone: str | None = None
    country: str | None = None
    linkedin: str | None = None
    instagram: str | None = None
    external_id: str | None = None
    name: str | None = None
    company: str | None = None


def _rejected(field: str, value: str, rejection: Rejection) -> InvalidRequestError:
    return InvalidRequestError("the lookup value cannot be used", [ErrorDetail(field=field, value=value,
                                                                                reason=rejection.message)])


_MAX_CUT_WORDS = 6  # a full name of more words is read only as records' full names are: each cut costs queries


def _name_readings(name: str) -> list[PersonName]:
    """Return the ways a full name may split into given names and surname: as records' full names are read first.

    A record with its fields apart (``first_name`` "Mary Ann", ``last_name`` "Quistwell") is keyed
    by both given names, where the full name "Mary Ann Quistwell" reads as Mary + Ann Quistwell; so
    each cut between two words is read too (not in "Surname, Given", which says where the cut is).
    """
    person = normalize_name(full_name=name)
    if person is None or not person.first_tokens or not person.last_tokens:
        raise InvalidRequestError("a name lookup needs a given name and a surname",
                                  [ErrorDetail(field="name", value=name, reason="give a full name")])
    words = name.split()
    # A name of more words than any person's is read once: each cut costs queries of every key it makes.
    cut_at = range(1, len(words)) if "," not in name and len(words) <= _MAX_CUT_WORDS else range(0)
    cuts = [normalize_name(first_name=" ".join(words[:cut]), last_name=" ".join(words[cut:])) for cut in cut_at]
    return [person, *(reading for reading in cuts if reading is not None)]


def _name_keys(name: str, company: str | None) -> list[str]:
    full = list(dict.fromkeys(f"{formal}|{token}" for person in _name_readings(name)
                              for token in person.last_tokens for formal in person.first_groups))
    if not full:
        raise InvalidRequestError("a name lookup needs a given name written out", [ErrorDetail(
            field="name", value=name, reason="the given name is an initial, shared by too many people; give it whole")])
    if company is None:
        return [f"n:{key}" for key in full]
    employer = normalize_company(company)
    if employer is None:
        raise InvalidRequestError("the company cannot be used",
                                  [ErrorDetail(field="company", value=company, reason="a placeholder")])
    return [f"c:{key}|w{employer.key.replace(' ', '')}" for key in full]


def _external_ids(text: str) -> list[tuple[str, str]]:
    """Return the ``(namespace, value)`` pairs ``namespace:value`` may stand for, cut at each colon in turn.

    Either part may hold a colon: ``crm:eu:42`` is 42 in namespace ``crm:eu`` (stored as ``crm_eu``)
    or ``eu:42`` in ``crm``.
    """
    pieces = text.split(":")
    # A cut after the first colon only where the namespace's last piece has letters or digits of its
    # own: folded, "crm:" and "crm: " are "crm", and crm::42 would also find the value 42 in crm.
    cuts = [external_id(namespace=":".join(pieces[:cut]), value=":".join(pieces[cut:]))
            for cut in range(1, len(pieces)) if cut == 1 or external_id(namespace=pieces[cut - 1], value="")[0]]
    found = list(dict.fromkeys((namespace, value) for namespace, value in cuts if namespace and value))
    if not found:
        raise InvalidRequestError("external_id is namespace:value", [ErrorDetail(
            field="external_id", value=text, reason="expected namespace:value")])
    return found


@dataclass(frozen=True, slots=True)
class LookupKey:
    """A candidate key to look up; ``uncertain_only``: count a holder only where it holds the key without a country.

    A phone looked up with its country also meets the records that hold the same digits read
    without a country (``phone_national:…``), as their own records would, but not a number of
    another country with those national digits.
    """

    key: str
    uncertain_only: bool = False


@dataclass(frozen=True, slots=True)
class Matches:
    """The golden profiles (stored JSON) a lookup found, and whether there were more than it answers."""

    goldens: list[str]
    truncated: bool


def lookup_keys(lookup: Lookup, *, default_region: str) -> list[LookupKey]:
    """Return the candidate keys a lookup stands for, normalized like ingested values: identifiers first, names last."""
    keys: list[LookupKey] = []
    if lookup.email is not None:
        email = normalize_email(lookup.email)
        if isinstance(email, Rejection):
            raise _rejected("email", lookup.email, email)
        keys.append(LookupKey(f"email:{email.key}"))
    if lookup.phone is not None:
        phone = normalize_phone(lookup.phone, hints=RegionHints(default=default_region, country=lookup.country))
        if isinstance(phone, Rejection):
            raise _rejected("phone", lookup.phone, phone)
        if phone.e164:
            keys.append(LookupKey(f"phone:{phone.e164}"))
        if phone.national:
            keys.append(LookupKey(f"phone_national:{phone.national}", uncertain_only=bool(phone.e164)))
    if lookup.linkedin is not None:
        profile = normalize_linkedin(lookup.linkedin)
        if isinstance(profile, Rejection):
            raise _rejected("linkedin", lookup.linkedin, profile)
        if profile.kind != "person":
            raise InvalidRequestError("the lookup value cannot be used", [ErrorDetail(
                field="linkedin", value=lookup.linkedin,
                reason=f"a LinkedIn {profile.kind} page, not a person's profile; look the person up by theirs")])
        keys.append(LookupKey(f"linkedin:{profile.value}"))
    if lookup.instagram is not None:
        handle = normalize_handle(lookup.instagram, platform="instagram")
        if isinstance(handle, Rejection):
            raise _rejected("instagram", lookup.instagram, handle)
        keys.append(LookupKey(f"instagram:{handle.handle}"))
    if lookup.external_id is not None:
        keys.extend(LookupKey(f"ext:{namespace}:{value}") for namespace, value in _external_ids(lookup.external_id))
    if lookup.name is not None:
        keys.extend(LookupKey(key) for key in _name_keys(lookup.name, lookup.company))
    if not keys:
        raise InvalidRequestError("give one of email, phone, linkedin, instagram, external_id or name", [
            ErrorDetail(field="", value=None, reason="no lookup parameter")])
    return keys


def find_profiles(session: Session, *, keys: Sequence[LookupKey]) -> Matches:
    """Return the live profiles holding any of ``keys``: at most ``MAX_MATCHES``, key by key in order, by id within one.

    Each key is read apart, its first ``MAX_HOLDERS`` holders at most, so that a crowded key (a
    common name) cannot push out what a rarer one (an email) finds. ``truncated`` says whether
    there were more holders or profiles than the answer shows. Every read is a primary-key or
    index lookup; unlike one join, their plans cannot go wrong on a table whose statistics are
    stale after a bulk load.
    """
    ordered: dict[str, None] = {}  # profile ids, in the order of the keys that found them
    truncated = False
    for lookup_key in keys:
        record_ids = store.first_holders(session, key=lookup_key.key, limit=MAX_HOLDERS + 1)
        truncated |= len(record_ids) > MAX_HOLDERS
        del record_ids[MAX_HOLDERS:]
        if lookup_key.uncertain_only:
            record_ids = [record_id for record_id, match in store.match_forms(session, ids=record_ids).items()
                          if lookup_key.key not in match_form(match).certain_nationals]
        ordered |= dict.fromkeys(sorted(store.profile_ids_of(session, ids=record_ids)))
    goldens: list[str] = []
    candidates = list(ordered)
    for start in range(0, len(candidates), MAX_MATCHES):
        chunk = candidates[start:start + MAX_MATCHES]
        live = store.active_goldens(session, profile_ids=chunk)
        goldens.extend(live[profile_id] for profile_id in chunk if profile_id in live)
        if len(goldens) >= MAX_MATCHES:
            truncated |= len(goldens) > MAX_MATCHES or start + MAX_MATCHES < len(candidates)
            break
    return Matches(goldens=goldens[:MAX_MATCHES], truncated=truncated)


def explain_profile(session: Session, *, profile: ProfileRow, config: ResolverConfig) -> Explanation:
    """Re-resolve the profile's region (``resolvers.region``) with explanations; keep what concerns the profile."""
    members = store.records_of_profile(session, profile_id=profile.id)
    state = DatabaseState(session, link_kinds=store.link_kinds(session), known=members)
    region = change_region(state, seeds=[row.id for row in members if row.id is not None], config=config,
                           explain=True)
    return explain_cluster(region.resolution, [(row.source, row.source_record_id) for row in members])


def profiles_of(session: Session, *, keys: Sequence[RecordKey]) -> dict[RecordKey, str]:
    """Return the profile each of these stored records is in now.

    Read with a plain statement: ORM rows loaded earlier in the session would keep the profile ids
    they had, as a change writes records without the ORM.
    """
    return {(ref.source, ref.source_record_id): ref.profile_id for ref in store.stored_refs(session, keys=keys)}


def links_between(session: Session, *, a: RecordKey, b: RecordKey) -> list[LinkRow]:
    """Return the links joining the records ``a`` and ``b`` (in either order)."""
    ends = {a, b}
    return [link for link in store.links_among(session, keys=[a])
            if {(link.a_source, link.a_record_id), (link.b_source, link.b_record_id)} == ends]


def list_links(session: Session, *, after: int, limit: int) -> list[LinkRow]:
    """Return links in id order, after the id ``after``."""
    return list(session.scalars(select(LinkRow).where(col(LinkRow.id) > after).order_by(col(LinkRow.id)).limit(limit)))


def list_changes(session: Session, *, after: int, limit: int) -> list[ChangeRow]:
    """Return change feed entries after the sequence number ``after``, in order."""
    statement = select(ChangeRow).where(col(ChangeRow.seq) > after).order_by(col(ChangeRow.seq)).limit(limit)
    return list(session.scalars(statement))


def count_profiles(session: Session) -> int:
    """Return how many live profiles there are."""
    return int(session.scalar(select(func.count()).select_from(ProfileRow).where(col(ProfileRow.status) == "active"))
               or 0)


def payload(row: ChangeRow) -> dict[str, object]:
    """Return a change's payload as a mapping."""
    value = json.loads(row.payload)
    return value if isinstance(value, dict) else {}


def iter_assignments(session: Session, *, batch: int = 5000) -> Iterator[tuple[str, str, str]]:
    """Yield ``(source, source_record_id, profile_id)`` of every record, in row order, a page at a time.

    Keyset pages (``id > last``) keep memory flat and no statement open between pages.
    """
    after = 0
    while True:
        statement = (select(col(RecordRow.id), col(RecordRow.source), col(RecordRow.source_record_id),
                            col(RecordRow.profile_id))
                     .where(col(RecordRow.id) > after).order_by(col(RecordRow.id)).limit(batch))
        rows = session.execute(statement).all()
        for _, source, record_id, profile_id in rows:
            yield source, record_id, profile_id
        if len(rows) < batch:
            return
        after = rows[-1][0]


def iter_golden_profiles(session: Session, *, batch: int = 1000) -> Iterator[str]:
    """Yield the golden profile (stored JSON) of every live profile, in id order, a page at a time."""
    after = ""
    while True:
        statement = (select(col(ProfileRow.id), col(ProfileRow.golden))
                     .where(col(ProfileRow.status) == "active", col(ProfileRow.id) > after)
                     .order_by(col(ProfileRow.id)).limit(batch))
        rows = session.execute(statement).all()
        for _, golden in rows:
            yield golden
        if len(rows) < batch:
            return
        after = rows[-1][0]
