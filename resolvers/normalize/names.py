"""Person names: a display form and the matching keys the resolver compares.

Display: trimmed, spaces collapsed, and re-capitalised only when the value was typed all in
upper or all in lower case (``ROSSI marco`` → ``Rossi Marco``; ``McDonald`` is left alone),
keeping particles such as *van*, *de*, *di* lower-case.

Keys (see ``text.fold``): NFKC, case-folded, accents stripped, Cyrillic and Greek transliterated,
punctuation dropped. On top of the key, a *phonetic* form folds the spelling variants that
romanisation systems and typing habits produce (Aleksandr/Alexandr, Natalya/Natalja/Natalia,
Dmitriy/Dmitrij/Dmitrii, Müller/Mueller/Muller, double letters), and *nickname groups* say
which formal names a given name may stand for (Bob → Robert, Beppe → Giuseppe, Саша →
Александр).

A full name is split into first and last with the conventions people actually use: "Rossi,
Marco"; an all-capital surname in either position ("ROSSI Marco"); Russian order with a
patronymic ("Иванов Иван Иванович"); otherwise given name first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from resolvers.normalize.nicknames import nickname_groups
from resolvers.normalize.text import clean_text, fold, is_placeholder, phonetic

__all__ = ["PersonName", "normalize_name", "phonetic"]

_PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "le", "la", "y", "e",
    "ten", "ter", "zu", "bin", "al", "el", "st", "lo", "degli", "dei", "het", "t",
})
_HONORIFICS = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "herr", "frau", "sig", "sigra", "signor",
    "signora", "sr", "sra", "srta", "dona", "dom", "m", "mme", "mlle", "pan", "pani", "dhr", "mevr",
    "gospodin", "gospozha", "dott", "dottssa", "dottoressa", "avv",
})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "jun", "sen"})
_PATRONYMIC = re.compile(r"(ovich|evich|ovna|evna|ichna|inichna)$")
_WORD_SPLIT = re.compile(r"([\-'’])")


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name for display, and the keys used to compare it."""

    first: str | None
    last: str | None
    middle: str | None
    first_key: str
    first_tokens: tuple[str, ...]
    last_tokens: tuple[str, ...]
    initial_only: bool
    # A lone word from a full name ("Budig", "Marco ✨") may be the given name or the surname.
    ambiguous: bool = False
    # Names are hashed millions of times by the resolver's caches and sets: hash once.
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.first, self.last, self.middle, self.first_key,
                                                self.first_tokens, self.last_tokens, self.initial_only,
                                                self.ambiguous)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[PersonName], tuple[object, ...]]:
        # Rebuild through the constructor: a hash computed in another process must not travel.
        return (PersonName, (self.first, self.last, self.middle, self.first_key, self.first_tokens,
                             self.last_tokens, self.initial_only, self.ambiguous))

    @property
    def display(self) -> str:
        """Return "First Middle Last" with whatever parts are known."""
        return " ".join(p for p in (self.first, self.middle, self.last) if p)

    @property
    def initial(self) -> str:
        """Return the first letter of the given name's key, or ``""``."""
        return self.first_key[:1]

    @property
    def last_key(self) -> str:
        """Return the surname's key, all parts joined: ``garcialopez``."""
        return "".join(self.last_tokens)

    @property
    def first_groups(self) -> frozenset[str]:
        """Return the formal names the given name may stand for (see ``nicknames``)."""
        return nickname_groups(self.first_key) if self.first_key and not self.initial_only else frozenset()


def _display_word(word: str, *, later: bool) -> str:
    """Capitalise one word typed in a single case; keep particles lower-case when not the first word."""
    if not (word.isupper() or word.islower()):
        return word
    lower = word.lower()
    if later and lower.lstrip("'’") in _PARTICLES:
        return lower
    if not _WORD_SPLIT.search(lower):
        return lower[:1].title() + lower[1:]
    parts = _WORD_SPLIT.split(lower)
    # Title case, not upper case, for the first letter: "ǆ" → "ǅ", and "ᾀ" stays one letter ("ᾈ").
    return "".join(p[:1].title() + p[1:] if p not in "-'’" else p for p in parts)


def _display(words: tuple[str, ...], offset: int = 0) -> str | None:
    """Return the display form of ``words`` whose first is word number ``offset`` of the name."""
    if not words:
        return None
    return " ".join(_display_word(w, later=offset + i > 0) for i, w in enumerate(words))


def _field_words(text: str | None) -> tuple[str, ...]:
    """Return the words of a first- or last-name field without commas; none for a placeholder."""
    words = [w for w in _words(text) if w != ","]
    return () if words and is_placeholder(" ".join(words)) else tuple(words)


def _name_tokens(words: tuple[str, ...]) -> tuple[str, ...]:
    """Return the folded tokens of ``words``: ``("Jean-Luc",)`` → ``("jean", "luc")``."""
    return tuple(t for w in words for t in fold(w).split() if t)


# One part of a name (given names, middle names, surname): its words, display form and keys. A
# plain tuple of strings, which the garbage collector stops tracking, as the caches hold many.
_Part = tuple[tuple[str, ...], str | None, tuple[str, ...]]


def _given(words: tuple[str, ...]) -> _Part:
    """Return the given-name part made of ``words``, displayed as the start of the name."""
    return words, _display(words), _name_tokens(words)


def _surname(words: tuple[str, ...]) -> _Part:
    """Return the surname part made of ``words``: keys without particles (see ``_surname_tokens``)."""
    return words, _display(words, 1), _surname_tokens(words)


# A first or last name recurs across many whole names: each field value is read once.
@lru_cache(maxsize=65536)
def _given_field(text: str | None) -> _Part:
    """Return the given-name part of a first-name field (no words for a placeholder)."""
    return _given(_field_words(text))


@lru_cache(maxsize=65536)
def _surname_field(text: str | None) -> _Part:
    """Return the surname part of a last-name field (no words for a placeholder)."""
    return _surname(_field_words(text))


def _words(text: str | None) -> list[str]:
    """Split a name field into words, without honorifics, suffixes, emoji and placeholders."""
    if not text:
        return []
    words = [w for w in clean_text(text).replace(",", " , ").split(" ") if w]
    kept = []
    for word in words:
        # Compact, so that abbreviations with inner dots ("Sig.ra", "Ph.D.") are recognised.
        folded = fold(word).replace(" ", "")
        if word != "," and (not folded or folded in _HONORIFICS or folded in _SUFFIXES):
            continue
        kept.append(word)
    while kept and kept[0] == ",":
        kept.pop(0)
    while kept and kept[-1] == ",":
        kept.pop()
    if not kept and len(words) == 1 and len(fold(words[0]).replace(" ", "")) == 1:
        return words  # "M." alone is an initial, not Monsieur without a name
    return kept


def _leads_with_honorific(text: str) -> bool:
    """Whether ``text`` starts with an honorific (``Mr``, ``Frau``, ``Sig.ra``)."""
    head = clean_text(text).split(" ", 1)[0]
    return fold(head).replace(" ", "") in _HONORIFICS


def _is_upper_word(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) > 1 and all(ch.isupper() for ch in letters)


def split_full_name(text: str) -> tuple[list[str], list[str], list[str]]:
    """Split a full name into (given, middle, surname) words; see the module docstring."""
    words = _words(text)
    if "," in words:
        comma = words.index(",")
        surname, given = words[:comma], [w for w in words[comma + 1:] if w != ","]
        return given[:1], given[1:], surname
    if len(words) <= 1:
        # "Mr Smith", "Frau Müller": what follows a bare honorific is the surname.
        return ([], [], words) if words and _leads_with_honorific(text) else (words, [], [])
    upper = [_is_upper_word(w) for w in words]
    if any(upper) and not all(upper):
        # An all-capital surname ("ROSSI Marco", "Jean-Pierre DE LA FONTAINE"): trusted when the
        # capitals close the name, or open it with a single given name after them. A capitalised
        # first word before two more ("TIJN Van Schevinghuizen") is more likely a shouted given name.
        cut = upper.index(False) if upper[0] else upper.index(True)
        if upper[0] and len(words) - cut == 1:
            return words[cut:], [], words[:cut]
        if not upper[0] and all(upper[cut:]):
            return words[:1], words[1:cut], words[cut:]
    if fold(words[0]) in _PARTICLES:
        return [], [], words  # "Da Cunha", "van Dijk": a surname on its own
    patronymic = [bool(_PATRONYMIC.search(fold(w))) for w in words]
    if len(words) == 3 and patronymic[2]:
        return words[1:2], words[2:], words[:1]
    if len(words) == 3 and patronymic[1]:
        return words[:1], words[1:2], words[2:]
    return words[:1], [], words[1:]


def _surname_tokens(words: tuple[str, ...]) -> tuple[str, ...]:
    """Return the folded surname tokens without particles (``van den Berg`` → ``("berg",)``)."""
    tokens = _name_tokens(words)
    kept = tuple(t for t in tokens if t not in _PARTICLES)
    return kept or tokens


@lru_cache(maxsize=131072)
def normalize_name(
    first_name: str | None = None, last_name: str | None = None, full_name: str | None = None,
) -> PersonName | None:
    """Return the person's name from split or full fields, or None when no usable name is given."""
    given, given_display, first_tokens = _given_field(first_name)
    surname, last_display, last_tokens = _surname_field(last_name)
    middle_display = None
    ambiguous = False
    if not given and not surname and full_name and not is_placeholder(full_name):
        given_words, middle_words, surname_words = split_full_name(full_name)
        given, given_display, first_tokens = _given(tuple(given_words))
        surname, last_display, last_tokens = _surname(tuple(surname_words))
        middle_display = _display(tuple(middle_words), 1)
        ambiguous = not surname and len(given) == 1
    if not given and not surname:
        return None
    first_key = "".join(first_tokens)
    initial_only = len(first_key) == 1
    return PersonName(
        first=given_display,
        last=last_display,
        middle=middle_display,
        first_key=first_key,
        first_tokens=first_tokens,
        last_tokens=last_tokens,
        initial_only=initial_only,
        ambiguous=ambiguous and not initial_only,
    )
