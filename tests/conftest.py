"""Shared fixtures: databases (a SQLite file or a throwaway PostgreSQL schema per test) and API clients.

PostgreSQL tests need ``TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
and are skipped, with the reason shown, when it is unset. Each test gets a schema of its own, and
the URL it receives sets ``search_path`` to that schema, so migrations and the app under test
write only there and parallel workers (pytest-xdist) never collide; the schema is dropped after
the test.

Clients started here carry an API key with the read, write and admin scopes by default
(``Authorization: Bearer ...``), made through ``service.keys`` on the test database once the app has
started; tests of authentication start their clients with ``authorized=False`` or other scopes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text
from sqlmodel import Session

from service import keys
from service.db import make_engine, migrate
from service.main import create_app
from service.settings import Settings

POSTGRES_ENV = "TEST_DATABASE_URL"

MakeSettings = Callable[..., Settings]
MakeClient = Callable[..., TestClient]


@pytest.fixture
def unmigrated_sqlite_url(tmp_path: Path) -> str:
    """Return the URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'throughline.db'}"


@pytest.fixture
def sqlite_url(unmigrated_sqlite_url: str) -> str:
    """Return the URL of a SQLite file migrated to the head revision."""
    migrate(unmigrated_sqlite_url)
    return unmigrated_sqlite_url


@pytest.fixture
def unmigrated_postgres_url() -> Iterator[str]:
    """Return a PostgreSQL URL whose search_path is a new, empty schema; drop the schema afterwards."""
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        pytest.skip(f"{POSTGRES_ENV} is not set; set it to a PostgreSQL URL to run the PostgreSQL tests")
    schema = f"test_{uuid.uuid4().hex}"
    admin = make_engine(server_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        # libpq's "options" sets search_path on every connection made with this URL, by the app or Alembic.
        search_path = {"options": f"-csearch_path={schema}"}
        yield make_url(server_url).update_query_dict(search_path).render_as_string(hide_password=False)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def postgres_url(unmigrated_postgres_url: str) -> str:
    """Return a PostgreSQL URL (a throwaway schema) migrated to the head revision."""
    migrate(unmigrated_postgres_url)
    return unmigrated_postgres_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Return a migrated database URL; tests using it run once per backend."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch, database_url: str) -> MakeSettings:
    """Return a factory of settings on the test database, untouched by THROUGHLINE_* in the environment."""
    for name in list(os.environ):
        if name.startswith("THROUGHLINE_"):
            monkeypatch.delenv(name)

    def make(**overrides: Any) -> Settings:
        return Settings(**{"database_url": database_url, **overrides})

    return make


def issue_key(app: FastAPI, *scopes: str, name: str = "test") -> str:
    """Create an API key with ``scopes`` in the database of a started app and return it."""
    with Session(app.state.engine) as session:
        issued = keys.create_key(session, scopes=scopes, name=name, actor="cli", request_id=None)
        session.commit()
    return issued.key


@pytest.fixture
def start_client() -> Iterator[Callable[..., TestClient]]:
    """Return a function that starts an app (running its lifespan) in a client closed after the test.

    The client sends a key with ``scopes`` (read, write and admin unless told otherwise); with
    ``authorized=False`` it sends none.
    """
    clients: list[TestClient] = []

    def start(app: FastAPI, *, authorized: bool = True, scopes: tuple[str, ...] = keys.BOOTSTRAP_SCOPES,
              **options: Any) -> TestClient:
        client = TestClient(app, **options)
        client.__enter__()
        clients.append(client)
        if authorized:
            client.headers["Authorization"] = f"Bearer {issue_key(app, *scopes)}"
        return client

    yield start
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def make_client(make_settings: MakeSettings, start_client: Callable[..., TestClient]) -> MakeClient:
    """Return a factory of started clients for apps built with the given settings overrides."""

    def make(*, authorized: bool = True, **overrides: Any) -> TestClient:
        return start_client(create_app(make_settings(**overrides)), authorized=authorized)

    return make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    """Return a client of an app with default settings on the test database."""
    return make_client()
