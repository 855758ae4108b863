"""What the resolver compares: each normalized record reduced to typed identifiers and attributes.

Identifiers have a *class* that says how far a shared value can be trusted on its own:

* ``PERSONAL`` — a personal email, a mobile number, a LinkedIn profile, a social handle, a
  source-system id, a switchboard number *with* the person's extension: one person's;
* ``LINE`` — a fixed line (a family landline, a company switchboard): shared by nature;
* ``WEAK`` — a role mailbox (``info@``), a disposable or test address: never a person alone.

Attributes (names, company, address, date of birth) never link records by themselves; they
corroborate or contradict.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from functools import lru_cache
from typing import cast

import orjson

from resolvers.normalize.address import PostalAddress
from resolvers.normalize.names import PersonName
from resolvers.normalize.text import phonetic
from resolvers.records import NormalizedRecord, RecordKey

__all__ = ["IdentifierClass", "MatchRecord", "Wire", "exclusive_kind", "from_wire", "mailbox_forms", "match_record",
           "name_keys", "profile_keys", "to_wire", "wire_from_json", "wire_to_json"]


class IdentifierClass(IntEnum):
    """How far a shared identifier value can be trusted on its own (higher is stronger)."""

    WEAK = 1
    LINE = 2
    PERSONAL = 3


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """A record as the resolver sees it.

    Small collections are tuples: a million of these are held at once by the batch CLI, and an
    empty tuple costs nothing while a set costs a couple of hundred bytes even when small.
    """

    index: int
    key: RecordKey
    observed: float | None
    name: PersonName | None
    identifiers: tuple[tuple[str, IdentifierClass], ...]
    date_of_birth: date | None
    company_keys: tuple[str, ...]
    company_domains: tuple[str, ...]
    city: str
    postal: str
    street: str
    country: str | None
    linkedin_profiles: tuple[str, ...]
    exclusive_ids: tuple[tuple[str, str], ...]
    work_emails: tuple[str, ...] = ()
    # National digits of numbers whose country is known: two of these never meet by digits alone.
    certain_nationals: tuple[str, ...] = ()
    # Letters of personal mailboxes' local parts ("morgan.harris" → "morganharris"), to find names in.
    email_letters: tuple[str, ...] = ()
    # Stage-2 profile keys (see ``blocking``) and the employers they are built from.
    profile_keys: frozenset[str] = frozenset()
    employers: tuple[str, ...] = ()
    # Personal identifier values, for the breadth guard.
    strong: tuple[str, ...] = ()

    @property
    def full_name(self) -> bool:
        """Whether the record has both a given name (not an initial) and a surname."""
        return _has_full_name(self.name)

    def at(self, index: int) -> MatchRecord:
        """Return this record at position ``index`` of a record set (what ``dataclasses.replace`` does, faster)."""
        return MatchRecord(index, *(getattr(self, name) for name in _AFTER_INDEX))


# The fields after ``index``, in declaration order (``MatchRecord.at`` passes them on positionally).
_AFTER_INDEX = tuple(name for name in MatchRecord.__dataclass_fields__ if name != "index")


def exclusive_kind(value: str) -> str | None:
    """Return the kind under which two different values of one person are unusual, or None.

    LinkedIn's vanity and legacy public URLs are different kinds (one person may have both).
    Every phone also has a national-digits identifier; phones are compared on that one only.
    """
    kind, _, rest = value.partition(":")
    if kind == "linkedin":
        return "linkedin_pub" if rest.startswith("linkedin.com/pub/") else "linkedin"
    if kind == "phone":
        return None
    return "phone" if kind == "phone_national" else kind


@lru_cache(maxsize=131072)
def mailbox_forms(name: PersonName) -> frozenset[str]:
    """Return how a full name is spelled in a mailbox: marcorossi or rossimarco (letters only).

    An initial and a surname (mrossi) is left out: too many people share one.
    """
    surname = "".join(name.last_tokens)
    return frozenset(form for form in (name.first_key + surname, surname + name.first_key) if form.isalpha())


@lru_cache(maxsize=131072)
def name_keys(name: PersonName) -> frozenset[str]:
    """Return the profile keys of a full name: formal given name × surname token, and phonetic forms."""
    keys = {f"m:{form}" for form in mailbox_forms(name)}
    for token in name.last_tokens:
        keys.update(f"n:{formal}|{token}" for formal in name.first_groups)
        keys.add(f"p:{phonetic(name.first_key)}|{phonetic(token)}")
    return frozenset(keys)


def profile_keys(*, name: PersonName | None, email_letters: Iterable[str], employers: Iterable[str],
                 corroborators: Iterable[str]) -> frozenset[str]:
    """Return the profile keys one record contributes to its cluster.

    Its full name's keys; the names its mailboxes may spell (``m:``); its given name at each of
    its employers (``e:``); and its full name with each corroborating value it carries — postal
    code, street, employer, date of birth (``c:``) — so that a common name, whose plain key is too
    crowded to use, still meets records that agree on more than the name. Every key is a fact of
    one record, so the records holding a key can be counted and found by the key alone.
    """
    keys = set(name_keys(name)) if name is not None and _has_full_name(name) else set()
    keys.update(f"m:{letters}" for letters in email_letters if len(letters) >= _MIN_MAILBOX_LETTERS)
    if name is not None and not name.ambiguous:
        keys.update(f"e:{formal}|{employer}" for formal in name.first_groups for employer in employers)
    full = [key[2:] for key in keys if key.startswith("n:")]
    keys.update(f"c:{key}|{value}" for key in full for value in corroborators)
    return frozenset(keys)


def _has_full_name(name: PersonName | None) -> bool:
    return bool(name and name.first_tokens and name.last_tokens and not name.initial_only)


def _identifiers(record: NormalizedRecord) -> tuple[tuple[str, IdentifierClass], ...]:
    found: dict[str, IdentifierClass] = {}
    for email in record.emails:
        found[f"email:{email.key}"] = IdentifierClass.WEAK if email.weak else IdentifierClass.PERSONAL
    for phone in record.phones:
        personal = phone.is_mobile or phone.number_type == "unknown"
        klass = IdentifierClass.PERSONAL if personal else IdentifierClass.LINE
        if phone.e164:
            found[f"phone:{phone.e164}"] = klass
            if phone.extension:
                found[f"phone:{phone.e164};ext={phone.extension}"] = IdentifierClass.PERSONAL
        if phone.national:
            # The same digits without a country code: lets a number read without a country
            # meet its E.164 form (two numbers of known countries never meet this way).
            found[f"phone_national:{phone.national}"] = klass
    for profile in record.linkedin:
        found[f"linkedin:{profile.value}"] = IdentifierClass.PERSONAL
    for handle in record.handles:
        found[f"{handle.platform}:{handle.handle}"] = IdentifierClass.PERSONAL
    for namespace, value in record.external_ids:
        found[f"ext:{namespace}:{value}"] = IdentifierClass.PERSONAL
    return tuple(sorted(found.items()))


# Subdomains of privacy relays and marketplaces that forward to a buyer (relay.walmart.com,
# marketplace.amazon.de, privaterelay.appleid.com): the address is personal, the domain no employer.
_RELAY_LABELS = frozenset({"relay", "privaterelay", "marketplace", "reply", "members", "guest", "anonymous",
                           "proxy", "forward", "alias", "buyer", "customer"})
_MIN_MAILBOX_LETTERS = 6


def _employer_domain(domain: str) -> str | None:
    """Return the registrable label of an employer's domain, or None for a relay domain."""
    if _RELAY_LABELS & set(domain.split(".")[:-2]):
        return None
    return _domain_label(domain)


@lru_cache(maxsize=65536)
def _domain_label(domain: str) -> str:
    """Return the registrable label of a domain: ``novora-group.co.uk`` → ``novoragroup``."""
    labels = domain.split(".")
    core = labels[-3] if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else labels[-2]
    return core.replace("-", "")


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _corroborators(address: PostalAddress | None, born: date | None, employers: Iterable[str]) -> list[str]:
    values = [f"w{employer}" for employer in employers]
    if address is not None:
        values += [f"z{address.postal_key}"] if address.postal_key else []
        values += [f"s{address.street_key}"] if address.street_key else []
    if born is not None:
        values.append(f"b{born.isoformat()}")
    return values


def match_record(record: NormalizedRecord, *, index: int, multi_valued: frozenset[str] = frozenset()) -> MatchRecord:
    """Return the resolver's view of ``record``; ``index`` is its position in the resolved set."""
    address = record.address
    name = record.name
    identifiers = _identifiers(record)
    emails = record.emails
    letters = _distinct(word for e in emails if not e.weak
                        and (word := "".join(ch for ch in e.key.partition("@")[0] if ch.isalpha())))
    company_keys = (record.company.key.replace(" ", ""),) if record.company else ()
    # A role mailbox (sales@acme.io) is no person's, but it still names their employer.
    domains = _distinct(label for e in emails if not e.household and (d := e.company_domain)
                        and (label := _employer_domain(d)))
    employers = _distinct((*company_keys, *domains))
    return MatchRecord(
        index=index,
        key=(sys.intern(record.source), record.source_record_id),
        observed=record.observed_at.timestamp() if record.observed_at else None,
        name=name,
        identifiers=identifiers,
        date_of_birth=record.date_of_birth,
        company_keys=company_keys,
        company_domains=domains,
        city=address.city_key if address else "",
        postal=address.postal_key if address else "",
        street=address.street_key if address else "",
        country=(address.country if address and address.country else None) or record.country,
        linkedin_profiles=tuple(p.value for p in record.linkedin),
        exclusive_ids=tuple((ns, v) for ns, v in record.external_ids if ns not in multi_valued),
        work_emails=tuple(f"email:{e.key}" for e in emails if e.company_domain and not e.weak),
        certain_nationals=tuple(f"phone_national:{p.national}" for p in record.phones if p.certain and p.national),
        email_letters=letters,
        profile_keys=profile_keys(name=name, email_letters=letters, employers=employers,
                                  corroborators=_corroborators(address, record.date_of_birth, employers)),
        employers=employers,
        strong=tuple(value for value, klass in identifiers
                     if klass == IdentifierClass.PERSONAL and ";ext=" not in value),
    )


# --- moving match records between processes ----------------------------------------------------
# Dataclasses and enums unpickle through Python-level calls; a million records would spend most
# of a minute there. The wire form is nested tuples of str/int/float, which pickle at C speed;
# derived fields (name keys, formal given names, strong identifiers) are recomputed on arrival.

NameWire = tuple[str | None, str | None, str | None, str, tuple[str, ...], tuple[str, ...], bool, bool]
Wire = tuple[RecordKey, float | None, NameWire | None, tuple[tuple[str, int], ...], int | None, tuple[str, ...],
             tuple[str, ...], str, str, str, str | None, tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...],
             tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def to_wire(record: MatchRecord) -> Wire:
    """Return ``record`` as primitives (its index excluded), for another process."""
    name = record.name
    return (
        record.key, record.observed,
        None if name is None else (name.first, name.last, name.middle, name.first_key, name.first_tokens,
                                   name.last_tokens, name.initial_only, name.ambiguous),
        tuple((value, int(klass)) for value, klass in record.identifiers),
        record.date_of_birth.toordinal() if record.date_of_birth else None,
        record.company_keys, record.company_domains, record.city, record.postal, record.street, record.country,
        record.linkedin_profiles, record.exclusive_ids, record.work_emails, record.certain_nationals,
        record.email_letters, tuple(record.profile_keys),
    )


@lru_cache(maxsize=262144)
def _name_from_wire(fields: NameWire) -> PersonName:
    first, last, middle, first_key, first_tokens, last_tokens, initial_only, ambiguous = fields
    return PersonName(first=first, last=last, middle=middle, first_key=first_key, first_tokens=first_tokens,
                      last_tokens=last_tokens, initial_only=initial_only, ambiguous=ambiguous)


_CLASSES = {int(klass): klass for klass in IdentifierClass}


def from_wire(wire: Wire, *, index: int) -> MatchRecord:
    """Rebuild a match record from ``to_wire`` output, at position ``index``."""
    (key, observed, name_fields, identifiers, born, company_keys, domains, city, postal, street, country,
     linkedin, exclusive, work_emails, certain_nationals, letters, keys) = wire
    name = None if name_fields is None else _name_from_wire(name_fields)
    typed = tuple((value, _CLASSES[klass]) for value, klass in identifiers)
    return MatchRecord(
        index=index, key=key, observed=observed, name=name, identifiers=typed,
        date_of_birth=date.fromordinal(born) if born is not None else None,
        company_keys=company_keys, company_domains=domains, city=city, postal=postal, street=street,
        country=country, linkedin_profiles=linkedin, exclusive_ids=exclusive, work_emails=work_emails,
        certain_nationals=certain_nationals, email_letters=letters, profile_keys=frozenset(keys),
        employers=_distinct((*company_keys, *domains)),
        strong=tuple(value for value, klass in typed if klass == IdentifierClass.PERSONAL and ";ext=" not in value),
    )


def wire_to_json(wire: Wire) -> str:
    """Return a wire tuple as compact JSON (for storage)."""
    return orjson.dumps(wire).decode()


def wire_from_json(text: str) -> Wire:
    """Return the wire tuple stored by ``wire_to_json`` (JSON arrays back to tuples).

    Field by field, as ``Wire`` nests them: converting each array with ``tuple`` and ``map`` runs
    at C speed, where a walk over every value costs about three times as much (stored records are
    decoded by every change that reads them, and by every batch of a bulk import).
    """
    (key, observed, name, identifiers, born, company_keys, domains, city, postal, street, country, linkedin,
     exclusive, work_emails, certain_nationals, letters, keys) = orjson.loads(text)
    if name is not None:
        first, last, middle, first_key, first_tokens, last_tokens, initial_only, ambiguous = name
        name = (first, last, middle, first_key, tuple(first_tokens), tuple(last_tokens), initial_only, ambiguous)
    return cast(Wire, (
        tuple(key), observed, name, tuple(map(tuple, identifiers)), born, tuple(company_keys), tuple(domains), city,
        postal, street, country, tuple(linkedin), tuple(map(tuple, exclusive)), tuple(work_emails),
        tuple(certain_nationals), tuple(letters), tuple(keys),
    ))
