"""Dates of birth: ISO 8601 ``YYYY-MM-DD`` out, from the formats people and systems write.

Accepted: ``YYYY-MM-DD`` (also with a time part), ``YYYY/MM/DD``, ``DD.MM.YYYY`` and
``DD/MM/YYYY`` or ``MM/DD/YYYY``. A slashed date is read day-first unless the record's country
writes month-first (the US, its territories and the Philippines) or only one reading is a real
date. Dates before 1900 or after the record was observed are implausible.
"""

from __future__ import annotations

import re
from datetime import date

from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import clean_text, is_placeholder

__all__ = ["normalize_date_of_birth"]

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")
_MONTH_FIRST = frozenset({"US", "PH", "PR", "GU", "VI", "AS", "MP", "UM", "FM", "MH", "PW"})
_EARLIEST_YEAR = 1900


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse(text: str, country: str | None) -> date | None:
    if match := _ISO.match(text):
        return _make(int(match[1]), int(match[2]), int(match[3]))
    if match := _DOTTED.match(text):
        return _make(int(match[3]), int(match[2]), int(match[1]))
    if match := _SLASHED.match(text):
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        day_first, month_first = _make(year, second, first), _make(year, first, second)
        if day_first and month_first:
            return month_first if country in _MONTH_FIRST else day_first
        return day_first or month_first
    return None


def normalize_date_of_birth(raw: str, *, country: str | None = None, latest: date | None = None) -> date | Rejection:
    """Return the date of birth in ``raw``, or why it was rejected."""
    text = clean_text(raw)
    if not text:
        return Rejection("empty", "the value is empty")
    if not any(ch.isdigit() for ch in text) and is_placeholder(text):
        return Rejection("placeholder", "a placeholder, not a date")
    parsed = _parse(text, country)
    if parsed is None:
        return Rejection("invalid_date", "not a date; expected YYYY-MM-DD")
    if parsed.year < _EARLIEST_YEAR or (latest is not None and parsed > latest):
        return Rejection("implausible_date", "not a plausible date of birth")
    return parsed
