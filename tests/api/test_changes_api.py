"""GET /v1/changes: an ordered, resumable feed of profile.created, .updated, .merged, .split and .erased."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import events, feed, last_seq, link, person, put, ref


def several_changes(client: TestClient) -> None:
    """Cause a handful of feed entries: creations, an update, a merge."""
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    put(client, "sms/b", person(phone="347 123 4567", country="IT"))
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com", job_title="Buyer"))
    put(client, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))
    put(client, "shop/c", person("Marco", "Verdi", email="marco.verdi@gmail.com"))


def test_the_feed_is_ordered_by_increasing_sequence_numbers(client: TestClient) -> None:
    several_changes(client)

    response = client.get("/v1/changes")

    assert response.status_code == 200
    page = response.json()
    seqs = [entry["seq"] for entry in page["changes"]]
    assert len(seqs) == 5
    assert seqs == sorted(set(seqs))
    assert seqs[0] > 0
    assert page["next_after"] == seqs[-1]


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_reading_page_by_page_with_next_after_gives_the_whole_feed_once(client: TestClient, limit: int) -> None:
    several_changes(client)
    whole = client.get("/v1/changes", params={"limit": 1000}).json()["changes"]

    pages, after = [], 0
    while True:
        page = client.get("/v1/changes", params={"after": after, "limit": limit}).json()
        assert len(page["changes"]) <= limit
        if not page["changes"]:
            assert page["next_after"] == after
            break
        pages.extend(page["changes"])
        after = page["next_after"]

    assert pages == whole


def test_a_consumer_resumes_after_the_last_sequence_it_read(client: TestClient) -> None:
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    seen = client.get("/v1/changes").json()

    created = put(client, "shop/c", person("Marco", "Verdi", email="marco.verdi@gmail.com"))
    resumed = client.get("/v1/changes", params={"after": seen["next_after"]}).json()

    assert events(resumed["changes"]) == [("profile.created", created["profile_id"])]
    assert resumed["changes"][0]["seq"] > seen["next_after"]


def test_a_new_record_announces_its_profile_as_created(client: TestClient) -> None:
    created = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))

    (entry,) = feed(client)

    assert (entry["type"], entry["profile_id"]) == ("profile.created", created["profile_id"])
    assert entry["payload"] == {"profile_id": created["profile_id"], "record_count": 1}
    assert entry["created_at"].endswith("Z")


def test_new_content_in_a_profile_announces_it_as_updated(client: TestClient) -> None:
    created = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    seq = last_seq(client)

    put(client, "crm/a", person(email="giulia.bianchi@gmail.com", company="Novora"))
    put(client, "web/x", person(email="giulia.bianchi@gmail.com"))

    entries = feed(client, after=seq)
    assert events(entries) == [("profile.updated", created["profile_id"])] * 2
    assert [e["payload"]["record_count"] for e in entries] == [1, 2]


def test_identical_content_adds_nothing_to_the_feed(client: TestClient) -> None:
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    seq = last_seq(client)

    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))

    assert feed(client, after=seq) == []


def test_a_merge_names_the_survivor_and_the_absorbed_ids(client: TestClient) -> None:
    survivor = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    absorbed = put(client, "sms/b", person(phone="347 123 4567", country="IT"))["profile_id"]
    seq = last_seq(client)

    put(client, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))

    (entry,) = feed(client, after=seq)
    assert (entry["type"], entry["profile_id"]) == ("profile.merged", survivor)
    assert entry["payload"] == {"profile_id": survivor, "record_count": 3, "absorbed": [absorbed]}


def test_a_split_names_the_old_id_and_the_new_ids(client: TestClient) -> None:
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    put(client, "sms/b", person(phone="347 123 4567", country="IT"))
    kept = put(client, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))["profile_id"]
    seq = last_seq(client)

    # The bridge loses its phone: the phone's record leaves the profile.
    put(client, "web/bridge", person(email="giulia.bianchi@gmail.com"))

    (entry,) = feed(client, after=seq)
    assert (entry["type"], entry["profile_id"]) == ("profile.split", kept)
    new_id = client.get("/v1/records/sms/b").json()["profile_id"]
    assert entry["payload"] == {"profile_id": kept, "record_count": 2, "new_ids": [new_id]}
    assert client.get(f"/v1/profiles/{new_id}").json()["record_count"] == 1


def test_a_profile_made_of_records_leaving_two_profiles_is_announced_once(client: TestClient) -> None:
    for key in ("crm/a1", "crm/a2", "sms/x"):
        put(client, key, person(email="giulia.bianchi@gmail.com"))
    for key in ("crm/d1", "crm/d2", "sms/y"):
        put(client, key, person("Marco", "Rossi", email="marco.rossi@gmail.com"))
    giulia, marco = (client.get(f"/v1/records/{key}").json()["profile_id"] for key in ("crm/a1", "crm/d1"))
    seq = last_seq(client)

    # x and y become one other person, who shares none of their old identifiers (helper-7).
    response = client.post("/v1/records/batch", json={"records": [
        {**person("Anna", "Verdi", phone="+39 348 111 2222"), "source": "sms", "source_record_id": record_id}
        for record_id in ("x", "y")]})

    assert response.status_code == 200
    anna = client.get("/v1/records/sms/x").json()["profile_id"]
    assert anna == client.get("/v1/records/sms/y").json()["profile_id"]
    assert anna not in (giulia, marco)
    announced = [(e["type"], e["profile_id"], e["payload"].get("new_ids")) for e in feed(client, after=seq)]
    splits = [entry for entry in announced if entry[0] == "profile.split"]
    assert len(splits) == 1  # by one of the profiles the records left, not by both
    assert splits[0][1] in (giulia, marco)
    assert splits[0][2] == [anna]
    assert ("profile.updated", ({giulia, marco} - {splits[0][1]}).pop(), None) in announced


def test_erasing_the_last_record_of_a_profile_announces_it_as_erased(client: TestClient) -> None:
    erased = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    seq = last_seq(client)

    client.delete("/v1/records/crm/a")

    (entry,) = feed(client, after=seq)
    assert (entry["type"], entry["profile_id"]) == ("profile.erased", erased)


def test_erasing_a_person_announces_their_profile_as_erased(client: TestClient) -> None:
    put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))
    erased = put(client, "web/x", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    seq = last_seq(client)

    client.delete(f"/v1/profiles/{erased}")

    assert events(feed(client, after=seq)) == [("profile.erased", erased)]


def test_every_write_reports_the_same_events_it_appends_to_the_feed(client: TestClient) -> None:
    writes: list[Callable[[], Any]] = [
        partial(client.put, "/v1/records/crm/a", json=person(email="giulia.bianchi@gmail.com")),
        partial(client.put, "/v1/records/sms/b", json=person(phone="347 123 4567", country="IT")),
        partial(client.put, "/v1/records/web/bridge", json=person(email="giulia.bianchi@gmail.com",
                                                                  phone="+393471234567")),
        partial(client.post, "/v1/links", json={"kind": "cannot", "a": ref("crm/a"), "b": ref("web/bridge"),
                                                "reason": "r"}),
        partial(client.delete, "/v1/records/sms/b"),
    ]
    for write in writes:
        seq = last_seq(client)
        response = write()
        assert response.status_code in (200, 201), response.text
        reported = [(c["type"], c["profile_id"]) for c in response.json()["changes"]]
        assert events(feed(client, after=seq)) == reported


def test_link_changes_reach_the_feed(client: TestClient) -> None:
    a = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    b = put(client, "sms/b", person("Marco", "Verdi", phone="+393471234567"))["profile_id"]
    seq = last_seq(client)

    made = link(client, "must", "crm/a", "sms/b")["link"]
    client.delete(f"/v1/links/{made['id']}")

    entries = feed(client, after=seq)
    assert [e["type"] for e in entries] == ["profile.merged", "profile.split"]
    assert entries[0]["payload"]["absorbed"] == [b]
    assert entries[1]["profile_id"] == a


@pytest.mark.parametrize("query", [{"after": -1}, {"limit": 0}, {"limit": 1001}, {"after": "x"}])
def test_an_invalid_feed_position_or_limit_is_refused(client: TestClient, query: dict[str, int | str]) -> None:
    response = client.get("/v1/changes", params=query)

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == f"query.{next(iter(query))}"


def test_an_empty_feed_answers_an_empty_page(client: TestClient) -> None:
    response = client.get("/v1/changes", params={"after": 42})

    assert response.json() == {"changes": [], "next_after": 42}
