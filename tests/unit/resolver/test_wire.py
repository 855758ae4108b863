"""The wire form of a match record: what is stored as JSON reads back as the very tuples ``to_wire`` made."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers import RecordIn, normalize_record
from resolvers.features import from_wire, match_record, to_wire, wire_from_json, wire_to_json

from .factories import record

CONTACTS_2K = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "contacts-2k" / "records.ndjson.gz"

CASES = {
    "name only": record(first_name="Giulia", last_name="Rossi"),
    "nothing but a key": record(),
    "full name, several emails and phones": record(
        full_name="Jean-Pierre DE LA FONTAINE", emails=["jp@lafontaine.fr", "jean.pierre@gmail.com"],
        phones=["+33 6 12 34 56 78", "01 42 68 53 00 poste 12"], country="FR", date_of_birth="1984-02-29"),
    "address, company and ids": record(
        first_name="Marco", last_name="Bianchi", company="Acme S.p.A.", email="marco@acme.it",
        address={"street": "Via Roma 1", "city": "Milano", "postal_code": "20121", "country": "Italia"},
        external_ids={"crm": "C-1", "loyalty_card": "L-9"}, linkedin_url="https://it.linkedin.com/in/marco-b"),
    "national number of unknown country": record(first_name="Anna", phone="0471 123456"),
    "handles and a company page": record(instagram_handle="@anna.v", handles={"tiktok": "annav"},
                                         linkedin_url="linkedin.com/company/acme"),
}


def _generic(value: Any) -> Any:
    """Every JSON array back to a tuple, at any depth: what the field-by-field reading must equal."""
    return tuple(_generic(item) for item in value) if isinstance(value, list) else value


@pytest.mark.parametrize("normalized", CASES.values(), ids=CASES.keys())
def test_a_stored_wire_reads_back_as_the_tuples_to_wire_made(normalized: Any) -> None:
    wire = to_wire(match_record(normalized, index=0))

    read = wire_from_json(wire_to_json(wire))

    assert read == wire
    assert read == _generic(json.loads(wire_to_json(wire)))
    assert from_wire(read, index=0) == from_wire(wire, index=0)


@pytest.mark.skipif(not CONTACTS_2K.exists(), reason=f"{CONTACTS_2K} is not there (the data kit sits beside the repo)")
def test_every_record_of_contacts_2k_round_trips_through_json() -> None:
    with gzip.open(CONTACTS_2K, "rt", encoding="utf-8") as lines:
        records = [RecordIn.model_validate_json(line) for line in lines if line.strip()]
    for index, raw in enumerate(records):
        wire = to_wire(match_record(normalize_record(raw, default_region="US"), index=index))
        assert wire_from_json(wire_to_json(wire)) == wire


@settings(max_examples=200, deadline=None)
@given(first=st.text(max_size=20), last=st.text(max_size=20), email=st.emails(),
       phone=st.from_regex(r"\+?[0-9 ()-]{6,18}", fullmatch=True))
def test_any_record_round_trips_through_json(first: str, last: str, email: str, phone: str) -> None:
    normalized = normalize_record(RecordIn.model_validate({
        "source": "crm", "source_record_id": "r1", "first_name": first, "last_name": last, "email": email,
        "phone": phone}), default_region="IT")
    wire = to_wire(match_record(normalized, index=0))

    assert wire_from_json(wire_to_json(wire)) == wire
