"""Social-network handles: Instagram, TikTok, X, Facebook, YouTube and Snapchat.

Each platform accepts a bare handle, ``@handle`` or the platform's profile URL, and yields the
lower-cased handle (all six platforms treat handles case-insensitively). The allowed characters
and lengths follow each platform's published username rules. URLs are parsed, never fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import clean_text, is_placeholder

__all__ = ["PLATFORMS", "Handle", "normalize_handle"]


@dataclass(frozen=True, slots=True)
class _Platform:
    hosts: tuple[str, ...]
    pattern: re.Pattern[str]
    rule: str
    # URL path prefixes before the handle, e.g. "add" for snapchat.com/add/<handle>.
    prefixes: tuple[str, ...] = ()
    # Path heads that are pages of the platform, not profiles.
    reserved: frozenset[str] = frozenset()


PLATFORMS: dict[str, _Platform] = {
    "instagram": _Platform(
        hosts=("instagram.com", "instagr.am"), pattern=re.compile(r"^[a-z0-9._]{1,30}$"),
        rule="1-30 letters, digits, periods or underscores",
        reserved=frozenset({"p", "reel", "reels", "explore", "stories", "accounts", "direct", "tv"}),
    ),
    "tiktok": _Platform(
        hosts=("tiktok.com",), pattern=re.compile(r"^[a-z0-9._]{2,24}$"),
        rule="2-24 letters, digits, periods or underscores",
        reserved=frozenset({"video", "tag", "music", "discover", "foryou", "following", "live"}),
    ),
    "x": _Platform(
        hosts=("x.com", "twitter.com"), pattern=re.compile(r"^[a-z0-9_]{1,15}$"),
        rule="1-15 letters, digits or underscores",
        reserved=frozenset({"home", "search", "explore", "i", "intent", "share", "hashtag", "settings"}),
    ),
    "facebook": _Platform(
        hosts=("facebook.com", "fb.com"), pattern=re.compile(r"^(?:[a-z0-9.]{5,50}|id:\d{5,20})$"),
        rule="at least 5 letters, digits or periods, or a numeric profile id",
        reserved=frozenset({"groups", "pages", "events", "watch", "marketplace", "share", "sharer", "people"}),
    ),
    "youtube": _Platform(
        hosts=("youtube.com",), pattern=re.compile(r"^(?:[a-z0-9._\-]{3,30}|channel:[a-z0-9_\-]{24})$"),
        rule="3-30 letters, digits, periods, hyphens or underscores, or a channel id",
        prefixes=("c", "user"), reserved=frozenset({"watch", "results", "playlist", "shorts", "feed"}),
    ),
    "snapchat": _Platform(
        hosts=("snapchat.com",), pattern=re.compile(r"^[a-z][a-z0-9._\-]{2,14}$"),
        rule="3-15 letters, digits, periods, hyphens or underscores, starting with a letter",
        prefixes=("add",),
    ),
}


@dataclass(frozen=True, slots=True)
class Handle:
    """A canonical handle on one platform."""

    platform: str
    handle: str


def _host_matches(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == h or host.endswith("." + h) for h in hosts)


def _from_url(text: str, platform: str, spec: _Platform) -> str | Rejection:
    url = urlsplit(text if "://" in text else "https://" + text)
    host = (url.hostname or "").lower()
    if not _host_matches(host, spec.hosts):
        return Rejection("invalid_handle", f"the URL is not on {spec.hosts[0]}")
    parts = [unquote(p) for p in url.path.split("/") if p]
    if platform == "facebook" and parts and parts[0].lower() == "profile.php":
        numeric = parse_qs(url.query).get("id", [""])[0]
        return f"id:{numeric}"
    if platform == "facebook" and len(parts) >= 3 and parts[0].lower() == "people":
        # facebook.com/people/<display name>/<numeric id>: the id is the profile.
        return f"id:{parts[2]}"
    if platform == "youtube" and len(parts) >= 2 and parts[0].lower() == "channel":
        return f"channel:{parts[1]}"
    if platform == "tiktok" and not (parts and parts[0].startswith("@")):
        # Profiles are tiktok.com/@<handle>; anything else (vm.tiktok.com short links included)
        # points at a video or a page.
        return Rejection("not_a_profile", "a tiktok URL, but not of a profile (tiktok.com/@<handle>)")
    if parts and parts[0].lower() in spec.prefixes:
        parts = parts[1:]
    if not parts or parts[0].lower() in spec.reserved:
        return Rejection("not_a_profile", f"a {platform} URL, but not of a profile")
    return parts[0]


def _looks_like_url(text: str) -> bool:
    head = text.split("/", 1)[0].lower()
    return "://" in text or ("/" in text and "." in head)


@lru_cache(maxsize=131072)
def normalize_handle(raw: str, *, platform: str) -> Handle | Rejection:
    """Return the canonical handle for ``raw`` on ``platform``, or why it was rejected."""
    spec = PLATFORMS.get(platform)
    if spec is None:
        return Rejection("unknown_platform", f"unknown platform; expected one of {', '.join(sorted(PLATFORMS))}")
    text = clean_text(raw)
    if not text:
        return Rejection("empty", "the value is empty")
    if is_placeholder(text.lstrip("@")):
        return Rejection("placeholder", f"a placeholder, not a {platform} handle")
    try:
        handle = _from_url(text, platform, spec) if _looks_like_url(text) else text
    except ValueError:
        return Rejection("invalid_syntax", "not a URL")
    if isinstance(handle, Rejection):
        return handle
    handle = handle.strip().lstrip("@").lower()
    if not spec.pattern.match(handle):
        return Rejection("invalid_handle", f"a {platform} handle has {spec.rule}")
    return Handle(platform=platform, handle=handle)
