"""Never a 500 for bad input: odd characters in paths, queries and bodies get a 4xx in the error shape.

A NUL character is valid JSON and a valid URL escape, but PostgreSQL text cannot hold it: every
place a request value reaches a query must either clean it, refuse it, or not find it.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import person, put, ref

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


def test_a_record_with_nul_characters_reads_back_as_sent(client: TestClient) -> None:
    sent = {"source": "crm", "source_record_id": "n-1", "first_name": f"Giu{NUL}lia",
            "attributes": {f"k{NUL}": f"v{NUL}"}}

    put(client, "crm/n-1", sent)

    assert client.get("/v1/records/crm/n-1").json()["raw"] == sent
