"""Benchmark the batch resolver end to end: records/s and peak memory of the whole process tree.

Runs ``python -m resolvers resolve`` on a records file, samples the resident memory of the CLI
and its worker processes every 50 ms (from /proc), and prints the CLI's own timing summary with
the measured wall time and peak memory. Optionally scores the assignments against a truth file
with the data kit's scorer (``../shared/bench``), which stays outside this repository.

    .venv/bin/python bench/resolve.py                       # contacts-50k
    .venv/bin/python bench/resolve.py --records /data/1m/records.ndjson.gz --truth /data/1m/truth.ndjson.gz

Nothing here asserts a target: the numbers go in the notes.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEFAULT = SHARED / "datasets" / "contacts-50k"


def _tree_rss_bytes(pid: int) -> int:
    """Return the memory of ``pid`` and all its descendants.

    Proportional set size (PSS): pages shared between the CLI and its forked workers count once in
    total, where summing resident sizes would count them once per process.
    """
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{current}/task/{current}/children") as children:
                stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=Path, default=DEFAULT / "records.ndjson.gz")
    parser.add_argument("--truth", type=Path, default=None, help="truth file to score against (optional)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    truth = args.truth or (args.records.parent / "truth.ndjson.gz")
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "assignments.ndjson"
        command = [sys.executable, "-m", "resolvers", "resolve", "--input", str(args.records),
                   "--output", str(output), "--workers", str(args.workers)]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        peak = 0

        def sample() -> None:
            nonlocal peak
            while process.poll() is None:
                peak = max(peak, _tree_rss_bytes(process.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = process.communicate()
        sampler.join()
        wall = time.perf_counter() - started
        if process.returncode != 0:
            print(stderr, file=sys.stderr)
            return process.returncode
        summary = json.loads(stderr[stderr.index("{"):])
        print(f"records            {summary['records']:,}")
        print(f"profiles           {summary['profiles']:,} (largest {summary['largest_profile']})")
        print(f"workers            {summary['workers']}")
        print(f"wall seconds       {wall:.1f} (normalizing {summary['seconds_normalizing']}, "
              f"resolving {summary['seconds_resolving']})")
        print(f"records per second {summary['records'] / wall:,.0f}")
        print(f"peak memory        {peak / 2**30:.2f} GiB (CLI and workers together, proportional set size)")
        if truth.exists() and (SHARED / "bench").exists():
            scored = subprocess.run([sys.executable, "-m", "bench.score", "--truth", str(truth), "--pred", str(output)],
                                    cwd=SHARED, capture_output=True, text=True, check=False)
            print(scored.stdout or scored.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
