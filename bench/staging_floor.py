"""Print the CPU an import spends on each line before any database work, and the staging time it implies.

An import's worker processes validate, normalize and encode every line (``imports._prepare_rows``:
``RecordIn`` validation, ``normalize_record``, the match form, the content hash, the stored JSON
texts) before the server stages it. That work is spread over the workers, one per core, and no
database work can make staging faster than it. This script runs the same function, in one fresh
process set up as a worker is (``imports._init_worker``: reference data preloaded, caches empty),
over the first ``--lines`` lines of a file, in chunks of ``--chunk`` lines as an import reads them;
it times the process's CPU, not the reading of the file. It then prints the floor that cost sets
for the whole file on ``--cores`` cores: every line's CPU, shared perfectly between the cores.

    .venv/bin/python bench/staging_floor.py --records /tmp/m1/records.ndjson

Nothing here asserts a target: the numbers go in the notes.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import time
from pathlib import Path

from harness import ROOT

from resolvers.config import ResolverConfig
from service import imports, store

DEFAULT_RECORDS = ROOT.parent / "shared" / "datasets" / "contacts-50k" / "records.ndjson.gz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS, help="an NDJSON file, optionally gzipped")
    parser.add_argument("--lines", type=int, default=100_000, help="how many lines, from the first, to prepare")
    parser.add_argument("--chunk", type=int, default=5000, help="lines per call, as an import's chunks")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="cores the floor is shared over")
    args = parser.parse_args()
    with gzip.open(args.records, "rb") if args.records.suffix == ".gz" else args.records.open("rb") as handle:
        lines = [line.rstrip(b"\n") for line in itertools.islice(handle, args.lines)]
        total = len(lines) + sum(1 for _ in handle)
    imports._init_worker(ResolverConfig())
    rows = list(enumerate(lines, start=1))
    rejected = 0
    started = time.process_time()
    for start in range(0, len(rows), args.chunk):
        outcomes = imports._prepare_rows(rows[start:start + args.chunk])
        rejected += sum(not isinstance(outcome, store.StagedRecord) for outcome in outcomes)
    per_line = (time.process_time() - started) / len(rows)
    print(f"{len(rows):,} lines of {args.records} prepared ({rejected:,} rejected): "
          f"{per_line * 1e6:.1f} µs of CPU per line")
    print(f"the whole file ({total:,} lines) on {args.cores} core(s): staging takes at least "
          f"{total * per_line / args.cores:.1f} s of worker CPU time, before any database work")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
