"""Phone numbers → E.164 (ITU-T E.164, via libphonenumber's ``phonenumbers``).

The region used to read a national-format number is, in order: the record's country hint, the
country of its address, the country-code TLD of its email, the configured default region. The
result says which one was used (``region_source``), or ``international`` when the number carried
its own country code (``+CC`` or ``00CC``). Extensions written in any of the usual ways
(``ext. 12``, ``x12``, ``poste 12``, ``ramal 12``, ``доб. 12``) are split off and kept apart.

Rejected: values too short or too long to be a number, numbers libphonenumber calls impossible
or invalid for their region, and junk typed to get past a form (one repeated digit, runs such as
``1234567890``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    COUNTRY_CODES_FOR_NON_GEO_REGIONS,
    NumberParseException,
    PhoneMetadata,
    PhoneNumberType,
    ValidationResult,
    phonenumberutil,
)

# Private, but it is exactly ``number_type`` for a region already known (see ``_region_and_type``);
# the phone tests fail loudly if a release renames it.
from phonenumbers.phonenumberutil import _number_type_helper
from phonenumbers.re_util import re_compile

from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import clean_text, is_placeholder

__all__ = ["Phone", "RegionHints", "normalize_phone", "preload"]

# Keep libphonenumber's compiled metadata patterns (a bounded set, fixed by its metadata) instead
# of compiling them again through the re module's own cache on every check; with numbers from
# many regions they also no longer fall out of that cache (512 entries).
phonenumbers.enable_pattern_cache()

# Two steps of ``phonenumbers.parse`` written for any text (letters, Arabic-Indic digits, "ext."),
# which this module only ever passes ``+`` and ASCII digits: see ``_install_fast_paths``.
_LIBRARY_DIGITS_ONLY = phonenumberutil.normalize_digits_only
_LIBRARY_STRIP_EXTENSION = phonenumberutil._maybe_strip_extension

_EXTENSION = re.compile(
    r"(?:[,;]?\s*(?:ext\.?|extn\.?|extension|x|#|poste|p\.|int\.?|interno|ramal|r\.|durchwahl|dw\.?|app\.?"
    r"|apparat|wew\.?|w\.|toestel|tst\.?|доб\.?|добавочный|вн\.?)\s*)(\d{1,6})\s*$",
    re.IGNORECASE,
)
# Every way of writing an extension above has a letter or "#" in it: a value with neither (most
# of them) cannot have one, and the regex search, tried at every position, is skipped.
_MAY_HAVE_EXTENSION = re.compile(r"[^\W\d_]|#")
_DASH_EXTENSION = re.compile(r"^([^-]*\d)\s*-\s*(\d{1,5})$")
# For ASCII text, ``str.isdigit`` is exactly 0-9.
_NOT_ASCII_DIGITS = re.compile(r"[^0-9]+")
_SEQUENCES = "01234567890123456789"
_REVERSE_SEQUENCES = _SEQUENCES[::-1]
_MIN_DIGITS, _MAX_DIGITS = 6, 17
_MIN_NATIONAL, _MAX_NATIONAL = 7, 12
_TRUNK_EIGHT_LENGTH = 11
# Rejections that only mean "not a number of the region we guessed".
_REGION_DEPENDENT = frozenset({"invalid_number", "too_long", "too_short"})
_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
# The number descriptions of a region's metadata, each with its national number pattern.
_DESCRIPTIONS = ("general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number",
                 "voip", "pager", "uan", "voicemail")
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: ("invalid_country_code", "the country code does not exist"),
    NumberParseException.TOO_SHORT_AFTER_IDD: ("too_short", "too few digits after the international prefix"),
    NumberParseException.TOO_SHORT_NSN: ("too_short", "too few digits for a phone number"),
    NumberParseException.TOO_LONG: ("too_long", "too many digits for a phone number"),
}
_POSSIBILITY = {
    ValidationResult.TOO_SHORT: ("too_short", "too few digits for a number of {region}"),
    ValidationResult.TOO_LONG: ("too_long", "too many digits for a number of {region}"),
    ValidationResult.INVALID_LENGTH: ("invalid_number", "no number of {region} has this length"),
    ValidationResult.INVALID_COUNTRY_CODE: ("invalid_country_code", "the country code does not exist"),
}


@dataclass(frozen=True, slots=True)
class RegionHints:
    """Where the region for a national-format number may come from, strongest first."""

    default: str
    country: str | None = None
    address_country: str | None = None
    email_region: str | None = None

    def pick(self) -> tuple[str, str]:
        """Return ``(region, source)``: the first hint present, else the default region."""
        if self.country:
            return self.country, "hint"
        if self.address_country:
            return self.address_country, "address"
        if self.email_region:
            return self.email_region, "email_tld"
        return self.default, "default"


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number: E.164 form, national digits, extension, type and where its region came from.

    A national-format number that is not valid in the default region and had no hint to say
    where it is from keeps only its ``national`` digits (trunk prefix removed), with
    ``e164 = None`` and ``region_source = "unknown"``: it can still meet the same number
    written with its country code elsewhere.
    """

    e164: str | None
    extension: str | None
    number_type: str
    region: str | None
    region_source: str
    national: str = ""

    @property
    def certain(self) -> bool:
        """Whether the country of the number is known from the number itself or from a hint."""
        return self.region_source not in ("default", "unknown")

    @property
    def is_mobile(self) -> bool:
        """Whether the number is a personal line (mobile, or a plan that mixes both)."""
        return self.number_type in ("mobile", "fixed_line_or_mobile", "personal_number")


def _is_junk_digits(digits: str) -> bool:
    """Whether ``digits`` is one digit repeated or a counting run (``1234567``, ``9876543``)."""
    if digits and digits.count(digits[0]) == len(digits):
        return True
    return len(digits) >= 7 and (digits in _SEQUENCES or digits in _REVERSE_SEQUENCES)


def _split_extension(text: str) -> tuple[str, str | None]:
    if not _MAY_HAVE_EXTENSION.search(text):
        return text, None
    match = _EXTENSION.search(text)
    if match and match.start() > 0 and any(ch.isdigit() for ch in text[: match.start()]):
        return text[: match.start()].rstrip(" ,;-"), match.group(1)
    return text, None


def _region_and_type(parsed: phonenumbers.PhoneNumber) -> tuple[str | None, int]:
    """Return the number's region and its type there, as ``region_code_for_number`` and ``number_type`` would.

    One walk does both: for a calling code several regions share (+1, +7, +44) the library finds
    the region by typing the number against each region's patterns in turn, and ``number_type``
    would then type it again.
    """
    regions = COUNTRY_CODE_TO_REGION_CODE.get(parsed.country_code or 0, ())
    national = phonenumbers.national_significant_number(parsed)
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(parsed.country_code or 0, region)
        if metadata is None:
            continue
        if len(regions) == 1 or (metadata.leading_digits is not None
                                 and re_compile(metadata.leading_digits).match(national)):
            return region, _number_type_helper(national, metadata)
        if metadata.leading_digits is None:
            number_type = _number_type_helper(national, metadata)
            if number_type != PhoneNumberType.UNKNOWN:
                return region, number_type
    return None, PhoneNumberType.UNKNOWN


@lru_cache(maxsize=262144)
def _parse(number: str, region: str) -> tuple[str, str, str, str] | Rejection:
    """Parse a cleaned ``number`` (``+digits`` or national digits); cached on the cleaned form."""
    try:
        parsed = phonenumbers.parse(number, region)
    except NumberParseException as error:
        return Rejection(*_PARSE_ERRORS.get(error.error_type, ("invalid_number", "not a phone number")))
    number_region, number_type = _region_and_type(parsed)
    if number_type == PhoneNumberType.UNKNOWN:
        # Invalid: say why, by length if that is the reason. An invalid number has no region of
        # its own; name the one its country code belongs to.
        where = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
        possibility = phonenumbers.is_possible_number_with_reason(parsed)
        if possibility in _POSSIBILITY:
            code, message = _POSSIBILITY[possibility]
            return Rejection(code, message.format(region=where))
        where = region if where == phonenumbers.UNKNOWN_REGION else where
        return Rejection("invalid_number", f"not a valid number of {where}")
    national = str(parsed.national_number)
    if _is_junk_digits(national):
        return Rejection("junk", "a placeholder number (repeated digits or a counting run)")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    number_region = number_region or region
    return e164, _TYPE_NAMES.get(number_type, "unknown"), number_region, national


def _digits(text: str) -> str:
    """Return the characters of ``text`` that ``str.isdigit`` accepts, in order."""
    if text.isascii():
        return _NOT_ASCII_DIGITS.sub("", text)
    return "".join(ch for ch in text if ch.isdigit())


def _canonical_input(text: str, digits: str) -> tuple[str, bool] | Rejection:
    """Return the digits to parse (with ``+`` when international) and whether it was international.

    ``digits`` is ``_digits(text)``, which the caller has already worked out.
    """
    if not digits:
        if any(ch.isalpha() for ch in text):
            return Rejection("invalid_number", "a phone number needs digits")
        return Rejection("empty", "no digits")
    if len(digits) < _MIN_DIGITS:
        return Rejection("too_short", f"{len(digits)} digits is too short for a phone number")
    if len(digits) > _MAX_DIGITS:
        return Rejection("too_long", f"{len(digits)} digits is too long for a phone number")
    if _is_junk_digits(digits):
        return Rejection("junk", "a placeholder number (repeated digits or a counting run)")
    if text.lstrip().startswith("+"):
        return "+" + digits, True
    if digits.startswith("00"):
        return "+" + digits[2:], True
    return digits, False


def _read(text: str, digits: str, hint: tuple[str, str]) -> Phone | Rejection:
    """Read a number without extension (``digits`` its digits), with ``hint`` = ``(region, source)``."""
    canonical = _canonical_input(text, digits)
    if isinstance(canonical, Rejection):
        return canonical
    number, international = canonical
    return _read_number(number, *(("ZZ", "international") if international else hint))


@lru_cache(maxsize=131072)
def _read_number(number: str, region: str, source: str) -> Phone | Rejection:
    """Read canonical digits (``+`` and digits, or national digits) as a number of ``region``.

    Cached on the canonical form, so every way of writing one number shares the work and the result.
    """
    parsed = _parse(number, region)
    if isinstance(parsed, Rejection):
        if source == "default" and parsed.code in _REGION_DEPENDENT:
            return _without_region(number) or parsed
        return parsed
    e164, number_type, number_region, national = parsed
    return Phone(e164=e164, extension=None, number_type=number_type, region=number_region,
                 region_source=source, national=national)


def _without_region(digits: str) -> Phone | None:
    """Keep a national number of unknown country by its digits, trunk prefix removed."""
    if digits.startswith("0"):
        digits = digits[1:]
    elif len(digits) == _TRUNK_EIGHT_LENGTH and digits.startswith("8"):
        digits = digits[1:]  # Russia, Kazakhstan and Belarus dial a trunk 8
    if not _MIN_NATIONAL <= len(digits) <= _MAX_NATIONAL or _is_junk_digits(digits):
        return None
    return Phone(e164=None, extension=None, number_type="unknown", region=None, region_source="unknown",
                 national=digits.lstrip("0"))


def normalize_phone(raw: str, *, hints: RegionHints) -> Phone | Rejection:
    """Return the E.164 number for ``raw`` read with ``hints``, or why it was rejected."""
    return _normalize_phone(raw, *hints.pick())


@lru_cache(maxsize=131072)
def _normalize_phone(raw: str, region: str, source: str) -> Phone | Rejection:
    """Return ``normalize_phone(raw)`` for hints that pick ``(region, source)``: all it reads of them."""
    text = clean_text(raw)
    if not text:
        return Rejection("empty", "the value is empty")
    digits = _digits(text)
    if not digits and is_placeholder(text):
        return Rejection("placeholder", "a placeholder, not a phone number")
    hint = (region, source)
    body, extension = _split_extension(text)
    result = _read(body, digits if extension is None else _digits(body), hint)
    if isinstance(result, Rejection) and extension is None:
        # German-style direct dial written "030 1234567-12": retry with the part after the dash
        # as an extension, but only when the whole value was not a valid number by itself.
        dashed = _DASH_EXTENSION.match(body)
        if dashed:
            retry = _read(dashed.group(1), _digits(dashed.group(1)), hint)
            if not isinstance(retry, Rejection):
                result, extension = retry, dashed.group(2)
    if isinstance(result, Rejection) or extension is None:
        return result
    return Phone(e164=result.e164, extension=extension, number_type=result.number_type,
                 region=result.region, region_source=result.region_source, national=result.national)


def _digits_only(number: str, keep_non_digits: bool = False) -> str:
    """Return ``phonenumberutil.normalize_digits_only(number, keep_non_digits)``, at once for ASCII digits."""
    if number.isdigit() and number.isascii():
        return number  # the library maps each character through its Unicode digit table: same text
    return _LIBRARY_DIGITS_ONLY(number, keep_non_digits)


def _strip_extension(number: str) -> tuple[str, str]:
    """Return ``phonenumberutil._maybe_strip_extension(number)``, at once for ``+`` and ASCII digits.

    Every way of writing an extension the library knows has a character that is neither.
    """
    if number.lstrip("+").isdigit() and number.isascii():
        return "", number
    return _LIBRARY_STRIP_EXTENSION(number)


def _install_fast_paths() -> None:
    """Put ``_digits_only`` and ``_strip_extension`` in place of the library's functions.

    They return exactly what the library's return, for every input (a test checks it); for the
    canonical digits ``_parse`` passes they skip a character-by-character Unicode digit lookup and a
    large extension regex: ``phonenumbers.parse`` of contacts-50k's numbers took 37 µs each, 22 with them.
    """
    phonenumberutil.normalize_digits_only = _digits_only
    phonenumberutil._maybe_strip_extension = _strip_extension


def preload() -> None:
    """Load libphonenumber's metadata of every region and compile the patterns parsing matches with.

    Both happen anyway, on first use: region by region, as numbers of each come in (about 0.3 s
    in all). A server calls this at start-up so that no request pays for it. It also installs
    the fast paths of ``_install_fast_paths``.
    """
    _install_fast_paths()
    PhoneMetadata.load_all()
    regions = [PhoneMetadata.metadata_for_region(region) for region in phonenumbers.SUPPORTED_REGIONS]
    regions += [PhoneMetadata.metadata_for_nongeo_region(code) for code in COUNTRY_CODES_FOR_NON_GEO_REGIONS]
    for metadata in filter(None, regions):
        descriptions = filter(None, (getattr(metadata, name) for name in _DESCRIPTIONS))
        patterns = [description.national_number_pattern for description in descriptions]
        patterns += [metadata.leading_digits, metadata.international_prefix, metadata.national_prefix_for_parsing]
        for pattern in filter(None, patterns):
            re_compile(pattern)
