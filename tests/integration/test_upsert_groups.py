"""Group commit of single upserts: what queues together is applied together, as one by one would store it.

Each test holds the engine's write gate while its upserts queue, so that the groups are known:
the first upsert waits for the gate, the others queue behind it, and once the gate is let go the
first takes every upsert queued by then as one group. Checked on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from resolvers import RecordIn, RecordKey
from resolvers.config import ResolverConfig
from service import ingest
from service.db import WRITE_GATE, make_engine, migrate
from service.errors import BusyError
from service.tables import RecordRow
from service.upsert_groups import Applied, UpsertGroups

CONFIG = ResolverConfig()


def _prepared(source: str, record_id: str, **fields: Any) -> ingest.Prepared:
    raw = {"source": source, "source_record_id": record_id, **fields}
    return ingest.prepare(raw, RecordIn.model_validate(raw), config=CONFIG)


def _people(count: int) -> list[ingest.Prepared]:
    """Three records per person, by three channels: an email, a phone, and both (which bridges them)."""
    records = []
    for n in range(count):
        name = {"first_name": "Giulia", "last_name": f"Rossi{chr(97 + n)}"}
        email, phone = f"giulia.rossi{n}@example-mail.org", f"+39 347 12{n:05d}"
        records += [_prepared("newsletter", f"n{n}", email=email, **name),
                    _prepared("sms", f"s{n}", phone=phone, **name),
                    _prepared("shop", f"o{n}", email=email, phone=phone, **name)]
    return records


class _Results:
    """What each thread's upsert returned or raised, by its position."""

    def __init__(self) -> None:
        self.applied: dict[int, Applied] = {}
        self.errors: dict[int, Exception] = {}


@contextmanager
def _queued_behind_the_gate(engine: Engine, groups: UpsertGroups, upserts: list[ingest.Prepared]) -> Iterator[_Results]:
    """Start one thread per upsert while the gate is held, in order; let the gate go once all queue."""
    results = _Results()

    def run(index: int, prepared: ingest.Prepared) -> None:
        try:
            results.applied[index] = groups.upsert(prepared)
        except Exception as error:  # noqa: BLE001 - the test looks at it
            results.errors[index] = error

    threads = []
    with engine.get_execution_options()[WRITE_GATE].held(wait=30):
        for index, prepared in enumerate(upserts):
            thread = threading.Thread(target=run, args=(index, prepared))
            thread.start()
            threads.append(thread)
            # One at a time, so the queue's order is the list's; none is taken while the gate is held.
            _wait_for(lambda index=index: groups.queued == index + 1)
        yield results
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the upserts did not queue"
        time.sleep(0.005)


def _partition(engine: Engine) -> set[frozenset[RecordKey]]:
    profiles: dict[str, set[RecordKey]] = {}
    with Session(engine) as session:
        for row in session.exec(select(RecordRow)):
            profiles.setdefault(row.profile_id, set()).add((row.source, row.source_record_id))
    return {frozenset(keys) for keys in profiles.values()}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _one_by_one(tmp_path: Path, upserts: list[ingest.Prepared]) -> set[frozenset[RecordKey]]:
    """Return the partition of ``upserts`` applied one transaction each, in order, into a fresh database."""
    url = f"sqlite:///{tmp_path / 'one-by-one.db'}"
    migrate(url)
    reference = make_engine(url)
    for prepared in upserts:
        ingest.in_transaction(reference, lambda session, p=prepared: ingest.apply_change(
            session, upserts=[p], config=CONFIG))
    partition = _partition(reference)
    reference.dispose()
    return partition


def test_upserts_that_queue_together_go_as_one_group_and_store_what_one_by_one_would(
        engine: Engine, tmp_path: Path) -> None:
    groups = UpsertGroups(engine=engine, config=CONFIG)
    upserts = _people(4)
    # The bridging records first, so that in the group the email and phone records both join them.
    upserts = upserts[2::3] + upserts[0::3] + upserts[1::3]

    with _queued_behind_the_gate(engine, groups, upserts) as results:
        pass

    assert results.errors == {}
    assert groups.sizes == {len(upserts): 1}
    partition = _partition(engine)
    assert partition == _one_by_one(tmp_path, upserts)
    assert len(partition) == 4
    profile_of = {key: profile for profile in partition for key in profile}
    for index, prepared in enumerate(upserts):
        applied = results.applied[index]
        assert applied.record.key == prepared.key
        assert applied.record.status == "created"
        assert applied.record.row is not None
        assert applied.record.row.profile_id == applied.record.profile_id
        assert prepared.key in profile_of


def test_each_caller_gets_its_own_record_and_only_the_events_about_its_profiles(engine: Engine) -> None:
    groups = UpsertGroups(engine=engine, config=CONFIG)
    giulia = _prepared("shop", "o1", first_name="Giulia", last_name="Rossi", email="giulia.rossi@example-mail.org")
    marco = _prepared("shop", "o2", first_name="Marco", last_name="Bianchi", email="marco.bianchi@example-mail.org")
    for prepared in (giulia, marco):
        groups.upsert(prepared)
    before = _profile_ids(engine)

    joins_giulia = _prepared("newsletter", "n1", first_name="Giulia", last_name="Rossi",
                             email="giulia.rossi@example-mail.org")
    new_person = _prepared("sms", "s1", first_name="Anna", last_name="Verdi", phone="+39 347 765 4321")
    with _queued_behind_the_gate(engine, groups, [joins_giulia, marco, new_person, giulia]) as results:
        pass

    assert results.errors == {}
    # The four together (the two upserts before them went alone).
    assert groups.sizes == {1: 2, 4: 1}
    joined, resent_marco, created, resent_giulia = (results.applied[i] for i in range(4))
    assert joined.record.profile_id == before[giulia.key]
    assert [(e.type, e.profile_id) for e in joined.events] == [("profile.updated", before[giulia.key])]
    # Identical content changes nothing, even when its group changed its own profile.
    assert resent_marco.record.status == "unchanged"
    assert resent_marco.events == []
    assert resent_giulia.record.status == "unchanged"
    assert resent_giulia.events == []
    assert created.record.status == "created"
    assert [(e.type, e.profile_id) for e in created.events] == [("profile.created", created.record.profile_id)]


def _profile_ids(engine: Engine) -> dict[RecordKey, str]:
    with Session(engine) as session:
        return {(row.source, row.source_record_id): row.profile_id for row in session.exec(select(RecordRow))}


def test_two_versions_of_one_record_never_share_a_group_and_the_later_one_wins(engine: Engine) -> None:
    groups = UpsertGroups(engine=engine, config=CONFIG)
    first = _prepared("crm", "c1", first_name="Giulia", last_name="Rossi", email="giulia.rossi@example-mail.org")
    older = _prepared("crm", "c2", first_name="Marco", last_name="Bianchi", email="marco@example-mail.org")
    newer = _prepared("crm", "c2", first_name="Marco", last_name="Bianchi", email="marco.bianchi@example-mail.org")
    other = _prepared("crm", "c3", first_name="Anna", last_name="Verdi", email="anna.verdi@example-mail.org")

    with _queued_behind_the_gate(engine, groups, [first, older, newer, other]) as results:
        pass

    assert results.errors == {}
    # c1, c2 (older) and c3 together, then c2 (newer) in a group of its own.
    assert groups.sizes == {3: 1, 1: 1}
    assert results.applied[1].record.status == "created"
    assert results.applied[2].record.status == "updated"
    with Session(engine) as session:
        stored = session.exec(select(RecordRow).where(RecordRow.source_record_id == "c2")).one()
    assert json.loads(stored.raw)["email"] == "marco.bianchi@example-mail.org"


def test_a_failing_upsert_fails_only_its_own_caller(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    groups = UpsertGroups(engine=engine, config=CONFIG)
    apply_change = ingest.apply_change
    broken: RecordKey = ("crm", "broken")

    def failing(session: Session, **kwargs: Any) -> ingest.ChangeOutcome:
        if any(prepared.key == broken for prepared in kwargs.get("upserts", ())):
            raise RuntimeError("this record cannot be written")
        return apply_change(session, **kwargs)

    monkeypatch.setattr(ingest, "apply_change", failing)
    upserts = [_prepared("crm", name, first_name="Anna", last_name=f"Verdi{name}", email=f"{name}@example-mail.org")
               for name in ("first", "a", "broken", "b")]

    with _queued_behind_the_gate(engine, groups, upserts) as results:
        pass

    assert sorted(results.applied) == [0, 1, 3]
    assert list(results.errors) == [2]
    assert str(results.errors[2]) == "this record cannot be written"
    assert set(_profile_ids(engine)) == {("crm", "first"), ("crm", "a"), ("crm", "b")}


def test_a_group_that_cannot_get_the_write_lock_in_time_answers_busy_to_each_caller(engine: Engine) -> None:
    groups = UpsertGroups(engine=engine, config=CONFIG, wait_seconds=0.5)
    upserts = [_prepared("crm", f"c{n}", first_name="Anna", last_name="Verdi", email=f"anna{n}@example-mail.org")
               for n in range(3)]

    with _queued_behind_the_gate(engine, groups, upserts) as results:
        _wait_for(lambda: len(results.errors) == len(upserts))

    assert all(isinstance(error, BusyError) for error in results.errors.values())
    assert len({id(error) for error in results.errors.values()}) == len(upserts)  # one per caller
    assert _profile_ids(engine) == {}
    assert groups.queued == 0


def test_a_retried_write_applies_the_group_it_took_the_first_time(engine: Engine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    groups = UpsertGroups(engine=engine, config=CONFIG)
    in_transaction = ingest.in_transaction
    attempts: list[int] = []

    class _RetryError(Exception):
        pass

    def retried_once(engine: Engine, work: Callable[[Session], Any], **kwargs: Any) -> Any:
        """Run ``work`` in a transaction that is rolled back, as a deadlock would, then again for real."""
        def first(session: Session) -> None:
            work(session)
            raise _RetryError

        attempts.append(1)
        with pytest.raises(_RetryError):
            in_transaction(engine, first, **kwargs)
        return in_transaction(engine, work, **kwargs)

    monkeypatch.setattr(ingest, "in_transaction", retried_once)
    upserts = _people(2)

    with _queued_behind_the_gate(engine, groups, upserts) as results:
        pass

    assert results.errors == {}
    assert len(attempts) == 1
    assert groups.sizes == {len(upserts): 1}
    assert sorted(_profile_ids(engine)) == sorted(prepared.key for prepared in upserts)
    assert all(results.applied[i].record.status == "created" for i in range(len(upserts)))
