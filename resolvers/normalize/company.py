"""Company names → a matching key without legal forms, punctuation or case.

Legal forms are removed with ``cleanco``'s term list (hundreds of suffixes across jurisdictions,
applied as its ``basename`` does) and then by a token pass for what it misses: forms written as
prefixes (``ООО «…»``, ``AO "…"``), forms split by spaces or glued with ``&`` (``GmbH&Co.KG``,
``Sp. z o. o.``), and spelled-out forms (``Sociedad Limitada``). Cyrillic and accented names
are transliterated first, so ``ООО «Северсофт»`` and ``OOO "Seversoft"`` share a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from cleanco import basename, prepare_default_terms
from cleanco.clean import strip_punct, strip_tail

from resolvers.normalize.text import clean_text, fold, is_placeholder

__all__ = ["Company", "normalize_company"]

# Legal-form token sequences (folded) that may open or close a company name.
_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(sorted({
    tuple(form.split()) for form in (
        "ooo", "oao", "zao", "pao", "ao", "ip", "tov", "pp", "chp", "nko", "gup", "mup", "jsc", "pjsc", "cjsc",
        "llc", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "company", "plc",
        "gmbh", "gmbh co kg", "gmbh co", "co kg", "kg", "ag", "ek", "e k", "ohg", "ug", "mbh", "se",
        "sa", "s a", "sas", "s a s", "sarl", "s a r l", "sasu", "eurl", "sci", "snc",
        "sl", "s l", "slu", "sociedad limitada", "sociedad anonima", "s coop",
        "spa", "s p a", "srl", "s r l", "srls", "sas", "snc", "sapa",
        "ltda", "s a", "me", "epp", "eireli", "mei", "s a s",
        "sp z o o", "sp zoo", "spolka z o o", "spolka z ograniczona odpowiedzialnoscia", "s k a", "sp k", "sp j",
        "bv", "b v", "nv", "n v", "vof", "cv",
        "ab", "as", "a s", "aps", "oy", "oyj", "kft", "zrt", "sro", "s r o", "as", "doo", "d o o",
    )
}, key=lambda form: (-len(form), form)))
# The forms also written *before* the name (Russian and Ukrainian ones, and their English
# renderings: "ООО «Ромашка»", "JSC Gazprom"). Western forms only close a name: "Co-op" keeps "co".
_PREFIX_FORMS = frozenset(tuple(form.split()) for form in (
    "ooo", "oao", "zao", "pao", "ao", "ip", "tov", "pp", "chp", "nko", "gup", "mup", "jsc", "pjsc", "cjsc", "llc",
))


# cleanco's suffix terms in the order its ``basename`` tries them (more words first), and for each
# last word the positions of the terms that end with it, so that a name is checked against the
# few terms that could match instead of all of them.
_CLEANCO_TERMS: tuple[tuple[str, ...], ...] = tuple(tuple(parts) for _, parts in prepare_default_terms())
_CLEANCO_BY_LAST_WORD: dict[str, tuple[int, ...]] = {}
for _position, _term in enumerate(_CLEANCO_TERMS):
    _CLEANCO_BY_LAST_WORD[_term[-1]] = (*_CLEANCO_BY_LAST_WORD.get(_term[-1], ()), _position)
# The same for the legal forms below: by last word for suffixes, by first word for the prefix forms.
_FORMS_BY_LAST_WORD: dict[str, tuple[int, ...]] = {}
_PREFIX_FORMS_BY_FIRST_WORD: dict[str, tuple[int, ...]] = {}
for _position, _form in enumerate(_LEGAL_FORMS):
    _FORMS_BY_LAST_WORD[_form[-1]] = (*_FORMS_BY_LAST_WORD.get(_form[-1], ()), _position)
    if _form in _PREFIX_FORMS:
        _PREFIX_FORMS_BY_FIRST_WORD[_form[0]] = (*_PREFIX_FORMS_BY_FIRST_WORD.get(_form[0], ()), _position)


@dataclass(frozen=True, slots=True)
class Company:
    """An employer's name as given, and its matching key."""

    display: str
    key: str


def _cleanco_basename(name: str) -> str:
    """Return ``cleanco.basename(name)``: ``name`` without the legal-form suffixes cleanco knows.

    The same single pass over cleanco's terms in cleanco's order (a term matches the words left
    at the end, is removed, and the pass goes on with the next term), but looking only at the
    terms that end with the current last word. Only for ASCII (what ``normalize_company`` passes
    in): there cleanco's caseless normal form is ``lower()`` and keeps the words aligned with
    the original ones; anything else goes to cleanco itself.
    """
    if not name.isascii():
        return str(basename(name))
    words = strip_tail(name).split()
    normal = [strip_punct(word.lower()) for word in words]
    start = 0
    while normal:
        found = next((position for position in _CLEANCO_BY_LAST_WORD.get(normal[-1], ())
                      if position >= start and tuple(normal[-len(_CLEANCO_TERMS[position]):])
                      == _CLEANCO_TERMS[position]), None)
        if found is None:
            break
        size = len(_CLEANCO_TERMS[found])
        del normal[-size:], words[-size:]
        start = found + 1
    return str(strip_tail(" ".join(words)))


def _next_legal_form(tokens: list[str], start: int) -> tuple[int, bool] | None:
    """Return the first legal form from ``start`` on that ends ``tokens`` (True) or opens them (False).

    A form never takes the last token: what it closes or opens must keep a name.
    """
    candidates = sorted({*_FORMS_BY_LAST_WORD.get(tokens[-1], ()), *_PREFIX_FORMS_BY_FIRST_WORD.get(tokens[0], ())})
    for position in candidates:
        form = _LEGAL_FORMS[position]
        size = len(form)
        if position < start or len(tokens) <= size:
            continue
        if tuple(tokens[-size:]) == form:
            return position, True
        if form in _PREFIX_FORMS and tuple(tokens[:size]) == form:
            return position, False
    return None


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    """Remove legal-form sequences at either end of ``tokens`` until none is left.

    Each pass tries the forms in ``_LEGAL_FORMS`` order, a suffix before a prefix, and passes
    repeat while one removes something.
    """
    changed = True
    while changed and tokens:
        changed, start = False, 0
        while (found := _next_legal_form(tokens, start)) is not None:
            position, at_end = found
            size = len(_LEGAL_FORMS[position])
            tokens = tokens[:-size] if at_end else tokens[size:]
            changed, start = True, position + 1
    return tokens


def _key_tokens(name: str) -> list[str]:
    """Return the folded tokens of ``name`` without legal forms, "the" and "and"."""
    tokens = fold(_cleanco_basename(name) or name).split()
    return [t for t in _strip_legal_forms(tokens) if t not in ("the", "and")]


@lru_cache(maxsize=65536)
def normalize_company(raw: str) -> Company | None:
    """Return the company's display form and key, or None for an empty or placeholder value."""
    display = clean_text(raw)
    if not display or is_placeholder(display):
        return None
    ascii_name = anyascii(display).replace("&", " & ").replace('"', " ").replace("'", " ")
    key = _settled_key(" ".join(_key_tokens(" ".join(ascii_name.split()))))
    # What is left without the legal form may itself mean nothing: "N/A Ltd", "Test GmbH".
    return Company(display=display, key=key) if key and not is_placeholder(key) else None


@lru_cache(maxsize=65536)
def _settled_key(key: str) -> str:
    """Strip a key again until nothing more comes off, so that a key is its own key.

    "Acme Co and" loses "and" first, then "co". Cached: many spellings of a company (with and
    without its legal form, in capitals) come to the same key.
    """
    tokens = key.split()
    while tokens and (again := _key_tokens(" ".join(tokens))) != tokens:
        tokens = again
    return " ".join(tokens)
