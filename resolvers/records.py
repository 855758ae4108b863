"""The record shape Throughline accepts, and the normalized record the resolver works on.

``RecordIn`` is defined once and used everywhere a record enters: the HTTP API, bulk imports and
the batch CLI. Its limits keep one record small; they are part of the contract (see README).
``NormalizedRecord`` is what normalization makes of it: typed identifiers, name and company keys,
address keys, and every issue found on the way.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticSerializationError, to_json

from resolvers.normalize.address import PostalAddress
from resolvers.normalize.company import Company
from resolvers.normalize.email import Email
from resolvers.normalize.handles import Handle
from resolvers.normalize.linkedin import LinkedIn
from resolvers.normalize.names import PersonName
from resolvers.normalize.phone import Phone

__all__ = ["DELIMITERS", "AddressIn", "Issue", "NormalizedRecord", "RecordIn", "RecordKey", "SourceName",
           "SourceRecordId", "csv_delimiter", "record_from_csv_row"]

MAX_TEXT = 512
MAX_LIST = 20
MAX_ATTRIBUTES_BYTES = 16_384
# One record as JSON text is at most a few dozen fields of 512 characters plus its attributes: the
# largest body one record may be sent in, and the longest line an import reads.
MAX_RECORD_BYTES = 262_144

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
SourceName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")]
SourceRecordId = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f/]+$")]
RecordKey = tuple[str, str]
MAX_DEPTH = 8


_SCALARS = frozenset({str, int, bool, float, type(None)})
_NOT_FINITE = ("NaN and Infinity are not JSON numbers, and a number past a double's range (1e400) cannot be "
               "stored as sent")
# A number written as text, which pydantic reads as a Unix time where a date-time is expected.
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _unstorable(value: Any, depth: int = 0) -> str | None:
    """Say why a parsed JSON value cannot be stored and read back as JSON, or None if it can.

    Python's JSON parser accepts NaN and Infinity (not JSON, RFC 8259) and lone UTF-16 surrogates
    (no Unicode character); neither can be written to a database as text or sent back as JSON.
    """
    if isinstance(value, str):
        return "text with a lone UTF-16 surrogate is not Unicode" if any(
            "\ud800" <= ch <= "\udfff" for ch in value) else None
    if isinstance(value, float):
        return None if math.isfinite(value) else _NOT_FINITE
    if isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        return next((p for item in items if (p := _unstorable(item, depth + 1))), None)
    return None


def _problem(value: Any, *, max_bytes: int | None = None) -> str | None:
    """Like ``_unstorable``, with fast paths for the common cases; also checks the size as JSON."""
    if isinstance(value, str) and max_bytes is None:
        return None if value.isascii() else _unstorable(value)
    # Only containers inside (depth) need the walk, and only floats can be NaN or Infinity; the
    # serializer catches a lone surrogate and gives the size, as compact UTF-8 JSON.
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else (value,)
    kinds = {type(item) for item in items}
    if not kinds <= _SCALARS:
        if problem := _unstorable(value):
            return problem
    elif float in kinds and not all(math.isfinite(item) for item in items if type(item) is float):
        return _NOT_FINITE
    try:
        size = len(to_json(value, fallback=str))
    except PydanticSerializationError:
        return _unstorable(value)
    return f"limited to {max_bytes} bytes of JSON" if max_bytes is not None and size > max_bytes else None


class AddressIn(BaseModel):
    """A postal address; every part is optional. ``country`` is an ISO code or a country name."""

    model_config = ConfigDict(extra="forbid")

    street: Text | None = None
    city: Text | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    country: Annotated[str, StringConstraints(max_length=64)] | None = None


class RecordIn(BaseModel):
    """One partial contact record from one channel. Only ``source`` and ``source_record_id`` are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: SourceName = Field(description="The channel or system the record comes from, e.g. `crm`, `store`.")
    source_record_id: SourceRecordId = Field(description="The record's id, unique within its source.")
    observed_at: datetime | None = Field(
        None, description="When the channel saw the person (ISO 8601; UTC if no offset).",
    )
    first_name: Text | None = None
    last_name: Text | None = None
    full_name: Text | None = Field(None, description="The whole name when it is not split into first and last.")
    email: Text | None = None
    emails: list[Text] = Field(default_factory=list, max_length=MAX_LIST)
    phone: Text | None = None
    phones: list[Text] = Field(default_factory=list, max_length=MAX_LIST)
    linkedin_url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    instagram_handle: Text | None = None
    handles: dict[Annotated[str, StringConstraints(max_length=32)], Text] = Field(
        default_factory=dict, max_length=MAX_LIST,
        description="Social handles by platform: tiktok, x, facebook, youtube, snapchat (and instagram).",
    )
    company: Text | None = None
    job_title: Text | None = None
    address: AddressIn | None = None
    country: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="ISO 3166-1 alpha-2 hint for reading national phone numbers.",
    )
    date_of_birth: Annotated[str, StringConstraints(max_length=32)] | None = Field(None, description="YYYY-MM-DD.")
    external_ids: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], Text] = Field(
        default_factory=dict, max_length=MAX_LIST,
        description="Source-system ids by namespace (CRM id, customer number, loyalty card).",
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="Free-form channel data; stored, never used for matching.",
    )

    @model_validator(mode="after")
    def _storable(self, info: ValidationInfo) -> RecordIn:
        # One check for the whole record: a validator per field cost as much as parsing it did.
        # JSON text cannot carry a lone surrogate (the parser refuses one), so for JSON input only
        # the free-form attributes can hold something unstorable (NaN, Infinity, deep nesting).
        if info.mode == "json":
            if not self.attributes or _problem(self.attributes, max_bytes=MAX_ATTRIBUTES_BYTES) is None:
                return self
            given = [("attributes", self.attributes)]
        else:
            given = [
                (field, value.model_dump(exclude_none=True) if isinstance(value, BaseModel) else value)
                for field, value in self.__dict__.items() if value is not None]
        problems = [(field, value, problem) for field, value in given if value and (problem := _problem(
            value, max_bytes=MAX_ATTRIBUTES_BYTES if field == "attributes" else None))]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError("value_error", "Value error, {error}", {"error": problem}),
                                 loc=(field,), input=value)
                for field, value, problem in problems])
        return self

    @field_validator("observed_at", mode="before")
    @classmethod
    def _not_a_number(cls, value: object) -> object:
        """Refuse a number, or digits as text: pydantic reads either as a Unix time ("2026": 1970-01-01T00:33:46Z)."""
        if (isinstance(value, int | float) and not isinstance(value, bool)) or (
                isinstance(value, str) and _NUMBER.fullmatch(value)):
            raise ValueError("give an ISO 8601 date or time (2026-01-31, 2026-01-31T09:30:00Z), not a number")
        return value

    @field_validator("observed_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:
            raise ValueError("the time is out of range once converted to UTC") from None

    @property
    def key(self) -> RecordKey:
        """Return ``(source, source_record_id)``, the record's identity."""
        return (self.source, self.source_record_id)


@dataclass(frozen=True, slots=True)
class Issue:
    """Something wrong with one value of a record: where, what, a stable code and an explanation."""

    field: str
    value: str
    code: str
    message: str


class NormalizedRecord(NamedTuple):
    """A record after normalization: what the resolver compares.

    A named tuple rather than a frozen dataclass: one is made per record, and a frozen
    dataclass sets its sixteen fields one ``object.__setattr__`` at a time (about 3 % of
    normalizing's time, ``bench/normalize.py``).
    """

    source: str
    source_record_id: str
    observed_at: datetime | None
    name: PersonName | None
    emails: tuple[Email, ...]
    phones: tuple[Phone, ...]
    linkedin: tuple[LinkedIn, ...]
    company_pages: tuple[LinkedIn, ...]
    handles: tuple[Handle, ...]
    external_ids: tuple[tuple[str, str], ...]
    company: Company | None
    job_title: str | None
    address: PostalAddress | None
    country: str | None
    date_of_birth: date | None
    issues: tuple[Issue, ...]

    @property
    def key(self) -> RecordKey:
        """Return ``(source, source_record_id)``, the record's identity."""
        return (self.source, self.source_record_id)


# What may separate a CSV's cells: spreadsheets export with semicolons where the comma is the decimal
# mark (most of Europe), and tab-separated or pipe-separated files are common exports too.
DELIMITERS = (",", ";", "\t", "|")


def csv_delimiter(header: str) -> str:
    """Return the delimiter that splits a CSV header line into the most columns: a comma unless another splits more."""
    return max(DELIMITERS, key=lambda delimiter: (len(next(csv.reader([header], delimiter=delimiter))),
                                                   delimiter == ","))


def record_from_csv_row(row: Mapping[str | None, str | None]) -> dict[str, Any]:
    """Return the record body a CSV row stands for (one column per field, empty cells left out).

    Nested fields use dotted column names (``address.city``, ``handles.tiktok``,
    ``external_ids.crm``, ``attributes.campaign``); ``emails`` and ``phones`` cells hold several
    values separated by ``;``.
    """
    record: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None or cell is None or cell == "":
            continue
        head, _, rest = column.partition(".")
        if rest:
            nested = record.setdefault(head, {})
            if isinstance(nested, dict):
                nested[rest] = cell
        elif column in ("emails", "phones"):
            record[column] = [part.strip() for part in cell.split(";") if part.strip()]
        else:
            record[column] = cell
    return record
