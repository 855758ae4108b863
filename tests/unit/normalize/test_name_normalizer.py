"""Person names: display form, first/last split, matching keys, phonetic keys and nicknames."""

from __future__ import annotations

import pytest

from resolvers.normalize.names import PersonName, normalize_name, phonetic
from resolvers.normalize.nicknames import nickname_groups
from resolvers.normalize.text import fold_compact


def named(*, first: str | None = None, last: str | None = None, full: str | None = None) -> PersonName:
    """Normalize a name and fail the test unless one came out."""
    name = normalize_name(first, last, full)
    assert name is not None
    return name


def nickname_equivalent(one: str, other: str) -> bool:
    """Whether two given names may stand for the same formal name."""
    return bool(nickname_groups(fold_compact(one)) & nickname_groups(fold_compact(other)))


def same_phonetic_key(one: str, other: str) -> bool:
    """Whether two names share a phonetic key."""
    return phonetic(fold_compact(one)) == phonetic(fold_compact(other))


@pytest.mark.parametrize(("full", "first", "middle", "last"), [
    pytest.param("Marco Rossi", "Marco", None, "Rossi", id="given-name-first"),
    pytest.param("ROSSI Marco", "Marco", None, "Rossi", id="capital-surname-first"),
    pytest.param("Marco ROSSI", "Marco", None, "Rossi", id="capital-surname-last"),
    pytest.param("Rossi, Marco", "Marco", None, "Rossi", id="comma-surname-first"),
    pytest.param("Smith, John Paul", "John", "Paul", "Smith", id="comma-with-middle-name"),
    pytest.param("de la Cruz, Maria", "Maria", None, "de la Cruz", id="comma-with-particles"),
    pytest.param("Müller, Hans", "Hans", None, "Müller", id="comma-umlaut"),
    pytest.param("Иванов Иван Иванович", "Иван", "Иванович", "Иванов", id="russian-surname-name-patronymic"),
    pytest.param("Иван Иванович Иванов", "Иван", "Иванович", "Иванов", id="russian-name-patronymic-surname"),
    pytest.param("Иванова Анна Сергеевна", "Анна", "Сергеевна", "Иванова", id="russian-female"),
    pytest.param("Ivanov Ivan Ivanovich", "Ivan", "Ivanovich", "Ivanov", id="russian-romanised"),
    pytest.param("GARCÍA LÓPEZ María", "María", None, "García López", id="two-capital-surnames-first"),
    pytest.param("Lars van den Berg", "Lars", None, "van den Berg", id="dutch-particles"),
    pytest.param("VAN DEN BERG Lars", "Lars", None, "van den Berg", id="capital-dutch-surname-first"),
    pytest.param("Ludwig van Beethoven", "Ludwig", None, "van Beethoven", id="german-particle"),
    pytest.param("Leonardo da Vinci", "Leonardo", None, "da Vinci", id="italian-particle"),
    pytest.param("Pieter 't Hooft", "Pieter", None, "'t Hooft", id="dutch-apostrophe-particle"),
    pytest.param("Mr. John Smith", "John", None, "Smith", id="mr"),
    pytest.param("Frau Dr. Erika Mustermann", "Erika", None, "Mustermann", id="frau-dr"),
    pytest.param("Sig.ra Giulia Bianchi", "Giulia", None, "Bianchi", id="signora-abbreviated"),
    pytest.param("Dott. Mario Rossi", "Mario", None, "Rossi", id="dottore"),
    pytest.param("Mme Claire Dubois", "Claire", None, "Dubois", id="madame"),
    pytest.param("Mr Smith", None, None, "Smith", id="honorific-then-surname"),
    pytest.param("Frau Müller", None, None, "Müller", id="frau-then-surname"),
    pytest.param("John Smith Jr.", "John", None, "Smith", id="junior"),
    pytest.param("Anna Schmidt Ph.D.", "Anna", None, "Schmidt", id="phd"),
    pytest.param("Charlene 🇮🇹", "Charlene", None, None, id="flag-emoji"),
    pytest.param("Rosalia 💫", "Rosalia", None, None, id="sparkle-emoji"),
    pytest.param("Hans Müller 😀", "Hans", None, "Müller", id="emoji-after-surname"),
    pytest.param("\u200fMarco Rossi\u200f", "Marco", None, "Rossi", id="rtl-marks"),
    pytest.param("  Marco   Rossi  ", "Marco", None, "Rossi", id="extra-spaces"),
])
def test_a_full_name_is_split_into_first_middle_and_last_the_way_people_write_it(
    full: str, first: str | None, middle: str | None, last: str | None,
) -> None:
    name = named(full=full)

    assert (name.first, name.middle, name.last) == (first, middle, last)


@pytest.mark.parametrize(("first", "last", "full", "display"), [
    pytest.param("marco", "ROSSI", None, "Marco Rossi", id="lower-and-upper"),
    pytest.param(None, None, "JOHN SMITH", "John Smith", id="all-capitals"),
    pytest.param(None, None, "jean-luc picard", "Jean-Luc Picard", id="hyphenated"),
    pytest.param("jean-luc", "van der berg", None, "Jean-Luc van der Berg", id="particles-stay-lower"),
    pytest.param("ANNA MARIA", "DE LUCA", None, "Anna Maria de Luca", id="capital-particle"),
    pytest.param(None, None, "SEAN O'BRIEN", "Sean O'Brien", id="apostrophe"),
    pytest.param("Ronald", "McDonald", None, "Ronald McDonald", id="mixed-case-left-alone"),
    pytest.param("joão gabriel", "Andrade Pinto", None, "João Gabriel Andrade Pinto", id="brazilian-two-surnames"),
    pytest.param(None, None, "STELLA ARAÚJO", "Stella Araújo", id="capital-accent"),
    pytest.param("🌸 Giulia", "Rossi", None, "Giulia Rossi", id="emoji-dropped"),
    pytest.param("  Marco  ", " Rossi ", None, "Marco Rossi", id="trimmed"),
    pytest.param("ИВАН", "ИВАНОВ", None, "Иван Иванов", id="cyrillic-capitals"),
])
def test_the_display_form_is_trimmed_and_capitalised_only_when_typed_in_one_case(
    first: str | None, last: str | None, full: str | None, display: str,
) -> None:
    assert named(first=first, last=last, full=full).display == display


@pytest.mark.parametrize(("first", "last", "first_key", "last_key"), [
    pytest.param("José", "García López", "jose", "garcialopez", id="spanish-accents"),
    pytest.param("Иван", "Иванов", "ivan", "ivanov", id="cyrillic"),
    pytest.param("Дмитрий", "Михайлов", "dmitriy", "mikhaylov", id="cyrillic-y"),
    pytest.param("Νίκος", "Παππάς", "nikos", "pappas", id="greek"),
    pytest.param("Jean-Luc", "Picard", "jeanluc", "picard", id="hyphen-dropped"),
    pytest.param("Søren", "Kierkegaard", "soren", "kierkegaard", id="danish"),
    pytest.param("Łukasz", "Żółć", "lukasz", "zolc", id="polish"),
    pytest.param("François", "Lefèvre", "francois", "lefevre", id="french"),
    pytest.param("Hans", "Müller", "hans", "muller", id="umlaut"),
    pytest.param("Sean", "O'Brien", "sean", "obrien", id="apostrophe-dropped"),
    pytest.param("Lars", "van den Berg", "lars", "berg", id="particles-dropped"),
    pytest.param("MARCO", "ROSSI", "marco", "rossi", id="case-folded"),
    pytest.param("ＭＡＲＣＯ", "Rossi", "marco", "rossi", id="full-width"),
])
def test_name_keys_are_ascii_lower_case_and_free_of_accents_punctuation_and_particles(
    first: str, last: str, first_key: str, last_key: str,
) -> None:
    name = named(first=first, last=last)

    assert (name.first_key, name.last_key) == (first_key, last_key)


@pytest.mark.parametrize(("first", "last", "full"), [
    pytest.param("n/a", "null", None, id="n-a-and-null"),
    pytest.param("none", None, None, id="none"),
    pytest.param(None, None, "test", id="test"),
    pytest.param(None, None, "-", id="dash"),
    pytest.param(None, None, "asdf", id="asdf"),
    pytest.param("xxx", "xxx", None, id="xxx"),
    pytest.param(None, None, "Mrs", id="honorific-only"),
    pytest.param("   ", "", None, id="blank"),
    pytest.param(None, None, "😀 ✨", id="emoji-only"),
])
def test_placeholder_names_are_no_name_at_all(first: str | None, last: str | None, full: str | None) -> None:
    assert normalize_name(first, last, full) is None


@pytest.mark.parametrize(("first", "last", "full", "display"), [
    pytest.param("n/a", "Rossi", None, "Rossi", id="placeholder-first"),
    pytest.param("Marco", "-", None, "Marco", id="placeholder-last"),
    pytest.param("n/a", "null", "Marco Rossi", "Marco Rossi", id="full-name-when-split-fields-are-placeholders"),
    pytest.param("Ivan", "Ivanov", "ignored", "Ivan Ivanov", id="split-fields-win-over-full-name"),
])
def test_a_placeholder_part_is_dropped_and_the_rest_of_the_name_kept(
    first: str | None, last: str | None, full: str | None, display: str,
) -> None:
    assert named(first=first, last=last, full=full).display == display


def test_a_lone_initial_is_marked_as_only_an_initial() -> None:
    name = named(first="J.", last="Smith")

    assert (name.initial_only, name.initial, name.first_groups) == (True, "j", frozenset())


@pytest.mark.parametrize(("one", "other", "equivalent"), [
    pytest.param("Bob", "Robert", True, id="bob-robert"),
    pytest.param("Rob", "Robert", True, id="rob-robert"),
    pytest.param("Bill", "William", True, id="bill-william"),
    pytest.param("Mike", "Michael", True, id="mike-michael"),
    pytest.param("Liz", "Elizabeth", True, id="liz-elizabeth"),
    pytest.param("Peggy", "Margaret", True, id="peggy-margaret"),
    pytest.param("Beppe", "Giuseppe", True, id="beppe-giuseppe"),
    pytest.param("Peppe", "Beppe", True, id="peppe-beppe"),
    pytest.param("Gianni", "Giovanni", True, id="gianni-giovanni"),
    pytest.param("Саша", "Aleksandr", True, id="sasha-cyrillic-aleksandr"),
    pytest.param("Саша", "Александр", True, id="sasha-alexandr-cyrillic"),
    pytest.param("Sasha", "Alexander", True, id="sasha-alexander"),
    pytest.param("Sascha", "Alexander", True, id="sascha-alexander"),
    pytest.param("Dima", "Dmitry", True, id="dima-dmitry"),
    pytest.param("Katya", "Ekaterina", True, id="katya-ekaterina"),
    pytest.param("Natasha", "Natalya", True, id="natasha-natalya"),
    pytest.param("Вова", "Владимир", True, id="vova-vladimir-cyrillic"),
    pytest.param("Zhenya", "Yevgeny", True, id="zhenya-yevgeny"),
    pytest.param("Kasia", "Katarzyna", True, id="kasia-katarzyna"),
    pytest.param("Gosia", "Małgorzata", True, id="gosia-malgorzata"),
    pytest.param("Kuba", "Jakub", True, id="kuba-jakub"),
    pytest.param("Tomek", "Tomasz", True, id="tomek-tomasz"),
    pytest.param("Pepe", "José", True, id="pepe-jose"),
    pytest.param("Paco", "Francisco", True, id="paco-francisco"),
    pytest.param("Nacho", "Ignacio", True, id="nacho-ignacio"),
    pytest.param("Chico", "Francisco", True, id="chico-francisco"),
    pytest.param("Hans", "Johannes", True, id="hans-johannes"),
    pytest.param("Jan", "Johannes", True, id="jan-johannes"),
    pytest.param("Robert", "William", False, id="robert-william"),
    pytest.param("Marco", "Maria", False, id="marco-maria"),
    pytest.param("Albert", "Alexander", False, id="albert-alexander-share-only-al"),
    pytest.param("Edward", "Theodore", False, id="edward-theodore-share-only-ted"),
    pytest.param("Alejandro", "Alexander", False, id="alejandro-alexander-share-only-alex"),
    pytest.param("Elena", "Magdalena", False, id="elena-magdalena-share-only-lena"),
    pytest.param("Michael", "Mitchell", False, id="michael-mitchell"),
    pytest.param("Kasia", "Giulia", False, id="kasia-giulia"),
])
def test_nicknames_are_equivalent_to_their_formal_names_and_nothing_else(
    one: str, other: str, equivalent: bool,
) -> None:
    assert nickname_equivalent(one, other) is equivalent
    assert nickname_equivalent(other, one) is equivalent


def test_a_name_without_known_nicknames_stands_only_for_itself() -> None:
    assert nickname_groups("throughline") == frozenset({"throughline"})


@pytest.mark.parametrize(("one", "other", "same"), [
    pytest.param("Aleksandr", "Alexandr", True, id="ks-x"),
    pytest.param("Natalya", "Natalja", True, id="ya-ja"),
    pytest.param("Natalya", "Natalia", True, id="ya-ia"),
    pytest.param("Natalja", "Natalia", True, id="ja-ia"),
    pytest.param("Dmitriy", "Dmitrij", True, id="iy-ij"),
    pytest.param("Dmitriy", "Dmitrii", True, id="iy-ii"),
    pytest.param("Dmitry", "Dmitriy", True, id="y-iy"),
    pytest.param("Yevgeny", "Evgeny", True, id="ye-e"),
    pytest.param("Yuri", "Iurii", True, id="yu-iu"),
    pytest.param("Tatyana", "Tatiana", True, id="tya-tia"),
    pytest.param("Sergey", "Sergei", True, id="ey-ei"),
    pytest.param("Fyodor", "Fedor", True, id="yo-e"),
    pytest.param("Aleksey", "Alexei", True, id="ks-x-and-ey-ei"),
    pytest.param("Xenia", "Ksenia", True, id="x-ks"),
    pytest.param("Алексей", "Aleksei", True, id="cyrillic-romanised"),
    pytest.param("Наталья", "Natalya", True, id="cyrillic-soft-sign"),
    pytest.param("Müller", "Mueller", True, id="umlaut-ue"),
    pytest.param("Müller", "Muller", True, id="umlaut-u"),
    pytest.param("Schröder", "Schroeder", True, id="umlaut-oe"),
    pytest.param("Jürgen", "Juergen", True, id="jurgen"),
    pytest.param("Philip", "Filip", True, id="ph-f"),
    pytest.param("Marco", "Mario", False, id="marco-mario"),
    pytest.param("Robert", "Rupert", False, id="robert-rupert"),
    pytest.param("Smith", "Schmidt", False, id="smith-schmidt"),
    pytest.param("Ivanov", "Ivanova", False, id="gendered-surnames"),
    pytest.param("Anna", "Anne", False, id="anna-anne"),
])
def test_phonetic_keys_fold_romanisation_and_spelling_variants_only(one: str, other: str, same: bool) -> None:
    assert same_phonetic_key(one, other) is same
