"""POST /v1/normalize: canonical identifiers back, issues for unusable values, exact rejections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError


def _record(**fields: Any) -> dict[str, Any]:
    return {"source": "crm", "source_record_id": "c-1", **fields}


def _identifiers(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [identifier for identifier in body["identifiers"] if identifier["kind"] == kind]


def _details(response: Any) -> dict[str, dict[str, Any]]:
    return {detail["field"]: detail for detail in response.json()["error"]["details"]}


def test_returns_canonical_identifiers_and_keys(client: TestClient) -> None:
    response = client.post("/v1/normalize", json=_record(
        observed_at="2024-05-01T12:00:00+02:00",
        first_name="marco", last_name="ROSSI",
        email="Marco.Rossi+news@GoogleMail.com",
        phone="+1 (650) 253-0000",
        linkedin_url="https://it.linkedin.com/in/Marco-Rossi/?trk=profile",
        handles={"x": "@MarcoR"},
        external_ids={"crm": "C-42"},
        address={"city": "Milano", "postal_code": "20100", "country": "Italy"},
        date_of_birth="1980-02-01",
    ))

    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "crm"
    assert body["source_record_id"] == "c-1"
    assert body["observed_at"] == "2024-05-01T10:00:00Z"
    [email] = _identifiers(body, "email")
    assert email["value"] == "marcorossi@gmail.com"
    assert email["address"] == "marco.rossi+news@googlemail.com"
    [phone] = _identifiers(body, "phone")
    assert phone["value"] == "+16502530000"
    assert phone["region_source"] == "international"
    [linkedin] = _identifiers(body, "linkedin")
    assert linkedin == {"kind": "linkedin", "value": "linkedin.com/in/marco-rossi", "slug": "marco-rossi"}
    assert _identifiers(body, "x") == [{"kind": "x", "value": "marcor"}]
    assert _identifiers(body, "external_id") == [{"kind": "external_id", "value": "crm:C-42", "namespace": "crm"}]
    assert body["name"]["display"] == "Marco Rossi"
    assert body["address"]["country"] == "IT"
    assert body["date_of_birth"] == "1980-02-01"
    assert body["issues"] == []


def test_a_company_page_is_a_company_identifier_not_a_person(client: TestClient) -> None:
    response = client.post("/v1/normalize", json=_record(linkedin_url="linkedin.com/company/acme-inc/"))

    assert response.status_code == 200
    assert _identifiers(response.json(), "linkedin") == []
    [page] = _identifiers(response.json(), "company_linkedin")
    assert page["value"] == "linkedin.com/company/acme-inc"


def test_a_record_with_only_its_key_has_empty_parts_as_null(client: TestClient) -> None:
    response = client.post("/v1/normalize", json=_record())

    assert response.status_code == 200
    assert response.json() == {
        "source": "crm", "source_record_id": "c-1", "observed_at": None, "identifiers": [], "name": None,
        "company": None, "job_title": None, "address": None, "country": None, "date_of_birth": None, "issues": [],
    }


def test_national_numbers_are_read_in_the_configured_default_region(make_client: Callable[..., TestClient]) -> None:
    client = make_client(default_region="IT")

    response = client.post("/v1/normalize", json=_record(phone="333 123 4567"))

    [phone] = _identifiers(response.json(), "phone")
    assert phone["value"] == "+393331234567"
    assert phone["region_source"] == "default"


@pytest.mark.parametrize("region", ["XX", "ZZ", "EU"])
def test_a_default_region_phone_numbers_do_not_know_is_refused_at_start(make_client: Callable[..., TestClient],
                                                                         region: str) -> None:
    with pytest.raises(ValidationError, match=f"{region} is not a region code"):
        make_client(default_region=region)


def test_a_junk_phone_is_accepted_with_an_issue(client: TestClient) -> None:
    response = client.post("/v1/normalize", json=_record(phone="0000000000", email="ann@example.org"))

    assert response.status_code == 200
    body = response.json()
    assert _identifiers(body, "phone") == []
    [issue] = [issue for issue in body["issues"] if issue["field"] == "phone"]
    assert issue["value"] == "0000000000"
    assert issue["code"]
    assert issue["message"]


def test_an_unknown_top_level_field_is_rejected_by_name(client: TestClient) -> None:
    response = client.post("/v1/normalize", json=_record(favourite_colour="blue"))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == [
        {"field": "favourite_colour", "value": "blue", "reason": "Extra inputs are not permitted"},
    ]


def test_wrong_types_are_rejected_with_field_value_and_reason(client: TestClient) -> None:
    response = client.post("/v1/normalize", json=_record(emails=["ann@example.org", 5], address={"country": 123}))

    assert response.status_code == 422
    details = _details(response)
    assert set(details) == {"emails.1", "address.country"}
    assert details["emails.1"]["value"] == "5"
    assert details["address.country"]["value"] == "123"
    assert all(detail["reason"] for detail in details.values())


def test_missing_required_fields_never_echo_the_body(client: TestClient) -> None:
    response = client.post("/v1/normalize", json={"first_name": "a secret worth not echoing"})

    assert response.status_code == 422
    details = _details(response)
    assert set(details) == {"source", "source_record_id"}
    assert all(detail["value"] is None for detail in details.values())
    assert "secret" not in response.text


def test_long_values_are_cut_in_error_details(client: TestClient) -> None:
    response = client.post("/v1/normalize", json=_record(country="x" * 1000))

    assert response.status_code == 422
    value = _details(response)["country"]["value"]
    assert len(value) == 200
    assert value.startswith("xxx")


def test_malformed_json_answers_400_saying_where(client: TestClient) -> None:
    response = client.post("/v1/normalize", content=b'{"source": "crm",\n "x" 1}',
                           headers={"content-type": "application/json"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json"
    assert "line 2, column 6 (position 23)" in error["message"]


def test_a_body_that_is_not_json_answers_415(client: TestClient) -> None:
    response = client.post("/v1/normalize", content=b"source=crm", headers={"content-type": "text/plain"})

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
