"""Country names and codes → ISO 3166-1 alpha-2.

Names come from the Unicode CLDR territory names (via Babel) in the languages our customers'
channels write in, so "Deutschland", "Italia", "Россия" and "Brasil" resolve like "DE", "IT",
"RU" and "BR". A few everyday aliases (UK, USA, Holland) that CLDR does not list are added.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from babel import Locale

from resolvers.normalize.text import fold

__all__ = ["country_code", "preload", "region_of_email_domain"]

_CLDR_LANGUAGES = ("en", "de", "fr", "it", "es", "pt", "nl", "pl", "ru", "uk", "cs", "sv", "da", "nb", "fi",
                   "ro", "hu", "tr", "el", "ca", "hr", "sk", "sl", "bg", "lt", "lv", "et", "ga")
_ALIASES = {
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "usa": "US", "u s a": "US", "u s": "US", "us": "US",
    "america": "US", "united states of america": "US", "holland": "NL", "the netherlands": "NL",
    "russian federation": "RU", "rossiya": "RU", "rf": "RU", "brazil": "BR", "deu": "DE", "ger": "DE",
    "ita": "IT", "fra": "FR", "esp": "ES", "bra": "BR", "pol": "PL", "nld": "NL", "rus": "RU", "gbr": "GB",
    "can": "CA", "aus": "AU", "che": "CH", "aut": "AT", "bel": "BE", "prt": "PT", "irl": "IE", "mex": "MX",
    # Everyday names that recent CLDR versions replaced or qualify ("Türkiye", "Czechia",
    # "Hong Kong SAR China"), and the long Russian name.
    "turkey": "TR", "czech republic": "CZ", "hong kong": "HK", "macau": "MO", "republic of ireland": "IE",
    "uae": "AE", "ivory coast": "CI", "macedonia": "MK", "swaziland": "SZ", "burma": "MM", "east timor": "TL",
    "vatican": "VA", "rossiyskaya federatsiya": "RU",
}
# Country-code TLDs whose region code differs from the TLD itself.
_TLD_REGIONS = {"uk": "GB"}
_NOT_COUNTRY_TLDS = frozenset({"eu", "su", "io", "co", "me", "tv", "ai", "ac", "fm", "ly", "to", "cc", "ws"})


@lru_cache(maxsize=len(_CLDR_LANGUAGES))
def _names_in(language: str) -> dict[str, str]:
    """Return folded country name → alpha-2 code in one language, built on first use.

    Per language, because loading a CLDR locale is the slow part and most values name their
    country in one of the first few languages (or are codes, which need none).
    """
    table: dict[str, str] = {}
    for code, name in Locale(language).territories.items():
        if len(code) == 2 and code.isalpha():
            table.setdefault(fold(name), code)
    return table


def _code_of_name(folded: str) -> str | None:
    """Return the code of a folded country name: an alias, else the first language that has the name."""
    if folded in _ALIASES:
        return _ALIASES[folded]
    for language in _CLDR_LANGUAGES:
        code = _names_in(language).get(folded)
        if code is not None:
            return code
    return None


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """Return the ISO alpha-2 code for a code or a country name in a major language, else None."""
    folded = fold(text)
    if len(folded) == 2 and folded.isalpha() and folded.upper() in phonenumbers.SUPPORTED_REGIONS:
        return folded.upper()
    # Two letters that are no region code may still be an alias: "UK", "РФ" (→ "rf").
    return _code_of_name(folded)


def region_of_email_domain(domain: str) -> str | None:
    """Return the region of a domain's country-code TLD (``.it`` → IT, ``.co.uk`` → GB), else None."""
    tld = domain.rsplit(".", 1)[-1].lower()
    if len(tld) != 2 or tld in _NOT_COUNTRY_TLDS:
        return None
    region = _TLD_REGIONS.get(tld, tld.upper())
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def preload() -> None:
    """Build the country-name tables of every language now instead of on first use (about 0.6 s).

    A value that names no country looks in every language before it is refused, so one such
    value would otherwise pay for loading all of them.
    """
    for language in _CLDR_LANGUAGES:
        _names_in(language)
