"""Bulk import jobs: spool the body to disk, stage its records, then apply them all as one change.

A job's life: ``POST /v1/imports`` streams the body into a spool file (never whole in memory)
and stores a ``queued`` job; a runner thread in each server process claims queued jobs and runs
them in two phases:

* **staging** — the runner reads the spool line by line, has worker processes validate and
  normalize chunks of lines, and stages each chunk's records (``import_records``: their stored
  forms and candidate keys; a later line for the same record replaces the earlier one) together
  with its rejected lines, the job's counts and its resume point (the last line read), in one
  short transaction;
* **applying** — once every line is staged, all the staged records are applied in one write
  transaction by ``service.bulk``: resolved together (in the worker processes) with the same
  engine and stored by the same code as ``PUT /v1/records``.

Durability: a server killed mid-import leaves the job ``running`` under its owner (host, process
id and runner); a runner that finds the owner gone — the process is dead, or its lease ran out —
claims the job and carries on: a staging job from the line after its resume point, an applying
job by applying again (the killed transaction left nothing behind). No accepted record is lost,
and none is stored twice (records are keyed by ``source`` and ``source_record_id``; a staged record
whose content is already stored is ``unchanged``). Importing the same file twice changes nothing
the second time for the same reason.

Line numbers count physical lines from 1; for CSV the header is line 1 and a record is numbered
by the line it starts on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import multiprocessing
import os
import socket
import sys
import threading
import time
import uuid
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, AnyStr, Generic, TypeVar, cast

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from resolvers import RecordIn
from resolvers.config import ResolverConfig
from resolvers.csv_rows import ROW_ERROR, CsvHeaderError, LineTooLongError, csv_rows, stream_encoding
from resolvers.gc_tuning import tune_garbage_collector
from resolvers.normalize.record import preload
from resolvers.records import MAX_DEPTH, MAX_RECORD_BYTES, RecordKey
from service import bulk, ingest, store
from service.errors import BusyError, ConflictError, NotFoundError, validation_details
from service.progress import ApplyProgressFile, remove_apply_progress
from service.tables import ImportErrorRow, ImportRow

__all__ = ["COUNT_NAMES", "FORMATS", "ImportRunner", "JobSettings", "LineTooLongError", "cancel_job", "create_job",
           "delete_job", "exclude_erased", "job_errors", "new_spool_path", "read_rows", "remove_cut_off_uploads",
           "remove_spool", "upload_path"]

log = logging.getLogger(__name__)

FORMATS = {"application/x-ndjson": "ndjson", "application/ndjson": "ndjson", "application/jsonl": "ndjson",
           "text/csv": "csv"}
COUNT_NAMES = ("lines_read", "accepted", "rejected", "duplicates", "erased", "records_created", "records_updated",
               "records_unchanged", "profiles_created", "profiles_merged", "bytes_read")
_HOST = socket.gethostname()[:100]
_MAX_VALUE = 200

T = TypeVar("T")
Row = tuple[int, bytes | dict[str, Any]]
Outcome = store.StagedRecord | tuple[int, list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class JobSettings:
    """How a runner works: spools' place, lines per transaction, worker processes, lease, apply cache, longest line."""

    spool_dir: Path
    chunk_lines: int = 5000
    workers: int = 1
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    orphan_seconds: float = 3600.0  # an upload's body unwritten this long was cut off: it is deleted
    apply_cache_mib: int = 64
    max_line_bytes: int = MAX_RECORD_BYTES  # a longer line is rejected unread (``read_rows``)


# --- creating a job -------------------------------------------------------------------------------

def create_job(engine: Engine, *, spool: Path, fmt: str, encoding: str, size: int) -> ImportRow:
    """Store a queued job for a body already spooled to ``spool``."""
    now = ingest.utc_now()
    job = ImportRow(id=spool.stem, state="queued", format=fmt, encoding=encoding, spool=str(spool), bytes=size,
                    counts=json.dumps(dict.fromkeys(COUNT_NAMES, 0)), resume_line=0, created_at=now, updated_at=now)
    with Session(engine, expire_on_commit=False) as session:
        session.add(job)
        session.commit()
    return job


def cancel_job(session: Session, *, job_id: str) -> tuple[ImportRow, bool]:
    """Cancel a job that has not begun applying, in the open write transaction; drop what it staged.

    Return the job and whether this cancelled it (a cancelled job is answered as it is). Its runner,
    if one is on it, stops at its next chunk: the job is no longer its own (``_owned``). The caller
    removes the spool once this commits (``remove_spool``). Raises ``NotFoundError`` for an unknown
    job, ``ConflictError`` for one that ended or is applying.
    """
    job = session.get(ImportRow, job_id)
    if job is None:
        raise NotFoundError(f"no import has id {job_id}")
    if job.state == "cancelled":
        return job, False
    if job.state in ("succeeded", "failed"):
        raise ConflictError(f"the import has ended ({job.state}): there is nothing to cancel")
    if job.state == "running" and job.phase == "applying":
        raise ConflictError("the import is applying its records, all in one transaction: it can no longer be "
                            "cancelled, and it stores all of them or none")
    now = ingest.utc_now()
    job.state, job.owner, job.lease_until, job.finished_at, job.updated_at = "cancelled", None, None, now, now
    job.erased_keys = None
    job.message = f"cancelled by request after line {job.resume_line}; none of its lines was applied"
    store.delete_staged(session, import_id=job_id)
    session.add(job)
    return job, True


def exclude_erased(session: Session, *, keys: Sequence[RecordKey]) -> None:
    """Keep records being erased out of every import that has not ended, in the erasure's write transaction.

    A file sent before an erasure would otherwise store the records again (ARCHITECTURE.md, property
    7): their staged rows are deleted now, and each job skips their lines it has not staged yet
    (``erased_keys``, cleared when the job ends). Both count as ``erased``.
    """
    if not keys:
        return
    jobs = list(session.scalars(select(ImportRow).where(col(ImportRow.state).in_(("queued", "running")))))
    if not jobs:
        return
    removed = store.unstage(session, import_ids=[job.id for job in jobs], keys=keys)
    for job in jobs:
        erased = {(source, record_id) for source, record_id in json.loads(job.erased_keys or "[]")} | set(keys)
        job.erased_keys = json.dumps(sorted(erased))
        counts: Counter[str] = Counter(json.loads(job.counts))
        counts["erased"] += removed.get(job.id, 0)
        job.counts = json.dumps({name: counts[name] for name in COUNT_NAMES})
        session.add(job)


def delete_job(session: Session, *, job_id: str) -> ImportRow:
    """Delete an ended job and its rejected lines (they hold the values that were refused), in the open transaction.

    Raises ``NotFoundError`` for an unknown job, ``ConflictError`` for one not ended (cancel it first).
    """
    job = session.get(ImportRow, job_id)
    if job is None:
        raise NotFoundError(f"no import has id {job_id}")
    if job.state not in ("succeeded", "failed", "cancelled"):
        raise ConflictError(f"the import is {job.state}: cancel it first (POST /v1/imports/{job_id}/cancel)")
    connection = session.connection()
    connection.execute(delete(ImportErrorRow).where(col(ImportErrorRow.import_id) == job_id))
    store.delete_staged(session, import_id=job_id)  # none, unless a job failed before it could drop them
    connection.execute(delete(ImportRow).where(col(ImportRow.id) == job_id))
    return job


def remove_spool(spool: Path) -> None:
    """Delete a job's spooled body (every line sent) and its applying progress file, once the job needs them no more."""
    spool.unlink(missing_ok=True)
    remove_apply_progress(spool)


def upload_path(spool: Path) -> Path:
    """Return where a job's body is written while it is uploaded, before it is the job's spool (``spool``)."""
    return spool.with_name(spool.name + ".part")


def remove_cut_off_uploads(*, spool_dir: Path, idle_seconds: float) -> list[Path]:
    """Delete the bodies of uploads that nothing has written for ``idle_seconds``; return them.

    An upload cut off by a crash of its server leaves its body (every line sent, personal values
    included), and nothing else would ever delete it. An upload is written beside the spool
    (``upload_path``) and becomes the spool only once whole, so no job's body is ever among them,
    whichever database it belongs to (servers of several databases may share the directory).
    """
    cutoff = time.time() - idle_seconds
    removed = []
    for path in spool_dir.glob("imp_*.body.part"):
        with suppress(OSError):  # gone meanwhile: its upload ended
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
                log.warning("deleted the body of an upload cut off %.0f s ago: %s", idle_seconds, path.name)
    return removed


def new_spool_path(spool_dir: Path) -> Path:
    """Return the path of a new job's spool file (its stem is the job id)."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    return spool_dir / f"imp_{uuid.uuid4().hex[:20]}.body"


def job_errors(session: Session, *, job_id: str, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Yield the rejected lines of a job in line order, a batch of rows at a time."""
    after = 0
    while True:
        statement = (select(ImportErrorRow).where(col(ImportErrorRow.import_id) == job_id,
                                                  col(ImportErrorRow.line) > after)
                     .order_by(col(ImportErrorRow.line)).limit(batch))
        rows = list(session.scalars(statement))
        for row in rows:
            yield {"line": row.line, "errors": json.loads(row.details)}
        if len(rows) < batch:
            return
        after = rows[-1].line


# --- reading a spool ------------------------------------------------------------------------------

def _binary(raw: IO[bytes], encoding: str) -> IO[bytes]:
    return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")) if encoding == "gzip" else raw


class _Lines(Generic[AnyStr]):
    """The lines of a stream (with their ends), each read only up to ``limit`` ``unit`` (bytes or characters).

    A line ends at one of ``ends``; its length is counted without the line break (``newline``'s
    characters). A longer line is read past in pieces and raises ``LineTooLongError`` in its
    place; the next call goes on with the line after it. ``count`` is how many lines were read,
    that one included. A file without line ends (or with ends the reader does not split on) is so
    never held whole.
    """

    def __init__(self, readline: Callable[[int], AnyStr], *, limit: int, ends: tuple[AnyStr, ...], newline: AnyStr,
                 unit: str) -> None:
        self._readline: Callable[[int], AnyStr] = readline
        self._ends: tuple[AnyStr, ...] = ends
        self._newline: AnyStr = newline
        self.limit, self.unit = limit, unit
        self.count = 0
        self._cut_at_cr = False  # a long line was read past up to a CR whose LF may follow

    def __iter__(self) -> _Lines[AnyStr]:
        return self

    def __next__(self) -> AnyStr:
        asked = self.limit + len(self._newline)
        line = self._readline(asked)
        if self._cut_at_cr and line == self._newline[1:]:  # the LF of a CRLF the last piece ended inside
            line = self._readline(asked)
        self._cut_at_cr = False
        if not line:
            raise StopIteration
        self.count += 1
        # Whole (it ends, or the stream does) and within the limit once its line break is left out.
        if (line.endswith(self._ends) or len(line) < asked) and len(line.rstrip(self._newline)) <= self.limit:
            return line
        while line and not line.endswith(self._ends):
            line = self._readline(_SKIP_PIECE)
        self._cut_at_cr = line.endswith(self._newline[:1])
        raise LineTooLongError(f"line {self.count} is longer than {self.limit:,} {self.unit}")


_SKIP_PIECE = 65536
# What a read and the csv module's cap can take (a C long, an index): a larger configured limit is this.
_LONGEST_LINE = sys.maxsize // 2


def _too_long(lines: _Lines[Any]) -> str:
    return (f"the line is longer than {lines.limit:,} {lines.unit}, the most one record may take "
            "(as for PUT /v1/records); it was not read")


def read_rows(raw: IO[bytes], *, fmt: str, encoding: str, max_line: int = MAX_RECORD_BYTES) -> Iterator[Row]:
    """Yield ``(line number, row)``: raw NDJSON lines, or CSV rows as record bodies (or an error dict).

    A line longer than ``max_line`` bytes (characters, for CSV) is an error row, read past without
    being held; so is a CSV row that cannot be read (``resolvers.csv_rows``). The rows after it are
    read on. A CSV header that cannot be read raises: no row can be read without it.
    """
    binary = _binary(raw, encoding)
    max_line = min(max_line, _LONGEST_LINE)
    if fmt == "ndjson":
        if (charset := stream_encoding(binary)) != "utf-8-sig":
            raise UnicodeError(f"NDJSON must be UTF-8 and this body starts with a {charset.upper()} byte order mark; "
                               f"convert it (iconv -f {charset.upper()} -t UTF-8) and send it again")
        start = binary.tell()
        if binary.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:  # as Windows tools write UTF-8: skipped
            binary.seek(start)
        lines = _Lines(binary.readline, limit=max_line, ends=(b"\n",), newline=b"\r\n", unit="bytes")
        while True:
            try:
                line = next(lines)
            except StopIteration:
                return
            except LineTooLongError:
                yield lines.count, {ROW_ERROR: _too_long(lines)}
                continue
            if line.strip():
                yield lines.count, line
    # Bytes that are not text stay in the row as lone surrogates (``_parse`` rejects its line).
    charset = stream_encoding(binary)
    text = io.TextIOWrapper(binary, encoding=charset, newline="",
                            errors="surrogateescape" if charset == "utf-8-sig" else "surrogatepass")
    try:
        text_lines = _Lines(text.readline, limit=max_line, ends=("\n", "\r"), newline="\r\n", unit="characters")
        yield from csv_rows(text_lines, too_long=_too_long(text_lines))
    finally:
        # Closing the text layer (as it does when it is dropped) would close the caller's stream, whose
        # position the caller reads after the last row (a plain CSV import failed at its end for it).
        # A reading stopped part-way may find the stream closed already: there is nothing to detach.
        if not text.closed:
            text.detach()


# --- validating and normalizing chunks (in worker processes) --------------------------------------

_WORKER_CONFIG: list[ResolverConfig] = []


def _init_worker(config: ResolverConfig) -> None:
    _WORKER_CONFIG[:] = [config]
    preload()
    tune_garbage_collector()


def _detail(field: str, value: Any, reason: str) -> dict[str, Any]:
    text = None if value is None else str(value)[:_MAX_VALUE]
    return {"field": field, "value": text, "reason": reason}


def _has_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_surrogates(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_surrogates(v) for v in value)
    return False


def _parse(row: bytes | dict[str, Any]) -> dict[str, Any] | list[dict[str, Any]]:
    """Return the record body of one row, or its errors."""
    if isinstance(row, dict):
        if ROW_ERROR in row:
            return [_detail("line", None, str(row[ROW_ERROR]))]
        if _has_surrogates(row):
            return [_detail("line", None, "the line is not valid UTF-8 (nor valid UTF-16 or UTF-32, in a CSV that "
                                          "starts with their byte order mark)")]
        return row
    try:
        body = json.loads(row)
    except UnicodeDecodeError:
        return [_detail("line", None, "the line is not valid UTF-8")]
    except ValueError as error:
        return [_detail("line", None, f"not valid JSON: {error}")]
    except RecursionError:
        return [_detail("line", None, f"the JSON nests too deep to read (a record nests {MAX_DEPTH} levels at most)")]
    if not isinstance(body, dict):
        return [_detail("line", None, f"a record is a JSON object, not {type(body).__name__}")]
    return body


def _prepare_rows(rows: Sequence[Row]) -> list[Outcome]:
    """Validate and normalize rows; return each line's record as staged, or ``(line, errors)``."""
    config = _WORKER_CONFIG[0]
    results: list[Outcome] = []
    for number, row in rows:
        body = _parse(row)
        if isinstance(body, list):
            results.append((number, body))
            continue
        try:
            # A JSON line is validated as JSON: only its free-form attributes then need the check for
            # values JSON cannot hold, where a mapping (a CSV row) needs it for every field.
            record = RecordIn.model_validate(body) if isinstance(row, dict) else RecordIn.model_validate_json(row)
        except ValidationError as error:
            results.append((number, [d.model_dump() for d in validation_details(error.errors())]))
            continue
        prepared = ingest.prepare(body, record, config=config, with_facts=False)
        # Plain text and numbers: cheap to send back from a worker process.
        results.append(store.StagedRecord(
            line=number, source=record.source, source_record_id=record.source_record_id,
            content_hash=prepared.content_hash, raw=prepared.raw, observed_at=prepared.observed_at,
            normalized=prepared.normalized, match=prepared.match_json, keys=orjson.dumps(prepared.keys).decode()))
    return results


def _chunked(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- running jobs ---------------------------------------------------------------------------------

def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_gone(owner: str | None, *, live_runners: set[str]) -> bool:
    """Return whether the runner named ``owner`` (``host:pid:runner``) is known to be gone."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text, _, runner = rest.partition(":")
    if host != _HOST or not pid_text.isdigit():
        return False  # another machine's runner: only its lease tells
    pid = int(pid_text)
    if pid == os.getpid():
        return runner not in live_runners
    return not _pid_alive(pid)


class _DisownedError(RuntimeError):
    """The job this runner was running is no longer its own: it was cancelled, or another runner took it over."""


_LIVE_RUNNERS: set[str] = set()  # the runners alive in this process (a process may start and stop several)


class ImportRunner:
    """A thread that claims import jobs and runs them one at a time, until ``stop``."""

    def __init__(self, *, engine: Engine, config: ResolverConfig, settings: JobSettings,
                 on_chunk: Callable[[int, float], None] | None = None) -> None:
        self.engine = engine
        self.config = config
        self.settings = settings
        self.on_chunk = on_chunk
        self._runner_id = uuid.uuid4().hex[:8]
        self.name = f"{_HOST}:{os.getpid()}:{self._runner_id}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        _LIVE_RUNNERS.add(self._runner_id)
        self._thread = threading.Thread(target=self._loop, name="throughline-imports", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for work now (a job was just queued)."""
        self._wake.set()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the chunk in hand; a job left unfinished goes back to the queue."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        _LIVE_RUNNERS.discard(self._runner_id)

    def _loop(self) -> None:
        swept = 0.0
        while not self._stop.is_set():
            try:
                job_id = self.claim()
                if job_id is not None:
                    self.run(job_id)
                    continue
                if time.monotonic() - swept > self.settings.orphan_seconds / 10:
                    swept = time.monotonic()
                    remove_cut_off_uploads(spool_dir=self.settings.spool_dir, idle_seconds=self.settings.orphan_seconds)
            except Exception:  # keep the runner alive; the job itself records its failure
                log.exception("import runner error")
            self._wake.wait(self.settings.poll_seconds)
            self._wake.clear()

    def claim(self) -> str | None:
        """Take the oldest queued job, or one whose owner is gone; return its id.

        A read-only look comes first, so an idle poll never takes the write lock; the claim itself
        runs as a write transaction (``ingest.in_transaction``: writers one at a time), so two
        runners never take the same job.
        """
        with Session(self.engine) as session:
            if not any(self._claimable(job, now=ingest.utc_now()) for job in session.scalars(self._candidates())):
                return None
        try:
            return ingest.in_transaction(self.engine, self._claim)
        except BusyError:
            return None  # another write holds the lock for long (a job applying): look again later

    @staticmethod
    def _candidates() -> SelectOfScalar[ImportRow]:
        return (select(ImportRow).where(col(ImportRow.state).in_(("queued", "running")))
                .order_by(col(ImportRow.created_at)))

    @staticmethod
    def _claimable(job: ImportRow, *, now: datetime) -> bool:
        if job.state == "queued":
            return True
        expired = job.lease_until is not None and job.lease_until < now
        return expired or _owner_gone(job.owner, live_runners=_LIVE_RUNNERS)

    def _claim(self, session: Session) -> str | None:
        now = ingest.utc_now()
        for job in session.scalars(self._candidates()):
            if not self._claimable(job, now=now):
                continue
            job.state, job.owner, job.updated_at = "running", self.name, now
            job.lease_until = now + timedelta(seconds=self.settings.lease_seconds)
            job.started_at = job.started_at or now
            session.add(job)
            return job.id
        return None

    def run(self, job_id: str) -> None:
        """Run a claimed job from where it stands to the end (or until ``stop``)."""
        with Session(self.engine) as session:
            job = session.get(ImportRow, job_id)
            if job is None:
                return
            spool, fmt, encoding, resume, phase = Path(job.spool), job.format, job.encoding, job.resume_line, job.phase
        if phase == "staging" and not spool.exists():
            # What was staged is dropped with the failed job: none of the file was applied.
            self._finish(job_id, spool=spool, state="failed",
                         message=f"the spooled body is gone (lost after line {resume} was read); none of its lines "
                                 "was applied: send the whole file again")
            return
        try:
            finished = self._process(job_id, spool=spool, fmt=fmt, encoding=encoding, resume=resume, phase=phase)
        except _DisownedError:
            log.info("import %s: no longer this runner's (cancelled, or taken over after its lease ran out)", job_id)
            return
        # A CSV header too long to read or naming a column twice, a UTF-16 body cut inside a character,
        # NDJSON in UTF-16, a gzip stream with a corrupt block (zlib.error, no OSError).
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error, csv.Error, LineTooLongError, CsvHeaderError,
                UnicodeError) as error:
            self._finish(job_id, spool=spool, state="failed",
                         message=f"the body could not be read ({type(error).__name__}: {str(error)[:200]}); the "
                                 "lines up to the resume point were read, none is applied")
            return
        except Exception as error:
            log.exception("import %s failed", job_id)
            self._finish(job_id, spool=spool, state="failed",
                         message=f"internal error ({type(error).__name__}); no line of it was applied; retry by "
                                 "re-importing the file")
            return
        if finished:
            self._finish(job_id, spool=spool, state="succeeded", message=None)
        else:
            self._release(job_id)

    def _process(self, job_id: str, *, spool: Path, fmt: str, encoding: str, resume: int, phase: str) -> bool:
        """Stage the spool's lines after line ``resume`` (unless done), then apply; return whether it finished."""
        workers = max(1, self.settings.workers)
        ahead = 2 * workers
        if workers == 1:
            _init_worker(self.config)
            if phase == "staging" and not self._stage(job_id, spool=spool, fmt=fmt, encoding=encoding, resume=resume,
                                                      prepare=lambda chunks: map(_prepare_rows, chunks)):
                return False
            self._apply(job_id, spool=spool, resolve_all=bulk.resolve_with(self.engine))
            return True
        context = multiprocessing.get_context("spawn")  # never fork a threaded server process
        if phase == "staging":
            with context.Pool(workers, initializer=_init_worker, initargs=(self.config,)) as pool:
                if not self._stage(job_id, spool=spool, fmt=fmt, encoding=encoding, resume=resume,
                                   prepare=lambda chunks: bulk.bounded_map(pool, _prepare_rows, chunks, ahead=ahead)):
                    return False
        # Fresh processes: the staging workers' caches of normalized values are of no use to resolving.
        with context.Pool(workers, initializer=tune_garbage_collector) as pool:
            self._apply(job_id, spool=spool,
                        resolve_all=lambda tasks: bulk.bounded_map(pool, bulk.resolve_task, tasks, ahead=ahead))
        return True

    def _stage(self, job_id: str, *, spool: Path, fmt: str, encoding: str, resume: int,
               prepare: Callable[[Iterator[list[Row]]], Iterator[list[Outcome]]]) -> bool:
        """Stage the spool's lines after line ``resume``; return whether its end was reached.

        Each chunk is staged with how far the spool had been read when it was cut, not when it is
        staged: with worker processes the reader runs a few chunks ahead of staging.
        """
        with spool.open("rb") as raw:
            rows = (row for row in read_rows(raw, fmt=fmt, encoding=encoding, max_line=self.settings.max_line_bytes)
                    if row[0] > resume)
            read_to: deque[int] = deque()

            def cut(chunks: Iterator[list[Row]]) -> Iterator[list[Row]]:
                for chunk in chunks:
                    read_to.append(raw.tell())
                    yield chunk

            return self._stage_all(job_id, prepare(cut(_chunked(rows, self.settings.chunk_lines))), read_to.popleft)

    def _apply(self, job_id: str, *, spool: Path, resolve_all: bulk.ResolveAll) -> None:
        """Apply the job's staged records in one write transaction, reporting progress beside the spool."""
        started = time.perf_counter()
        progress = ApplyProgressFile(spool)
        worked: list[float] = []

        def work(session: Session) -> None:
            self._apply_job(session, job_id=job_id, resolve_all=resolve_all, on_progress=progress.write)
            worked.append(time.perf_counter())

        try:
            # Every row the apply writes refers to a row it wrote or read in the same transaction: SQLite
            # need not check each key's record (at a million records, 6 million random lookups).
            self._write(work, check_foreign_keys=False)
        finally:
            progress.remove()
        committed = time.perf_counter()
        log.info("import %s: applied in %.1f s, of which the commit took %.1f s", job_id, committed - started,
                 committed - worked[-1])
        self._refresh_statistics()
        if self.on_chunk is not None:
            self.on_chunk(0, time.perf_counter() - started)

    def _refresh_statistics(self) -> None:
        """Refresh the planner's statistics of the record tables; failing costs plans only, never the import."""
        try:
            with Session(self.engine) as session:
                store.refresh_statistics(session)
                session.commit()
        except DBAPIError as error:
            log.warning("could not refresh the database statistics after an import (%s)", type(error).__name__)

    def _stage_all(self, job_id: str, prepared: Iterator[list[Outcome]], tell: Callable[[], int]) -> bool:
        """Stage every chunk; return whether the spool's end was reached (False: stopped first)."""
        began = time.perf_counter()
        for outcomes in prepared:
            started = time.perf_counter()
            bytes_read = tell()

            def work(session: Session, outcomes: list[Outcome] = outcomes, bytes_read: int = bytes_read) -> None:
                self._stage_chunk(session, job_id=job_id, outcomes=outcomes, bytes_read=bytes_read)

            self._write(work)
            if self.on_chunk is not None:
                self.on_chunk(len(outcomes), time.perf_counter() - started)
            if self._stop.is_set():
                return False
        self._write(lambda session: self._staged(session, job_id=job_id))
        log.info("import %s: staged in %.1f s", job_id, time.perf_counter() - began)
        return True

    def _write(self, work: Callable[[Session], T], *, check_foreign_keys: bool = True) -> T:
        """Run ``work`` in a write transaction, waiting however long another write holds the lock."""
        while True:
            try:
                return ingest.in_transaction(self.engine, work, check_foreign_keys=check_foreign_keys)
            except BusyError:
                log.info("import runner waiting for the write lock")

    def _owned(self, session: Session, job_id: str) -> ImportRow:
        job = session.get(ImportRow, job_id)
        if job is None or job.owner != self.name:
            raise _DisownedError(f"import {job_id} is no longer owned by this runner")
        return job

    def _save(self, session: Session, job: ImportRow, counts: Counter[str]) -> None:
        job.counts = json.dumps({name: counts[name] for name in COUNT_NAMES})
        now = ingest.utc_now()
        job.updated_at, job.lease_until = now, now + timedelta(seconds=self.settings.lease_seconds)
        session.add(job)

    def _stage_chunk(self, session: Session, *, job_id: str, outcomes: list[Outcome], bytes_read: int) -> None:
        """Stage one chunk's records, rejected lines, counts and resume point in the open transaction."""
        job = self._owned(session, job_id)
        counts: Counter[str] = Counter(json.loads(job.counts))
        erased = {(source, record_id) for source, record_id in json.loads(job.erased_keys or "[]")}
        staged: dict[tuple[str, str], store.StagedRecord] = {}
        errors: list[ImportErrorRow] = []
        for outcome in outcomes:
            if isinstance(outcome, store.StagedRecord):
                key = (outcome.source, outcome.source_record_id)
                if key in erased:  # erased while the job ran (``exclude_erased``)
                    counts["erased"] += 1
                    continue
                staged[key] = outcome  # a later line wins, as upserts would
            else:
                errors.append(ImportErrorRow(import_id=job_id, line=outcome[0], details=json.dumps(outcome[1])))
        store.stage_records(session, import_id=job_id, records=list(staged.values()))
        counts.update({"lines_read": len(outcomes), "accepted": len(outcomes) - len(errors), "rejected": len(errors)})
        counts["bytes_read"] = bytes_read
        session.add_all(errors)
        job.resume_line = outcomes[-1][0]
        self._save(session, job, counts)

    def _staged(self, session: Session, *, job_id: str) -> None:
        """Mark a job whose every line is staged as applying; count the lines a later one superseded."""
        job = self._owned(session, job_id)
        counts: Counter[str] = Counter(json.loads(job.counts))
        counts["duplicates"] = counts["accepted"] - counts["erased"] - store.staged_count(session, import_id=job_id)
        job.phase = "applying"
        self._save(session, job, counts)

    def _apply_job(self, session: Session, *, job_id: str, resolve_all: bulk.ResolveAll,
                   on_progress: Callable[[int, int], None]) -> None:
        """Apply every staged record of the job and count what it did, in the open transaction."""
        job = self._owned(session, job_id)
        counts: Counter[str] = Counter(json.loads(job.counts))
        with store.page_cache(session, mebibytes=self.settings.apply_cache_mib):
            change = bulk.apply_staged(session, import_id=job_id, config=self.config,
                                       batch_records=self.settings.chunk_lines, resolve_all=resolve_all,
                                       on_progress=on_progress)
        counts.update(f"records_{record.status}" for record in change.records)
        # Profiles by id, as a consumer of the feed sees them: new ids (created, or among a split's
        # new_ids), and ids absorbed into another profile.
        events = change.events
        counts.update({"profiles_created": sum(e.type == "profile.created" for e in events)
                       + sum(len(e.related) for e in events if e.type == "profile.split"),
                       "profiles_merged": sum(len(e.related) for e in events if e.type == "profile.merged")})
        self._save(session, job, counts)

    def _finish(self, job_id: str, *, spool: Path, state: str, message: str | None) -> None:
        """End a job and delete its spool; a failed one also drops what it staged (never applied, it holds raw values).

        A job that is no longer this runner's (cancelled meanwhile) is left as it is.
        """
        now = ingest.utc_now()
        statement = (update(ImportRow).where(col(ImportRow.id) == job_id, col(ImportRow.owner) == self.name)
                     .values(state=state, message=message, finished_at=now, updated_at=now, owner=None,
                             lease_until=None, erased_keys=None))

        def work(session: Session) -> bool:
            ended = bool(session.connection().execute(statement).rowcount)
            if ended and state == "failed":
                store.delete_staged(session, import_id=job_id)
            return ended

        if self._write(work):
            remove_spool(spool)

    def _release(self, job_id: str) -> None:
        """Put an unfinished job back in the queue (the server is stopping)."""
        self._update(job_id, state="queued", owner=None, lease_until=None, updated_at=ingest.utc_now())

    def _update(self, job_id: str, **values: Any) -> None:
        """Set columns of a job this runner owns, in a write transaction of its own."""
        statement = (update(ImportRow).where(col(ImportRow.id) == job_id, col(ImportRow.owner) == self.name)
                     .values(**values))
        self._write(lambda session: session.execute(
            statement, execution_options={"synchronize_session": False}))
