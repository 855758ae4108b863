"""Postal addresses (street, city and postal keys) and country names and codes → ISO alpha-2."""

from __future__ import annotations

import pytest

from resolvers.normalize.address import PostalAddress, normalize_address, postal_key
from resolvers.normalize.country import country_code, region_of_email_domain


def make_address(*, street: str | None = None, city: str | None = None, postal_code: str | None = None,
                 country: str | None = None) -> PostalAddress:
    """Normalize an address built from the given parts and fail the test unless one came out."""
    address = normalize_address(street=street, city=city, postal_code=postal_code, country=country)
    assert address is not None
    return address


@pytest.mark.parametrize(("raw", "key"), [
    pytest.param("02798-957", "2798957", id="br-dash"),
    pytest.param("01305000", "1305000", id="br-no-dash"),
    pytest.param("02118", "2118", id="us-leading-zero"),
    pytest.param("2118", "2118", id="us-zero-lost-in-a-spreadsheet"),
    pytest.param("00173", "173", id="it-rome"),
    pytest.param("sw1a 2aa", "SW1A2AA", id="uk-lower-case-with-space"),
    pytest.param("SW1A2AA", "SW1A2AA", id="uk-compact"),
    pytest.param("1015 CJ", "1015CJ", id="nl-space"),
    pytest.param("61-852", "61852", id="pl-dash"),
    pytest.param("101000", "101000", id="ru"),
    pytest.param("75 008", "75008", id="fr-space"),
])
def test_postal_keys_keep_only_letters_and_digits_without_leading_zeros(raw: str, key: str) -> None:
    assert postal_key(raw) == key


@pytest.mark.parametrize(("one", "other"), [
    pytest.param("Via Roma 1", "V. Roma 1", id="it-via"),
    pytest.param("Piazza Duomo 1", "P.za Duomo 1", id="it-piazza"),
    pytest.param("Corso Buenos Aires 5", "C.so Buenos Aires 5", id="it-corso"),
    pytest.param("Hauptstraße 5", "Hauptstr. 5", id="de-glued-strasse"),
    pytest.param("Hauptstrasse 5", "Haupt-Straße 5", id="de-hyphenated-strasse"),
    pytest.param("Kalverstraat 12", "Kalverstr. 12", id="nl-glued-straat"),
    pytest.param("123 Main Street", "123 Main St.", id="us-street"),
    pytest.param("5 Baker Road", "5 Baker Rd", id="uk-road"),
    pytest.param("82 rue Leblanc", "82 r. Leblanc", id="fr-rue"),
    pytest.param("19 chemin de Boutin", "19 ch. de Boutin", id="fr-chemin"),
    pytest.param("Calle Mayor 3", "C/ Mayor 3", id="es-calle"),
    pytest.param("Avenida Paulista 1000", "Av. Paulista, 1000", id="br-avenida"),
    pytest.param("Rua Augusta, 100", "R. Augusta, 100", id="br-rua"),
    pytest.param("ulica Górnicza 98/4", "ul. Górnicza 98/4", id="pl-ulica"),
    pytest.param("улица Ленина 5", "ул. Ленина 5", id="ru-ulitsa"),
    pytest.param("ул. Ленина 5", "ulitsa Lenina 5", id="ru-romanised"),
    pytest.param("VIA ROMA 1", "via roma 1", id="case"),
])
def test_street_keys_ignore_the_street_type_and_its_abbreviation(one: str, other: str) -> None:
    assert make_address(street=one).street_key == make_address(street=other).street_key


@pytest.mark.parametrize(("street", "key"), [
    pytest.param("Via Roma 1", "roma 1", id="it"),
    pytest.param("Hauptstraße 5", "haupt 5", id="de"),
    pytest.param("Natali-Oderwald-Gasse 26", "natali oderwald 26", id="de-gasse"),
    pytest.param("123 Main Street", "123 main", id="us"),
    pytest.param("ulica Górnicza 98/4", "gornicza 98 4", id="pl-accent-and-slash"),
])
def test_a_street_key_is_the_folded_street_without_its_type(street: str, key: str) -> None:
    assert make_address(street=street).street_key == key


@pytest.mark.parametrize(("country", "code"), [
    pytest.param("Deutschland", "DE", id="deutschland"),
    pytest.param("Italia", "IT", id="italia"),
    pytest.param("UK", "GB", id="uk"),
    pytest.param("United Kingdom", "GB", id="united-kingdom"),
    pytest.param("USA", "US", id="usa"),
    pytest.param("Россия", "RU", id="rossiya-cyrillic"),
    pytest.param("Polska", "PL", id="polska"),
    pytest.param("España", "ES", id="espana"),
    pytest.param("Brasil", "BR", id="brasil"),
    pytest.param("Nederland", "NL", id="nederland"),
    pytest.param("France", "FR", id="france"),
    pytest.param("it", "IT", id="lower-case-code"),
])
def test_the_address_country_becomes_an_iso_code(country: str, code: str) -> None:
    assert make_address(city="Anywhere", country=country).country == code


def test_city_and_postal_code_are_kept_for_display_with_their_keys() -> None:
    address = make_address(street="  Via Roma 1 ", city="MILANO", postal_code="sw1a 2aa", country="Italia")

    assert (address.street, address.city, address.postal_code) == ("Via Roma 1", "MILANO", "SW1A 2AA")
    assert (address.city_key, address.postal_key) == ("milano", "SW1A2AA")


@pytest.mark.parametrize(("street", "city", "postal_code", "country"), [
    pytest.param("n/a", "-", "none", "null", id="placeholders"),
    pytest.param(None, None, None, "Atlantis", id="unknown-country-only"),
    pytest.param(None, None, None, None, id="nothing"),
    pytest.param("  ", "", None, None, id="blank"),
])
def test_an_address_with_no_usable_part_is_no_address(
    street: str | None, city: str | None, postal_code: str | None, country: str | None,
) -> None:
    assert normalize_address(street=street, city=city, postal_code=postal_code, country=country) is None


@pytest.mark.parametrize(("text", "code"), [
    pytest.param("IT", "IT", id="code"),
    pytest.param("it", "IT", id="code-lower-case"),
    pytest.param("Italia", "IT", id="italian-name"),
    pytest.param("Italy", "IT", id="english-name"),
    pytest.param("Italie", "IT", id="french-name"),
    pytest.param("ITA", "IT", id="alpha-3"),
    pytest.param("Deutschland", "DE", id="german-name"),
    pytest.param("Allemagne", "DE", id="french-name-of-germany"),
    pytest.param("deu", "DE", id="alpha-3-lower-case"),
    pytest.param("UK", "GB", id="uk"),
    pytest.param("u.k.", "GB", id="u-k-dotted"),
    pytest.param("England", "GB", id="england"),
    pytest.param("Great Britain", "GB", id="great-britain"),
    pytest.param("U.S.A.", "US", id="usa-dotted"),
    pytest.param("United States", "US", id="united-states"),
    pytest.param("Россия", "RU", id="russia-cyrillic"),
    pytest.param("РФ", "RU", id="russian-federation-initials"),
    pytest.param("Российская Федерация", "RU", id="russian-federation-cyrillic"),
    pytest.param("Rossiya", "RU", id="russia-romanised"),
    pytest.param("Brasil", "BR", id="brasil"),
    pytest.param("Espana", "ES", id="espana-without-tilde"),
    pytest.param("Holland", "NL", id="holland"),
    pytest.param("The Netherlands", "NL", id="the-netherlands"),
    pytest.param("Schweiz", "CH", id="schweiz"),
    pytest.param("Österreich", "AT", id="osterreich"),
    pytest.param("Turkey", "TR", id="turkey"),
    pytest.param("Türkiye", "TR", id="turkiye"),
    pytest.param("Czech Republic", "CZ", id="czech-republic"),
    pytest.param("Hong Kong", "HK", id="hong-kong"),
    pytest.param("XX", None, id="not-a-code"),
    pytest.param("EU", None, id="not-a-country"),
    pytest.param("Atlantis", None, id="not-a-name"),
    pytest.param("", None, id="empty"),
])
def test_country_names_in_major_languages_and_codes_resolve_to_iso_alpha_2(text: str, code: str | None) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize(("domain", "region"), [
    pytest.param("acme.it", "IT", id="it"),
    pytest.param("firma.de", "DE", id="de"),
    pytest.param("societe.fr", "FR", id="fr"),
    pytest.param("acme.co.uk", "GB", id="co-uk"),
    pytest.param("goncalves.com.br", "BR", id="com-br"),
    pytest.param("yandex.ru", "RU", id="ru"),
    pytest.param("wp.pl", "PL", id="pl"),
    pytest.param("acme.com", None, id="generic"),
    pytest.param("acme.io", None, id="io-is-used-as-generic"),
    pytest.param("acme.eu", None, id="eu-is-no-country"),
    pytest.param("acme.me", None, id="me-is-used-as-generic"),
])
def test_an_email_domain_hints_at_a_region_only_through_a_country_tld(domain: str, region: str | None) -> None:
    assert region_of_email_domain(domain) == region
