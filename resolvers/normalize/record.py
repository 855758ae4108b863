"""Normalize one record: run every normalizer over its fields and collect the issues.

Fields are read in a fixed order and each rejection becomes an ``Issue`` naming the field (a
path such as ``emails[1]`` or ``address.country``) and the value. A rejected value stays in the
raw record the caller keeps, but takes no part in matching.
"""

from __future__ import annotations

import gc
from datetime import date
from functools import cache, lru_cache

from resolvers.normalize import country, phone
from resolvers.normalize.address import PostalAddress, normalize_address
from resolvers.normalize.company import Company, normalize_company
from resolvers.normalize.country import country_code, region_of_email_domain
from resolvers.normalize.dates import normalize_date_of_birth
from resolvers.normalize.email import Email, normalize_email
from resolvers.normalize.handles import PLATFORMS, Handle, normalize_handle
from resolvers.normalize.linkedin import LinkedIn, normalize_linkedin
from resolvers.normalize.names import PersonName, normalize_name
from resolvers.normalize.phone import Phone, RegionHints, normalize_phone
from resolvers.normalize.rejection import Rejection
from resolvers.normalize.text import clean_text, fold, is_placeholder
from resolvers.records import Issue, NormalizedRecord, RecordIn

__all__ = ["external_id", "normalize_record", "preload"]

_PLATFORM_ALIASES = {"twitter": "x", "fb": "facebook", "ig": "instagram", "yt": "youtube", "snap": "snapchat"}


def _issue(field: str, value: str, rejection: Rejection) -> Issue:
    return Issue(field=field, value=value, code=rejection.code, message=rejection.message)


def _many(single: str | None, several: list[str], name: str) -> list[tuple[str, str]]:
    """Return ``(field path, value)`` for a field given once (``email``) or as a list (``emails``)."""
    given = [(name, single)] if single is not None else []
    if several:
        given += [(f"{name}s[{index}]", value) for index, value in enumerate(several)]
    return given


def _emails(record: RecordIn, issues: list[Issue]) -> tuple[Email, ...]:
    if record.email is None and not record.emails:
        return ()
    found: dict[str, Email] = {}
    for field, raw in _many(record.email, record.emails, "email"):
        result = normalize_email(raw)
        if isinstance(result, Rejection):
            issues.append(_issue(field, raw, result))
            continue
        if result.corrected_domain:
            issues.append(Issue(field=field, value=raw, code="domain_corrected",
                                message=f"the domain looks like a typo of {result.corrected_domain}; matched as such"))
        found.setdefault(result.key, result)
    return tuple(found.values())


def _region_hints(
    *, default_region: str, country: str | None, address_country: str | None, emails: tuple[Email, ...],
) -> RegionHints:
    """Return where a national-format phone number of the record may be from, strongest first."""
    # The email's country is only looked up when no stronger hint is there to be picked first.
    email_region = None
    if not (country or address_country):
        email_region = next((r for e in emails if (r := region_of_email_domain(e.domain))), None)
    return _shared_hints(default_region, country, address_country, email_region)


@lru_cache(maxsize=4096)
def _shared_hints(
    default_region: str, country: str | None, address_country: str | None, email_region: str | None,
) -> RegionHints:
    """Return one ``RegionHints`` per combination of hints: a few hundred serve a whole import."""
    return RegionHints(default=default_region, country=country, address_country=address_country,
                       email_region=email_region)


def _phones(record: RecordIn, hints: RegionHints, issues: list[Issue]) -> tuple[Phone, ...]:
    found: dict[str, Phone] = {}
    for field, raw in _many(record.phone, record.phones, "phone"):
        result = normalize_phone(raw, hints=hints)
        if isinstance(result, Rejection):
            issues.append(_issue(field, raw, result))
            continue
        if result.e164 is None:
            issues.append(Issue(field=field, value=raw, code="region_unknown",
                                message=f"not a valid number of {hints.default} and no country hint; kept by its "
                                        "national digits only (set `country` to read it fully)"))
        found.setdefault(result.e164 or f"national:{result.national}", result)
    return tuple(found.values())


def _linkedin(record: RecordIn, issues: list[Issue]) -> tuple[tuple[LinkedIn, ...], tuple[LinkedIn, ...]]:
    if record.linkedin_url is None:
        return (), ()
    result = normalize_linkedin(record.linkedin_url)
    if isinstance(result, Rejection):
        issues.append(_issue("linkedin_url", record.linkedin_url, result))
        return (), ()
    return ((result,), ()) if result.kind == "person" else ((), (result,))


def _handles(record: RecordIn, issues: list[Issue]) -> tuple[Handle, ...]:
    if not (record.instagram_handle or record.handles):
        return ()
    given = [("instagram_handle", "instagram", record.instagram_handle)] if record.instagram_handle else []
    given += [(f"handles.{name}", name, value) for name, value in sorted(record.handles.items())]
    found: dict[tuple[str, str], Handle] = {}
    for field, name, raw in given:
        platform = _PLATFORM_ALIASES.get(name.strip().lower(), name.strip().lower())
        if platform not in PLATFORMS:
            issues.append(Issue(field=field, value=raw, code="unknown_platform",
                                message=f"unknown platform; expected one of {', '.join(sorted(PLATFORMS))}"))
            continue
        result = normalize_handle(raw, platform=platform)
        if isinstance(result, Rejection):
            issues.append(_issue(field, raw, result))
        else:
            found.setdefault((result.platform, result.handle), result)
    return tuple(found.values())


def external_id(*, namespace: str, value: str) -> tuple[str, str]:
    """Return an external id's namespace and value as stored: folded ``snake`` namespace, cleaned value.

    Either part may come back empty (the caller decides whether that is an error).
    """
    return "_".join(fold(namespace).split()), clean_text(value)


def _external_ids(record: RecordIn, issues: list[Issue]) -> tuple[tuple[str, str], ...]:
    if not record.external_ids:
        return ()
    found: list[tuple[str, str]] = []
    for namespace, raw in sorted(record.external_ids.items()):
        key, value = external_id(namespace=namespace, value=raw)
        field = f"external_ids.{namespace}"
        if not key:
            issues.append(Issue(field=field, value=namespace, code="invalid_namespace",
                                message="a namespace needs letters or digits"))
        elif not value or is_placeholder(value):
            issues.append(Issue(field=field, value=raw, code="placeholder", message="an empty or placeholder id"))
        else:
            found.append((key, value))
    return tuple(sorted(set(found)))


def _name(record: RecordIn, issues: list[Issue]) -> PersonName | None:
    if record.first_name is None and record.last_name is None and record.full_name is None:
        return None
    for field in ("first_name", "last_name", "full_name"):
        value = getattr(record, field)
        if value is not None and is_placeholder(value) and clean_text(value):
            issues.append(Issue(field=field, value=value, code="placeholder",
                                message="a placeholder, treated as missing"))
    return normalize_name(record.first_name, record.last_name, record.full_name)


def _company(record: RecordIn, issues: list[Issue]) -> Company | None:
    if record.company is None:
        return None
    company = normalize_company(record.company)
    if company is None and clean_text(record.company):
        issues.append(Issue(field="company", value=record.company, code="placeholder",
                            message="a placeholder, treated as missing"))
    return company


@lru_cache(maxsize=65536)
def _job_title_value(raw: str) -> tuple[str | None, bool]:
    """Return the trimmed job title (None when empty or a placeholder) and whether it was a placeholder."""
    title = clean_text(raw)
    if title and is_placeholder(title):
        return None, True
    return title or None, False


def _job_title(record: RecordIn, issues: list[Issue]) -> str | None:
    """Return the trimmed job title; report and drop a placeholder ("-", "n/a")."""
    if record.job_title is None:
        return None
    title, placeholder = _job_title_value(record.job_title)
    if placeholder:
        issues.append(Issue(field="job_title", value=record.job_title, code="placeholder",
                            message="a placeholder, treated as missing"))
    return title


def _address(record: RecordIn, issues: list[Issue]) -> PostalAddress | None:
    raw = record.address
    if raw is None:
        return None
    address = normalize_address(street=raw.street, city=raw.city, postal_code=raw.postal_code, country=raw.country)
    if raw.country and (address is None or address.country is None):
        issues.append(Issue(field="address.country", value=raw.country, code="unknown_country",
                            message="not a country code or a country name we know"))
    return address


def _country(record: RecordIn, issues: list[Issue]) -> str | None:
    if record.country is None:
        return None
    code = country_code(record.country)
    if code is None:
        issues.append(Issue(field="country", value=record.country, code="unknown_country",
                            message="not an ISO 3166-1 alpha-2 code or a country name we know"))
    return code


def _date_of_birth(record: RecordIn, country: str | None, issues: list[Issue]) -> date | None:
    if record.date_of_birth is None:
        return None
    latest = record.observed_at.date() if record.observed_at else None
    result = normalize_date_of_birth(record.date_of_birth, country=country, latest=latest)
    if isinstance(result, Rejection):
        issues.append(_issue("date_of_birth", record.date_of_birth, result))
        return None
    return result


def normalize_record(record: RecordIn, *, default_region: str) -> NormalizedRecord:
    """Return the normalized form of ``record``; phones without a region use ``default_region``."""
    issues: list[Issue] = []
    emails = _emails(record, issues)
    country = _country(record, issues)
    address = _address(record, issues)
    address_country = address.country if address else None
    phones: tuple[Phone, ...] = ()
    if record.phone is not None or record.phones:
        hints = _region_hints(default_region=default_region, country=country, address_country=address_country,
                              emails=emails)
        phones = _phones(record, hints, issues)
    linkedin, company_pages = _linkedin(record, issues)
    return NormalizedRecord(
        source=record.source,
        source_record_id=record.source_record_id,
        observed_at=record.observed_at,
        name=_name(record, issues),
        emails=emails,
        phones=phones,
        linkedin=linkedin,
        company_pages=company_pages,
        handles=_handles(record, issues),
        external_ids=_external_ids(record, issues),
        company=_company(record, issues),
        job_title=_job_title(record, issues),
        address=address,
        country=country,
        # Day/month order follows where the person lives when the record has no country hint.
        date_of_birth=_date_of_birth(record, country or address_country, issues),
        issues=tuple(issues),
    )


@cache  # once per process: freezing again would also freeze whatever garbage is pending then
def preload() -> None:
    """Load the reference data normalization otherwise loads on first use: CLDR country names, phone metadata.

    About a second, once per process; a server and each import worker call it at start-up, so that
    the first records do not pay for it (``bench/normalize.py`` prints both ways). The data then
    lives as long as the process, so it is frozen out of the garbage collector's way: every full
    collection would otherwise walk all of it again (about a tenth of normalizing's time).
    """
    country.preload()
    phone.preload()
    gc.freeze()
