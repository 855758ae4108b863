"""Evidence scores: how strongly two records (stage 1) or two profiles (stage 2) are one person.

Scores are log-odds in natural units (see ``config``). Stage 1: a shared identifier weighs by its
class — a personal value seen with one person decides on its own, a line or role value only for
records whose names put them in one person-like group — plus agreeing given name and surname.
Stage 2 compares profiles (the aggregate of a stage-1 cluster): name agreement by comparison level;
corroboration from date of birth, postal code, street, company and corporate domain; weaker
agreement from city and country; contradictions (another country, city or postal code, another
mobile or personal mailbox) subtract. A name with no corroboration merges only when it is rare:
not on the common-name prior, carried by few profiles, with no sign of two people.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from resolvers.blocking import IdentifierGroup, ValuePeople, name_order, value_people
from resolvers.clustering import dates_conflict
from resolvers.compare import Level, name_levels
from resolvers.features import IdentifierClass, MatchRecord, exclusive_kind, mailbox_forms
from resolvers.name_frequency import is_common_name
from resolvers.normalize.names import PersonName

__all__ = ["Profile", "ScoredPair", "build_profile", "identifier_edges", "profile_score"]

ScoredPair = tuple[float, int, int, tuple[str, ...]]

_FIRST_WEIGHT = {Level.EXACT: 2.5, Level.NICKNAME: 2.0, Level.PHONETIC: 2.0, Level.FUZZY: 1.5, Level.PREFIX: 1.5,
                 Level.PARTIAL: 1.0}
_LAST_WEIGHT = {Level.EXACT: 3.0, Level.NICKNAME: 2.5, Level.PHONETIC: 2.5, Level.FUZZY: 2.0, Level.PREFIX: 1.5,
                Level.PARTIAL: 2.0}
_CLASS_WEIGHT = {IdentifierClass.PERSONAL: 7.0, IdentifierClass.LINE: 3.5, IdentifierClass.WEAK: 3.0}
_NAME_PART_BONUS = 1.5
_EXTRA_IDENTIFIER_BONUS = 0.5


# --- stage 1 ----------------------------------------------------------------------------------

def _name_bonus(first: Level, last: Level) -> float:
    """Return the bonus of agreeing name parts, from their comparison levels."""
    return _NAME_PART_BONUS * (first.strong + (last.strong or last == Level.PARTIAL))


def _name_evidence(first: Level, last: Level) -> tuple[str, ...]:
    """Return the evidence ``_name_bonus`` counts, for an explanation."""
    given = (f"given_name:{first.name.lower()}",) if first.strong else ()
    surname = (f"surname:{last.name.lower()}",) if last.strong or last == Level.PARTIAL else ()
    return given + surname


def _linkable_runs(members: list[int], people: ValuePeople, trusted: bool) -> list[list[int]]:
    """Return the runs of a group's members that one value may link pairwise, in member order.

    A personal value seen with one person links all its records; any other value links only
    records whose names put them in the same person-like group.
    """
    if trusted:
        return [members]
    runs: dict[int, list[int]] = defaultdict(list)
    for member in members:
        person = people.person_of.get(member)
        if person is not None:
            runs[person].append(member)
    return [run for run in runs.values() if len(run) > 1]


def identifier_edges(records: Sequence[MatchRecord], groups: dict[str, IdentifierGroup],
                     values: Iterable[str], *, explain: bool = True) -> list[ScoredPair]:
    """Score the pairs of records that share one of ``values``; return the edges worth a merge.

    With ``explain=False`` the edges carry no evidence (a batch run needs only the scores).
    """
    usable_by_pair: dict[tuple[int, int], list[tuple[str, IdentifierClass]]] = defaultdict(list)
    for value in values:
        group = groups[value]
        people = value_people(group.members, records)
        trusted = group.klass == IdentifierClass.PERSONAL and not people.shared
        national = value.startswith("phone_national:")
        entry = (value, group.klass)
        for run in _linkable_runs(group.members, people, trusted):
            # Two numbers of known countries with the same national digits are different numbers.
            certain = [national and value in records[m].certain_nationals for m in run]
            for i, a in enumerate(run):
                for j in range(i + 1, len(run)):
                    if not (certain[i] and certain[j]):
                        usable_by_pair[(a, run[j])].append(entry)
    edges = []
    for (a, b), usable in usable_by_pair.items():
        ra, rb = records[a], records[b]
        first, last = name_levels(ra.name, rb.name)
        if first == Level.DIFFERENT or last == Level.DIFFERENT:
            continue
        if ra.date_of_birth and rb.date_of_birth and dates_conflict(ra.date_of_birth, rb.date_of_birth):
            continue
        best = max(_CLASS_WEIGHT[k] for _, k in usable)
        score = best + _EXTRA_IDENTIFIER_BONUS * (len(usable) - 1) + _name_bonus(first, last)
        evidence = tuple(f"shared:{v}" for v, _ in usable) + _name_evidence(first, last) if explain else ()
        edges.append((score, a, b, evidence))
    return edges


# --- stage 2 ----------------------------------------------------------------------------------

@dataclass(slots=True)
class Profile:
    """The aggregated attributes of a stage-1 cluster."""

    names: list[PersonName] = field(default_factory=list)
    given: list[PersonName] = field(default_factory=list)
    email_letters: set[str] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    postals: set[str] = field(default_factory=set)
    streets: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    companies: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    personal: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def build_profile(members: Iterable[int], records: Sequence[MatchRecord]) -> Profile:
    """Aggregate the records of one cluster into a profile."""
    profile = Profile()
    seen: set[PersonName] = set()
    for i in members:
        r = records[i]
        name = r.name
        if name is not None and name not in seen:
            seen.add(name)
            if r.full_name:
                profile.names.append(name)
            if name.first_tokens and not name.initial_only and not name.ambiguous:
                profile.given.append(name)
        profile.email_letters.update(r.email_letters)
        if r.date_of_birth:
            profile.dates.add(r.date_of_birth)
        if r.city:
            profile.cities.add(r.city)
        if r.postal:
            profile.postals.add(r.postal)
        if r.street:
            profile.streets.add(r.street)
        if r.country:
            profile.countries.add(r.country)
        profile.companies.update(r.company_keys)
        profile.domains.update(r.company_domains)
        for value, klass in r.identifiers:
            kind = exclusive_kind(value)
            if klass == IdentifierClass.PERSONAL and kind and ";ext=" not in value and value not in r.work_emails:
                profile.personal[kind].add(value)
    profile.names.sort(key=name_order)
    profile.given.sort(key=name_order)
    return profile


def _best_name(a: Profile, b: Profile) -> tuple[float, Level, Level, PersonName | None]:
    """Return the best name agreement between two profiles: score, levels and one of the names.

    A given name alone counts only for its own weight.
    """
    best: tuple[float, Level, Level, PersonName | None] = (0.0, Level.MISSING, Level.MISSING, None)
    for x in a.given:
        for y in b.given:
            first, last = name_levels(x, y)
            if first not in _FIRST_WEIGHT or (last not in _LAST_WEIGHT and last != Level.MISSING):
                continue
            score = _FIRST_WEIGHT[first] + _LAST_WEIGHT.get(last, 0.0)
            if score > best[0]:
                best = (score, first, last, x)
    return best


def _mailbox_name(a: Profile, b: Profile) -> PersonName | None:
    """Return a full name of one profile that the other profile's mailbox spells out, if any."""
    for names, letters in ((a.names, b.email_letters), (b.names, a.email_letters)):
        for name in names:
            if mailbox_forms(name) & letters:
                return name
    return None


def _surname_in_email(a: Profile, b: Profile) -> bool:
    """Whether a surname of one profile is spelled out in a mailbox of the other (morgan.harris@)."""
    for names, letters in ((a.names, b.email_letters), (b.names, a.email_letters)):
        tokens = {t for name in names for t in name.last_tokens if len(t) >= _MIN_EMAIL_SURNAME}
        if any(token in local for token in tokens for local in letters):
            return True
    return False


_CORROBORATION = (
    ("dates", 5.0, "date_of_birth"),
    ("postals", 3.5, "postal_code"),
    ("streets", 3.5, "street"),
    ("companies", 3.5, "company"),
    ("domains", 3.5, "company_domain"),
)
_RARE_NAME_BONUS = 3.0
_MIN_EMAIL_SURNAME = 4
# A name read out of a mailbox is a guess at a name: it counts as rare only when no other
# profile carries it.
_MAX_MAILBOX_CROWD = 2
_EXACTISH = (Level.EXACT, Level.PHONETIC)


def profile_score(a: Profile, b: Profile, *, crowd: int, people: int, max_crowd: int = 3,
                  is_common: Callable[[PersonName], bool] = is_common_name) -> tuple[float, tuple[str, ...]] | None:
    """Score two profiles that share a profile key; None when something forbids the merge.

    ``crowd`` is how many profiles carry the key, ``people`` a lower bound on how many different
    people do; a name alone counts only when ``crowd`` is at most ``max_crowd`` and the name is
    not common by the prior ``is_common``.
    """
    if any(dates_conflict(x, y) for x in a.dates for y in b.dates):
        return None
    name_score, first, last, name = _best_name(a, b)
    mailbox = _mailbox_name(a, b) if last == Level.MISSING else None
    if mailbox is not None:
        # One side has no full name, but a mailbox of it spells out the other side's name.
        name_score = _FIRST_WEIGHT[Level.EXACT] + _LAST_WEIGHT[Level.EXACT]
        first, last, name = Level.EXACT, Level.EXACT, mailbox
    if name_score <= 0 or name is None:
        return None
    evidence = [f"name:{first.name.lower()}+{last.name.lower()}"] + (["name_in_mailbox"] if mailbox else [])
    score = name_score
    corroborated = False
    for attribute, weight, label in _CORROBORATION:
        if getattr(a, attribute) & getattr(b, attribute):
            score += weight
            evidence.append(label)
            corroborated = True
    if last == Level.MISSING and _surname_in_email(a, b):
        # Only the given names could be compared; a mailbox spelling out the surname fills the gap.
        score += 2.0
        evidence.append("surname_in_email")
    for shared, weight, label in (
        ((a.companies & b.domains) | (a.domains & b.companies), 2.0, "company_matches_domain"),
        (a.cities & b.cities, 1.5, "city"),
        (a.countries & b.countries, 0.5, "country"),
    ):
        if shared:
            score += weight
            evidence.append(label)
    contradicted = False
    for left, right, weight, label in (
        (a.countries, b.countries, 3.0, "different_country"),
        (a.cities, b.cities, 1.0, "different_city"),
        (a.postals, b.postals, 2.0, "different_postal_code"),
    ):
        if left and right and not left & right:
            score -= weight
            evidence.append(label)
            contradicted = True
    for kind in sorted(a.personal.keys() & b.personal.keys()):
        if kind == "email" and mailbox is not None:
            continue  # the mailbox itself carries the name: a second address, not a second person
        if not a.personal[kind] & b.personal[kind]:
            # One person rarely has two mobiles or two personal mailboxes at once; two profiles
            # that each hold a different one are more likely two people.
            score -= 2.0
            evidence.append(f"different_{kind}")
            contradicted = True
    if (not corroborated and not contradicted and first in _EXACTISH and last in _EXACTISH
            and crowd <= (_MAX_MAILBOX_CROWD if mailbox else max_crowd) and people <= 1
            and not any(is_common(n) for n in (*a.names, *b.names, name))):
        score += _RARE_NAME_BONUS
        evidence.append("rare_name")
    return score, tuple(evidence)
