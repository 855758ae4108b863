"""Reading a CSV of records into rows: the one reader of the batch CLI and of the service's imports.

A quoted cell may hold line breaks, so a row may take several lines. A stray ``"`` that opens a
cell would then take every line after it into that cell, silently: the rows of the rest of the
file would be lost inside one garbled record. So a row over several lines must be readable as CSV
strictly (its quoted cell closes where a cell may end, before the file ends), hold no more cells
than the header has columns, and be no longer than a record may be; otherwise it is an error row
numbered by the line it starts on, and its other lines are read again as rows of their own. One
stray quote costs one line. A row on one line is read as leniently as the ``csv`` module reads by
default (``"Acme" Inc`` is ``Acme Inc``).

Rows are ``(line number, record body)``, physical lines counted from 1 (the header's first line is
line 1 unless blank lines come before it); an error row's body is ``{ROW_ERROR: reason}``. Reading
takes time in proportion to the file's size, however its quotes fall (``_RowLines``).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol

from resolvers.records import DELIMITERS, csv_delimiter, record_from_csv_row

__all__ = ["ROW_ERROR", "CountedLines", "CsvHeaderError", "LineTooLongError", "NumberedLines", "csv_encoding",
           "csv_rows", "stream_encoding"]

ROW_ERROR = "__error__"  # the key of an error row's reason
# What a blank line or cell holds: spaces, and delimiters of any kind (a spreadsheet's empty row
# ",,," says nothing, not even its delimiter, and read with another one it is a cell of commas).
_BLANK = " \t\r\n\f\v" + "".join(DELIMITERS)
_NO_CELL_CAP = sys.maxsize // 2  # the largest cap the csv module takes (a C long)


def csv_encoding(head: bytes) -> str:
    """Return the text encoding of a CSV starting with the bytes ``head`` (4 or more): UTF-8 unless a BOM says.

    Excel's "Unicode text" export and Windows PowerShell's ``>`` write UTF-16 with its byte order
    mark; read as UTF-8, every line of such a file would be garbled. UTF-32's mark is told apart
    from UTF-16's, which begins it; a UTF-8 byte order mark is skipped.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16's: FF FE starts both
        return "utf-32"
    return "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"


def stream_encoding(binary: IO[bytes]) -> str:
    """Return the encoding the first bytes of a seekable ``binary`` say (``csv_encoding``), leaving it where it was."""
    start = binary.tell()
    head = binary.read(4)
    binary.seek(start)
    return csv_encoding(head)


class CsvHeaderError(ValueError):
    """The CSV header cannot name the rows' cells: it cannot be read, or it names a column twice."""


class LineTooLongError(ValueError):
    """A line of the file is longer than a record may be: it was read past, not into memory."""


class NumberedLines(Protocol):
    """Lines of text with their line breaks, counted as they are read; one may raise ``LineTooLongError``."""

    count: int  # how many lines were read, the last one included
    limit: int  # the most characters a row may take

    def __iter__(self) -> Iterator[str]: ...

    def __next__(self) -> str: ...


class CountedLines:
    """The lines of a text stream opened with ``newline=""``, counted; none is refused for its length."""

    def __init__(self, lines: Iterable[str], *, limit: int) -> None:
        self._lines = iter(lines)
        self.count = 0
        self.limit = limit

    def __iter__(self) -> CountedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line


class _RowTooLongError(ValueError):
    """A row over several lines is longer than a record may be."""


class _StillOpenError(ValueError):
    """A row goes on into lines that a row which failed earlier read in a quoted cell that never closed."""


class _RowLines:
    """The strict reader's line source: keeps the lines of the row being read, so that they can be read again.

    A row that fails for good inside an open quoted cell (the file ends in it, or it outgrows the
    limit) read each of its lines after the first inside that cell. A row starting on one of those
    lines that goes on past it (its own first line leaves a quoted cell open) then reads the same
    lines from the same state, the inside of a quoted cell, and fails the same way: it fails at once
    (``_StillOpenError``) rather than read them all again, which would take time growing with the
    square of the lines. For a file that ends in the cell this is exact; for a row that outgrew the
    limit, a row starting later is shorter and might close just past the lines read: it is refused too.
    """

    def __init__(self, lines: NumberedLines) -> None:
        self._lines = lines
        self._again: deque[tuple[int, str | LineTooLongError]] = deque()
        self.row: list[tuple[int, str | LineTooLongError]] = []  # the current row's lines, by number
        self.ran_out = False  # the lines ended inside the current row: a quoted cell was never closed
        self._size = 0
        self._open_after = self._open_through = 0  # lines read inside a failed row's open quoted cell
        self._open_problem = ""

    def __iter__(self) -> _RowLines:
        return self

    def __next__(self) -> str:
        line: str | LineTooLongError
        if self._again:
            number, line = self._again.popleft()
        else:
            try:
                line = next(self._lines)
            except LineTooLongError as error:
                line = error
            except StopIteration:
                self.ran_out = bool(self.row)
                raise
            number = self._lines.count
        self.row.append((number, line))
        if isinstance(line, LineTooLongError):
            raise line
        if len(self.row) > 1 and self._open_after < self.row[0][0] and number <= self._open_through:
            raise _StillOpenError(self._open_problem)
        self._size += len(line)
        if len(self.row) > 1 and self._size > self._lines.limit:
            raise _RowTooLongError(f"it is longer than {self._lines.limit:,} characters")
        return line

    def push_back(self, number: int, line: str) -> None:
        """Have ``line`` read next."""
        self._again.appendleft((number, line))

    def next_row(self) -> None:
        """Start reading the next row."""
        self.row, self.ran_out, self._size = [], False, 0

    def fail_row(self, *, still_open: str | None) -> None:
        """Have the current row's lines after its first read again, before any line not read yet.

        ``still_open``: the row failed inside an open quoted cell, for this reason (see the class doc).
        """
        if still_open is not None and self.row[-1][0] > self._open_through:
            self._open_after, self._open_through, self._open_problem = self.row[0][0], self.row[-1][0], still_open
        self._again.extendleft(reversed(self.row[1:]))


_ENDS_INSIDE = "the file ends inside that cell"


def _next_cells(source: _RowLines, reader: Iterator[list[str]], *, delimiter: str, columns: int | None,
                too_long: str) -> tuple[int, list[str] | str] | None:
    """Read the next row that is not blank: ``(its first line, its cells or why it cannot be read)``; None at the end.

    A row over several lines that cannot be read has its other lines read again (``_RowLines``).
    ``columns``: how many cells a row may have (None: any number, for the header).
    """
    while True:
        source.next_row()
        cells: list[str] | None = None
        still_open = None
        rules = "it cannot be read"
        try:
            cells = next(reader)
        except StopIteration:
            return None
        except LineTooLongError:
            problem = "a line of it is too long"
        except (_RowTooLongError, _StillOpenError) as error:
            problem = still_open = str(error)
        except csv.Error as error:
            rules = f"it breaks CSV's rules ({error})"
            problem = _ENDS_INSIDE if source.ran_out else f"then {rules}"
            still_open = _ENDS_INSIDE if source.ran_out else None
        first, line = source.row[0]
        if cells is None and len(source.row) == 1 and not source.ran_out:
            if isinstance(line, LineTooLongError):
                return first, too_long
            cells = _lenient_cells(line, delimiter=delimiter)
            if cells is None:  # strict reading failed on the line, lenient reading would go on past it
                return first, f"the row cannot be read as CSV: {rules}, and leaves a quoted cell open at its line's end"
        if cells is not None and (columns is None or len(cells) <= columns):
            if len(source.row) > 1 or any(cell.strip(_BLANK) for cell in cells):
                return first, cells
            continue  # a blank line, or one of blank cells (",,,": a spreadsheet's empty row)
        if len(source.row) == 1 and not source.ran_out:
            return first, "the row has more cells than the header has columns"
        if cells is not None:
            problem = "then it has more cells than the header has columns"
        again = "; the lines after this one are read as rows of their own" if len(source.row) > 1 else ""
        source.fail_row(still_open=still_open)
        return first, (f"the row cannot be read as CSV: a quoted cell opened on this line (a \" that starts a "
                       f"cell) takes the line breaks after it, and {problem}{again}")


def csv_rows(lines: NumberedLines, *, too_long: str = "the line is longer than a record may be; it was not read"
             ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record body)`` for each row of a CSV's ``lines``, or an error row (see the module doc).

    The header (the first row) names the columns; its first line says the delimiter
    (``records.csv_delimiter``). A short row's missing cells are left out; blank lines, and lines of
    blank cells only (``,,,``, spaces: ``_BLANK``), are skipped, before the header too.
    A line that raised ``LineTooLongError`` is an error row with the reason ``too_long``. A header
    that cannot be read, or names a column twice, raises ``CsvHeaderError``: no row can be read
    without it.
    """
    # The csv module's own cap on a cell (131,072 characters by default) would end the reading at a long
    # cell: the caps on a line and on a row are the ones that hold, and a cell too long for a record
    # fails validation. The setting is the process's; every reading sets it alike.
    csv.field_size_limit(_NO_CELL_CAP)
    source = _RowLines(lines)
    leading: list[tuple[int, str]] = []  # the blank lines before the header, and its first line
    while not leading or not leading[-1][1].strip(_BLANK):
        line = next(lines, None)  # a LineTooLongError here propagates
        if line is None:
            return
        leading.append((lines.count, line))
    for number, line in reversed(leading):
        source.push_back(number, line)
    delimiter = csv_delimiter(leading[-1][1])
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    header = _next_cells(source, reader, delimiter=delimiter, columns=None, too_long=too_long)
    if header is None:
        return
    if isinstance(header[1], str):
        raise CsvHeaderError(f"the CSV header (line {header[0]}) cannot be read: {header[1]}")
    names = header[1]
    twice = sorted(name for name, count in Counter(names).items() if name and count > 1)
    if twice:
        # Which cell would hold the field? The later one would silently win over the earlier.
        raise CsvHeaderError(f"the CSV header names {', '.join(map(repr, twice))} more than once: a field takes "
                             "one column (several emails or phones go in one `emails` or `phones` cell, split by ;)")
    while (row := _next_cells(source, reader, delimiter=delimiter, columns=len(names), too_long=too_long)) is not None:
        number, cells = row
        yield number, ({ROW_ERROR: cells} if isinstance(cells, str)
                       else record_from_csv_row(dict(itertools.zip_longest(names, cells))))


def _lenient_cells(line: str, *, delimiter: str) -> list[str] | None:
    """Return the cells of a row on one line as the ``csv`` module reads it by default, without its strict checks.

    None when a quoted cell is still open at the line's end: read leniently, the row would go on over
    the next lines.
    """
    wanted_more = False

    def the_line() -> Iterator[str]:
        nonlocal wanted_more
        yield line
        wanted_more = True

    cells = next(csv.reader(the_line(), delimiter=delimiter), [])
    return None if wanted_more else cells
