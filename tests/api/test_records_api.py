"""PUT, GET and DELETE /v1/records/{source}/{id} and POST /v1/records/batch, on SQLite and PostgreSQL.

Properties 1 (nothing accepted is lost; rejections say field, value and reason) and 3
(idempotency) of ARCHITECTURE.md, seen through HTTP.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import feed, last_seq, person, put

RAW_BODIES: list[tuple[str, dict[str, Any]]] = [
    ("plain", person(email="giulia.bianchi@gmail.com", observed_at="2024-05-01T12:00:00+02:00")),
    ("unicode", person("Zoë", "Łukasiewicz-Ñúñez", full_name="Зоя Лукашевич", company="Café Ünïcode ☕ GmbH",
                       attributes={"note": "emoji 🎉 and 中文", "rtl": "שלום"})),
    ("nested attributes", {"attributes": {"utm": {"source": "snapchat", "tags": ["a", "b", {"deep": [1, 2.5]}]},
                                          "step": 3, "ratio": 0.1, "tiny": 1e-7, "big": 12345678901234567890,
                                          "past 64 bits": 123456789012345678901234567890, "exp": 1e16,
                                          "flag": True, "nothing": None, "empty": {}, "list": []}}),
    ("unusable values kept as sent", {"email": "not an email", "phone": "123", "country": "Narnia",
                                      "date_of_birth": "1990-02-30", "linkedin_url": "https://example.com/x"}),
    ("explicit nulls and empty strings", {"company": None, "job_title": "", "first_name": None, "emails": []}),
    ("every field", {"observed_at": "2023-07-18T22:38:34Z", "first_name": "Goffredo", "last_name": "Ricci",
                     "full_name": "Goffredo Ricci", "email": "Goffredo@NovoraIndustrie.it",
                     "emails": ["g.ricci+news@gmail.com", "goffredo.ricci@googlemail.com"],
                     "phone": "+39 (02) 1234-5678 ext. 9", "phones": ["347 123 4567"],
                     "linkedin_url": "http://it.linkedin.com/in/goffredo-ricci/?trk=x",
                     "instagram_handle": "@Goffredo.Ricci", "handles": {"tiktok": "@goffr"},
                     "company": "Novora Industrie S.p.A.", "job_title": "CFO",
                     "address": {"street": "Via Roma 1", "city": "Milano", "postal_code": "20121",
                                 "country": "Italy"},
                     "country": "IT", "date_of_birth": "1970-03-04", "external_ids": {"crm_id": "C-0042"},
                     "attributes": {"sequence": "onboarding"}}),
]


@pytest.mark.parametrize(("label", "body"), RAW_BODIES, ids=[label for label, _ in RAW_BODIES])
def test_a_stored_raw_record_reads_back_equal_to_what_was_sent(client: TestClient, label: str,
                                                               body: dict[str, Any]) -> None:
    sent = {"source": "crm", "source_record_id": "r-1", **body}

    upserted = put(client, "crm/r-1", sent)
    read = client.get("/v1/records/crm/r-1")

    assert upserted["record"]["raw"] == sent
    assert read.status_code == 200
    assert read.json()["raw"] == sent


def test_a_new_record_is_created_with_a_new_profile(client: TestClient) -> None:
    result = put(client, "crm/c-1", person(email="giulia.bianchi@gmail.com"))

    assert result["status"] == "created"
    assert result["record"]["profile_id"] == result["profile_id"]
    assert result["changes"] == [{"type": "profile.created", "profile_id": result["profile_id"]}]
    assert result["record"]["normalized"]["identifiers"][0]["value"] == "giuliabianchi@gmail.com"


def test_resending_identical_content_changes_nothing(client: TestClient) -> None:
    body = person(email="giulia.bianchi@gmail.com", attributes={"a": 1, "b": [1, 2]})
    first = put(client, "crm/c-1", body)
    seq = last_seq(client)

    again = put(client, "crm/c-1", body)

    assert again["status"] == "unchanged"
    assert again["changes"] == []
    assert again["profile_id"] == first["profile_id"]
    assert again["record"]["updated_at"] == first["record"]["updated_at"]
    assert last_seq(client) == seq


def test_resending_the_same_content_with_its_keys_in_another_order_changes_nothing(client: TestClient) -> None:
    put(client, "crm/c-1", {"first_name": "Giulia", "last_name": "Bianchi", "attributes": {"x": 1, "y": 2}})
    seq = last_seq(client)

    again = put(client, "crm/c-1", {"attributes": {"y": 2, "x": 1}, "last_name": "Bianchi", "first_name": "Giulia"})

    assert again["status"] == "unchanged"
    assert last_seq(client) == seq


def test_changed_content_updates_the_record_and_its_profile(client: TestClient) -> None:
    first = put(client, "crm/c-1", person(email="giulia.bianchi@gmail.com"))

    second = put(client, "crm/c-1", person(email="giulia.bianchi@gmail.com", job_title="Buyer"))

    assert second["status"] == "updated"
    assert second["profile_id"] == first["profile_id"]
    assert second["changes"] == [{"type": "profile.updated", "profile_id": first["profile_id"]}]
    assert client.get("/v1/records/crm/c-1").json()["raw"]["job_title"] == "Buyer"
    assert client.get(f"/v1/profiles/{first['profile_id']}").json()["job_title"] == "Buyer"


@pytest.mark.parametrize("omitted", [("source",), ("source_record_id",), ("source", "source_record_id")])
def test_the_body_may_leave_out_the_key_the_path_gives(client: TestClient, omitted: tuple[str, ...]) -> None:
    body = {"source": "crm", "source_record_id": "c-1", **person()}
    for field in omitted:
        del body[field]

    result = put(client, "crm/c-1", body)

    assert result["status"] == "created"
    assert (result["record"]["source"], result["record"]["source_record_id"]) == ("crm", "c-1")
    stored = client.get("/v1/records/crm/c-1").json()["raw"]
    assert {field: stored[field] for field in body} == body


@pytest.mark.parametrize(("body", "field", "value"), [
    ({"source": "web"}, "source", "web"),
    ({"source_record_id": "c-2"}, "source_record_id", "c-2"),
    ({"source": "crm", "source_record_id": "C-1"}, "source_record_id", "C-1"),
    ({"source_record_id": None}, "source_record_id", None),  # as JSON, not as Python's "None"
    ({"source": {"name": "crm"}}, "source", '{"name": "crm"}'),
])
def test_a_body_naming_another_record_than_the_path_is_refused(client: TestClient, body: dict[str, Any],
                                                                field: str, value: str) -> None:
    response = client.put("/v1/records/crm/c-1", json={**body, **person()})

    assert response.status_code == 422
    assert {"field": field, "value": value} in [
        {"field": d["field"], "value": d["value"]} for d in response.json()["error"]["details"]]
    assert client.get("/v1/records/crm/c-1").status_code == 404


def _nested(depth: int) -> dict[str, Any]:
    """Return an object nested ``depth`` levels deep."""
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"next": value}
    return value


INVALID_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("unparseable time", {"observed_at": "yesterday"}, "observed_at"),
    ("impossible offset", {"observed_at": "2024-01-01T00:00:00+25:00"}, "observed_at"),
    ("time before year 1 in UTC", {"observed_at": "0001-01-01T00:00:00+01:00"}, "observed_at"),
    ("time after year 9999 in UTC", {"observed_at": "9999-12-31T23:59:59-05:00"}, "observed_at"),
    ("list given as text", {"emails": "a@b.com"}, "emails"),
    ("number as name", {"first_name": 5}, "first_name"),
    ("name too long", {"first_name": "x" * 513}, "first_name"),
    ("too many emails", {"emails": [f"p{i}@gmail.com" for i in range(21)]}, "emails"),
    ("unknown address part", {"address": {"planet": "Mars"}}, "address.planet"),
    ("country too long", {"country": "x" * 65}, "country"),
    ("attributes not an object", {"attributes": ["a"]}, "attributes"),
    ("linkedin url too long", {"linkedin_url": "https://linkedin.com/in/" + "a" * 2048}, "linkedin_url"),
    ("attributes over 16 KB", {"attributes": {"blob": "x" * 16_400}}, "attributes"),
    ("attributes nested too deep", {"attributes": _nested(12)}, "attributes"),
]


@pytest.mark.parametrize(("label", "body", "field"), INVALID_FIELDS, ids=[label for label, _, _ in INVALID_FIELDS])
def test_an_invalid_field_is_refused_with_its_field_value_and_reason(client: TestClient, label: str,
                                                                     body: dict[str, Any], field: str) -> None:
    response = client.put("/v1/records/crm/c-1", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    details = response.json()["error"]["details"]
    assert [d["field"] for d in details] == [field]
    assert details[0]["value"] is not None
    assert details[0]["reason"]
    assert client.get("/v1/records/crm/c-1").status_code == 404


@pytest.mark.parametrize("unknown", [["favourite_colour"], ["favourite_colour", "shoe_size"]])
def test_unknown_top_level_fields_are_refused_naming_each(client: TestClient, unknown: list[str]) -> None:
    response = client.put("/v1/records/crm/c-1", json={**person(), **dict.fromkeys(unknown, "x")})

    assert response.status_code == 422
    assert sorted(d["field"] for d in response.json()["error"]["details"]) == sorted(unknown)
    assert client.get("/v1/records/crm/c-1").status_code == 404


@pytest.mark.parametrize("document", ["[1, 2]", '"a record"', "42", "null"])
def test_a_body_that_is_not_an_object_is_refused(client: TestClient, document: str) -> None:
    response = client.put("/v1/records/crm/c-1", content=document.encode(),
                          headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == ""


@pytest.mark.parametrize("document", [
    '{"first_name": "\\ud800"}',  # a lone surrogate: JSON syntax, but no Unicode character
    '{"first_name": "Giulia", "attributes": {"x": NaN}}',  # NaN and Infinity are not JSON (RFC 8259)
    '{"first_name": "Giulia", "attributes": {"x": Infinity}}',
    '{"first_name": "Giulia", "attributes": {"x": 1e400}}',  # valid JSON, but read as Infinity
], ids=["lone surrogate", "NaN", "Infinity", "past a double's range"])
def test_a_body_that_is_not_valid_json_text_is_refused_not_stored_or_crashed_on(client: TestClient,
                                                                                 document: str) -> None:
    response = client.put("/v1/records/crm/c-1", content=document.encode(),
                          headers={"content-type": "application/json"})

    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("malformed_json", "validation_error", "invalid_request")
    assert client.get("/v1/records/crm/c-1").status_code == 404


@pytest.mark.parametrize(("path", "field"), [
    ("/v1/records/bad%20source/c-1", "path.source"),
    ("/v1/records/crm/line%0Abreak", "source_record_id"),
])
def test_an_invalid_record_key_in_the_path_is_refused(client: TestClient, path: str, field: str) -> None:
    response = client.put(path, json=person())

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


@pytest.mark.parametrize("record_id", ["with space", "ünïcödé-7", "a:b.c_d-e", "x" * 256])
def test_record_ids_with_spaces_unicode_and_punctuation_round_trip(client: TestClient, record_id: str) -> None:
    put(client, f"crm/{record_id}", person())

    read = client.get(f"/v1/records/crm/{record_id}")

    assert read.status_code == 200
    assert read.json()["source_record_id"] == record_id


def test_an_unusable_identifier_is_kept_with_an_issue_and_the_record_accepted(client: TestClient) -> None:
    result = put(client, "crm/c-1", person(email="not-an-email", phone="0000000000"))

    normalized = result["record"]["normalized"]
    assert normalized["identifiers"] == []
    assert {(i["field"], i["value"]) for i in normalized["issues"]} == {("email", "not-an-email"),
                                                                       ("phone", "0000000000")}
    assert client.get("/v1/records/crm/c-1").json()["normalized"] == normalized


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_unknown_record_answers_404(client: TestClient, method: str) -> None:
    response = client.request(method, "/v1/records/crm/nobody")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_deleting_a_record_erases_it_and_its_profile(client: TestClient) -> None:
    created = put(client, "crm/c-1", person(email="giulia.bianchi@gmail.com"))

    response = client.delete("/v1/records/crm/c-1")

    assert response.status_code == 200
    assert response.json() == {"erased": ["crm/c-1"],
                               "changes": [{"type": "profile.erased", "profile_id": created["profile_id"]}]}
    assert client.get("/v1/records/crm/c-1").status_code == 404
    assert client.get(f"/v1/profiles/{created['profile_id']}").status_code == 410


# --- POST /v1/records/batch ------------------------------------------------------------------------

def test_one_bad_item_does_not_fail_the_others(client: TestClient) -> None:
    items = [
        {"source": "crm", "source_record_id": "ok-1", **person(email="giulia.bianchi@gmail.com")},
        {"source": "crm", "source_record_id": "bad-1", "first_name": 5},
        "not an object",
        {"source_record_id": "no-source", **person()},
        {"source": "crm", "source_record_id": "bad-2", "favourite_colour": "red"},
        {"source": "sms", "source_record_id": "ok-2", **person("Marco", "Verdi", phone="+393471234567")},
    ]

    response = client.post("/v1/records/batch", json={"records": items})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"), (1, "rejected"), (2, "rejected"), (3, "rejected"), (4, "rejected"), (5, "created")]
    assert [[d["field"] for d in r["error"]["details"]] for r in results if r["status"] == "rejected"] == [
        ["first_name"], ["records.2"], ["source"], ["favourite_colour"]]
    assert all(r["error"]["details"][0]["reason"] for r in results if r["status"] == "rejected")
    assert results[1]["error"]["details"][0]["value"] == "5"
    assert (results[1]["source"], results[1]["source_record_id"]) == ("crm", "bad-1")
    assert client.get("/v1/records/crm/ok-1").json()["profile_id"] == results[0]["profile_id"]
    assert client.get("/v1/records/sms/ok-2").json()["profile_id"] == results[5]["profile_id"]
    assert client.get("/v1/records/crm/bad-1").status_code == 404
    assert client.get("/v1/records/crm/bad-2").status_code == 404


def test_a_rejected_batch_item_echoes_its_key_cut_as_any_echoed_value(client: TestClient) -> None:
    response = client.post("/v1/records/batch", json={"records": [
        {"source": "crm", "source_record_id": "x" * 300, "first_name": 5}]})

    (result,) = response.json()["results"]
    assert result["status"] == "rejected"
    assert result["source_record_id"] == "x" * 199 + "…"


def test_a_batch_of_more_than_1000_records_is_refused_whole(client: TestClient) -> None:
    items = [{"source": "crm", "source_record_id": f"c-{i}"} for i in range(1001)]

    response = client.post("/v1/records/batch", json={"records": items})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "records"
    assert client.get("/v1/records/crm/c-0").status_code == 404


def test_a_batch_of_exactly_1000_records_is_accepted(client: TestClient) -> None:
    items = [{"source": "crm", "source_record_id": f"c-{i}", "attributes": {"i": i}} for i in range(1000)]

    response = client.post("/v1/records/batch", json={"records": items})

    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    assert client.get("/v1/records/crm/c-999").json()["raw"] == items[999]


def test_the_last_version_of_a_repeated_key_in_a_batch_wins(client: TestClient) -> None:
    first = {"source": "crm", "source_record_id": "c-1", **person(job_title="Intern")}
    last = {"source": "crm", "source_record_id": "c-1", **person(job_title="Director")}

    response = client.post("/v1/records/batch", json={"records": [first, last]})

    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["created", "created"]
    assert client.get("/v1/records/crm/c-1").json()["raw"] == last


def test_resending_a_batch_changes_nothing(client: TestClient) -> None:
    items = [{"source": "crm", "source_record_id": "c-1", **person(email="giulia.bianchi@gmail.com")},
             {"source": "web", "source_record_id": "w-1", **person(email="giulia.bianchi@gmail.com")}]
    client.post("/v1/records/batch", json={"records": items})
    seq = last_seq(client)

    again = client.post("/v1/records/batch", json={"records": items})

    assert [r["status"] for r in again.json()["results"]] == ["unchanged", "unchanged"]
    assert again.json()["changes"] == []
    assert last_seq(client) == seq


def test_a_batch_reports_the_profile_changes_it_caused_in_the_feed(client: TestClient) -> None:
    items = [{"source": "crm", "source_record_id": "c-1", **person(email="giulia.bianchi@gmail.com")},
             {"source": "web", "source_record_id": "w-1", **person(email="giulia.bianchi@gmail.com")},
             {"source": "sms", "source_record_id": "s-1", **person("Marco", "Verdi", phone="+393471234567")}]

    response = client.post("/v1/records/batch", json={"records": items})

    results = response.json()["results"]
    assert results[0]["profile_id"] == results[1]["profile_id"] != results[2]["profile_id"]
    reported = [(c["type"], c["profile_id"]) for c in response.json()["changes"]]
    assert sorted(reported) == sorted([("profile.created", results[0]["profile_id"]),
                                       ("profile.created", results[2]["profile_id"])])
    assert sorted((e["type"], e["profile_id"]) for e in feed(client)) == sorted(reported)


@pytest.mark.parametrize("body", [
    {"items": []},
    {"records": {"source": "crm"}},
    {"records": [], "extra": 1},
    [],
])
def test_a_batch_body_that_is_not_a_records_list_is_refused(client: TestClient, body: object) -> None:
    response = client.post("/v1/records/batch", json=body)

    assert response.status_code == 422
    assert response.json()["error"]["details"]
