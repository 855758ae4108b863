"""A server killed with SIGKILL in the middle of an import: on restart the job resumes, nothing lost or doubled.

Runs real ``python -m service serve`` processes on a SQLite file and kills the first one while its
import is half done (one transaction per 20 lines, so there is a middle to kill in).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from service import keys
from service.db import make_engine
from service.tables import ImportRow, RecordRow
from tests.api.helpers import resolved_partition, stored_partition
from tests.integration.servers import ROOT, server

CONTACTS_2K = ROOT.parent / "shared" / "datasets" / "contacts-2k" / "records.ndjson.gz"


def _job(base: str, key: str, job_id: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/v1/imports/{job_id}", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


@pytest.mark.slow
def test_an_import_killed_mid_way_resumes_on_restart_with_nothing_lost_or_doubled(sqlite_url: str,
                                                                                  tmp_path: Path) -> None:
    if not CONTACTS_2K.exists():
        pytest.skip(f"the contacts-2k dataset is missing: {CONTACTS_2K}")
    lines = [line for line in gzip.decompress(CONTACTS_2K.read_bytes()).decode().splitlines() if line.strip()]
    record_keys = [(r["source"], r["source_record_id"]) for r in map(json.loads, lines)]
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        key = keys.create_key(session, scopes=["read", "write"], name="test", actor="cli", request_id=None).key
        session.commit()
    auth = {"Authorization": f"Bearer {key}"}
    spool = tmp_path / "spool"

    with server(sqlite_url, spool) as (process, base):
        response = httpx.post(f"{base}/v1/imports", content=CONTACTS_2K.read_bytes(), timeout=60, headers={
            **auth, "content-type": "application/x-ndjson", "content-encoding": "gzip"})
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        while (job := _job(base, key, job_id))["resume_line"] < 100:
            assert job["state"] in ("queued", "running"), job
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    with Session(engine) as session:
        killed = session.get(ImportRow, job_id)
        stored = session.scalar(select(func.count()).select_from(RecordRow)) or 0
        stored_keys = {(source, record_id) for source, record_id in session.execute(
            select(col(RecordRow.source), col(RecordRow.source_record_id)))}
    assert killed is not None
    assert killed.state == "running"
    assert 100 <= killed.resume_line < len(lines), "the kill did not land in the middle of the import"
    # Exactly the records of the committed lines are in: none lost, none from beyond the resume point.
    assert stored_keys == set(record_keys[: killed.resume_line])
    assert stored == len(stored_keys)

    with server(sqlite_url, spool) as (_, base):
        for _ in range(1200):
            job = _job(base, key, job_id)
            if job["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.1)

    assert job["state"] == "succeeded", job
    assert job["counts"]["lines_read"] == len(lines)
    assert job["counts"]["accepted"] == len(lines)
    assert job["counts"]["records_created"] == len(set(record_keys))
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(RecordRow)) == len(set(record_keys))
    engine.dispose()
    assert stored_partition(sqlite_url) == resolved_partition(sqlite_url)
    assert list(spool.glob("*")) == []
