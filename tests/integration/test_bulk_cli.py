"""``throughline import`` and ``throughline export`` against a real server process, and ``throughline resolve``."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from service import keys
from service.bulk_cli import _fail
from service.cli import app
from service.db import make_engine
from tests.integration.servers import server

RECORDS = [
    {"source": "crm", "source_record_id": "c1", "first_name": "Ada", "last_name": "Byron",
     "email": "ada.byron@example-mail.org"},
    {"source": "shop", "source_record_id": "s1", "first_name": "Ada", "last_name": "Byron",
     "email": "Ada.Byron@Example-Mail.org", "phone": "+39 347 123 4567"},
    {"source": "sms", "source_record_id": "m1", "phone": "+39 347 123 4567"},
    # A line separator (U+2028) in an id: line readers that split like str.splitlines break lines at it.
    {"source": "crm", "source_record_id": "c\u20282", "first_name": "Alan", "last_name": "Turing",
     "email": "alan.turing@example-mail.org"},
]


@pytest.fixture
def records_file(tmp_path: Path) -> Path:
    path = tmp_path / "records.ndjson.gz"
    lines = [json.dumps(r) for r in RECORDS] + ['{"source": "crm"}']
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def test_import_then_export_through_the_cli(sqlite_url: str, tmp_path: Path, records_file: Path) -> None:
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        key = keys.create_key(session, scopes=["read", "write"], name="cli", actor="cli", request_id=None).key
        session.commit()
    engine.dispose()
    runner = CliRunner()
    with server(sqlite_url, tmp_path / "spool") as (_, base):
        imported = runner.invoke(app, ["import", str(records_file), "--url", base, "--api-key", key,
                                       "--errors", str(tmp_path / "errors.ndjson")])
        exported = runner.invoke(app, ["export", "assignments", "--url", base, "--api-key", key,
                                       "-o", str(tmp_path / "assignments.ndjson")])
        refused = runner.invoke(app, ["export", "profiles", "--url", base, "--api-key", "tl_wrong"])
        job_id = json.loads(imported.stdout[imported.stdout.index("{"):])["id"]
        too_late = runner.invoke(app, ["cancel-import", job_id, "--url", base, "--api-key", key])

    assert imported.exit_code == 0, imported.output
    job = json.loads(imported.stdout[imported.stdout.index("{"):])
    assert job["state"] == "succeeded"
    assert (job["counts"]["accepted"], job["counts"]["rejected"]) == (4, 1)
    errors = [json.loads(line) for line in (tmp_path / "errors.ndjson").read_text().splitlines()]
    assert [(e["line"], e["errors"][0]["field"]) for e in errors] == [(5, "source_record_id")]
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in (tmp_path / "assignments.ndjson").read_text().splitlines()]
    profile = {(r["source"], r["source_record_id"]): r["profile_id"] for r in rows}
    assert len(profile) == 4
    assert profile["crm", "c1"] == profile["shop", "s1"] == profile["sms", "m1"] != profile["crm", "c\u20282"]
    assert refused.exit_code == 2
    assert "HTTP 401" in refused.output
    assert too_late.exit_code == 2  # it has ended: there is nothing to cancel
    assert "HTTP 409 conflict: the import has ended (succeeded)" in too_late.output


def test_an_import_left_running_is_cancelled_through_the_cli(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        key = keys.create_key(session, scopes=["read", "write"], name="cli", actor="cli", request_id=None).key
        session.commit()
    engine.dispose()
    big = tmp_path / "big.ndjson"  # seconds of staging: the cancel, sent at once, finds it queued or staging
    big.write_text("".join(json.dumps({"source": "crm", "source_record_id": f"r{i}", "first_name": "Ada",
                                       "email": f"ada{i}@example-mail.org"}) + "\n" for i in range(30_000)))
    runner = CliRunner()
    with server(sqlite_url, tmp_path / "spool") as (_, base):
        started = runner.invoke(app, ["import", str(big), "--url", base, "--api-key", key, "--no-wait"])
        job_id = json.loads(started.stdout[started.stdout.index("{"):])["id"]
        cancelled = runner.invoke(app, ["cancel-import", job_id, "--url", base, "--api-key", key])

    assert started.exit_code == 0, started.output
    assert cancelled.exit_code == 0, cancelled.output
    assert json.loads(cancelled.stdout)["state"] == "cancelled"


def test_import_refuses_a_file_it_cannot_name_the_format_of(tmp_path: Path) -> None:
    path = tmp_path / "records.txt"
    path.write_text("{}\n")

    result = CliRunner().invoke(app, ["import", str(path), "--api-key", "tl_x"])

    assert result.exit_code == 2
    assert ".ndjson, .jsonl or .csv" in result.output


def test_resolve_runs_the_offline_batch_resolver(tmp_path: Path, records_file: Path) -> None:
    output = tmp_path / "assignments.csv"

    result = CliRunner().invoke(app, ["resolve", "--input", str(records_file), "--output", str(output),
                                      "--workers", "1"])

    assert result.exit_code == 0, result.output
    with output.open(newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["source", "source_record_id", "profile_id"]
    assert len(lines) == 5


def test_a_server_that_cannot_be_reached_is_said_so_with_exit_code_3(tmp_path: Path, records_file: Path) -> None:
    nowhere = ["--url", "http://127.0.0.1:9", "--api-key", "tl_x_y"]  # the discard port: nothing listens
    runner = CliRunner()

    results = [runner.invoke(app, ["import", str(records_file), *nowhere]),
               runner.invoke(app, ["export", "profiles", *nowhere, "-o", str(tmp_path / "profiles.ndjson")]),
               runner.invoke(app, ["cancel-import", "imp_0123456789abcdef0123", *nowhere])]

    for result in results:
        assert result.exit_code == 3, result.output
        assert "could not talk to the server at http://127.0.0.1:9: ConnectError" in result.output
        assert "Traceback" not in result.output


def test_a_refusal_prints_each_detail_of_the_servers_error(capsys: pytest.CaptureFixture[str]) -> None:
    body = {"error": {"code": "invalid_request", "message": "the lookup value cannot be used",
                      "details": [{"field": "email", "value": "nope", "reason": "not an email address"}]}}

    exit_code = _fail(httpx.Response(422, json=body)).exit_code

    assert exit_code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: HTTP 422 invalid_request: the lookup value cannot be used",
        '  email: not an email address (value: "nope")',
    ]


@pytest.mark.parametrize(("arguments", "said"), [
    (["--input", "{tmp}/missing.ndjson", "--output", "{tmp}/out.ndjson"], "--input {tmp}/missing.ndjson: no such file"),
    (["--input", "{records}", "--output", "{tmp}/no/out.ndjson"], "no such directory {tmp}/no"),
    (["--input", "{records}", "--output", "{tmp}/out.ndjson", "--default-region", "XX"],
     "--default-region XX: not a region code"),
])
def test_resolve_refuses_arguments_it_cannot_use_with_exit_code_2(tmp_path: Path, records_file: Path,
                                                                  arguments: list[str], said: str) -> None:
    filled = [a.format(tmp=tmp_path, records=records_file) for a in arguments]

    result = CliRunner().invoke(app, ["resolve", *filled])

    assert result.exit_code == 2, result.output
    assert said.format(tmp=tmp_path) in result.output
    assert "Traceback" not in result.output
