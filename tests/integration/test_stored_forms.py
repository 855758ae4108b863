"""The stored normalized form of a record carries everything its golden profile is built from.

A golden profile is rebuilt from the facts of its records (``resolvers.profiles.ProfileFacts``);
for a stored record they are read back from its stored normalized form rather than by normalizing
the record again, so the two must agree on every record.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from resolvers import RecordIn, normalize_record
from resolvers.config import ResolverConfig
from resolvers.profiles import golden_profile, profile_facts
from service import ingest
from service.schemas import (
    golden_json,
    golden_json_without_id,
    golden_public,
    normalized_record_json,
    normalized_record_public,
    profile_facts_from_json,
    with_profile_id,
)

CONTACTS_2K = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "contacts-2k" / "records.ndjson.gz"

EDGE_CASES: list[dict[str, Any]] = [
    # A national number read without a country: kept by its national digits only.
    {"source": "shop", "source_record_id": "n1", "phone": "06 12 34 56 78", "first_name": "Ana"},
    # A lone word of a full name: given name or surname, so no complete name.
    {"source": "shop", "source_record_id": "n2", "full_name": "Budig"},
    # An initial and a surname.
    {"source": "shop", "source_record_id": "n3", "first_name": "J.", "last_name": "Smith", "observed_at":
        "2024-02-03T04:05:06.789+02:00"},
    # Every kind of identifier, a company page, a corrected domain, a placeholder job title.
    {"source": "crm", "source_record_id": "n4", "emails": ["Ann.Lee+x@gmial.com", "info@acme.io"],
     "phones": ["+39 347 123 4567 ext. 12", "0000000000"], "linkedin_url": "https://www.linkedin.com/company/acme",
     "instagram_handle": "@ann.lee", "handles": {"tiktok": "annlee", "twitter": "ann_lee"},
     "external_ids": {"CRM Id": "C-42", "loyalty": "n/a"}, "company": "Acme S.p.A.", "job_title": "n/a"},
    {"source": "web", "source_record_id": "n5", "linkedin_url": "linkedin.com/in/ann-lee-1", "company": "-"},
    {"source": "web", "source_record_id": "n6"},
]


def _records() -> list[dict[str, Any]]:
    records = list(EDGE_CASES)
    if CONTACTS_2K.exists():
        with gzip.open(CONTACTS_2K, "rt", encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle]
    return records


def _dataset_records() -> list[dict[str, Any]]:
    """Return the edge cases and contacts-2k; skip the test when the dataset is missing."""
    records = _records()
    if len(records) == len(EDGE_CASES):
        pytest.skip(f"the contacts-2k dataset is missing: {CONTACTS_2K}")
    return records


def test_facts_read_from_the_stored_form_equal_the_facts_of_the_normalized_record() -> None:
    config = ResolverConfig()
    for raw in _dataset_records():
        record = RecordIn.model_validate(raw)
        prepared = ingest.prepare(raw, record, config=config)

        assert profile_facts_from_json(prepared.normalized) == profile_facts(
            normalize_record(record, default_region=config.default_region)), raw
        assert prepared.facts == profile_facts_from_json(prepared.normalized)


def test_the_stored_normalized_form_is_the_api_s_normalized_record_to_the_byte() -> None:
    """Storage writes the normalized form without building the API's model; the text is the model's JSON."""
    config = ResolverConfig()
    for raw in _dataset_records():
        normalized = normalize_record(RecordIn.model_validate(raw), default_region=config.default_region)

        assert normalized_record_json(normalized) == normalized_record_public(normalized).model_dump_json(), raw


@pytest.mark.parametrize("raw", EDGE_CASES, ids=[r["source_record_id"] for r in EDGE_CASES])
def test_edge_case_facts_keep_what_survivorship_reads(raw: dict[str, Any]) -> None:
    prepared = ingest.prepare(raw, RecordIn.model_validate(raw), config=ResolverConfig())
    stored = profile_facts_from_json(prepared.normalized)

    assert stored == prepared.facts
    assert stored.key == (raw["source"], raw["source_record_id"])


def test_a_golden_profile_made_before_its_id_is_known_is_the_one_made_with_it() -> None:
    config = ResolverConfig()
    records = [normalize_record(RecordIn.model_validate(raw), default_region=config.default_region)
               for raw in _records()]
    by_email: dict[str, list[Any]] = {}
    for record in records:  # clusters of any size: records grouped by their first email, if any
        by_email.setdefault(record.emails[0].key if record.emails else f"{record.source}/{record.source_record_id}",
                            []).append(record)
    for members in by_email.values():
        profile = golden_profile(members, config=config)

        made_later = with_profile_id("p_0123456789abcdef0123", golden_json_without_id(profile))

        assert made_later == golden_public("p_0123456789abcdef0123", profile).model_dump_json()
        assert made_later == golden_json("p_0123456789abcdef0123", profile)
