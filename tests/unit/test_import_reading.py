"""How an import reads its spooled body into rows (``service.imports.read_rows``): line numbers, long lines, CSV."""

from __future__ import annotations

import gzip
import io
import tracemalloc

import pytest

from resolvers.config import ResolverConfig
from resolvers.records import csv_delimiter
from service.imports import _SKIP_PIECE, _init_worker, _prepare_rows, read_rows
from service.store import StagedRecord

LIMIT = 1000


def _rows(body: bytes, *, fmt: str, encoding: str = "identity") -> list[tuple[int, object]]:
    return list(read_rows(io.BytesIO(body), fmt=fmt, encoding=encoding, max_line=LIMIT))


def _too_long(row: object) -> bool:
    return isinstance(row, dict) and "longer than 1,000" in str(row.get("__error__"))


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
@pytest.mark.parametrize(("line_end", "last_end"), [(b"\n", b"\n"), (b"\r\n", b"\r\n"), (b"\n", b"")])
def test_an_ndjson_line_longer_than_the_limit_is_an_error_row_and_the_lines_after_it_keep_their_numbers(
        encoding: str, line_end: bytes, last_end: bytes) -> None:
    lines = [b'{"a": 1}', b"x" * (LIMIT + 1), b"", b"y" * LIMIT, b'{"b": 2}', b"z" * (5 * LIMIT)]
    body = line_end.join(lines) + last_end
    rows = _rows(gzip.compress(body) if encoding == "gzip" else body, fmt="ndjson", encoding=encoding)

    assert [number for number, _ in rows] == [1, 2, 4, 5, 6]  # the blank line 3 is no row
    assert rows[0][1] == b'{"a": 1}' + line_end
    assert _too_long(rows[1][1])
    assert _too_long(rows[4][1])
    assert rows[2][1] == b"y" * LIMIT + line_end  # at the limit, not counting the line break
    assert rows[3][1] == b'{"b": 2}' + line_end


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_a_csv_line_longer_than_the_limit_is_an_error_row_and_the_rows_after_it_keep_their_numbers(
        line_end: str) -> None:
    lines = ["source,source_record_id,first_name", "crm,1,Ann", "crm,2," + "b" * LIMIT, "crm,3,Bob", "",
             'crm,4,"Cy', 'Lee"', "crm,5,Dee"]
    rows = _rows(line_end.join(lines).encode() + line_end.encode(), fmt="csv")

    assert [number for number, _ in rows] == [2, 3, 4, 6, 8]  # a record is numbered by the line it starts on
    assert _too_long(rows[1][1])
    assert [row["source_record_id"] for _, row in rows if isinstance(row, dict) and "__error__" not in row] == [
        "1", "3", "4", "5"]


def test_a_csv_cell_longer_than_the_csv_module_s_own_cap_is_read_for_validation_to_reject() -> None:
    cell = "b" * 200_000  # over the csv module's default cap of 131,072 characters, which raised
    body = f"source,source_record_id,first_name\ncrm,1,{cell}\ncrm,2,Bob\n".encode()

    rows = list(read_rows(io.BytesIO(body), fmt="csv", encoding="identity", max_line=1_048_576))

    assert [(number, row.get("first_name")) for number, row in rows if isinstance(row, dict)] == [
        (2, cell), (3, "Bob")]


def _error(row: object) -> str:
    return str(row.get("__error__") or "") if isinstance(row, dict) else ""


def test_a_line_too_long_inside_a_quoted_cell_is_its_own_error_row() -> None:
    lines = ["source,source_record_id,notes", 'crm,1,"Acme', "x" * (LIMIT + 1), "crm,2,Beta"]
    rows = _rows(("\n".join(lines) + "\n").encode(), fmt="csv")

    assert [number for number, _ in rows] == [2, 3, 4]
    assert "a line of it is too long" in _error(rows[0][1])
    assert _too_long(rows[1][1])
    assert rows[2][1] == {"source": "crm", "source_record_id": "2", "notes": "Beta"}


def test_a_line_without_end_is_never_held_whole() -> None:
    body = io.BytesIO(b'{"a": 1}\n' + b"x" * (32 * 1024 * 1024) + b'\n{"b": 2}\n')
    tracemalloc.start()
    try:
        rows = list(read_rows(body, fmt="ndjson", encoding="identity", max_line=1_048_576))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [number for number, _ in rows] == [1, 2, 3]
    assert peak < 4 * 1024 * 1024  # the 32 MiB line was read past in pieces


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_reading_leaves_the_body_stream_open_for_its_caller(fmt: str, encoding: str) -> None:
    body = b"source,source_record_id\ncrm,1\n" if fmt == "csv" else b'{"a": 1}\n'
    stream = io.BytesIO(gzip.compress(body) if encoding == "gzip" else body)

    rows = list(read_rows(stream, fmt=fmt, encoding=encoding, max_line=LIMIT))

    assert len(rows) == 1
    assert stream.tell() == len(stream.getvalue())  # the import reads how far it got after the last row


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_a_csv_is_read_with_the_delimiter_its_header_is_split_by(delimiter: str) -> None:
    # Spreadsheets where the comma is the decimal mark export with semicolons.
    header = delimiter.join(["source", "source_record_id", "full_name", "company"])
    row = delimiter.join(["crm", "1", '"Rossi, Anna"', "Acme, Inc."]) if delimiter != "," else 'crm,1,"Rossi, Anna",x'
    rows = _rows(f"{header}\n{row}\n".encode(), fmt="csv")

    assert rows[0][0] == 2
    assert rows[0][1]["full_name"] == "Rossi, Anna"  # type: ignore[index]
    assert rows[0][1]["source_record_id"] == "1"  # type: ignore[index]


@pytest.mark.parametrize(("header", "delimiter"), [
    ("source,source_record_id", ","),
    ("source;source_record_id;first_name", ";"),
    ("source\tsource_record_id", "\t"),
    ("source|source_record_id", "|"),
    ("source", ","),  # one column: nothing to tell, the comma
    ("source,source_record_id,notes;extra", ","),  # more commas than semicolons
    ('"a;b",c,d', ","),  # a quoted semicolon is no delimiter
])
def test_the_delimiter_is_the_one_that_splits_the_header_into_the_most_columns(header: str, delimiter: str) -> None:
    assert csv_delimiter(header) == delimiter


# Lengths of the long line (without its CRLF) whose CR ends the first read (limit + 2 characters) or the
# first piece read past the line (_SKIP_PIECE characters after it), and two that end neither.
@pytest.mark.parametrize("length", [LIMIT + 1, LIMIT + 2 + _SKIP_PIECE - 1, LIMIT + 5, LIMIT + 2 + _SKIP_PIECE])
def test_a_long_crlf_line_cut_between_its_cr_and_lf_is_still_one_line(length: int) -> None:
    # A read that ends on the CR of a long line's CRLF leaves its LF for the next: that is no line of its own.
    lines = ["source,source_record_id,first_name", "crm,1,Ann", "crm,2," + "b" * (length - 6), "crm,3,Bob",
             "crm,4,Cy"]
    rows = _rows("\r\n".join(lines).encode() + b"\r\n", fmt="csv")

    assert [number for number, _ in rows] == [2, 3, 4, 5]
    assert _too_long(rows[1][1])


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_csv_row_after_blank_lines_is_numbered_by_its_own_line(line_end: str) -> None:
    body = line_end.join(["source,source_record_id", "crm,1", "", "", "crm,2", "crm,3,extra"]) + line_end
    rows = _rows(body.encode(), fmt="csv")

    assert [number for number, _ in rows] == [2, 5, 6]  # the blank lines 3 and 4 are no rows, and count


def test_an_ndjson_line_within_the_limit_ending_in_two_crs_leaves_no_line_behind() -> None:
    line = b'{"a": "' + b"x" * (LIMIT - 9) + b'"}'  # exactly the limit
    rows = _rows(line + b"\r\r\n" + b'{"b": 2}\n', fmt="ndjson")

    assert [number for number, _ in rows] == [1, 2]  # a read that stopped short of its LF is not a whole line


def test_a_csv_read_stopped_part_way_after_its_stream_closed_ends_quietly() -> None:
    stream = io.BytesIO(b"source,source_record_id\n" + b"crm,1\n" * 100)
    rows = read_rows(stream, fmt="csv", encoding="identity", max_line=LIMIT)
    next(rows)
    stream.close()  # as the import's spool is, once its reader stops

    rows.close()  # raised "I/O operation on closed file" from the text layer's detach


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_a_line_limit_past_what_a_read_can_take_is_the_largest_it_can(fmt: str) -> None:
    body = b"source,source_record_id\ncrm,1\n" if fmt == "csv" else b'{"a": 1}\n'

    rows = list(read_rows(io.BytesIO(body), fmt=fmt, encoding="identity", max_line=2**63))

    assert len(rows) == 1


@pytest.mark.parametrize("charset", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_csv_that_starts_with_a_utf_16_byte_order_mark_is_read_as_utf_16(charset: str, line_end: str) -> None:
    text = line_end.join(["source,source_record_id,first_name", "crm,1,Zoë", "", 'crm,2,"Ann', 'Lee"', "crm,3,Bo"])
    rows = _rows(("\ufeff" + text + line_end).encode(charset), fmt="csv")

    assert rows == [(2, {"source": "crm", "source_record_id": "1", "first_name": "Zoë"}),
                    (4, {"source": "crm", "source_record_id": "2", "first_name": f"Ann{line_end}Lee"}),
                    (6, {"source": "crm", "source_record_id": "3", "first_name": "Bo"})]


def test_a_utf_16_csv_line_holding_a_lone_surrogate_is_rejected_and_the_others_read() -> None:
    body = "\ufeffsource,source_record_id,first_name\ncrm,1,Ann\n".encode("utf-16-le")
    body += "crm,2,".encode("utf-16-le") + b"\x00\xd8" + "\ncrm,3,Bo\n".encode("utf-16-le")  # a high surrogate alone
    rows = _rows(body, fmt="csv")
    _init_worker(ResolverConfig())
    outcomes = _prepare_rows(rows)

    assert [number for number, _ in rows] == [2, 3, 4]
    assert [outcome.line for outcome in outcomes if isinstance(outcome, StagedRecord)] == [2, 4]
    assert outcomes[1] == (3, [{"field": "line", "value": None, "reason": (
        "the line is not valid UTF-8 (nor valid UTF-16 or UTF-32, in a CSV that starts with their byte order mark)")}])


def test_a_utf_16_csv_cut_inside_a_character_cannot_be_read() -> None:
    body = "\ufeffsource,source_record_id\ncrm,1\n".encode("utf-16-le") + b"c"

    with pytest.raises(UnicodeError, match="truncated data"):
        _rows(body, fmt="csv")


def test_ndjson_that_starts_with_a_utf_16_byte_order_mark_is_refused_with_how_to_convert_it() -> None:
    with pytest.raises(UnicodeError, match=r"NDJSON must be UTF-8.*iconv -f UTF-16 -t UTF-8"):
        _rows('{"a": 1}\n'.encode("utf-16"), fmt="ndjson")


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_ndjson_that_starts_with_a_utf_8_byte_order_mark_reads_its_first_line(encoding: str) -> None:
    # Windows tools write one; its first line was rejected as not JSON.
    body = b'\xef\xbb\xbf{"a": 1}\n{"b": 2}\n'
    rows = _rows(gzip.compress(body) if encoding == "gzip" else body, fmt="ndjson", encoding=encoding)

    assert rows == [(1, b'{"a": 1}\n'), (2, b'{"b": 2}\n')]
