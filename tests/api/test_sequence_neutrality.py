"""Sequence neutrality through HTTP (ARCHITECTURE.md, properties 2 and 8).

The partition of records into profiles (read from the records table, grouped by profile_id)
depends only on the set of live records: not on arrival order, not on single vs batch upserts,
not on the versions and records that came and went before, and it equals the batch CLI's.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text

from resolvers import RecordIn, normalize_record
from resolvers.config import ResolverConfig
from resolvers.engine import resolve
from resolvers.parallel import normalize_rows, resolve_partition
from service.db import make_engine, migrate
from service.main import create_app
from service.settings import Settings
from tests.api.helpers import Partition, put, stored_partition
from tests.conftest import POSTGRES_ENV

CONTACTS_2K = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "contacts-2k" / "records.ndjson.gz"


@pytest.fixture
def new_database(database_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Return a factory of further fresh, migrated databases on the backend of ``database_url``."""
    if database_url.startswith("sqlite"):
        yield lambda: _migrated(f"sqlite:///{tmp_path / f'extra-{uuid.uuid4().hex}.db'}")
        return
    server_url = os.environ[POSTGRES_ENV]
    admin = make_engine(server_url)
    schemas: list[str] = []

    def new() -> str:
        schemas.append(f"test_{uuid.uuid4().hex}")
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schemas[-1]}"'))
        search_path = {"options": f"-csearch_path={schemas[-1]}"}
        return _migrated(make_url(server_url).update_query_dict(search_path).render_as_string(hide_password=False))

    try:
        yield new
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrated(url: str) -> str:
    migrate(url)
    return url


def record(key: str, **fields: Any) -> dict[str, Any]:
    """Return a full record body for ``source/id``."""
    source, record_id = key.split("/", 1)
    return {"source": source, "source_record_id": record_id, **fields}


def small_world() -> list[dict[str, Any]]:
    """Return records that merge, bridge, share a household phone, a role mailbox and a rare name."""
    return [
        record("crm/a", first_name="Giulia", last_name="Bianchi", email="giulia.bianchi@gmail.com"),
        record("sms/b", first_name="Giulia", last_name="Bianchi", phone="347 123 4567", country="IT"),
        record("web/bridge", first_name="Giulia", last_name="Bianchi", email="Giulia.Bianchi@googlemail.com",
               phone="+39 347 123 4567"),
        record("store/h1", first_name="Marco", last_name="Verdi", phone="+39 02 1234 5678"),
        record("store/h2", first_name="Maria", last_name="Verdi", phone="+39 02 1234 5678"),
        record("shop/m1", first_name="Maria", last_name="Verdi", email="maria.verdi@libero.it",
               phone="+39 02 1234 5678"),
        record("crm/r1", first_name="Ann", last_name="Lee", email="info@acme-tools.com", company="Acme Tools"),
        record("crm/r2", first_name="Bob", last_name="Stone", email="info@acme-tools.com", company="Acme Tools"),
        record("linkedin/l1", full_name="Bob Stone", linkedin_url="https://www.linkedin.com/in/bob-stone-77/",
               company="Acme Tools Inc."),
        record("web/l2", first_name="Robert", last_name="Stone", linkedin_url="linkedin.com/in/Bob-Stone-77?trk=x"),
        record("crm/o1", first_name="Ottavina", last_name="Quercioli", date_of_birth="1971-08-19"),
        record("web/o2", full_name="Ottavina Quercioli", date_of_birth="1971-08-19", email="ottaq@fastmail.com"),
        record("shop/x1", external_ids={"loyalty": "LC-1"}, first_name="Lena", last_name="Krause"),
        record("app/x2", external_ids={"loyalty": "LC-1"}, email="lena.krause@web.de"),
    ]


def oracle(records: list[dict[str, Any]]) -> Partition:
    """Return the partition a full resolution of ``records`` gives."""
    normalized = [normalize_record(RecordIn.model_validate(r), default_region="US") for r in records]
    return sorted(tuple(sorted(c)) for c in resolve(normalized).clusters)


def upsert_one_by_one(client: TestClient, records: list[dict[str, Any]]) -> None:
    for body in records:
        put(client, f"{body['source']}/{body['source_record_id']}", body)


def test_arrival_order_and_batching_do_not_change_the_partition(
        make_client: Callable[..., TestClient], database_url: str, new_database: Callable[[], str]) -> None:
    world = small_world()
    shuffled = world[:]
    random.Random(7).shuffle(shuffled)
    urls = [database_url, new_database(), new_database(), new_database()]

    upsert_one_by_one(make_client(), world)
    upsert_one_by_one(make_client(database_url=urls[1]), list(reversed(world)))
    upsert_one_by_one(make_client(database_url=urls[2]), shuffled)
    batch = make_client(database_url=urls[3]).post("/v1/records/batch", json={"records": shuffled})
    assert batch.status_code == 200

    partitions = [stored_partition(url) for url in urls]
    assert partitions == [oracle(world)] * 4
    assert len(partitions[0]) < len(world), "precondition: the world has merges"


def test_history_of_updates_and_erasures_does_not_change_the_partition(
        make_client: Callable[..., TestClient], database_url: str) -> None:
    world = small_world()
    decoys = [record("tmp/d1", first_name="Giulia", last_name="Bianchi", email="giulia.bianchi@gmail.com",
                     phone="+39 02 1234 5678"),
              record("tmp/d2", first_name="Bob", last_name="Stone", email="giulia.bianchi@gmail.com",
                     external_ids={"loyalty": "LC-1"})]
    earlier = [{**r, "email": "giulia.bianchi@gmail.com", "phone": "+39 347 123 4567"} for r in world[3:8]]
    client = make_client()

    upsert_one_by_one(client, decoys + earlier)
    upsert_one_by_one(client, world)
    for body in decoys:
        assert client.delete(f"/v1/records/{body['source']}/{body['source_record_id']}").status_code == 200

    assert stored_partition(database_url) == oracle(world)


@pytest.fixture
def three_sqlite_clients(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       start_client: Callable[..., TestClient]) -> list[tuple[str, TestClient]]:
    """Return three clients of apps on three fresh SQLite databases, untouched by THROUGHLINE_* settings."""
    for name in list(os.environ):
        if name.startswith("THROUGHLINE_"):
            monkeypatch.delenv(name)
    urls = [sqlite_url]
    for name in ("second", "third"):
        urls.append(f"sqlite:///{tmp_path / f'{name}.db'}")
        migrate(urls[-1])
    return [(url, start_client(create_app(Settings(database_url=url, import_dir=tmp_path / "spool",
                                                   import_workers=1)))) for url in urls]


@pytest.mark.slow
def test_contacts_2k_sent_one_by_one_in_two_random_orders_or_imported_partitions_like_the_batch_cli(
        three_sqlite_clients: list[tuple[str, TestClient]]) -> None:
    if not CONTACTS_2K.exists():
        pytest.skip(f"the contacts-2k dataset is missing: {CONTACTS_2K}")
    lines = gzip.decompress(CONTACTS_2K.read_bytes()).decode().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    config = ResolverConfig()
    batch = normalize_rows(lines, config=config)
    expected = sorted(tuple(sorted(c)) for c in resolve_partition(batch.matched, config=config, workers=1))

    partitions = []
    for seed, (url, client) in enumerate(three_sqlite_clients[:2], start=1):
        order = records[:]
        random.Random(seed).shuffle(order)
        upsert_one_by_one(client, order)
        partitions.append(stored_partition(url))
    url, client = three_sqlite_clients[2]
    job = client.post("/v1/imports", content=CONTACTS_2K.read_bytes(),
                      headers={"content-type": "application/x-ndjson", "content-encoding": "gzip"}).json()
    for _ in range(600):
        job = client.get(f"/v1/imports/{job['id']}").json()
        if job["state"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    imported = stored_partition(url)

    assert len(records) == len(batch.matched)
    assert partitions[0] == partitions[1]
    assert partitions[0] == expected
    assert job["state"] == "succeeded"
    assert job["counts"]["records_created"] == len(records)
    assert imported == partitions[0]
