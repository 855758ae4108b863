"""Never a 500 for bad input: odd characters in paths, queries and bodies get a 4xx in the error shape.

A NUL character is valid JSON and a valid URL escape, but PostgreSQL text cannot hold it: every
place a request value reaches a query must either clean it, refuse it, or not find it.

The bad-input corpus (invalid JSON, wrong types, huge strings, control characters and NUL bytes in
identifiers, deep nesting, duplicate keys, ...) is answered with a 4xx whose message says what is
wrong, and leaves every table as it was. Text that is odd but valid (right-to-left marks, combining
characters, emoji, SQL- or script-looking strings) is stored exactly as sent: it is data, never code.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import database_cells, person, put, ref

NUL = "\x00"

NUL_REQUESTS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("read a record", "GET", "/v1/records/crm/a%00b", {}),
    ("erase a record", "DELETE", "/v1/records/crm/a%00b", {}),
    ("read a profile", "GET", "/v1/profiles/p%00x", {}),
    ("explain a profile", "GET", "/v1/profiles/p%00x/explain", {}),
    ("erase a profile", "DELETE", "/v1/profiles/p%00x", {}),
    ("look up an email", "GET", "/v1/profiles", {"params": {"email": f"giulia{NUL}@gmail.com"}}),
    ("look up a phone", "GET", "/v1/profiles", {"params": {"phone": f"+39 347{NUL} 123 4567"}}),
    ("look up a linkedin url", "GET", "/v1/profiles", {"params": {"linkedin": f"linkedin.com/in/giu{NUL}lia"}}),
    ("look up an instagram handle", "GET", "/v1/profiles", {"params": {"instagram": f"giu{NUL}lia"}}),
    ("look up an external id", "GET", "/v1/profiles", {"params": {"external_id": f"crm_id:C{NUL}42"}}),
    ("look up a name at a company", "GET", "/v1/profiles",
     {"params": {"name": f"Giulia Bian{NUL}chi", "company": f"Nov{NUL}ora"}}),
    ("link with a NUL in the reason", "POST", "/v1/links",
     {"json": {"kind": "must", "a": ref("crm/a"), "b": ref("sms/b"), "reason": f"checked{NUL}"}}),
    ("link to a record id with a NUL", "POST", "/v1/links",
     {"json": {"kind": "must", "a": ref("crm/a"), "b": ref(f"sms/b{NUL}"), "reason": "checked"}}),
    ("upsert with NULs in every text field", "PUT", "/v1/records/crm/n-1",
     {"json": {"first_name": f"Giu{NUL}lia", "last_name": f"Bian{NUL}chi", "email": f"g{NUL}b@gmail.com",
               "phone": f"+39 347{NUL} 123 4567", "company": f"Nov{NUL}ora", "job_title": f"Bu{NUL}yer",
               "linkedin_url": f"linkedin.com/in/g{NUL}b", "instagram_handle": f"g{NUL}b",
               "external_ids": {f"crm{NUL}id": f"C{NUL}42"}, "address": {"city": f"Mi{NUL}lano"},
               "attributes": {f"k{NUL}": f"v{NUL}"}}}),
]


@pytest.mark.parametrize(("label", "method", "path", "options"), NUL_REQUESTS,
                         ids=[label for label, _, _, _ in NUL_REQUESTS])
def test_a_nul_character_anywhere_in_a_request_never_answers_500(client: TestClient, label: str, method: str,
                                                                 path: str, options: dict[str, Any]) -> None:
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    put(client, "sms/b", person("Marco", "Verdi", phone="+393471234567"))

    response = client.request(method, path, **options)

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "details"}


# JSON may escape a lone surrogate ("\\ud800"), which UTF-8 cannot hold: an answer echoing it as sent failed.
LONE_SURROGATES: list[tuple[str, str, str, bytes]] = [
    ("a body naming another source", "PUT", "/v1/records/crm/1", b'{"source": "\\ud800"}'),
    ("a body naming another record id", "PUT", "/v1/records/crm/1", b'{"source_record_id": "\\udc00"}'),
    ("a batch item's source", "POST", "/v1/records/batch",
     b'{"records": [{"source": "\\ud800", "source_record_id": "1"}]}'),
    ("a batch item's record id", "POST", "/v1/records/batch",
     b'{"records": [{"source": "crm", "source_record_id": "\\udc00", "email": 42}]}'),
    ("a member named twice", "POST", "/v1/normalize", b'{"\\ud800": 1, "\\ud800": 2}'),
    ("an attribute named twice", "PUT", "/v1/records/crm/1", b'{"attributes": {"\\ud800": 1, "\\ud800": 2}}'),
]


@pytest.mark.parametrize(("label", "method", "path", "body"), LONE_SURROGATES,
                         ids=[label for label, _, _, _ in LONE_SURROGATES])
def test_a_lone_surrogate_echoed_in_an_answer_is_replaced_not_a_500(client: TestClient, label: str, method: str,
                                                                    path: str, body: bytes) -> None:
    response = client.request(method, path, content=body, headers={"content-type": "application/json"})

    assert response.status_code < 500, response.text
    echoed = response.json()
    if response.status_code >= 400:
        assert set(echoed["error"]) == {"code", "message", "details"}
    else:
        assert echoed["results"][0]["status"] == "rejected"
    assert "?" in response.text  # the surrogate, replaced where it is echoed


def test_a_record_with_nul_characters_reads_back_as_sent(client: TestClient) -> None:
    sent = {"source": "crm", "source_record_id": "n-1", "first_name": f"Giu{NUL}lia",
            "attributes": {f"k{NUL}": f"v{NUL}"}}

    put(client, "crm/n-1", sent)

    assert client.get("/v1/records/crm/n-1").json()["raw"] == sent


# --- the bad-input corpus: refused with a clear 4xx, nothing written --------------------------------

def _deep(levels: int) -> str:
    return '{"attributes": ' + '{"a": ' * levels + "1" + "}" * levels + "}"


JSON = {"content-type": "application/json"}
RECORD = "/v1/records/crm/h-1"
BAD_INPUT: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("invalid JSON", "PUT", RECORD, {"content": '{"first_name": "Giulia",}', "headers": JSON}, 400, "malformed_json"),
    ("truncated JSON", "PUT", RECORD, {"content": '{"first_name": "Giu', "headers": JSON}, 400, "malformed_json"),
    ("not UTF-8", "PUT", RECORD, {"content": b'{"first_name": "\xff\xfe"}', "headers": JSON}, 400, ""),
    ("not an object", "PUT", RECORD, {"json": ["Giulia"]}, 422, "validation_error"),
    ("a number for a string", "PUT", RECORD, {"json": {"email": 5}}, 422, "validation_error"),
    ("a string for a list", "PUT", RECORD, {"json": {"emails": "giulia@example.com"}}, 422, "validation_error"),
    ("an object for a name", "PUT", RECORD, {"json": {"first_name": {"$ne": ""}}}, 422, "validation_error"),
    ("an unknown field", "PUT", RECORD, {"json": {"password": "hunter2"}}, 422, "validation_error"),
    ("a huge string", "PUT", RECORD, {"json": {"first_name": "G" * 100_000}}, 422, "validation_error"),
    ("too many emails", "PUT", RECORD, {"json": {"emails": [f"g{i}@example.com" for i in range(21)]}}, 422,
     "validation_error"),
    ("huge attributes", "PUT", RECORD, {"json": {"attributes": {"blob": "x" * 20_000}}}, 422, "validation_error"),
    ("a body over the record limit", "PUT", RECORD, {"json": {"attributes": {"blob": "x" * 300_000}}}, 413,
     "payload_too_large"),
    ("control characters in a record id", "PUT", "/v1/records/crm/a%01b%1b[2J", {"json": {}}, 422,
     "validation_error"),
    ("a NUL byte in a source", "PUT", "/v1/records/cr%00m/h-1", {"json": {}}, 422, "invalid_request"),
    ("a lone surrogate", "PUT", RECORD, {"content": '{"first_name": "\\ud800"}', "headers": JSON}, 422,
     "validation_error"),
    ("NaN", "PUT", RECORD, {"content": '{"attributes": {"score": NaN}}', "headers": JSON}, 422, "validation_error"),
    ("attributes nested 9 deep", "PUT", RECORD, {"content": _deep(9), "headers": JSON}, 422, "validation_error"),
    ("JSON nested 20,000 deep", "PUT", RECORD, {"content": _deep(20_000), "headers": JSON}, 400, "bad_request"),
    ("a duplicate key", "PUT", RECORD, {"content": '{"email": "a@example.com", "email": "b@example.com"}',
                                        "headers": JSON}, 422, "invalid_request"),
    ("a duplicate nested key", "PUT", RECORD, {"content": '{"address": {"city": "Milano", "city": "Roma"}}',
                                               "headers": JSON}, 422, "invalid_request"),
    ("a duplicate key in one batch item", "POST", "/v1/records/batch", {"content": (
        '{"records": [{"source": "crm", "source_record_id": "b-1", "email": "a@example.com"},'
        ' {"source": "crm", "source_record_id": "b-2", "phone": "+393471234567", "phone": "+393479999999"}]}'),
        "headers": JSON}, 422, "invalid_request"),
    ("a batch over 1,000 records", "POST", "/v1/records/batch",
     {"json": {"records": [{"source": "crm", "source_record_id": str(i)} for i in range(1001)]}}, 422,
     "invalid_request"),
    ("a batch that is not JSON", "POST", "/v1/records/batch", {"content": '{"records": [', "headers": JSON}, 400,
     "malformed_json"),
    ("a link with a wrong kind", "POST", "/v1/links",
     {"json": {"kind": "maybe", "a": ref("crm/a"), "b": ref("sms/b"), "reason": "x"}}, 422, "validation_error"),
    ("a form body", "PUT", RECORD, {"data": {"first_name": "Giulia"}}, 415, "unsupported_media_type"),
    ("a page too large", "GET", "/v1/changes", {"params": {"limit": 1_000_000}}, 422, "validation_error"),
]


@pytest.mark.parametrize(("label", "method", "path", "options", "status", "code"), BAD_INPUT,
                         ids=[case[0] for case in BAD_INPUT])
def test_bad_input_answers_a_clear_4xx_and_writes_nothing(client: TestClient, database_url: str, label: str,
                                                         method: str, path: str, options: dict[str, Any],
                                                         status: int, code: str) -> None:
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    put(client, "sms/b", person("Marco", "Verdi", phone="+393471234567"))
    before = sorted(database_cells(database_url))

    response = client.request(method, path, **options)

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    assert all(detail["value"] is None or len(detail["value"]) <= 200 for detail in error["details"])
    assert sorted(database_cells(database_url)) == before


ODD_BUT_VALID = [
    ("right-to-left marks", {"first_name": "\u202eailuiG\u202c", "last_name": "שלום", "company": "\u200fشركة"}),
    ("combining characters", {"first_name": "Giu\u0301lia\u0308", "last_name": "Z\u0336a\u0336"}),
    ("emoji and joiners", {"first_name": "Giulia 👩\u200d💻", "attributes": {"mood": "🎉🇮🇹"}}),
    ("SQL-looking text", {"first_name": "Robert'); DROP TABLE records;--", "company": "1' OR '1'='1"}),
    ("script-looking text", {"first_name": "<script>alert(1)</script>", "job_title": "\"><img src=x onerror=1>"}),
    ("a URL to fetch", {"linkedin_url": "http://169.254.169.254/latest/meta-data/", "attributes": {
        "avatar": "http://127.0.0.1:22/"}}),
]


@pytest.mark.parametrize(("label", "fields"), ODD_BUT_VALID, ids=[case[0] for case in ODD_BUT_VALID])
def test_odd_but_valid_text_is_stored_exactly_and_answered_as_json(client: TestClient, label: str,
                                                                   fields: dict[str, Any]) -> None:
    sent = {"source": "crm", "source_record_id": "odd-1", **fields}

    response = client.put("/v1/records/crm/odd-1", json=sent)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert client.get("/v1/records/crm/odd-1").json()["raw"] == sent
    assert client.get("/v1/changes").status_code == 200  # the tables are all still there


def test_a_batch_item_whose_key_is_not_text_is_rejected_on_its_own(client: TestClient) -> None:
    response = client.post("/v1/records/batch", json={"records": [
        {"source": 7, "source_record_id": ["x"]}, {"source": "crm", "source_record_id": "ok-1"}]})

    assert response.status_code == 200, response.text
    rejected, created = response.json()["results"]
    assert (rejected["status"], rejected["source"], rejected["source_record_id"]) == ("rejected", None, None)
    assert created["status"] == "created"


@pytest.mark.parametrize(("method", "path", "field", "value"), [
    ("PUT", "/v1/records/crm/Jos%E9", "path.source_record_id", "Jos%E9"),
    ("GET", "/v1/records/crm/Jos%E8", "path.source_record_id", "Jos%E8"),
    ("DELETE", "/v1/records/cr%FFm/1", "path.source", "cr%FFm"),
    ("GET", "/v1/profiles/p%ED%A0%80", "path.profile_id", "p%ED%A0%80"),  # an escaped lone surrogate
    ("GET", "/v1/profiles?email=giulia%E9%40gmail.com", "query.email", "giulia%E9@gmail.com"),
    ("GET", "/v1/profiles?email=giulia%40gmail.com&na%E9me=x", "query", "na%E9me"),  # the name is the bad part
])
def test_escapes_that_are_not_utf8_are_refused_not_read_as_replacement_characters(
        client: TestClient, method: str, path: str, field: str, value: str) -> None:
    # Read with replacement characters, crm/Jos%E9 and crm/Jos%E8 were one record, each overwriting the other.
    response = client.request(method, path, json=person() if method == "PUT" else None)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert [(d["field"], d["value"]) for d in response.json()["error"]["details"]] == [(field, value)]
    assert client.get("/v1/records/crm/Jos%EF%BF%BD").status_code == 404  # nothing stored as Jos\ufffd


def test_a_utf8_escape_in_a_record_id_round_trips(client: TestClient) -> None:
    put(client, "crm/Jos%C3%A9", person())

    assert client.get("/v1/records/crm/Jos%C3%A9").json()["source_record_id"] == "José"
