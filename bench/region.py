"""Benchmark what one real-time upsert reads and costs on a database that already holds many records.

Draws ``--upserts`` random records of ``--records`` and upserts each under a new id (another channel
re-sending a known person, so it joins a stored profile), in process, through
``ingest.apply_change`` in a write transaction that is then rolled back: the database is left as
it was, and the time is the change's own (no HTTP, no commit). Prints the latency percentiles and
how many records each change read and re-decided (``resolvers.region``). With ``--group N`` the
upserts are applied N at a time, as the server's group commit applies those that queue together
(``service.upsert_groups``), and the time is per upsert.

Make a database with a million records first, for example:

    python -m bench.generate --people 330000 --seed 7 --out /tmp/m1 --gzip     # in ../shared
    .venv/bin/python bench/bulk_import.py --records /tmp/m1/records.ndjson.gz --no-compare --keep /tmp/m1.db
    .venv/bin/python bench/region.py --database sqlite:////tmp/m1.db --records /tmp/m1/records.ndjson.gz

Nothing here asserts a target: the numbers go in the notes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

from harness import ROOT, quantile
from sqlmodel import Session

from resolvers import RecordIn
from resolvers.config import ResolverConfig
from resolvers.gc_tuning import tune_garbage_collector
from resolvers.normalize.record import preload
from resolvers.region import Region
from service import ingest
from service.db import SQLITE_IMMEDIATE, make_engine

DEFAULT_RECORDS = ROOT.parent / "shared" / "datasets" / "contacts-50k" / "records.ndjson.gz"


def _spread(values: list[float], unit: str = "") -> str:
    ordered = sorted(values)
    return (f"mean {statistics.mean(ordered):.1f}{unit}  p50 {quantile(ordered, 0.5):.1f}{unit}  "
            f"p90 {quantile(ordered, 0.9):.1f}{unit}  p99 {quantile(ordered, 0.99):.1f}{unit}  "
            f"max {ordered[-1]:.1f}{unit}")


def _bodies(path: Path, count: int) -> list[dict[str, Any]]:
    """Return ``count`` random records of the file, each under a new id of source ``bench``."""
    with gzip.open(path, "rt") if path.suffix == ".gz" else path.open() as handle:
        lines = handle.readlines()
    rng = random.Random(7)
    bodies = []
    for i in range(count):
        body = {k: v for k, v in json.loads(lines[rng.randrange(len(lines))]).items()
                if k not in ("source", "source_record_id")}
        bodies.append({**body, "source": "bench", "source_record_id": f"{uuid.uuid4().hex}-{i}"})
    return bodies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="URL of a database that holds the records already")
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS, help="the file the records came from")
    parser.add_argument("--upserts", type=int, default=1000)
    parser.add_argument("--group", type=int, default=1, help="upserts applied together in one change")
    args = parser.parse_args()
    bodies = _bodies(args.records, args.upserts)
    preload()
    tune_garbage_collector()  # as a server process runs: the default's full collections would be in the tail
    engine = make_engine(args.database)
    config = ResolverConfig()
    regions: list[Region] = []
    original = ingest.change_region

    def recorded(*positional: Any, **named: Any) -> Region:
        region = original(*positional, **named)
        regions.append(region)
        return region

    ingest.change_region = recorded  # type: ignore[assignment]
    seconds = []
    prepared = [ingest.prepare(body, RecordIn.model_validate(body), config=config) for body in bodies]
    for start in range(0, len(prepared), args.group):
        group = prepared[start:start + args.group]
        with Session(engine) as session:
            if engine.dialect.name == "sqlite":
                session.connection(execution_options={SQLITE_IMMEDIATE: True})
            started = time.perf_counter()
            ingest.apply_change(session, upserts=group, config=config)
            seconds.append((time.perf_counter() - started) / len(group))
            session.rollback()
    engine.dispose()
    each = "each" if args.group == 1 else f"{args.group} at a time"
    print(f"{len(prepared)} upserts into {engine.url.render_as_string()}, {each}, rolled back")
    print(f"latency          {_spread([s * 1000 for s in seconds], ' ms')}" + (" per upsert" if args.group > 1 else ""))
    print(f"records read     {_spread([float(r.read) for r in regions])}")
    print(f"records decided  {_spread([float(len(r.decided)) for r in regions])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
