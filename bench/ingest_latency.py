"""Benchmark real-time latency: upserts at a steady rate and lookups by email, against a real server.

1. Loads contacts-50k into a fresh database (SQLite file, or a throwaway PostgreSQL schema with
   ``--postgres URL``), through the service's own ingestion code, then has PostgreSQL count its
   planner statistics as a bulk import does; or, with ``--loaded FILE``, copies a SQLite file an
   earlier run saved with ``--keep FILE``.
2. Starts ``throughline serve`` on that database in a subprocess (``--workers`` uvicorn workers).
3. Sends single upserts at a steady ``--upsert-rate`` per second for ``--seconds`` (open loop: each
   request leaves at its scheduled time whether or not earlier ones have answered, so a slow
   server cannot hide its queueing), then lookups by email at ``--lookup-rate`` per second.
4. Prints p50/p95/p99/max latency and the error count of each phase, and the CPU time the server
   and the client spent per request (they share the cores; PostgreSQL's own processes, which do
   too, are not counted).

Upserts are realistic: a record of a random person of the data set, re-sent by another channel
with a new id (so it joins an existing profile and re-resolves its component).

    .venv/bin/python bench/ingest_latency.py                       # SQLite
    .venv/bin/python bench/ingest_latency.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import json
import random
import shutil
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from harness import ROOT, api_key, cpu_seconds, fresh_database, quantile, running_server
from sqlalchemy import make_url

from resolvers import RecordIn
from resolvers.config import ResolverConfig
from resolvers.normalize.email import normalize_email
from resolvers.normalize.rejection import Rejection
from service import ingest, store
from service.db import make_engine, migrate

_WINDOW = 10.0
DEFAULT_RECORDS = ROOT.parent / "shared" / "datasets" / "contacts-50k" / "records.ndjson.gz"


def _load(url: str, records: list[dict[str, Any]]) -> None:
    """Store the records through the service's ingestion code, 10,000 per transaction."""
    engine = make_engine(url)
    config = ResolverConfig()
    started = time.perf_counter()
    for start in range(0, len(records), 10000):
        chunk = [ingest.prepare(r, RecordIn.model_validate(r), config=config) for r in records[start:start + 10000]]
        ingest.in_transaction(engine, lambda session, chunk=chunk: ingest.apply_change(
            session, upserts=chunk, config=config, with_rows=False))
    # As a bulk import leaves them: PostgreSQL's planner statistics counted (autovacuum would, in
    # time; it is off on some machines, and plans over never-counted tables scan).
    ingest.in_transaction(engine, store.refresh_statistics)
    engine.dispose()
    print(f"loaded {len(records):,} records in {time.perf_counter() - started:.0f} s")


def _at(ordered: list[float], q: float) -> float:
    """Return the ``q`` quantile of sorted latencies in seconds, in milliseconds."""
    return quantile(ordered, q) * 1000


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    return (f"p50 {_at(ordered, 0.50):6.1f} ms  p95 {_at(ordered, 0.95):6.1f} ms  p99 {_at(ordered, 0.99):6.1f} ms  "
            f"max {ordered[-1] * 1000:6.1f} ms")


async def _steady(client: aiohttp.ClientSession, rate: float, seconds: float, request: Any,
                  concurrency: int, server: int) -> tuple[list[float], int]:
    """Send ``request(i)`` at ``rate`` per second for ``seconds``; return latencies and errors.

    Also prints the CPU time the server (process ``server`` and its workers) and this client spent
    per request: both share the machine's cores, so together they say how near it is to saturation
    (on SQLite; a PostgreSQL server's processes share them too, uncounted).

    Open loop: request ``i`` is due at ``i / rate`` and its latency counts from then, so time spent
    waiting for one of the ``concurrency`` connections (a server that cannot keep up) is included
    rather than hidden. Waiting on a semaphore keeps the client cheap on a 2-core machine.
    """
    latencies: list[float] = []
    # By the 10 s window the request was due in: a stall (caches filling at the start, a periodic
    # pause) then shows apart from a steady tail.
    windows: dict[int, list[float]] = defaultdict(list)
    errors = 0
    failures: Counter[str] = Counter()
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int, due: float) -> None:
        nonlocal errors
        async with slots:
            try:
                status = await request(client, i)
            except aiohttp.ClientError as error:  # a dropped connection counts as an error, with its time
                failures[type(error).__name__] += 1
                errors += 1
            else:
                errors += status >= 400
                if status >= 400:
                    failures[str(status)] += 1
        latencies.append(time.perf_counter() - due)
        windows[int((due - begin) // _WINDOW)].append(latencies[-1])

    tasks = []
    # The client's own garbage collections would stall every request in flight and count as the
    # server's latency (a full collection over the loaded records took 95 ms, ten seconds into a
    # phase): the collector waits until the phase is over.
    gc.disable()
    try:
        begin = time.perf_counter()
        server_cpu, client_cpu = cpu_seconds(server), time.process_time()
        for i in range(int(rate * seconds)):
            due = begin + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
    finally:
        gc.enable()
    server_cpu, client_cpu = cpu_seconds(server) - server_cpu, time.process_time() - client_cpu
    print(f"  {len(tasks):,} requests answered in {elapsed:.0f} s: {len(tasks) / elapsed:,.0f}/s achieved; "
          f"CPU per request: server {server_cpu / len(tasks) * 1000:.2f} ms, client "
          f"{client_cpu / len(tasks) * 1000:.2f} ms; cores busy: {(server_cpu + client_cpu) / elapsed:.2f}")
    print(f"  p99 by {_WINDOW:g} s window: "
          + ", ".join(f"{_at(sorted(window), 0.99):.1f}" for _, window in sorted(windows.items())) + " ms")
    if failures:
        print(f"  failures by kind: {dict(failures)}")
    return latencies, errors


async def _run_load(base: str, key: str, records: list[dict[str, Any]], args: argparse.Namespace,
                    server: int) -> None:
    rng = random.Random(7)
    # Only addresses that normalize: a lookup by an invalid one is a 422, which is no latency sample.
    emails = [r["email"] for r in records if "email" in r and not isinstance(normalize_email(r["email"]), Rejection)]
    # aiohttp, not httpx: the client shares the server's two cores, and httpx spent about 4 ms of CPU
    # per request (a whole core at 170 requests/s), which starved the server it was measuring.
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(base_url=base, connector=connector, timeout=timeout,
                                     headers={"Authorization": f"Bearer {key}"}) as client:
        async def upsert(http: aiohttp.ClientSession, i: int) -> int:
            body = {k: v for k, v in rng.choice(records).items() if k not in ("source", "source_record_id")}
            async with http.put(f"/v1/records/bench/{uuid.uuid4().hex}-{i}", json=body) as response:
                await response.read()
                return response.status

        async def lookup(http: aiohttp.ClientSession, i: int) -> int:
            async with http.get("/v1/profiles", params={"email": rng.choice(emails)}) as response:
                await response.read()
                return response.status

        latencies, errors = await _steady(client, args.upsert_rate, args.seconds, upsert, args.concurrency, server)
        print(f"upserts  {args.upsert_rate:5.0f}/s x {args.seconds:.0f} s: {_percentiles(latencies)}  errors {errors}")
        latencies, errors = await _steady(client, args.lookup_rate, args.seconds, lookup, args.concurrency, server)
        print(f"lookups  {args.lookup_rate:5.0f}/s x {args.seconds:.0f} s: {_percentiles(latencies)}  errors {errors}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS)
    parser.add_argument("--postgres", help="PostgreSQL server URL; a throwaway schema is used and dropped")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--upsert-rate", type=float, default=200)
    parser.add_argument("--lookup-rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--loaded", type=Path, help="a SQLite file already holding --records, copied and used "
                        "instead of loading them again (made by an earlier run's --keep)")
    parser.add_argument("--keep", type=Path, help="copy the loaded SQLite database here, before the server starts "
                        "(so without the bench's own upserts)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at most")
    args = parser.parse_args()
    with gzip.open(args.records) as handle:
        records = [json.loads(line) for line in handle]
    with tempfile.TemporaryDirectory() as scratch, fresh_database(args.postgres, Path(scratch)) as database:
        if args.loaded and not args.postgres:
            shutil.copyfile(args.loaded, make_url(database).database or "")
            migrate(database)  # saved by an older version, it may be a revision behind
        else:
            _load(database, records)
        if args.keep and not args.postgres:
            shutil.copyfile(make_url(database).database or "", args.keep)
        key = api_key(database)
        with running_server(database, workers=args.workers) as (process, base):
            print(f"server: {'PostgreSQL' if args.postgres else 'SQLite'}, {args.workers} worker(s)")
            asyncio.run(_run_load(base, key, records, args, process.pid))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
