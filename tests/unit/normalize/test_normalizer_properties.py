"""Properties of every normalizer, checked on generated input.

* No text makes a normalizer raise (control characters, emoji, RTL marks, broken escapes, very
  long strings).
* A canonical value normalizes to itself (E.164, email keys, LinkedIn identifiers, handles,
  company keys, name keys).
* Keys do not change with the case of the input or with the whitespace around it.
* ``fold`` (and ``clean_text``) are idempotent.

Hypothesis runs derandomized and without an example database, so every run (and CI) sees the
same examples.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any
from urllib.parse import quote

import phonenumbers
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from resolvers import NormalizedRecord, RecordIn, normalize_record
from resolvers.normalize.address import PostalAddress, normalize_address
from resolvers.normalize.company import Company, normalize_company
from resolvers.normalize.country import country_code, region_of_email_domain
from resolvers.normalize.dates import normalize_date_of_birth
from resolvers.normalize.email import Email, normalize_email
from resolvers.normalize.handles import PLATFORMS, Handle, normalize_handle
from resolvers.normalize.linkedin import LinkedIn, normalize_linkedin
from resolvers.normalize.names import PersonName, normalize_name, phonetic
from resolvers.normalize.nicknames import nickname_groups
from resolvers.normalize.phone import Phone, RegionHints, normalize_phone
from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import clean_text, fold, fold_compact, is_placeholder

PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=150,
                    suppress_health_check=[HealthCheck.too_slow])

# Pieces that have broken text handling before: invisible and bidirectional marks, emoji and
# flags, symbols NFKC spells out, broken percent escapes, URL and phone punctuation.
_TRICKY = st.sampled_from([
    "\u200f", "\u202e", "\u200d", "\u200b", "\ufeff", "\x00", "\x1b", "\n", "\t", "😀", "🇮🇹", "✨", "™", "½",
    "ß", "İ", "\u0301", "ﬁ", "%", "%ZZ", "%FF", "%2541", "@", "@@", "+", "00", "://", "/", "?", "#", "[", "..",
    "linkedin.com/in/", "https://", "instagram.com/", "mailto:", "ext. ", "доб. ", ",", "«", "»",
])
ANY_TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(st.text(max_size=6), _TRICKY), max_size=12).map("".join),
    st.text(max_size=12).map(lambda text: text * 400),
)
# Characters whose case round-trips (no "ß" → "SS", no Greek final sigma): the ones for which
# "the same value in another case" is well defined.
CASE_SAFE_TEXT = st.text(
    st.characters(categories=("L", "Nd", "Zs", "Pd", "Po")).filter(
        lambda ch: ch.upper().lower() == ch.lower() and ch.lower().upper() == ch.upper() and ch not in "σςΣ"),
    max_size=30,
)
SURROUNDING_SPACE = st.sampled_from(["", " ", "  ", "\t", " \t ", "\n"])
REGIONS = ("US", "GB", "FR", "ES", "IT", "DE", "PL", "NL", "RU", "BR", "CH", "AT", "BE", "PT", "IE", "CA", "SE")
_SLUG_ALPHABET = (string.ascii_lowercase + string.digits + "-" + "àáâäçèéêëíîïñóôöúüłńśźżąęć"
                  + "абвгдежзийклмнопрстуфхцчшщыьэюяё")


def make_hints(default: str = "US") -> RegionHints:
    """Return region hints with only a default region."""
    return RegionHints(default=default)


def change_case(text: str, how: str) -> str:
    """Return ``text`` upper-cased, lower-cased or title-cased."""
    return {"upper": text.upper(), "lower": text.lower(), "title": text.title()}[how]


CASES = st.sampled_from(["upper", "lower", "title"])


# (a) No input makes a normalizer raise.


@PROPERTY
@given(text=ANY_TEXT, region=st.sampled_from(REGIONS))
def test_no_text_makes_any_value_normalizer_raise(text: str, region: str) -> None:
    assert isinstance(normalize_phone(text, hints=make_hints(region)), Phone | Rejection)
    assert isinstance(normalize_email(text), Email | Rejection)
    assert isinstance(normalize_linkedin(text), LinkedIn | Rejection)
    for platform in [*sorted(PLATFORMS), "myspace"]:
        assert isinstance(normalize_handle(text, platform=platform), Handle | Rejection)
    assert isinstance(normalize_company(text), Company | None)
    assert isinstance(normalize_date_of_birth(text, country=region, latest=date(2024, 1, 1)), date | Rejection)
    code = country_code(text)
    assert code is None or (len(code) == 2 and code.isupper())
    assert region_of_email_domain(text) in (None, *phonenumbers.SUPPORTED_REGIONS)
    assert isinstance(is_placeholder(text), bool)
    assert isinstance(phonetic(fold_compact(text)), str)
    # Nickname groups are keyed by phonetic form: a name always belongs to its own group.
    assert phonetic(fold_compact(text)) in nickname_groups(fold_compact(text)) or not fold_compact(text)


@PROPERTY
@given(first=ANY_TEXT, last=ANY_TEXT, full=ANY_TEXT)
def test_no_text_makes_the_name_normalizer_raise(first: str, last: str, full: str) -> None:
    for fields in ((first, last, full), (None, None, full), (first, None, None)):
        name = normalize_name(*fields)
        assert name is None or isinstance(name, PersonName)


@PROPERTY
@given(street=ANY_TEXT, city=ANY_TEXT, postal_code=ANY_TEXT, country=ANY_TEXT)
def test_no_text_makes_the_address_normalizer_raise(street: str, city: str, postal_code: str, country: str) -> None:
    address = normalize_address(street=street, city=city, postal_code=postal_code, country=country)

    assert address is None or isinstance(address, PostalAddress)


def _capped(limit: int) -> st.SearchStrategy[str]:
    return ANY_TEXT.map(lambda text: text[:limit])


@PROPERTY
@given(
    texts=st.fixed_dictionaries({
        name: _capped(64) for name in ("first_name", "last_name", "full_name", "email", "phone", "linkedin_url",
                                       "instagram_handle", "company", "job_title", "country")
    }),
    lists=st.fixed_dictionaries({"emails": st.lists(_capped(64), max_size=3),
                                 "phones": st.lists(_capped(64), max_size=3)}),
    handles=st.dictionaries(_capped(32), _capped(64), max_size=3),
    address=st.fixed_dictionaries({"street": _capped(64), "city": _capped(64), "postal_code": _capped(32),
                                   "country": _capped(64)}),
    date_of_birth=_capped(32),
)
def test_no_record_of_valid_shape_makes_normalize_record_raise(
    texts: dict[str, str], lists: dict[str, list[str]], handles: dict[str, str], address: dict[str, str],
    date_of_birth: str,
) -> None:
    fields: dict[str, Any] = {**texts, **lists, "handles": handles, "address": address, "date_of_birth": date_of_birth}
    record = normalize_record(RecordIn(source="crm", source_record_id="crm-1", **fields), default_region="IT")

    assert isinstance(record, NormalizedRecord)
    assert all(issue.field and issue.code for issue in record.issues)


# (b) A canonical value normalizes to itself.


@st.composite
def real_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    """Draw a region and a valid number of it: libphonenumber's example with new last digits."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(st.sampled_from([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE]))
    example = phonenumbers.example_number_for_type(region, kind)
    assume(example is not None)
    national = phonenumbers.national_significant_number(example)
    tail = draw(st.text(string.digits, min_size=3, max_size=3))
    number = phonenumbers.parse(f"+{example.country_code}{national[:-3]}{tail}")
    assume(phonenumbers.is_valid_number(number))
    return region, number


@PROPERTY
@given(drawn=real_numbers(), separator=st.sampled_from([" ", "-", ".", ""]))
def test_a_valid_number_in_any_format_normalizes_to_its_e164_and_e164_to_itself(
    drawn: tuple[str, phonenumbers.PhoneNumber], separator: str,
) -> None:
    region, number = drawn
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    first = normalize_phone(e164, hints=make_hints())
    # Numbers that look typed to get past a form (counting runs) are rejected on purpose.
    assume(not (isinstance(first, Rejection) and first.code == "junk"))
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL).replace(" ", separator)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)

    for text, hints in ((e164, make_hints()), (international, make_hints()), ("00" + e164[1:], make_hints()),
                        (national, make_hints(region)), (f" {national} ", RegionHints(default="US", country=region))):
        result = normalize_phone(text, hints=hints)
        assert isinstance(result, Phone), (text, result)
        assert result.e164 == e164


@st.composite
def typed_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """Draw a region and a valid number of it as a person might type it, maybe with an extension."""
    region, number = draw(real_numbers())
    style = draw(st.sampled_from([PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL]))
    text = phonenumbers.format_number(number, style).replace(" ", draw(st.sampled_from([" ", "-", ".", ""])))
    extension = draw(st.sampled_from(["", " ext. 12", " x7", " доб. 305", " poste 4", " interno 21"]))
    return region, draw(SURROUNDING_SPACE) + text + extension + draw(SURROUNDING_SPACE)


@PROPERTY
@given(drawn=st.one_of(typed_numbers(), st.tuples(st.sampled_from(REGIONS), ANY_TEXT)))
def test_an_accepted_phone_number_renormalizes_to_the_same_e164(drawn: tuple[str, str]) -> None:
    region, text = drawn
    phone = normalize_phone(text, hints=make_hints(region))
    assume(isinstance(phone, Phone))
    assert isinstance(phone, Phone)

    again = normalize_phone(phone.e164, hints=make_hints("US"))

    assert isinstance(again, Phone)
    assert (again.e164, again.extension, again.region_source) == (phone.e164, None, "international")


_LOCAL_PART = st.lists(st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8), min_size=1,
                       max_size=3).map(".".join)
_DOMAINS = st.sampled_from([
    "gmail.com", "googlemail.com", "gmial.com", "outlook.com", "hotmail.it", "hotmial.com", "yandex.ru", "yahoo.com",
    "libero.it", "web.de", "acme.com", "maspero.it", "firma.de", "mailinator.com", "example.com", "münchen.de",
])
REALISTIC_EMAILS = st.builds(
    lambda local, tag, domain: f"{local}{'+' + tag if tag else ''}@{domain}",
    _LOCAL_PART, st.one_of(st.none(), st.text(string.ascii_lowercase, min_size=1, max_size=6)), _DOMAINS,
)


@PROPERTY
@given(raw=st.one_of(REALISTIC_EMAILS, st.emails(), ANY_TEXT))
def test_an_email_key_and_address_normalize_to_the_same_key(raw: str) -> None:
    email = normalize_email(raw)
    assume(isinstance(email, Email))
    assert isinstance(email, Email)

    for text in (email.key, email.address):
        again = normalize_email(text)
        assert isinstance(again, Email), (text, again)
        assert again.key == email.key


_SLUGS = st.text(_SLUG_ALPHABET, min_size=2, max_size=40)


@PROPERTY
@given(slug=st.one_of(_SLUGS, ANY_TEXT), encode=st.booleans())
def test_a_canonical_linkedin_identifier_normalizes_to_itself(slug: str, encode: bool) -> None:
    profile = normalize_linkedin("https://www.linkedin.com/in/" + (quote(slug) if encode else slug))
    assume(isinstance(profile, LinkedIn))
    assert isinstance(profile, LinkedIn)

    for text in (profile.value, "https://" + profile.value, "https://www." + profile.value + "/"):
        assert normalize_linkedin(text) == profile


@PROPERTY
@given(platform=st.sampled_from(sorted(PLATFORMS)), data=st.data())
def test_a_canonical_handle_normalizes_to_itself(platform: str, data: st.DataObject) -> None:
    raw = data.draw(st.one_of(st.from_regex(PLATFORMS[platform].pattern, fullmatch=True), ANY_TEXT))
    handle = normalize_handle(raw, platform=platform)
    assume(isinstance(handle, Handle))
    assert isinstance(handle, Handle)

    assert normalize_handle(handle.handle, platform=platform) == handle


_LEGAL_FORMS = st.sampled_from(["", "Inc.", ", LLC", "Ltd", "GmbH", "GmbH & Co. KG", "S.p.A.", "S.r.l.", "SA",
                                "SAS", "S.L.", "Ltda.", "Sp. z o.o.", "B.V.", "AG", "Company", "& Co."])
REALISTIC_COMPANIES = st.one_of(
    st.builds(lambda words, form: f"{words} {form}",
              st.lists(st.text(string.ascii_letters + "àéöçñ", min_size=1, max_size=9), min_size=1,
                       max_size=3).map(" ".join), _LEGAL_FORMS),
    st.builds(lambda form, name: f"{form} «{name}»", st.sampled_from(["ООО", "АО", "ЗАО", "OOO", "JSC"]),
              st.text("абвгдеклмнопрстуфя", min_size=2, max_size=10)),
)


@PROPERTY
@given(raw=st.one_of(REALISTIC_COMPANIES, ANY_TEXT))
def test_a_company_key_is_its_own_key(raw: str) -> None:
    company = normalize_company(raw)
    assume(company is not None)
    assert company is not None

    again = normalize_company(company.key)

    assert again is not None
    assert again.key == company.key


@PROPERTY
@given(first=st.one_of(CASE_SAFE_TEXT, ANY_TEXT), last=st.one_of(CASE_SAFE_TEXT, ANY_TEXT))
def test_name_keys_are_already_folded_and_survive_a_round_trip_through_the_display_form(first: str, last: str) -> None:
    name = normalize_name(first, last)
    assume(name is not None)
    assert name is not None

    for key in (name.first_key, name.last_key, *name.first_tokens, *name.last_tokens):
        assert fold_compact(key) == key
    again = normalize_name(name.first, name.last)
    assert again is not None
    assert (again.first_key, again.last_key) == (name.first_key, name.last_key)


# (c) Keys do not depend on case or surrounding whitespace.


@PROPERTY
@given(raw=st.one_of(REALISTIC_EMAILS, st.emails()), how=CASES, before=SURROUNDING_SPACE, after=SURROUNDING_SPACE)
def test_email_keys_ignore_case_and_surrounding_whitespace(raw: str, how: str, before: str, after: str) -> None:
    email = normalize_email(raw)
    assume(isinstance(email, Email))
    assert isinstance(email, Email)

    again = normalize_email(before + change_case(raw, how) + after)

    assert isinstance(again, Email)
    assert again.key == email.key


_LINKEDIN_PREFIXES = st.sampled_from([
    "https://www.linkedin.com/in/", "http://linkedin.com/in/", "linkedin.com/in/", "https://it.linkedin.com/in/",
    "https://m.linkedin.com/in/", "https://www.linkedin.com/mwlite/in/", "https://www.linkedin.com/company/",
])


@PROPERTY
@given(prefix=_LINKEDIN_PREFIXES, slug=_SLUGS, encode=st.booleans(), suffix=st.sampled_from(["", "/", "/?trk=x"]),
       how=CASES, before=SURROUNDING_SPACE, after=SURROUNDING_SPACE)
def test_linkedin_identifiers_ignore_case_and_surrounding_whitespace(
    prefix: str, slug: str, encode: bool, suffix: str, how: str, before: str, after: str,
) -> None:
    url = prefix + (quote(slug) if encode else slug) + suffix
    profile = normalize_linkedin(url)
    assume(isinstance(profile, LinkedIn))

    assert normalize_linkedin(before + change_case(url, how) + after) == profile


_HANDLE_URLS = {
    "instagram": ("https://www.instagram.com/{}/", "@{}"), "tiktok": ("https://www.tiktok.com/@{}", "@{}"),
    "x": ("https://x.com/{}", "twitter.com/{}"), "facebook": ("https://www.facebook.com/{}", "fb.com/{}"),
    "youtube": ("https://www.youtube.com/@{}", "https://www.youtube.com/c/{}"),
    "snapchat": ("https://www.snapchat.com/add/{}", "@{}"),
}


@PROPERTY
@given(platform=st.sampled_from(sorted(PLATFORMS)), form=st.sampled_from(["{}", "url", "short"]), data=st.data(),
       how=CASES, before=SURROUNDING_SPACE, after=SURROUNDING_SPACE)
def test_handles_ignore_case_and_surrounding_whitespace(
    platform: str, form: str, data: st.DataObject, how: str, before: str, after: str,
) -> None:
    handle = data.draw(st.from_regex(PLATFORMS[platform].pattern, fullmatch=True))
    template = {"{}": "{}", "url": _HANDLE_URLS[platform][0], "short": _HANDLE_URLS[platform][1]}[form]
    raw = template.format(handle)
    result = normalize_handle(raw, platform=platform)
    assume(isinstance(result, Handle))

    assert normalize_handle(before + change_case(raw, how) + after, platform=platform) == result


@PROPERTY
@given(raw=st.one_of(REALISTIC_COMPANIES, CASE_SAFE_TEXT), how=CASES, before=SURROUNDING_SPACE,
       after=SURROUNDING_SPACE)
def test_company_keys_ignore_case_and_surrounding_whitespace(raw: str, how: str, before: str, after: str) -> None:
    company = normalize_company(raw)
    assume(company is not None)
    assert company is not None

    again = normalize_company(before + change_case(raw, how) + after)

    assert again is not None
    assert again.key == company.key


@PROPERTY
@given(first=CASE_SAFE_TEXT, last=CASE_SAFE_TEXT, how=CASES, before=SURROUNDING_SPACE, after=SURROUNDING_SPACE)
def test_name_keys_ignore_case_and_surrounding_whitespace(
    first: str, last: str, how: str, before: str, after: str,
) -> None:
    name = normalize_name(first, last)
    assume(name is not None)
    assert name is not None

    again = normalize_name(before + change_case(first, how) + after, before + change_case(last, how) + after)

    assert again is not None
    assert (again.first_key, again.last_key, again.first_groups) == (name.first_key, name.last_key, name.first_groups)


# (d) Folding is idempotent.


@PROPERTY
@given(text=ANY_TEXT)
def test_fold_and_clean_text_are_idempotent(text: str) -> None:
    folded = fold(text)

    assert fold(folded) == folded
    assert fold_compact(fold_compact(text)) == fold_compact(text)
    assert clean_text(clean_text(text)) == clean_text(text)
    assert set(folded) <= set(string.ascii_lowercase + string.digits + " ")
    assert "  " not in folded
    assert folded == folded.strip()
