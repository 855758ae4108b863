"""Small factories and readers shared by the API tests: upsert through HTTP, read the feed, read the database.

``stored_partition`` is what the service says (records grouped by ``profile_id``);
``resolved_partition`` is the oracle: every stored raw record re-normalized and resolved at once,
with the stored links, as the batch resolver would. ``database_cells`` reads every cell of every
table, so erasure tests can look for a value anywhere it could have been written.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, Table, inspect, select, text

from resolvers import RecordIn, normalize_record
from resolvers.blocking import record_keys
from resolvers.config import ResolverConfig
from resolvers.engine import resolve
from resolvers.features import match_record
from resolvers.records import RecordKey
from service.db import make_engine

Partition = list[tuple[RecordKey, ...]]


def person(first: str = "Giulia", last: str = "Bianchi", **fields: Any) -> dict[str, Any]:
    """Return a record body for a person with these names and other fields."""
    return {"first_name": first, "last_name": last, **fields}


def put(client: TestClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """Upsert the record ``source/id`` and return the response body; fail unless it answers 200."""
    response = client.put(f"/v1/records/{key}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def profile_id_of(client: TestClient, key: str) -> str:
    """Return the profile id the stored record ``source/id`` belongs to."""
    response = client.get(f"/v1/records/{key}")
    assert response.status_code == 200, response.text
    profile_id: str = response.json()["profile_id"]
    return profile_id


def profile(client: TestClient, profile_id: str) -> dict[str, Any]:
    """Return the golden profile of a live id; fail unless it answers 200."""
    response = client.get(f"/v1/profiles/{profile_id}", follow_redirects=False)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def link(client: TestClient, kind: str, a: str, b: str, reason: str = "checked by a steward") -> dict[str, Any]:
    """Create a link between records ``source/id`` ``a`` and ``b``; fail unless it answers 201."""
    response = client.post("/v1/links", json={"kind": kind, "a": ref(a), "b": ref(b), "reason": reason})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def ref(key: str) -> dict[str, str]:
    """Return the JSON reference to the record ``source/id``."""
    source, record_id = key.split("/", 1)
    return {"source": source, "source_record_id": record_id}


def feed(client: TestClient, *, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    """Return every change-feed entry after ``after``, reading page by page."""
    entries: list[dict[str, Any]] = []
    while True:
        response = client.get("/v1/changes", params={"after": after, "limit": limit})
        assert response.status_code == 200, response.text
        page = response.json()
        entries.extend(page["changes"])
        if not page["changes"]:
            return entries
        after = page["next_after"]


def last_seq(client: TestClient) -> int:
    """Return the sequence number of the newest change-feed entry (0 when the feed is empty)."""
    entries = feed(client)
    return int(entries[-1]["seq"]) if entries else 0


def events(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Return ``(type, profile_id)`` of each change, in order."""
    return [(entry["type"], entry["profile_id"]) for entry in entries]


@contextmanager
def open_engine(url: str) -> Iterator[Engine]:
    """Open an engine on the test database and dispose of it afterwards."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def database_cells(url: str) -> list[tuple[str, str, str]]:
    """Return ``(table, column, str(value))`` for every non-null cell of every table of the database."""
    cells: list[tuple[str, str, str]] = []
    with open_engine(url) as engine, engine.connect() as connection:
        for name in sorted(inspect(connection).get_table_names()):
            table = Table(name, MetaData(), autoload_with=connection)
            for row in connection.execute(select(table)):
                cells.extend((name, column, str(value)) for column, value in row._mapping.items() if value is not None)
    return cells


def cells_containing(url: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """Return ``(table, column, needle)`` for every cell that contains a needle (case-insensitive)."""
    lowered = [needle.lower() for needle in needles]
    return [(table, column, needle) for table, column, value in database_cells(url)
            for needle in lowered if needle in value.lower()]


def stored_partition(url: str) -> Partition:
    """Return the stored records grouped by their ``profile_id``, sorted."""
    groups: dict[str, list[RecordKey]] = defaultdict(list)
    with open_engine(url) as engine, engine.connect() as connection:
        for source, record_id, profile_id in connection.execute(
                text("SELECT source, source_record_id, profile_id FROM records")):
            groups[profile_id].append((source, record_id))
    return sorted(tuple(sorted(keys)) for keys in groups.values())


def resolved_partition(url: str, *, config: ResolverConfig | None = None) -> Partition:
    """Return the partition a full resolution of the stored records and links gives."""
    config = config or ResolverConfig()
    with open_engine(url) as engine, engine.connect() as connection:
        raws = [json.loads(raw) for (raw,) in connection.execute(text("SELECT raw FROM records"))]
        links = list(connection.execute(text("SELECT kind, a_source, a_record_id, b_source, b_record_id FROM links")))
    records = [normalize_record(RecordIn.model_validate(raw), default_region=config.default_region) for raw in raws]
    pairs: dict[str, list[tuple[RecordKey, RecordKey]]] = {"must": [], "cannot": []}
    for kind, a_source, a_id, b_source, b_id in links:
        pairs[kind].append(((a_source, a_id), (b_source, b_id)))
    resolution = resolve(records, config=config, must_link=pairs["must"], cannot_link=pairs["cannot"])
    return sorted(tuple(sorted(cluster)) for cluster in resolution.clusters)


def golden_mismatches(url: str) -> list[str]:
    """Describe every live profile whose golden record list differs from the records that point at it."""
    with open_engine(url) as engine, engine.connect() as connection:
        members: dict[str, set[str]] = defaultdict(set)
        for source, record_id, profile_id in connection.execute(
                text("SELECT source, source_record_id, profile_id FROM records")):
            members[profile_id].add(f"{source}/{record_id}")
        profiles = list(connection.execute(text("SELECT id, status, golden FROM profiles")))
    problems = []
    for profile_id, status, golden in profiles:
        if status != "active":
            if members.get(profile_id):
                problems.append(f"{profile_id} is {status} but records {sorted(members[profile_id])} point at it")
            continue
        timeline = {f"{e['source']}/{e['source_record_id']}" for e in json.loads(golden)["timeline"]}
        if timeline != members.get(profile_id, set()):
            problems.append(f"{profile_id}: golden lists {sorted(timeline)}, "
                            f"records pointing at it are {sorted(members.get(profile_id, set()))}")
    return problems


def index_keys(url: str, *, config: ResolverConfig | None = None) -> tuple[set[str], set[str]]:
    """Return the candidate keys stored in ``record_keys`` and those the stored records should have."""
    config = config or ResolverConfig()
    with open_engine(url) as engine, engine.connect() as connection:
        stored = {key for (key,) in connection.execute(text("SELECT key FROM record_keys"))}
        raws = [json.loads(raw) for (raw,) in connection.execute(text("SELECT raw FROM records"))]
    expected: set[str] = set()
    for raw in raws:
        normalized = normalize_record(RecordIn.model_validate(raw), default_region=config.default_region)
        expected.update(record_keys(match_record(normalized, index=-1,
                                                 multi_valued=config.multi_valued_namespaces)))
    return stored, expected
