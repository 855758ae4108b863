"""The store's batched reads run on the driver's cursor; they answer what SQLAlchemy's own execution does.

Checked on SQLite and PostgreSQL, over lists longer than one batch (``store._CHUNK``), with values
no record holds, and for the one read whose columns need SQLAlchemy's conversion (datetimes).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Select, text
from sqlalchemy import select as select_columns
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from resolvers import RecordIn
from resolvers.config import ResolverConfig
from service import ingest, store
from service.db import make_engine
from service.tables import ProfileRow

RECORDS = 1_200  # more than two batches of store._CHUNK


def _through_sqlalchemy(session: Session, statement: Select[Any], values: list[Any]) -> list[tuple[Any, ...]]:
    connection = session.connection()
    return [tuple(row) for start in range(0, len(values), store._CHUNK)
            for row in connection.execute(statement, {"values": sorted(set(values))[start:start + store._CHUNK]})]


def test_batched_reads_answer_as_sqlalchemy_does(database_url: str) -> None:
    engine = make_engine(database_url)
    config = ResolverConfig()
    raws = [{"source": "crm", "source_record_id": f"r{n}", "email": f"person.{n}@example-mail.org",
             "phone": f"+39 347 {n:07d}", "full_name": f"Anna Rossi{n % 7}"} for n in range(RECORDS)]
    prepared = [ingest.prepare(raw, RecordIn.model_validate(raw), config=config) for raw in raws]
    ingest.in_transaction(engine, lambda session: ingest.apply_change(session, upserts=prepared, config=config,
                                                                      with_rows=False))
    with Session(engine) as session:
        ids = sorted(store.holders(session, keys=[f"email:person.{n}@example-mail.org" for n in range(RECORDS)]))
        assert len(ids) == RECORDS
        keys = [key for keys_of in store.keys_of_records(session, ids=ids).values() for key in keys_of]
        assert len(keys) >= 2 * RECORDS
        unheld_key, unknown_id = "email:nobody@example-mail.org", -1
        asked: dict[str, list[Any]] = {name: [*keys, unheld_key] for name in ("_KEY_COUNTS", "_HOLDERS", "_HOLDINGS")}
        asked |= {name: [*ids, unknown_id] for name in ("_KEYS_OF", "_MATCH_FORMS", "_REFS", "_STORED", "_ORIGINS")}
        profiles = sorted({ref.profile_id for ref in store.stored_refs_by_ids(session, ids=ids)})
        asked |= {"_PROFILE_MEMBERS": profiles, "_PROFILE_AGES": profiles, "_PROFILE_IDS": [*ids, unknown_id]}
        statements = {name: getattr(store, name) for name in asked}
        # A statement with a constant besides the list (a status).
        statements["_ACTIVE_GOLDENS"] = store._ACTIVE_GOLDENS
        asked["_ACTIVE_GOLDENS"] = [*profiles, "p_unknown"]
        for name, statement in statements.items():
            values = asked[name]
            fast = sorted(tuple(row) for row in store._rows(session, statement, values))
            assert fast == sorted(_through_sqlalchemy(session, statement, values)), name
            assert fast, name
        ages = list(store._rows(session, store._PROFILE_AGES, profiles))
        assert all(isinstance(created, datetime) for _, created in ages)
        live = session.connection().execute(select_columns(store._PROFILES.c.id, store._PROFILES.c.golden).where(
            store._PROFILES.c.status == "active")).all()
        assert store.active_goldens(session, profile_ids=profiles) == dict(live)
        crowded, held_by = Counter(keys).most_common(1)[0]
        assert held_by > 5
        first = store.first_holders(session, key=crowded, limit=5)
        assert first == sorted(store.holders(session, keys=[crowded]))[:5]
        assert store.profile_ids_of(session, ids=ids) == set(profiles)
        # Stored by one change each into its own profile: each record's first profile is the one it is in.
        assert store.origin_profiles(session, ids=ids) == {ref.id: ref.profile_id
                                                           for ref in store.stored_refs_by_ids(session, ids=ids)}
    engine.dispose()


def test_a_failing_batched_read_raises_as_sqlalchemy_would_without_the_values(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        session.connection().execute(text("DROP TABLE record_keys"))
        with pytest.raises(DBAPIError) as raised:
            store.holders(session, keys=["email:giulia.secret@example-mail.org"])
        session.rollback()
    engine.dispose()
    assert "record_keys" in str(raised.value)
    assert "giulia.secret" not in str(raised.value)


def test_reads_by_record_key_find_every_key_of_several_sources_through_the_index(database_url: str) -> None:
    engine = make_engine(database_url)
    config = ResolverConfig()
    raws = [{"source": source, "source_record_id": f"{source}-{n}", "email": f"{source}.{n}@example-mail.org"}
            for source in ("crm", "shop", "store") for n in range(40)]
    prepared = [ingest.prepare(raw, RecordIn.model_validate(raw), config=config) for raw in raws]
    ingest.in_transaction(engine, lambda session: ingest.apply_change(session, upserts=prepared, config=config,
                                                                      with_rows=False))
    # Keys from every source, interleaved, plus keys no record holds (an unknown source among them).
    wanted = [(source, f"{source}-{n}") for n in range(0, 40, 3) for source in ("store", "crm", "shop")]
    asked = [*wanted, ("crm", "crm-999"), ("newsletter", "crm-1")]
    with Session(engine) as session:
        rows = store.records_by_keys(session, keys=asked)
        assert sorted(rows) == sorted(wanted)
        assert all((row.source, row.source_record_id) == key for key, row in rows.items())
        assert sorted((ref.source, ref.source_record_id) for ref in store.stored_refs(session, keys=asked)) == sorted(
            wanted)
        if engine.dialect.name == "sqlite":
            # SQLite scans the whole index for a row-value IN list of several pairs; the filter by
            # source must search it instead.
            statement = select_columns(store._RECORDS.c.id).where(store._key_filter(
                store._RECORDS.c.source, store._RECORDS.c.source_record_id, asked))
            compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
            plan = " | ".join(row[-1] for row in session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}"))
            assert "SCAN" not in plan, plan
            assert "SEARCH records" in plan, plan
    engine.dispose()


def test_postgresql_runs_a_batched_read_as_one_prepared_statement_whatever_the_list_length(postgres_url: str) -> None:
    # A change runs about twenty of these reads, over lists of every length: were each length its
    # own text, PostgreSQL would parse and plan every one of them anew.
    engine = make_engine(postgres_url)
    with Session(engine) as session:
        for length in range(1, 9):
            store.key_counts(session, keys=[f"email:person.{n}@example-mail.org" for n in range(length)])
        prepared = session.connection().exec_driver_sql(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ("%FROM record_keys%",)).all()
    engine.dispose()
    assert len(prepared) == 1, prepared
    assert "ANY" in prepared[0][0]


def test_a_batched_read_matches_whole_values_only_whatever_the_column_length(database_url: str) -> None:
    # Profile ids are at most 40 characters; a longer value asked for must not match by its first 40.
    engine = make_engine(database_url)
    longest = "p_" + "a" * 38
    now = datetime(2026, 1, 1)
    with Session(engine) as session:
        session.add(ProfileRow(id=longest, status="active", golden='{"profile_id": "longest"}', created_at=now,
                               updated_at=now))
        session.commit()
        assert store.active_goldens(session, profile_ids=[longest + "zz", "p_unknown"]) == {}
        assert store.active_goldens(session, profile_ids=[longest]) == {longest: '{"profile_id": "longest"}'}
    engine.dispose()
