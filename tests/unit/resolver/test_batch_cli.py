"""The batch CLI: ``python -m resolvers resolve --input F --output G`` (resolvers.cli)."""

from __future__ import annotations

import csv
import gc
import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from resolvers.cli import main, profile_id
from resolvers.records import RecordKey

Row = dict[str, str]


def goffredo_and_anna() -> list[Row]:
    """Return five flat records: Goffredo on three channels, Anna on one, and an unrelated sms."""
    return [
        {"source": "crm", "source_record_id": "c-2", "first_name": "Goffredo", "last_name": "Lanciotti",
         "email": "goffredo.lanciotti@gmail.com"},
        {"source": "store", "source_record_id": "s-1", "email": "goffredo.lanciotti@gmail.com",
         "phone": "+39 347 123 4567"},
        {"source": "crm", "source_record_id": "c-1", "first_name": "Anna", "last_name": "Nowak",
         "email": "anna.nowak@example.org"},
        {"source": "sms", "source_record_id": "m-1", "phone": "+39 347 123 4567"},
        {"source": "sms", "source_record_id": "m-2", "phone": "+1 415 555 0132"},
    ]


def write_ndjson(path: Path, rows: list[Row]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def write_ndjson_gz(path: Path, rows: list[Row]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)


def write_csv(path: Path, rows: list[Row], delimiter: str = ",") -> None:
    columns = sorted({column for row in rows for column in row})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def write_csv_gz(path: Path, rows: list[Row]) -> None:
    plain = path.with_name("plain.csv")
    write_csv(plain, rows)
    path.write_bytes(gzip.compress(plain.read_bytes()))


def read_assignments(path: Path) -> list[Row]:
    """Read the CLI's output (NDJSON or CSV, optionally gzip) as rows."""
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    text = raw.decode("utf-8")
    if path.name.removesuffix(".gz").endswith(".csv"):
        return list(csv.DictReader(text.splitlines()))
    return [json.loads(line) for line in text.splitlines()]


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], input_path: Path,
        output_name: str = "out.ndjson", *, workers: int = 1) -> tuple[list[Row], dict[str, Any]]:
    """Run ``resolve`` in-process; return the output rows and the JSON summary from stderr."""
    output = tmp_path / output_name
    capsys.readouterr()

    code = main(["resolve", "--input", str(input_path), "--output", str(output), "--workers", str(workers)])

    assert code == 0
    return read_assignments(output), json.loads(capsys.readouterr().err)


def groups(rows: list[Row]) -> set[frozenset[tuple[str, str]]]:
    """Return the partition the output describes: record keys grouped by profile id."""
    by_profile: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        by_profile.setdefault(row["profile_id"], set()).add((row["source"], row["source_record_id"]))
    return {frozenset(keys) for keys in by_profile.values()}


GOFFREDO = frozenset({("crm", "c-2"), ("store", "s-1"), ("sms", "m-1")})
EXPECTED_GROUPS = {GOFFREDO, frozenset({("crm", "c-1")}), frozenset({("sms", "m-2")})}

WRITERS: dict[str, tuple[str, Callable[[Path, list[Row]], None]]] = {
    "ndjson": ("in.ndjson", write_ndjson),
    "ndjson gzip": ("in.ndjson.gz", write_ndjson_gz),
    "csv": ("in.csv", write_csv),
    "csv gzip": ("in.csv.gz", write_csv_gz),
}


@pytest.mark.parametrize(("name", "writer"), WRITERS.values(), ids=WRITERS.keys())
def test_every_input_format_gives_one_row_per_record_in_input_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
        writer: Callable[[Path, list[Row]], None]) -> None:
    records = goffredo_and_anna()
    writer(tmp_path / name, records)

    rows, summary = run(tmp_path, capsys, tmp_path / name)

    assert [(r["source"], r["source_record_id"]) for r in rows] == [
        (r["source"], r["source_record_id"]) for r in records]
    assert groups(rows) == EXPECTED_GROUPS
    assert (summary["records"], summary["profiles"], summary["largest_profile"]) == (5, 3, 3)


OUTPUTS = {"ndjson": "out.ndjson", "ndjson gzip": "out.ndjson.gz", "csv": "out.csv", "csv gzip": "out.csv.gz"}


@pytest.mark.parametrize("output_name", OUTPUTS.values(), ids=OUTPUTS.keys())
def test_every_output_format_holds_the_same_assignments(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], output_name: str) -> None:
    write_ndjson(tmp_path / "in.ndjson", goffredo_and_anna())

    rows, _ = run(tmp_path, capsys, tmp_path / "in.ndjson", output_name)

    assert [(r["source"], r["source_record_id"]) for r in rows] == [
        ("crm", "c-2"), ("store", "s-1"), ("crm", "c-1"), ("sms", "m-1"), ("sms", "m-2")]
    assert groups(rows) == EXPECTED_GROUPS


def test_csv_output_has_a_header_and_one_line_per_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_ndjson(tmp_path / "in.ndjson", goffredo_and_anna())

    run(tmp_path, capsys, tmp_path / "in.ndjson", "out.csv")

    lines = (tmp_path / "out.csv").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "source,source_record_id,profile_id"
    assert lines[1].startswith("crm,c-2,p_")
    assert lines[-1] == ""
    assert len(lines) == 1 + 5 + 1


def test_two_runs_on_the_same_input_write_byte_identical_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_ndjson(tmp_path / "in.ndjson", goffredo_and_anna())

    run(tmp_path, capsys, tmp_path / "in.ndjson", "first.csv")
    run(tmp_path, capsys, tmp_path / "in.ndjson", "second.csv")

    assert (tmp_path / "first.csv").read_bytes() == (tmp_path / "second.csv").read_bytes()


def test_the_output_does_not_depend_on_how_many_workers_ran(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_ndjson(tmp_path / "in.ndjson", goffredo_and_anna())

    run(tmp_path, capsys, tmp_path / "in.ndjson", "one.ndjson", workers=1)
    run(tmp_path, capsys, tmp_path / "in.ndjson", "two.ndjson", workers=2)

    assert (tmp_path / "one.ndjson").read_bytes() == (tmp_path / "two.ndjson").read_bytes()


def test_a_profile_id_is_the_id_of_the_profiles_smallest_record_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_ndjson(tmp_path / "in.ndjson", goffredo_and_anna())

    rows, _ = run(tmp_path, capsys, tmp_path / "in.ndjson")

    assigned = {(r["source"], r["source_record_id"]): r["profile_id"] for r in rows}
    assert {assigned[key] for key in GOFFREDO} == {profile_id([("crm", "c-2")])}
    assert assigned[("sms", "m-2")] == profile_id([("sms", "m-2")])


PROFILE_IDS: dict[str, tuple[list[RecordKey], list[RecordKey], bool]] = {
    "the same members in another order": (
        [("store", "s-1"), ("crm", "c-2")], [("crm", "c-2"), ("store", "s-1")], True),
    "more members, the same smallest key": (
        [("crm", "c-2")], [("sms", "m-1"), ("crm", "c-2"), ("store", "s-1")], True),
    "another smallest key": ([("crm", "c-2"), ("store", "s-1")], [("crm", "c-1"), ("crm", "c-2")], False),
    "source and id are not run together": ([("crm", "1x")], [("crm1", "x")], False),
}


@pytest.mark.parametrize(("one", "other", "same"), PROFILE_IDS.values(), ids=PROFILE_IDS.keys())
def test_profile_id_depends_only_on_the_smallest_record_key(one: list[RecordKey], other: list[RecordKey],
                                                            same: bool) -> None:
    assert (profile_id(one) == profile_id(other)) is same


def test_profile_id_is_a_short_stable_token() -> None:
    first, second = profile_id([("crm", "c-1")]), profile_id([("crm", "c-1")])

    assert first == second
    assert first.startswith("p_")
    assert len(first) == len("p_") + 20


def test_lines_that_are_not_records_are_skipped_and_counted_by_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = goffredo_and_anna()
    (tmp_path / "in.ndjson").write_text("\n".join([
        json.dumps(good[0]),
        "{not json",
        "[1, 2]",
        '"a string"',
        json.dumps({"source": "crm", "source_record_id": "c-9", "shoe_size": 44}),
        "",
        "   ",
        json.dumps(good[1]),
    ]) + "\n", encoding="utf-8")

    rows, summary = run(tmp_path, capsys, tmp_path / "in.ndjson")

    assert [(r["source"], r["source_record_id"]) for r in rows] == [("crm", "c-2"), ("store", "s-1")]
    assert summary["records"] == 2
    skipped = summary["skipped_lines"]
    assert [count for reason, count in skipped.items() if reason.startswith("invalid JSON")] == [1]
    assert skipped["shoe_size: extra_forbidden"] == 1
    # The two JSON values that are not objects, under whatever reason names them.
    assert sum(skipped.values()) == 1 + 1 + 2


def test_a_csv_row_with_an_unknown_column_value_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_csv(tmp_path / "in.csv", [
        {"source": "crm", "source_record_id": "c-1", "first_name": "Anna", "shoe_size": ""},
        {"source": "crm", "source_record_id": "c-2", "first_name": "Marco", "shoe_size": "44"},
    ])

    rows, summary = run(tmp_path, capsys, tmp_path / "in.csv")

    assert [r["source_record_id"] for r in rows] == ["c-1"]
    assert summary["skipped_lines"] == {"shoe_size: extra_forbidden": 1}


def test_a_csv_row_with_a_quote_never_closed_is_skipped_and_the_rows_after_it_are_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # As an import through the service reads it: the stray quote took every later row into one cell.
    (tmp_path / "in.csv").write_text("source,source_record_id,first_name,company\n"
                                     'crm,c-1,Anna,"Rossi & Figli\n'
                                     "crm,c-2,Marco,Verdi Srl\n"
                                     "crm,c-3,Sara,Neri Spa\n", encoding="utf-8")

    rows, summary = run(tmp_path, capsys, tmp_path / "in.csv")

    assert [r["source_record_id"] for r in rows] == ["c-2", "c-3"]
    assert summary["skipped_lines"] == {"unreadable CSV row": 1}


def test_a_csv_in_utf_16_with_its_byte_order_mark_is_read_as_utf_16(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.csv").write_bytes("\ufeffsource,source_record_id,first_name\r\ncrm,c-1,Zoë\r\n".encode("utf-16-le"))

    rows, summary = run(tmp_path, capsys, tmp_path / "in.csv")

    assert [r["source_record_id"] for r in rows] == ["c-1"]
    assert summary["skipped_lines"] == {}


def test_a_csv_whose_header_names_a_column_twice_is_refused_with_the_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.csv").write_text("source,source_record_id,email,email\ncrm,c-1,a@example.org,b@example.org\n",
                                     encoding="utf-8")

    code = main(["resolve", "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.ndjson")])

    assert code == 2
    assert "names 'email' more than once" in capsys.readouterr().err
    assert not (tmp_path / "out.ndjson").exists()


def test_ndjson_that_starts_with_a_utf_8_byte_order_mark_reads_its_first_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = goffredo_and_anna()
    (tmp_path / "in.ndjson").write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in records).encode())

    rows, summary = run(tmp_path, capsys, tmp_path / "in.ndjson")

    assert len(rows) == len(records)
    assert summary["skipped_lines"] == {}


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])  # the header says which; spreadsheets write semicolons
def test_csv_cells_fill_lists_and_nested_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                delimiter: str) -> None:
    write_csv(tmp_path / "in.csv", [
        {"source": "crm", "source_record_id": "c-1", "first_name": "Anna", "last_name": "Nowak",
         "emails": "anna@novora.it; anna.nowak@gmail.com", "address.city": "Kraków", "company": ""},
        {"source": "store", "source_record_id": "s-1", "first_name": "Anna", "last_name": "Nowak",
         "emails": "anna.nowak@gmail.com", "address.city": "", "company": "Novora"},
    ], delimiter=delimiter)

    rows, summary = run(tmp_path, capsys, tmp_path / "in.csv")

    assert summary["skipped_lines"] == {}
    assert groups(rows) == {frozenset({("crm", "c-1"), ("store", "s-1")})}


def test_a_repeated_record_key_gives_one_row_and_keeps_the_last_version(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = goffredo_and_anna()
    moved_on = {"source": "store", "source_record_id": "s-1", "email": "someone.else@example.org"}
    write_ndjson(tmp_path / "in.ndjson", [*records, moved_on])

    rows, summary = run(tmp_path, capsys, tmp_path / "in.ndjson")

    assert sorted((r["source"], r["source_record_id"]) for r in rows) == sorted(
        (r["source"], r["source_record_id"]) for r in records)
    # The last version shares nothing with Goffredo's records, so it is a profile of its own.
    assert frozenset({("store", "s-1")}) in groups(rows)
    assert (summary["records"], summary["duplicate_records"]) == (5, 1)


def test_the_summary_reports_counts_rejected_values_and_speed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [*goffredo_and_anna(),
               {"source": "crm", "source_record_id": "c-3", "first_name": "Marco", "email": "not an email"}]
    write_ndjson(tmp_path / "in.ndjson", records)

    _, summary = run(tmp_path, capsys, tmp_path / "in.ndjson")

    assert {"records", "profiles", "largest_profile", "rejected_values", "seconds",
            "records_per_second"} <= summary.keys()
    assert (summary["records"], summary["profiles"], summary["largest_profile"]) == (6, 4, 3)
    rejected = summary["rejected_values"]
    assert sum(rejected.values()) == 1
    assert all(reason.startswith("email:") for reason in rejected)
    assert summary["seconds"] >= 0
    assert summary["records_per_second"] is None or summary["records_per_second"] > 0


def test_an_empty_input_writes_an_empty_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.ndjson").write_text("", encoding="utf-8")

    rows, summary = run(tmp_path, capsys, tmp_path / "in.ndjson")

    assert rows == []
    assert (summary["records"], summary["profiles"], summary["largest_profile"]) == (0, 0, 0)


def test_the_module_runs_as_a_program(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "in.ndjson", goffredo_and_anna())
    output = tmp_path / "out.csv"

    done = subprocess.run(
        [sys.executable, "-m", "resolvers", "resolve", "--input", str(tmp_path / "in.ndjson"), "--output", str(output)],
        capture_output=True, text=True, timeout=60, check=False, cwd=Path(__file__).resolve().parents[3],
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr)["records"] == 5
    assert groups(read_assignments(output)) == EXPECTED_GROUPS


def test_a_run_collects_young_garbage_every_50000_allocations_not_700(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # At CPython's 700, 303,847 records resolved in 44.6-46.1 s; at 50,000, in 35.1 s (bench/resolve.py).
    input_path = tmp_path / "in.ndjson"
    write_ndjson(input_path, goffredo_and_anna())
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        run(tmp_path, capsys, input_path)
        assert gc.get_threshold() == (50_000, *before[1:])
    finally:
        gc.set_threshold(*before)
