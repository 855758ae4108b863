"""Benchmark a bulk import end to end: POST /v1/imports into a fresh database, against a real server.

1. Creates a fresh database (SQLite file, or a throwaway PostgreSQL schema with ``--postgres URL``),
   migrates it and makes an API key.
2. Starts ``python -m service serve`` on it (normalization runs in ``--workers`` processes).
3. Uploads the file (NDJSON or CSV, ``.gz`` sent compressed), follows the job to the end, and
   samples the server's memory (RSS of the server and its worker processes, summed, every 0.2 s).
4. Exports the assignments and compares them with the offline batch resolver's partition of the
   same file (``python -m resolvers resolve``): the same partition scores the same.

Prints upload seconds, job seconds, records/s, peak memory, the job's counts and whether the
partitions agree.

    .venv/bin/python bench/bulk_import.py --records ../shared/datasets/contacts-50k/records.ndjson.gz
    .venv/bin/python bench/bulk_import.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from harness import ROOT, api_key, fresh_database, running_server, tree_stats

from service.db import migrate

DEFAULT_RECORDS = ROOT.parent / "shared" / "datasets" / "contacts-50k" / "records.ndjson.gz"


def _tree_rss(pid: int) -> int:
    """Return the summed resident memory (bytes) of a process and its descendants."""
    return sum(int(fields[21]) for fields in tree_stats(pid)) * os.sysconf("SC_PAGE_SIZE")


def _partition(pairs: list[tuple[tuple[str, str], str]]) -> set[frozenset[tuple[str, str]]]:
    groups: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for key, profile_id in pairs:
        groups[profile_id].add(key)
    return {frozenset(group) for group in groups.values()}


def _batch_partition(path: Path, scratch: Path) -> set[frozenset[tuple[str, str]]]:
    output = scratch / "batch.ndjson"
    subprocess.run([sys.executable, "-m", "resolvers", "resolve", "--input", str(path), "--output", str(output)],
                   cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    return _partition([((r["source"], r["source_record_id"]), r["profile_id"]) for r in rows])


def _run(database: str, args: argparse.Namespace, scratch: Path) -> None:
    key = api_key(database)
    settings = {"THROUGHLINE_IMPORT_DIR": str(scratch / "spool"), "THROUGHLINE_IMPORT_WORKERS": str(args.workers),
                "THROUGHLINE_IMPORT_CHUNK_LINES": str(args.chunk_lines),
                "THROUGHLINE_LOG_LEVEL": args.server_log_level}
    with running_server(database, settings=settings) as (server, base):
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(server.pid))
                time.sleep(0.2)

        threading.Thread(target=sample, daemon=True).start()
        auth = {"Authorization": f"Bearer {key}"}
        name = args.records.name.lower()
        headers = {**auth, "content-type": "text/csv" if ".csv" in name else "application/x-ndjson"}
        if name.endswith(".gz"):
            headers["content-encoding"] = "gzip"
        started = time.perf_counter()
        try:
            with args.records.open("rb") as handle, httpx.Client(base_url=base, timeout=600) as client:
                job: dict[str, Any] = client.post("/v1/imports", content=handle, headers=headers).json()
                uploaded = reported = time.perf_counter()
                while job["state"] in ("queued", "running"):
                    time.sleep(0.5)
                    job = client.get(f"/v1/imports/{job['id']}", headers=auth).json()
                    if time.perf_counter() - reported >= args.report_every:
                        reported = time.perf_counter()
                        applied = (f", {job['records_applied']:,} of {job['records_to_apply']:,} records applied"
                                   if job.get("records_to_apply") else "")
                        eta = f", ETA {job['eta_seconds']:,.0f} s" if job.get("eta_seconds") is not None else ""
                        print(f"  {reported - started:6.0f} s: {job['phase']}, {job['counts']['lines_read']:,} lines "
                              f"read, progress {job['progress']:.1%}{applied}{eta}, peak RSS so far "
                              f"{peak / 2**30:.2f} GiB", flush=True)
                finished = time.perf_counter()
                lines = client.get("/v1/exports/assignments", headers=auth).text.splitlines()
        finally:
            done.set()
    seconds = finished - started
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; file {args.records.name}; "
          f"{args.workers} worker process(es); {args.chunk_lines} lines staged per transaction and records "
          "resolved per batch")
    print(f"state {job['state']}; end to end {seconds:.1f} s (upload {uploaded - started:.1f} s); "
          f"{job['counts']['lines_read'] / seconds:,.0f} lines/s; server peak RSS {peak / 2**30:.2f} GiB")
    print("counts " + json.dumps(job["counts"]))
    if args.compare:
        rows = [json.loads(line) for line in lines]
        imported = _partition([((r["source"], r["source_record_id"]), r["profile_id"]) for r in rows])
        batch = _batch_partition(args.records, scratch)
        print(f"profiles {len(imported):,}; same partition as the batch CLI: {imported == batch}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS)
    parser.add_argument("--postgres", help="PostgreSQL server URL; a throwaway schema is used and dropped")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk-lines", type=int, default=5000, help="THROUGHLINE_IMPORT_CHUNK_LINES for the server")
    parser.add_argument("--report-every", type=float, default=60, help="seconds between progress lines")
    parser.add_argument("--server-log-level", default="WARNING",
                        help="the server's log level (INFO logs how long each step of the import took)")
    parser.add_argument("--no-compare", dest="compare", action="store_false",
                        help="skip the comparison with the batch CLI")
    parser.add_argument("--keep", type=Path, help="import into this new SQLite file and keep it (for bench/region.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.keep:
            if args.keep.exists():
                parser.error(f"{args.keep} exists; --keep makes a new database")
            database = f"sqlite:///{args.keep.resolve()}"
            migrate(database)
            _run(database, args, Path(scratch))
            return 0
        with fresh_database(args.postgres, Path(scratch)) as database:
            _run(database, args, Path(scratch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
