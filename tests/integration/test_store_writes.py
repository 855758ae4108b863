"""Store writes a bulk import relies on, on SQLite and PostgreSQL.

* rows inserted in bulk (``store._insert_many``: the driver's executemany on SQLite, COPY for many
  on PostgreSQL) are stored as SQLAlchemy's own insert stores them;
* an import's apply gets a larger SQLite page cache for its transaction only (``store.page_cache``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlmodel import Session

from service import store
from service.db import make_engine
from service.tables import ChangeRow, ProfileRow

PROFILES = ProfileRow.__table__  # type: ignore[attr-defined]
CHANGES = ChangeRow.__table__  # type: ignore[attr-defined]


def _profiles(prefix: str, count: int) -> list[dict[str, Any]]:
    at = datetime(2026, 3, 4, 5, 6, 7, 891_011)
    return [{"id": f"{prefix}{n}", "status": "active", "merged_into": None if n % 3 else f"{prefix}0",
             "golden": f'{{"n": {n}, "name": "Zoë Ñandú"}}', "record_count": n, "updated_at": at,
             "created_at": at.replace(microsecond=n)} for n in range(count)]


@pytest.mark.parametrize("count", [3, 600])  # PostgreSQL takes 600 rows through COPY
def test_bulk_inserted_rows_are_stored_as_sqlalchemy_stores_them(database_url: str, count: int) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        connection = session.connection()
        store._insert_many(connection, PROFILES, _profiles("fast", count))
        connection.execute(insert(PROFILES), _profiles("slow", count))
        store._insert_many(connection, CHANGES, [{"type": "profile.created", "profile_id": f"fast{n}",
                                                  "payload": "{}", "created_at": datetime(2026, 1, 2, 3, 4, 5, n)}
                                                 for n in range(count)])
        stored = {row.id: row._asdict() for row in connection.execute(select(PROFILES))}
        assert len(stored) == 2 * count
        for n in range(count):
            fast, slow = stored[f"fast{n}"], stored[f"slow{n}"]
            assert (fast.pop("id"), slow.pop("id")) == (f"fast{n}", f"slow{n}")
            assert (fast.pop("merged_into"), slow.pop("merged_into")) == ((None, None) if n % 3 else ("fast0", "slow0"))
            assert fast == slow
        # Read back as text too: the stored form itself, not only what SQLAlchemy parses it into.
        as_text = {row[0]: row[1:] for row in connection.exec_driver_sql(
            "SELECT id, CAST(created_at AS TEXT), CAST(updated_at AS TEXT) FROM profiles")}
        assert all(as_text[f"fast{n}"] == as_text[f"slow{n}"] for n in range(count))
        changes = list(connection.execute(select(CHANGES.c.profile_id, CHANGES.c.created_at)
                                          .order_by(CHANGES.c.seq)))
        assert changes == [(f"fast{n}", datetime(2026, 1, 2, 3, 4, 5, n)) for n in range(count)]
        session.rollback()
    engine.dispose()


def _cache_size(session: Session) -> int | None:
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    return int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())


def test_the_page_cache_is_larger_inside_the_block_and_as_before_after_it(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        before = _cache_size(session)
        with store.page_cache(session, mebibytes=48):
            inside = _cache_size(session)
        assert (inside, _cache_size(session)) == ((None, None) if before is None else (-48 * 1024, before))
        with pytest.raises(RuntimeError), store.page_cache(session, mebibytes=16):
            raise RuntimeError("the apply failed")
        assert _cache_size(session) == before
        with store.page_cache(session, mebibytes=0):
            assert _cache_size(session) == before
    engine.dispose()


def test_a_bulk_insert_with_replace_on_replaces_the_colliding_rows_and_adds_the_others(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        connection = session.connection()
        store._insert_many(connection, PROFILES, _profiles("p", 4))
        again = [{**row, "golden": '{"again": true}', "record_count": 99} for row in _profiles("p", 6)[2:]]
        store._insert_many(connection, PROFILES, again, replace_on=("id",))
        stored = {row.id: (row.golden, row.record_count) for row in connection.execute(select(PROFILES))}
        assert stored == {**{f"p{n}": (f'{{"n": {n}, "name": "Zoë Ñandú"}}', n) for n in (0, 1)},
                          **{f"p{n}": ('{"again": true}', 99) for n in (2, 3, 4, 5)}}
        session.rollback()
    engine.dispose()
