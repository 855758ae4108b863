"""Dates of birth, and the text folding and placeholder detection every normalizer shares."""

from __future__ import annotations

from datetime import date

import pytest

from resolvers.normalize.dates import normalize_date_of_birth
from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import clean_text, fold, fold_compact, is_placeholder


@pytest.mark.parametrize(("raw", "country", "expected"), [
    pytest.param("1985-03-04", None, date(1985, 3, 4), id="iso"),
    pytest.param("  1985-03-04  ", None, date(1985, 3, 4), id="iso-spaces"),
    pytest.param("1985-3-4", None, date(1985, 3, 4), id="iso-single-digits"),
    pytest.param("1985/03/04", None, date(1985, 3, 4), id="iso-slashes"),
    pytest.param("1985.03.04", None, date(1985, 3, 4), id="iso-dots"),
    pytest.param("1985-03-04T00:00:00Z", None, date(1985, 3, 4), id="iso-with-time"),
    pytest.param("04.03.1985", None, date(1985, 3, 4), id="dotted-day-first"),
    pytest.param("4.3.1985", "DE", date(1985, 3, 4), id="dotted-single-digits"),
    pytest.param("04/03/1985", "IT", date(1985, 3, 4), id="slashed-day-first-in-italy"),
    pytest.param("04/03/1985", "GB", date(1985, 3, 4), id="slashed-day-first-in-britain"),
    pytest.param("04/03/1985", None, date(1985, 3, 4), id="slashed-day-first-by-default"),
    pytest.param("04/03/1985", "US", date(1985, 4, 3), id="slashed-month-first-in-the-us"),
    pytest.param("04/03/1985", "PH", date(1985, 4, 3), id="slashed-month-first-in-the-philippines"),
    pytest.param("04-03-1985", "FR", date(1985, 3, 4), id="dashed-day-first"),
    pytest.param("13/03/1985", "US", date(1985, 3, 13), id="only-day-first-is-a-date"),
    pytest.param("03/13/1985", "IT", date(1985, 3, 13), id="only-month-first-is-a-date"),
    pytest.param("29/02/2000", "GB", date(2000, 2, 29), id="leap-day"),
    pytest.param("1900-01-01", None, date(1900, 1, 1), id="earliest-plausible"),
])
def test_dates_of_birth_are_read_from_the_usual_formats_in_the_countrys_order(
    raw: str, country: str | None, expected: date,
) -> None:
    assert normalize_date_of_birth(raw, country=country) == expected


@pytest.mark.parametrize(("raw", "latest", "code"), [
    pytest.param("1985-02-30", None, "invalid_date", id="thirtieth-of-february"),
    pytest.param("31/02/1985", None, "invalid_date", id="slashed-impossible"),
    pytest.param("29/02/2001", None, "invalid_date", id="not-a-leap-year"),
    pytest.param("1985-13-01", None, "invalid_date", id="thirteenth-month"),
    pytest.param("0000-00-00", None, "invalid_date", id="zeros"),
    pytest.param("March 4, 1985", None, "invalid_date", id="words"),
    pytest.param("85-03-04", None, "invalid_date", id="two-digit-year"),
    pytest.param("1899-12-31", None, "implausible_date", id="before-1900"),
    pytest.param("2030-01-01", date(2024, 1, 1), "implausible_date", id="after-the-record-was-observed"),
    pytest.param("n/a", None, "placeholder", id="n-a"),
    pytest.param("-", None, "placeholder", id="dash"),
    pytest.param("unknown", None, "placeholder", id="unknown"),
    pytest.param("", None, "empty", id="empty"),
])
def test_impossible_implausible_and_placeholder_dates_are_rejected(raw: str, latest: date | None, code: str) -> None:
    result = normalize_date_of_birth(raw, latest=latest)

    assert isinstance(result, Rejection)
    assert result.code == code


def test_a_birth_on_the_day_the_record_was_observed_is_still_plausible() -> None:
    assert normalize_date_of_birth("2024-01-01", latest=date(2024, 1, 1)) == date(2024, 1, 1)


@pytest.mark.parametrize(("text", "folded"), [
    pytest.param("José", "jose", id="accent"),
    pytest.param("Jean-Luc", "jean luc", id="hyphen"),
    pytest.param("O'Brien", "o brien", id="apostrophe"),
    pytest.param("Müller", "muller", id="umlaut"),
    pytest.param("Straße", "strasse", id="sharp-s"),
    pytest.param("Łódź", "lodz", id="polish"),
    pytest.param("Иван", "ivan", id="cyrillic"),
    pytest.param("Μαρία", "maria", id="greek"),
    pytest.param("ＦＵＬＬ", "full", id="full-width"),
    pytest.param("Acme™", "acme", id="trademark-sign"),
    pytest.param("Rosalia 💫", "rosalia", id="emoji"),
    pytest.param("\u200fMarco\u200f", "marco", id="rtl-marks"),
    pytest.param("Ma\u200brco", "marco", id="zero-width-space"),
    pytest.param("  a \t  b\n ", "a b", id="whitespace"),
])
def test_fold_is_the_ascii_lower_case_punctuation_free_form(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(("text", "cleaned"), [
    pytest.param("  Marco   Rossi ", "Marco Rossi", id="spaces"),
    pytest.param("Acme™ GmbH", "Acme GmbH", id="trademark-sign-dropped-not-spelled-out"),
    pytest.param("e\u200b\u0301", "\u00e9", id="mark-composed-after-a-dropped-character"),
    pytest.param("caf\u00e9^", "caf\u00e9^", id="ascii-caret-kept-beside-non-ascii"),
    pytest.param("bob^@acme.com", "bob^@acme.com", id="ascii-caret-kept"),
])
def test_clean_text_keeps_the_text_but_drops_symbols_and_invisible_characters(text: str, cleaned: str) -> None:
    assert clean_text(text) == cleaned


def test_fold_compact_drops_the_spaces_too() -> None:
    assert fold_compact("Jean-Luc de la Cruz") == "jeanlucdelacruz"


@pytest.mark.parametrize(("text", "placeholder"), [
    pytest.param("n/a", True, id="n-a"),
    pytest.param("N/A", True, id="n-a-capitals"),
    pytest.param("  n.a.  ", True, id="n-a-dotted"),
    pytest.param("none", True, id="none"),
    pytest.param("-", True, id="dash"),
    pytest.param("---", True, id="dashes"),
    pytest.param("null", True, id="null"),
    pytest.param("NULL", True, id="null-capitals"),
    pytest.param("asdf", True, id="asdf"),
    pytest.param("test", True, id="test"),
    pytest.param("xxx", True, id="xxx"),
    pytest.param("0000", True, id="zeros"),
    pytest.param("unknown", True, id="unknown"),
    pytest.param("nessuno", True, id="italian-nobody"),
    pytest.param("keine", True, id="german-none"),
    pytest.param("", True, id="empty"),
    pytest.param("Marco", False, id="a-name"),
    pytest.param("Nina", False, id="a-name-starting-like-none"),
    pytest.param("Test Solutions", False, id="a-company-with-test-in-it"),
    pytest.param("Li", False, id="a-two-letter-surname"),
])
def test_values_that_mean_nothing_are_recognised_as_placeholders(text: str, placeholder: bool) -> None:
    assert is_placeholder(text) is placeholder
