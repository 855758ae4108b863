"""The audit log: links, erasures and key changes, with actor key id, time and request id; no personal values."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import cells_containing, link, person, profile_id_of, put
from tests.conftest import issue_key


def _entries(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params={"limit": 1000})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def _own_key_id(client: TestClient) -> str:
    return client.headers["Authorization"].removeprefix("Bearer ").split("_")[1]


def test_links_and_erasures_are_audited_with_actor_and_request_id(client: TestClient, database_url: str) -> None:
    put(client, "crm/giulia.bianchi@example.com", person(email="giulia.bianchi@example.com", phone="+393471234567"))
    put(client, "sms/s-1", person(phone="+393471234567"))
    put(client, "shop/s-2", person("Marco", "Verdi", email="marco.verdi@example.com"))
    created = link(client, "cannot", "crm/giulia.bianchi@example.com", "shop/s-2")
    removed = client.delete(f"/v1/links/{created['link']['id']}")
    profile_id = profile_id_of(client, "shop/s-2")
    erased_record = client.delete("/v1/records/crm/giulia.bianchi@example.com")
    erased_profile = client.delete(f"/v1/profiles/{profile_id}")

    entries = [e for e in _entries(client) if not e["action"].startswith("key.")]

    assert [e["action"] for e in entries] == ["link.created", "link.deleted", "record.erased", "profile.erased"]
    assert {e["actor"] for e in entries} == {_own_key_id(client)}
    assert [e["request_id"] for e in entries[1:]] == [r.headers["x-request-id"]
                                                     for r in (removed, erased_record, erased_profile)]
    assert entries[0]["target"] == str(created["link"]["id"])
    assert entries[0]["details"] == {"kind": "cannot"}
    assert entries[3]["target"] == profile_id
    assert entries[3]["details"] == {"records": 1}
    assert all(e["at"].endswith("Z") for e in entries)
    personal = ["giulia", "bianchi", "marco.verdi", "3471234567"]
    assert [cell for cell in cells_containing(database_url, personal) if cell[0] == "audit_log"] == []


def test_key_changes_are_audited(client: TestClient) -> None:
    created = client.post("/v1/keys", json={"scopes": ["read"], "name": "bi"}).json()
    client.delete(f"/v1/keys/{created['details']['id']}")

    entries = [e for e in _entries(client) if e["target"] == created["details"]["id"]]

    assert [(e["action"], e["actor"]) for e in entries] == [("key.created", _own_key_id(client)),
                                                           ("key.revoked", _own_key_id(client))]
    assert entries[0]["details"] == {"scopes": ["read"]}
    assert created["key"] not in str(entries)


def test_a_refused_change_leaves_no_audit_entry(client: TestClient) -> None:
    before = len(_entries(client))

    assert client.delete("/v1/records/crm/missing").status_code == 404
    assert client.delete("/v1/links/999").status_code == 404

    assert len(_entries(client)) == before


def test_the_audit_log_pages_and_needs_admin(client: TestClient) -> None:
    for name in ("a", "b", "c"):
        client.post("/v1/keys", json={"scopes": ["read"], "name": name})
    reader = {"Authorization": f"Bearer {issue_key(client.app, 'read', 'write')}"}

    first = client.get("/v1/audit", params={"limit": 2}).json()
    rest = client.get("/v1/audit", params={"after": first["next_after"]}).json()

    assert len(first["entries"]) == 2
    assert [e["id"] for e in rest["entries"]] > [e["id"] for e in first["entries"]]
    assert len(first["entries"]) + len(rest["entries"]) == len(_entries(client))
    assert client.get("/v1/audit", headers=reader).status_code == 403


def test_an_export_is_audited_without_its_content(client: TestClient) -> None:
    put(client, "crm/1", person(email="giulia.bianchi@example.com"))

    response = client.get("/v1/exports/assignments")

    assert response.status_code == 200
    (entry,) = [e for e in _entries(client) if e["action"] == "export"]
    assert (entry["actor"], entry["target"]) == (_own_key_id(client), "assignments")
    assert entry["request_id"] == response.headers["x-request-id"]
    assert "giulia" not in str(entry)
