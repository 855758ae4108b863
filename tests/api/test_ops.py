"""Liveness, readiness and start-up checks against SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.db import make_engine
from service.errors import DatabaseNotMigratedError
from service.main import create_app
from service.settings import Settings


def test_health_answers_ok(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_ready_on_a_migrated_database(client: TestClient) -> None:
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_ready_answers_503_when_the_database_falls_behind_the_migration_head(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))

    response = client.get("/ready")

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert "throughline migrate" in error["message"]


def test_health_and_ready_answer_head_as_get_without_a_body(client: TestClient) -> None:
    # Load balancers often check with HEAD: it answered 405.
    for path in ("/health", "/ready"):
        head, get = client.head(path), client.get(path)
        assert (head.status_code, head.content) == (200, b"")
        # The headers GET sends (RFC 9110, 9.3.2): its length and type, not a length of 0.
        assert [head.headers[name] for name in ("content-length", "content-type")] == [
            get.headers[name] for name in ("content-length", "content-type")]
    with client.app.state.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(text("DELETE FROM alembic_version"))
    assert client.head("/ready").status_code == 503


def test_ready_answers_503_when_the_database_is_unreachable(client: TestClient, tmp_path: Path) -> None:
    # A SQLite file in a directory that does not exist cannot be opened.
    client.app.state.engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")  # type: ignore[attr-defined]

    response = client.get("/ready")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"


@pytest.mark.parametrize("fixture", ["unmigrated_sqlite_url", pytest.param("unmigrated_postgres_url",
                                                                          marks=pytest.mark.postgres)])
def test_app_refuses_to_start_on_an_unmigrated_database_and_says_what_to_run(
    fixture: str, request: pytest.FixtureRequest, start_client: Callable[..., TestClient],
) -> None:
    settings = Settings(database_url=request.getfixturevalue(fixture))

    with pytest.raises(DatabaseNotMigratedError, match=r"run `throughline migrate` with THROUGHLINE_DATABASE_URL"):
        start_client(create_app(settings))


def test_requests_build_no_routes_so_apps_in_threads_cannot_race_on_warning_filters(client: TestClient) -> None:
    # FastAPI builds a router's routes under warnings.catch_warnings(), which swaps the process-wide filters and is
    # not thread-safe: two apps taking their first requests at once lost each other's filters (a flaky CI failure).
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a request entered warnings.catch_warnings()")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(warnings, "catch_warnings", refuse)
        statuses = [client.get(path).status_code for path in ("/v1/no-such-route", "/v1/records/crm/nobody", "/health")]

    assert statuses == [404, 404, 200]  # the first matches nothing, so every router was tried


def test_a_started_server_collects_young_garbage_every_50000_allocations_not_700(
        make_client: Callable[..., TestClient]) -> None:
    # At CPython's 700, full collections paused a server process for 60-160 ms about every 1.5 s of upserting,
    # with the write lock held when its writer was there (upsert p99 150-227 ms at 200/s, 68-73 ms without).
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        make_client()
        assert gc.get_threshold() == (50_000, *before[1:])
    finally:
        gc.set_threshold(*before)
