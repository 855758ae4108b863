"""Request and response models of the HTTP API, and converters from the domain's dataclasses.

Responses never expose ``resolvers`` dataclasses directly: each public model here is built by a
converter function, so the domain can change shape without changing the API by accident.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from resolvers import Issue, NormalizedRecord
from resolvers.incremental import ProfileEvent
from resolvers.normalize.address import PostalAddress
from resolvers.normalize.company import Company
from resolvers.normalize.email import Email
from resolvers.normalize.handles import PLATFORMS, Handle
from resolvers.normalize.linkedin import LinkedIn
from resolvers.normalize.names import PersonName
from resolvers.normalize.phone import Phone
from resolvers.profiles import GoldenProfile, ProfileFacts, Seen
from resolvers.records import SourceName, SourceRecordId
from service.progress import ApplyProgress
from service.tables import ImportRow, RecordRow

__all__ = [
    "AddressPublic",
    "CompanyPublic",
    "ErrorBody",
    "ErrorDetail",
    "ErrorResponse",
    "IdentifierPublic",
    "ImportCounts",
    "ImportListResponse",
    "ImportPublic",
    "IssuePublic",
    "NamePublic",
    "NormalizedRecordPublic",
    "StatusPublic",
    "golden_json",
    "golden_json_without_id",
    "import_public",
    "is_applying",
    "normalized_record_json",
    "normalized_record_public",
    "printable",
    "profile_facts_from_json",
    "with_profile_id",
]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Stored times are naive UTC; every time the API shows carries its zone (ISO 8601 with Z).
UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def printable(text: str) -> str:
    """Return ``text`` with each lone surrogate (which JSON can escape but UTF-8 cannot hold) replaced by ``?``.

    Error answers echo what was sent, and a response that cannot be written as UTF-8 fails as a 500.
    """
    return text.encode("utf-8", "replace").decode("utf-8")


# Text an error answer echoes from the request: a field name, a value, a record's key.
Echoed = Annotated[str, AfterValidator(printable)]


def _is_none(value: object) -> bool:
    return value is None


def _metadata() -> Any:
    """Declare an optional identifier field that is left out of the JSON when it does not apply."""
    return Field(None, exclude_if=_is_none)


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorDetail(_Public):
    """One reason a request was rejected: which field, the value sent, and why."""

    field: Echoed = Field(description="Dotted path of the field in the body (`address.country`, `emails.1`); "
                                      "empty for the body as a whole.")
    value: Echoed | None = Field(description="The value sent for that field, as text, cut to 200 characters.")
    reason: Echoed


class ErrorBody(_Public):
    """What went wrong: a stable machine-readable code, a message for people, and per-field details."""

    code: str = Field(description="Stable code: validation_error, malformed_json, payload_too_large, not_found, "
                                  "method_not_allowed, not_ready, internal_error, ...")
    message: Echoed
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(_Public):
    """The body of every error response."""

    error: ErrorBody


class StatusPublic(_Public):
    """A liveness or readiness answer."""

    status: str


class IdentifierPublic(_Public):
    """A typed identifier; which metadata fields are present depends on ``kind``."""

    kind: str = Field(description="email, phone, linkedin, company_linkedin, external_id, or a social platform: "
                                  "instagram, tiktok, x, facebook, youtube, snapchat.")
    value: str = Field(description="The canonical value matched on: mailbox key, E.164 number (or, for a phone "
                                   "whose country is unknown, its national digits), canonical LinkedIn URL, "
                                   "handle, or `namespace:value` for external ids.")
    address: str | None = _metadata()
    domain: str | None = _metadata()
    role: bool | None = _metadata()
    free: bool | None = _metadata()
    disposable: bool | None = _metadata()
    test_domain: bool | None = _metadata()
    corrected_domain: str | None = _metadata()
    extension: str | None = _metadata()
    number_type: str | None = _metadata()
    region: str | None = _metadata()
    region_source: str | None = _metadata()
    national: str | None = _metadata()
    household: bool | None = _metadata()
    slug: str | None = _metadata()
    namespace: str | None = _metadata()


class NamePublic(_Public):
    """A person's name for display and its matching keys."""

    display: str
    first: str | None
    last: str | None
    middle: str | None
    first_key: str
    first_tokens: list[str]
    last_tokens: list[str]
    initial_only: bool
    nickname_groups: list[str] = Field(description="Formal given names the first name may stand for, sorted.")


class CompanyPublic(_Public):
    """An employer's name as given and its matching key."""

    display: str
    key: str


class AddressPublic(_Public):
    """A postal address for display and its matching keys."""

    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    street_key: str
    city_key: str
    postal_key: str


class IssuePublic(_Public):
    """A value of the record that could not be used, and why; the record is still accepted."""

    field: str
    value: str
    code: str
    message: str


class NormalizedRecordPublic(_Public):
    """What normalization makes of one record."""

    source: str
    source_record_id: str
    observed_at: datetime | None = Field(description="ISO 8601 in UTC (`Z`).")
    identifiers: list[IdentifierPublic]
    name: NamePublic | None
    company: CompanyPublic | None
    job_title: str | None
    address: AddressPublic | None
    country: str | None
    date_of_birth: date | None = Field(description="YYYY-MM-DD.")
    issues: list[IssuePublic]


# Times as pydantic writes ``UtcDatetime``: naive ones are UTC, and UTC is written ``Z``.
_UTC_TIMES = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z

# The converters below make plain dicts in the public models' field order: the API validates them
# into ``NormalizedRecordPublic``, and storage writes them straight to JSON (``normalized_record_json``),
# which is a fifth of the cost of building and dumping the model; a test holds the two equal.

def _present(**fields: Any) -> dict[str, Any]:
    """Return the fields that are not None (an identifier's metadata that does not apply is left out)."""
    return {name: value for name, value in fields.items() if value is not None}


def _email(email: Email) -> dict[str, Any]:
    return _present(
        kind="email", value=email.key, address=email.address, domain=email.domain, role=email.role,
        free=email.free, disposable=email.disposable, test_domain=email.test_domain,
        corrected_domain=email.corrected_domain, household=email.household,
    )


def _phone(phone: Phone) -> dict[str, Any]:
    return _present(
        kind="phone", value=phone.e164 or phone.national, extension=phone.extension, number_type=phone.number_type,
        region=phone.region, region_source=phone.region_source, national=phone.national,
    )


def _linkedin(linkedin: LinkedIn, *, kind: str) -> dict[str, Any]:
    return _present(kind=kind, value=linkedin.value, slug=linkedin.slug)


def _handle(handle: Handle) -> dict[str, Any]:
    return {"kind": handle.platform, "value": handle.handle}


def _external_id(namespace: str, value: str) -> dict[str, Any]:
    return {"kind": "external_id", "value": f"{namespace}:{value}", "namespace": namespace}


def _identifiers(record: NormalizedRecord) -> Iterator[dict[str, Any]]:
    """Yield the record's identifiers in the domain's order: emails, phones, LinkedIn, handles, ids."""
    yield from map(_email, record.emails)
    yield from map(_phone, record.phones)
    yield from (_linkedin(person, kind="linkedin") for person in record.linkedin)
    yield from (_linkedin(page, kind="company_linkedin") for page in record.company_pages)
    yield from map(_handle, record.handles)
    yield from (_external_id(namespace, value) for namespace, value in record.external_ids)


def _name(name: PersonName) -> dict[str, Any]:
    return {"display": name.display, "first": name.first, "last": name.last, "middle": name.middle,
            "first_key": name.first_key, "first_tokens": list(name.first_tokens),
            "last_tokens": list(name.last_tokens), "initial_only": name.initial_only,
            "nickname_groups": sorted(name.first_groups)}


def _company(company: Company) -> dict[str, Any]:
    return {"display": company.display, "key": company.key}


def _address(address: PostalAddress) -> dict[str, Any]:
    return {"street": address.street, "city": address.city, "postal_code": address.postal_code,
            "country": address.country, "street_key": address.street_key, "city_key": address.city_key,
            "postal_key": address.postal_key}


def _issue(issue: Issue) -> dict[str, Any]:
    return {"field": issue.field, "value": issue.value, "code": issue.code, "message": issue.message}


def _normalized_fields(record: NormalizedRecord) -> dict[str, Any]:
    """Return the fields of ``NormalizedRecordPublic`` for a normalized record, as plain values."""
    return {
        "source": record.source,
        "source_record_id": record.source_record_id,
        "observed_at": record.observed_at,
        "identifiers": list(_identifiers(record)),
        "name": _name(record.name) if record.name else None,
        "company": _company(record.company) if record.company else None,
        "job_title": record.job_title,
        "address": _address(record.address) if record.address else None,
        "country": record.country,
        "date_of_birth": record.date_of_birth,
        "issues": [_issue(issue) for issue in record.issues],
    }


def normalized_record_public(record: NormalizedRecord) -> NormalizedRecordPublic:
    """Return the API form of a normalized record."""
    return NormalizedRecordPublic.model_validate(_normalized_fields(record))


def normalized_record_json(record: NormalizedRecord) -> str:
    """Return the stored form of a normalized record: ``normalized_record_public(record)`` as JSON text."""
    return orjson.dumps(_normalized_fields(record), option=_UTC_TIMES).decode()


_HANDLE_KINDS = frozenset(PLATFORMS)


def profile_facts_from_json(text: str) -> ProfileFacts:
    """Return the survivorship facts of a record from its stored normalized form (``normalized_record_public``).

    Equal to ``profile_facts`` of the record it was made from, without normalizing the record again.
    """
    record = orjson.loads(text)
    name, company, observed = record["name"], record["company"], record["observed_at"]
    emails, phones, linkedin, handles, external_ids = [], [], [], [], []
    for identifier in record["identifiers"]:
        kind, value = identifier["kind"], identifier["value"]
        if kind == "email":
            emails.append(value)
        elif kind == "phone":
            # A number of unknown country shows its national digits as its value.
            phones.append(f"national:{value}" if identifier["region_source"] == "unknown" else value)
        elif kind == "linkedin":
            linkedin.append(value)
        elif kind == "external_id":
            external_ids.append(value)
        elif kind in _HANDLE_KINDS:
            handles.append(f"{kind}:{value}")
    return ProfileFacts(
        key=(record["source"], record["source_record_id"]),
        observed_at=datetime.fromisoformat(observed) if observed else None,
        name=name["display"] or None if name else None,
        # A name that may be a given name or a surname ("ambiguous") has no surname part.
        complete_name=bool(name and name["first"] and name["last"] and not name["initial_only"]),
        emails=tuple(emails), phones=tuple(phones), linkedin=tuple(linkedin), handles=tuple(handles),
        external_ids=tuple(external_ids),
        company=company["display"] if company else None,
        job_title=record["job_title"],
    )


# --- profiles, records, links, the change feed ----------------------------------------------------

class SeenPublic(_Public):
    """A value of a profile, how many of its records carry it, and when it was first and last seen."""

    value: str
    count: int
    first_seen: UtcDatetime | None
    last_seen: UtcDatetime | None


class TimelineEntryPublic(_Public):
    """One record of the person's cross-channel journey."""

    observed_at: UtcDatetime | None
    source: str
    source_record_id: str


class GoldenProfilePublic(_Public):
    """The golden profile of one person (survivorship rules in the README)."""

    profile_id: str
    display_name: str | None
    names: list[SeenPublic]
    emails: list[SeenPublic]
    phones: list[SeenPublic]
    linkedin: list[SeenPublic]
    handles: list[SeenPublic]
    external_ids: list[SeenPublic]
    company: str | None
    job_title: str | None
    channels: list[SeenPublic] = Field(description="The sources that saw the person, with counts.")
    first_seen: UtcDatetime | None
    last_seen: UtcDatetime | None
    record_count: int
    timeline: list[TimelineEntryPublic] = Field(description="Every record, ordered by observed_at.")


def _seen(values: Iterable[Seen]) -> list[dict[str, Any]]:
    return [{"value": s.value, "count": s.count, "first_seen": s.first_seen, "last_seen": s.last_seen}
            for s in values]


def _golden_fields(profile: GoldenProfile) -> dict[str, Any]:
    """Return the fields of ``GoldenProfilePublic`` but its id, as plain values in the model's order."""
    return {
        "display_name": profile.display_name, "names": _seen(profile.names), "emails": _seen(profile.emails),
        "phones": _seen(profile.phones), "linkedin": _seen(profile.linkedin), "handles": _seen(profile.handles),
        "external_ids": _seen(profile.external_ids), "company": profile.company, "job_title": profile.job_title,
        "channels": _seen(profile.channels), "first_seen": profile.first_seen, "last_seen": profile.last_seen,
        "record_count": len(profile.records),
        "timeline": [{"observed_at": e.observed_at, "source": e.source, "source_record_id": e.source_record_id}
                     for e in profile.timeline],
    }


def golden_json(profile_id: str, profile: GoldenProfile) -> str:
    """Return a golden profile as stored and served: ``golden_public(...)`` as JSON."""
    return with_profile_id(profile_id, golden_json_without_id(profile))


def golden_json_without_id(profile: GoldenProfile) -> str:
    """Return ``golden_json`` without its leading ``profile_id`` member, for a profile whose id is not given yet.

    Written from plain values, as ``normalized_record_json`` is; times are UTC (``UtcDatetime``).
    """
    return orjson.dumps(_golden_fields(profile), option=_UTC_TIMES).decode()


def with_profile_id(profile_id: str, rest: str) -> str:
    """Return ``golden_json`` from the id and ``golden_json_without_id`` (``profile_id`` is the first member)."""
    return '{"profile_id":' + json.dumps(profile_id) + "," + rest[1:]


def golden_public(profile_id: str, profile: GoldenProfile) -> GoldenProfilePublic:
    """Return the API form of a golden profile."""
    return GoldenProfilePublic.model_validate({"profile_id": profile_id, **_golden_fields(profile)})


class ProfileEventPublic(_Public):
    """A change of a profile caused by a request (the same event goes to the change feed)."""

    type: str = Field(description="profile.created, profile.updated, profile.merged, profile.split, profile.erased")
    profile_id: str
    absorbed: list[str] | None = _metadata()
    new_ids: list[str] | None = _metadata()


def event_public(event: ProfileEvent) -> ProfileEventPublic:
    """Return the API form of a profile event."""
    return ProfileEventPublic(
        type=event.type, profile_id=event.profile_id,
        absorbed=list(event.related) if event.type == "profile.merged" else None,
        new_ids=list(event.related) if event.type == "profile.split" else None,
    )


class StoredRecordPublic(_Public):
    """A stored record: the body as received, its normalized form, and its profile."""

    source: str
    source_record_id: str
    profile_id: str
    raw: dict[str, Any] = Field(description="The record exactly as it was sent.")
    normalized: NormalizedRecordPublic
    created_at: UtcDatetime
    updated_at: UtcDatetime


class UpsertResponse(_Public):
    """The outcome of an upsert: the stored record, its profile, and what changed."""

    status: str = Field(description="created, updated or unchanged (identical content changes nothing).")
    record: StoredRecordPublic
    profile_id: str
    changes: list[ProfileEventPublic]


class BatchItemResult(_Public):
    """The outcome of one item of a batch: like an upsert, or the error that rejected it."""

    index: int
    status: str = Field(description="created, updated, unchanged or rejected.")
    source: Echoed | None = None
    source_record_id: Echoed | None = None
    profile_id: str | None = None
    error: ErrorBody | None = _metadata()


class BatchResponse(_Public):
    """One result per item, in the order sent, and the profile changes of the whole batch."""

    results: list[BatchItemResult]
    changes: list[ProfileEventPublic]


class DeletionResponse(_Public):
    """The outcome of an erasure."""

    erased: list[str] = Field(description="Keys (`source/source_record_id`) of the records erased.")
    changes: list[ProfileEventPublic]


class RecordRefIn(BaseModel):
    """A record by its key."""

    model_config = ConfigDict(extra="forbid")

    source: SourceName
    source_record_id: SourceRecordId


class LinkIn(BaseModel):
    """A steward's override between two records."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["must", "cannot"] = Field(description="must: one person; cannot: never one person.")
    a: RecordRefIn
    b: RecordRefIn
    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$",
                        description="Why; any text but the NUL character.")


class LinkPublic(_Public):
    """A stored override."""

    id: int
    kind: str
    a: RecordRefIn
    b: RecordRefIn
    reason: str
    created_at: UtcDatetime


class LinkResponse(_Public):
    """A created link and the profile changes it caused."""

    link: LinkPublic
    changes: list[ProfileEventPublic]
    in_effect: bool = Field(description="whether the two records are now in one profile (must) or apart (cannot); "
                                        "false when stronger facts refuse a must-link (two different LinkedIn "
                                        "profiles, a cannot-link among the records it would join): it is kept, and "
                                        "GET /v1/profiles/{id}/explain lists it as refused with the reason")


class ChangePublic(_Public):
    """One entry of the change feed."""

    seq: int
    type: str
    profile_id: str
    payload: dict[str, Any]
    created_at: UtcDatetime


class ChangesPage(_Public):
    """A page of the change feed; pass ``next_after`` as ``after`` to read on."""

    changes: list[ChangePublic]
    next_after: int


class ProfileMatches(_Public):
    """The live profiles that hold a looked-up identifier."""

    profiles: list[GoldenProfilePublic]
    truncated: bool = Field(description="more records or profiles matched than the answer holds (at most 50 "
                                        "profiles, and 500 records read per identifier or name key): narrow the lookup")


class EvidenceEdgePublic(_Public):
    """An edge of the evidence graph: two records, the evidence joining them and its score."""

    a: str
    b: str
    score: float | None = Field(description="the evidence score; null for a steward's must-link, which is a "
                                              "decision rather than a score")
    stage: str
    evidence: list[str]


class RefusedEdgePublic(_Public):
    """A merge the evidence asked for that a constraint refused."""

    a: str
    b: str
    score: float | None = Field(description="the evidence score; null for a steward's must-link, which is a "
                                              "decision rather than a score")
    stage: str
    evidence: list[str]
    reason: str


class ExplanationPublic(_Public):
    """Why these records are one profile: the edges holding them together and the refused ones."""

    profile_id: str
    records: list[str]
    edges: list[EvidenceEdgePublic]
    refused: list[RefusedEdgePublic]


def stored_record_public(row: RecordRow) -> StoredRecordPublic:
    """Return the API form of a stored record."""
    return StoredRecordPublic(
        source=row.source, source_record_id=row.source_record_id, profile_id=row.profile_id,
        raw=json.loads(row.raw), normalized=NormalizedRecordPublic.model_validate_json(row.normalized),
        created_at=row.created_at, updated_at=row.updated_at,
    )


# --- API keys and the audit log ---------------------------------------------------------------

class KeyIn(BaseModel):
    """A key to create: its scopes and a name saying what it is for."""

    model_config = ConfigDict(extra="forbid")

    scopes: list[Literal["read", "write", "admin", "metrics"]] = Field(
        min_length=1, max_length=4, description="read, write, admin, metrics (each independent of the others).")
    name: str = Field("", max_length=100, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$",
                      description="What the key is for (a system, not a person); no control characters.")


class KeyPublic(_Public):
    """A key as listed: never the key itself, which is shown once, when it is created."""

    id: str = Field(description="The public part of the key (`tl_<id>_...`), used in logs and the audit log.")
    name: str
    scopes: list[str]
    created_by: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None


class KeyCreated(_Public):
    """A new key: ``key`` is the secret, shown this once and stored only as a hash."""

    key: str = Field(description="`tl_<id>_<secret>`; send it as `Authorization: Bearer <key>`.")
    details: KeyPublic


class AuditEntryPublic(_Public):
    """One audited action; ids and counts, never personal values."""

    id: int
    at: UtcDatetime
    actor: str = Field(description="The id of the API key that acted, or `cli`.")
    request_id: str | None
    action: str = Field(description="link.created, link.deleted, record.erased, profile.erased, export, "
                                    "key.created, key.revoked, import.cancelled, import.deleted")
    target: str | None = Field(description="The link, profile, key, export or import the action was on.")
    details: dict[str, Any]


class AuditPage(_Public):
    """A page of the audit log; pass ``next_after`` as ``after`` to read on."""

    entries: list[AuditEntryPublic]
    next_after: int


# --- bulk imports ---------------------------------------------------------------------------------

class ImportCounts(_Public):
    """What an import has done so far."""

    lines_read: int = Field(description="Non-blank lines (CSV: data rows) read and staged (or rejected) so far.")
    accepted: int = Field(description="Lines that were valid records.")
    rejected: int = Field(description="Lines refused; each is listed by `GET /v1/imports/{id}/errors`.")
    duplicates: int = Field(description="Accepted lines superseded by a later line for the same record in the same "
                                        "import (the later one wins, as a later upsert would); counted once every "
                                        "line is staged.")
    erased: int = Field(0, description="Accepted lines not applied: their record was erased while the job ran "
                                       "(a file sent before an erasure does not bring the record back).")
    records_created: int
    records_updated: int
    records_unchanged: int = Field(description="Records whose content was already stored (re-imports).")
    profiles_created: int = Field(description="Profile ids the job made live: created, or split off from a profile "
                                              "(a merged-away id taken back included).")
    profiles_merged: int = Field(description="Profile ids the job merged into another (an id merged away earlier "
                                             "that now points at another profile included).")
    bytes_read: int = Field(description="Bytes of the body (as sent, so compressed if gzip) read so far.")


class ImportPublic(_Public):
    """A bulk import job: its state, counts, speed, and where it would resume."""

    id: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"] = Field(description=(
        "cancelled: by `POST /v1/imports/{id}/cancel`, before it began applying; nothing of it was applied."))
    phase: Literal["staging", "applying"] = Field(description=(
        "staging: lines are read, checked and staged (counts of lines grow); applying: every staged record "
        "is resolved and stored in one change (record and profile counts appear when it commits)."))
    format: Literal["ndjson", "csv"]
    content_encoding: Literal["identity", "gzip"]
    bytes: int = Field(description="Size of the body as received.")
    counts: ImportCounts
    resume_line: int = Field(description="Every line up to this one is read and staged (or rejected); a resumed job "
                                         "starts after it.")
    progress: float = Field(description="Fraction of the body read, 0 to 1.")
    records_per_second: float | None = Field(description="Lines applied per second since the job started.")
    eta_seconds: float | None = Field(description=(
        "Estimated seconds to the end of the current phase: while staging, until every line is staged, from "
        "the bytes read so far (applying comes after); while applying, from the records applied so far (when "
        "known; null before the first batch and after the last, while the keys are written and the job commits)."))
    records_applied: int | None = Field(None, description=(
        "While applying: changed staged records resolved and stored so far, of `records_to_apply` (their "
        "candidate keys are written after the last). Known only to a server on the host running the job."))
    records_to_apply: int | None = Field(None, description="While applying: the changed staged records in all.")
    message: str | None = Field(description="Why the job failed, and how to go on; or when it was cancelled.")
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    errors_url: str = Field(description="Where the rejected lines are streamed as NDJSON.")


class ImportListResponse(_Public):
    """Import jobs, newest first."""

    imports: list[ImportPublic]


def is_applying(row: ImportRow) -> bool:
    """Whether the job is running its applying phase (the only time it has apply progress to show)."""
    return row.state == "running" and row.phase == "applying"


def import_public(row: ImportRow, *, now: datetime, applying: ApplyProgress | None = None) -> ImportPublic:
    """Return the public view of an ``ImportRow``, with speed and ETA computed at ``now`` (naive UTC).

    ``applying`` is the progress of a running job's applying phase, when this host knows it.
    """
    counts = ImportCounts(**json.loads(row.counts))
    progress = 1.0 if row.state == "succeeded" else min(1.0, counts.bytes_read / row.bytes) if row.bytes else 0.0
    end = row.finished_at or now
    elapsed = (end - row.started_at).total_seconds() if row.started_at else 0.0
    speed = counts.lines_read / elapsed if elapsed > 0 else None
    eta = None
    if row.state == "running" and 0 < progress < 1 and elapsed > 0:
        eta = round(elapsed * (1 - progress) / progress, 1)
    if not is_applying(row):
        applying = None
    # Once every record is applied, the job writes their keys, drops its staged rows and commits, at no
    # pace it knows: a minute at a million records, when "0 s" would be shown.
    if applying is not None and 0 < applying.applied < applying.total:
        applying_for = now.replace(tzinfo=UTC).timestamp() - applying.started
        eta = round(max(0.0, applying_for) * (applying.total - applying.applied) / applying.applied, 1)
    return ImportPublic(id=row.id, state=row.state, phase=row.phase, format=row.format,
                        content_encoding=row.encoding, bytes=row.bytes, counts=counts, resume_line=row.resume_line,
                        progress=round(progress, 4),
                        records_per_second=round(speed, 1) if speed is not None else None, eta_seconds=eta,
                        records_applied=applying.applied if applying else None,
                        records_to_apply=applying.total if applying else None,
                        message=row.message, created_at=row.created_at, started_at=row.started_at,
                        finished_at=row.finished_at, errors_url=f"/v1/imports/{row.id}/errors")
