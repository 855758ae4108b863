"""Concurrent changes to one component end as a serial run would (ARCHITECTURE.md, "Storage").

Two apps on one PostgreSQL database stand for two API processes; each request runs in a thread
of its own, released together by a barrier. A lost update shows as two profiles where there
should be one, or as a golden profile that misses a record pointing at it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings
from tests.api.helpers import (
    golden_mismatches,
    person,
    profile,
    profile_id_of,
    put,
    resolved_partition,
    stored_partition,
)

ROUNDS = 5


def clients_on(url: str, count: int, monkeypatch: pytest.MonkeyPatch,
               start_client: Callable[..., TestClient]) -> list[TestClient]:
    """Start ``count`` apps on the database ``url``; return a client of each."""
    for name in list(os.environ):
        if name.startswith("THROUGHLINE_"):
            monkeypatch.delenv(name)
    return [start_client(create_app(Settings(database_url=url))) for _ in range(count)]


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads of their own, released together; return their responses in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def bridge(n: int) -> dict[str, Any]:
    """Return a record carrying the email of ``crm/a{n}`` and the phone of ``sms/b{n}``."""
    return person(email=f"giulia.bianchi.{n}@gmail.com", phone=f"+39 347 123 45{n:02d}")


def two_profiles_to_bridge(client: TestClient, n: int) -> None:
    """Store two records of a common name that stay apart until a bridge joins them."""
    a = put(client, f"crm/a{n}", person(email=f"giulia.bianchi.{n}@gmail.com"))["profile_id"]
    b = put(client, f"sms/b{n}", person(phone=f"+39 347 123 45{n:02d}"))["profile_id"]
    assert a != b, "precondition: a shared common name alone does not merge"


def assert_bridged(client: TestClient, n: int) -> None:
    """Assert the four records of round ``n`` are one profile whose golden profile lists all four."""
    keys = [f"crm/a{n}", f"sms/b{n}", f"web/x{n}", f"web/y{n}"]
    (profile_id,) = {profile_id_of(client, key) for key in keys}
    golden = profile(client, profile_id)
    assert sorted(f"{e['source']}/{e['source_record_id']}" for e in golden["timeline"]) == sorted(keys)


@pytest.mark.postgres
def test_concurrent_upserts_bridging_the_same_two_profiles_end_in_one_profile(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch, start_client: Callable[..., TestClient]) -> None:
    first, second = clients_on(postgres_url, 2, monkeypatch, start_client)

    for n in range(ROUNDS):
        two_profiles_to_bridge(first, n)
        responses = at_once(partial(first.put, f"/v1/records/web/x{n}", json=bridge(n)),
                            partial(second.put, f"/v1/records/web/y{n}", json=bridge(n)))
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        assert_bridged(first, n)

    assert stored_partition(postgres_url) == resolved_partition(postgres_url)
    assert golden_mismatches(postgres_url) == []


@pytest.mark.postgres
def test_concurrent_upserts_of_one_new_record_store_it_once(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch, start_client: Callable[..., TestClient]) -> None:
    first, second = clients_on(postgres_url, 2, monkeypatch, start_client)

    for n in range(ROUNDS):
        key = {"source": "crm", "source_record_id": f"c{n}"}
        bodies = [{**key, **person(email=f"giulia.{n}@gmail.com", job_title=title)} for title in ("Buyer", "Seller")]
        responses = at_once(partial(first.put, f"/v1/records/crm/c{n}", json=bodies[0]),
                            partial(second.put, f"/v1/records/crm/c{n}", json=bodies[1]))
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        assert sorted(r.json()["status"] for r in responses) == ["created", "updated"]
        stored = first.get(f"/v1/records/crm/c{n}").json()
        assert stored["raw"] in bodies
        assert profile(first, stored["profile_id"])["job_title"] == stored["raw"]["job_title"]

    assert golden_mismatches(postgres_url) == []


def test_concurrent_upserts_in_one_sqlite_process_end_in_one_complete_profile(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch, start_client: Callable[..., TestClient]) -> None:
    # service/ingest.py promises that SQLite serializes concurrent changes ("SQLite takes its write lock
    # at BEGIN"), and one SQLite process serves requests from a thread pool: the same guarantee applies.
    (client,) = clients_on(sqlite_url, 1, monkeypatch, start_client)

    for n in range(ROUNDS):
        two_profiles_to_bridge(client, n)
        responses = at_once(partial(client.put, f"/v1/records/web/x{n}", json=bridge(n)),
                            partial(client.put, f"/v1/records/web/y{n}", json=bridge(n)))
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        assert_bridged(client, n)

    assert golden_mismatches(sqlite_url) == []
