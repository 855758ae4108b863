"""``normalize_record`` on whole records: every field normalized, every problem an issue with its path."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from resolvers import NormalizedRecord, RecordIn, normalize_record


def make_record(**fields: Any) -> RecordIn:
    """Return a record of the ``crm`` source with only the given fields."""
    return RecordIn(source="crm", source_record_id="crm-00000001", **fields)


def normalized(default_region: str = "US", **fields: Any) -> NormalizedRecord:
    """Normalize a record with the given fields."""
    return normalize_record(make_record(**fields), default_region=default_region)


def issue_triples(record: NormalizedRecord) -> list[tuple[str, str, str]]:
    """Return the record's issues as ``(field, value, code)``."""
    return [(issue.field, issue.value, issue.code) for issue in record.issues]


@pytest.mark.parametrize(("fields", "e164", "region_source"), [
    pytest.param({"country": "IT", "address": {"country": "FR"}, "email": "anna@firma.de"},
                 "+390612345678", "hint", id="country-beats-address-and-email"),
    pytest.param({"address": {"country": "France"}, "email": "anna@firma.de"},
                 "+33612345678", "address", id="address-country-name-beats-email"),
    pytest.param({"email": "anna@firma.de"}, "+49612345678", "email_tld", id="email-tld-beats-default"),
    pytest.param({"emails": ["anna@acme.com", "anna@firma.de"]}, "+49612345678", "email_tld",
                 id="first-email-with-a-country-tld"),
    pytest.param({"email": "anna@acme.com"}, "+33612345678", "default", id="generic-tld-leaves-the-default"),
    pytest.param({"country": "Atlantis", "address": {"country": "Deutschland"}}, "+49612345678", "address",
                 id="unknown-country-hint-is-skipped"),
])
def test_a_national_phone_is_read_with_country_then_address_then_email_tld_then_default(
    fields: dict[str, Any], e164: str, region_source: str,
) -> None:
    record = normalized(default_region="FR", phone="06 12 34 56 78", **fields)

    assert [(phone.e164, phone.region_source) for phone in record.phones] == [(e164, region_source)]


def test_an_international_phone_ignores_every_region_hint() -> None:
    record = normalized(country="IT", phone="+33 6 12 34 56 78")

    assert [(phone.e164, phone.region_source) for phone in record.phones] == [("+33612345678", "international")]


@pytest.mark.parametrize(("fields", "issues"), [
    pytest.param({"phone": "n/a", "phones": ["+39 347 123 4567", "0000000000"]},
                 [("phone", "n/a", "placeholder"), ("phones[1]", "0000000000", "junk")], id="phones"),
    pytest.param({"email": "test@test.com", "emails": ["anna@acme.com", "bob@gmial.com", "nope"]},
                 [("email", "test@test.com", "junk"), ("emails[1]", "bob@gmial.com", "domain_corrected"),
                  ("emails[2]", "nope", "placeholder")], id="emails"),
    pytest.param({"linkedin_url": "https://www.facebook.com/john"},
                 [("linkedin_url", "https://www.facebook.com/john", "not_linkedin")], id="linkedin-elsewhere"),
    pytest.param({"linkedin_url": "https://www.linkedin.com/feed/"},
                 [("linkedin_url", "https://www.linkedin.com/feed/", "not_a_profile")], id="linkedin-feed"),
    pytest.param({"instagram_handle": "n/a"}, [("instagram_handle", "n/a", "placeholder")], id="instagram"),
    pytest.param({"handles": {"myspace": "marco", "tiktok": "none", "x": "jack.dorsey"}},
                 [("handles.myspace", "marco", "unknown_platform"), ("handles.tiktok", "none", "placeholder"),
                  ("handles.x", "jack.dorsey", "invalid_handle")], id="handles"),
    pytest.param({"first_name": "n/a", "last_name": "Rossi", "full_name": "none"},
                 [("first_name", "n/a", "placeholder"), ("full_name", "none", "placeholder")], id="names"),
    pytest.param({"company": "n/a", "job_title": "-"},
                 [("company", "n/a", "placeholder"), ("job_title", "-", "placeholder")], id="company-and-title"),
    pytest.param({"date_of_birth": "n/a"}, [("date_of_birth", "n/a", "placeholder")], id="dob-placeholder"),
    pytest.param({"date_of_birth": "1985-02-30"}, [("date_of_birth", "1985-02-30", "invalid_date")],
                 id="dob-impossible"),
    pytest.param({"date_of_birth": "2030-01-01", "observed_at": datetime(2024, 1, 1, tzinfo=UTC)},
                 [("date_of_birth", "2030-01-01", "implausible_date")], id="dob-after-observation"),
    pytest.param({"country": "Atlantis", "address": {"city": "Poseidonis", "country": "Atlantis"}},
                 [("address.country", "Atlantis", "unknown_country"), ("country", "Atlantis", "unknown_country")],
                 id="countries"),
    pytest.param({"external_ids": {"loyalty": "n/a", "---": "42"}},
                 [("external_ids.---", "---", "invalid_namespace"), ("external_ids.loyalty", "n/a", "placeholder")],
                 id="external-ids"),
])
def test_every_rejected_value_becomes_an_issue_with_its_field_path_value_and_code(
    fields: dict[str, Any], issues: list[tuple[str, str, str]],
) -> None:
    record = normalized(**fields)

    assert sorted(issue_triples(record)) == sorted(issues)
    assert all(issue.message for issue in record.issues)


def test_a_record_of_good_values_has_no_issues_and_every_field_normalized() -> None:
    record = normalized(
        default_region="IT",
        observed_at=datetime(2024, 9, 24, 17, 25, 6, tzinfo=UTC),
        full_name="ROSSI Marco",
        email=" Marco.Rossi+news@GMAIL.com ",
        phone="347 123 4567",
        linkedin_url="https://it.linkedin.com/in/Marco-Rossi-12ab34/?trk=x",
        instagram_handle="@Marco.Rossi",
        company="Maspero S.P.A.",
        job_title="  Product   Manager ",
        address={"street": "V. Roma 1", "city": "Torino", "postal_code": "10121", "country": "Italia"},
        country="IT",
        date_of_birth="04/03/1985",
        external_ids={"CRM ID": " 12345 "},
    )

    assert record.issues == ()
    assert record.key == ("crm", "crm-00000001")
    assert record.name is not None
    assert (record.name.first, record.name.last) == ("Marco", "Rossi")
    assert [email.key for email in record.emails] == ["marcorossi@gmail.com"]
    assert [phone.e164 for phone in record.phones] == ["+393471234567"]
    assert [profile.value for profile in record.linkedin] == ["linkedin.com/in/marco-rossi-12ab34"]
    assert [(handle.platform, handle.handle) for handle in record.handles] == [("instagram", "marco.rossi")]
    assert record.company is not None
    assert record.company.key == "maspero"
    assert record.job_title == "Product Manager"
    assert record.address is not None
    assert (record.address.street_key, record.address.country) == ("roma 1", "IT")
    assert (record.country, record.date_of_birth) == ("IT", date(1985, 3, 4))
    assert record.external_ids == (("crm_id", "12345"),)


def test_the_single_and_list_fields_are_merged_and_deduplicated_by_key() -> None:
    record = normalized(
        country="IT",
        email="A.Rossi@Acme.com", emails=["a.rossi@acme.com", "anna.rossi@gmail.com", "annarossi+x@googlemail.com"],
        phone="+39 347 123 4567", phones=["347 123 4567", "0039 347 1234567", "02 1234 5678"],
    )

    assert [email.key for email in record.emails] == ["a.rossi@acme.com", "annarossi@gmail.com"]
    assert [phone.e164 for phone in record.phones] == ["+393471234567", "+390212345678"]
    assert record.issues == ()


def test_handles_accept_platform_aliases_and_instagram_given_twice_counts_once() -> None:
    record = normalized(
        instagram_handle="@Marco.Rossi",
        handles={"IG": "instagram.com/marco.rossi", "Twitter": "@MarcoRossi", "fb": "marco.rossi.5",
                 "yt": "@MarcoRossi", "snap": "marco_r"},
    )

    assert sorted((handle.platform, handle.handle) for handle in record.handles) == [
        ("facebook", "marco.rossi.5"), ("instagram", "marco.rossi"), ("snapchat", "marco_r"),
        ("x", "marcorossi"), ("youtube", "marcorossi"),
    ]
    assert record.issues == ()


def test_a_linkedin_company_page_is_kept_as_a_company_page_not_a_profile() -> None:
    record = normalized(linkedin_url="linkedin.com/company/evans/")

    assert record.linkedin == ()
    assert [page.value for page in record.company_pages] == ["linkedin.com/company/evans"]


@pytest.mark.parametrize(("fields", "expected"), [
    pytest.param({"country": "US"}, date(1985, 4, 3), id="us-hint-month-first"),
    pytest.param({"address": {"city": "Boston", "country": "US"}}, date(1985, 4, 3), id="us-address-month-first"),
    pytest.param({"country": "IT", "address": {"country": "US"}}, date(1985, 3, 4), id="hint-beats-address"),
    pytest.param({"address": {"city": "Milano", "country": "Italia"}}, date(1985, 3, 4), id="it-address-day-first"),
    pytest.param({}, date(1985, 3, 4), id="no-country-day-first"),
])
def test_a_slashed_date_of_birth_is_read_in_the_order_of_the_records_country(
    fields: dict[str, Any], expected: date,
) -> None:
    assert normalized(date_of_birth="04/03/1985", **fields).date_of_birth == expected


def test_a_name_made_only_of_placeholders_is_no_name_and_each_is_reported() -> None:
    record = normalized(first_name="asdf", last_name="test")

    assert record.name is None
    assert issue_triples(record) == [("first_name", "asdf", "placeholder"), ("last_name", "test", "placeholder")]


@pytest.mark.parametrize("value", [0, 1_700_000_000, 1.5, "2026", "1700000000", " 12 ", "-5", "1e9", "0.5"])
def test_an_observation_time_given_as_a_number_is_refused_not_read_as_a_unix_time(value: object) -> None:
    # pydantic alone read "2026" as 33 minutes past 1970 and 0 as the epoch, silently.
    with pytest.raises(ValidationError) as raised:
        RecordIn.model_validate({"source": "crm", "source_record_id": "1", "observed_at": value})

    assert [error["loc"] for error in raised.value.errors()] == [("observed_at",)]
    assert "ISO 8601" in raised.value.errors()[0]["msg"]


@pytest.mark.parametrize(("value", "seen"), [
    ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
    ("2026-01-31T09:30:00Z", datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
    ("2026-01-31T10:30:00+01:00", datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
    (datetime(2026, 1, 31, 9, 30), datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
])
def test_an_observation_time_in_iso_8601_is_read_in_utc(value: object, seen: datetime) -> None:
    assert RecordIn.model_validate({"source": "crm", "source_record_id": "1", "observed_at": value}).observed_at == seen
