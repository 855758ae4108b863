"""Comparison levels for names: how strongly two given names or two surnames agree.

In the manner of Fellegi–Sunter comparison vectors (and Splink's comparison levels), a pair of
values falls into exactly one ordered level: exact, nickname, phonetic, fuzzy, partial, initial,
missing, or different. "Different" is only used when the two values share nothing a typing or
romanisation habit could explain; the resolver treats it as evidence of two people.
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from resolvers.name_frequency import is_given_name, is_surname
from resolvers.normalize.names import PersonName, phonetic
from resolvers.normalize.nicknames import nickname_groups, nickname_initials

__all__ = ["Level", "compare_first", "compare_last", "name_levels", "names_agree", "names_conflict"]

_FUZZY_JW = 0.9
_SIMILAR_JW = 0.8
_MIN_FUZZY_LENGTH = 4
_MIN_PREFIX_LENGTH = 3
_LONG_NAME = 8
_MIN_CONTAINED_WORDS = 2
# Feminine and masculine forms of one name (Giulio/Giulia, Daniel/Daniela, Louis/Louise) are two
# people — often siblings sharing a phone — however close the spelling.
_GENDER_ENDINGS = frozenset({("o", "a"), ("a", "o"), ("", "a"), ("a", ""), ("", "e"), ("e", ""), ("us", "a"),
                             ("a", "us"), ("y", "ia"), ("ia", "y"), ("i", "a"), ("a", "i")})


def _gender_pair(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are the same stem with masculine and feminine endings."""
    for left, right in _GENDER_ENDINGS:
        stem_a, stem_b = a[: len(a) - len(left)], b[: len(b) - len(right)]
        if a.endswith(left) and b.endswith(right) and stem_a == stem_b and len(stem_a) >= _MIN_PREFIX_LENGTH:
            return True
    return False


class Level(IntEnum):
    """How two name parts compare, strongest first (lower value = stronger agreement)."""

    EXACT = 0
    NICKNAME = 1
    PHONETIC = 2
    FUZZY = 3
    PREFIX = 4
    PARTIAL = 5
    SIMILAR = 6
    INITIAL = 7
    MISSING = 8
    DIFFERENT = 9

    @property
    def agrees(self) -> bool:
        """Whether the level is positive evidence (exact through partial)."""
        return self <= Level.PARTIAL

    @property
    def strong(self) -> bool:
        """Whether the level is agreement a person would call "the same name"."""
        return self <= Level.PREFIX


def _fuzzy(a: str, b: str) -> bool:
    """Whether two keys differ by a typing error or two (long names)."""
    if min(len(a), len(b)) < _MIN_FUZZY_LENGTH:
        return False
    limit = 2 if min(len(a), len(b)) >= _LONG_NAME else 1
    if DamerauLevenshtein.distance(a, b, score_cutoff=limit) <= limit:
        return True
    return JaroWinkler.similarity(a, b) >= _FUZZY_JW and abs(len(a) - len(b)) <= 2


@lru_cache(maxsize=262144)
def _compare_keys(a: str, b: str, given: bool) -> Level:
    """Compare two single name keys; ``given`` allows nickname equivalence (given names only)."""
    if a == b:
        return Level.EXACT
    if len(a) == 1 or len(b) == 1:
        initial, name = (a, b) if len(a) == 1 else (b, a)
        # "T." may be Toni as well as Tommaso: any form of the other name may have been initialled.
        initials = nickname_initials(name) if given else {name[0]}
        return Level.INITIAL if initial in initials else Level.DIFFERENT
    if _gender_pair(a, b):
        return Level.DIFFERENT
    if phonetic(a) == phonetic(b):
        return Level.PHONETIC
    if given and nickname_groups(a) & nickname_groups(b):
        return Level.NICKNAME
    if _fuzzy(a, b):
        return Level.FUZZY
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= _MIN_PREFIX_LENGTH and long.startswith(short):
        return Level.PREFIX
    if a[0] == b[0] and JaroWinkler.similarity(a, b) >= _SIMILAR_JW:
        return Level.SIMILAR
    return Level.DIFFERENT


@lru_cache(maxsize=262144)
def _compare_token_sets(a: tuple[str, ...], b: tuple[str, ...], given: bool) -> Level:
    """Compare two multi-token name parts: whole key first, then any shared token."""
    if not a or not b:
        return Level.MISSING
    whole = _compare_keys("".join(a), "".join(b), given)
    if whole == Level.PREFIX and len(a) != len(b) and set(a) & set(b):
        return Level.PARTIAL  # Jean against Jean-Pierre: one word of a compound, not a short form
    if whole != Level.DIFFERENT:
        return whole
    best = min((_compare_keys(x, y, given) for x in a for y in b), default=Level.DIFFERENT)
    if best.strong:
        return Level.PARTIAL
    if best == Level.INITIAL:
        return Level.DIFFERENT if len(a) > 1 and len(b) > 1 else Level.INITIAL
    return best


def compare_first(a: PersonName, b: PersonName) -> Level:
    """Compare the given names of two people."""
    return _compare_token_sets(a.first_tokens, b.first_tokens, True)


def compare_last(a: PersonName, b: PersonName) -> Level:
    """Compare the surnames of two people (any shared surname token is a partial match)."""
    return _compare_token_sets(a.last_tokens, b.last_tokens, False)


def _ambiguous_levels(word: PersonName, other: PersonName) -> tuple[Level, Level]:
    """Compare a lone word that may be a given name or a surname with the other name's parts.

    It conflicts only when it can be neither: it differs from the other's given name *and*
    from the other's surname.
    """
    as_first = _compare_token_sets(word.first_tokens, other.first_tokens, True)
    as_last = _compare_token_sets(word.first_tokens, other.last_tokens, False)
    if as_last.agrees and as_last < as_first:
        return Level.MISSING, as_last
    if as_first.agrees:
        return as_first, Level.MISSING
    if as_first == Level.DIFFERENT and as_last == Level.DIFFERENT:
        return Level.DIFFERENT, Level.MISSING
    return Level.MISSING, Level.MISSING


def _contained(small: PersonName, large: PersonName) -> tuple[Level, Level] | None:
    """Read two names as one when every word of the smaller is a word of the larger.

    Covers reordered names ("Nunes Teixeira Maria Sophia"), a surname given alone in a full
    name ("Castro Moraes" against "Maya Castro Moraes") and shortened double given names.
    """
    words = small.first_tokens + small.last_tokens
    if len(words) < _MIN_CONTAINED_WORDS:
        return None
    large_words = {phonetic(w) for w in large.first_tokens + large.last_tokens}
    small_words = {phonetic(w) for w in words}
    if not small_words <= large_words:
        return None
    if small_words == large_words and small.first_tokens and small.last_tokens:
        # The same words in another order, spelled alike or spelled the same.
        same = set(words) == set(large.first_tokens + large.last_tokens)
        return (Level.EXACT, Level.EXACT) if same else (Level.PHONETIC, Level.PHONETIC)
    large_last = {phonetic(w) for w in large.last_tokens}
    if small_words <= large_last:
        return Level.MISSING, Level.PARTIAL  # a surname given alone
    # Part of a longer name: compound given names and double surnames make the split unsure.
    return Level.PARTIAL, Level.PARTIAL if small.last_tokens else Level.MISSING


@lru_cache(maxsize=262144)
def _pair_levels(a: PersonName, b: PersonName) -> tuple[Level, Level]:
    """Return (given, surname) levels, reading a first/last swap as agreement when it explains more."""
    if a.ambiguous and not b.ambiguous:
        return _ambiguous_levels(a, b)
    if b.ambiguous and not a.ambiguous:
        return _ambiguous_levels(b, a)
    first, last = compare_first(a, b), compare_last(a, b)
    if first != Level.DIFFERENT and last != Level.DIFFERENT:
        return first, last
    contained = _contained(a, b) or _contained(b, a)
    if contained is not None:
        return contained
    # Read one of the names as swapped: its given name against the other's surname and back.
    a_first_b_last = _compare_token_sets(a.first_tokens, b.last_tokens, True)
    a_last_b_first = _compare_token_sets(a.last_tokens, b.first_tokens, True)
    direct_conflicts = (first == Level.DIFFERENT) + (last == Level.DIFFERENT)
    crossed_conflicts = (a_first_b_last == Level.DIFFERENT) + (a_last_b_first == Level.DIFFERENT)
    if crossed_conflicts < direct_conflicts and (a_first_b_last.strong or a_last_b_first.strong):
        # Which comparison is between given names: the reading whose words look more like ones.
        b_swapped = _given_score(a.first_tokens) + _given_score(b.last_tokens)
        a_swapped = _given_score(a.last_tokens) + _given_score(b.first_tokens)
        if b_swapped > a_swapped:
            return a_first_b_last, a_last_b_first
        if a_swapped > b_swapped:
            return a_last_b_first, a_first_b_last
        return min(a_first_b_last, a_last_b_first), max(a_first_b_last, a_last_b_first)
    return first, last


def _given_score(tokens: tuple[str, ...]) -> int:
    """How much words look like given names rather than surnames (from the name prior)."""
    return sum(is_given_name(token) - is_surname(token) for token in tokens)


def name_levels(a: PersonName | None, b: PersonName | None) -> tuple[Level, Level]:
    """Return the (given name, surname) comparison levels of two optional names."""
    if a is None or b is None:
        return Level.MISSING, Level.MISSING
    return _pair_levels(a, b)


def names_conflict(a: PersonName | None, b: PersonName | None) -> bool:
    """Whether two names clearly belong to different people (given name or surname differs)."""
    first, last = name_levels(a, b)
    return first == Level.DIFFERENT or last == Level.DIFFERENT


def names_agree(a: PersonName | None, b: PersonName | None) -> bool:
    """Whether two names are the same full name: both parts present and strongly agreeing."""
    first, last = name_levels(a, b)
    return first.strong and (last.strong or last == Level.PARTIAL)
