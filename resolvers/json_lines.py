"""JSON lines (NDJSON) every line reader reads as one line.

JSON lets a string hold U+0085, U+2028 and U+2029 unescaped, and line readers other than a plain
split at ``\\n`` break lines there: Python's ``str.splitlines`` (and httpx's ``iter_lines`` with it)
cut a name holding one into two unreadable halves. Lines written here escape them, which means
the same in JSON (they are no JSON whitespace, so they only ever stand inside a string).
"""

from __future__ import annotations

import json

__all__ = ["escape_line_breaks", "json_line"]

_LINE_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"}


def escape_line_breaks(text: str) -> str:
    """Return the JSON text ``text`` with the line breaks in its strings escaped (JSON escapes ``\\n`` itself)."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:  # rare: a translation costs a walk over the text
        return text.translate(_LINE_BREAKS)
    return text


def json_line(value: object) -> str:
    """Return ``value`` as one JSON line, ending in a newline (non-ASCII text kept as it is)."""
    return escape_line_breaks(json.dumps(value, ensure_ascii=False)) + "\n"
