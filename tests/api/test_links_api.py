"""POST, GET and DELETE /v1/links: a steward's must-link or cannot-link, applied at once and kept.

A link is an override of the resolver (ARCHITECTURE.md, "Clustering"): the partition stored after
any later change must equal a full resolution of the live records with the stored links
(property 2), and every live golden profile must list exactly the records that point at it.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    feed,
    golden_mismatches,
    last_seq,
    link,
    person,
    profile,
    profile_id_of,
    put,
    ref,
    resolved_partition,
    stored_partition,
)


def unrelated_pair(client: TestClient) -> tuple[str, str]:
    """Store two records with nothing in common; return their profile ids."""
    a = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    b = put(client, "sms/b", person("Marco", "Verdi", phone="+393471234567"))["profile_id"]
    assert a != b
    return a, b


def shared_mailbox_pair(client: TestClient) -> str:
    """Store two records the resolver merges (same name, same email); return their profile id."""
    a: str = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    b: str = put(client, "web/x", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    assert a == b
    return a


def test_a_must_link_joins_two_profiles_at_once(client: TestClient, database_url: str) -> None:
    a, b = unrelated_pair(client)
    seq = last_seq(client)

    response = client.post("/v1/links", json={"kind": "must", "a": ref("crm/a"), "b": ref("sms/b"),
                                               "reason": "same person, confirmed by phone call"})

    assert response.status_code == 201
    body = response.json()
    assert body["link"]["kind"] == "must"
    assert (body["link"]["a"], body["link"]["b"]) == (ref("crm/a"), ref("sms/b"))
    assert body["link"]["reason"] == "same person, confirmed by phone call"
    assert body["changes"] == [{"type": "profile.merged", "profile_id": a, "absorbed": [b]}]
    assert body["in_effect"] is True
    assert profile_id_of(client, "crm/a") == profile_id_of(client, "sms/b") == a
    assert profile(client, a)["record_count"] == 2
    assert [(e["type"], e["payload"].get("absorbed")) for e in feed(client, after=seq)] == [("profile.merged", [b])]
    assert stored_partition(database_url) == resolved_partition(database_url)


def test_a_must_link_that_stronger_facts_refuse_is_kept_but_said_not_in_effect(client: TestClient) -> None:
    put(client, "crm/a", person(linkedin_url="https://www.linkedin.com/in/giulia-bianchi-42"))
    put(client, "web/b", person(linkedin_url="https://www.linkedin.com/in/giulia-bianchi-77"))

    created = link(client, "must", "crm/a", "web/b")
    repeated = client.post("/v1/links", json={"kind": "must", "a": ref("crm/a"), "b": ref("web/b"),
                                              "reason": "checked again"}).json()

    assert created["in_effect"] is False
    assert created["changes"] == []
    assert repeated["in_effect"] is False
    assert profile_id_of(client, "crm/a") != profile_id_of(client, "web/b")
    refused = client.get(f"/v1/profiles/{profile_id_of(client, 'crm/a')}/explain").json()["refused"]
    assert any("linkedin" in edge["reason"] for edge in refused)


def test_a_cannot_link_splits_a_profile_at_once(client: TestClient, database_url: str) -> None:
    together = shared_mailbox_pair(client)
    seq = last_seq(client)

    body = link(client, "cannot", "crm/a", "web/x", reason="two sisters sharing a mailbox")

    (split,) = body["changes"]
    assert split["type"] == "profile.split"
    assert split["profile_id"] == together
    assert len(split["new_ids"]) == 1
    assert {profile_id_of(client, "crm/a"), profile_id_of(client, "web/x")} == {together, split["new_ids"][0]}
    assert [(e["type"], e["payload"].get("new_ids")) for e in feed(client, after=seq)] == [
        ("profile.split", split["new_ids"])]
    assert stored_partition(database_url) == resolved_partition(database_url)


def test_a_must_link_is_kept_when_a_linked_record_is_updated(client: TestClient, database_url: str) -> None:
    unrelated_pair(client)
    link(client, "must", "crm/a", "sms/b")

    put(client, "sms/b", person("Marco", "Verdi", phone="+393471234567", job_title="Buyer"))

    assert profile_id_of(client, "crm/a") == profile_id_of(client, "sms/b")
    assert profile(client, profile_id_of(client, "crm/a"))["record_count"] == 2
    assert golden_mismatches(database_url) == []


def test_a_must_link_is_kept_when_a_linked_record_meets_a_namesake(client: TestClient, database_url: str) -> None:
    put(client, "shop/c", person("Marco", "Verdi", email="marco.verdi@gmail.com"))
    unrelated_pair(client)
    link(client, "must", "crm/a", "sms/b")

    put(client, "sms/b", person("Marco", "Verdi", phone="+393471234567", job_title="Buyer"))

    assert stored_partition(database_url) == resolved_partition(database_url)
    assert golden_mismatches(database_url) == []


def test_a_chain_of_must_links_makes_one_profile_listing_every_record(client: TestClient, database_url: str) -> None:
    unrelated_pair(client)
    put(client, "shop/c", person("Lena", "Krause", email="lena.krause@web.de"))
    link(client, "must", "crm/a", "sms/b")

    link(client, "must", "sms/b", "shop/c")

    (profile_id,) = {profile_id_of(client, key) for key in ("crm/a", "sms/b", "shop/c")}
    assert profile(client, profile_id)["record_count"] == 3
    assert golden_mismatches(database_url) == []


def test_a_cannot_link_is_kept_through_later_upserts_of_both_records(client: TestClient, database_url: str) -> None:
    shared_mailbox_pair(client)
    link(client, "cannot", "crm/a", "web/x")

    put(client, "crm/a", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))
    put(client, "web/x", person(email="giulia.bianchi@gmail.com", phone="+393471234567", job_title="CEO"))
    put(client, "app/y", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))

    assert profile_id_of(client, "crm/a") != profile_id_of(client, "web/x")
    assert stored_partition(database_url) == resolved_partition(database_url)
    assert golden_mismatches(database_url) == []


def test_links_are_listed_in_the_order_they_were_made(client: TestClient) -> None:
    unrelated_pair(client)
    put(client, "web/x", person(email="giulia.bianchi@gmail.com"))
    first = link(client, "must", "crm/a", "sms/b", reason="phone call")["link"]
    second = link(client, "cannot", "web/x", "crm/a", reason="sisters")["link"]

    listed = client.get("/v1/links")
    page = client.get("/v1/links", params={"after": first["id"], "limit": 1})

    assert listed.status_code == 200
    assert listed.json() == [first, second]
    assert [(k["kind"], k["a"], k["b"], k["reason"]) for k in listed.json()] == [
        ("must", ref("crm/a"), ref("sms/b"), "phone call"), ("cannot", ref("web/x"), ref("crm/a"), "sisters")]
    assert page.json() == [second]


def test_deleting_a_must_link_separates_the_records_again(client: TestClient, database_url: str) -> None:
    a, _ = unrelated_pair(client)
    made = link(client, "must", "crm/a", "sms/b")["link"]

    response = client.delete(f"/v1/links/{made['id']}")

    assert response.status_code == 200
    (split,) = response.json()["changes"]
    assert (split["type"], split["profile_id"]) == ("profile.split", a)
    assert profile_id_of(client, "crm/a") != profile_id_of(client, "sms/b")
    assert client.get("/v1/links").json() == []
    assert stored_partition(database_url) == resolved_partition(database_url)


def test_deleting_a_cannot_link_lets_the_records_merge_again(client: TestClient, database_url: str) -> None:
    shared_mailbox_pair(client)
    made = link(client, "cannot", "crm/a", "web/x")["link"]

    response = client.delete(f"/v1/links/{made['id']}")

    assert response.status_code == 200
    assert [c["type"] for c in response.json()["changes"]] == ["profile.merged"]
    assert profile_id_of(client, "crm/a") == profile_id_of(client, "web/x")
    assert stored_partition(database_url) == resolved_partition(database_url)


def test_deleting_an_unknown_link_answers_404(client: TestClient) -> None:
    unrelated_pair(client)
    made = link(client, "must", "crm/a", "sms/b")["link"]
    client.delete(f"/v1/links/{made['id']}")

    response = client.delete(f"/v1/links/{made['id']}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_deleted_links_id_is_never_given_to_another_link(client: TestClient) -> None:
    unrelated_pair(client)
    put(client, "web/c", person("Marco", "Verdi", email="marco.verdi@gmail.com"))
    deleted = link(client, "must", "crm/a", "sms/b")["link"]
    assert client.delete(f"/v1/links/{deleted['id']}").status_code == 200

    later = link(client, "cannot", "crm/a", "web/c")["link"]
    retried = client.delete(f"/v1/links/{deleted['id']}")  # a steward's retry of the first deletion

    assert later["id"] != deleted["id"]
    assert retried.status_code == 404
    assert [item["id"] for item in client.get("/v1/links").json()] == [later["id"]]


@pytest.mark.parametrize(("a", "b"), [("crm/a", "crm/nobody"), ("nowhere/x", "crm/a")])
def test_a_link_to_an_unknown_record_answers_404_and_stores_nothing(client: TestClient, a: str, b: str) -> None:
    put(client, "crm/a", person())
    seq = last_seq(client)

    response = client.post("/v1/links", json={"kind": "must", "a": ref(a), "b": ref(b), "reason": "r"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get("/v1/links").json() == []
    assert last_seq(client) == seq


@pytest.mark.parametrize("kind", ["must", "cannot"])
def test_a_link_from_a_record_to_itself_is_refused(client: TestClient, kind: str) -> None:
    put(client, "crm/a", person())

    response = client.post("/v1/links", json={"kind": kind, "a": ref("crm/a"), "b": ref("crm/a"), "reason": "r"})

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["b"]
    assert client.get("/v1/links").json() == []


INVALID_LINKS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown kind", {"kind": "maybe"}, "kind"),
    ("no reason", {"reason": None}, "reason"),
    ("empty reason", {"reason": ""}, "reason"),
    ("reason too long", {"reason": "x" * 501}, "reason"),
    ("record without id", {"b": {"source": "sms"}}, "b.source_record_id"),
    ("record with an unknown field", {"a": {**ref("crm/a"), "extra": 1}}, "a.extra"),
    ("unknown field", {"weight": 3}, "weight"),
]


@pytest.mark.parametrize(("label", "change", "field"), INVALID_LINKS, ids=[label for label, _, _ in INVALID_LINKS])
def test_an_invalid_link_is_refused_naming_the_field(client: TestClient, label: str, change: dict[str, Any],
                                                     field: str) -> None:
    unrelated_pair(client)
    body = {"kind": "must", "a": ref("crm/a"), "b": ref("sms/b"), "reason": "r", **change}

    response = client.post("/v1/links", json={k: v for k, v in body.items() if v is not None})

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    assert client.get("/v1/links").json() == []


def test_a_chain_of_must_links_survives_an_update_of_its_middle_record(client: TestClient, database_url: str) -> None:
    unrelated_pair(client)
    put(client, "shop/c", person("Lena", "Krause", email="lena.krause@web.de"))
    link(client, "must", "crm/a", "sms/b")
    link(client, "must", "sms/b", "shop/c")

    put(client, "sms/b", person("Marco", "Verdi", phone="+393471234567", job_title="Buyer"))

    assert len({profile_id_of(client, key) for key in ("crm/a", "sms/b", "shop/c")}) == 1
    assert stored_partition(database_url) == resolved_partition(database_url)
    assert golden_mismatches(database_url) == []


@pytest.mark.parametrize(("a", "b"), [("crm/a", "sms/b"), ("sms/b", "crm/a")])
def test_repeating_a_link_returns_the_stored_one_and_changes_nothing(client: TestClient, a: str, b: str) -> None:
    unrelated_pair(client)
    first = link(client, "must", "crm/a", "sms/b", reason="phone call")["link"]
    seq = last_seq(client)

    again = client.post("/v1/links", json={"kind": "must", "a": ref(a), "b": ref(b), "reason": "said twice"})

    assert again.status_code == 200
    assert again.json() == {"link": first, "changes": [], "in_effect": True}
    assert client.get("/v1/links").json() == [first]
    assert last_seq(client) == seq


@pytest.mark.parametrize(("first", "second"), [("must", "cannot"), ("cannot", "must")])
def test_a_link_contradicting_a_stored_one_is_a_conflict(client: TestClient, first: str, second: str) -> None:
    shared_mailbox_pair(client)
    stored = link(client, first, "crm/a", "web/x")["link"]
    seq = last_seq(client)

    response = client.post("/v1/links", json={"kind": second, "a": ref("web/x"), "b": ref("crm/a"), "reason": "r"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert str(stored["id"]) in response.json()["error"]["message"]
    assert client.get("/v1/links").json() == [stored]
    assert last_seq(client) == seq
