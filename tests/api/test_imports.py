"""Bulk imports and exports through HTTP: jobs, counts, per-line errors, re-imports, streaming exports."""

from __future__ import annotations

import gzip
import json
import os
import time
from itertools import accumulate
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session

from resolvers.blocking import record_keys
from resolvers.json_lines import json_line
from service import imports, queries, store
from service.db import snapshot_session
from service.imports import ImportRunner, JobSettings
from service.progress import ApplyProgressFile
from service.routes.ndjson import in_chunks
from service.stored_state import match_form
from service.tables import ImportRow
from tests.api.helpers import (
    cells_containing,
    feed,
    golden_mismatches,
    index_keys,
    last_seq,
    link,
    open_engine,
    person,
    profile_id_of,
    put,
    resolved_partition,
    stored_partition,
)
from tests.conftest import MakeClient

NDJSON = {"content-type": "application/x-ndjson"}
CSV = {"content-type": "text/csv"}


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def start_import(client: TestClient, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post("/v1/imports", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/imports/{response.json()['id']}"
    job: dict[str, Any] = response.json()
    return job


def wait(client: TestClient, job_id: str, timeout: float = 120) -> dict[str, Any]:
    """Poll the job until it is finished; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/v1/imports/{job_id}").json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} did not finish in {timeout} s")


def run_import(client: TestClient, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    return wait(client, start_import(client, body, headers)["id"])


def errors_of(client: TestClient, job_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/imports/{job_id}/errors")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


@pytest.fixture
def importer(make_client: MakeClient, tmp_path: Path) -> TestClient:
    """A client of an app whose imports spool under tmp_path and apply 3 lines per transaction."""
    return make_client(import_dir=tmp_path / "spool", import_workers=1, import_chunk_lines=3)


def people(count: int, *, source: str = "shop") -> list[dict[str, Any]]:
    return [person(f"First{i}", f"Last{i}", source=source, source_record_id=f"o{i}",
                   email=f"first{i}.last{i}@example-mail.org", phone=f"+39 347 555 {i:04d}") for i in range(count)]


def test_an_ndjson_import_stores_good_lines_and_reports_each_bad_one(importer: TestClient, database_url: str) -> None:
    good = people(5)
    lines = [json.dumps(good[0]), json.dumps(good[1]), "{not json", "", json.dumps(good[2]),
             json.dumps({"source": "shop", "source_record_id": "x", "email": 42}), json.dumps([1, 2]),
             json.dumps(good[3]), json.dumps({"source_record_id": "no-source"}), json.dumps(good[4])]
    job = run_import(importer, ("\n".join(lines) + "\n").encode(), NDJSON)

    assert job["state"] == "succeeded", job
    assert job["counts"] | {"bytes_read": 0} == {
        "lines_read": 9, "accepted": 5, "rejected": 4, "duplicates": 0, "erased": 0, "records_created": 5,
        "records_updated": 0, "records_unchanged": 0, "profiles_created": 5, "profiles_merged": 0, "bytes_read": 0}
    assert job["resume_line"] == 10
    assert job["progress"] == 1.0
    assert job["finished_at"] is not None
    errors = errors_of(importer, job["id"])
    assert [e["line"] for e in errors] == [3, 6, 7, 9]
    assert errors[0]["errors"][0]["field"] == "line"
    assert "not valid JSON" in errors[0]["errors"][0]["reason"]
    assert errors[1]["errors"][0]["field"] == "email"
    assert errors[1]["errors"][0]["value"] == "42"
    assert "JSON object" in errors[2]["errors"][0]["reason"]
    assert errors[3]["errors"][0]["field"] == "source"
    for record in good:
        assert importer.get(f"/v1/records/shop/{record['source_record_id']}").status_code == 200
    assert stored_partition(database_url) == resolved_partition(database_url)


def test_an_import_leaves_postgresql_with_fresh_statistics_of_the_records(importer: TestClient,
                                                                           database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL plans by table statistics here")
    assert run_import(importer, ndjson(people(5)), NDJSON)["state"] == "succeeded"

    with open_engine(database_url) as engine, engine.connect() as connection:
        counted = dict(connection.execute(text(
            "SELECT relname, reltuples FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
            "AND relname IN ('records', 'record_keys')")).all())

    assert counted["records"] == 5
    assert counted["record_keys"] > 5


# A plain CSV import failed at its end: the text layer of its reader closed the spool it read.
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_a_csv_import_reads_dotted_and_multi_valued_columns(importer: TestClient, encoding: str) -> None:
    body = (b"source,source_record_id,first_name,last_name,emails,address.city,address.country,handles.tiktok\n"
            b"store,s1,Anna,Rossi,anna.rossi@example-mail.org;a.rossi@work.example,Milano,IT,annar\n"
            b"store,s2,Luca,Verdi,,Roma,IT,\n"
            b"store,s3,Too,Many,,,,,extra\n")
    sent = gzip.compress(body) if encoding == "gzip" else body
    job = run_import(importer, sent, {**CSV, "content-encoding": encoding})

    assert job["state"] == "succeeded", job
    assert job["content_encoding"] == encoding
    assert (job["counts"]["accepted"], job["counts"]["rejected"]) == (2, 1)
    assert [e["line"] for e in errors_of(importer, job["id"])] == [4]
    stored = importer.get("/v1/records/store/s1").json()
    assert stored["raw"]["emails"] == ["anna.rossi@example-mail.org", "a.rossi@work.example"]
    assert stored["raw"]["address"] == {"city": "Milano", "country": "IT"}
    assert stored["raw"]["handles"] == {"tiktok": "annar"}


def test_a_csv_import_with_a_quote_never_closed_rejects_that_line_and_stores_the_rows_after_it(
        importer: TestClient) -> None:
    # The stray quote used to take every line after it into one cell: the job stored one garbled record.
    body = (b"source,source_record_id,full_name,company\n"
            b'store,q1,Anna Rossi,"Rossi & Figli\n'
            b"store,q2,Luca Verdi,Verdi Srl\n"
            b"store,q3,Sara Neri,Neri Spa\n")
    job = run_import(importer, body, CSV)

    assert job["state"] == "succeeded", job
    assert (job["counts"]["lines_read"], job["counts"]["accepted"], job["counts"]["rejected"]) == (3, 2, 1)
    [error] = errors_of(importer, job["id"])
    assert error["line"] == 2
    assert "quoted cell opened on this line" in error["errors"][0]["reason"]
    assert importer.get("/v1/records/store/q3").json()["raw"]["company"] == "Neri Spa"


# Excel's "Unicode text" and Windows PowerShell's ">" write UTF-16 with a byte order mark: every line was rejected.
@pytest.mark.parametrize("charset", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(("encoding", "content_type"), [
    ("gzip", "text/csv"), ("identity", "text/csv"),
    ("identity", "text/csv; charset=UTF-16"),  # declared so: it was refused (415), to be converted to UTF-8
])
def test_a_csv_import_in_utf_16_with_its_byte_order_mark_is_read_as_utf_16(importer: TestClient, charset: str,
                                                                             encoding: str, content_type: str) -> None:
    text = "source,source_record_id,full_name,company\r\nstore,u1,Zoë Łukasik,Café Ñandú\r\nstore,u2,Ann Lee,\r\n"
    body = "\ufeff".encode(charset) + text.encode(charset)
    sent = gzip.compress(body) if encoding == "gzip" else body
    job = run_import(importer, sent, {"content-type": content_type, "content-encoding": encoding})

    assert job["state"] == "succeeded", job
    assert (job["counts"]["accepted"], job["counts"]["rejected"]) == (2, 0)
    assert importer.get("/v1/records/store/u1").json()["raw"] == {
        "source": "store", "source_record_id": "u1", "full_name": "Zoë Łukasik", "company": "Café Ñandú"}


def test_a_corrupt_gzip_csv_declared_utf_16_fails_its_job_not_the_request(importer: TestClient) -> None:
    # Its byte order mark is read through the gzip stream: a bad block raised zlib.error, a 500 (helper-12).
    packed = gzip.compress("\ufeffsource,source_record_id\r\nstore,u1\r\n".encode("utf-16-le") * 50)
    corrupt = packed[:10] + b"\xff" * 20 + packed[30:]

    job = run_import(importer, corrupt, {"content-type": "text/csv; charset=utf-16", "content-encoding": "gzip"})

    assert job["state"] == "failed"
    assert "could not be read" in job["message"]


def test_an_ndjson_import_in_utf_16_fails_and_says_to_convert_it(importer: TestClient) -> None:
    body = ndjson(people(2)).decode().encode("utf-16")  # with its byte order mark

    job = run_import(importer, body, NDJSON)

    assert job["state"] == "failed"
    assert "NDJSON must be UTF-8" in job["message"]
    assert "iconv -f UTF-16 -t UTF-8" in job["message"]


def _stopped_runner(client: TestClient) -> None:
    """Stop the app's import runner: a job sent now stays queued until a runner the test makes claims it."""
    client.app.state.import_runner.stop()  # type: ignore[attr-defined]


def _runner(client: TestClient, *, on_chunk: Any = None) -> ImportRunner:
    app = client.app
    settings = JobSettings(spool_dir=app.state.settings.import_dir, chunk_lines=3)  # type: ignore[attr-defined]
    return ImportRunner(engine=app.state.engine, config=app.state.resolver_config,  # type: ignore[attr-defined]
                        settings=settings, on_chunk=on_chunk)


def _staged(client: TestClient, job_id: str) -> int:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return store.staged_count(session, import_id=job_id)


def test_a_queued_import_cancelled_never_runs_and_its_body_is_deleted(importer: TestClient) -> None:
    _stopped_runner(importer)
    job = start_import(importer, ndjson(people(4)), NDJSON)
    spool = next((importer.app.state.settings.import_dir).iterdir())  # type: ignore[attr-defined]

    response = importer.post(f"/v1/imports/{job['id']}/cancel")

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled"
    assert "none of its lines was applied" in response.json()["message"]
    assert not spool.exists()  # the body held personal values
    assert _runner(importer).claim() is None
    again = importer.post(f"/v1/imports/{job['id']}/cancel")
    assert (again.status_code, again.json()["state"]) == (200, "cancelled")
    assert importer.get(f"/v1/imports/{job['id']}").json()["state"] == "cancelled"
    actions = [entry["action"] for entry in importer.get("/v1/audit").json()["entries"]]
    assert actions.count("import.cancelled") == 1  # the second changed nothing


def test_an_import_cancelled_while_staging_stops_at_its_next_chunk_and_applies_nothing(importer: TestClient) -> None:
    _stopped_runner(importer)
    job = start_import(importer, ndjson(people(10)), NDJSON)
    answers: list[int] = []
    runner = _runner(importer, on_chunk=lambda records, seconds: answers.append(
        importer.post(f"/v1/imports/{job['id']}/cancel").status_code))

    runner.run(runner.claim() or "")

    assert answers == [200]  # cancelled after the first chunk, and the runner ran no other
    cancelled = importer.get(f"/v1/imports/{job['id']}").json()
    assert cancelled["state"] == "cancelled"
    assert cancelled["counts"]["lines_read"] == 3
    assert _staged(importer, job["id"]) == 0
    assert importer.get("/v1/records/shop/o0").status_code == 404


def test_an_import_whose_spooled_body_is_lost_while_staging_fails_saying_to_send_the_whole_file(
        importer: TestClient) -> None:
    # A runner staged 3 lines and died; the spool was lost before another took the job over.
    _stopped_runner(importer)
    job = start_import(importer, ndjson(people(10)), NDJSON)
    runner = _runner(importer, on_chunk=lambda records, seconds: _stopped_runner(importer))
    staged_then_stopped = runner.claim() or ""
    runner.stop()
    runner.run(staged_then_stopped)
    assert _staged(importer, job["id"]) == 3, "precondition: lines staged, none applied"
    for spool in importer.app.state.settings.import_dir.iterdir():  # type: ignore[attr-defined]
        spool.unlink()

    taken_over = _runner(importer)
    taken_over.run(taken_over.claim() or "")

    failed = importer.get(f"/v1/imports/{job['id']}").json()
    assert failed["state"] == "failed"
    assert "send the whole file again" in failed["message"]  # not "the lines after line 3": they are dropped
    assert _staged(importer, job["id"]) == 0
    assert importer.get("/v1/records/shop/o0").status_code == 404


def test_an_upload_cut_off_is_deleted_once_nothing_has_written_it_for_an_hour(importer: TestClient) -> None:
    # An upload cut off by a crash of its server left its body, every line sent, forever.
    _stopped_runner(importer)
    job = start_import(importer, ndjson(people(2)), NDJSON)
    spool_dir: Path = importer.app.state.settings.import_dir  # type: ignore[attr-defined]
    queued = spool_dir / f"{job['id']}.body"
    assert sorted(spool_dir.iterdir()) == [queued], "precondition: a whole upload is the job's spool"
    cut_off, uploading = (imports.upload_path(imports.new_spool_path(spool_dir)) for _ in range(2))
    for path in (cut_off, uploading):
        path.write_bytes(ndjson(people(1)))
    hour_ago = time.time() - 3601
    for path in (queued, cut_off):
        os.utime(path, (hour_ago, hour_ago))

    removed = imports.remove_cut_off_uploads(spool_dir=spool_dir, idle_seconds=3600)

    assert removed == [cut_off]
    assert sorted(spool_dir.iterdir()) == sorted([queued, uploading])  # a queued job's body, one being written


def _erased_keys(client: TestClient, job_id: str) -> str | None:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        job = session.get(ImportRow, job_id)
        assert job is not None
        return job.erased_keys


def test_a_record_erased_while_an_import_holding_it_is_staged_is_not_stored_again(importer: TestClient,
                                                                                  database_url: str) -> None:
    # ARCHITECTURE.md, property 7: the file was sent before the erasure. Its import re-created the record.
    records = people(7)
    put(importer, "shop/o1", records[1])
    put(importer, "shop/o5", records[5])
    _stopped_runner(importer)
    job = start_import(importer, ndjson(records), NDJSON)
    erasures: list[int] = []

    def erase_once(lines: int, seconds: float) -> None:
        # After the first chunk (lines 1-3): o1 is staged before it is erased, o5 (line 6) after.
        if not erasures:
            erasures.extend(importer.delete(f"/v1/records/shop/{key}").status_code for key in ("o1", "o5"))

    runner = _runner(importer, on_chunk=erase_once)

    runner.run(runner.claim() or "")

    assert erasures == [200, 200]
    done = importer.get(f"/v1/imports/{job['id']}").json()
    assert done["state"] == "succeeded", done
    assert [importer.get(f"/v1/records/shop/{key}").status_code for key in ("o0", "o1", "o5", "o6")] == [
        200, 404, 404, 200]
    assert (done["counts"]["erased"], done["counts"]["duplicates"], done["counts"]["records_created"]) == (2, 0, 5)
    assert _erased_keys(importer, job["id"]) is None  # the keys go with the job
    assert cells_containing(database_url, [records[1]["email"], records[5]["email"]]) == []


def test_a_person_erased_while_an_import_is_queued_is_kept_out_of_it(importer: TestClient) -> None:
    records = people(4)
    erased = put(importer, "shop/o2", records[2])["profile_id"]
    _stopped_runner(importer)
    job = start_import(importer, ndjson(records), NDJSON)

    assert importer.delete(f"/v1/profiles/{erased}").status_code == 200
    assert _erased_keys(importer, job["id"]) == '[["shop", "o2"]]'
    runner = _runner(importer)
    runner.run(runner.claim() or "")

    assert importer.get(f"/v1/imports/{job['id']}").json()["counts"]["erased"] == 1
    assert importer.get("/v1/records/shop/o2").status_code == 404
    assert importer.get("/v1/records/shop/o3").status_code == 200


def test_an_import_that_ended_or_is_applying_cannot_be_cancelled(importer: TestClient, database_url: str) -> None:
    done = run_import(importer, ndjson(people(2)), NDJSON)
    _stopped_runner(importer)
    applying = start_import(importer, ndjson(people(2, source="crm")), NDJSON)
    with open_engine(database_url) as engine, engine.begin() as connection:
        connection.execute(text("UPDATE imports SET state = 'running', phase = 'applying', owner = 'elsewhere:1:r' "
                                "WHERE id = :id"), {"id": applying["id"]})

    ended = importer.post(f"/v1/imports/{done['id']}/cancel")
    busy = importer.post(f"/v1/imports/{applying['id']}/cancel")
    unknown = importer.post("/v1/imports/imp_0123456789abcdef0123/cancel")

    assert (ended.status_code, ended.json()["error"]["code"]) == (409, "conflict")
    assert "has ended (succeeded)" in ended.json()["error"]["message"]
    assert busy.status_code == 409
    assert "all of them or none" in busy.json()["error"]["message"]
    assert unknown.status_code == 404
    assert importer.get(f"/v1/imports/{applying['id']}").json()["state"] == "running"


def test_a_csv_import_whose_header_names_a_column_twice_fails_and_says_which(importer: TestClient) -> None:
    body = b"source,source_record_id,email,email\nstore,d1,a@example-mail.org,b@example-mail.org\n"

    job = run_import(importer, body, CSV)

    assert job["state"] == "failed"
    assert "names 'email' more than once" in job["message"]
    assert importer.get("/v1/records/store/d1").status_code == 404
    assert list(importer.app.state.settings.import_dir.iterdir()) == []  # type: ignore[attr-defined]  # the body


def test_deleting_an_ended_import_deletes_its_rejected_lines_and_their_values_and_keeps_its_records(
        importer: TestClient, database_url: str) -> None:
    refused = "+39 347 555 0199"  # sent as a list where one phone goes: a rejected line, whose value is kept
    body = ndjson([*people(2), {"source": "shop", "source_record_id": "bad", "phone": [refused]}])
    job = run_import(importer, body, NDJSON)
    assert (job["counts"]["accepted"], job["counts"]["rejected"]) == (2, 1)
    assert cells_containing(database_url, [refused])  # the refused value is stored with its line

    spool = importer.app.state.settings.import_dir / f"{job['id']}.body"  # type: ignore[attr-defined]
    spool.write_bytes(body)  # as a process that died between ending the job and removing its body left it
    (spool.parent / f"{spool.name}.applying").write_text("{}")

    response = importer.delete(f"/v1/imports/{job['id']}")

    assert response.status_code == 204
    assert list(spool.parent.iterdir()) == []
    assert importer.get(f"/v1/imports/{job['id']}").status_code == 404
    assert importer.get(f"/v1/imports/{job['id']}/errors").status_code == 404
    assert cells_containing(database_url, [refused]) == []
    assert importer.get("/v1/records/shop/o1").status_code == 200  # what it stored stays
    actions = [(entry["action"], entry["target"]) for entry in importer.get("/v1/audit").json()["entries"]]
    assert ("import.deleted", job["id"]) in actions


def test_an_import_that_has_not_ended_cannot_be_deleted_until_it_is_cancelled(importer: TestClient) -> None:
    _stopped_runner(importer)
    job = start_import(importer, ndjson(people(2)), NDJSON)

    refused = importer.delete(f"/v1/imports/{job['id']}")
    importer.post(f"/v1/imports/{job['id']}/cancel")
    deleted = importer.delete(f"/v1/imports/{job['id']}")

    assert refused.status_code == 409
    assert "cancel it first" in refused.json()["error"]["message"]
    assert deleted.status_code == 204
    actions = [entry["action"] for entry in importer.get("/v1/audit").json()["entries"]]
    assert actions[-2:] == ["import.cancelled", "import.deleted"]


def test_a_stream_read_page_by_page_sees_the_database_as_it_was_when_it_began(
        make_client: MakeClient, tmp_path: Path, database_url: str) -> None:
    # On PostgreSQL each page took a snapshot of its own: an export listed records stored after it began,
    # and the errors of a job deleted meanwhile stopped after the first page, with no error. (On SQLite the
    # deletion's checkpoint waits for the readers as long as a write may wait: 1 s here.)
    importer = make_client(import_dir=tmp_path / "spool", import_workers=1, write_wait_seconds=1)
    job = run_import(importer, ndjson([{"source": "shop", "source_record_id": f"b{i}", "email": 42}
                                       for i in range(5)] + people(3)), NDJSON)
    with open_engine(database_url) as engine, snapshot_session(engine) as errors_read, \
            snapshot_session(engine) as export_read:
        errors = imports.job_errors(errors_read, job_id=job["id"], batch=2)
        assignments = queries.iter_assignments(export_read, batch=2)
        first = [next(errors), next(errors)], [next(assignments), next(assignments)]
        put(importer, "web/late", person("Late", "Comer", source="web", source_record_id="late"))
        assert importer.delete(f"/v1/imports/{job['id']}").status_code == 204
        rest = list(errors), list(assignments)

    assert [entry["line"] for entry in first[0] + rest[0]] == [1, 2, 3, 4, 5]
    assert sorted(record_id for _, record_id, _ in first[1] + rest[1]) == ["o0", "o1", "o2"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(importer: TestClient,
                                                                        database_url: str) -> None:
    records = people(7)
    records.append({**records[0], "source_record_id": "o0-again-via-web", "source": "web"})  # joins o0's profile
    first = run_import(importer, ndjson(records), NDJSON)
    partition, seq = stored_partition(database_url), feed(importer)[-1]["seq"]

    second = run_import(importer, ndjson(records), NDJSON)

    assert first["counts"]["records_created"] == 8
    assert first["counts"]["profiles_merged"] + first["counts"]["profiles_created"] >= 7
    assert second["state"] == "succeeded"
    assert second["counts"]["records_unchanged"] == 8
    assert second["counts"]["records_created"] == second["counts"]["records_updated"] == 0
    assert stored_partition(database_url) == partition
    assert feed(importer)[-1]["seq"] == seq  # no change-feed entry either


def test_a_later_line_for_the_same_record_wins(importer: TestClient) -> None:
    first = person("Marta", "Neri", source="crm", source_record_id="c1", email="marta.neri@example-mail.org")
    second = {**first, "email": "marta.neri@another-mail.org"}
    job = run_import(importer, ndjson([first, second]), NDJSON)

    assert job["counts"]["duplicates"] == 1
    assert importer.get("/v1/records/crm/c1").json()["raw"]["email"] == "marta.neri@another-mail.org"


def test_an_import_and_upserts_are_one_engine(importer: TestClient, database_url: str) -> None:
    # Records sent through PUT before the import join the imported ones by the same rules.
    put(importer, "web/w1", person("First3", "Last3", email="first3.last3@example-mail.org"))
    run_import(importer, ndjson(people(6)), NDJSON)

    assert importer.get("/v1/records/web/w1").json()["profile_id"] == importer.get(
        "/v1/records/shop/o3").json()["profile_id"]
    assert stored_partition(database_url) == resolved_partition(database_url)


def test_an_import_that_changes_stored_records_re_resolves_what_they_touched(importer: TestClient,
                                                                             database_url: str) -> None:
    # Stored first: Anna's shop order and her newsletter sign-up share an address; Marco is alone.
    put(importer, "shop/o1", person("Anna", "Rossi", email="anna.rossi@example-mail.org", phone="+39 347 555 0101"))
    put(importer, "news/n1", person("Anna", "Rossi", email="anna.rossi@example-mail.org"))
    put(importer, "shop/o2", person("Marco", "Verdi", phone="+39 347 555 0202"))
    anna = profile_id_of(importer, "shop/o1")
    # The file moves the newsletter sign-up to another address (Anna's two records no longer meet),
    # adds a web account sharing Marco's phone, and repeats Marco's order as it is stored.
    changed = [
        {**person("Anna", "Rossi", email="a.rossi@another-mail.org"), "source": "news", "source_record_id": "n1"},
        {**person("Marco", "Verdi", phone="+39 347 555 0202", email="marco.verdi@example-mail.org"),
         "source": "web", "source_record_id": "w1"},
        {**person("Marco", "Verdi", phone="+39 347 555 0202"), "source": "shop", "source_record_id": "o2"},
    ]

    job = run_import(importer, ndjson(changed), NDJSON)

    assert job["state"] == "succeeded", job
    assert (job["counts"]["records_created"], job["counts"]["records_updated"],
            job["counts"]["records_unchanged"]) == (1, 1, 1)
    assert importer.get("/v1/records/news/n1").json()["raw"]["email"] == "a.rossi@another-mail.org"
    # A split keeps the id on the larger part, ties going to the smallest record key (news/n1).
    assert profile_id_of(importer, "news/n1") == anna
    assert profile_id_of(importer, "shop/o1") != anna
    assert profile_id_of(importer, "web/w1") == profile_id_of(importer, "shop/o2")
    assert importer.get("/v1/profiles", params={"email": "anna.rossi@example-mail.org"}).json()["profiles"][0][
        "record_count"] == 1
    assert stored_partition(database_url) == resolved_partition(database_url)
    assert golden_mismatches(database_url) == []
    stored_keys, expected_keys = index_keys(database_url)
    assert stored_keys == expected_keys


def _live_profiles(url: str) -> int:
    with open_engine(url) as engine, engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM profiles WHERE status = 'active'").scalar_one())


def test_an_import_counts_every_profile_it_merged_away_and_every_one_it_split_off(importer: TestClient,
                                                                                 database_url: str) -> None:
    emails = ["giulia.bianchi@gmail.com", "g.bianchi@novora.it", "giulia.b@fastmail.com"]
    for n, email in enumerate(emails):
        put(importer, f"crm/c{n}", person(email=email))
    assert _live_profiles(database_url) == 3, "precondition: three profiles"

    merged = run_import(importer, ndjson([person(source="web", source_record_id="w1", emails=emails)]), NDJSON)

    assert (merged["counts"]["profiles_merged"], merged["counts"]["profiles_created"]) == (2, 0)  # one event, 2 ids
    assert _live_profiles(database_url) == 1
    split = run_import(importer, ndjson([person("Marco", "Verdi", source="web", source_record_id="w1")]), NDJSON)

    # w1 leaves (a profile of its own) and the three fall apart: two of them take their ids back.
    assert (split["counts"]["profiles_merged"], split["counts"]["profiles_created"]) == (0, 3)
    assert _live_profiles(database_url) == 4


def test_an_import_that_splits_a_profile_gives_the_part_split_off_back_the_id_it_was_merged_away_from(
        importer: TestClient, database_url: str) -> None:
    a = put(importer, "crm/a", person(email="giulia.bianchi@gmail.com"))["profile_id"]
    b = put(importer, "sms/b", person(phone="347 123 4567", country="IT"))["profile_id"]
    put(importer, "web/bridge", person(email="giulia.bianchi@gmail.com", phone="+393471234567"))
    assert profile_id_of(importer, "sms/b") == a
    seq = last_seq(importer)
    # The file sends the bridging record again without the phone: it no longer joins b's record.
    job = run_import(importer, ndjson([{**person(email="giulia.bianchi@gmail.com"), "source": "web",
                                        "source_record_id": "bridge"}]), NDJSON)

    assert job["state"] == "succeeded", job
    assert (profile_id_of(importer, "crm/a"), profile_id_of(importer, "sms/b")) == (a, b)
    assert importer.get(f"/v1/profiles/{b}", follow_redirects=False).status_code == 200
    assert [(e["type"], e["profile_id"], e["payload"].get("new_ids")) for e in feed(importer, after=seq)] == [
        ("profile.split", a, [b])]
    assert stored_partition(database_url) == resolved_partition(database_url)


def _keys_by_record(url: str) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """Return the stored ``(source, source_record_id, key)`` rows, and those the stored records should have."""
    with open_engine(url) as engine, engine.connect() as connection:
        stored = {(source, record_id, key) for source, record_id, key in connection.execute(text(
            "SELECT r.source, r.source_record_id, k.key FROM record_keys k JOIN records r ON r.id = k.record_id"))}
        records = list(connection.execute(text('SELECT source, source_record_id, "match" FROM records')))
    expected = {(source, record_id, key) for source, record_id, match in records
                for key in record_keys(match_form(match))}
    return stored, expected


def _schema_version(url: str) -> int | None:
    """Return SQLite's schema version (it grows with every schema change); None on PostgreSQL."""
    if not url.startswith("sqlite"):
        return None
    with open_engine(url) as engine, engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA schema_version").scalar_one())


@pytest.mark.parametrize("rebuild_from", [1, 10**9])
def test_an_import_writes_each_record_s_keys_whether_it_rebuilds_the_key_index_or_not(
        importer: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch, rebuild_from: int) -> None:
    # On SQLite, an import writing at least as many records as are stored (and at least
    # ``rebuild_from``) drops the index of keys by record and builds it again after its keys.
    monkeypatch.setattr(store, "_REBUILD_FROM_RECORDS", rebuild_from)
    put(importer, "web/w1", person("First3", "Last3", email="first3.last3@example-mail.org"))
    put(importer, "web/w2", person("Ines", "Moreau", email="ines.moreau@example-mail.org"))
    before = _schema_version(database_url)

    large = run_import(importer, ndjson(people(6)), NDJSON)
    after_large = _schema_version(database_url)
    small = run_import(importer, ndjson([person("Ines", "Moreau", source="shop", source_record_id="o99",
                                                phone="+33 6 12 34 56 78")]), NDJSON)  # 1 record of 9

    assert (large["state"], small["state"]) == ("succeeded", "succeeded")
    stored, expected = _keys_by_record(database_url)
    assert stored == expected
    assert len({(source, record_id) for source, record_id, _ in stored}) == 9
    assert stored_partition(database_url) == resolved_partition(database_url)
    if before is not None:  # SQLite: the index was rebuilt for the large import only, and is there
        assert (after_large != before, _schema_version(database_url) != after_large) == (rebuild_from == 1, False)
        with open_engine(database_url) as engine, engine.connect() as connection:
            indexes = {row[1] for row in connection.exec_driver_sql("PRAGMA index_list(record_keys)")}
            assert "ix_record_keys_record_id" in indexes
            assert list(connection.exec_driver_sql("PRAGMA foreign_key_check")) == []


def test_an_import_keeps_the_stewards_links(importer: TestClient, database_url: str) -> None:
    put(importer, "crm/c1", person("Lena", "Kraus", email="lena.kraus@example-mail.org"))
    put(importer, "sms/s1", person("Lena", "Kraus", phone="+49 170 1234567"))
    link(importer, "must", "crm/c1", "sms/s1")
    put(importer, "crm/c2", person("Paul", "Weber", email="paul.weber@example-mail.org"))
    put(importer, "web/w2", person("Paul", "Weber", email="paul.weber@example-mail.org", phone="+49 170 7654321"))
    link(importer, "cannot", "crm/c2", "web/w2")
    # The file adds a record sharing each of them: the must-linked pair stays one profile, and the
    # cannot-linked pair stays apart whatever joins each side.
    file = [{**person("Lena", "Kraus", phone="+49 170 1234567", email="lena.k@example-mail.org"),
             "source": "shop", "source_record_id": "o9"},
            {**person("Paul", "Weber", email="paul.weber@example-mail.org"), "source": "news",
             "source_record_id": "n9"}]

    job = run_import(importer, ndjson(file), NDJSON)

    assert job["state"] == "succeeded", job
    assert profile_id_of(importer, "crm/c1") == profile_id_of(importer, "sms/s1") == profile_id_of(importer, "shop/o9")
    assert profile_id_of(importer, "crm/c2") != profile_id_of(importer, "web/w2")
    assert stored_partition(database_url) == resolved_partition(database_url)
    assert golden_mismatches(database_url) == []


@pytest.mark.parametrize(("headers", "field"), [
    ({"content-type": "application/json"}, "header.content-type"),
    ({"content-type": "text/plain"}, "header.content-type"),
    ({**NDJSON, "content-encoding": "br"}, "header.content-encoding"),
    ({"content-type": "text/csv; charset=windows-1252"}, "header.content-type"),  # it was read as UTF-8
    ({"content-type": "application/x-ndjson; charset=ISO-8859-1"}, "header.content-type"),
    ({"content-type": "application/x-ndjson; charset=utf-16"}, "header.content-type"),  # JSON is UTF-8
    ({"content-type": "text/csv; charset=utf-16le"}, "header.content-type"),  # with no byte order mark
])
def test_an_unreadable_body_type_is_refused_with_415(importer: TestClient, headers: dict[str, str],
                                                     field: str) -> None:
    response = importer.post("/v1/imports", content=b"{}\n", headers=headers)

    assert response.status_code == 415
    assert response.json()["error"]["details"][0]["field"] == field
    assert importer.get("/v1/imports").json()["imports"] == []


@pytest.mark.parametrize(("content_type", "name"), [
    ("text/csv; charset=UTF-8", "Müller"), ("text/csv;charset=utf8", "Müller"),
    ("text/csv; charset=us-ascii", "Muller"), ("text/csv; charset*=utf-8''utf-8", "Müller"),  # RFC 2231
])
def test_a_body_declared_utf_8_is_read(importer: TestClient, content_type: str, name: str) -> None:
    body = f"source,source_record_id,last_name\ncrm,1,{name}\n".encode()
    job = run_import(importer, body, {"content-type": content_type})

    assert job["state"] == "succeeded", job
    assert importer.get("/v1/records/crm/1").json()["raw"]["last_name"] == name


def test_a_body_over_the_import_limit_is_refused_and_leaves_no_job(make_client: MakeClient, tmp_path: Path) -> None:
    client = make_client(import_dir=tmp_path / "spool", max_import_bytes=1000)

    declared = client.post("/v1/imports", content=ndjson(people(40)), headers=NDJSON)
    streamed = client.post("/v1/imports", content=iter([ndjson(people(20)), ndjson(people(20))]), headers=NDJSON)

    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert client.get("/v1/imports").json()["imports"] == []
    assert list((tmp_path / "spool").glob("*")) == []


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_a_line_longer_than_one_record_may_be_is_rejected_and_the_job_goes_on(make_client: MakeClient,
                                                                                tmp_path: Path, fmt: str) -> None:
    client = make_client(import_dir=tmp_path / "spool", import_workers=1, max_body_bytes=4096)
    good = people(2)
    if fmt == "ndjson":
        body = ndjson(good[:1]) + b'{"source": "shop", "first_name": "' + b"a" * 8000 + b'"}\n' + ndjson(good[1:])
    else:
        body = ("source,source_record_id,first_name,last_name\n" + f"shop,o0,{good[0]['first_name']},Last0\n"
                + "shop,long," + "a" * 8000 + ",X\n" + f"shop,o1,{good[1]['first_name']},Last1\n").encode()
    job = run_import(client, body, NDJSON if fmt == "ndjson" else CSV)

    assert job["state"] == "succeeded", job
    assert (job["counts"]["accepted"], job["counts"]["rejected"]) == (2, 1)
    errors = errors_of(client, job["id"])
    assert [e["line"] for e in errors] == [2 if fmt == "ndjson" else 3]
    assert "longer than 4,096" in errors[0]["errors"][0]["reason"]
    assert client.get("/v1/records/shop/o1").status_code == 200


def test_a_csv_cell_past_the_csv_module_s_own_cap_is_one_bad_line_not_a_failed_job(importer: TestClient) -> None:
    body = ("source,source_record_id,first_name\nshop,o0,Ann\nshop,o1," + "b" * 200_000 + "\nshop,o2,Bob\n").encode()
    job = run_import(importer, body, CSV)  # the csv module refused cells over 131,072 characters: the job failed

    assert job["state"] == "succeeded", job
    assert (job["counts"]["accepted"], job["counts"]["rejected"]) == (2, 1)
    assert [(e["line"], e["errors"][0]["field"]) for e in errors_of(importer, job["id"])] == [(3, "first_name")]


def test_a_line_nested_past_what_the_parser_can_read_is_one_bad_line(importer: TestClient) -> None:
    deep = b'{"source": "shop", "source_record_id": "deep", "attributes": {"x": ' + b"[" * 3000 + b"]" * 3000 + b"}}\n"
    job = run_import(importer, ndjson(people(1)) + deep + ndjson(people(2)[1:]), NDJSON)  # it failed: RecursionError

    assert job["state"] == "succeeded", job
    assert (job["counts"]["accepted"], job["counts"]["rejected"]) == (2, 1)
    errors = errors_of(importer, job["id"])
    assert [e["line"] for e in errors] == [2]
    assert "nests too deep" in errors[0]["errors"][0]["reason"]


def test_a_csv_header_longer_than_a_line_may_be_fails_the_job_saying_why(make_client: MakeClient,
                                                                           tmp_path: Path) -> None:
    client = make_client(import_dir=tmp_path / "spool", max_body_bytes=4096)
    job = run_import(client, b"source,source_record_id," + b"x" * 8000 + b"\nshop,o1,y\n", CSV)

    assert job["state"] == "failed"
    assert "could not be read" in job["message"]  # not an internal error
    assert "longer than 4,096 characters" in job["message"]


def test_a_corrupt_gzip_body_fails_the_job_and_applies_none_of_it(importer: TestClient, database_url: str) -> None:
    body = gzip.compress(ndjson(people(300)))
    job = run_import(importer, body[: len(body) // 2], {**NDJSON, "content-encoding": "gzip"})

    assert job["state"] == "failed"
    assert "could not be read" in job["message"]
    assert job["counts"]["lines_read"] == job["resume_line"] > 0  # lines were staged up to the resume point
    assert stored_partition(database_url) == []
    with open_engine(database_url) as engine, engine.connect() as connection:  # nor is anything left staged
        assert connection.execute(text("SELECT count(*) FROM import_records")).scalar_one() == 0


def test_applying_reports_the_records_stored_after_each_batch_and_the_job_shows_them(
        importer: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[tuple[int, int, dict[str, Any]]] = []
    write = ApplyProgressFile.write

    def write_and_look(progress: ApplyProgressFile, applied: int, total: int) -> None:
        write(progress, applied, total)
        job_id = progress.path.name.removesuffix(".body.applying")
        seen.append((applied, total, importer.get(f"/v1/imports/{job_id}").json()))

    monkeypatch.setattr(ApplyProgressFile, "write", write_and_look)
    names = [("Anna", "Moretti"), ("Bruno", "Keller"), ("Carla", "Dubois"), ("Dario", "Novak"), ("Elena", "Lindqvist"),
             ("Fabio", "Ortega"), ("Greta", "Hansen"), ("Hugo", "Varga"), ("Ines", "Costa"), ("Jonas", "Berger")]
    strangers = [person(first, last, source="shop", source_record_id=f"o{i}",
                        email=f"{first.lower()}.{last.lower()}@gmail.com") for i, (first, last) in enumerate(names)]
    job = run_import(importer, ndjson(strangers), NDJSON)

    assert job["state"] == "succeeded"
    assert job["records_applied"] is None
    # Ten unrelated people, three records per batch: four batches, counted up to the ten.
    assert [(applied, total) for applied, total, _ in seen] == [(3, 10), (6, 10), (9, 10), (10, 10)]
    for applied, total, shown in seen:
        assert shown["state"] == "running"
        assert shown["phase"] == "applying"
        assert (shown["records_applied"], shown["records_to_apply"]) == (applied, total)
        assert (shown["eta_seconds"] is None) == (applied == total)  # no pace for what follows the last batch
    assert not list((tmp_path / "spool").glob("*.applying*"))


def test_jobs_are_listed_newest_first_and_unknown_ids_answer_404(importer: TestClient) -> None:
    first = run_import(importer, ndjson(people(1)), NDJSON)
    second = run_import(importer, ndjson(people(2)), NDJSON)

    listed = importer.get("/v1/imports").json()["imports"]
    assert [job["id"] for job in listed] == [second["id"], first["id"]]
    assert importer.get("/v1/imports/imp_0123456789abcdef0123").status_code == 404
    assert importer.get("/v1/imports/imp_0123456789abcdef0123/errors").status_code == 404
    assert importer.get("/v1/imports/not-an-id").status_code == 422


def test_a_finished_job_leaves_no_spooled_body(importer: TestClient, tmp_path: Path) -> None:
    run_import(importer, ndjson(people(4)), NDJSON)

    assert list((tmp_path / "spool").glob("*")) == []


def test_exports_stream_every_assignment_and_every_live_profile(importer: TestClient) -> None:
    records = people(5)
    records.append({**records[1], "source": "web", "source_record_id": "w1"})
    run_import(importer, ndjson(records), NDJSON)

    assignments = [json.loads(line) for line in importer.get("/v1/exports/assignments").text.splitlines()]
    profiles = [json.loads(line) for line in importer.get("/v1/exports/profiles").text.splitlines()]

    assert len(assignments) == 6
    for row in assignments:
        stored = importer.get(f"/v1/records/{row['source']}/{row['source_record_id']}").json()
        assert row["profile_id"] == stored["profile_id"]
    assert sorted(p["profile_id"] for p in profiles) == sorted({row["profile_id"] for row in assignments})
    for golden in profiles:
        assert golden == importer.get(f"/v1/profiles/{golden['profile_id']}").json()


@given(lines=st.lists(st.binary(min_size=1, max_size=40).map(lambda b: b + b"\n"), max_size=60),
       size=st.integers(min_value=1, max_value=200))
def test_streamed_lines_are_sent_whole_in_order_in_chunks_cut_once_they_reach_the_size(lines: list[bytes],
                                                                                      size: int) -> None:
    chunks = list(in_chunks(iter(lines), size=size))

    assert b"".join(chunks) == b"".join(lines)
    line_ends = list(accumulate(len(line) for line in lines))
    chunk_ends = list(accumulate(len(chunk) for chunk in chunks))
    assert set(chunk_ends) <= set(line_ends)  # no line is split
    for start, end in zip([0, *chunk_ends], chunk_ends, strict=False):
        # A chunk holds at least the size (but the last) and is cut at the first line end that reaches it.
        assert end - start >= size or end == chunk_ends[-1]
        assert all(inner - start < size for inner in line_ends if start < inner < end)


def test_an_import_counts_its_lines_in_the_metrics(importer: TestClient) -> None:
    run_import(importer, ndjson(people(7)), NDJSON)

    metrics = importer.get("/metrics").text
    assert "throughline_import_records_total 7.0" in metrics


def test_a_whole_dataset_imported_in_large_batches_partitions_like_a_full_resolution(
        make_client: MakeClient, tmp_path: Path, database_url: str) -> None:
    # Batches of thousands of records: PostgreSQL takes their rows through COPY.
    dataset = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "contacts-2k" / "records.ndjson.gz"
    if not dataset.exists():
        pytest.skip(f"the contacts-2k dataset is missing: {dataset}")
    client = make_client(import_dir=tmp_path / "spool", import_workers=1, import_chunk_lines=5000)

    job = run_import(client, dataset.read_bytes(), {**NDJSON, "content-encoding": "gzip"})

    assert job["state"] == "succeeded", job
    assert job["counts"]["records_created"] == job["counts"]["accepted"] > 2000
    assert job["counts"]["profiles_created"] == len(stored_partition(database_url))
    assert stored_partition(database_url) == resolved_partition(database_url)
    assert golden_mismatches(database_url) == []
    stored_keys, expected_keys = index_keys(database_url)
    assert stored_keys == expected_keys
    assert len(feed(client)) == job["counts"]["profiles_created"]


@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                          max_leaves=12))
def test_an_ndjson_line_is_one_line_to_every_line_reader_and_reads_back_as_its_value(value: object) -> None:
    line = json_line(value).encode()

    assert line.endswith(b"\n")
    assert line.decode().splitlines() == [line.decode()[:-1]]  # str.splitlines also breaks at U+2028, U+0085
    assert json.loads(line) == value
