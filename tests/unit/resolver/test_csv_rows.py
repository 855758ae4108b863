"""Reading a CSV of records into rows (``resolvers.csv_rows``): rows over several lines, what a stray quote costs."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers import csv_rows as module
from resolvers.csv_rows import ROW_ERROR, CountedLines, CsvHeaderError, csv_encoding, csv_rows

LIMIT = 1000
HEADER = "source,source_record_id,company"


def _rows(body: str) -> list[tuple[int, dict[str, object]]]:
    return list(csv_rows(CountedLines(io.StringIO(body, newline=""), limit=LIMIT)))


def _error(row: dict[str, object]) -> str:
    return str(row.get(ROW_ERROR) or "")


def _record(record_id: str, company: str) -> dict[str, object]:
    return {"source": "crm", "source_record_id": record_id, "company": company}


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_a_quoted_cell_never_closed_loses_only_its_own_line(line_end: str) -> None:
    # A stray " opening a cell took every line after it into that cell, silently: rows 3 and 4 were lost.
    lines = [HEADER, 'crm,1,"Acme, Inc', "crm,2,Beta", "crm,3,Gamma"]
    rows = _rows(line_end.join(lines) + line_end)

    assert [number for number, _ in rows] == [2, 3, 4]
    assert "the file ends inside that cell" in _error(rows[0][1])
    assert [row for _, row in rows[1:]] == [_record("2", "Beta"), _record("3", "Gamma")]


def test_a_quoted_cell_never_closed_on_the_last_line_is_an_error_row() -> None:
    rows = _rows(f'{HEADER}\ncrm,1,Beta\ncrm,2,"Acme')

    assert rows[0] == (2, _record("1", "Beta"))
    assert rows[1][0] == 3
    assert "the file ends inside that cell" in _error(rows[1][1])
    assert "read as rows of their own" not in _error(rows[1][1])  # there are none


def test_two_stray_quotes_lines_apart_are_two_error_rows_and_the_lines_between_are_read() -> None:
    # The second stray " used to close the first one's cell: lines 2 to 4 made one record, with a garbled company.
    rows = _rows("\n".join([HEADER, 'crm,1,"Acme', "crm,2,Beta", 'crm,3,"Gamma', "crm,4,Delta"]) + "\n")

    assert [number for number, _ in rows] == [2, 3, 4, 5]
    assert "CSV's rules" in _error(rows[0][1])
    assert "the file ends inside that cell" in _error(rows[2][1])
    assert [row for _, row in rows if not _error(row)] == [_record("2", "Beta"), _record("4", "Delta")]


def test_a_stray_quote_that_gives_its_row_too_many_cells_is_an_error_row() -> None:
    rows = _rows("\n".join([HEADER, 'crm,1,"Acme', 'x",y,z', "crm,2,Beta"]) + "\n")

    assert [number for number, _ in rows] == [2, 3, 4]
    assert "more cells than the header has columns" in _error(rows[0][1])
    assert rows[2] == (4, _record("2", "Beta"))


def test_a_quoted_cell_over_lines_longer_than_a_record_is_an_error_row_and_its_lines_are_read_again() -> None:
    # Past the limit, and past the csv module's default cap on a cell (131,072 characters), which raised.
    cell_lines = ["b" * (LIMIT - 10)] * (131_072 // (LIMIT - 10) + 5)
    lines = [HEADER, 'crm,1,"' + cell_lines[0], *cell_lines[1:], 'end"', "crm,2,Beta"]
    rows = _rows("\n".join(lines) + "\n")

    assert rows[0][0] == 2
    assert "longer than 1,000 characters" in _error(rows[0][1])
    assert [number for number, _ in rows[1:]] == list(range(3, len(lines) + 1))  # each line after it, a row
    assert rows[-1] == (len(lines), _record("2", "Beta"))


@pytest.mark.parametrize(("text", "cells"), [
    ('"Acme\nand Sons",x', "Acme\nand Sons"),  # a line break inside a closed quoted cell is the cell's
    ('"Acme\r\n\r\nand Sons",x', "Acme\r\n\r\nand Sons"),  # blank lines too
    ('"Acme ""Best""\nInc",x', 'Acme "Best"\nInc'),
])
def test_a_quoted_cell_over_lines_that_closes_is_one_row(text: str, cells: str) -> None:
    rows = _rows(f"source,company,source_record_id\ncrm,{text}\ncrm,Beta,y\n")

    assert rows[0] == (2, {"source": "crm", "company": cells, "source_record_id": "x"})
    assert rows[1] == (3 + cells.count("\n"), {"source": "crm", "company": "Beta", "source_record_id": "y"})


@pytest.mark.parametrize(("line", "company"), [
    ('crm,1,"Acme" Inc', "Acme Inc"),  # text after a closing quote: kept, as the csv module reads it
    ('crm,1,"Acme ""Best"" Inc"', 'Acme "Best" Inc'),
    ("crm,1,O'Hara \"Ltd\"", "O'Hara \"Ltd\""),  # a quote inside a cell that did not start with one
])
def test_a_row_on_one_line_is_read_leniently(line: str, company: str) -> None:
    rows = _rows(f"{HEADER}\n{line}\ncrm,2,Beta\n")

    assert rows == [(2, _record("1", company)), (3, _record("2", "Beta"))]


def test_a_row_on_one_line_with_more_cells_than_columns_is_an_error_row() -> None:
    rows = _rows(f"{HEADER}\ncrm,1,Acme,extra\ncrm,2,Beta\n")

    assert _error(rows[0][1]) == "the row has more cells than the header has columns"
    assert rows[1] == (3, _record("2", "Beta"))


def _line_breaks(value: object) -> int:
    if isinstance(value, dict):
        return sum(_line_breaks(item) for item in value.values())
    text = str(value)
    return text.count("\r\n") + text.replace("\r\n", "").count("\r") + text.replace("\r\n", "").count("\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet='ab,"\n\r', max_size=12), max_size=12))
def test_every_line_is_a_row_s_first_line_or_inside_a_record_read_or_blank(cells: list[str]) -> None:
    """No line is lost without a word, and none is read twice into records (20,000 examples passed once)."""
    body = "source,source_record_id,notes\n" + ",".join(cells)
    rows = _rows(body)
    lines = io.StringIO(body, newline="").readlines()

    covered: list[int] = []
    for number, row in rows:
        covered += [number] if _error(row) else list(range(number, number + 1 + _line_breaks(row)))
    assert covered == sorted(set(covered))  # in order (an import resumes after a line), no line in two rows
    uncovered = set(range(2, len(lines) + 1)) - set(covered)
    # Skipped: blank lines, and lines of blank cells only (read alone, as a row on one line is).
    assert all(not any(cell.strip(" \t,;|") for cell in next(csv.reader([lines[number - 1].rstrip("\r\n")]), []))
               for number in uncovered), (uncovered, rows)


@pytest.mark.parametrize(("head", "encoding"), [
    (b"\xff\xfes\x00", "utf-16"),  # UTF-16 little-endian's byte order mark
    (b"\xff\xfe\x00\x00", "utf-32"),  # UTF-32 little-endian's, which UTF-16's begins
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xfe\xff\x00s", "utf-16"),  # big-endian's
    (b"\xef\xbb\xbfs", "utf-8-sig"),  # UTF-8's, skipped
    (b"sour", "utf-8-sig"),
    (b"\xff", "utf-8-sig"),  # half a mark: no mark
    (b"", "utf-8-sig"),
])
def test_a_csv_is_utf_8_unless_it_starts_with_a_utf_16_byte_order_mark(head: bytes, encoding: str) -> None:
    assert csv_encoding(head) == encoding


@pytest.mark.parametrize(("header", "named"), [
    ("source,source_record_id,email,email", "'email'"),
    ("source;source_record_id;phone;email;phone;email", "'email', 'phone'"),
])
def test_a_header_naming_a_column_twice_cannot_name_the_cells(header: str, named: str) -> None:
    # The later cell silently won: the first email of every row was lost.
    with pytest.raises(CsvHeaderError, match=f"names {named} more than once"):
        _rows(f"{header}\ncrm,1,a@example.org,b@example.org\n")


def test_empty_header_names_are_no_columns_named_twice() -> None:
    # A trailing delimiter on each line (spreadsheets write them) gives empty names; their cells are empty.
    rows = _rows("source,source_record_id,company,,\ncrm,1,Acme,,\n")

    assert rows == [(2, _record("1", "Acme"))]


@pytest.mark.parametrize("line", ['x","', 'TV 55",{i},"Acme'])
def test_lines_that_each_leave_a_quote_open_are_each_an_error_row_and_each_is_read_a_few_times_at_most(
        line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each such line, read from inside a quoted cell, closes it and opens another: every row ran to the
    # limit and had its lines read again, a time growing with the square of the lines (an hour at 100k).
    served = 0
    serve = module._RowLines.__next__

    def counted(self: module._RowLines) -> str:
        nonlocal served
        served += 1
        return serve(self)

    monkeypatch.setattr(module._RowLines, "__next__", counted)
    count = 5000
    body = HEADER + "\n" + "".join(line.format(i=i) + "\n" for i in range(count))
    rows = list(csv_rows(CountedLines(io.StringIO(body, newline=""), limit=20_000)))

    assert [number for number, _ in rows] == list(range(2, count + 2))
    assert all(_error(row) for _, row in rows)
    assert served <= 3 * count


def test_a_row_starting_inside_a_cell_never_closed_that_goes_on_past_its_line_fails_as_that_cell_did() -> None:
    # Read inside line 2's open cell, line 3 closes it and opens another; read alone, it leaves one open too:
    # read from there, the row runs to the end of the file as line 2's did, and fails without being read again.
    rows = _rows("\n".join([HEADER, 'crm,1,"Acme', 'crm,2,Beta ","', "crm,3,Gamma"]) + "\n")

    assert [number for number, _ in rows] == [2, 3, 4]
    assert "the file ends inside that cell" in _error(rows[0][1])
    assert "the file ends inside that cell" in _error(rows[1][1])
    assert rows[2] == (4, _record("3", "Gamma"))


def test_a_header_with_a_quoted_line_break_is_one_header() -> None:
    rows = _rows('"source\nid",source_record_id,company\ncrm,1,Acme\n')

    assert rows == [(3, {"source\nid": "crm", "source_record_id": "1", "company": "Acme"})]


def test_a_header_whose_quote_never_closes_cannot_be_read() -> None:
    with pytest.raises(CsvHeaderError, match="the CSV header \\(line 1\\) cannot be read"):
        _rows('"source,source_record_id\ncrm,1\n')


def test_a_line_breaking_the_rules_and_leaving_a_quote_open_says_both() -> None:
    rows = _rows('a,b\n1,"x"y,"z\n3,4\n')

    assert _error(rows[0][1]) == ("the row cannot be read as CSV: it breaks CSV's rules (',' expected after '\"'), "
                                  "and leaves a quoted cell open at its line's end")
    assert rows[1] == (3, {"a": "3", "b": "4"})


def test_lines_of_blank_cells_are_skipped_before_the_header_and_after_it() -> None:
    # A line of spaces before the header was read as the header: every row then had "more cells than
    # the header has columns". A spreadsheet's empty rows (",,") were records with no fields, each rejected.
    rows = _rows(f"  \n{HEADER}\ncrm,1,Acme\n,,\n \t\ncrm,2,Beta\n, ,\n")

    assert rows == [(3, _record("1", "Acme")), (6, _record("2", "Beta"))]


@pytest.mark.parametrize("empty_row", [",,", ";;", "\t\t", " , "])
def test_an_empty_spreadsheet_row_before_the_header_does_not_say_the_delimiter(empty_row: str) -> None:
    # ",," before a header separated by semicolons made the comma the delimiter: every row was misread.
    rows = _rows(f"{empty_row}\nsource;source_record_id;company\ncrm;1;Acme\n")

    assert rows == [(3, _record("1", "Acme"))]


def test_blank_lines_before_the_header_are_skipped_and_the_header_says_the_delimiter() -> None:
    rows = _rows("\n\r\nsource;source_record_id;company\ncrm;1;Acme, Inc\n")

    assert rows == [(4, _record("1", "Acme, Inc"))]
