"""Queries on the service's tables. Nothing here commits: the use cases (``ingest``) own transactions.

Every function takes the session first and keyword arguments after; lists of keys are queried in
chunks so that no statement carries more bound parameters than SQLite allows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, NamedTuple, TypeVar, cast

import psycopg
from psycopg import sql as psycopg_sql
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    text,
    update,
)
from sqlalchemy import select as select_columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression
from sqlalchemy.sql.visitors import replacement_traverse
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar
from sqlmodel.sql.sqltypes import AutoString

from resolvers.records import RecordKey
from service.tables import ChangeRow, ImportRecordRow, LinkRow, ProfileRow, RecordKeyRow, RecordRow

__all__ = [
    "StagedKey",
    "StagedRecord",
    "StoredRecord",
    "StoredRef",
    "active_goldens",
    "begin_staged_writes",
    "delete_keys",
    "delete_links_of",
    "delete_records",
    "delete_staged",
    "first_holders",
    "has_records",
    "holders",
    "holdings",
    "insert_changes",
    "insert_keys",
    "insert_records",
    "key_counts",
    "keys_of_records",
    "link_kinds",
    "link_partners",
    "links_among",
    "live_profile_id",
    "match_forms",
    "merged_targets",
    "origin_profiles",
    "page_cache",
    "profile_ages",
    "profile_ids_of",
    "profile_members",
    "record_forms",
    "records_by_ids",
    "records_by_keys",
    "records_of_profile",
    "refresh_statistics",
    "repoint_merged",
    "set_profile_ids",
    "stage_records",
    "staged_count",
    "staged_index",
    "stored_records",
    "stored_refs",
    "stored_refs_by_ids",
    "unstage",
    "update_records",
    "write_profiles",
    "write_staged",
    "write_staged_keys",
]

_CHUNK = 500
LINK_KINDS = ("must", "cannot")
T = TypeVar("T")

# The statements every change runs, built once; ``values`` expands to the batch's list. They run
# on the session's connection as plain Core statements (no ORM machinery: a change runs dozens).
_RECORDS = RecordRow.__table__  # type: ignore[attr-defined]
_KEYS = RecordKeyRow.__table__  # type: ignore[attr-defined]
_PROFILES = ProfileRow.__table__  # type: ignore[attr-defined]
_STAGED = ImportRecordRow.__table__  # type: ignore[attr-defined]
_LINKS = LinkRow.__table__  # type: ignore[attr-defined]
_LIST: BindParameter[Any] = bindparam("values", expanding=True)
_REF_COLUMNS = (_RECORDS.c.id, _RECORDS.c.source, _RECORDS.c.source_record_id, _RECORDS.c.profile_id)
_STORED = select_columns(*_REF_COLUMNS, _RECORDS.c.normalized, _RECORDS.c.match).where(_RECORDS.c.id.in_(_LIST))
_KEY_COUNTS = (select_columns(_KEYS.c.key, func.count()).where(_KEYS.c.key.in_(_LIST)).group_by(_KEYS.c.key))
_HOLDERS = select_columns(_KEYS.c.record_id).where(_KEYS.c.key.in_(_LIST))
_PROFILE_MEMBERS = select_columns(*_REF_COLUMNS).where(_RECORDS.c.profile_id.in_(_LIST))
_REFS = select_columns(*_REF_COLUMNS).where(_RECORDS.c.id.in_(_LIST))
_HOLDINGS = select_columns(_KEYS.c.key, _KEYS.c.record_id).where(_KEYS.c.key.in_(_LIST))
_KEYS_OF = select_columns(_KEYS.c.record_id, _KEYS.c.key).where(_KEYS.c.record_id.in_(_LIST))
_MATCH_FORMS = select_columns(_RECORDS.c.id, _RECORDS.c.match).where(_RECORDS.c.id.in_(_LIST))
_INSERT_KEYS_QMARK = "INSERT INTO record_keys (record_id, key) VALUES (?, ?)"
_INSERT_KEYS_FORMAT = "INSERT INTO record_keys (record_id, key) VALUES (%s, %s)"
_PROFILE_AGES = select_columns(_PROFILES.c.id, _PROFILES.c.created_at).where(_PROFILES.c.id.in_(_LIST))
_PROFILE_IDS = select_columns(_RECORDS.c.profile_id).where(_RECORDS.c.id.in_(_LIST))
_ACTIVE_GOLDENS = (select_columns(_PROFILES.c.id, _PROFILES.c.golden)
                   .where(_PROFILES.c.id.in_(_LIST), _PROFILES.c.status == "active"))
_ORIGINS = (select_columns(_RECORDS.c.id, _RECORDS.c.origin_profile_id)
            .where(_RECORDS.c.id.in_(_LIST), _RECORDS.c.origin_profile_id.is_not(None)))
_MERGED_TARGETS = (select_columns(_PROFILES.c.id, _PROFILES.c.merged_into)
                   .where(_PROFILES.c.id.in_(_LIST), _PROFILES.c.status == "merged"))
_FIRST_HOLDERS = (select_columns(_KEYS.c.record_id).where(_KEYS.c.key == bindparam("key"))
                  .order_by(_KEYS.c.record_id).limit(bindparam("limit")))
_LINK_KINDS_PRESENT = select_columns(*(exists().where(_LINKS.c.kind == kind) for kind in LINK_KINDS))
_INSERT_RECORDS = insert(_RECORDS).returning(_RECORDS.c.id, _RECORDS.c.source, _RECORDS.c.source_record_id)
_PROFILE_STATE = ("status", "merged_into", "golden", "record_count", "updated_at")
_UPDATE_PROFILES = (update(_PROFILES).where(_PROFILES.c.id == bindparam("profile_id"))
                    .values({name: bindparam(f"new_{name}") for name in _PROFILE_STATE}))


# From this many rows on, PostgreSQL takes an insert through COPY: executemany sends a statement
# per row, which costs tens of microseconds each (a bulk import writes millions).
_COPY_FROM = 500


def _copy_rows(connection: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows (values in ``columns`` order) through PostgreSQL's COPY, on the session's connection."""
    dbapi = cast(psycopg.Connection[Any], connection.connection.dbapi_connection)
    statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg_sql.Identifier(table), psycopg_sql.SQL(", ").join(map(psycopg_sql.Identifier, columns)))
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _insert_many(connection: Connection, table: Any, rows: Sequence[dict[str, Any]], *,
                 replace_on: tuple[str, ...] = ()) -> None:
    """Insert rows (column values, all with the same columns), batched.

    With ``replace_on`` (the columns of a unique constraint) a row that collides with a stored one
    replaces its other values instead (an upsert). PostgreSQL takes many plain rows through COPY;
    on SQLite the driver's executemany takes them, with each value converted as SQLAlchemy would
    bind it (``_driver_insert``): SQLAlchemy's own per-row parameter handling cost more than
    SQLite's insert (an import writes a staged row per line and a profile row per two records).
    """
    if not rows:
        return
    columns = tuple(rows[0])
    dialect = connection.dialect.name
    if dialect == "postgresql" and len(rows) >= _COPY_FROM and not replace_on:
        _copy_rows(connection, table.name, columns, [[row[name] for name in columns] for row in rows])
    elif dialect == "sqlite":
        sql, converters = _driver_insert(table, columns, dialect, replace_on)
        connection.exec_driver_sql(sql, [tuple(row[name] if convert is None else convert(row[name])
                                               for name, convert in converters) for row in rows])
    else:
        connection.execute(_insert_statement(table, columns, dialect, replace_on), list(rows))


def _insert_statement(table: Any, columns: tuple[str, ...], dialect: str, replace_on: tuple[str, ...]) -> Any:
    """Return an INSERT into ``table`` that, with ``replace_on``, replaces the other ``columns`` of a colliding row."""
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    if not replace_on:
        return statement
    return statement.on_conflict_do_update(index_elements=list(replace_on),
                                           set_={name: statement.excluded[name] for name in columns
                                                 if name not in replace_on})


@lru_cache(maxsize=64)
def _driver_insert(table: Any, columns: tuple[str, ...], dialect: str,
                   replace_on: tuple[str, ...] = ()) -> tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]:
    """Return the driver's INSERT of ``columns``, and per placeholder its column and bind conversion (None: none)."""
    positional = _POSITIONAL_DIALECTS[dialect]
    statement = _insert_statement(table, columns, dialect, replace_on).values(
        {name: bindparam(name) for name in columns})
    compiled = statement.compile(dialect=positional)
    return compiled.string, tuple((name, table.c[name].type.dialect_impl(positional).bind_processor(positional))
                                  for name in compiled.positiontup or ())


# The prebuilt statements ``_rows`` runs are compiled once per dialect and list length (once in
# all on PostgreSQL, which takes the list as an array), with positional parameters, and run on the
# driver's cursor: SQLAlchemy's execution path (cache key, rendering the expanding list, result
# rows) cost more than SQLite took to answer, and a change runs about twenty of them. Only
# statements whose columns the drivers return as SQLAlchemy would (integers and text) take this path.
_POSITIONAL_DIALECTS = {"sqlite": sqlite.dialect(paramstyle="qmark"),
                        "postgresql": postgresql_psycopg.dialect(paramstyle="format")}  # type: ignore[no-untyped-call]


@cache
def _plain(statement: Select[Any]) -> bool:
    return all(isinstance(column.type, Integer | String | AutoString) for column in statement.selected_columns)


# What fills a placeholder of a driver statement (``_DriverStatement.template``).
_ITEM, _LIST_ITSELF, _CONSTANT = range(3)


class _DriverStatement(NamedTuple):
    """A prebuilt statement as the driver's SQL for one list length, and how to fill its placeholders."""

    sql: str
    # Per placeholder, in order: (_ITEM, i) for the list's i-th value, (_LIST_ITSELF, None) for the
    # whole list (an array), (_CONSTANT, v) for a constant v. None when the placeholders are
    # exactly the list's values, in order.
    template: tuple[tuple[int, Any], ...] | None

    def parameters(self, batch: list[Any]) -> list[Any]:
        if self.template is None:
            return batch
        return [batch[value] if kind == _ITEM else batch if kind == _LIST_ITSELF else value
                for kind, value in self.template]


def _as_array(element: Any, **_: Any) -> ColumnElement[bool] | None:
    """Return ``column = ANY(:values)`` for ``column IN :values`` (``_LIST``); None for any other element.

    The array is of text, not of the column's ``VARCHAR(n)``: casting to that would cut a longer
    value to ``n`` characters, and it would then match a stored value it only begins with.
    """
    if (isinstance(element, BinaryExpression) and element.operator is operators.in_op
            and isinstance(element.right, BindParameter) and element.right.key == _LIST.key):
        item = Text() if isinstance(element.left.type, String | AutoString) else element.left.type
        return element.left == any_(bindparam(_LIST.key, type_=postgresql.ARRAY(item)))
    return None


@cache
def _array_sql(statement: Select[Any]) -> _DriverStatement:
    """Return ``statement`` as psycopg's SQL with its list as one array parameter (PostgreSQL)."""
    as_array = cast(Select[Any], replacement_traverse(statement, {}, _as_array))
    compiled = as_array.compile(dialect=_POSITIONAL_DIALECTS["postgresql"])
    return _DriverStatement(compiled.string, tuple(
        (_LIST_ITSELF, None) if name == _LIST.key else (_CONSTANT, compiled.params[name])
        for name in compiled.positiontup or ()))


@lru_cache(maxsize=4096)
def _driver_sql(statement: Select[Any], dialect: str, size: int) -> _DriverStatement:
    """Return ``statement`` as the driver's SQL for a list of ``size`` values.

    PostgreSQL takes the list as one array (``= ANY``), so that one text serves every length:
    psycopg prepares a statement it has run five times, and then PostgreSQL neither parses nor
    plans it again (with a list, each length was a new text, parsed and planned at every run).
    """
    if dialect == "postgresql":
        return _array_sql(statement)
    # Compiled with the list 0..size-1, each of its placeholders' values is its index in the list.
    compiled = statement.params(values=list(range(size))).compile(dialect=_POSITIONAL_DIALECTS[dialect])
    expanded = compiled.construct_expanded_state()
    template = tuple((_ITEM, expanded.parameters[name]) if name.startswith("values_")
                     else (_CONSTANT, expanded.parameters[name]) for name in expanded.positiontup or ())
    in_order = template == tuple((_ITEM, index) for index in range(size))
    return _DriverStatement(expanded.statement, None if in_order else template)


def _rows(session: Session, statement: Select[Any], values: Iterable[Any]) -> Iterator[Any]:
    """Run a prebuilt statement over ``values`` (its ``values`` list) in batches; yield every result row."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect not in _POSITIONAL_DIALECTS or not _plain(statement):
        for batch in _chunks(sorted(set(values))):
            yield from connection.execute(statement, {"values": batch})
        return
    cursor = connection.connection.cursor()
    try:
        for batch in _chunks(sorted(set(values))):
            driver = _driver_sql(statement, dialect, len(batch))
            try:
                cursor.execute(driver.sql, driver.parameters(batch))
                rows = cursor.fetchall()
            except connection.dialect.loaded_dbapi.Error as error:
                # As SQLAlchemy would raise it (a lock timeout is then a 503 busy), without the values.
                raise DBAPIError.instance(driver.sql, None, error, connection.dialect.loaded_dbapi.Error,
                                          hide_parameters=True, dialect=connection.dialect) from error
            yield from rows
    finally:
        cursor.close()


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


@lru_cache(maxsize=64)
def _records_of_sources(count: int) -> SelectOfScalar[RecordRow]:
    """Return the records of ``count`` sources, each ``source_{i}`` with its ids ``ids_{i}``: ``_key_filter``'s form.

    Built once per count: every change looks its records up by key, and building the statement
    cost more than SQLite took to answer it.
    """
    return select(RecordRow).where(or_(*(
        and_(_RECORDS.c.source == bindparam(f"source_{i}"),
             _RECORDS.c.source_record_id.in_(bindparam(f"ids_{i}", expanding=True)))
        for i in range(count))))


def records_by_keys(session: Session, *, keys: Iterable[RecordKey]) -> dict[RecordKey, RecordRow]:
    """Return the stored records with these ``(source, source_record_id)`` keys."""
    found: dict[RecordKey, RecordRow] = {}
    for batch in _chunks(sorted(set(keys))):
        by_source = _ids_by_source(batch)
        parameters: dict[str, Any] = {}
        for i, (source, ids) in enumerate(by_source.items()):
            parameters |= {f"source_{i}": source, f"ids_{i}": ids}
        for row in session.scalars(_records_of_sources(len(by_source)), parameters):
            found[(row.source, row.source_record_id)] = row
    return found


def records_by_ids(session: Session, *, ids: Iterable[int]) -> list[RecordRow]:
    """Return the stored records with these row ids."""
    rows: list[RecordRow] = []
    for batch in _chunks(sorted(set(ids))):
        rows.extend(session.scalars(select(RecordRow).where(col(RecordRow.id).in_(batch))))
    return rows


class StoredRecord(NamedTuple):
    """What re-resolving needs of a stored record, read without building an ORM object."""

    id: int
    source: str
    source_record_id: str
    profile_id: str
    normalized: str
    match: str


def stored_records(session: Session, *, ids: Iterable[int]) -> list[StoredRecord]:
    """Return the records with these row ids, as plain tuples (many are read per change)."""
    return [StoredRecord(*row) for row in _rows(session, _STORED, ids)]


class StoredRef(NamedTuple):
    """A stored record's row id, key and profile: what following keys between records reads of each."""

    id: int
    source: str
    source_record_id: str
    profile_id: str


def match_forms(session: Session, *, ids: Iterable[int]) -> dict[int, str]:
    """Return the stored match form (JSON text) of each of these records, by row id."""
    return dict(_rows(session, _MATCH_FORMS, ids))


def stored_refs(session: Session, *, keys: Iterable[RecordKey]) -> list[StoredRef]:
    """Return the stored records with these ``(source, source_record_id)`` keys, as references."""
    found: list[StoredRef] = []
    connection = session.connection()
    for batch in _chunks(sorted(set(keys))):
        statement = select_columns(*_REF_COLUMNS).where(_key_filter(_RECORDS.c.source, _RECORDS.c.source_record_id,
                                                                    batch))
        found.extend(StoredRef(*row) for row in connection.execute(statement))
    return found


def set_profile_ids(session: Session, *, profile_of: Sequence[tuple[int, str]], now: datetime) -> None:
    """Point records (by row id) at profiles, in one batched ``UPDATE`` (executemany)."""
    if not profile_of:
        return
    statement = (update(_RECORDS).where(_RECORDS.c.id == bindparam("row_id"))
                 .values(profile_id=bindparam("new_profile_id"), updated_at=now))
    session.connection().execute(statement, [{"row_id": i, "new_profile_id": p} for i, p in profile_of])


def records_of_profile(session: Session, *, profile_id: str) -> list[RecordRow]:
    """Return the records of one profile."""
    return list(session.scalars(select(RecordRow).where(col(RecordRow.profile_id) == profile_id)))


def key_counts(session: Session, *, keys: Iterable[str]) -> dict[str, int]:
    """Return how many records hold each key (keys no record holds are absent)."""
    return dict(_rows(session, _KEY_COUNTS, keys))


def holders(session: Session, *, keys: Iterable[str]) -> set[int]:
    """Return the ids of the records holding any of ``keys``."""
    return {record_id for (record_id,) in _rows(session, _HOLDERS, keys)}


def profile_ids_of(session: Session, *, ids: Iterable[int]) -> set[str]:
    """Return the profiles of the records with these row ids."""
    return {profile_id for (profile_id,) in _rows(session, _PROFILE_IDS, ids)}


def active_goldens(session: Session, *, profile_ids: Iterable[str]) -> dict[str, str]:
    """Return the golden profiles (JSON) of the live profiles among ``profile_ids``, by id."""
    return dict(_rows(session, _ACTIVE_GOLDENS, profile_ids))


def origin_profiles(session: Session, *, ids: Iterable[int]) -> dict[int, str]:
    """Return the profile each of these records (by row id) was first stored in, where it is known."""
    return dict(_rows(session, _ORIGINS, ids))


def merged_targets(session: Session, *, profile_ids: Iterable[str]) -> dict[str, str]:
    """Return the profile each merged-away id among ``profile_ids`` answers "merged into"."""
    return dict(_rows(session, _MERGED_TARGETS, profile_ids))


def first_holders(session: Session, *, key: str, limit: int) -> list[int]:
    """Return the ids of the first ``limit`` records holding ``key``, by id (the order of the key's primary key)."""
    return list(session.connection().execute(_FIRST_HOLDERS, {"key": key, "limit": limit}).scalars())


def holdings(session: Session, *, keys: Iterable[str]) -> dict[str, list[int]]:
    """Return the ids of the records holding each of ``keys`` (keys no record holds are absent)."""
    found: dict[str, list[int]] = defaultdict(list)
    for key, record_id in _rows(session, _HOLDINGS, keys):
        found[key].append(record_id)
    return found


def stored_refs_by_ids(session: Session, *, ids: Iterable[int]) -> list[StoredRef]:
    """Return the stored records with these row ids, as references."""
    return [StoredRef(*row) for row in _rows(session, _REFS, ids)]


def profile_members(session: Session, *, profile_ids: Iterable[str]) -> list[StoredRef]:
    """Return the records of these profiles."""
    return [StoredRef(*row) for row in _rows(session, _PROFILE_MEMBERS, profile_ids)]


def keys_of_records(session: Session, *, ids: Iterable[int]) -> dict[int, list[str]]:
    """Return each record's keys."""
    found: dict[int, list[str]] = defaultdict(list)
    for record_id, key in _rows(session, _KEYS_OF, ids):
        found[record_id].append(key)
    return found


def update_records(session: Session, *, values: Sequence[dict[str, Any]]) -> None:
    """Update records by row id (``row_id`` in each mapping) to the other values given, in one batched ``UPDATE``."""
    if not values:
        return
    columns = [name for name in values[0] if name != "row_id"]
    statement = (update(_RECORDS).where(_RECORDS.c.id == bindparam("row_id"))
                 .values({name: bindparam(f"new_{name}") for name in columns}))
    session.connection().execute(statement, [{"row_id": row["row_id"], **{f"new_{n}": row[n] for n in columns}}
                                             for row in values])


def insert_records(session: Session, *, values: Sequence[dict[str, Any]]) -> dict[RecordKey, int]:
    """Insert records (column values) in batched ``INSERT ... RETURNING``; return their row ids."""
    ids: dict[RecordKey, int] = {}
    connection = session.connection()
    for batch in _chunks(values):
        for row_id, source, record_id in connection.execute(_INSERT_RECORDS, batch):
            ids[(source, record_id)] = row_id
    return ids


def delete_keys(session: Session, *, record_ids: Iterable[int]) -> None:
    """Delete every key of these records."""
    for batch in _chunks(sorted(set(record_ids))):
        session.execute(delete(RecordKeyRow).where(col(RecordKeyRow.record_id).in_(batch)),
                        execution_options={"synchronize_session": False})


def insert_keys(session: Session, *, keys: Sequence[tuple[int, str]]) -> None:
    """Insert ``(record_id, key)`` pairs in one batched statement (executemany).

    Straight to the driver: for plain integers and text, SQLAlchemy's per-row parameter handling
    costs more than the insert (a bulk import writes several keys per record).
    """
    if not keys:
        return
    connection = session.connection()
    statement = _INSERT_KEYS_QMARK if connection.dialect.paramstyle == "qmark" else _INSERT_KEYS_FORMAT
    connection.exec_driver_sql(statement, list(keys))


def delete_records(session: Session, *, ids: Iterable[int]) -> None:
    """Delete records and their keys."""
    for batch in _chunks(sorted(set(ids))):
        session.execute(delete(RecordKeyRow).where(col(RecordKeyRow.record_id).in_(batch)),
                        execution_options={"synchronize_session": False})
        session.execute(delete(RecordRow).where(col(RecordRow.id).in_(batch)),
                        execution_options={"synchronize_session": False})


def _key_filter(source: ColumnElement[str], record_id: ColumnElement[str],
                keys: Sequence[RecordKey]) -> ColumnElement[bool]:
    """Return ``(source, record_id) IN keys`` as one ``source = s AND record_id IN (...)`` per source.

    SQLite (3.40) answers a row-value ``IN`` list of more than one pair by scanning the whole
    index (4.5 ms for 8 keys among 50k records, against 0.02 ms this way); PostgreSQL plans both
    forms alike.
    """
    return or_(*(and_(source == name, record_id.in_(ids)) for name, ids in _ids_by_source(keys).items()))


def _ids_by_source(keys: Sequence[RecordKey]) -> dict[str, list[str]]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, record_id in keys:
        by_source[source].append(record_id)
    return by_source


def _link_filter(keys: Sequence[RecordKey]) -> ColumnElement[bool]:
    return or_(_key_filter(_LINKS.c.a_source, _LINKS.c.a_record_id, keys),
               _key_filter(_LINKS.c.b_source, _LINKS.c.b_record_id, keys))


def link_kinds(session: Session) -> frozenset[str]:
    """Return the kinds of link stored (``must``, ``cannot``), in one query: most databases hold none."""
    present = session.connection().execute(_LINK_KINDS_PRESENT).one()
    return frozenset(kind for kind, there in zip(LINK_KINDS, present, strict=True) if there)


def link_partners(session: Session, *, keys: Iterable[RecordKey]) -> set[RecordKey]:
    """Return the records joined by a must-link to any of ``keys`` (the closure follows them)."""
    partners: set[RecordKey] = set()
    for batch in _chunks(sorted(set(keys))):
        statement = select(LinkRow).where(col(LinkRow.kind) == "must", _link_filter(batch))
        for link in session.scalars(statement):
            partners.update({(link.a_source, link.a_record_id), (link.b_source, link.b_record_id)})
    return partners


def links_among(session: Session, *, keys: Iterable[RecordKey]) -> list[LinkRow]:
    """Return the links touching any of ``keys``."""
    links: dict[int | None, LinkRow] = {}
    for batch in _chunks(sorted(set(keys))):
        for link in session.scalars(select(LinkRow).where(_link_filter(batch))):
            links[link.id] = link
    return [links[i] for i in sorted(links, key=lambda i: i or 0)]


def delete_links_of(session: Session, *, keys: Iterable[RecordKey]) -> None:
    """Delete every link touching one of ``keys`` (an erased record leaves nothing behind)."""
    for batch in _chunks(sorted(set(keys))):
        session.execute(delete(LinkRow).where(_link_filter(batch)))


def profile_ages(session: Session, *, ids: Iterable[str]) -> dict[str, datetime]:
    """Return when each of these profiles was created (the survivor of a merge is the oldest)."""
    return dict(_rows(session, _PROFILE_AGES, ids))


def write_profiles(session: Session, *, inserts: Sequence[dict[str, Any]], updates: Sequence[dict[str, Any]]) -> None:
    """Insert new profile rows and update existing ones (all columns but ``created_at``), batched."""
    connection = session.connection()
    _insert_many(connection, _PROFILES, inserts)
    if updates:
        connection.execute(_UPDATE_PROFILES, [{"profile_id": row["id"], **{f"new_{n}": row[n] for n in _PROFILE_STATE}}
                                              for row in updates])


def live_profile_id(session: Session, *, profile_id: str) -> ProfileRow | None:
    """Follow ``merged_into`` from ``profile_id`` to the profile that holds its records now."""
    row = session.get(ProfileRow, profile_id)
    seen = set()
    while row is not None and row.status == "merged" and row.merged_into and row.id not in seen:
        seen.add(row.id)
        row = session.get(ProfileRow, row.merged_into)
    return row


def repoint_merged(session: Session, *, retired: str, survivor: str) -> None:
    """Point profiles that were merged into ``retired`` at ``survivor`` (chains stay one hop)."""
    statement = update(ProfileRow).where(col(ProfileRow.merged_into) == retired).values(merged_into=survivor)
    session.execute(statement, execution_options={"synchronize_session": False})


def insert_changes(session: Session, *, changes: Sequence[dict[str, Any]]) -> None:
    """Append entries (column values) to the change feed, in order, in one batched statement."""
    _insert_many(session.connection(), ChangeRow.__table__, changes)  # type: ignore[attr-defined]


# --- staged imports -------------------------------------------------------------------------------

class StagedRecord(NamedTuple):
    """A record an import has prepared: its line and the column values it is stored with."""

    line: int
    source: str
    source_record_id: str
    content_hash: str
    raw: str
    observed_at: datetime | None
    normalized: str
    match: str
    keys: str  # JSON array of candidate keys


_STAGED_COLUMNS = tuple(StagedRecord._fields)


def stage_records(session: Session, *, import_id: str, records: Sequence[StagedRecord]) -> None:
    """Stage records of an import (executemany); a record staged before by an earlier line is replaced."""
    _insert_many(session.connection(), _STAGED, [{"import_id": import_id, **record._asdict()} for record in records],
                 replace_on=("import_id", "source", "source_record_id"))


def unstage(session: Session, *, import_ids: Sequence[str], keys: Sequence[RecordKey]) -> dict[str, int]:
    """Delete the staged records of ``keys`` from the imports ``import_ids``; return how many each lost."""
    removed: Counter[str] = Counter()
    connection = session.connection()
    for source, record_id in keys:  # an erasure's records: one, or a person's
        statement = (delete(_STAGED).where(_STAGED.c.import_id.in_(import_ids), _STAGED.c.source == source,
                                           _STAGED.c.source_record_id == record_id).returning(_STAGED.c.import_id))
        removed.update(import_id for (import_id,) in connection.execute(statement))
    return dict(removed)


def staged_count(session: Session, *, import_id: str) -> int:
    """Return how many records an import has staged."""
    statement = select_columns(func.count()).select_from(_STAGED).where(_STAGED.c.import_id == import_id)
    return int(session.connection().execute(statement).scalar_one())


class StagedKey(NamedTuple):
    """A staged record's row id, key, content hash and candidate keys, and the stored record it would replace."""

    id: int
    source: str
    source_record_id: str
    content_hash: str
    keys: str
    stored_id: int | None
    stored_hash: str | None
    stored_profile: str | None


def staged_index(session: Session, *, import_id: str) -> Iterator[StagedKey]:
    """Yield every record an import has staged, with the stored record of the same key if there is one."""
    statement = (select_columns(_STAGED.c.id, _STAGED.c.source, _STAGED.c.source_record_id, _STAGED.c.content_hash,
                                _STAGED.c["keys"], _RECORDS.c.id, _RECORDS.c.content_hash, _RECORDS.c.profile_id)
                 .select_from(_STAGED.outerjoin(_RECORDS, (_RECORDS.c.source == _STAGED.c.source)
                                                & (_RECORDS.c.source_record_id == _STAGED.c.source_record_id)))
                 .where(_STAGED.c.import_id == import_id).order_by(_STAGED.c.id).execution_options(yield_per=10_000))
    for row in session.connection().execute(statement):
        yield StagedKey(*row)


def delete_staged(session: Session, *, import_id: str) -> None:
    """Delete every record an import has staged.

    When no other import has staged any, the whole table is emptied at once (SQLite's unfiltered
    ``DELETE``, PostgreSQL's transactional ``TRUNCATE``), without visiting each row; writers run one
    at a time, so none can stage rows meanwhile.
    """
    connection = session.connection()
    total = connection.execute(select_columns(func.count()).select_from(_STAGED)).scalar_one()
    if total == staged_count(session, import_id=import_id):
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("TRUNCATE import_records")
        else:
            connection.execute(delete(_STAGED))
    else:
        connection.execute(delete(_STAGED).where(_STAGED.c.import_id == import_id))


@contextmanager
def page_cache(session: Session, *, mebibytes: int) -> Iterator[None]:
    """Give the session's SQLite connection a page cache of ``mebibytes`` for the block, then its own size back.

    An import's apply is one transaction that writes every index of the record tables: with
    SQLite's default cache (2 MiB) most index pages it touches are out of the cache, and each is
    spilled to the WAL and read back from it again and again. PostgreSQL (shared buffers) and
    ``mebibytes`` 0: nothing changes.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite" or mebibytes <= 0:
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{int(mebibytes) * 1024}")
    try:
        yield
    finally:
        # If the connection broke, it is not reused, and the error that broke it is the one raised.
        with suppress(DBAPIError):
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def refresh_statistics(session: Session) -> None:
    """Have PostgreSQL's planner count the record tables again, after a bulk change of them.

    A bulk import leaves the statistics of a fresh or grown table stale until autovacuum gets to
    it; meanwhile plans can turn to sequential scans (seen: upserts' p99 of 283 ms instead of 79 ms
    at 50,000 records). SQLite's plans here do not depend on statistics.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("ANALYZE records, record_keys, profiles")


def has_records(session: Session) -> bool:
    """Return whether any record is stored."""
    return bool(session.connection().execute(select_columns(exists().where(_RECORDS.c.id.is_not(None)))).scalar())


_FORMS_OF_STAGED = select_columns(_STAGED.c.source, _STAGED.c.source_record_id, _STAGED.c.match,
                                  _STAGED.c.normalized).where(_STAGED.c.id.in_(_LIST))
_FORMS_OF_STORED = select_columns(_RECORDS.c.source, _RECORDS.c.source_record_id, _RECORDS.c.match,
                                  _RECORDS.c.normalized).where(_RECORDS.c.id.in_(_LIST))


def record_forms(session: Session, *, staged_ids: Iterable[int],
                 stored_ids: Iterable[int]) -> list[tuple[RecordKey, str, str]]:
    """Return ``(key, match form, normalized form)`` of staged records and stored records, by row id."""
    rows = [*_rows(session, _FORMS_OF_STAGED, staged_ids), *_rows(session, _FORMS_OF_STORED, stored_ids)]
    return [((source, record_id), match, normalized) for source, record_id, match, normalized in rows]


# Writing staged records set-based, inside the database: a batch's assignments go to a temporary
# table, and the records are copied from the staging table by joining it (their new row ids come
# back through RETURNING). Their keys are written once at the end of the import, all together and
# in record order: written batch by batch, each key landed on a random page of the key indexes and
# its foreign-key check on a random page of the records, and at a million records that random
# writing (with the pages SQLite spilled to its WAL again and again) took 193 of the apply's 525 s.
_CREATE_BULK_TABLES = {
    "sqlite": ("CREATE TEMP TABLE IF NOT EXISTS bulk_assignments "
               "(staged_id INTEGER PRIMARY KEY, stored_id INTEGER, profile_id TEXT NOT NULL)",
               "CREATE TEMP TABLE IF NOT EXISTS bulk_written "
               "(staged_id INTEGER PRIMARY KEY, record_id INTEGER NOT NULL)"),
    "postgresql": ("CREATE TEMP TABLE IF NOT EXISTS bulk_assignments "
                   "(staged_id BIGINT PRIMARY KEY, stored_id BIGINT, profile_id TEXT NOT NULL) ON COMMIT DROP",
                   "CREATE TEMP TABLE IF NOT EXISTS bulk_written "
                   "(staged_id BIGINT PRIMARY KEY, record_id BIGINT NOT NULL) ON COMMIT DROP"),
}
_INSERT_STAGED = text(
    'INSERT INTO records (source, source_record_id, content_hash, raw, normalized, "match", observed_at, profile_id, '
    "origin_profile_id, created_at, updated_at) "
    'SELECT s.source, s.source_record_id, s.content_hash, s.raw, s.normalized, s."match", s.observed_at, '
    "a.profile_id, a.profile_id, :now, :now "
    "FROM bulk_assignments a JOIN import_records s ON s.id = a.staged_id WHERE a.stored_id IS NULL "
    "ORDER BY a.staged_id RETURNING id, source, source_record_id"
).bindparams(bindparam("now", type_=DateTime))
_UPDATE_STAGED = text(
    'UPDATE records SET content_hash = s.content_hash, raw = s.raw, normalized = s.normalized, "match" = s."match", '
    "observed_at = s.observed_at, profile_id = a.profile_id, updated_at = :now "
    "FROM bulk_assignments a JOIN import_records s ON s.id = a.staged_id WHERE records.id = a.stored_id"
).bindparams(bindparam("now", type_=DateTime))
_DELETE_REPLACED_KEYS = text(
    "DELETE FROM record_keys WHERE record_id IN (SELECT stored_id FROM bulk_assignments WHERE stored_id IS NOT NULL)")
_KEYS_OF_STAGED = {
    "sqlite": "json_each(s.\"keys\") AS j",
    "postgresql": "LATERAL jsonb_array_elements_text(s.\"keys\"::jsonb) AS j(value)",
}
_INSERT_WRITTEN_KEYS = (
    "INSERT INTO record_keys (record_id, key) SELECT w.record_id, j.value FROM bulk_written w "
    "JOIN import_records s ON s.id = w.staged_id CROSS JOIN {keys} ORDER BY {order}"
)
# Below this many records written, the key index by record is never rebuilt (``write_staged_keys``).
_REBUILD_FROM_RECORDS = 50_000


def _fill(connection: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows into one of the apply's temporary tables: COPY on PostgreSQL, executemany on SQLite."""
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, columns, rows)
    else:  # table and columns are this module's names, never input
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608
        connection.exec_driver_sql(statement, list(rows))


def begin_staged_writes(session: Session) -> None:
    """Make ready to write staged records (``write_staged``) in the open transaction."""
    connection = session.connection()
    for statement in _CREATE_BULK_TABLES[connection.dialect.name]:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("DELETE FROM bulk_written")


def write_staged(session: Session, *, assignments: Sequence[tuple[int, RecordKey, int | None, str]],
                 now: datetime) -> None:
    """Store staged records as records: ``(staged row id, record key, stored row id it replaces or None, profile id)``.

    A new record is inserted; a stored one takes the staged content and profile, and loses its
    candidate keys. The staged keys of both are written by ``write_staged_keys``, after the last
    batch; ``begin_staged_writes`` comes before the first.
    """
    if not assignments:
        return
    connection = session.connection()
    connection.exec_driver_sql("DELETE FROM bulk_assignments")
    _fill(connection, "bulk_assignments", ("staged_id", "stored_id", "profile_id"),
          [(staged, stored, profile) for staged, _, stored, profile in assignments])
    staged_of = {key: staged for staged, key, stored, _ in assignments if stored is None}
    written = [(staged_of[(source, record_id)], row_id)
               for row_id, source, record_id in connection.execute(_INSERT_STAGED, {"now": now})]
    replaced = [(staged, stored) for staged, _, stored, _ in assignments if stored is not None]
    if replaced:
        connection.execute(_UPDATE_STAGED, {"now": now})
        connection.execute(_DELETE_REPLACED_KEYS)
    _fill(connection, "bulk_written", ("staged_id", "record_id"), written + replaced)


def write_staged_keys(session: Session) -> None:
    """Write the keys of every record ``write_staged`` stored since ``begin_staged_writes``.

    The rows go in the order of the index they would otherwise land on at random: by record, so
    that each foreign-key check finds its record on the page the last one did; on SQLite with
    foreign keys unchecked (``ingest.in_transaction``), by key, the table's primary key. When such
    a write is at least as large as what is stored already, the index by record is dropped first and
    built again after, by sorting (SQLite's DDL is transactional, and readers keep their snapshot).
    A million records' 6 million keys took 35-42 s in record order with foreign keys checked, and
    17 s this way (``bench/bulk_import.py --server-log-level INFO`` logs each step).
    """
    connection = session.connection()
    dialect = connection.dialect.name
    by_key = dialect == "sqlite" and not connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    insert = text(_INSERT_WRITTEN_KEYS.format(keys=_KEYS_OF_STAGED[dialect],
                                              order="j.value, w.record_id" if by_key else "w.record_id, j.value"))
    if by_key and _outnumbers_stored(connection):
        index = next(index for index in _KEYS.indexes if index.name == "ix_record_keys_record_id")
        index.drop(connection)
        connection.execute(insert)
        index.create(connection)
    else:
        connection.execute(insert)
    connection.exec_driver_sql("DELETE FROM bulk_written")


def _outnumbers_stored(connection: Connection) -> bool:
    """Return whether the records written since ``begin_staged_writes`` are many, and at least as many as the rest."""
    written = int(connection.exec_driver_sql("SELECT count(*) FROM bulk_written").scalar_one())
    if written < _REBUILD_FROM_RECORDS:
        return False
    return 2 * written >= int(connection.execute(select_columns(func.count()).select_from(_RECORDS)).scalar_one())
