"""Postal addresses: display forms plus keys for street, city and postal code.

Street keys drop the street-type word in its long and short forms (Street/St, Via/V.,
Straße/Str., Calle/C/, Rua/R., ulica/ul., улица/ул.) so that abbreviation choices do not
matter, also where German and Dutch write it onto the name (Hauptstraße/Hauptstr.); postal
keys keep letters and digits only, upper-cased, without leading zeros (a spreadsheet often eats
them); the country becomes an ISO alpha-2 code (``country.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from resolvers.normalize.country import country_code
from resolvers.normalize.text import clean_text, fold, is_placeholder

__all__ = ["PostalAddress", "normalize_address", "postal_key"]

_STREET_TYPES = frozenset({
    "street", "st", "str", "strasse", "road", "rd", "avenue", "ave", "av", "avda", "avenida", "boulevard",
    "blvd", "bd", "lane", "ln", "drive", "dr", "court", "ct", "place", "pl", "square", "sq", "way", "terrace",
    "via", "v", "viale", "vle", "piazza", "p", "za", "pza", "corso", "c", "so", "largo", "vicolo", "rue", "r",
    "chemin", "ch", "allee", "impasse", "quai", "calle", "cl", "plaza", "paseo", "po", "camino",
    "travessa", "tv", "rua", "praca", "pca", "alameda", "al", "ulica", "ul", "aleja", "plac", "ulitsa",
    "prospekt", "pr", "pr-t", "pereulok", "per", "ploshchad", "shosse", "sh", "naberezhnaia",
    "naberezhnaya", "nab", "weg", "gasse", "platz", "ring", "damm", "straat", "laan",
    "plein", "gracht", "kade", "dreef", "no", "nr", "n", "num", "numero",
})
# Street types German and Dutch glue onto the name, long forms first: "Hauptstraße", "Kalverstr.".
_GLUED_STREET_TYPES = ("strasse", "straat", "str")


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """An address for display, with the keys used to compare it."""

    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    street_key: str
    city_key: str
    postal_key: str


def postal_key(code: str) -> str:
    """Return the comparable form of a postal code: ``"02798-957"`` → ``"2798957"``."""
    return "".join(ch for ch in fold(code).upper() if ch.isalnum()).lstrip("0")


def _street_token(token: str) -> str:
    """Return a folded street token without a glued street type: ``hauptstrasse`` → ``haupt``."""
    for suffix in _GLUED_STREET_TYPES:
        stem = token.removesuffix(suffix)
        if stem != token and len(stem) >= 2 and stem.isalpha():
            return stem
    return token


def _value(raw: str | None) -> str | None:
    text = clean_text(raw) if raw else ""
    return text if text and not is_placeholder(text) else None


def normalize_address(
    *, street: str | None, city: str | None, postal_code: str | None, country: str | None,
) -> PostalAddress | None:
    """Return the normalized address, or None when no part of it is usable."""
    return _normalize_address(street, city, postal_code, country)


@lru_cache(maxsize=65536)
def _normalize_address(
    street: str | None, city: str | None, postal_code: str | None, country: str | None,
) -> PostalAddress | None:
    """Return ``normalize_address`` of the four parts; cached, since one address recurs across channels."""
    street_text, city_text, postal_text = _value(street), _value(city), _value(postal_code)
    country_text = _value(country)
    code = country_code(country_text) if country_text else None
    if not (street_text or city_text or postal_text or code):
        return None
    street_words = fold(street_text).split() if street_text else []
    street_tokens = [_street_token(t) for t in street_words if t not in _STREET_TYPES]
    return PostalAddress(
        street=street_text,
        city=city_text,
        postal_code=postal_text.upper() if postal_text else None,
        country=code,
        street_key=" ".join(street_tokens),
        city_key=fold(city_text) if city_text else "",
        postal_key=postal_key(postal_text) if postal_text else "",
    )
