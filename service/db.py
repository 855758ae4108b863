"""Database engines and schema migrations (SQLAlchemy 2 and Alembic, driven from code).

Two backends: a SQLite file (the embedded default) and PostgreSQL through psycopg 3. Migrations
live in ``service/migrations``; they are applied by ``throughline migrate`` (``migrate``), never
by the API process, which only checks that the database is at the head revision before serving.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlmodel import Session

from service.errors import DatabaseNotMigratedError
from service.write_gate import WriteGate, lock_file_of

__all__ = [
    "MIGRATIONS_DIR",
    "SQLITE_IMMEDIATE",
    "SQLITE_UNCHECKED_FOREIGN_KEYS",
    "WRITE_GATE",
    "WRITE_WAIT",
    "WRITE_WAIT_SECONDS",
    "Migration",
    "current_revision",
    "display_url",
    "head_revision",
    "is_migrated",
    "make_engine",
    "migrate",
    "require_migrated",
    "snapshot_session",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Migration(NamedTuple):
    """The revisions a database was at before and after ``migrate``."""

    before: str | None
    after: str | None


def _with_driver(url: str | URL) -> URL:
    """Return ``url`` with PostgreSQL pinned to psycopg 3, the only driver installed."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


# How long a write transaction waits for the write lock before it gives up, unless the engine says.
WRITE_WAIT_SECONDS = 30.0
# Engine execution option holding that wait for ``ingest.in_transaction``.
WRITE_WAIT = "throughline_write_wait"

# SQLite connections kept open: one per request thread (AnyIO runs sync routes in 40 threads). With
# the default pool of 5, connections past it were closed after each use, losing their page cache, and
# opened again (3% of a server's time under 8 concurrent lookups, in a py-spy profile).
SQLITE_POOL_SIZE = 40

# PostgreSQL connections kept open per process, and opened past them at most (so one per request
# thread). With the default pool of 5, the connections past it were closed after each use and opened
# again, a new server process each time: at 500 lookups/s from 32 clients, lookups' p99 was 4.2-8.3 s
# and upserts' 0.5-4.5 s (at 200/s), against 33-56 ms and 270-327 ms with this pool. Two server processes
# keep at most 40 idle connections open (PostgreSQL's default max_connections is 100).
POSTGRES_POOL_SIZE = 20
POSTGRES_POOL_OVERFLOW = 20

# The size SQLite cuts its write-ahead log back to once a checkpoint has copied it into the file.
# Without a limit the log keeps the size of the largest transaction until the last connection closes:
# several GB after a bulk import, every value the import wrote still in it.
SQLITE_WAL_SIZE_LIMIT = 64 * 1024 * 1024

# Engine execution option holding the ``WriteGate`` its write transactions queue at.
WRITE_GATE = "throughline_write_gate"

# Execution option asking a SQLite transaction to take the write lock at BEGIN (``BEGIN IMMEDIATE``).
SQLITE_IMMEDIATE = "throughline_sqlite_immediate"

# Execution option asking a SQLite transaction not to check foreign keys row by row (``_begin_sqlite``).
SQLITE_UNCHECKED_FOREIGN_KEYS = "throughline_sqlite_unchecked_foreign_keys"
_FOREIGN_KEYS_ON = "throughline_foreign_keys_on"  # a DBAPI connection's setting, in its pool record's info


def _enable_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Turn on WAL (readers do not block the writer), foreign keys (off by default) and secure delete.

    The write-ahead log is cut back to ``SQLITE_WAL_SIZE_LIMIT`` after each checkpoint.

    Secure delete overwrites what a delete frees with zeros, so that an erased record's bytes do not
    stay in the file's free space (ARCHITECTURE.md, property 7). Debian's SQLite has it on by
    default, others do not. It is also most of what emptying an import's staging table costs (at a
    million records, 14-22 s of zeros written).

    The driver's own transaction handling is switched off so that ``_begin_sqlite`` decides how
    each transaction begins.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_SIZE_LIMIT}")
    cursor.close()
    connection_record.info[_FOREIGN_KEYS_ON] = True


def _begin_sqlite(connection: Any) -> None:
    """Begin a SQLite transaction; a write transaction locks at once, so two writers never interleave.

    Without it, two transactions that both read and then write would each read the old state and the
    second write would silently lose the first one's change (or fail with "database is locked").

    A transaction asked for with ``SQLITE_UNCHECKED_FOREIGN_KEYS`` runs with foreign keys off (SQLite
    changes the setting only between transactions); the next one without it turns them on again.
    """
    options = connection.get_execution_options()
    checked = not options.get(SQLITE_UNCHECKED_FOREIGN_KEYS, False)
    if connection.info.get(_FOREIGN_KEYS_ON) is not checked:
        connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if checked else 'OFF'}")
        connection.info[_FOREIGN_KEYS_ON] = checked
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(SQLITE_IMMEDIATE, False) else "BEGIN")


def make_engine(url: str | URL, *, write_wait_seconds: float = WRITE_WAIT_SECONDS) -> Engine:
    """Return an engine for a SQLite or PostgreSQL URL, set up for a multi-threaded web server.

    ``hide_parameters``: a database error's message then leaves out the statement's parameters,
    which are record values, so that no log line can carry them. A write transaction waits up to
    ``write_wait_seconds`` for the write lock (``ingest.in_transaction``), queued at the engine's
    ``WriteGate``: a SQLite file's gate is shared with every process that writes to it.
    """
    parsed = _with_driver(url)
    if parsed.get_backend_name() == "sqlite":
        # FastAPI runs sync handlers in a thread pool, so a pooled connection changes threads.
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": write_wait_seconds},
                               hide_parameters=True, pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE)
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
        gate = WriteGate(lock_file_of(parsed.database))
    else:
        engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True, pool_size=POSTGRES_POOL_SIZE,
                               max_overflow=POSTGRES_POOL_OVERFLOW)
        gate = WriteGate()
    engine.update_execution_options(**{WRITE_WAIT: write_wait_seconds, WRITE_GATE: gate})
    return engine


@contextmanager
def snapshot_session(engine: Engine) -> Iterator[Session]:
    """Open a session whose reads all see the database as it was at the first: for a stream read page by page.

    A SQLite read transaction is such a snapshot already. PostgreSQL's default isolation (READ
    COMMITTED) takes a new snapshot for each statement: an export read in pages while writes go on
    listed records stored after it began, and a job's rejected lines stopped short once it was deleted.
    """
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


def display_url(url: str | URL) -> str:
    """Return ``url`` with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _alembic_config() -> Config:
    """Return an Alembic configuration built in code; no alembic.ini is needed."""
    config = Config()
    # Config values go through configparser interpolation, where "%" is special.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_alembic_config())


def head_revision() -> str | None:
    """Return the newest revision the code ships."""
    return _scripts().get_current_head()


def _is_known(revision: str) -> bool:
    return revision in {script.revision for script in _scripts().walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_migrated(engine: Engine) -> bool:
    """Return whether the database is at the head revision."""
    return current_revision(engine) == head_revision()


def require_migrated(engine: Engine) -> None:
    """Raise ``DatabaseNotMigratedError`` saying what to run unless the database is at the head revision."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is not None and not _is_known(current):
        raise DatabaseNotMigratedError(
            f"the database {display_url(engine.url)} is at revision {current}, which this version of "
            f"Throughline does not know (its newest is {head}); it was migrated by a newer version: run that one"
        )
    raise DatabaseNotMigratedError(
            f"the database {display_url(engine.url)} is at revision {current or 'none (empty)'}, "
            f"but this version of Throughline needs revision {head}; "
            "run `throughline migrate` with THROUGHLINE_DATABASE_URL set to this database, then start again"
        )


def migrate(url: str | URL) -> Migration:
    """Upgrade the database at ``url`` to the head revision and return where it started and ended."""
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        config = _alembic_config()
        with engine.begin() as connection:
            # env.py runs the migrations on this connection rather than opening its own.
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return Migration(before=before, after=current_revision(engine))
    finally:
        engine.dispose()
