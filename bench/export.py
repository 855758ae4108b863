"""Benchmark the exports: stream GET /v1/exports/assignments and /v1/exports/profiles from a real server.

Point it at a database that already holds records, for example one kept by a bulk import:

    .venv/bin/python bench/bulk_import.py --records /tmp/m1/records.ndjson --no-compare --keep /tmp/m1.db
    .venv/bin/python bench/export.py --database sqlite:////tmp/m1.db

Prints, per export, the lines and bytes received, the seconds it took and the rate. Nothing here
asserts a target: the numbers go in the notes.
"""

from __future__ import annotations

import argparse
import time

import httpx
from harness import api_key, running_server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="URL of a migrated database that holds records")
    args = parser.parse_args()
    key = api_key(args.database, scopes=("read",))
    with running_server(args.database) as (_, base), httpx.Client(base_url=base, timeout=600) as client:
        for name in ("assignments", "profiles"):
            started = time.perf_counter()
            lines = size = 0
            with client.stream("GET", f"/v1/exports/{name}", headers={"Authorization": f"Bearer {key}"}) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    lines += 1
                    size += len(line) + 1
            seconds = time.perf_counter() - started
            print(f"{name:12} {lines:>10,} lines  {size / 2**20:8.1f} MiB  {seconds:7.1f} s  "
                  f"{lines / seconds:>9,.0f} lines/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
