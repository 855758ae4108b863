"""Batch CLI for data engineers: ``python -m resolvers resolve --input F --output G``.

Reads records as NDJSON or CSV (optionally gzip), resolves them with the same engine the
service uses, and writes one ``{source, source_record_id, profile_id}`` per input record as
NDJSON or CSV (chosen by the output file's extension), in input order. Lines that are not valid
records are skipped and counted by reason; the summary goes to stderr as JSON. The output is
byte-identical for the same input: profile ids are derived from each profile's smallest record
key, and nothing depends on how many workers ran.

CSV columns are the record's fields; nested fields use dotted names (``address.city``,
``handles.tiktok``, ``external_ids.crm``, ``attributes.campaign``), and ``emails``/``phones``
cells hold several values separated by ``;``.

This module and ``__main__`` are the only parts of ``resolvers`` that touch files.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import gzip
import hashlib
import io
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, cast

import phonenumbers

from resolvers.config import ResolverConfig
from resolvers.csv_rows import CountedLines, CsvHeaderError, csv_rows, stream_encoding
from resolvers.gc_tuning import tune_garbage_collector
from resolvers.json_lines import json_line
from resolvers.parallel import Row, normalize_rows, resolve_partition
from resolvers.records import MAX_RECORD_BYTES, RecordKey

__all__ = ["main", "profile_id"]


def profile_id(cluster: Sequence[RecordKey]) -> str:
    """Return the deterministic id of a cluster: a hash of its smallest record key."""
    source, record_id = min(cluster)
    digest = hashlib.sha256(f"{source}\x1f{record_id}".encode()).hexdigest()
    return f"p_{digest[:20]}"


def _is_gzip(path: Path) -> bool:
    return path.name.endswith(".gz")


def _is_csv(path: Path) -> bool:
    return path.name.removesuffix(".gz").endswith(".csv")


def _open_text(path: Path, mode: str) -> IO[str]:
    if _is_gzip(path):
        return cast(IO[str], gzip.open(path, mode + "t", encoding="utf-8", newline=""))
    return path.open(mode, encoding="utf-8", newline="")


def _csv_rows(handle: IO[str]) -> Iterator[Row]:
    """Yield CSV rows as record mappings, or error rows: read as an import through the service reads them.

    See ``csv_rows`` (a row over several lines that cannot be read costs its first line only) and
    ``records.record_from_csv_row`` for the columns.
    """
    for _, row in csv_rows(CountedLines(handle, limit=MAX_RECORD_BYTES)):
        yield row


def _rows(path: Path) -> Iterator[Row]:
    opener = gzip.open if _is_gzip(path) else open
    if _is_csv(path):
        with opener(path, "rb") as binary:
            raw = cast(IO[bytes], binary)
            with io.TextIOWrapper(raw, encoding=stream_encoding(raw), newline="") as handle:
                yield from _csv_rows(handle)
        return
    with opener(path, "rb") as binary:
        first = next(binary, b"")
        yield first.removeprefix(codecs.BOM_UTF8)  # as Windows tools write UTF-8, as an import skips it
        yield from binary


def _write(path: Path, order: Sequence[RecordKey], assignment: dict[RecordKey, str]) -> None:
    with _open_text(path, "w") as handle:
        if _is_csv(path):
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("source", "source_record_id", "profile_id"))
            writer.writerows((s, r, assignment[(s, r)]) for s, r in order)
        else:
            for source, record_id in order:
                handle.write(json_line({"source": source, "source_record_id": record_id,
                                        "profile_id": assignment[(source, record_id)]}))


def _resolve_command(args: argparse.Namespace) -> int:
    tune_garbage_collector()  # before the workers fork, so that they inherit it
    config = ResolverConfig(default_region=args.default_region.upper())
    started = time.perf_counter()
    batch = normalize_rows(_rows(Path(args.input)), config=config, workers=args.workers)
    normalized = time.perf_counter()
    partition = resolve_partition(batch.matched, config=config, workers=args.workers)
    resolved = time.perf_counter()
    assignment = {key: profile_id(cluster) for cluster in partition for key in cluster}
    _write(Path(args.output), batch.order, assignment)
    seconds = time.perf_counter() - started
    summary = {
        "records": len(batch.order),
        "profiles": len(partition),
        "largest_profile": max((len(c) for c in partition), default=0),
        "skipped_lines": dict(sorted(batch.skipped.items())),
        "duplicate_records": batch.duplicates,
        "rejected_values": dict(sorted(batch.rejected.items())),
        "seconds": round(seconds, 2),
        "seconds_normalizing": round(normalized - started, 2),
        "seconds_resolving": round(resolved - normalized, 2),
        "records_per_second": round(len(batch.order) / seconds) if seconds else None,
        "workers": args.workers,
    }
    sys.stderr.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m resolvers", description=(__doc__ or "").split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("resolve", help="resolve a file of records into profile assignments")
    command.add_argument("--input", required=True, help="records: .ndjson or .csv, optionally .gz")
    command.add_argument("--output", required=True, help="assignments: .ndjson or .csv, optionally .gz")
    command.add_argument("--default-region", default=ResolverConfig().default_region,
                         help="ISO country for phone numbers without a country hint (default: %(default)s)")
    command.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                         help="processes to use (default: one per core)")
    args = parser.parse_args(argv)
    if not Path(args.input).is_file():
        parser.error(f"--input {args.input}: no such file")
    if not Path(args.output).parent.is_dir():
        parser.error(f"--output {args.output}: no such directory {Path(args.output).parent}")
    if args.default_region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        parser.error(f"--default-region {args.default_region}: not a region code (ISO 3166-1 alpha-2, such as IT)")
    try:
        return _resolve_command(args)
    except CsvHeaderError as error:
        sys.stderr.write(f"cannot read {args.input}: {error}\n")
        return 2
