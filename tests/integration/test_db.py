"""Migrations and the migration-head check on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, make_url, text
from sqlmodel import Session

from service import db
from service.db import current_revision, head_revision, is_migrated, make_engine, migrate, require_migrated
from service.errors import DatabaseNotMigratedError
from service.ingest import in_transaction


@pytest.fixture(params=["unmigrated_sqlite_url", pytest.param("unmigrated_postgres_url", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest) -> str:
    """Return the URL of an empty database, once per backend."""
    url: str = request.getfixturevalue(request.param)
    return url


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def test_an_empty_database_is_not_migrated(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert not is_migrated(engine)


def test_migrate_brings_an_empty_database_to_the_head(empty_url: str, engine: Engine) -> None:
    result = migrate(empty_url)

    assert result.before is None
    assert result.after == head_revision()
    assert is_migrated(engine)
    require_migrated(engine)


def test_migrate_twice_changes_nothing_the_second_time(empty_url: str) -> None:
    migrate(empty_url)

    result = migrate(empty_url)

    assert result.before == result.after == head_revision()


def test_links_stored_before_migration_0006_keep_their_ids_and_no_id_is_given_out_again(
        unmigrated_sqlite_url: str) -> None:
    engine = make_engine(unmigrated_sqlite_url)
    config = db._alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        for link_id in (1, 2, 3):
            connection.execute(text("INSERT INTO links (id, kind, a_source, a_record_id, b_source, b_record_id, "
                                    "reason, created_at) VALUES (:id, 'must', 'crm', 'a', 'sms', :b, 'checked', "
                                    "'2026-01-01 00:00:00')"), {"id": link_id, "b": f"b{link_id}"})
    migrate(unmigrated_sqlite_url)
    with engine.begin() as connection:
        kept = connection.execute(text("SELECT id, b_record_id FROM links ORDER BY id")).all()
        connection.execute(text("DELETE FROM links WHERE id = 3"))
        connection.execute(text("INSERT INTO links (kind, a_source, a_record_id, b_source, b_record_id, reason, "
                                "created_at) VALUES ('cannot', 'crm', 'a', 'web', 'c', 'checked', '2026-01-02')"))
        newest = connection.execute(text("SELECT max(id) FROM links")).scalar_one()
        indexes = {row[1] for row in connection.execute(text("PRAGMA index_list(links)"))}
    engine.dispose()

    assert [tuple(row) for row in kept] == [(1, "b1"), (2, "b2"), (3, "b3")]
    assert newest == 4
    assert {"ix_links_a", "ix_links_b"} <= indexes


def test_records_stored_before_migration_0007_start_from_the_profile_they_are_in(empty_url: str,
                                                                                  engine: Engine) -> None:
    config = db._alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        for record_id, profile_id in (("a", "p-1"), ("b", "p-2")):
            connection.execute(text(
                'INSERT INTO records (source, source_record_id, content_hash, raw, normalized, "match", profile_id, '
                "created_at, updated_at) VALUES ('crm', :id, 'h', '{}', '{}', '{}', :profile, '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00')"), {"id": record_id, "profile": profile_id})

    migrate(empty_url)

    with engine.connect() as connection:
        rows = connection.execute(text("SELECT source_record_id, origin_profile_id FROM records ORDER BY 1")).all()
    assert [tuple(row) for row in rows] == [("a", "p-1"), ("b", "p-2")]


def test_a_database_migrated_by_a_newer_version_is_reported_as_such(empty_url: str, engine: Engine) -> None:
    migrate(empty_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))

    with pytest.raises(DatabaseNotMigratedError, match="migrated by a newer version"):
        require_migrated(engine)


def test_sqlite_connections_use_wal_enforce_foreign_keys_and_delete_securely(unmigrated_sqlite_url: str) -> None:
    engine = make_engine(unmigrated_sqlite_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1
    finally:
        engine.dispose()


def test_the_sqlite_write_ahead_log_shrinks_back_after_a_transaction_larger_than_its_limit(
        unmigrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLite keeps the log as large as its largest transaction unless told a limit.
    monkeypatch.setattr(db, "SQLITE_WAL_SIZE_LIMIT", 256 * 1024)
    engine = make_engine(unmigrated_sqlite_url)
    wal = Path(f"{make_url(unmigrated_sqlite_url).database}-wal")

    def write(rows: int) -> Callable[[Session], None]:
        def work(session: Session) -> None:
            session.connection().exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO filler SELECT randomblob(1000) FROM n", (rows,))
        return work

    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE filler (x)")
        in_transaction(engine, write(4000))  # about 4 MB, checkpointed when committed
        grown = wal.stat().st_size
        in_transaction(engine, write(1))  # begins the log anew, cut back to the limit
        shrunk = wal.stat().st_size
    finally:
        engine.dispose()
    assert grown > 4_000_000
    assert shrunk <= 256 * 1024


def test_a_write_that_skips_foreign_key_checks_leaves_them_on_for_the_next_transactions(
        unmigrated_sqlite_url: str) -> None:
    engine = make_engine(unmigrated_sqlite_url)

    def setting(session: Session) -> tuple[int, int]:
        connection = session.connection()
        return (int(connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()),
                id(connection.connection.dbapi_connection))

    try:
        unchecked, first = in_transaction(engine, setting, check_foreign_keys=False)
        checked, second = in_transaction(engine, setting)
        with Session(engine) as session:
            read, third = setting(session)
    finally:
        engine.dispose()
    assert (unchecked, checked, read) == (0, 1, 1)
    assert first == second == third  # the same pooled connection each time


@pytest.mark.postgres
def test_postgresql_connections_used_at_once_by_many_threads_stay_open_for_the_next_requests(
        postgres_url: str) -> None:
    # Each connection is a PostgreSQL server process: one closed after use and opened again for the
    # next request costs a process start (with SQLAlchemy's default pool of 5, the 6th connection on).
    engine = make_engine(postgres_url)

    def backends() -> set[int]:
        with ExitStack() as stack:
            connections = [stack.enter_context(engine.connect()) for _ in range(12)]
            return {int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
                    for connection in connections}

    try:
        first, second = backends(), backends()
    finally:
        engine.dispose()
    assert len(first) == 12
    assert second == first


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    engine = make_engine("postgresql://user@localhost/db")

    assert engine.dialect.driver == "psycopg"
