"""Text folding shared by every normalizer.

``fold`` is the one matching form of free text: Unicode NFKC, symbols and control characters
removed, every script transliterated to ASCII (anyascii: Cyrillic, Greek, accents), case-folded,
punctuation turned into spaces, whitespace collapsed. Two strings that a person would call
"the same name, typed differently" usually fold to the same key.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

__all__ = ["clean_text", "fold", "fold_compact", "is_placeholder", "is_repeated_junk", "phonetic"]

# Unicode general categories removed before anything else: control (Cc), format (Cf: RTL marks,
# zero-width joiners), private use, surrogates, unassigned, and symbols (So/Sk: emoji, ✨, ®).
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "So", "Sk"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")

# Values people type into a field to get past validation; they mean "nothing" (after ``fold``).
PLACEHOLDERS = frozenset({
    "", "n a", "na", "n d", "nd", "none", "null", "nil", "nan", "undefined", "unknown", "unkown",
    "asdf", "asd", "qwerty", "test", "testing", "tests", "xxx", "xx", "x", "xyz", "abc", "aaa", "no",
    "nope", "nothing", "not available", "not applicable", "no name", "noname", "anonymous", "anon",
    "customer", "client", "guest", "user", "sample", "dummy", "fake", "blank", "empty", "missing",
    "nessuno", "aucun", "keine", "ninguno", "nenhum", "brak", "geen", "net", "nein",
    "sin nombre", "sans nom", "ohne", "mr", "mrs", "ms",
})


def clean_text(text: str) -> str:
    """Return ``text`` NFKC-normalized, without control/format/symbol characters, spaces collapsed."""
    if text.isascii() and text.isprintable():
        # The only whitespace printable ASCII has is the space: without a double one there is
        # nothing to collapse. This is cheaper than a cache lookup, so only other text is cached.
        return text.strip() if "  " not in text else _SPACES.sub(" ", text).strip()
    return _clean_unicode(text)


@lru_cache(maxsize=65536)
def _clean_unicode(text: str) -> str:
    """Return ``clean_text`` of text that is not all printable ASCII."""
    # Symbols go before NFKC as well as after it: NFKC spells some of them out as letters
    # ("™" → "TM", "℠" → "SM"), which would otherwise glue onto the word they follow. The last
    # NFKC composes what a dropped character kept apart ("e", ZWSP, U+0301 → "é").
    normal = unicodedata.normalize("NFKC", _drop_symbols(text))
    normal = unicodedata.normalize("NFKC", _drop_symbols(normal))
    return _SPACES.sub(" ", normal).strip()


def _is_dropped(ch: str) -> bool:
    """Whether ``_drop_symbols`` removes ``ch``: printable ASCII, tabs and newlines always stay."""
    return not (" " <= ch <= "~" or ch in "\t\n") and unicodedata.category(ch) in _DROPPED_CATEGORIES


# What may be dropped: the dropped characters of the Latin, Greek and Cyrillic blocks, listed
# here, and anything above them (checked one by one). Text without them, such as most accented
# or Cyrillic names, is kept whole without looking up each character's category.
_SCRIPTS_END = 0x500
_MAY_BE_DROPPED = re.compile("[" + "".join(
    re.escape(chr(code)) for code in range(_SCRIPTS_END) if _is_dropped(chr(code))
) + f"{chr(_SCRIPTS_END)}-{chr(0x10FFFF)}]")


def _drop_symbols(text: str) -> str:
    """Return ``text`` without the characters of ``_DROPPED_CATEGORIES``.

    Printable ASCII (the caret and the backquote are Sk), tabs and newlines are kept, as in an
    all-ASCII string: one character is treated alike whatever script surrounds it.
    """
    if not _MAY_BE_DROPPED.search(text):
        return text
    return "".join(ch for ch in text if not _is_dropped(ch))


@lru_cache(maxsize=131072)
def fold(text: str) -> str:
    """Return the ASCII, lower-case, punctuation-free matching form of ``text``."""
    ascii_text = anyascii(clean_text(text)).lower()
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def fold_compact(text: str) -> str:
    """Return ``fold(text)`` without spaces: ``"Jean-Luc"`` → ``"jeanluc"``."""
    return fold(text).replace(" ", "")


def is_repeated_junk(compact: str) -> bool:
    """Whether a folded, space-free value is one character repeated (``"xxxx"``, ``"0000"``)."""
    return len(compact) >= 2 and compact.count(compact[0]) == len(compact)


@lru_cache(maxsize=131072)
def is_placeholder(text: str) -> bool:
    """Whether ``text`` is a value that means "nothing" (``n/a``, ``none``, ``-``, ``asdf``)."""
    folded = fold(text)
    return folded in PLACEHOLDERS or is_repeated_junk(folded.replace(" ", ""))


# Spelling variants that romanisation systems and typing habits produce, folded away in order:
# Aleksandr/Alexandr, Natalya/Natalja/Natalia, Dmitriy/Dmitrij/Dmitrii, Müller/Mueller/Muller.
_PHONETIC_RULES: tuple[tuple[str, str], ...] = (
    ("shch", "sh"), ("sch", "sh"), ("kh", "h"), ("zh", "j"), ("tsch", "ch"), ("tch", "ch"), ("ts", "c"),
    ("tz", "c"), ("x", "ks"), ("ph", "f"), ("ck", "k"), ("qu", "k"), ("w", "v"), ("yo", "e"), ("ye", "e"),
    ("ue", "u"), ("oe", "o"), ("ae", "a"), ("j", "i"), ("y", "i"), ("ii", "i"), ("ie", "i"),
)
_DOUBLE_LETTERS = re.compile(r"(.)\1+")


@lru_cache(maxsize=131072)
def phonetic(key: str) -> str:
    """Return a folded key with romanisation and spelling variants folded (a matching level)."""
    out = key
    for old, new in _PHONETIC_RULES:
        out = out.replace(old, new)
    return _DOUBLE_LETTERS.sub(r"\1", out)
