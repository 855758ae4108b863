"""Phone numbers → E.164, with the extension, the number type and where the region came from."""

from __future__ import annotations

import pytest

from resolvers.normalize.phone import Phone, RegionHints, normalize_phone
from resolvers.normalize.rejection import Rejection


def make_hints(*, default: str = "US", country: str | None = None, address: str | None = None,
               email: str | None = None) -> RegionHints:
    """Return region hints; only the default region unless told otherwise."""
    return RegionHints(default=default, country=country, address_country=address, email_region=email)


def accepted(raw: str, hints: RegionHints) -> Phone:
    """Normalize ``raw`` and fail the test unless it was accepted."""
    result = normalize_phone(raw, hints=hints)
    assert isinstance(result, Phone), result
    return result


@pytest.mark.parametrize(("raw", "hints", "e164", "number_type", "region_source"), [
    # The examples.
    pytest.param("+39 347 123 4567", make_hints(), "+393471234567", "mobile", "international", id="it-mobile-plus"),
    pytest.param("347-1234567", make_hints(country="IT"), "+393471234567", "mobile", "hint",
                 id="it-mobile-has-no-trunk-zero"),
    pytest.param("02 1234 5678", make_hints(country="IT"), "+390212345678", "fixed_line", "hint",
                 id="it-landline-keeps-its-zero"),
    pytest.param("(415) 555-0132", make_hints(country="US"), "+14155550132", "fixed_line_or_mobile", "hint",
                 id="us-parentheses"),
    pytest.param("0049 30 1234567", make_hints(), "+49301234567", "fixed_line", "international", id="de-00-prefix"),
    pytest.param("8 (916) 123-45-67", make_hints(country="RU"), "+79161234567", "mobile", "hint",
                 id="ru-trunk-eight"),
    # International forms ignore every hint.
    pytest.param("0039 347 123 4567", make_hints(country="FR"), "+393471234567", "mobile", "international",
                 id="it-00-prefix-beats-hint"),
    pytest.param("+7 (916) 123-45-67", make_hints(), "+79161234567", "mobile", "international", id="ru-plus"),
    pytest.param("+44 (0)20 7946 0018", make_hints(), "+442079460018", "fixed_line", "international",
                 id="gb-bracketed-trunk"),
    pytest.param("+33 06 12 34 56 78", make_hints(), "+33612345678", "mobile", "international",
                 id="fr-plus-with-trunk"),
    pytest.param("00 33 6 54 41 01 23", make_hints(), "+33654410123", "mobile", "international",
                 id="fr-spaced-00-prefix"),
    pytest.param("+33695887416", make_hints(), "+33695887416", "mobile", "international", id="fr-sms-gateway"),
    pytest.param("+55 (27) 99501-3629", make_hints(), "+5527995013629", "mobile", "international",
                 id="br-plus-area-in-parentheses"),
    pytest.param("+48 880 060 180", make_hints(), "+48880060180", "mobile", "international", id="pl-plus"),
    pytest.param("+31 6 12345678", make_hints(), "+31612345678", "mobile", "international", id="nl-plus"),
    pytest.param("0049 (0) 171 1234567", make_hints(), "+491711234567", "mobile", "international",
                 id="de-00-with-bracketed-trunk"),
    pytest.param("+1 (800) 555-0199", make_hints(), "+18005550199", "toll_free", "international",
                 id="us-toll-free-plus"),
    pytest.param("+44 56 1234 5678", make_hints(), "+445612345678", "voip", "international", id="gb-voip"),
    # National forms read with the record's country.
    pytest.param("916 123-45-67", make_hints(country="RU"), "+79161234567", "mobile", "hint",
                 id="ru-without-trunk"),
    pytest.param("8(934)533-87-71", make_hints(country="RU"), "+79345338771", "mobile", "hint",
                 id="ru-no-spaces"),
    pytest.param("07559 327663", make_hints(country="GB"), "+447559327663", "mobile", "hint", id="gb-mobile"),
    pytest.param("7559 327663", make_hints(country="GB"), "+447559327663", "mobile", "hint",
                 id="gb-mobile-dropped-trunk"),
    pytest.param("0800 123 4567", make_hints(country="GB"), "+448001234567", "toll_free", "hint",
                 id="gb-freephone"),
    pytest.param("06 12 34 56 78", make_hints(country="FR"), "+33612345678", "mobile", "hint", id="fr-mobile"),
    pytest.param("6 12 34 56 78", make_hints(country="FR"), "+33612345678", "mobile", "hint",
                 id="fr-mobile-dropped-trunk"),
    pytest.param("06.03.31.81.34", make_hints(country="FR"), "+33603318134", "mobile", "hint", id="fr-dots"),
    pytest.param("(11) 91234-5678", make_hints(country="BR"), "+5511912345678", "mobile", "hint",
                 id="br-sao-paulo-mobile"),
    pytest.param("(027) 99982-1089", make_hints(country="BR"), "+5527999821089", "mobile", "hint",
                 id="br-trunk-zero-area"),
    pytest.param("880 060 180", make_hints(country="PL"), "+48880060180", "mobile", "hint", id="pl-mobile"),
    pytest.param("(22) 600 47 20", make_hints(country="PL"), "+48226004720", "fixed_line", "hint",
                 id="pl-warsaw-landline"),
    pytest.param("06-12345678", make_hints(country="NL"), "+31612345678", "mobile", "hint", id="nl-mobile-dash"),
    pytest.param("020 123 4567", make_hints(country="NL"), "+31201234567", "fixed_line", "hint",
                 id="nl-amsterdam-landline"),
    pytest.param("612 34 56 78", make_hints(country="ES"), "+34612345678", "mobile", "hint", id="es-mobile"),
    pytest.param("91 123 45 67", make_hints(country="ES"), "+34911234567", "fixed_line", "hint",
                 id="es-madrid-landline"),
    pytest.param("0221 1833311", make_hints(country="DE"), "+492211833311", "fixed_line", "hint",
                 id="de-cologne-landline"),
    pytest.param("01512 3456789", make_hints(country="DE"), "+4915123456789", "mobile", "hint", id="de-mobile"),
    pytest.param("380-467 9859", make_hints(country="IT"), "+393804679859", "mobile", "hint",
                 id="it-mobile-mixed-separators"),
    # National forms with no hint at all fall back to the default region.
    pytest.param("1-704-491-1959", make_hints(), "+17044911959", "fixed_line_or_mobile", "default",
                 id="us-leading-one"),
    pytest.param("619.322.5472", make_hints(), "+16193225472", "fixed_line_or_mobile", "default", id="us-dots"),
    pytest.param("1 (312) 921-3509", make_hints(), "+13129213509", "fixed_line_or_mobile", "default",
                 id="us-one-and-parentheses"),
    pytest.param("1-800-555-0199", make_hints(), "+18005550199", "toll_free", "default", id="us-toll-free"),
])
def test_numbers_in_any_usual_format_become_e164_with_their_type_and_region_source(
    raw: str, hints: RegionHints, e164: str, number_type: str, region_source: str,
) -> None:
    phone = accepted(raw, hints)

    assert (phone.e164, phone.number_type, phone.region_source) == (e164, number_type, region_source)
    assert phone.extension is None


@pytest.mark.parametrize(("hints", "e164", "region", "region_source"), [
    pytest.param(make_hints(default="US", country="IT", address="FR", email="DE"), "+390612345678", "IT", "hint",
                 id="country-hint-first"),
    pytest.param(make_hints(default="US", address="FR", email="DE"), "+33612345678", "FR", "address",
                 id="then-address-country"),
    pytest.param(make_hints(default="US", email="DE"), "+49612345678", "DE", "email_tld", id="then-email-tld"),
    pytest.param(make_hints(default="FR"), "+33612345678", "FR", "default", id="then-default-region"),
])
def test_a_national_number_is_read_with_the_strongest_region_hint_present(
    hints: RegionHints, e164: str, region: str, region_source: str,
) -> None:
    # "06 12 34 56 78" is a Rome landline, a French mobile and a German landline.
    phone = accepted("06 12 34 56 78", hints)

    assert (phone.e164, phone.region, phone.region_source) == (e164, region, region_source)


@pytest.mark.parametrize(("raw", "hints", "e164", "extension"), [
    pytest.param("+1 212 555 0199 ext. 12", make_hints(), "+12125550199", "12", id="ext-dot"),
    pytest.param("212-555-0199 x12", make_hints(country="US"), "+12125550199", "12", id="x-glued"),
    pytest.param("(614) 322-2386 #798", make_hints(country="US"), "+16143222386", "798", id="hash"),
    pytest.param("+441172895971 x615", make_hints(), "+441172895971", "615", id="gb-e164-x"),
    pytest.param("+7 (383) 290-04-13 доб. 988", make_hints(), "+73832900413", "988", id="ru-dob"),
    pytest.param("8 (343) 896-76-71 ext. 18", make_hints(country="RU"), "+73438967671", "18", id="ru-ext"),
    pytest.param("03 96 79 77 34 poste 361", make_hints(country="FR"), "+33396797734", "361", id="fr-poste"),
    pytest.param("04 44 87 05 64 p.172", make_hints(country="FR"), "+33444870564", "172", id="fr-p-dot"),
    pytest.param("02/54983501 interno 639", make_hints(country="IT"), "+390254983501", "639", id="it-interno"),
    pytest.param("+39 010 704 5283 int. 286", make_hints(), "+390107045283", "286", id="it-int"),
    pytest.param("+55 11 3456-7890 ramal 22", make_hints(), "+551134567890", "22", id="br-ramal"),
    pytest.param("069 65833239 Durchwahl 821", make_hints(country="DE"), "+496965833239", "821", id="de-durchwahl"),
    pytest.param("03411826578 App. 13", make_hints(country="DE"), "+493411826578", "13", id="de-app"),
    pytest.param("61 290 11 39 wew. 554", make_hints(country="PL"), "+48612901139", "554", id="pl-wew"),
    pytest.param("+48128255575 w. 99", make_hints(), "+48128255575", "99", id="pl-w"),
    pytest.param("070-413 6899 toestel 113", make_hints(country="NL"), "+31704136899", "113", id="nl-toestel"),
    pytest.param("(040) 268 5769 tst. 464", make_hints(country="NL"), "+31402685769", "464", id="nl-tst"),
    pytest.param("96 614 88 66 ext. 56", make_hints(country="ES"), "+34966148866", "56", id="es-ext"),
])
def test_extensions_are_split_off_and_kept_apart_from_the_number(
    raw: str, hints: RegionHints, e164: str, extension: str,
) -> None:
    phone = accepted(raw, hints)

    assert (phone.e164, phone.extension) == (e164, extension)


@pytest.mark.parametrize(("raw", "hints", "code"), [
    pytest.param("0000000000", make_hints(), "junk", id="zeros"),
    pytest.param("1234567890", make_hints(country="US"), "junk", id="counting-up"),
    pytest.param("0123456789", make_hints(country="IT"), "junk", id="counting-from-zero"),
    pytest.param("9876543210", make_hints(), "junk", id="counting-down"),
    pytest.param("1111111", make_hints(), "junk", id="ones"),
    pytest.param("+39 333 333 3333", make_hints(), "junk", id="repeated-national-digits"),
    pytest.param("12345", make_hints(), "too_short", id="five-digits"),
    pytest.param("+1 212 555 01999999999999", make_hints(), "too_long", id="twenty-one-digits"),
    pytest.param("(22) 600 47 20", make_hints(country="US"), "too_short", id="short-for-the-region"),
    pytest.param("+999 1234567", make_hints(), "invalid_country_code", id="no-such-country-code"),
    pytest.param("+1 555 555 5555", make_hints(), "invalid_number", id="unassigned-us-range"),
    pytest.param("(212) 555-0199", make_hints(country="GB"), "invalid_number", id="us-number-read-as-gb"),
    pytest.param("phone", make_hints(), "invalid_number", id="a-word"),
    pytest.param("call me", make_hints(), "invalid_number", id="words"),
    pytest.param("n/a", make_hints(), "placeholder", id="n-a"),
    pytest.param("-", make_hints(), "placeholder", id="dash"),
    pytest.param("none", make_hints(), "placeholder", id="none"),
    pytest.param("NULL", make_hints(), "placeholder", id="null"),
    pytest.param("", make_hints(), "empty", id="empty"),
    pytest.param("   ", make_hints(), "empty", id="blank"),
])
def test_impossible_numbers_and_junk_are_rejected_with_a_reason(raw: str, hints: RegionHints, code: str) -> None:
    result = normalize_phone(raw, hints=hints)

    assert isinstance(result, Rejection)
    assert result.code == code
    assert result.message


@pytest.mark.parametrize(("raw", "national"), [
    pytest.param("06 12 34 56 78", "612345678", id="french-mobile-with-trunk-zero"),
    pytest.param("8 (916) 123-45-67", "9161234567", id="russian-mobile-with-trunk-eight"),
    pytest.param("07918-205970", "7918205970", id="british-mobile"),
])
def test_a_national_number_invalid_in_the_default_region_without_hint_keeps_its_national_digits(
    raw: str, national: str,
) -> None:
    result = normalize_phone(raw, hints=make_hints())

    assert isinstance(result, Phone)
    assert result.e164 is None
    assert result.national == national
    assert result.region_source == "unknown"
    assert not result.certain


def test_a_national_number_with_a_hint_is_rejected_when_invalid_there() -> None:
    result = normalize_phone("06 12 34 56 78", hints=make_hints(country="US"))

    assert isinstance(result, Rejection)
    assert result.code == "invalid_number"


@pytest.mark.parametrize(("raw", "region"), [
    pytest.param("+1 555 555 5555", "US", id="plus-one"),
    pytest.param("+39 00 1234", "IT", id="plus-thirty-nine"),
])
def test_an_invalid_international_number_is_reported_against_its_country_code(raw: str, region: str) -> None:
    result = normalize_phone(raw, hints=make_hints(default="FR"))

    assert isinstance(result, Rejection)
    assert result.code in ("invalid_number", "too_short")
    assert result.message.endswith(region)


@pytest.mark.parametrize(("number_type", "is_mobile"), [
    pytest.param("mobile", True, id="mobile"),
    pytest.param("fixed_line_or_mobile", True, id="either"),
    pytest.param("personal_number", True, id="personal"),
    pytest.param("fixed_line", False, id="landline"),
    pytest.param("toll_free", False, id="toll-free"),
    pytest.param("voip", False, id="voip"),
])
def test_only_personal_lines_count_as_mobile(number_type: str, is_mobile: bool) -> None:
    phone = Phone(e164="+390000000000", extension=None, number_type=number_type, region="IT", region_source="hint")

    assert phone.is_mobile is is_mobile
