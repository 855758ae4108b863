"""Print how many records ``normalize_record`` normalizes per second, on one core, caches empty.

One fresh single-threaded process, one pass over the file: each JSON line is parsed with
``RecordIn.model_validate_json`` and normalized with ``normalize_record``; both are timed,
reading and decompressing the file is not. No value is seen before the timed pass, so every
cache of normalized values starts empty. The reference data (CLDR country names, libphonenumber's
metadata and patterns) is loaded first with ``preload()``, as the server and each import worker
do at start-up; its time is printed apart, and a rate with it counted in too.

The pass runs ``--passes`` times (default 5), each in a fresh process, and every rate is printed
with their median and best: on a shared machine one pass can be a third slower than the next for
reasons outside the code, so compare medians or bests of runs made one after the other.

A per-normalizer breakdown follows, measured in one more fresh process whose normalizers are
wrapped in timers (the wrappers cost a little, so its total is not the headline number).
Nothing here asserts on timings.

Run from the repository root: ``.venv/bin/python bench/normalize.py [--records PATH] [--passes N]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_RECORDS = Path("../shared/datasets/contacts-50k/records.ndjson.gz")
DEFAULT_REGION = "US"
# The normalizers ``resolvers.normalize.record`` calls, by the name it imports them under.
NORMALIZERS = ("normalize_email", "normalize_phone", "normalize_name", "normalize_company", "normalize_address",
               "normalize_linkedin", "normalize_handle", "normalize_date_of_birth", "country_code")


def read_lines(path: Path) -> list[str]:
    """Return the non-blank lines of an ``.ndjson`` or ``.ndjson.gz`` file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [line for line in handle if line.strip()]


def timed_preload() -> float:
    """Load the reference data as a server does at start-up; return the seconds it took."""
    from resolvers.normalize.record import preload

    start = time.perf_counter()
    preload()
    return time.perf_counter() - start


def timed_pass(lines: list[str], *, default_region: str) -> tuple[float, float]:
    """Parse and normalize every line once; return the elapsed wall-clock and CPU seconds."""
    # Imported here, after ``main`` has put the repository on the path; importing is not timed.
    from resolvers.normalize.record import normalize_record
    from resolvers.records import RecordIn

    validate = RecordIn.model_validate_json
    start, start_cpu = time.perf_counter(), time.process_time()
    for line in lines:
        normalize_record(validate(line), default_region=default_region)
    return time.perf_counter() - start, time.process_time() - start_cpu


def _timer(function: Callable[..., Any], totals: dict[str, list[float]], name: str) -> Callable[..., Any]:
    clock = time.perf_counter

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = clock()
        result = function(*args, **kwargs)
        entry = totals[name]
        entry[0] += clock() - start
        entry[1] += 1
        return result

    return wrapper


def breakdown(lines: list[str], *, default_region: str) -> dict[str, Any]:
    """Time each normalizer as ``normalize_record`` calls it, over one cold pass."""
    from resolvers.normalize import record

    totals = {name: [0.0, 0] for name in NORMALIZERS}
    for name in NORMALIZERS:
        setattr(record, name, _timer(getattr(record, name), totals, name))
    timed_preload()
    seconds, _ = timed_pass(lines, default_region=default_region)
    return {"seconds": seconds, "normalizers": {name: {"seconds": s, "calls": c} for name, (s, c) in totals.items()}}


def print_breakdown(result: dict[str, Any], records: int) -> None:
    """Print each normalizer's share of a timed pass, and what is left for the glue."""
    total = result["seconds"]
    inside = 0.0
    print(f"\nper normalizer (one more cold pass, with timers, {total:.2f} s):")
    print(f"  {'normalizer':<24}{'calls':>8}{'µs/call':>10}{'µs/record':>11}{'share':>8}")
    for name, entry in sorted(result["normalizers"].items(), key=lambda item: -item[1]["seconds"]):
        seconds, calls = entry["seconds"], entry["calls"]
        inside += seconds
        per_call = seconds / calls * 1e6 if calls else 0.0
        print(f"  {name:<24}{calls:>8}{per_call:>10.1f}{seconds / records * 1e6:>11.1f}{seconds / total:>8.1%}")
    rest = total - inside
    print(f"  {'parse + glue':<24}{records:>8}{rest / records * 1e6:>10.1f}{rest / records * 1e6:>11.1f}"
          f"{rest / total:>8.1%}")


def fresh_process(args: argparse.Namespace, mode: str) -> Any:
    """Run this script in a fresh process in ``mode`` (``--pass-only`` or ``--breakdown-only``); return its JSON."""
    output = subprocess.run(
        [sys.executable, __file__, "--records", str(args.records), "--default-region", args.default_region, mode],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    """Run the headline pass in fresh processes, then (unless told not to) the breakdown in one more."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS, help="an .ndjson(.gz) file of RecordIn")
    parser.add_argument("--default-region", default=DEFAULT_REGION)
    parser.add_argument("--passes", type=int, default=5, help="cold passes, each in a fresh process")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the per-normalizer pass")
    parser.add_argument("--pass-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--breakdown-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    lines = read_lines(args.records)
    if args.breakdown_only:
        print(json.dumps(breakdown(lines, default_region=args.default_region)))
        return
    if args.pass_only:
        preload_seconds = timed_preload()
        seconds, cpu_seconds = timed_pass(lines, default_region=args.default_region)
        print(json.dumps({"preload": preload_seconds, "seconds": seconds, "cpu": cpu_seconds}))
        return
    print(f"records:   {len(lines)} ({args.records})")
    rates, with_preload = [], []
    for number in range(1, args.passes + 1):
        result = fresh_process(args, "--pass-only")
        rates.append(len(lines) / result["seconds"])
        with_preload.append(len(lines) / (result["seconds"] + result["preload"]))
        # CPU time as well: on a shared machine, a wall-clock gap between the two is time spent waiting.
        print(f"pass {number}:    {result['seconds']:.3f} s (CPU {result['cpu']:.3f}), {rates[-1]:,.0f} records/s; "
              f"preload {result['preload']:.3f} s (once per process, at start-up)")
    print(f"records/s: {statistics.median(rates):,.0f} median, {max(rates):,.0f} best of {len(rates)} "
          f"({statistics.median(with_preload):,.0f} median with the preload)")
    if not args.no_breakdown:
        print_breakdown(fresh_process(args, "--breakdown-only"), len(lines))


if __name__ == "__main__":
    main()
