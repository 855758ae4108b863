"""A write that cannot get the write lock in time answers 503 busy with Retry-After, and changes nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service import ingest
from tests.api.helpers import person, put
from tests.conftest import MakeClient


@contextmanager
def _write_lock_held(client: TestClient) -> Iterator[None]:
    """Hold the database's write lock in another thread, as a long write would, until the block ends."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    holding, release = threading.Event(), threading.Event()

    def hold(session: Session) -> None:
        holding.set()
        release.wait(30)

    holder = threading.Thread(target=ingest.in_transaction, args=(engine, hold))
    holder.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        release.set()
        holder.join(30)


def test_a_write_waiting_too_long_for_the_lock_answers_503_busy_and_stores_nothing(make_client: MakeClient) -> None:
    client = make_client(write_wait_seconds=0.3)
    with _write_lock_held(client):
        response = client.put("/v1/records/shop/o1", json=person(email="giulia.bianchi@example-mail.org"))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert response.headers["retry-after"] == "5"
    assert client.get("/v1/records/shop/o1").status_code == 404
    assert put(client, "shop/o1", person(email="giulia.bianchi@example-mail.org"))["status"] == "created"


@pytest.mark.parametrize(("method", "path", "options"), [
    ("GET", "/v1/exports/assignments", {}),  # it writes an audit entry first
    ("GET", "/v1/exports/profiles", {}),
    ("POST", "/v1/imports", {"content": b'{"source": "shop", "source_record_id": "o1"}\n',
                             "headers": {"content-type": "application/x-ndjson"}}),  # it stores the job
])
def test_a_small_write_that_finds_the_lock_taken_answers_503_busy_not_500(
        make_client: MakeClient, database_url: str, tmp_path: Path, method: str, path: str,
        options: dict[str, Any]) -> None:
    client = make_client(write_wait_seconds=0.3, import_dir=tmp_path / "spool")
    with _write_lock_held(client):
        response = client.request(method, path, **options)

    if database_url.startswith("sqlite"):  # one write lock for the whole file
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "busy"
        assert response.headers["retry-after"] == "5"
        assert list((tmp_path / "spool").glob("*")) == []
    else:  # PostgreSQL: these rows take no lock another write holds
        assert response.status_code < 300, response.text
