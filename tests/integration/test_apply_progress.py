"""How far an import has come: bytes read per staged chunk, and the applying phase's progress file.

The applying phase reports its progress through a file beside the spool, which the job view reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from resolvers.config import ResolverConfig
from service.db import make_engine
from service.imports import COUNT_NAMES, ImportRunner, JobSettings, Outcome, Row
from service.progress import ApplyProgress, ApplyProgressFile, read_apply_progress
from service.schemas import import_public
from service.tables import ImportRow

NOW = datetime(2026, 12, 7, 12, 0, 0)


def job(spool: Path, *, state: str = "running", phase: str = "applying") -> ImportRow:
    counts = json.dumps({**dict.fromkeys(COUNT_NAMES, 0), "lines_read": 100, "accepted": 100, "bytes_read": 1000})
    return ImportRow(id="imp_x", state=state, phase=phase, format="ndjson", encoding="identity", spool=str(spool),
                     bytes=1000, counts=counts, resume_line=100, created_at=NOW - timedelta(seconds=90),
                     started_at=NOW - timedelta(seconds=90), updated_at=NOW)


def test_the_written_progress_reads_back_and_is_gone_once_removed(tmp_path: Path) -> None:
    spool = tmp_path / "imp_x.body"
    progress = ApplyProgressFile(spool)

    assert read_apply_progress(spool) is None
    progress.write(40, 100)
    progress.write(60, 100)
    assert read_apply_progress(spool) == ApplyProgress(applied=60, total=100, started=progress.started)

    progress.remove()
    assert read_apply_progress(spool) is None
    assert list(tmp_path.iterdir()) == []


def test_a_new_phase_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    spool = tmp_path / "imp_x.body"
    ApplyProgressFile(spool).write(90, 100)

    ApplyProgressFile(spool)

    assert read_apply_progress(spool) is None


@pytest.mark.parametrize("text", ["", "{", "[]", '{"applied": 1}', '{"applied": "x", "total": 2, "started": 0}'])
def test_an_unreadable_progress_file_means_no_progress(tmp_path: Path, text: str) -> None:
    spool = tmp_path / "imp_x.body"
    (tmp_path / "imp_x.body.applying").write_text(text)

    assert read_apply_progress(spool) is None


def test_the_job_view_shows_the_records_applied_and_an_eta_from_them(tmp_path: Path) -> None:
    # 30 s into applying, 250 of 1,000 records stored: 90 s to go at that pace.
    started = NOW.replace(tzinfo=UTC).timestamp() - 30
    shown = import_public(job(tmp_path / "imp_x.body"), now=NOW,
                          applying=ApplyProgress(applied=250, total=1000, started=started))

    assert (shown.records_applied, shown.records_to_apply) == (250, 1000)
    assert shown.eta_seconds == pytest.approx(90.0)
    assert shown.progress == 1.0


@pytest.mark.parametrize("applied", [0, 1000])
def test_before_the_first_batch_and_after_the_last_the_job_view_has_counts_but_no_eta(
        tmp_path: Path, applied: int) -> None:
    # After the last batch the keys are written and the transaction commits, at no pace the batches tell.
    started = NOW.replace(tzinfo=UTC).timestamp() - 30
    shown = import_public(job(tmp_path / "imp_x.body"), now=NOW,
                          applying=ApplyProgress(applied=applied, total=1000, started=started))

    assert (shown.records_applied, shown.records_to_apply) == (applied, 1000)
    assert shown.eta_seconds is None


@pytest.mark.parametrize(("state", "phase"), [("running", "staging"), ("succeeded", "applying"),
                                              ("failed", "applying"), ("queued", "staging")])
def test_only_a_running_applying_job_shows_apply_progress(tmp_path: Path, state: str, phase: str) -> None:
    shown = import_public(job(tmp_path / "imp_x.body", state=state, phase=phase), now=NOW,
                          applying=ApplyProgress(applied=250, total=1000, started=0.0))

    assert (shown.records_applied, shown.records_to_apply) == (None, None)


def test_a_spool_directory_that_is_gone_costs_the_report_only(tmp_path: Path) -> None:
    spool = tmp_path / "gone" / "imp_x.body"
    progress = ApplyProgressFile(spool)

    progress.write(1, 2)
    progress.remove()

    assert read_apply_progress(spool) is None


def test_a_chunk_is_staged_with_the_bytes_read_when_it_was_cut_not_when_it_is_staged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [json.dumps({"source": "shop", "source_record_id": f"o{i}", "first_name": "x" * (i % 50)}).encode() + b"\n"
             for i in range(2000)]
    spool = tmp_path / "imp_x.body"
    spool.write_bytes(b"".join(lines))
    counts = range(100, 2001, 100)  # the last line of each chunk of 100
    ends = [sum(map(len, lines[:count])) for count in counts]
    engine = make_engine(f"sqlite:///{tmp_path / 'unused.db'}")
    runner = ImportRunner(engine=engine, config=ResolverConfig(),
                          settings=JobSettings(spool_dir=tmp_path, chunk_lines=100))
    staged: list[tuple[int, int]] = []

    def stage_all(job_id: str, prepared: Iterator[list[Outcome]], tell: Callable[[], int]) -> bool:
        staged.extend((outcomes[-1][0], tell()) for outcomes in prepared)
        return True

    def all_chunks_first(chunks: Iterator[list[Row]]) -> Iterator[list[Outcome]]:
        # Like a worker pool far ahead of staging: every chunk is read before the first is staged.
        return iter([[(number, []) for number, _ in chunk] for chunk in list(chunks)])

    monkeypatch.setattr(runner, "_stage_all", stage_all)
    runner._stage("imp_x", spool=spool, fmt="ndjson", encoding="identity", resume=0, prepare=all_chunks_first)
    engine.dispose()

    assert staged == list(zip(counts, ends, strict=True))
