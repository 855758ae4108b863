"""LinkedIn URLs → a canonical person (or company) identifier. URLs are parsed, never fetched.

Person profiles become ``linkedin.com/in/<slug>``: any scheme or none, ``www.``, country
subdomains (``it.``), mobile hosts and paths (``m.``, ``/mwlite/in/``, ``/m/in/``), trailing
slashes, query strings, fragments and extra path segments are folded away; the slug is
percent-decoded, Unicode NFC and lower-cased (LinkedIn treats vanity URLs case-insensitively).
Decoded slugs get the same NFKC form (a superset of NFC) as a URL typed with raw Unicode, so
both spellings of one slug agree; a ``%`` left after decoding is broken or double encoding.
Pre-2012 public URLs ``/pub/<name>/<a>/<b>/<c>`` cannot be turned into a vanity slug without
asking LinkedIn, so they keep a canonical ``linkedin.com/pub/<name>/<a>/<b>/<c>`` form.
``/company/<slug>`` is an employer's page: a company identifier, never a person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import clean_text, is_placeholder

__all__ = ["LinkedIn", "normalize_linkedin"]

_MOBILE_PREFIXES = ("mwlite", "m")
_SLUG = re.compile(r"[\w\-.]{2,100}", re.UNICODE)
_PUB_SEGMENT = re.compile(r"[0-9a-z]{1,4}")
# Path heads followed by a slug: a person's vanity URL, a legacy public URL, a company's page.
_SLUG_HEADS = frozenset({"in", "pub", "company", "school", "showcase"})
_MAX_URL = 2048


@dataclass(frozen=True, slots=True)
class LinkedIn:
    """A canonical LinkedIn identifier: ``kind`` is ``person`` or ``company``."""

    kind: str
    value: str
    slug: str


def _host_is_linkedin(host: str) -> bool:
    return host == "linkedin.com" or host.endswith(".linkedin.com")


def _decode(segment: str) -> str:
    # NFKC again after lower-casing: a few compatibility characters lower-case to non-NFKC forms.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", unquote(segment, errors="strict")).lower())


def _profile(parts: list[str]) -> LinkedIn | Rejection:
    """Read the path segments after the host (mobile prefixes already removed)."""
    head = parts[0].lower() if parts else ""
    slug = _decode(parts[1]) if len(parts) >= 2 and head in _SLUG_HEADS else ""
    # fullmatch: "$" would let a slug end in a (percent-encoded) newline.
    if slug and not _SLUG.fullmatch(slug):
        return Rejection("invalid_handle", "the slug has characters LinkedIn does not allow")
    if head == "in" and slug:
        return LinkedIn(kind="person", value=f"linkedin.com/in/{slug}", slug=slug)
    if head == "pub" and len(parts) >= 5 and all(_PUB_SEGMENT.fullmatch(p.lower()) for p in parts[2:5]):
        tail = "/".join(p.lower() for p in parts[2:5])
        return LinkedIn(kind="person", value=f"linkedin.com/pub/{slug}/{tail}", slug=slug)
    if head in ("company", "school", "showcase") and slug:
        return LinkedIn(kind="company", value=f"linkedin.com/company/{slug}", slug=slug)
    return Rejection("not_a_profile", "a LinkedIn URL, but not of a person's profile (/in/<slug>)")


@lru_cache(maxsize=131072)
def normalize_linkedin(raw: str) -> LinkedIn | Rejection:
    """Return the canonical identifier of a LinkedIn URL, or why it was rejected."""
    text = clean_text(raw)
    if not text:
        return Rejection("empty", "the value is empty")
    if len(text) > _MAX_URL:
        return Rejection("too_long_value", f"URLs longer than {_MAX_URL} characters are not accepted")
    if is_placeholder(text):
        return Rejection("placeholder", "a placeholder, not a LinkedIn URL")
    if "://" not in text:
        text = "https://" + text.lstrip("/")
    try:
        url = urlsplit(text)
        host = (url.hostname or "").lower()
    except ValueError:
        return Rejection("invalid_syntax", "not a URL")
    if not _host_is_linkedin(host):
        return Rejection("not_linkedin", "the URL is not on linkedin.com")
    parts = [p for p in url.path.split("/") if p]
    if parts and parts[0].lower() in _MOBILE_PREFIXES and len(parts) > 1 and parts[1].lower() in ("in", "pub"):
        parts = parts[1:]
    try:
        return _profile(parts)
    except UnicodeDecodeError:
        return Rejection("invalid_syntax", "the URL has broken percent-encoding")
