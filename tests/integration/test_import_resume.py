"""A server killed with SIGKILL in the middle of an import: on restart the job resumes, nothing lost or doubled.

Runs real ``python -m service serve`` processes on a SQLite file and kills the first one while its
import is half staged (one transaction per 20 lines, so there is a middle to kill in), or while it
applies the staged records (one transaction, so either all of them are in or none).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from service import keys
from service.db import make_engine
from service.tables import ImportRecordRow, ImportRow, RecordRow
from tests.api.helpers import resolved_partition, stored_partition
from tests.integration.servers import ROOT, server

CONTACTS_2K = ROOT.parent / "shared" / "datasets" / "contacts-2k" / "records.ndjson.gz"


def _job(base: str, key: str, job_id: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/v1/imports/{job_id}", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


def _start(sqlite_url: str) -> tuple[list[tuple[str, str]], str]:
    """Return the keys of contacts-2k's lines, in order, and an API key for the database."""
    if not CONTACTS_2K.exists():
        pytest.skip(f"the contacts-2k dataset is missing: {CONTACTS_2K}")
    lines = [line for line in gzip.decompress(CONTACTS_2K.read_bytes()).decode().splitlines() if line.strip()]
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        key = keys.create_key(session, scopes=["read", "write"], name="test", actor="cli", request_id=None).key
        session.commit()
    engine.dispose()
    return [(r["source"], r["source_record_id"]) for r in map(json.loads, lines)], key


def _import_and_kill(sqlite_url: str, spool: Path, key: str, *, when: Callable[[dict[str, Any]], bool]) -> str:
    """Start importing contacts-2k, SIGKILL the server as soon as ``when(job)`` holds; return the job id."""
    with server(sqlite_url, spool) as (process, base):
        response = httpx.post(f"{base}/v1/imports", content=CONTACTS_2K.read_bytes(), timeout=60, headers={
            "Authorization": f"Bearer {key}", "content-type": "application/x-ndjson", "content-encoding": "gzip"})
        assert response.status_code == 202, response.text
        job_id: str = response.json()["id"]
        while not when(job := _job(base, key, job_id)):
            assert job["state"] in ("queued", "running"), job
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return job_id


def _stored_and_staged(sqlite_url: str, job_id: str) -> tuple[ImportRow, list[tuple[str, str]], list[tuple[str, str]]]:
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        job = session.get(ImportRow, job_id)
        stored = [(source, record_id) for source, record_id in session.execute(
            select(col(RecordRow.source), col(RecordRow.source_record_id)))]
        staged = [(source, record_id) for source, record_id in session.execute(
            select(col(ImportRecordRow.source), col(ImportRecordRow.source_record_id))
            .where(col(ImportRecordRow.import_id) == job_id))]
    engine.dispose()
    assert job is not None
    return job, stored, staged


def _resume_and_check(sqlite_url: str, spool: Path, key: str, job_id: str, record_keys: list[tuple[str, str]]) -> None:
    """Restart the server; the job must finish with every record stored once and the oracle's partition."""
    with server(sqlite_url, spool) as (_, base):
        for _ in range(1200):
            job = _job(base, key, job_id)
            if job["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.1)

    assert job["state"] == "succeeded", job
    assert job["counts"]["lines_read"] == len(record_keys)
    assert job["counts"]["accepted"] == len(record_keys)
    assert job["counts"]["records_created"] == len(set(record_keys))
    row, stored, staged = _stored_and_staged(sqlite_url, job_id)
    assert (row.state, row.phase) == ("succeeded", "applying")
    assert sorted(stored) == sorted(set(record_keys))
    assert staged == []
    assert stored_partition(sqlite_url) == resolved_partition(sqlite_url)
    assert list(spool.glob("*")) == []


@pytest.mark.slow
def test_an_import_killed_while_staging_resumes_on_restart_with_nothing_lost_or_doubled(sqlite_url: str,
                                                                                        tmp_path: Path) -> None:
    record_keys, key = _start(sqlite_url)
    spool = tmp_path / "spool"

    job_id = _import_and_kill(sqlite_url, spool, key, when=lambda job: job["resume_line"] >= 100)

    killed, stored, staged = _stored_and_staged(sqlite_url, job_id)
    assert killed.state == "running"
    assert killed.phase == "staging"
    assert 100 <= killed.resume_line < len(record_keys), "the kill did not land in the middle of the staging"
    # Exactly the records of the committed lines are staged, none applied yet: none lost, none from beyond.
    assert stored == []
    assert sorted(staged) == sorted(set(record_keys[: killed.resume_line]))

    _resume_and_check(sqlite_url, spool, key, job_id, record_keys)


@pytest.mark.slow
def test_an_import_killed_while_applying_is_applied_whole_on_restart(sqlite_url: str, tmp_path: Path) -> None:
    record_keys, key = _start(sqlite_url)
    spool = tmp_path / "spool"

    job_id = _import_and_kill(sqlite_url, spool, key, when=lambda job: job["phase"] == "applying")

    killed, stored, staged = _stored_and_staged(sqlite_url, job_id)
    assert killed.state == "running"
    assert killed.phase == "applying"
    # One transaction applies the staged records: either it committed (all in, none staged) or none is in.
    if stored:
        assert sorted(stored) == sorted(set(record_keys))
        assert staged == []
    else:
        assert sorted(staged) == sorted(set(record_keys))

    _resume_and_check(sqlite_url, spool, key, job_id, record_keys)
