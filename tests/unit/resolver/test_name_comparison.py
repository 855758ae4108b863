"""How two person names compare: the (given name, surname) levels, conflicts and agreement.

Each case gives two names as ``normalize_name`` arguments ``(first, last, full)``, the levels
``name_levels`` must place them at, and whether they conflict (two people) or agree (one full
name). The levels follow ``resolvers.compare``: exact, nickname, phonetic, fuzzy, prefix,
partial, similar, initial, missing, different.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from resolvers.compare import Level, name_levels, names_agree, names_conflict
from resolvers.name_frequency import is_common_name
from resolvers.normalize.names import PersonName, normalize_name

NameArgs = tuple[str | None, str | None, str | None] | None

E, N, P, F = Level.EXACT, Level.NICKNAME, Level.PHONETIC, Level.FUZZY
PRE, PART, INI, MISS, DIFF = Level.PREFIX, Level.PARTIAL, Level.INITIAL, Level.MISSING, Level.DIFFERENT


def split(first: str | None, last: str | None) -> NameArgs:
    """Return the arguments of a name typed into separate first and last name fields."""
    return (first, last, None)


def full(text: str) -> NameArgs:
    """Return the arguments of a name typed into one full-name field."""
    return (None, None, text)


def name(args: NameArgs) -> PersonName | None:
    """Normalize a name from its arguments; ``None`` stands for a record without a name."""
    return None if args is None else normalize_name(*args)


class Case(NamedTuple):
    a: NameArgs
    b: NameArgs
    levels: tuple[Level, Level]
    conflict: bool
    agree: bool


CASES = {
    # Exact, after case, accents, field layout and script are normalized away.
    "identical split names": Case(split("Marco", "Rossi"), split("Marco", "Rossi"), (E, E), False, True),
    "case and accents": Case(split("JOSÉ", "garcía"), split("Jose", "Garcia"), (E, E), False, True),
    "comma full name against split fields": Case(full("Rossi, Marco"), split("Marco", "Rossi"), (E, E), False, True),
    "shouted surname first": Case(full("ROSSI Marco"), split("Marco", "Rossi"), (E, E), False, True),
    "cyrillic with patronymic against romanised": Case(
        full("Иванов Иван Иванович"), split("Ivan", "Ivanov"), (E, E), False, True),
    "surname particles dropped": Case(split("Marco", "van den Berg"), split("Marco", "Berg"), (E, E), False, True),
    # Nicknames and diminutives, across languages and scripts.
    "bob is robert": Case(split("Bob", "Smith"), split("Robert", "Smith"), (N, E), False, True),
    "beppe is giuseppe": Case(split("Beppe", "Verdi"), split("Giuseppe", "Verdi"), (N, E), False, True),
    "cyrillic sasha is aleksandr": Case(split("Саша", "Иванов"), split("Aleksandr", "Ivanov"), (N, E), False, True),
    "kasia is katarzyna": Case(split("Kasia", "Nowak"), split("Katarzyna", "Nowak"), (N, E), False, True),
    "toni is antonio": Case(split("Toni", "Ferri"), split("Antonio", "Ferri"), (N, E), False, True),
    "sasha is alexander": Case(split("Sasha", "Petrov"), split("Alexander", "Petrov"), (N, E), False, True),
    # Romanisation and spelling variants: the phonetic level.
    "aleksandr and alexandr": Case(split("Aleksandr", "Petrov"), split("Alexandr", "Petrov"), (P, E), False, True),
    "natalya and natalia": Case(split("Natalya", "Sokolova"), split("Natalia", "Sokolova"), (P, E), False, True),
    "mueller and umlaut mueller": Case(split("Hans", "Müller"), split("Hans", "Mueller"), (E, P), False, True),
    "given names only: natalya and natalia": Case(
        split("Natalya", None), split("Natalia", None), (P, MISS), False, False),
    # Typing errors.
    "transposed letters in the given name": Case(
        split("Micheal", "Johnson"), split("Michael", "Johnson"), (F, E), False, True),
    "one wrong letter in a long given name": Case(
        split("Katherine", "Lanciotti"), split("Katherina", "Lanciotti"), (F, E), False, True),
    "one wrong letter in the surname": Case(
        split("Goffredo", "Lanciotti"), split("Goffredo", "Lanciotto"), (E, F), False, True),
    # Shortened given names and initials.
    "cam is a prefix of camille": Case(split("Cam", "Dubois"), split("Camille", "Dubois"), (PRE, E), False, True),
    "initial of the given name": Case(split("J.", "Smith"), split("John", "Smith"), (INI, E), False, False),
    "initial of the formal name": Case(split("A.", "Ferri"), split("Antonio", "Ferri"), (INI, E), False, False),
    "initial of a nickname: t. for toni": Case(split("T.", "Ferri"), split("Antonio", "Ferri"), (INI, E), False, False),
    "initial of a nickname: p. for peppe": Case(
        split("P.", "Verdi"), split("Giuseppe", "Verdi"), (INI, E), False, False),
    "initial of no form of the name": Case(split("Q.", "Ferri"), split("Antonio", "Ferri"), (DIFF, E), True, False),
    "initial of another name": Case(split("J.", "Smith"), split("Peter", "Smith"), (DIFF, E), True, False),
    # "M." in a given-name field is an initial, not "Monsieur".
    "initial m. in the given-name field": Case(split("M.", "Rossi"), split("Marco", "Rossi"), (INI, E), False, False),
    "initial m. of another name": Case(split("M.", "Rossi"), split("Giulia", "Rossi"), (DIFF, E), True, False),
    # First and last name typed into each other's fields.
    "swapped fields": Case(split("Rossi", "Marco"), split("Marco", "Rossi"), (E, E), False, True),
    "swapped fields of a rare name": Case(
        split("Lanciotti", "Goffredo"), split("Goffredo", "Lanciotti"), (E, E), False, True),
    "swapped nickname first": Case(split("Smith", "Robert"), split("Bob", "Smith"), (N, E), False, True),
    "swapped nickname second": Case(split("Bob", "Smith"), split("Smith", "Robert"), (N, E), False, True),
    "swapped sibling": Case(split("Marco", "Rossi"), split("Rossi", "Giulia"), (DIFF, E), True, False),
    # Multi-word names: a surname alone, reordered words, shortened double given names.
    "double surname given alone": Case(
        full("Castro Moraes"), full("Maya Castro Moraes"), (MISS, PART), False, False),
    "reordered four-word name": Case(
        full("Nunes Teixeira Maria Sophia"), full("Maria Sophia Nunes Teixeira"), (E, E), False, True),
    # One word of a compound given name is a partial match; the surname still compares exactly.
    "double given name shortened": Case(
        split("Maria Sophia", "Nunes"), split("Maria", "Nunes"), (PART, E), False, False),
    "hyphenated given name shortened": Case(
        split("Jean-Pierre", "Dupont"), split("Jean", "Dupont"), (PART, E), False, False),
    # A lone word may be either part: it conflicts only when it can be neither.
    "lone word is the surname": Case(full("Budig"), split("Mandy", "Budig"), (MISS, E), False, False),
    "lone word is the given name": Case(full("Mandy"), split("Mandy", "Kohl"), (E, MISS), False, False),
    "lone word is neither part": Case(full("Budig"), split("Mandy", "Kohl"), (DIFF, MISS), True, False),
    "two different lone words": Case(full("Marco"), full("Giulia"), (DIFF, MISS), True, False),
    "the same lone word": Case(full("Budig"), full("Budig"), (E, MISS), False, False),
    # Household members sharing a surname, including gendered forms of one name.
    "siblings": Case(split("Marco", "Rossi"), split("Giulia", "Rossi"), (DIFF, E), True, False),
    "mario and maria": Case(split("Mario", "Rossi"), split("Maria", "Rossi"), (DIFF, E), True, False),
    "giulio and giulia": Case(split("Giulio", "Bianchi"), split("Giulia", "Bianchi"), (DIFF, E), True, False),
    "daniel and daniela": Case(split("Daniel", "Weber"), split("Daniela", "Weber"), (DIFF, E), True, False),
    "louis and louise": Case(split("Louis", "Martin"), split("Louise", "Martin"), (DIFF, E), True, False),
    # Plainly different people.
    "namesakes by given name": Case(split("Marco", "Rossi"), split("Marco", "Bianchi"), (E, DIFF), True, False),
    "nothing in common": Case(split("John", "Smith"), split("Peter", "Brown"), (DIFF, DIFF), True, False),
    # Missing parts are neither agreement nor conflict.
    "no name on one side": Case(None, split("Marco", "Rossi"), (MISS, MISS), False, False),
    "no name on either side": Case(None, None, (MISS, MISS), False, False),
    "given name only": Case(split("Marco", None), split("Marco", "Rossi"), (E, MISS), False, False),
    "surname only": Case(split(None, "Rossi"), split("Marco", "Rossi"), (MISS, E), False, False),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_name_levels_place_a_pair_at_its_given_name_and_surname_level(case: Case) -> None:
    assert name_levels(name(case.a), name(case.b)) == case.levels


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_names_conflict_only_when_a_part_clearly_differs(case: Case) -> None:
    assert names_conflict(name(case.a), name(case.b)) is case.conflict


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_names_agree_only_on_a_full_name_with_both_parts_strongly_matching(case: Case) -> None:
    assert names_agree(name(case.a), name(case.b)) is case.agree


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_comparing_names_does_not_depend_on_which_comes_first(case: Case) -> None:
    a, b = name(case.a), name(case.b)

    assert name_levels(b, a) == name_levels(a, b)
    assert names_conflict(b, a) is names_conflict(a, b)


COMMON = {
    "john smith": split("John", "Smith"),
    "marco rossi": split("Marco", "Rossi"),
    "ivan ivanov in cyrillic": split("Иван", "Иванов"),
    "ivan ivanov romanised": split("Ivan", "Ivanov"),
    "feminine slavic surname": split("Anna", "Ivanova"),
    "maria garcia with accent": split("María", "García"),
    "rossi marco swapped in split fields": split("Rossi", "Marco"),
    "rossi marco swapped in a full name": full("Rossi Marco"),
    "nickname of a common name": split("Bob", "Smith"),
}
RARE = {
    "goffredo lanciotti": split("Goffredo", "Lanciotti"),
    "common given name, rare surname": split("Marco", "Lanciotti"),
    "rare given name, common surname": split("Goffredo", "Rossi"),
    "rare in every market": split("Zephyrine", "Okonkwo"),
}


@pytest.mark.parametrize("args", COMMON.values(), ids=COMMON.keys())
def test_a_common_given_name_with_a_common_surname_is_a_common_name(args: NameArgs) -> None:
    person = name(args)
    assert person is not None

    assert is_common_name(person)


@pytest.mark.parametrize("args", RARE.values(), ids=RARE.keys())
def test_a_name_with_a_rare_part_is_not_a_common_name(args: NameArgs) -> None:
    person = name(args)
    assert person is not None

    assert not is_common_name(person)
