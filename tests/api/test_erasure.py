"""Erasure is real (ARCHITECTURE.md, property 7): after DELETE of a record or a person, no value of it is left.

The check reads every cell of every table of the database (raw, normalized and match forms, the
key index, golden profiles, links, the change feed) and looks for each value the erased records
carried. Each test first checks that the scan does find those values before the erasure, so that
a scan that finds nothing proves something.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from tests.api.helpers import (
    cells_containing,
    events,
    feed,
    golden_mismatches,
    index_keys,
    last_seq,
    link,
    open_engine,
    person,
    profile,
    profile_id_of,
    put,
    resolved_partition,
    stored_partition,
)


def ottavina(**fields: Any) -> dict[str, Any]:
    """Return a record of a person whose every value is distinctive enough to be searched for."""
    return person(
        "Ottavina", "Quercioli-Zanardelli",
        email="ottavina.q.zanardelli@fastmail.com",
        phone="+39 331 987 6543",
        linkedin_url="https://www.linkedin.com/in/ottavina-quercioli-zx9/",
        instagram_handle="@ottavina_qz",
        company="Vetreria Quercioli S.r.l.",
        job_title="Maestra vetraia",
        address={"street": "17 Glassblowers Lane", "city": "Henley-on-Thames", "postal_code": "RG9 1LX",
                 "country": "GB"},
        date_of_birth="1971-08-19",
        external_ids={"loyalty": "LQ-558812"},
        attributes={"note": "allergic-to-kiwi-4471"},
        observed_at="2024-04-04T04:04:04Z",
        **fields,
    )


# Values of ottavina(), as sent and as normalized (digits of the phone, folded postal code, ...).
OTTAVINA_VALUES = ["Ottavina", "Quercioli", "Zanardelli", "ottavina.q.zanardelli", "3319876543", "ottavina_qz",
                   "ottavina-quercioli-zx9", "Vetreria", "vetraia", "Glassblowers", "Henley", "RG9 1LX", "rg91lx",
                   "1971-08-19", "LQ-558812", "kiwi-4471", "erase-me-7731"]


def someone_else(client: TestClient) -> str:
    """Store an unrelated person who must survive every erasure untouched; return their profile id."""
    profile_id: str = put(client, "crm/marco", person("Marco", "Verdi", email="marco.verdi@gmail.com",
                                                      phone="+39 347 765 4321"))["profile_id"]
    return profile_id


def assert_nothing_left(client: TestClient, url: str, values: list[str]) -> None:
    """Assert no table cell, no feed entry and no index key holds any of ``values``."""
    assert cells_containing(url, values) == []
    feed_text = json.dumps(feed(client), ensure_ascii=False).lower()
    assert [value for value in values if value.lower() in feed_text] == []
    stored, expected = index_keys(url)
    assert stored == expected


def test_deleting_a_record_leaves_none_of_its_values_anywhere(client: TestClient, database_url: str) -> None:
    other = someone_else(client)
    put(client, "crm/erase-me-7731", ottavina())
    assert {needle for _, _, needle in cells_containing(database_url, OTTAVINA_VALUES)} == {
        v.lower() for v in OTTAVINA_VALUES}, "precondition: the scan finds every value while it is stored"

    response = client.delete("/v1/records/crm/erase-me-7731")

    assert response.status_code == 200
    assert response.json()["erased"] == ["crm/erase-me-7731"]
    assert_nothing_left(client, database_url, OTTAVINA_VALUES)
    assert profile(client, other)["emails"][0]["value"] == "marcoverdi@gmail.com"
    assert cells_containing(database_url, ["marco.verdi"]) != []


def test_erasing_a_person_leaves_none_of_their_records_values_anywhere(client: TestClient,
                                                                      database_url: str) -> None:
    other = someone_else(client)
    erased = put(client, "crm/erase-me-7731", ottavina())["profile_id"]
    put(client, "web/w-1", person("Ottavina", "Quercioli-Zanardelli", email="ottavina.q.zanardelli@fastmail.com",
                                  attributes={"coupon": "SPRING-9913"}))
    put(client, "sms/s-1", person("Ottavina", "Quercioli-Zanardelli", phone="+39 331 987 6543",
                                  email="o.quercioli@libero.it"))
    assert profile(client, erased)["record_count"] == 3
    values = [*OTTAVINA_VALUES, "SPRING-9913", "o.quercioli@libero.it", "w-1", "s-1"]

    response = client.delete(f"/v1/profiles/{erased}")

    assert response.status_code == 200
    assert response.json()["erased"] == ["crm/erase-me-7731", "sms/s-1", "web/w-1"]
    assert events(feed(client))[-1] == ("profile.erased", erased)
    assert_nothing_left(client, database_url, values)
    assert profile(client, other)["record_count"] == 1


def test_erasing_a_record_erases_its_links_and_their_reasons(client: TestClient, database_url: str) -> None:
    someone_else(client)
    put(client, "crm/erase-me-7731", ottavina())
    link(client, "must", "crm/erase-me-7731", "crm/marco", reason="Ottavina Quercioli said Marco is her alias")

    client.delete("/v1/records/crm/erase-me-7731")

    assert client.get("/v1/links").json() == []
    assert_nothing_left(client, database_url, [*OTTAVINA_VALUES, "her alias"])
    assert stored_partition(database_url) == [(("crm", "marco"),)]


def test_erasing_the_record_that_bridged_two_profiles_splits_them_again(client: TestClient,
                                                                        database_url: str) -> None:
    a = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    b = put(client, "sms/b", person(phone="347 123 4567", country="IT"))["profile_id"]
    assert a != b, "precondition: a shared common name alone does not merge"
    bridge = put(client, "web/bridge-5150", person(email="giulia.bianchi@gmail.com", phone="+393471234567",
                                                   job_title="Glass Artisan", attributes={"ref": "bridge-only-8821"}))
    assert bridge["changes"] == [{"type": "profile.merged", "profile_id": a, "absorbed": [b]}]
    seq = last_seq(client)

    response = client.delete("/v1/records/web/bridge-5150")

    assert response.status_code == 200
    (split,) = response.json()["changes"]
    assert (split["type"], split["profile_id"]) == ("profile.split", a)
    assert profile_id_of(client, "crm/a") == a
    assert [profile_id_of(client, "sms/b")] == split["new_ids"] == [b]  # b's id names b's person again
    whole = feed(client)
    assert [e["type"] for e in whole if e["seq"] <= seq][-1] == "profile.merged"
    assert [(e["type"], e["payload"].get("new_ids")) for e in whole if e["seq"] > seq] == [
        ("profile.split", split["new_ids"])]
    assert [profile(client, p)["record_count"] for p in (a, split["new_ids"][0])] == [1, 1]
    assert_nothing_left(client, database_url, ["bridge-5150", "Glass Artisan", "bridge-only-8821"])
    assert stored_partition(database_url) == resolved_partition(database_url)


def test_a_merged_away_id_taken_back_by_a_split_answers_its_own_person_through_later_erasures(
        client: TestClient, database_url: str) -> None:
    a = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    b = put(client, "sms/b", person(phone="347 123 4567", country="IT"))["profile_id"]
    put(client, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))
    assert client.get(f"/v1/profiles/{b}", follow_redirects=False).status_code == 308
    client.delete("/v1/records/web/bridge")

    client.delete(f"/v1/profiles/{a}")

    response = client.get(f"/v1/profiles/{b}", follow_redirects=False)
    assert response.status_code == 200
    golden = response.json()
    assert (golden["profile_id"], golden["record_count"], golden["phones"][0]["value"]) == (b, 1, "+393471234567")
    assert client.get(f"/v1/profiles/{a}").status_code == 410
    assert stored_partition(database_url) == resolved_partition(database_url)


def test_two_people_of_one_size_split_apart_again_each_under_their_own_id(client: TestClient) -> None:
    # b's records sort before a's, so the old tie rule (the smallest record key) gave a's id to b.
    a = put(client, "web/a1", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    put(client, "web/a2", person(email="giulia.bianchi@gmail.com"))
    b = put(client, "crm/b1", person(phone="347 123 4567", country="IT"))["profile_id"]
    put(client, "crm/b2", person(phone="347 123 4567", country="IT"))
    merged = put(client, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))
    assert merged["changes"] == [{"type": "profile.merged", "profile_id": a, "absorbed": [b]}]

    response = client.delete("/v1/records/web/bridge")

    assert response.json()["changes"] == [{"type": "profile.split", "profile_id": a, "new_ids": [b]}]
    assert [profile_id_of(client, key) for key in ("web/a1", "web/a2", "crm/b1", "crm/b2")] == [a, a, b, b]


def test_an_id_merged_into_one_taken_back_later_points_at_it_again(client: TestClient) -> None:
    linkedin = "https://www.linkedin.com/in/giulia-bianchi-vetro"
    b = put(client, "crm/b1", person(phone="347 123 4567", country="IT"))["profile_id"]
    put(client, "crm/b2", person(phone="347 123 4567", country="IT"))
    c = put(client, "sms/c", person(linkedin_url=linkedin))["profile_id"]
    put(client, "web/bc", person(phone="+393471234567", linkedin_url=linkedin))
    a = put(client, "web/a1", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    for n in range(2, 6):
        put(client, f"web/a{n}", person(email="giulia.bianchi@gmail.com"))
    assert profile_id_of(client, "sms/c") == b, "precondition: c merged into b"
    put(client, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))
    assert client.get(f"/v1/profiles/{c}", follow_redirects=False).headers["location"] == f"/v1/profiles/{a}"

    client.delete("/v1/records/web/bridge")

    assert [profile_id_of(client, key) for key in ("web/a1", "crm/b1", "sms/c")] == [a, b, b]
    response = client.get(f"/v1/profiles/{c}", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (308, f"/v1/profiles/{b}")


def test_erasing_one_record_of_a_profile_removes_its_values_from_the_golden_profile(client: TestClient,
                                                                                    database_url: str) -> None:
    kept = put(client, "crm/a", person(email="giulia.bianchi@gmail.com", observed_at="2024-01-01T00:00:00Z"))
    put(client, "web/erase-me-7731", person(email="giulia.bianchi@gmail.com", phone="+39 331 987 6543",
                                            company="Vetreria Quercioli S.r.l.", observed_at="2024-06-01T00:00:00Z"))

    response = client.delete("/v1/records/web/erase-me-7731")

    assert response.json()["changes"] == [{"type": "profile.updated", "profile_id": kept["profile_id"]}]
    golden = profile(client, kept["profile_id"])
    assert (golden["record_count"], golden["phones"], golden["company"]) == (1, [], None)
    assert golden["last_seen"] == "2024-01-01T00:00:00Z"
    assert_nothing_left(client, database_url, ["3319876543", "Vetreria", "erase-me-7731"])
    assert golden_mismatches(database_url) == []


def test_a_merged_away_id_of_an_erased_person_answers_410(client: TestClient) -> None:
    survivor = put(client, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    absorbed = put(client, "sms/b", person(phone="347 123 4567", country="IT"))["profile_id"]
    put(client, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))

    client.delete(f"/v1/profiles/{absorbed}")

    assert client.get(f"/v1/profiles/{survivor}").status_code == 410
    assert client.get(f"/v1/profiles/{absorbed}", follow_redirects=False).status_code == 410
    assert client.get("/v1/records/sms/b").status_code == 404


def _sqlite_file_bytes(url: str, *, checkpoint: bool = True) -> bytes:
    """Return the bytes of a SQLite database's file and write-ahead log, lowercased.

    ``checkpoint``: copy the log into the file first (emptying the log).
    """
    if checkpoint:
        with open_engine(url) as engine, engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            assert busy == 0
    path = Path(make_url(url).database or "")
    wal = path.with_name(path.name + "-wal")
    return (path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")).lower()


def test_an_erased_record_leaves_no_byte_of_its_values_in_the_sqlite_file(client: TestClient, sqlite_url: str,
                                                                          database_url: str) -> None:
    # Rows are gone at once, but the bytes of a deleted row stay in the file's free space unless
    # SQLite overwrites them (``secure_delete``, which every connection turns on).
    if database_url != sqlite_url:
        pytest.skip("a PostgreSQL server's files are not the service's to read")
    someone_else(client)
    put(client, "crm/erase-me-7731", ottavina())
    values = [value.lower().encode() for value in OTTAVINA_VALUES]
    stored = _sqlite_file_bytes(sqlite_url)
    assert [value for value in values if value not in stored] == [], "precondition: the file holds every value"

    assert client.delete("/v1/records/crm/erase-me-7731").status_code == 200

    erased = _sqlite_file_bytes(sqlite_url)
    assert [value for value in values if value in erased] == []
    assert b"marco.verdi" in erased


@pytest.mark.parametrize("erase", ["record", "profile"])
def test_an_erasure_leaves_no_byte_of_the_erased_values_in_the_sqlite_write_ahead_log(
        client: TestClient, sqlite_url: str, database_url: str, erase: str) -> None:
    # The log keeps every page a transaction wrote until it is checkpointed and written over: the
    # pages that held the record before the erasure would stay there, in the service's own files.
    if database_url != sqlite_url:
        pytest.skip("a PostgreSQL server's files are not the service's to read")
    someone_else(client)
    profile_id = put(client, "crm/erase-me-7731", ottavina())["profile_id"]
    values = [value.lower().encode() for value in OTTAVINA_VALUES]
    assert [v for v in values if v not in _sqlite_file_bytes(sqlite_url, checkpoint=False)] == [], \
        "precondition: the file and its log hold every value"

    path = "/v1/records/crm/erase-me-7731" if erase == "record" else f"/v1/profiles/{profile_id}"
    assert client.delete(path).status_code == 200

    erased = _sqlite_file_bytes(sqlite_url, checkpoint=False)
    assert [value for value in values if value in erased] == []
    assert b"marco.verdi" in erased
