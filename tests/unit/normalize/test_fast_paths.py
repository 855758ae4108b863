"""The normalizers' fast paths give exactly what the library call or plain computation gives.

Each fast path is checked against what it stands in for:

* company keys: the indexed pass over cleanco's terms against ``cleanco.basename``, and the
  indexed legal-form stripping against the plain loop over every form;
* email syntax: the per-part check of a plain address against ``email_validator.validate_email``;
  provider typos: the length bound against the edit distance alone; household mailboxes: one
  regex against splitting the local part into words;
* phone extensions: a value without a letter or ``#`` never holds an extension; phone type:
  one region lookup and the type against it, against the library's own ``number_type`` and
  ``region_code_for_number`` (each of which looks the region up);
* phone parsing: the digits-only and extension steps of ``phonenumbers.parse`` that
  ``preload`` replaces give what the library's own give, for any text;
* preloading: numbers and country names read the same before and after ``preload``;
* storable records: the shortcut over flat values against the full walk over every value;
* country names: the per-language tables against one table of all languages, built eagerly;
* text: dropping symbols without looking at letters of the Latin, Greek and Cyrillic blocks.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

import cleanco
import phonenumbers
import pytest
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneNumberType
from rapidfuzz.distance import DamerauLevenshtein

from resolvers.normalize import company, country, email, phone, text
from resolvers.normalize.record import preload
from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import fold
from resolvers.records import _problem, _unstorable

PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=400,
                    suppress_health_check=[HealthCheck.too_slow])

_CLEANCO_WORDS = sorted({word for _, term in cleanco.prepare_default_terms() for word in term if word.isascii()})
_NAME_WORDS = st.one_of(
    st.sampled_from(_CLEANCO_WORDS),
    st.sampled_from(["Acme", "ACME", "the", "and", "&", "-", ".", ",", "Co.", "LTD.", "S.A.", "GmbH&Co.", "(x)"]),
    st.text(alphabet="abcXYZ.,&-'", min_size=1, max_size=5),
)
COMPANY_NAMES = st.lists(_NAME_WORDS, min_size=1, max_size=7).map(" ".join)


def strip_legal_forms_plainly(tokens: list[str]) -> list[str]:
    """Strip legal forms by trying every form on every pass: the algorithm the index shortcuts."""
    changed = True
    while changed and tokens:
        changed = False
        for form in company._LEGAL_FORMS:
            size = len(form)
            if len(tokens) > size and tuple(tokens[-size:]) == form:
                tokens, changed = tokens[:-size], True
            elif form in company._PREFIX_FORMS and len(tokens) > size and tuple(tokens[:size]) == form:
                tokens, changed = tokens[size:], True
    return tokens


@PROPERTY
@given(COMPANY_NAMES)
def test_cleanco_terms_come_off_as_cleanco_basename_takes_them_off(name: str) -> None:
    assert company._cleanco_basename(name) == cleanco.basename(name)


@pytest.mark.parametrize("name", [
    "Acme Ltd", "Acme Ltd.", "Acme, Inc.", "ACME S.A. de C.V.", "Acme GmbH & Co. KG", "Acme s de rl s de rl",
    "Ltd", "Inc Inc", "Acme Sp. z o.o.", "Acme -", "Acme A/S", "", "   ", "Kaffee Ges.m.b.H.",
])
def test_known_company_names_lose_the_same_suffixes_as_with_cleanco(name: str) -> None:
    assert company._cleanco_basename(name) == cleanco.basename(name)


@PROPERTY
@given(st.lists(st.sampled_from([*{w for form in company._LEGAL_FORMS for w in form}, "acme", "the", "co"]),
                min_size=1, max_size=8))
def test_legal_forms_come_off_as_with_a_plain_pass_over_every_form(tokens: list[str]) -> None:
    assert company._strip_legal_forms(list(tokens)) == strip_legal_forms_plainly(list(tokens))


def syntax_by_validate_email(text: str) -> tuple[str, str] | Rejection:
    """Return what ``validate_email`` makes of ``text``, in the shape ``_syntax_checked`` returns."""
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        return Rejection("invalid_syntax", str(error))
    return valid.local_part.lower(), valid.domain.lower()


@pytest.mark.parametrize("text", [
    "bob@acme.com", "j..jones@murphy.com", ".bob@acme.com", "bob.@acme.com", "bob@acme", "bob@-acme.com",
    "bob@acme..com", "bob@[192.168.0.1]", '"bob smith"@acme.com', "bob smith <bob@acme.com>", "bob@@acme.com",
    "bob@", "@acme.com", "bob@xn--bcher-kva.example", "bob@bücher.example", "josé@acme.es", "bob@acme.com.",
    "bob@localhost", "bob@acme.invalid", "bob@acme.arpa", "bob@a_b.com", "bob@acme.c", "bob@123.com",
    "info@acme.com", "postmaster@acme.com", "a" * 64 + "@acme.com", "a" * 65 + "@acme.com",
    "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 50 + ".com",
    "bob@" + "b" * 63 + ".com", "bob@" + "b" * 64 + ".com",
    # 254 and 255 octets: just inside and just past the limit on a whole address (RFC 5321 4.5.3.1.3).
    "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com",
    "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com", "bob\t@acme.com", "bob@acme.com\n",
])
def test_addresses_read_part_by_part_as_validate_email_reads_them(text: str) -> None:
    assert email._syntax_checked(text) == syntax_by_validate_email(text)


@PROPERTY
@given(st.text(alphabet='abz09.-_+@[]"<> ', max_size=30))
def test_any_short_ascii_address_reads_as_validate_email_reads_it(text: str) -> None:
    assert email._syntax_checked(text) == syntax_by_validate_email(text)


@PROPERTY
@given(st.text(alphabet=st.characters(blacklist_categories=("L",), blacklist_characters="#"), max_size=40))
def test_a_value_without_letters_or_a_hash_has_no_extension(text: str) -> None:
    assert phone._EXTENSION.search(text) is None
    assert phone._split_extension(text) == (text, None)


def test_country_names_resolve_as_with_one_table_of_every_language() -> None:
    table: dict[str, str] = {}
    for language in country._CLDR_LANGUAGES:
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                table.setdefault(fold(name), code)
    table.update(country._ALIASES)
    names = [*table, "narnia", "deutsch land", "xx"]

    assert {name: country._code_of_name(name) for name in names} == {name: table.get(name) for name in names}


def test_the_extension_shortcut_covers_every_extension_word() -> None:
    words = re.sub(r"\\[sd]|[^a-zа-я#]+", " ", phone._EXTENSION.pattern).split()

    assert all(phone._MAY_HAVE_EXTENSION.search(word) for word in words)


@PROPERTY
@given(st.text(alphabet="gmailhotyc", max_size=12), st.sampled_from(["gmail", "hotmail", "googlemail", "yahoo"]),
       st.integers(min_value=0, max_value=2))
def test_a_name_is_within_some_edits_exactly_when_its_edit_distance_says_so(name: str, major: str, edits: int) -> None:
    assert email._within(name, major, edits) == (DamerauLevenshtein.distance(name, major) <= edits)


@PROPERTY
@given(st.lists(st.sampled_from(["home", "casa", "dom", "and", "et", "family", "famil", "smith", "pete", "andrea",
                                 ".", "_", "-", "7", "٣", "x"]), max_size=6).map("".join))
def test_household_mailboxes_are_found_as_by_splitting_the_local_part_into_words(local: str) -> None:
    words = set(re.split(r"[._\-\d]+", local))
    expected = any(word in local for word in email._FAMILY_WORDS) or bool(words & email._HOUSEHOLD_TOKENS)

    assert email._is_household(local) == (expected or bool(email._PLURAL_SURNAME.match(local)))


def drop_symbols_one_by_one(value: str) -> str:
    """Drop the characters of the dropped categories, looking up every character."""
    return "".join(ch for ch in value if " " <= ch <= "~" or ch in "\t\n"
                   or unicodedata.category(ch) not in text._DROPPED_CATEGORIES)


def test_every_character_is_dropped_or_kept_as_its_category_says() -> None:
    characters = [chr(code) for code in range(0x3000)] + ["😀", "🇮🇹", "\U000e0001", "\ud800"]

    assert [text._drop_symbols(ch) for ch in characters] == [drop_symbols_one_by_one(ch) for ch in characters]


@PROPERTY
@given(st.text())
def test_any_text_loses_the_same_symbols_as_when_each_character_is_looked_up(value: str) -> None:
    assert text._drop_symbols(value) == drop_symbols_one_by_one(value)


def parse_by_the_public_api(number: str, region: str) -> tuple[str, str, str, str] | Rejection:
    """``phone._parse`` as written with libphonenumber's public calls only: possible, type, region."""
    try:
        parsed = phonenumbers.parse(number, region)
    except NumberParseException as error:
        return Rejection(*phone._PARSE_ERRORS.get(error.error_type, ("invalid_number", "not a phone number")))
    where = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    possibility = phonenumbers.is_possible_number_with_reason(parsed)
    if possibility in phone._POSSIBILITY:
        code, message = phone._POSSIBILITY[possibility]
        return Rejection(code, message.format(region=where))
    number_type = phonenumbers.number_type(parsed)
    if number_type == PhoneNumberType.UNKNOWN:
        where = region if where == phonenumbers.UNKNOWN_REGION else where
        return Rejection("invalid_number", f"not a valid number of {where}")
    national = str(parsed.national_number)
    if phone._is_junk_digits(national):
        return Rejection("junk", "a placeholder number (repeated digits or a counting run)")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, phone._TYPE_NAMES.get(number_type, "unknown"), phonenumbers.region_code_for_number(parsed) or region, \
        national


# Numbers of country codes that several regions share (+1, +7, +44, +39, +47, +61, +262, +590),
# non-geographic ones (+800, +882), and invalid, too short and too long ones.
_NUMBERS = [
    ("+14155550132", "ZZ"), ("+12025550173", "ZZ"), ("+18765550123", "ZZ"), ("+18768761234", "ZZ"),
    ("+16135550123", "ZZ"), ("+14165550199", "ZZ"), ("+12642351234", "ZZ"), ("+19395550123", "ZZ"),
    ("+79161234567", "ZZ"), ("+77011234567", "ZZ"), ("+77172123456", "ZZ"), ("+447911123456", "ZZ"),
    ("+441534123456", "ZZ"), ("+447781123456", "ZZ"), ("+441624123456", "ZZ"), ("+390212345678", "ZZ"),
    ("+393471234567", "ZZ"), ("+390669812345", "ZZ"), ("+4740612345", "ZZ"), ("+4779012345", "ZZ"),
    ("+61412345678", "ZZ"), ("+61891641234", "ZZ"), ("+262262161234", "ZZ"), ("+262269601234", "ZZ"),
    ("+590590201234", "ZZ"), ("+80012345678", "ZZ"), ("+882237123456", "ZZ"), ("+4930123456", "ZZ"),
    ("+491711234567", "ZZ"), ("+1415555013", "ZZ"), ("+141555501322", "ZZ"), ("+99912345", "ZZ"),
    ("+3912", "ZZ"), ("+12345678901234567", "ZZ"), ("4155550132", "US"), ("4155550132", "CA"),
    ("3471234567", "IT"), ("0212345678", "IT"), ("89161234567", "RU"), ("07911123456", "GB"),
    ("01534123456", "GB"), ("0301234567", "DE"), ("1234", "DE"), ("5555555555", "US"), ("123", "US"),
]


@pytest.mark.parametrize(("number", "region"), _NUMBERS)
def test_numbers_read_as_with_the_public_type_and_region_calls(number: str, region: str) -> None:
    assert phone._parse.__wrapped__(number, region) == parse_by_the_public_api(number, region)


@PROPERTY
@given(st.from_regex(r"\+?[0-9]{4,17}", fullmatch=True), st.sampled_from(["US", "IT", "DE", "GB", "RU", "BR", "ZZ"]))
def test_any_digits_read_as_with_the_public_type_and_region_calls(number: str, region: str) -> None:
    assert phone._parse.__wrapped__(number, region) == parse_by_the_public_api(number, region)


_PHONE_TEXT = st.one_of(
    st.from_regex(r"\+?[0-9]{0,18}", fullmatch=True),
    st.text(alphabet="+0123456789０١۲٣x#~,;: -.()ext", max_size=20),
    st.text(max_size=20),
)


@PROPERTY
@given(_PHONE_TEXT, st.booleans())
def test_digits_come_out_of_any_text_as_the_library_takes_them_out(text: str, keep_non_digits: bool) -> None:
    assert phone._digits_only(text, keep_non_digits) == phone._LIBRARY_DIGITS_ONLY(text, keep_non_digits)


@PROPERTY
@given(_PHONE_TEXT)
def test_extensions_come_off_any_text_as_the_library_takes_them_off(text: str) -> None:
    assert phone._strip_extension(text) == phone._LIBRARY_STRIP_EXTENSION(text)


@pytest.mark.parametrize("text", ["+390212345678", "0212345678", "+1 415 555 0132 ext. 12", "415-555-0132 x7",
                                  "+٣٩٣٤٧١٢٣٤٥٦٧", "+1 800 FLOWERS", "tel:+1-415-555-0132;ext=55"])
def test_the_library_parses_the_same_with_the_fast_paths_in_place(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    library = phonenumbers.phonenumberutil
    monkeypatch.setattr(library, "normalize_digits_only", phone._LIBRARY_DIGITS_ONLY)
    monkeypatch.setattr(library, "_maybe_strip_extension", phone._LIBRARY_STRIP_EXTENSION)
    plain = phonenumbers.parse(text, "US")

    phone._install_fast_paths()

    assert library.normalize_digits_only is phone._digits_only
    assert library._maybe_strip_extension is phone._strip_extension
    assert phonenumbers.parse(text, "US") == plain


def test_numbers_and_country_names_read_the_same_once_preloaded() -> None:
    values = ["Deutschland", "Italia", "Россия", "Narnia", "xx", "Ελλάδα"]
    before = [country._code_of_name(fold(value)) for value in values]
    before += [phone._parse.__wrapped__(number, region) for number, region in _NUMBERS]

    preload()

    assert country._names_in.cache_info().currsize == len(country._CLDR_LANGUAGES)
    after = [country._code_of_name(fold(value)) for value in values]
    after += [phone._parse.__wrapped__(number, region) for number, region in _NUMBERS]
    assert after == before


_JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                          st.text(max_size=5), st.sampled_from(["\ud800", "a\udfffb", "é"]))
_JSON_VALUES = st.recursive(_JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3) | st.just("\udc80"), inner, max_size=3)),
    max_leaves=40)


@PROPERTY
@given(_JSON_VALUES)
def test_a_value_is_refused_exactly_when_the_full_walk_refuses_it(value: Any) -> None:
    assert (_problem(value) is None) == (_unstorable(value) is None)


@pytest.mark.parametrize("value", [
    {"amount": 1.5}, {"amount": math.nan}, {"amount": -math.inf}, {"n": 1, "ok": True, "none": None},
    {"k\ud800": "v"}, {"k": "v\udfff"}, ["a", 1.0, math.inf], {"deep": [[[[[[[[["x"]]]]]]]]]},
])
def test_flat_values_are_refused_exactly_when_the_full_walk_refuses_them(value: Any) -> None:
    assert (_problem(value) is None) == (_unstorable(value) is None)


def test_attributes_are_measured_as_compact_utf8_json() -> None:
    limit = len(b'{"k":"') + 10 + len(b'"}')
    assert _problem({"k": "é" * 5}, max_bytes=limit) is None  # "é" is two bytes in UTF-8
    assert _problem({"k": "é" * 6}, max_bytes=limit) == f"limited to {limit} bytes of JSON"
