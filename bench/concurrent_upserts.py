"""Concurrency check with real processes: N uvicorn workers on one database, M clients upserting at once.

Starts ``python -m service serve --workers N`` on a throwaway PostgreSQL schema (``--postgres URL``,
the default) or a SQLite file (``--sqlite``), has M concurrent clients upsert every record of the
file (contacts-2k by default) in a random order through ``PUT /v1/records/...``, then compares the
stored partition (``GET /v1/exports/assignments``) with the offline batch resolver's partition of the
same records. Prints the time, the error count, and whether the partitions are identical.

    .venv/bin/python bench/concurrent_upserts.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from harness import ROOT, api_key, fresh_database, running_server

from resolvers.config import ResolverConfig
from resolvers.parallel import normalize_rows, resolve_partition

DEFAULT_RECORDS = ROOT.parent / "shared" / "datasets" / "contacts-2k" / "records.ndjson.gz"
Partition = set[frozenset[tuple[str, str]]]


async def _upsert_all(base: str, key: str, records: list[dict[str, Any]], clients: int) -> int:
    """Upsert every record with ``clients`` concurrent clients; return the number of failed requests."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for record in records:
        queue.put_nowait(record)
    errors = 0

    async def client_loop() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=120,
                                     headers={"Authorization": f"Bearer {key}"}) as client:
            while not queue.empty():
                record = queue.get_nowait()
                body = {k: v for k, v in record.items() if k not in ("source", "source_record_id")}
                response = await client.put(f"/v1/records/{record['source']}/{record['source_record_id']}", json=body)
                if response.status_code != 200:
                    errors += 1
                    print(f"{response.status_code} {response.text[:200]}", file=sys.stderr)

    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return errors


def _stored(base: str, key: str) -> Partition:
    lines = httpx.get(f"{base}/v1/exports/assignments", headers={"Authorization": f"Bearer {key}"},
                      timeout=120).text.splitlines()
    groups: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in map(json.loads, lines):
        groups[row["profile_id"]].add((row["source"], row["source_record_id"]))
    return {frozenset(group) for group in groups.values()}


def _run(database: str, args: argparse.Namespace, records: list[dict[str, Any]], lines: list[str]) -> None:
    key = api_key(database)
    with running_server(database, workers=args.workers) as (_, base):
        order = records[:]
        random.Random(args.seed).shuffle(order)
        started = time.perf_counter()
        errors = asyncio.run(_upsert_all(base, key, order, args.clients))
        seconds = time.perf_counter() - started
        stored = _stored(base, key)
    config = ResolverConfig()
    batch = normalize_rows(lines, config=config)
    expected = {frozenset(cluster) for cluster in resolve_partition(batch.matched, config=config)}
    print(f"{'PostgreSQL' if args.postgres else 'SQLite'}: {args.workers} workers, {args.clients} clients, "
          f"{len(records):,} upserts in {seconds:.1f} s ({len(records) / seconds:,.0f}/s), {errors} errors")
    print(f"profiles stored {len(stored):,}, batch CLI {len(expected):,}; identical partition: {stored == expected}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead of PostgreSQL")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.sqlite:
        args.postgres = None
    lines = [line for line in gzip.decompress(args.records.read_bytes()).decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    with tempfile.TemporaryDirectory() as scratch, fresh_database(args.postgres, Path(scratch)) as database:
        _run(database, args, records, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
